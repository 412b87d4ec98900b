//! Events: the journal records of a conversation. `Conversation::handle` emits them,
//! `Conversation::apply` folds them; replaying them from scratch rebuilds the exact state,
//! timer deadlines, split points and metrics included. Serialised with a version tag.

use serde::{Deserialize, Serialize};

use super::chat::{ChatFields, Timer};
use super::ids::{ChatId, ClientId, LineId, OperatorId, Seq, Timestamp};
use super::status::{AssignVia, AuthorKind, Direction, Status};

/// Which automated source a bot message came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BotKind {
    /// Funnels and broadcasts: held while a chat is in progress, delivered later (SPEC 5).
    Campaign,
    /// Auto-support: dropped while a chat is in progress (SPEC 5).
    Bot,
    /// A rule's `auto_reply` (SPEC 4.1): part of the chat, counts towards `bot_time`.
    AutoReply,
}

impl BotKind {
    /// The wire `author.id` of such messages.
    pub fn as_str(self) -> &'static str {
        match self {
            BotKind::Campaign => "campaign",
            BotKind::Bot => "bot",
            BotKind::AutoReply => "auto_reply",
        }
    }
}

/// The author of a message.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Author {
    /// The client of the conversation.
    Client(ClientId),
    /// An operator.
    Operator(OperatorId),
    /// Automated messages.
    Bot(BotKind),
    /// The router itself.
    System,
}

impl Author {
    /// The wire `author.kind`.
    pub fn kind(&self) -> AuthorKind {
        match self {
            Author::Client(_) => AuthorKind::Client,
            Author::Operator(_) => AuthorKind::Operator,
            Author::Bot(_) => AuthorKind::Bot,
            Author::System => AuthorKind::System,
        }
    }

    /// The wire `author.id`.
    pub fn id(&self) -> &str {
        match self {
            Author::Client(c) => c.as_str(),
            Author::Operator(o) => o.as_str(),
            Author::Bot(b) => b.as_str(),
            Author::System => "frontline",
        }
    }
}

/// A stored message of a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Position in the conversation.
    pub seq: Seq,
    /// The chat it belongs to (none for automated messages before any chat).
    pub chat: Option<ChatId>,
    /// Who wrote it.
    pub author: Author,
    /// The text.
    pub text: String,
    /// The sender's idempotency key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_msg_id: Option<String>,
    /// A private note (SPEC 5.1): never shown to the client, changes nothing.
    #[serde(default, skip_serializing_if = "is_false")]
    pub private: bool,
    /// A held campaign message being delivered now: the oldest held one.
    #[serde(default, skip_serializing_if = "is_false")]
    pub from_held: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Why a chat finished.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishCause {
    /// An operator finished it.
    Operator(OperatorId),
    /// An operator force-finished it as spam.
    Spam(OperatorId),
    /// The inactivity timer (SPEC 2.2).
    Inactivity,
    /// The client voted (SPEC 2.3).
    Vote,
    /// The voting timer ran out (SPEC 2.3).
    VotingTimeout,
    /// The client wrote something other than a vote during closing (SPEC 2.3).
    ClientMessage,
    /// A rule's `finish` action.
    Rule(String),
}

/// Where a forward sends a chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ForwardTarget {
    /// To this operator directly.
    Operator(OperatorId),
    /// Into this line's queue.
    Line(LineId),
}

