//! `SupervisorActor`: owns the line queues through the pure [`Dispatcher`] and carries out what
//! it decides — offers, New-tab notices, queue positions, presence — and runs takes and accepts
//! through the conversation that owns the chat (the conversation arbitrates who wins). It keeps
//! one timer armed for the dispatcher's next wake-up, and never waits on a conversation inside a
//! handler: takes complete as futures while other messages are handled.

use std::collections::HashMap;
use std::sync::Arc;

use actix::prelude::*;
use tracing::{info, warn};

use crate::domain::routing::{ChatRouting, Dispatcher, Effect, Removal};
use crate::domain::{ChatId, ChatView, Command, LineId, OperatorNotice, RemovedReason, Timestamp};

use super::messages::{
    Ack, ChatChanged, CommandError, DeclineOffer, GetLines, GetNewTab, GetOperators, NewTab,
    OperatorConnected, OperatorDisconnected, OperatorStatus, SetPresence, TakeChat,
};
use super::node::Shared;
use super::registry::Registry;
use super::timer::OneTimer;

/// The supervisor actor.
pub struct SupervisorActor {
    shared: Arc<Shared>,
    dispatcher: Dispatcher,
    /// The latest view of every chat the dispatcher is routing (for offers and New-tab notices).
    views: HashMap<ChatId, Arc<ChatView>>,
    timer: OneTimer,
    node: String,
}

impl SupervisorActor {
    /// A supervisor that first rebuilds its queues from the open chats in `views`.
    pub fn new(shared: Arc<Shared>, open_chats: Vec<ChatView>, node: String) -> Self {
        let mut actor = Self {
            dispatcher: Dispatcher::new(shared.settings.clone()),
            shared,
            views: HashMap::new(),
            timer: OneTimer::default(),
            node,
        };
        let now = Timestamp::now();
        for view in open_chats {
            let routing = routing_of(&view);
            actor.views.insert(view.id, Arc::new(view));
            // Nobody is connected yet: the effects (positions, watchers) are recomputed as
            // sockets connect, so they are not delivered here.
            let _ = actor.dispatcher.chat_changed(routing, now);
        }
        info!(queued = actor.views.len(), "supervisor restored open chats");
        actor
    }

    /// Carries out the dispatcher's decisions and re-arms the wake-up timer.
    fn apply(&mut self, effects: Vec<Effect>, ctx: &mut Context<Self>) {
        let hub = &self.shared.hub;
        let now = Timestamp::now();
        for effect in effects {
            match effect {
                Effect::Offer { operator, chat, expires_at } => {
                    if let Some(view) = self.views.get(&chat) {
                        let notice = OperatorNotice::Offer {
                            chat: view.clone(),
                            expires_in_ms: expires_at.millis() - now.millis(),
                        };
                        hub.to_operators(&[operator], &notice, None);
                    }
                }
                Effect::OfferWithdrawn { operator, chat, reason, by } => {
                    hub.to_operators(&[operator], &OperatorNotice::OfferWithdrawn { chat, reason, by }, None);
                }
                Effect::ChatNew { operators, chat } => {
                    if let Some(view) = self.views.get(&chat) {
                        hub.to_operators(&operators, &OperatorNotice::ChatNew(view.clone()), None);
                    }
                }
                Effect::ChatRemoved { operators, chat, reason, by } => {
                    let reason = match reason {
                        Removal::Taken => RemovedReason::Taken,
                        Removal::Finished => RemovedReason::Finished,
                        Removal::Moved => RemovedReason::Moved,
                    };
                    hub.to_operators(&operators, &OperatorNotice::ChatRemoved { chat, reason, by }, None);
                }
                Effect::Watchers { chat, operators } => self.shared.board.set_watchers(chat, operators),
                Effect::QueuePosition { conversation, position, .. } => {
                    hub.to_client(&conversation, &crate::domain::ClientNotice::Queue { position }, None);
                }
                Effect::Presence { operator, status } => {
                    let watchers: Vec<_> = self
                        .shared
                        .settings
                        .operators
                        .values()
                        .filter(|o| o.role.sees_all())
                        .map(|o| o.id.clone())
                        .collect();
                    let notice =
                        OperatorNotice::Presence { operator: operator.clone(), status: status.as_str() };
                    hub.to_operators(&watchers, &notice, None);
                    let record = self.shared.presence.set(operator, status, self.node.clone());
                    ctx.spawn(record.into_actor(self).map(|recorded, _, _| {
                        if let Err(e) = recorded {
                            warn!(error = ?e, "presence not recorded");
                        }
                    }));
                }
                Effect::Availability { operator, can_receive } => {
                    self.shared.board.set_available(operator, can_receive)
                }
            }
        }
        let now = Timestamp::now();
        for line in self.shared.settings.lines.keys() {
            let waiting = self.dispatcher.line_stats(line, now).waiting;
            self.shared.metrics.queue_waiting.with_label_values(&[line.as_str()]).set(i64::from(waiting));
        }
        self.arm(ctx);
    }

    fn arm(&mut self, ctx: &mut Context<Self>) {
        self.timer.arm(self.dispatcher.next_wakeup(), ctx, |act, ctx| {
            act.timer.fired();
            let effects = act.dispatcher.tick(Timestamp::now());
            act.apply(effects, ctx);
        });
    }
}

