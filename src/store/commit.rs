//! [`Commit`]: everything one decided command writes, derived purely from the conversation
//! before it and the command's outcome, so every backend writes the same projections.

use std::collections::BTreeSet;

use super::Outbound;
use crate::domain::{
    Change, ChatId, ChatView, Conversation, ConversationId, Event, MessageView, Outcome, Seq, Timestamp,
};

/// Messages moving from one chat to another (split: from the split point; merge: all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageMove {
    /// The chat the messages are in.
    pub from_chat: ChatId,
    /// The chat they move to.
    pub to_chat: ChatId,
    /// Only messages with this seq or later move.
    pub from_seq: Seq,
}

/// What a commit does to the conversation's row in the deadline index (the scheduler's
/// `due`). The index may hold a deadline earlier than the real one: waking the conversation
/// then costs one wake-up, which writes the row again. So a deadline that moves later (the
/// inactivity deadline moves with every message) is not written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadlineRow {
    /// Leave the row as it is (it is due no later than the conversation's next deadline).
    Keep,
    /// Set the row to this.
    Set(Timestamp),
    /// No timer is armed: delete the row.
    Clear,
}

impl DeadlineRow {
    /// Writes `next` as it is.
    pub fn of(next: Option<Timestamp>) -> Self {
        next.map_or(DeadlineRow::Clear, DeadlineRow::Set)
    }

    /// What to write over the row when the next deadline is `next` and the row is known to hold
    /// `stored` (`Some(None)`: no row; `None`: not known, so it is written). Nothing when they
    /// agree, nor when the row is due earlier, unless `exact` (a timer fired: the row may be
    /// due now and must move up to the real deadline). Never leaves the row due later than
    /// `next`, so no timer is missed.
    pub fn change(stored: Option<Option<Timestamp>>, next: Option<Timestamp>, exact: bool) -> Self {
        match (stored, next) {
            (Some(stored), next) if stored == next => DeadlineRow::Keep,
            (Some(Some(stored)), Some(next)) if !exact && stored <= next => DeadlineRow::Keep,
            (_, next) => DeadlineRow::of(next),
        }
    }

    /// The row after writing this over `stored`.
    pub fn after(self, stored: Option<Timestamp>) -> Option<Timestamp> {
        match self {
            DeadlineRow::Keep => stored,
            DeadlineRow::Set(due) => Some(due),
            DeadlineRow::Clear => None,
        }
    }
}

/// One atomic write: the journal records of one command and the projections they change.
#[derive(Debug, Clone, PartialEq)]
pub struct Commit {
    /// The conversation.
    pub conversation: ConversationId,
    /// How many events of the conversation are already stored: the first event's position.
    pub position: u64,
    /// The events, in order.
    pub events: Vec<Event>,
    /// New messages (as stored when written; `moves` apply after them).
    pub messages: Vec<MessageView>,
    /// Message moves, in order.
    pub moves: Vec<MessageMove>,
    /// The current rows of every chat the events touched.
    pub chats: Vec<ChatView>,
    /// The conversation's row in the deadline index.
    pub deadline: DeadlineRow,
    /// Webhook deliveries the events decide (`crate::webhook::outbound`); written atomically
    /// with the rest, so a delivery exists exactly when its message does.
    pub outbox: Vec<Outbound>,
    /// The state after this commit's events, stored as the conversation's snapshot (replacing
    /// an older one) so that activation reads only the events after it.
    pub snapshot: Option<Box<Conversation>>,
}

