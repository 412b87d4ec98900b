//! Domain tests: one `World` harness (a conversation, a clock, settings, a journal) and a file
//! per SPEC section. Every command a test runs is checked against the core invariant: replaying
//! the journal from scratch gives exactly the state the command produced.

mod causes;
mod fanout;
mod held;
mod hours;
mod invariants;
mod metrics;
mod pure_edges;
mod rules;
mod spec2_status;
mod spec3_messages;
mod spec4_stranded;
mod split_merge;

use std::collections::HashSet;

use super::*;

/// 2023-11-14T22:13:20Z: the start of every test's clock.
pub(crate) const T0: Timestamp = Timestamp(1_700_000_000_000);

pub(crate) fn op(id: &str) -> OperatorId {
    OperatorId::from(id)
}

pub(crate) fn line(id: &str) -> LineId {
    LineId::from(id)
}

/// Channels `web` (realtime), `mail` (email), `widget` (realtime, `reopen_closed`); lines
/// `line1`, `line2`; operators alice and bob (line1), xena (line2), sam (both, supervisor).
pub(crate) fn settings() -> Settings {
    let channel = |id: &str, kind, reopen_closed| Channel {
        id: ChannelId::from(id),
        kind,
        line: line("line1"),
        reopen_closed,
        secret: None,
        token: None,
        webhook_url: None,
        inactivity: None,
    };
    let line_ = |id: &str, strategy| Line {
        id: line(id),
        strategy,
        overflow_after: None,
        overflow_to: None,
        reassign_after: None,
        hours: None,
    };
    let operator = |id: &str, lines: &[&str], role| Operator {
        id: op(id),
        name: id.to_string(),
        lines: lines.iter().map(|l| line(l)).collect(),
        capacity: 5,
        role,
    };
    let mut s = Settings::default();
    for c in [
        channel("web", ChannelKind::Realtime, false),
        channel("mail", ChannelKind::Email, false),
        channel("widget", ChannelKind::Realtime, true),
    ] {
        s.channels.insert(c.id.clone(), c);
    }
    for l in [line_("line1", Strategy::RoundRobin), line_("line2", Strategy::Broadcast)] {
        s.lines.insert(l.id.clone(), l);
    }
    for o in [
        operator("alice", &["line1"], Role::Operator),
        operator("bob", &["line1"], Role::Operator),
        operator("xena", &["line2"], Role::Operator),
        operator("sam", &["line1", "line2"], Role::Supervisor),
    ] {
        s.operators.insert(o.id.clone(), o);
    }
    s.dialogs.reasons = vec!["feature unclear".into(), "feature limited".into()];
    s.dialogs.components = vec!["funnels".into()];
    s
}

/// The live world of a test: who can receive a pinned chat, who is online, and who is offline
/// after their grace.
struct Live {
    available: HashSet<OperatorId>,
    online: HashSet<OperatorId>,
    offline: HashSet<OperatorId>,
}

impl Directory for Live {
    fn can_receive_pinned(&self, operator: &OperatorId) -> bool {
        self.available.contains(operator)
    }

    fn is_offline(&self, operator: &OperatorId) -> bool {
        self.offline.contains(operator)
    }

    fn online(&self, operator: &OperatorId) -> bool {
        self.online.contains(operator)
    }
}

/// One conversation under test.
pub(crate) struct World {
    pub settings: Settings,
    pub conv: Conversation,
    pub now: Timestamp,
    pub next_chat: u64,
    pub available: HashSet<OperatorId>,
    /// Operators offline after their grace.
    pub offline: HashSet<OperatorId>,
    /// Operators whose presence is `online` (what rules count).
    pub online: HashSet<OperatorId>,
    pub journal: Vec<Event>,
    /// Events of the last successful command.
    pub last: Vec<Event>,
    /// Their causes, in the same order.
    pub last_causes: Vec<Cause>,
}

impl World {
    /// Conversation `web:c1` with the standard settings.
    pub fn new() -> Self {
        Self::in_channel("web")
    }

    pub fn in_channel(channel: &str) -> Self {
        Self::with(settings(), channel)
    }

    pub fn with(settings: Settings, channel: &str) -> Self {
        Self {
            settings,
            conv: Conversation::new(ConversationId::new(channel, "c1")),
            now: T0,
            next_chat: 0,
            available: HashSet::new(),
            offline: HashSet::new(),
            online: HashSet::new(),
            journal: Vec::new(),
            last: Vec::new(),
            last_causes: Vec::new(),
        }
    }

    pub fn exec(&mut self, command: Command) -> Result<Reply, DomainError> {
        let directory = Live {
            available: self.available.clone(),
            online: self.online.clone(),
            offline: self.offline.clone(),
        };
        let mut next = self.next_chat;
        let mut alloc = || {
            next += 1;
            ChatId(next)
        };
        let result = {
            let settings = &self.settings;
            let mut ctx = Ctx { now: self.now, settings, directory: &directory, next_chat_id: &mut alloc };
            self.conv.handle(command, &mut ctx)
        };
        self.next_chat = next;
        let outcome = result?;
        let mut replayed = self.conv.clone();
        for event in &outcome.events {
            replayed.apply(event);
        }
        assert_eq!(replayed, outcome.state, "applying the events must give the decided state");
        self.journal.extend(outcome.events.iter().cloned());
        let from_scratch = Conversation::replay(self.conv.id.clone(), &self.journal);
        assert_eq!(from_scratch, outcome.state, "replaying the journal must give the live state");
        assert_eq!(outcome.causes.len(), outcome.events.len(), "every event has its cause");
        self.conv = outcome.state;
        self.last = outcome.events;
        self.last_causes = outcome.causes;
        Ok(outcome.reply)
    }