/// The routing facts of a chat row.
pub fn routing_of(view: &ChatView) -> ChatRouting {
    let open = view.phase != crate::domain::Phase::Finished;
    ChatRouting {
        chat: view.id,
        conversation: view.conversation.clone(),
        line: view.line.clone(),
        queued_at: view.metrics.queued_at,
        needs_routing: view.phase == crate::domain::Phase::Active && view.responsible.is_none(),
        responsible: view.responsible.clone(),
        open,
        via: None,
        by: crate::domain::Cause::System,
    }
}

impl Actor for SupervisorActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        // A burst of new chats must not make conversations wait on a full mailbox.
        ctx.set_mailbox_capacity(1 << 20);
        self.arm(ctx);
    }
}

impl Handler<ChatChanged> for SupervisorActor {
    type Result = ();

    fn handle(&mut self, msg: ChatChanged, ctx: &mut Self::Context) {
        let chat = msg.routing.chat;
        let keep = msg.routing.needs_routing || msg.routing.open;
        if msg.routing.responsible.is_some() && self.dispatcher.is_queued(chat) {
            if let Some(queued_at) = self.views.get(&chat).and_then(|v| v.metrics.queued_at) {
                let waited = Timestamp::now().since(queued_at).as_secs_f64();
                self.shared.metrics.assignment_seconds.observe(waited);
            }
        }
        self.views.insert(chat, msg.view);
        let effects = self.dispatcher.chat_changed(msg.routing, Timestamp::now());
        self.apply(effects, ctx);
        if !keep {
            self.views.remove(&chat);
        }
    }
}

impl Handler<OperatorConnected> for SupervisorActor {
    type Result = ();

    fn handle(&mut self, msg: OperatorConnected, ctx: &mut Self::Context) {
        let effects = self.dispatcher.connected(&msg.operator, Timestamp::now());
        self.apply(effects, ctx);
    }
}

impl Handler<OperatorDisconnected> for SupervisorActor {
    type Result = ();

    fn handle(&mut self, msg: OperatorDisconnected, ctx: &mut Self::Context) {
        let effects = self.dispatcher.disconnected(&msg.operator, Timestamp::now());
        self.apply(effects, ctx);
    }
}

impl Handler<SetPresence> for SupervisorActor {
    type Result = ();

    fn handle(&mut self, msg: SetPresence, ctx: &mut Self::Context) {
        let effects = self.dispatcher.set_presence(&msg.operator, msg.status, Timestamp::now());
        self.apply(effects, ctx);
    }
}

impl Handler<TakeChat> for SupervisorActor {
    type Result = ResponseActFuture<Self, Result<Ack, CommandError>>;

    fn handle(&mut self, msg: TakeChat, ctx: &mut Self::Context) -> Self::Result {
        let TakeChat { operator, chat, conversation, accept } = msg;
        let now = Timestamp::now();
        let reserved = if accept {
            self.dispatcher.accept(&operator, chat, now)
        } else {
            self.dispatcher.take(&operator, chat, now)
        };
        match reserved {
            Ok(effects) => self.apply(effects, ctx),
            Err(e) => return Box::pin(fut::ready(Err(e.into()))),
        }
        let shared = self.shared.clone();
        let command = if accept {
            Command::Accept { by: operator.clone(), chat }
        } else {
            Command::Take { by: operator.clone(), chat }
        };
        let run = async move { Registry::execute(&shared, &conversation, command, None).await };
        Box::pin(run.into_actor(self).map(move |answer, act, ctx| {
            let effects = act.dispatcher.resolved(&operator, chat, answer.is_ok(), Timestamp::now());
            act.apply(effects, ctx);
            answer
        }))
    }
}

impl Handler<DeclineOffer> for SupervisorActor {
    type Result = Result<(), CommandError>;

    fn handle(&mut self, msg: DeclineOffer, ctx: &mut Self::Context) -> Self::Result {
        let effects = self.dispatcher.decline(&msg.operator, msg.chat, Timestamp::now())?;
        self.apply(effects, ctx);
        Ok(())
    }
}

impl Handler<GetNewTab> for SupervisorActor {
    type Result = MessageResult<GetNewTab>;

    fn handle(&mut self, msg: GetNewTab, _ctx: &mut Self::Context) -> Self::Result {
        let now = Timestamp::now();
        let page = self.dispatcher.new_tab_page(&msg.operator, msg.after, msg.limit);
        let chats = page.chats.iter().filter_map(|(_, c)| self.views.get(c).cloned()).collect();
        let offers = self
            .dispatcher
            .offers_to(&msg.operator)
            .into_iter()
            .filter_map(|(c, expires)| {
                self.views.get(&c).map(|v| (v.clone(), expires.millis() - now.millis()))
            })
            .collect();
        MessageResult(NewTab { chats, total: page.total, more: page.more, offers })
    }
}

impl Handler<GetOperators> for SupervisorActor {
    type Result = MessageResult<GetOperators>;

    fn handle(&mut self, _msg: GetOperators, _ctx: &mut Self::Context) -> Self::Result {
        let all = self
            .shared
            .settings
            .operators
            .keys()
            .map(|op| OperatorStatus {
                operator: op.clone(),
                presence: self.dispatcher.presence(op),
                active_chats: self.dispatcher.load(op),
            })
            .collect();
        MessageResult(all)
    }
}

impl Handler<GetLines> for SupervisorActor {
    type Result = MessageResult<GetLines>;

    fn handle(&mut self, _msg: GetLines, _ctx: &mut Self::Context) -> Self::Result {
        let now = Timestamp::now();
        let lines: Vec<(LineId, _)> = self
            .shared
            .settings
            .lines
            .keys()
            .map(|line| (line.clone(), self.dispatcher.line_stats(line, now)))
            .collect();
        MessageResult(lines)
    }
}
