//! `ConversationActor`: one per active conversation, owning its state and its one timer.
//!
//! It feeds commands to the domain core, persists the resulting events and only then adopts the
//! new state and replies (the reply becomes the wire's `ack`), then tells the supervisor about
//! routing changes and fans the change out to sockets. Commands run one at a time (the mailbox
//! waits while a commit is in flight), so every decision sees the durable state before it.
//! It never blocks on IO: loading and appending are futures answered by the store.
//!
//! It holds narrow handles ([`ConversationDeps`]): the store, the hub and board, the metrics,
//! the clock, and recipients for the supervisor and the webhook deliverer. It knows neither the
//! registry nor the node; when it passivates, it removes itself from the live map it shares with
//! the registry.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use actix::prelude::*;
use dashmap::DashMap;
use tracing::{debug, error, warn};

use crate::clock::Clock;
use crate::domain::access;
use crate::domain::cause::{cause_of, Cause, Explaining};
use crate::domain::fanout::typing_audience;
use crate::domain::routing::ChatRouting;
use crate::domain::{
    fanout, Author, AuthorView, ChatView, ClientNotice, Command, Conversation, ConversationId, Ctx, Delivery,
    DomainError, Event, OperatorNotice, Reply, Settings, Timestamp,
};
use crate::metrics::Metrics;
use crate::rate::TokenBucket;
use crate::store::{snapshot, Commit, DeadlineRow, Journal, Store, StoreError};
use crate::webhook::{outbound, OutboxWritten};

use super::board::Board;
use super::hub::Hub;
use super::keys::{key_of, Keys};
use super::messages::{
    ChatChanged, CommandError, DeadlineDue, Execute, RelayClientTyping, RelayOperatorTyping,
};
use super::timer::OneTimer;

/// The live conversation actors of a node, shared by the registry (which activates them) and
/// the actors (which leave it when they passivate).
pub type LiveConversations = DashMap<ConversationId, Addr<ConversationActor>>;

/// What a conversation actor needs from its node.
pub struct ConversationDeps {
    /// Configuration.
    pub settings: Arc<Settings>,
    /// Durable storage.
    pub store: Arc<dyn Store>,
    /// Socket subscriptions (notices go out through it).
    pub hub: Arc<Hub>,
    /// Routing facts published by the supervisor (who watches a queued chat, who is available).
    pub board: Arc<Board>,
    /// Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// Where "now" comes from, and when timers fire.
    pub clock: Arc<dyn Clock>,
    /// The live actors (an actor leaves it when it passivates).
    pub live: Arc<LiveConversations>,
    /// The supervisor, told about routing changes (set once it has started).
    pub routing: OnceLock<Recipient<ChatChanged>>,
    /// The webhook deliverer, woken when a commit wrote deliveries (when the node runs one).
    pub deliveries: OnceLock<Recipient<OutboxWritten>>,
    /// An actor idle this long passivates (its state stays in the store).
    pub passivate_after: Duration,
    /// Client messages per second into one conversation (bursts up to twice that).
    pub client_rate: u32,
}

/// The conversation's actor.
pub struct ConversationActor {
    deps: Arc<ConversationDeps>,
    state: Conversation,
    /// Events of the conversation already in the journal.
    position: u64,
    /// The journal position of the latest stored snapshot (0: none).
    snapshot_at: u64,
    keys: Keys,
    /// Client messages into this conversation, whatever socket or route they come by.
    client_rate: TokenBucket,
    timer: OneTimer,
    /// The conversation's row in the deadline index as this actor last wrote it (`Some(None)`:
    /// no row; `None`: not known since activation). It may be due earlier than the state's
    /// next deadline (see [`DeadlineRow`]); the timer then fires at the row's time and rewrites it.
    deadline_row: Option<Option<Timestamp>>,
    last_used: Instant,
}

type Answer = Result<Reply, CommandError>;

