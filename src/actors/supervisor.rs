//! `SupervisorActor`: owns the line queues through the pure [`Dispatcher`] and carries out what
//! it decides — offers, New-tab notices, queue positions, presence (also published on the board,
//! where rules count who is online) — and runs takes and accepts through the conversation that
//! owns the chat (the conversation arbitrates who wins). It keeps one timer armed for the
//! dispatcher's next wake-up, and never waits on a conversation inside a handler: takes complete
//! as futures while other messages are handled.

use std::collections::HashMap;
use std::sync::Arc;

use actix::prelude::*;
use tracing::{info, warn};

use crate::clock::Clock;
use crate::domain::routing::{ChatRouting, Dispatcher, Effect, Presence, Removal};
use crate::domain::{ChatId, ChatView, Command, OperatorId, OperatorNotice, RemovedReason, Reply, Settings};
use crate::metrics::Metrics;
use crate::presence::PresenceStore;

use super::board::Board;
use super::hub::Hub;
use super::messages::{
    AcceptOffer, AnnounceQueuePosition, ChatChanged, CommandError, DeclineOffer, GetLines, GetNewTab,
    GetOperators, LineStatus, NewTab, OpenOffer, OperatorConnected, OperatorDisconnected, OperatorStatus,
    SetPresence, StopSupervisor, TakeChat,
};
use super::registry::Registry;
use super::timer::OneTimer;

/// What the supervisor needs from its node.
pub struct SupervisorDeps {
    /// Configuration.
    pub settings: Arc<Settings>,
    /// Socket subscriptions (offers, New-tab notices, queue positions, presence go out here).
    pub hub: Arc<Hub>,
    /// Where it publishes availability and watchers.
    pub board: Arc<Board>,
    /// Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// Where presence is recorded.
    pub presence: Arc<dyn PresenceStore>,
    /// The conversations, which run takes and accepts.
    pub registry: Arc<Registry>,
    /// Where "now" comes from, and when the offer timer fires.
    pub clock: Arc<dyn Clock>,
    /// This node's id (presence records).
    pub node_id: String,
}

/// The supervisor actor.
pub struct SupervisorActor {
    deps: SupervisorDeps,
    dispatcher: Dispatcher,
    /// The latest view of every chat waiting in a queue (for offers and New-tab notices).
    views: HashMap<ChatId, Arc<ChatView>>,
    timer: OneTimer,
    /// Operators recorded as away when this supervisor started (they stay away).
    away: Vec<OperatorId>,
}

impl SupervisorActor {
    /// A supervisor that first rebuilds its queues from the open chats in `views`.
    pub fn new(deps: SupervisorDeps, open_chats: Vec<ChatView>, away: Vec<OperatorId>) -> Self {
        let mut actor = Self {
            dispatcher: Dispatcher::new(deps.settings.clone()),
            deps,
            views: HashMap::new(),
            timer: OneTimer::default(),
            away,
        };
        let now = actor.deps.clock.now();
        for view in open_chats {
            let routing = ChatRouting::of_view(&view);
            if routing.needs_routing {
                actor.views.insert(view.id, Arc::new(view));
            }
            // Nobody is connected yet: the effects (positions, watchers) are recomputed as
            // sockets connect, so they are not delivered here.
            let _ = actor.dispatcher.chat_changed(routing, now);
        }
        info!(queued = actor.views.len(), "supervisor restored open chats");
        actor
    }

