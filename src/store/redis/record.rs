//! What the change stream holds: stream entry ids ([`EntryId`]), the kind and JSON body of an
//! entry (a [`Change`]: its records are shared with the embedded journal, see
//! `store::change`), and the Redis keys. Pure: no IO.

use std::fmt;
use std::str::FromStr;

use crate::domain::{ConversationId, MessageView};
pub(super) use crate::store::change::{Change, CommitRecord, OutboxChange};
use crate::store::StoreError;

/// The global change stream: every commit and outbox change, in the order Redis took them.
pub(super) const CHANGES: &str = "fl:changes";
/// The cluster's leader epoch (`INCR`ed by each new leader; see `crate::cluster`).
pub(super) const EPOCH: &str = "fl:epoch";
/// The global chat number counter (`INCRBY` hands out blocks).
pub(super) const CHAT_SEQ: &str = "fl:chat_seq";
/// The global set (a hash, id -> 1) of the outbox row ids in the record: pending and parked
/// deliveries. A commit reusing one is refused before anything is written.
pub(super) const OUTBOX_IDS: &str = "fl:outbox";

/// The conversation's journal position (events written): the fencing token.
pub(super) fn position_key(conversation: &ConversationId) -> String {
    format!("fl:{{{conversation}}}:pos")
}

/// The conversation's message idempotency keys (a hash, `[author kind, author id, key]` -> 1).
pub(super) fn message_keys_key(conversation: &ConversationId) -> String {
    format!("fl:{{{conversation}}}:keys")
}

/// The hash field of a message idempotency key (a JSON array: unambiguous whatever the ids hold).
pub(super) fn message_key_field(message: &MessageView) -> Option<String> {
    let key = message.client_msg_id.as_deref()?;
    serde_json::to_string(&(message.author.kind.as_str(), &message.author.id, key)).ok()
}

/// A stream entry id, `<milliseconds>-<sequence>`; ordered as Redis orders them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) struct EntryId {
    ms: u64,
    seq: u64,
}

impl EntryId {
    /// Before every entry: where reading the stream from scratch starts.
    pub(super) const ZERO: EntryId = EntryId { ms: 0, seq: 0 };
}

impl FromStr for EntryId {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<Self, StoreError> {
        let bad = || StoreError::Corrupt(format!("bad stream entry id {s:?}"));
        let (ms, seq) = s.split_once('-').ok_or_else(bad)?;
        Ok(EntryId { ms: ms.parse().map_err(|_| bad())?, seq: seq.parse().map_err(|_| bad())? })
    }
}

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// The `kind` field of a commit entry.
pub(super) const KIND_COMMIT: &str = "commit";
/// The `kind` field of an outbox change entry.
pub(super) const KIND_OUTBOX: &str = "outbox";

/// Decodes the body of an entry of `kind`.
pub(super) fn decode(kind: &str, body: &str) -> Result<Change, StoreError> {
    match kind {
        KIND_COMMIT => Change::decode_commit(body),
        KIND_OUTBOX => Change::decode_outbox(body),
        other => Err(StoreError::Corrupt(format!("unknown change stream entry kind {other:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AuthorKind, AuthorView, Timestamp};
    use crate::store::conformance::support::{client_keyed, Script};

    #[test]
    fn entry_ids_order_numerically_and_read_back() {
        let a: EntryId = "9-5".parse().unwrap();
        let b: EntryId = "10-0".parse().unwrap();
        assert!(EntryId::ZERO < a && a < b, "by milliseconds first, as numbers");
        assert!(a < "9-6".parse().unwrap());
        assert_eq!(b.to_string(), "10-0");
        for bad in ["", "10", "a-1", "1-", "-1"] {
            assert!(bad.parse::<EntryId>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn conversation_keys_share_a_hash_tag() {
        let c = ConversationId::new("web", "c1");
        assert_eq!(position_key(&c), "fl:{web:c1}:pos");
        assert_eq!(message_keys_key(&c), "fl:{web:c1}:keys");
    }

    #[tokio::test]
    async fn a_commit_reads_back_as_written_and_an_outbox_change_too() {
        let storage = tempfile::tempdir().unwrap();
        let store = crate::store::SqliteStore::open(storage.path()).unwrap();
        let mut s = Script::new("c1");
        let (commit, state) = s.decide(&store, client_keyed("hello", "k1"));
        let commit = commit.with_snapshot(state.clone());
        s.adopt(&commit, state);
        let body = serde_json::to_string(&CommitRecord::of(&commit).unwrap()).unwrap();
        assert_eq!(decode(KIND_COMMIT, &body).unwrap(), Change::Commit(Box::new(commit.clone())));

        // A snapshot that no longer reads back is left out; the rest stays.
        let mut record = CommitRecord::of(&commit).unwrap();
        record.snapshot = Some("{\"v\":1,\"state\":{}}".into());
        let body = serde_json::to_string(&record).unwrap();
        let Change::Commit(back) = decode(KIND_COMMIT, &body).unwrap() else { panic!("not a commit") };
        assert_eq!((back.snapshot.is_none(), back.events == commit.events), (true, true));

        let change =
            OutboxChange::Park { id: "web:c1/3".into(), attempts: 2, at: Timestamp(5), reason: "x".into() };
        let body = serde_json::to_string(&change).unwrap();
        assert_eq!(decode(KIND_OUTBOX, &body).unwrap(), Change::Outbox(change));
        assert!(matches!(decode("other", "{}"), Err(StoreError::Corrupt(_))));
        assert!(matches!(decode(KIND_COMMIT, "{"), Err(StoreError::Corrupt(_))));
    }

    #[test]
    fn message_key_fields_tell_authors_apart() {
        let storage = tempfile::tempdir().unwrap();
        let store = crate::store::SqliteStore::open(storage.path()).unwrap();
        let (commit, _) = Script::new("c1").decide(&store, client_keyed("hello", "k1"));
        let client = commit.messages[0].clone();
        let mut operator = client.clone();
        operator.author = AuthorView { kind: AuthorKind::Operator, id: client.author.id.clone() };
        assert!(message_key_field(&client).is_some());
        assert_ne!(message_key_field(&client), message_key_field(&operator));
        let unkeyed = MessageView { client_msg_id: None, ..client };
        assert_eq!(message_key_field(&unkeyed), None);
    }
}
