//! Conversation snapshots as every backend stores them: the state after the first `n` events,
//! as JSON in a versioned envelope `{"v":2,"state":{...}}`. A snapshot is only a shortcut: the
//! events before it stay stored, so one that cannot be read (an older version, a damaged body)
//! is ignored and the conversation is replayed from its first event instead.
//!
//! Bump [`VERSION`] whenever the serialized shape of [`Conversation`] changes in a way an older
//! snapshot would not read back exactly.

use serde::{Deserialize, Serialize};

use crate::domain::Conversation;

/// The envelope version this build writes and reads.
/// 2: chats carry `assigned_at`, `returned_from`, `unanswered_since` and a reassign deadline.
pub const VERSION: u32 = 2;

/// Write a snapshot every this many events: activation then replays at most this many.
pub const EVERY: u64 = 256;

#[derive(Serialize)]
struct Out<'a> {
    v: u32,
    state: &'a Conversation,
}

#[derive(Deserialize)]
struct In {
    v: u32,
    state: serde_json::Value,
}

/// The stored body of `state`.
pub fn encode(state: &Conversation) -> Result<String, serde_json::Error> {
    serde_json::to_string(&Out { v: VERSION, state })
}

/// The state in a stored body; `None` when it is of another version or unreadable (the caller
/// replays the events instead).
pub fn decode(body: &str) -> Option<Conversation> {
    let stored: In = serde_json::from_str(body).ok()?;
    if stored.v != VERSION {
        return None;
    }
    serde_json::from_value(stored.state).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::tests::active_open;

    #[test]
    fn a_snapshot_reads_back_as_the_state_it_was_written_from() {
        let w = active_open();
        let body = encode(&w.conv).unwrap();
        assert!(body.starts_with("{\"v\":2,"), "{body}");
        assert_eq!(decode(&body), Some(w.conv));
    }

    #[test]
    fn a_snapshot_of_another_version_or_damaged_is_ignored() {
        let w = active_open();
        let body = encode(&w.conv).unwrap();
        assert_eq!(decode(&body.replacen("\"v\":2", "\"v\":1", 1)), None, "an older version");
        assert_eq!(decode(&body.replacen("\"v\":2", "\"v\":3", 1)), None, "a newer version");
        assert_eq!(decode(&body[..body.len() / 2]), None);
        assert_eq!(decode("{\"v\":2,\"state\":{\"id\":42}}"), None);
    }
}