impl ConversationActor {
    /// An actor for `id` that loads its journal when it starts.
    pub fn new(id: ConversationId, deps: Arc<ConversationDeps>) -> Self {
        let client_rate = TokenBucket::new(deps.client_rate, Instant::now());
        Self {
            deps,
            state: Conversation::new(id),
            position: 0,
            snapshot_at: 0,
            keys: Keys::default(),
            client_rate,
            timer: OneTimer::default(),
            deadline_row: None,
            last_used: Instant::now(),
        }
    }

    /// Takes the loaded state: the snapshot (if any) and the events after it.
    fn restore(&mut self, journal: Journal) {
        (self.state, self.position) = journal.replay(self.state.id.clone());
        self.deps.metrics.replayed_events_total.inc_by(journal.events.len() as u64);
        self.snapshot_at = journal.start;
        self.keys.record(&journal.events);
        if journal.snapshot.is_some() {
            // Keys of the events before the snapshot were not read: look misses up in the store.
            self.keys.assume_incomplete();
        }
        for chat in self.state.chats.iter().filter(|c| c.is_open()) {
            self.deps.board.locate(chat.id, &self.state.id);
        }
    }

    /// Decides `command`, persists its events, adopts the new state; answers after the commit.
    fn run(&mut self, command: Command) -> ResponseActFuture<Self, Answer> {
        self.last_used = Instant::now();
        if let Some(key) = idempotency_key(&self.state.id, &command) {
            if let Some(reply) = self.keys.ack(&key) {
                return Box::pin(fut::ready(Ok(reply)));
            }
            if self.keys.incomplete() {
                return self.run_after_store_check(command);
            }
        }
        self.decide_and_commit(command)
    }

    /// An evicted key may still be stored: look it up before deciding.
    fn run_after_store_check(&mut self, command: Command) -> ResponseActFuture<Self, Answer> {
        let Some((author, raw)) = command_key(&self.state.id, &command) else {
            return self.decide_and_commit(command);
        };
        let lookup = self.deps.store.find_message(self.state.id.clone(), AuthorView::of(&author), raw);
        Box::pin(lookup.into_actor(self).then(move |found, act, _ctx| match found.ok().flatten() {
            Some(m) => Box::pin(fut::ready(Ok(Reply::Stored { chat: m.chat, seq: m.seq })))
                as ResponseActFuture<Self, Answer>,
            None => act.decide_and_commit(command),
        }))
    }

    fn decide_and_commit(&mut self, command: Command) -> ResponseActFuture<Self, Answer> {
        if matches!(command, Command::ClientMessage { .. }) && !self.client_rate.admit(Instant::now()) {
            return Box::pin(fut::ready(Err(CommandError::RateLimited)));
        }
        // Scope before state (SPEC 8): an operator acts only on chats they may see.
        if let Some((operator, chat)) = access::gated_chat(&command, &self.state) {
            if let Some(chat) = self.state.chat(chat) {
                let watchers = self.deps.board.watchers(chat.id);
                if let Err(e) = access::check(&self.deps.settings, operator, chat, &watchers) {
                    return Box::pin(fut::ready(Err(e.into())));
                }
            }
        }
        let exact = matches!(command, Command::TimerFired);
        let store = self.deps.store.clone();
        let mut next_chat_id = || store.next_chat_id();
        let mut ctx = Ctx {
            now: self.deps.clock.now(),
            settings: &self.deps.settings,
            directory: &*self.deps.board,
            next_chat_id: &mut next_chat_id,
        };
        let outcome = match self.state.handle(command, &mut ctx) {
            Ok(outcome) => outcome,
            Err(e) => return Box::pin(fut::ready(Err(e.into()))),
        };
        // A timer fired: the row may be due now, so it moves up to the real deadline (a commit
        // of nothing else when no event happened).
        let deadline = DeadlineRow::change(self.deadline_row, outcome.state.next_deadline(), exact);
        if outcome.events.is_empty() && !(exact && deadline != DeadlineRow::Keep) {
            return Box::pin(fut::ready(Ok(outcome.reply)));
        }
        let outbox = outbound(&self.deps.settings, &self.state, self.position, &outcome.events);
        let wake_deliverer = !outbox.is_empty();
        let mut commit = Commit::of(&self.state, &outcome, self.position).with_outbox(outbox);
        commit.deadline = deadline;
        if commit.end() - self.snapshot_at >= snapshot::EVERY {
            commit = commit.with_snapshot(outcome.state.clone());
        }
        let snapshot_at = commit.snapshot.as_ref().map(|_| commit.end());
        let append = self.deps.store.append(commit);
        let started = Instant::now();
        Box::pin(append.into_actor(self).map(move |written, act, ctx| match written {
            Ok(()) => {
                act.deps.metrics.journal_commit_seconds.observe(started.elapsed().as_secs_f64());
                if let Some(deliverer) = act.deps.deliveries.get().filter(|_| wake_deliverer) {
                    let _ = deliverer.try_send(OutboxWritten);
                }
                if let Some(at) = snapshot_at {
                    act.snapshot_at = at;
                }
                act.deadline_row = Some(deadline.after(act.deadline_row.flatten()));
                let reply = outcome.reply;
                act.adopt(outcome.state, outcome.events, outcome.causes, ctx);
                Ok(reply)
            }
            // Refused before anything was written: the state stands.
            Err(e @ StoreError::Busy) => Err(e.into()),
            Err(e) => {
                // The write's fate is unknown to this actor: reload from the store next time.
                error!(conversation = ?act.state.id.to_string(), error = ?e, "append failed; stopping the conversation actor");
                act.passivate(ctx);
                Err(e.into())
            }
        }))
    }