    #[track_caller]
    pub fn ok(&mut self, command: Command) -> Reply {
        match self.exec(command.clone()) {
            Ok(reply) => reply,
            Err(e) => panic!("{command:?} refused: {e}"),
        }
    }

    /// Runs a command that must be refused, and checks it changed nothing.
    #[track_caller]
    pub fn refused(&mut self, command: Command) -> DomainError {
        let before = self.conv.clone();
        let journal = self.journal.len();
        let err = match self.exec(command.clone()) {
            Ok(reply) => panic!("{command:?} accepted ({reply:?}), expected a refusal"),
            Err(e) => e,
        };
        assert_eq!(self.conv, before);
        assert_eq!(self.journal.len(), journal);
        err
    }

    pub fn advance(&mut self, secs: f64) {
        self.now = self.now.after(Span((secs * 1000.0).round() as i64));
    }

    /// Moves the clock to the next deadline (if any) and fires the timer.
    pub fn fire_next_timer(&mut self) -> Option<Timestamp> {
        let due = self.conv.next_deadline()?;
        self.now = self.now.max(due);
        self.ok(Command::TimerFired);
        Some(due)
    }

    pub fn latest(&self) -> &Chat {
        self.conv.latest().expect("the conversation has a chat")
    }

    pub fn chat(&self, id: ChatId) -> &Chat {
        self.conv.chat(id).expect("chat exists")
    }

    pub fn latest_id(&self) -> ChatId {
        self.latest().id
    }

    // ---- command shortcuts ----

    pub fn client(&mut self, text: &str) -> Reply {
        self.ok(Command::ClientMessage { text: text.into(), client_msg_id: None, name: None, page_url: None })
    }

    pub fn write(&mut self, who: &str, text: &str) -> Reply {
        self.ok(Command::OperatorMessage { by: op(who), chat: None, text: text.into(), client_msg_id: None })
    }

    pub fn take(&mut self, who: &str) -> Reply {
        let chat = self.latest_id();
        self.ok(Command::Take { by: op(who), chat })
    }

    pub fn finish(&mut self, who: &str, status: Status) -> Reply {
        let chat = self.latest_id();
        self.ok(finish(who, chat, status))
    }

    pub fn set_status(&mut self, status: Status) -> Reply {
        let chat = self.latest_id();
        self.ok(Command::SetStatus { by: op("alice"), chat, status })
    }

    pub fn automated(&mut self, kind: AutomatedKind, text: &str) -> AutomatedOutcome {
        match self.ok(Command::Automated { kind, text: text.into() }) {
            Reply::Automated(outcome) => outcome,
            other => panic!("unexpected reply {other:?}"),
        }
    }

    /// Texts of the messages stored so far, with their chat.
    pub fn messages(&self) -> Vec<(Option<ChatId>, String)> {
        self.journal
            .iter()
            .filter_map(|e| match &e.change {
                Change::MessageAppended(m) => Some((m.chat, m.text.clone())),
                _ => None,
            })
            .collect()
    }

    pub fn last_has(&self, pred: impl Fn(&Change) -> bool) -> bool {
        self.last.iter().any(|e| pred(&e.change))
    }
}

pub(crate) fn finish(who: &str, chat: ChatId, status: Status) -> Command {
    Command::Finish { by: op(who), chat, status, operator_rating: None, request_vote: None }
}

// ---- starting states ----

/// The client wrote; chat 1 is active, `new`, nobody responsible.
pub(crate) fn active_new() -> World {
    let mut w = World::new();
    w.client("hello");
    w
}

/// alice took chat 1 and has not replied.
pub(crate) fn active_taken() -> World {
    let mut w = active_new();
    w.take("alice");
    w
}

/// alice replied: chat 1 is active and `open`.
pub(crate) fn active_open() -> World {
    let mut w = active_taken();
    w.write("alice", "how can I help?");
    w
}

/// alice finished chat 1 with `status` (no voting).
pub(crate) fn finished(status: Status) -> World {
    let mut w = active_open();
    let chat = w.latest_id();
    w.ok(Command::Finish { by: op("alice"), chat, status, operator_rating: None, request_vote: Some(false) });
    w
}

/// alice finished chat 1 with `closed` and the client is asked to vote.
pub(crate) fn closing() -> World {
    let mut w = active_open();
    w.finish("alice", Status::Closed);
    assert_eq!(w.latest().phase, Phase::Closing);
    w
}

/// chat 1 was force-finished as spam.
pub(crate) fn spam() -> World {
    let mut w = active_open();
    let chat = w.latest_id();
    w.ok(Command::ForceFinish { by: op("alice"), chat });
    w
}

/// The wire code a refusal is answered with (the edge's mapping): the behaviour tables name
/// refusals by their code.
pub(crate) trait WireCode {
    /// `bad_request`, `invalid_transition`, ...
    fn code(&self) -> &'static str;
}

impl WireCode for DomainError {
    fn code(&self) -> &'static str {
        crate::edge::EdgeError::from(self.clone()).code.as_str()
    }
}
