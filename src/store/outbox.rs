//! The webhook outbox as the store sees it: [`Outbound`] deliveries written with the commit that
//! decided them (so a delivery is exactly as durable as the message it carries), the
//! [`OutboundRow`]s the deliverer reads back until a receiver accepts them, and the
//! [`ParkedRow`]s it gave up on (kept, with why, until an admin re-queues them). What goes into a
//! payload is decided by `crate::webhook::outbound`, and when a row is parked by
//! `crate::webhook::policy`; the store only keeps and schedules rows.

use crate::domain::{ChannelId, ConversationId, Timestamp};

/// One webhook delivery decided by a commit.
#[derive(Debug, Clone, PartialEq)]
pub struct Outbound {
    /// Deterministic key: `<conversation>/<position>` (one delivery per journal event at most).
    pub id: String,
    /// The conversation.
    pub conversation: ConversationId,
    /// Journal position of the event it delivers: orders the deliveries of a conversation.
    pub position: u64,
    /// The channel whose webhook receives it.
    pub channel: ChannelId,
    /// The channel's `webhook_url` when the delivery was decided.
    pub url: String,
    /// The JSON body to POST.
    pub payload: serde_json::Value,
    /// When it was decided (the event's time); due at once.
    pub created_at: Timestamp,
}

/// A stored delivery not yet accepted by its receiver.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboundRow {
    /// Deterministic key (see [`Outbound::id`]).
    pub id: String,
    /// The conversation.
    pub conversation: ConversationId,
    /// Journal position of the event it delivers.
    pub position: u64,
    /// The channel whose webhook receives it.
    pub channel: ChannelId,
    /// The channel's `webhook_url` when the delivery was decided (for the record: deliveries go
    /// to the URL configured now).
    pub url: String,
    /// The JSON body to POST.
    pub payload: serde_json::Value,
    /// Failed attempts so far.
    pub attempts: u32,
    /// Not to be attempted before this time.
    pub next_at: Timestamp,
    /// When it was decided.
    pub created_at: Timestamp,
    /// When it last entered the queue: when it was decided, or re-queued after being parked
    /// (its age, for `max_age`, counts from here).
    pub queued_at: Timestamp,
}

/// A delivery the deliverer gave up on: it keeps its payload, is no longer attempted and no
/// longer holds back the later deliveries of its conversation, until it is re-queued.
#[derive(Debug, Clone, PartialEq)]
pub struct ParkedRow {
    /// Deterministic key (see [`Outbound::id`]).
    pub id: String,
    /// The conversation.
    pub conversation: ConversationId,
    /// Journal position of the event it delivers.
    pub position: u64,
    /// The channel whose webhook was to receive it.
    pub channel: ChannelId,
    /// The JSON body.
    pub payload: serde_json::Value,
    /// Failed attempts before it was parked.
    pub attempts: u32,
    /// When it was decided.
    pub created_at: Timestamp,
    /// When it was parked.
    pub parked_at: Timestamp,
    /// Why: the last attempt's error and what ran out, or why it cannot be attempted at all.
    pub reason: String,
}

/// One page of parked deliveries, oldest parked first.
#[derive(Debug, Clone, PartialEq)]
pub struct ParkedPage {
    /// The rows.
    pub items: Vec<ParkedRow>,
    /// Cursor of the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}