    /// The events are durable: make their state ours, re-arm the timer, tell the supervisor and
    /// the sockets.
    fn adopt(
        &mut self,
        state: Conversation,
        events: Vec<Event>,
        causes: Vec<Cause>,
        ctx: &mut Context<Self>,
    ) {
        let before = std::mem::replace(&mut self.state, state);
        self.position += events.len() as u64;
        for event in &events {
            if let crate::domain::Change::MessageAppended(m) = &event.change {
                self.deps.metrics.messages_total.with_label_values(&[m.author.kind().as_str()]).inc();
            }
        }
        self.keys.record(&events);
        self.arm(ctx);
        let board = &self.deps.board;
        for chat in &self.state.chats {
            if chat.is_open() {
                board.locate(chat.id, &self.state.id);
            } else {
                board.forget(chat.id);
            }
            if ChatRouting::changed(before.chat(chat.id), chat) {
                if let Some(supervisor) = self.deps.routing.get() {
                    let view = Arc::new(ChatView::of(&self.state, chat));
                    let by = cause_of(chat.id, &events, &causes, Explaining::Membership);
                    let routing = ChatRouting::of(&self.state.id, chat, by);
                    // The supervisor's mailbox is unbounded: a routing change is never dropped.
                    supervisor.do_send(ChatChanged { routing, view });
                }
            }
        }
        let rating = &self.deps.settings.rating;
        let deliveries = fanout(&before, &self.state, &events, &causes, rating, &|chat| board.watchers(chat));
        // Every socket concerned hears of it, the one the command came from included (that
        // socket's session drops the echo of its own message itself).
        for delivery in deliveries {
            match delivery {
                Delivery::Operators(to, notice) => self.deps.hub.to_operators(&to, &notice),
                Delivery::Client(notice) => self.deps.hub.to_client(&self.state.id, &notice),
            }
        }
    }

    /// Arms the one timer for the earliest deadline, or for the deadline row when it is due
    /// earlier (or disarms it).
    fn arm(&mut self, ctx: &mut Context<Self>) {
        let next = self.state.next_deadline();
        let at = match self.deadline_row {
            Some(Some(row)) if next.is_none_or(|next| row < next) => Some(row),
            _ => next,
        };
        let clock = self.deps.clock.clone();
        self.timer.arm(&*clock, at, ctx, Self::fire);
    }

    /// The timer fired: the domain fires whatever is due, and the deadline row moves up to the
    /// next deadline.
    fn fire(&mut self, ctx: &mut Context<Self>) {
        self.timer.fired();
        let fired = self.run(Command::TimerFired).map(|answer, act, ctx| {
            if let Err(e) = answer {
                warn!(conversation = ?act.state.id.to_string(), error = ?e, "timer command failed");
            }
            act.arm(ctx);
        });
        ctx.wait(fired);
    }

