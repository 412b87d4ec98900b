//! Chat timestamps and timing metrics (SPEC 6), kept as accumulators updated by events so that
//! replay rebuilds them exactly. Durations are derived on read.

use serde::{Deserialize, Serialize};

use super::ids::{Span, Timestamp};
use super::status::AuthorKind;

/// Timestamps and running totals of one chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metrics {
    /// The chat was created (or, for a split-off chat, the reactivation it was split from).
    pub created_at: Timestamp,
    /// The chat last entered a line queue (active with nobody responsible).
    pub queued_at: Option<Timestamp>,
    /// An operator first became responsible.
    pub taken_at: Option<Timestamp>,
    /// The first operator message.
    pub first_response_at: Option<Timestamp>,
    /// The first client or operator message.
    pub first_message_at: Option<Timestamp>,
    /// The last client or operator message.
    pub last_message_at: Option<Timestamp>,
    /// The last time an operator finished (or force-finished) the chat.
    pub operator_closed_at: Option<Timestamp>,
    /// The chat became finished (cleared while it is reactivated).
    pub finished_at: Option<Timestamp>,
    /// The last change of any kind.
    pub updated_at: Timestamp,
    /// The first client message.
    pub first_client_message_at: Option<Timestamp>,
    /// The first operator message that answered a client message.
    pub first_client_answer_at: Option<Timestamp>,
    /// The oldest client message not answered by an operator yet.
    pub waiting_since: Option<Timestamp>,
    /// First and last auto-reply (bot) message sent before the first operator message.
    pub bot_span: Option<(Timestamp, Timestamp)>,
    /// Number of client-message → operator-reply intervals.
    pub responses: u32,
    /// Sum of those intervals.
    pub total_response: Span,
    /// Longest of those intervals.
    pub max_response: Span,
}

/// The derived SPEC 6 durations, `None` while undefined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Durations {
    /// created → first operator reply.
    pub wait_first_response: Option<Span>,
    /// created → first responsible.
    pub time_to_take: Option<Span>,
    /// created → operator finish.
    pub time_to_operator_close: Option<Span>,
    /// first → last message.
    pub duration: Option<Span>,
    /// first client message → first operator answer, or → finish if none.
    pub first_message_response: Option<Span>,
    /// first auto-reply before the first operator message → that operator message (or the last
    /// such auto-reply when no operator has written).
    pub bot_time: Option<Span>,
    /// Sum of client-message → operator-reply intervals.
    pub total_response: Option<Span>,
    /// Mean of those intervals.
    pub avg_response: Option<Span>,
    /// Longest of those intervals.
    pub max_response: Option<Span>,
}

impl Metrics {
    /// Fresh metrics of a chat created at `at`.
    pub fn new(at: Timestamp) -> Self {
        Self {
            created_at: at,
            queued_at: None,
            taken_at: None,
            first_response_at: None,
            first_message_at: None,
            last_message_at: None,
            operator_closed_at: None,
            finished_at: None,
            updated_at: at,
            first_client_message_at: None,
            first_client_answer_at: None,
            waiting_since: None,
            bot_span: None,
            responses: 0,
            total_response: Span(0),
            max_response: Span(0),
        }
    }

    /// A client or operator message (notes and automated messages do not count).
    pub fn on_message(&mut self, author: AuthorKind, at: Timestamp) {
        match author {
            AuthorKind::Client => {
                self.first_client_message_at.get_or_insert(at);
                self.waiting_since.get_or_insert(at);
            }
            AuthorKind::Operator => {
                self.first_response_at.get_or_insert(at);
                if let Some(since) = self.waiting_since.take() {
                    let interval = at.since(since);
                    self.first_client_answer_at.get_or_insert(at);
                    self.responses += 1;
                    self.total_response = self.total_response + interval;
                    self.max_response = self.max_response.max(interval);
                }
            }
            AuthorKind::Bot | AuthorKind::System => return,
        }
        self.first_message_at.get_or_insert(at);
        self.last_message_at = Some(at);
    }

    /// A rule's auto-reply: counts towards `bot_time` until the first operator message.
    pub fn on_auto_reply(&mut self, at: Timestamp) {
        if self.first_response_at.is_none() {
            self.bot_span = Some(self.bot_span.map_or((at, at), |(first, _)| (first, at)));
        }
    }

    /// An operator became responsible.
    pub fn on_taken(&mut self, at: Timestamp) {
        self.taken_at.get_or_insert(at);
    }

    /// Folds the metrics of a chat merged into this one (SPEC 3.1): this chat keeps its firsts,
    /// takes the later chat's lasts and adds up the response intervals.
    pub fn absorb(&mut self, later: &Metrics) {
        self.taken_at = self.taken_at.or(later.taken_at);
        self.first_response_at = self.first_response_at.or(later.first_response_at);
        self.first_message_at = self.first_message_at.or(later.first_message_at);
        self.last_message_at = later.last_message_at.or(self.last_message_at);
        self.first_client_message_at = self.first_client_message_at.or(later.first_client_message_at);
        self.first_client_answer_at = self.first_client_answer_at.or(later.first_client_answer_at);
        // An unanswered question of the earlier chat is still waiting unless the later chat
        // answered something; then the later chat's own wait (if any) is the one that counts.
        self.waiting_since = if later.responses > 0 {
            later.waiting_since
        } else {
            self.waiting_since.or(later.waiting_since)
        };
        self.bot_span = self.bot_span.or(later.bot_span);
        self.responses += later.responses;
        self.total_response = self.total_response + later.total_response;
        self.max_response = self.max_response.max(later.max_response);
    }

    /// The SPEC 6 durations.
    pub fn durations(&self) -> Durations {
        let from_created = |t: Option<Timestamp>| t.map(|t| t.since(self.created_at));
        let bot_time = self.bot_span.map(|(first, last)| match self.first_response_at {
            Some(op) if op >= first => op.since(first),
            _ => last.since(first),
        });
        let first_message_response = self
            .first_client_message_at
            .and_then(|first| self.first_client_answer_at.or(self.finished_at).map(|end| end.since(first)));
        let answered = self.responses > 0;
        Durations {
            wait_first_response: from_created(self.first_response_at),
            time_to_take: from_created(self.taken_at),
            time_to_operator_close: from_created(self.operator_closed_at),
            duration: self.first_message_at.zip(self.last_message_at).map(|(a, b)| b.since(a)),
            first_message_response,
            bot_time,
            total_response: answered.then_some(self.total_response),
            avg_response: answered.then(|| Span(self.total_response.0 / i64::from(self.responses))),
            max_response: answered.then_some(self.max_response),
        }
    }
}