impl Commit {
    /// The commit of `outcome`, decided on `before`, whose journal holds `position` events.
    /// Its outbox is empty: webhook deliveries depend on configuration, see [`Commit::with_outbox`].
    pub fn of(before: &Conversation, outcome: &Outcome, position: u64) -> Self {
        let conv = &outcome.state;
        let mut messages = Vec::new();
        let mut moves = Vec::new();
        let mut touched = BTreeSet::new();
        let mut renamed = false;
        for event in &outcome.events {
            match &event.change {
                Change::MessageAppended(m) => messages.push(MessageView::of(&conv.id, m, event.at)),
                Change::SplitOff { chat, new_chat } => {
                    if let Some(from_seq) =
                        before.chat(*chat).and_then(|c| c.split.as_ref()).map(|s| s.from_seq)
                    {
                        moves.push(MessageMove { from_chat: *chat, to_chat: *new_chat, from_seq });
                    }
                    touched.insert(*new_chat);
                }
                Change::MergedInto { chat, into } => {
                    moves.push(MessageMove { from_chat: *chat, to_chat: *into, from_seq: 0 });
                    touched.insert(*into);
                }
                Change::ChatOpened { prev_chat: Some(prev), .. } => {
                    touched.insert(*prev);
                }
                Change::ClientNamed { .. } => renamed = true,
                _ => {}
            }
            if let Some(chat) = event.change.chat() {
                touched.insert(chat);
            }
        }
        let chats = conv
            .chats
            .iter()
            .filter(|c| renamed || touched.contains(&c.id))
            .map(|c| ChatView::of(conv, c))
            .collect();
        Self {
            conversation: conv.id.clone(),
            position,
            events: outcome.events.clone(),
            messages,
            moves,
            chats,
            deadline: DeadlineRow::of(conv.next_deadline()),
            outbox: Vec::new(),
            snapshot: None,
        }
    }

    /// The same commit storing the state after it as the conversation's snapshot.
    pub fn with_snapshot(mut self, state: Conversation) -> Self {
        self.snapshot = Some(Box::new(state));
        self
    }

    /// The journal position after this commit's events.
    pub fn end(&self) -> u64 {
        self.position + self.events.len() as u64
    }

    /// A commit that writes nothing but the conversation's deadline row (the row was due
    /// before the real deadline: see [`DeadlineRow`]).
    pub fn deadline_only(conversation: ConversationId, position: u64, deadline: DeadlineRow) -> Self {
        Self {
            conversation,
            position,
            events: Vec::new(),
            messages: Vec::new(),
            moves: Vec::new(),
            chats: Vec::new(),
            deadline,
            outbox: Vec::new(),
            snapshot: None,
        }
    }

    /// The same commit writing `outbox` too.
    pub fn with_outbox(mut self, outbox: Vec<Outbound>) -> Self {
        self.outbox = outbox;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::DeadlineRow::{self, Clear, Keep, Set};
    use crate::domain::Timestamp;

    const T: [Timestamp; 3] = [Timestamp(10), Timestamp(20), Timestamp(30)];

    /// The row as known, the next deadline, whether a timer fired, what is written.
    type Case = (Option<Option<Timestamp>>, Option<Timestamp>, bool, DeadlineRow);

    /// Every (stored, next, exact) case: what is written, and the row it leaves.
    #[test]
    fn a_deadline_row_is_written_only_when_it_would_otherwise_be_late_or_a_timer_fired() {
        let cases: &[Case] = &[
            // Not known (just activated): always written.
            (None, Some(T[1]), false, Set(T[1])),
            (None, None, false, Clear),
            (None, Some(T[1]), true, Set(T[1])),
            // Known and equal: nothing to do.
            (Some(Some(T[1])), Some(T[1]), false, Keep),
            (Some(Some(T[1])), Some(T[1]), true, Keep),
            (Some(None), None, false, Keep),
            (Some(None), None, true, Keep),
            // The deadline moves later: an earlier row is kept, unless a timer fired.
            (Some(Some(T[0])), Some(T[2]), false, Keep),
            (Some(Some(T[0])), Some(T[2]), true, Set(T[2])),
            // The deadline moves earlier: always written (a later row would miss it).
            (Some(Some(T[2])), Some(T[0]), false, Set(T[0])),
            (Some(Some(T[2])), Some(T[0]), true, Set(T[0])),
            // A timer is armed where none was, or none is left.
            (Some(None), Some(T[1]), false, Set(T[1])),
            (Some(Some(T[1])), None, false, Clear),
            (Some(Some(T[1])), None, true, Clear),
        ];
        for &(stored, next, exact, expected) in cases {
            let row = DeadlineRow::change(stored, next, exact);
            assert_eq!(row, expected, "stored {stored:?}, next {next:?}, exact {exact}");
            let after = row.after(stored.flatten());
            // The invariant the scheduler relies on: the row is never due after the real deadline.
            match (after, next) {
                (Some(r), Some(n)) => assert!(r <= n, "row {r:?} after {n:?}"),
                (None, Some(n)) => panic!("no row although a timer is armed at {n:?}"),
                (_, None) => {}
            }
            if exact || stored.is_none() {
                assert_eq!(after, next, "an exact write (or a first one) leaves the row at the deadline");
            }
        }
    }
}