    /// Carries out the dispatcher's decisions and re-arms the wake-up timer.
    fn apply(&mut self, effects: Vec<Effect>, ctx: &mut Context<Self>) {
        let hub = &self.deps.hub;
        let now = self.deps.clock.now();
        for effect in effects {
            match effect {
                Effect::Offer { operator, chat, expires_at } => {
                    if let Some(view) = self.views.get(&chat) {
                        let notice = OperatorNotice::Offer {
                            chat: view.clone(),
                            expires_in_ms: expires_at.millis() - now.millis(),
                        };
                        hub.to_operators(&[operator], &notice);
                    }
                }
                Effect::OfferWithdrawn { operator, chat, reason, by } => {
                    hub.to_operators(&[operator], &OperatorNotice::OfferWithdrawn { chat, reason, by });
                }
                Effect::ChatNew { operators, chat } => {
                    if let Some(view) = self.views.get(&chat) {
                        hub.to_operators(&operators, &OperatorNotice::ChatNew(view.clone()));
                    }
                }
                Effect::ChatRemoved { operators, chat, reason, by } => {
                    let reason = match reason {
                        Removal::Taken => RemovedReason::Taken,
                        Removal::Finished => RemovedReason::Finished,
                        Removal::Moved => RemovedReason::Moved,
                    };
                    hub.to_operators(&operators, &OperatorNotice::ChatRemoved { chat, reason, by });
                }
                Effect::Watchers { chat, operators } => self.deps.board.set_watchers(chat, operators),
                Effect::QueuePosition { conversation, position, .. } => {
                    hub.to_client(&conversation, &crate::domain::ClientNotice::Queue { position });
                }
                Effect::Presence { operator, status } => {
                    let watchers: Vec<OperatorId> = self
                        .deps
                        .settings
                        .operators
                        .values()
                        .filter(|o| o.role.sees_all())
                        .map(|o| o.id.clone())
                        .collect();
                    let notice = OperatorNotice::Presence { operator: operator.clone(), status };
                    hub.to_operators(&watchers, &notice);
                    self.deps.board.set_online(operator.clone(), status == Presence::Online);
                    let record = self.deps.presence.set(operator, status, self.deps.node_id.clone());
                    ctx.spawn(record.into_actor(self).map(|recorded, _, _| {
                        if let Err(e) = recorded {
                            warn!(error = ?e, "presence not recorded");
                        }
                    }));
                }
                Effect::Availability { operator, can_receive } => {
                    self.deps.board.set_available(operator, can_receive)
                }
                Effect::Offline { operator, offline } => self.deps.board.set_offline(operator, offline),
            }
        }
        let now = self.deps.clock.now();
        for line in self.deps.settings.lines.keys() {
            let stats = self.dispatcher.line_stats(line, now);
            let labels = [line.as_str()];
            self.deps.metrics.queue_waiting.with_label_values(&labels).set(i64::from(stats.waiting));
            self.deps.metrics.operators_online.with_label_values(&labels).set(i64::from(stats.online));
        }
        self.arm(ctx);
    }

    fn arm(&mut self, ctx: &mut Context<Self>) {
        let clock = self.deps.clock.clone();
        self.timer.arm(&*clock, self.dispatcher.next_wakeup(), ctx, |act, ctx| {
            act.timer.fired();
            let effects = act.dispatcher.tick(act.deps.clock.now());
            act.apply(effects, ctx);
        });
    }
}

impl Actor for SupervisorActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        // A burst of new chats must not make conversations wait on a full mailbox.
        ctx.set_mailbox_capacity(1 << 20);
        let away = std::mem::take(&mut self.away);
        let effects = self.dispatcher.start_grace(self.deps.clock.now(), &away);
        self.apply(effects, ctx);
    }
}

impl Handler<ChatChanged> for SupervisorActor {
    type Result = ();

    fn handle(&mut self, msg: ChatChanged, ctx: &mut Self::Context) {
        let chat = msg.routing.chat;
        // Only a chat waiting in a queue is ever shown by the supervisor (offers, New tabs): an
        // assigned one's view is not kept (a node holding a million open chats keeps only their
        // routing facts).
        let keep = msg.routing.needs_routing;
        if msg.routing.responsible.is_some() && self.dispatcher.is_queued(chat) {
            if let Some(queued_at) = self.views.get(&chat).and_then(|v| v.metrics.queued_at) {
                let waited = self.deps.clock.now().since(queued_at).as_secs_f64();
                let line = msg.routing.line.as_str();
                self.deps.metrics.assignment_seconds.with_label_values(&[line]).observe(waited);
            }
        }
        self.views.insert(chat, msg.view);
        let effects = self.dispatcher.chat_changed(msg.routing, self.deps.clock.now());
        self.apply(effects, ctx);
        if !keep {
            self.views.remove(&chat);
        }
    }
}

impl Handler<OperatorConnected> for SupervisorActor {
    type Result = ();

    fn handle(&mut self, msg: OperatorConnected, ctx: &mut Self::Context) {
        let effects = self.dispatcher.connected(&msg.operator, self.deps.clock.now());
        self.apply(effects, ctx);
    }
}

impl Handler<OperatorDisconnected> for SupervisorActor {
    type Result = ();

    fn handle(&mut self, msg: OperatorDisconnected, ctx: &mut Self::Context) {
        let effects = self.dispatcher.disconnected(&msg.operator, self.deps.clock.now());
        self.apply(effects, ctx);
    }
}

impl Handler<SetPresence> for SupervisorActor {
    type Result = ();

    fn handle(&mut self, msg: SetPresence, ctx: &mut Self::Context) {
        let effects = self.dispatcher.set_presence(&msg.operator, msg.status, self.deps.clock.now());
        self.apply(effects, ctx);
    }
}