    /// Stops and leaves the live map (memory freed); the next message re-activates it from the
    /// store, and the deadline index wakes it when a timer comes due.
    fn passivate(&mut self, ctx: &mut Context<Self>) {
        let me = ctx.address();
        self.deps.live.remove_if(&self.state.id, |_, addr| *addr == me);
        ctx.stop();
    }
}

impl Actor for ConversationActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        let load = self.deps.store.load(self.state.id.clone());
        ctx.wait(load.into_actor(self).map(|loaded, act, ctx| match loaded {
            Ok(journal) => {
                act.restore(journal);
                act.arm(ctx);
                debug!(conversation = ?act.state.id.to_string(), events = act.position, "conversation activated");
            }
            Err(e) => {
                error!(conversation = ?act.state.id.to_string(), error = ?e, "cannot load the conversation");
                act.passivate(ctx);
            }
        }));
        let idle = self.deps.passivate_after;
        ctx.run_interval(
            idle.min(Duration::from_secs(60)).max(Duration::from_millis(10)),
            move |act, ctx| {
                if act.last_used.elapsed() >= idle {
                    debug!(conversation = ?act.state.id.to_string(), "passivating idle conversation");
                    act.passivate(ctx);
                }
            },
        );
    }
}

impl Handler<Execute> for ConversationActor {
    type Result = AtomicResponse<Self, Answer>;

    fn handle(&mut self, msg: Execute, _ctx: &mut Self::Context) -> Self::Result {
        AtomicResponse::new(self.run(msg.command))
    }
}

impl Handler<DeadlineDue> for ConversationActor {
    type Result = ();

    /// Its row came due. Known rows have the timer armed already; an unknown one (activated
    /// since it was written) is rewritten now, by a timer firing at once.
    fn handle(&mut self, _: DeadlineDue, ctx: &mut Self::Context) {
        if self.deadline_row.is_none() {
            let clock = self.deps.clock.clone();
            self.timer.arm(&*clock, Some(clock.now()), ctx, Self::fire);
        }
    }
}

impl Handler<RelayClientTyping> for ConversationActor {
    type Result = ();

    fn handle(&mut self, _: RelayClientTyping, _ctx: &mut Self::Context) {
        let Some(chat) = self.state.latest() else { return };
        let to = typing_audience(chat, &self.deps.board.watchers(chat.id));
        let notice = OperatorNotice::Typing { chat: chat.id, author: self.state.id.client.to_string() };
        self.deps.hub.to_operators(&to, &notice);
    }
}

impl Handler<RelayOperatorTyping> for ConversationActor {
    type Result = Result<(), CommandError>;

    fn handle(&mut self, msg: RelayOperatorTyping, _ctx: &mut Self::Context) -> Self::Result {
        // A chat out of the operator's scope is answered like one that does not exist.
        let visible = self.state.chat(msg.chat).filter(|chat| {
            access::may_act(&self.deps.settings, &msg.operator, chat, &self.deps.board.watchers(chat.id))
        });
        if visible.is_none() {
            return Err(DomainError::ChatNotFound(msg.chat).into());
        }
        self.deps.hub.to_client(&self.state.id, &ClientNotice::Typing);
        Ok(())
    }
}

/// The namespaced idempotency key of a message command.
fn idempotency_key(conversation: &ConversationId, command: &Command) -> Option<String> {
    command_key(conversation, command).map(|(author, raw)| key_of(&author, &raw))
}

/// The author and raw `client_msg_id` of a message command.
fn command_key(conversation: &ConversationId, command: &Command) -> Option<(Author, String)> {
    match command {
        Command::ClientMessage { client_msg_id: Some(id), .. } => {
            Some((Author::Client(conversation.client.clone()), id.clone()))
        }
        Command::OperatorMessage { by, client_msg_id: Some(id), .. } => {
            Some((Author::Operator(by.clone()), id.clone()))
        }
        _ => None,
    }
}
