//! The webhook outbox as the store sees it: [`Outbound`] deliveries written with the commit that
//! decided them (so a delivery is exactly as durable as the message it carries), and the
//! [`OutboundRow`]s the deliverer reads back until a receiver accepts them. What goes into a
//! payload is decided by `crate::webhook::outbound`; the store only keeps and schedules rows.

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
    /// The URL stored with it.
    pub url: String,
    /// The JSON body to POST.
    pub payload: serde_json::Value,
    /// Failed attempts so far.
    pub attempts: u32,
    /// Not to be attempted before this time.
    pub next_at: Timestamp,
    /// When it was decided.
    pub created_at: Timestamp,
}