impl SupervisorActor {
    /// Reserves `chat` for `operator` in the dispatcher (`reserve`: a take or an accept), then
    /// runs `command` through the conversation, which arbitrates; the dispatcher learns the
    /// outcome either way.
    fn assign(
        &mut self,
        reserve: Result<Vec<crate::domain::Effect>, crate::domain::RouteError>,
        operator: OperatorId,
        chat: ChatId,
        conversation: crate::domain::ConversationId,
        command: Command,
        ctx: &mut Context<Self>,
    ) -> ResponseActFuture<Self, Result<Reply, CommandError>> {
        match reserve {
            Ok(effects) => self.apply(effects, ctx),
            Err(e) => return Box::pin(fut::ready(Err(e.into()))),
        }
        let registry = self.deps.registry.clone();
        let run = async move { registry.execute(&conversation, command).await };
        Box::pin(run.into_actor(self).map(move |answer, act, ctx| {
            let effects = act.dispatcher.resolved(&operator, chat, answer.is_ok(), act.deps.clock.now());
            act.apply(effects, ctx);
            answer
        }))
    }
}

impl Handler<TakeChat> for SupervisorActor {
    type Result = ResponseActFuture<Self, Result<Reply, CommandError>>;

    fn handle(&mut self, msg: TakeChat, ctx: &mut Self::Context) -> Self::Result {
        let TakeChat { operator, chat, conversation } = msg;
        let reserve = self.dispatcher.take(&operator, chat, self.deps.clock.now());
        let command = Command::Take { by: operator.clone(), chat };
        self.assign(reserve, operator, chat, conversation, command, ctx)
    }
}

impl Handler<AcceptOffer> for SupervisorActor {
    type Result = ResponseActFuture<Self, Result<Reply, CommandError>>;

    fn handle(&mut self, msg: AcceptOffer, ctx: &mut Self::Context) -> Self::Result {
        let AcceptOffer { operator, chat, conversation } = msg;
        let reserve = self.dispatcher.accept(&operator, chat, self.deps.clock.now());
        let command = Command::Accept { by: operator.clone(), chat };
        self.assign(reserve, operator, chat, conversation, command, ctx)
    }
}

impl Handler<DeclineOffer> for SupervisorActor {
    type Result = Result<(), CommandError>;

    fn handle(&mut self, msg: DeclineOffer, ctx: &mut Self::Context) -> Self::Result {
        let effects = self.dispatcher.decline(&msg.operator, msg.chat, self.deps.clock.now())?;
        self.apply(effects, ctx);
        Ok(())
    }
}

impl Handler<GetNewTab> for SupervisorActor {
    type Result = MessageResult<GetNewTab>;

    fn handle(&mut self, msg: GetNewTab, _ctx: &mut Self::Context) -> Self::Result {
        let now = self.deps.clock.now();
        let page = self.dispatcher.new_tab_page(&msg.operator, msg.after, msg.limit);
        let chats = page.chats.iter().filter_map(|(_, c)| self.views.get(c).cloned()).collect();
        let offers = self
            .dispatcher
            .offers_to(&msg.operator)
            .into_iter()
            .filter_map(|(c, expires)| {
                let chat = self.views.get(&c)?.clone();
                Some(OpenOffer { chat, expires_in_ms: expires.millis() - now.millis() })
            })
            .collect();
        MessageResult(NewTab { chats, total: page.total, more: page.more, offers })
    }
}

impl Handler<GetOperators> for SupervisorActor {
    type Result = MessageResult<GetOperators>;

    fn handle(&mut self, _msg: GetOperators, _ctx: &mut Self::Context) -> Self::Result {
        let all = self
            .deps
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

impl Handler<StopSupervisor> for SupervisorActor {
    type Result = ();

    fn handle(&mut self, _msg: StopSupervisor, ctx: &mut Self::Context) {
        ctx.stop();
    }
}

impl Handler<AnnounceQueuePosition> for SupervisorActor {
    type Result = ();

    fn handle(&mut self, msg: AnnounceQueuePosition, _ctx: &mut Self::Context) {
        if let Some((conversation, position)) = self.dispatcher.queued_client(msg.chat) {
            self.deps.hub.to_client(&conversation, &crate::domain::ClientNotice::Queue { position });
        }
    }
}

impl Handler<GetLines> for SupervisorActor {
    type Result = MessageResult<GetLines>;

    fn handle(&mut self, _msg: GetLines, _ctx: &mut Self::Context) -> Self::Result {
        let now = self.deps.clock.now();
        let lines: Vec<LineStatus> = self
            .deps
            .settings
            .lines
            .keys()
            .map(|line| LineStatus { line: line.clone(), stats: self.dispatcher.line_stats(line, now) })
            .collect();
        MessageResult(lines)
    }
}