/// One change of a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    /// The client's display name became known or changed.
    ClientNamed {
        /// The name.
        name: String,
    },
    /// A chat was created (active; an outgoing chat is born assigned to and pinned to its writer).
    ChatOpened {
        /// Its number.
        chat: ChatId,
        /// Its line.
        line: LineId,
        /// Who wrote first.
        direction: Direction,
        /// `new` for incoming, `open` for outgoing.
        status: Status,
        /// The writer of an outgoing chat: responsible from the start, and pinned.
        responsible: Option<OperatorId>,
        /// The chat it follows in the conversation.
        prev_chat: Option<ChatId>,
        /// The widget page.
        page_url: Option<String>,
    },
    /// A message was stored.
    MessageAppended(Message),
    /// A finished chat became active again.
    ChatReactivated {
        /// The chat.
        chat: ChatId,
        /// Its status now.
        status: Status,
        /// Split-able from this seq (client reactivation only).
        splittable_from: Option<Seq>,
    },
    /// The status changed (phase unchanged).
    StatusSet {
        /// The chat.
        chat: ChatId,
        /// New status.
        status: Status,
    },
    /// An operator became responsible.
    Assigned {
        /// The chat.
        chat: ChatId,
        /// The operator.
        operator: OperatorId,
        /// How.
        via: AssignVia,
    },
    /// The responsible was cleared.
    Unassigned {
        /// The chat.
        chat: ChatId,
    },
    /// The responsible left the client unanswered for the line's `reassign_after`: the chat goes
    /// back to the queue, and `from` is tried last.
    Returned {
        /// The chat.
        chat: ChatId,
        /// The responsible it was taken from.
        from: OperatorId,
    },
    /// The chat moved to a line.
    LineSet {
        /// The chat.
        chat: ChatId,
        /// The line.
        line: LineId,
        /// By a forward (detailed status `queued` until taken).
        forwarded: bool,
    },
    /// Pinned or unpinned.
    PinSet {
        /// The chat.
        chat: ChatId,
        /// Pinned now.
        pinned: bool,
    },
    /// An operator was invited.
    ParticipantAdded {
        /// The chat.
        chat: ChatId,
        /// The operator.
        operator: OperatorId,
    },
    /// Finished with `closed` in voting close mode: now `closing`.
    ClosingStarted {
        /// The chat.
        chat: ChatId,
        /// Who finished.
        by: OperatorId,
        /// The operator's rating of the client.
        operator_rating: Option<u8>,
    },
    /// The client voted.
    Voted {
        /// The chat.
        chat: ChatId,
        /// 1-3.
        score: u8,
    },
    /// The chat finished.
    Finished {
        /// The chat.
        chat: ChatId,
        /// Status it keeps.
        status: Status,
        /// Why.
        cause: FinishCause,
        /// The operator's rating of the client.
        operator_rating: Option<u8>,
    },
    /// The messages since the reactivation moved to a new chat.
    SplitOff {
        /// The split chat.
        chat: ChatId,
        /// The new chat.
        new_chat: ChatId,
    },
    /// The chat was merged into its previous chat.
    MergedInto {
        /// The merged chat.
        chat: ChatId,
        /// The previous chat, active again.
        into: ChatId,
    },
    /// Descriptive fields changed (only the given ones).
    FieldsUpdated {
        /// The chat.
        chat: ChatId,
        /// New values; `None` = unchanged.
        #[serde(flatten)]
        update: FieldsUpdate,
    },
    /// A supervisor rated or commented.
    Reviewed {
        /// The chat.
        chat: ChatId,
        /// 1-5, if given.
        rating: Option<u8>,
        /// Comment, if given.
        comment: Option<String>,
    },
    /// A campaign message was held until the chat in progress pauses or finishes.
    AutomatedHeld {
        /// The text.
        text: String,
    },
    /// A timer deadline was armed or cleared.
    DeadlineSet {
        /// The chat.
        chat: ChatId,
        /// Which timer.
        timer: Timer,
        /// The deadline; `None` clears it.
        at: Option<Timestamp>,
    },
}

/// A partial update of [`ChatFields`]; `None` leaves a field unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FieldsUpdate {
    /// New subject (empty clears it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// New request type (empty clears it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_type: Option<String>,
    /// New reasons.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasons: Option<Vec<String>>,
    /// New components.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub components: Option<Vec<String>>,
}

impl FieldsUpdate {
    /// Writes the given values into `fields`.
    pub fn apply_to(&self, fields: &mut ChatFields) {
        let text = |v: &String| (!v.is_empty()).then(|| v.clone());
        if let Some(s) = &self.subject {
            fields.subject = text(s);
        }
        if let Some(s) = &self.request_type {
            fields.request_type = text(s);
        }
        if let Some(r) = &self.reasons {
            fields.reasons = r.clone();
        }
        if let Some(c) = &self.components {
            fields.components = c.clone();
        }
    }

    /// Nothing to change.
    pub fn is_empty(&self) -> bool {
        self.subject.is_none()
            && self.request_type.is_none()
            && self.reasons.is_none()
            && self.components.is_none()
    }
}

impl Change {
    /// The chat the change is about, if any.
    pub fn chat(&self) -> Option<ChatId> {
        use Change::*;
        match self {
            ClientNamed { .. } | AutomatedHeld { .. } => None,
            MessageAppended(m) => m.chat,
            ChatOpened { chat, .. }
            | ChatReactivated { chat, .. }
            | StatusSet { chat, .. }
            | Assigned { chat, .. }
            | Unassigned { chat }
            | Returned { chat, .. }
            | LineSet { chat, .. }
            | PinSet { chat, .. }
            | ParticipantAdded { chat, .. }
            | ClosingStarted { chat, .. }
            | Voted { chat, .. }
            | Finished { chat, .. }
            | SplitOff { chat, .. }
            | MergedInto { chat, .. }
            | FieldsUpdated { chat, .. }
            | Reviewed { chat, .. }
            | DeadlineSet { chat, .. } => Some(*chat),
        }
    }
}

/// The journal format version this build writes and reads.
pub const EVENT_VERSION: u32 = 1;

/// A journal record: one change at one time, with the format version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Format version; always [`EVENT_VERSION`] when written by this build.
    #[serde(deserialize_with = "known_version")]
    pub v: u32,
    /// When it happened.
    pub at: Timestamp,
    /// What happened.
    pub change: Change,
}

impl Event {
    /// A current-version event.
    pub fn new(at: Timestamp, change: Change) -> Self {
        Self { v: EVENT_VERSION, at, change }
    }
}

fn known_version<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let v = u32::deserialize(d)?;
    if v == EVENT_VERSION {
        Ok(v)
    } else {
        Err(serde::de::Error::custom(format!(
            "unsupported event version {v} (this build reads {EVENT_VERSION})"
        )))
    }
}
