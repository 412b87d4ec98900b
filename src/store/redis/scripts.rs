//! The Lua scripts every write runs as (one script = one atomic step in Redis), the commands
//! that invoke them, and their replies. A script checks everything before it writes anything,
//! so a refused write leaves no trace.
//!
//! Scripts are sent in full with `EVAL` (Redis caches them by digest): no `NOSCRIPT` to recover
//! from after a restart or a failover.

use ::redis::{Cmd, Value};

use super::record::{
    message_key_field, message_keys_key, position_key, EntryId, CHANGES, CHAT_SEQ, EPOCH, KIND_COMMIT,
    KIND_OUTBOX, OUTBOX_IDS,
};
use crate::store::{Commit, StoreError};

/// The commit script.
///
/// KEYS: 1 the conversation's position (the fencing token), 2 its message idempotency keys,
/// 3 the outbox ids, 4 the chat number counter, 5 the change stream, 6 the cluster's leader
/// epoch.
/// ARGV: 1 expected position, 2 new position, 3 node, 4 body, 5 highest chat number of the
/// commit's rows (0: none), 6 the writer's leader epoch (0: not fenced by epoch), 7 how many
/// message keys follow, then the message keys, then the outbox ids.
///
/// Replies `{"ok", <entry id>}`, `{"conflict", <stored position>}`, `{"fenced", <epoch>}` (the
/// writer no longer leads) or `{"duplicate", <what>}`.
const COMMIT: &str = r#"
if ARGV[6] ~= '0' then
  local epoch = redis.call('GET', KEYS[6]) or '0'
  if epoch ~= ARGV[6] then
    return {'fenced', epoch}
  end
end
local stored = tonumber(redis.call('GET', KEYS[1]) or '0')
if stored ~= tonumber(ARGV[1]) then
  return {'conflict', tostring(stored)}
end
local nkeys = tonumber(ARGV[7])
local seen = {}
for i = 8, 7 + nkeys do
  local k = ARGV[i]
  if seen['k' .. k] or redis.call('HEXISTS', KEYS[2], k) == 1 then
    return {'duplicate', 'message key ' .. k}
  end
  seen['k' .. k] = true
end
for i = 8 + nkeys, #ARGV do
  local id = ARGV[i]
  if seen['o' .. id] or redis.call('HEXISTS', KEYS[3], id) == 1 then
    return {'duplicate', 'webhook delivery ' .. id}
  end
  seen['o' .. id] = true
end
redis.call('SET', KEYS[1], ARGV[2])
for i = 8, 7 + nkeys do
  redis.call('HSET', KEYS[2], ARGV[i], '1')
end
for i = 8 + nkeys, #ARGV do
  redis.call('HSET', KEYS[3], ARGV[i], '1')
end
local top = tonumber(ARGV[5])
if top > 0 and tonumber(redis.call('GET', KEYS[4]) or '0') < top then
  redis.call('SET', KEYS[4], ARGV[5])
end
return {'ok', redis.call('XADD', KEYS[5], '*', 'kind', 'commit', 'node', ARGV[3], 'body', ARGV[4])}
"#;

/// The outbox change script.
///
/// KEYS: 1 the outbox ids, 2 the change stream. ARGV: 1 node, 2 body, 3 the id of a delivered
/// row (removed from the ids) or empty. Replies `{"ok", <entry id>}`.
const OUTBOX: &str = r#"
if ARGV[3] ~= '' then
  redis.call('HDEL', KEYS[1], ARGV[3])
end
return {'ok', redis.call('XADD', KEYS[2], '*', 'kind', 'outbox', 'node', ARGV[1], 'body', ARGV[2])}
"#;

/// The invocation of the commit script for `commit`, whose stored body is `body`.
pub(super) fn commit(commit: &Commit, node: &str, body: &str, epoch: u64) -> Cmd {
    let keys: Vec<String> = commit.messages.iter().filter_map(message_key_field).collect();
    let top_chat = commit.chats.iter().map(|c| c.id.0).max().unwrap_or(0);
    let mut cmd = ::redis::cmd("EVAL");
    cmd.arg(COMMIT)
        .arg(6)
        .arg(position_key(&commit.conversation))
        .arg(message_keys_key(&commit.conversation))
        .arg(OUTBOX_IDS)
        .arg(CHAT_SEQ)
        .arg(CHANGES)
        .arg(EPOCH)
        .arg(commit.position)
        .arg(commit.end())
        .arg(node)
        .arg(body)
        .arg(top_chat)
        .arg(epoch)
        .arg(keys.len())
        .arg(keys);
    for outbound in &commit.outbox {
        cmd.arg(&outbound.id);
    }
    debug_assert_eq!(KIND_COMMIT, "commit", "the script writes this kind");
    cmd
}

/// The invocation of the outbox script; `delivered` names the row a delivery removes.
pub(super) fn outbox(node: &str, body: &str, delivered: Option<&str>) -> Cmd {
    debug_assert_eq!(KIND_OUTBOX, "outbox", "the script writes this kind");
    let mut cmd = ::redis::cmd("EVAL");
    cmd.arg(OUTBOX).arg(2).arg(OUTBOX_IDS).arg(CHANGES).arg(node).arg(body).arg(delivered.unwrap_or(""));
    cmd
}

/// Why a script refused to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Refusal {
    /// The conversation's stored position is not the expected one.
    Conflict,
    /// The writer's leader epoch is not the cluster's: it no longer leads.
    Fenced,
    /// A message key or outbox id is already in the record.
    Duplicate(String),
}

/// A script's reply: the new entry, or why nothing was written.
pub(super) fn reply(value: &Value) -> Result<Result<EntryId, Refusal>, StoreError> {
    let parts: Vec<String> = ::redis::from_redis_value_ref(value)
        .map_err(|e| StoreError::Unavailable(format!("unexpected script reply {value:?}: {e}")))?;
    match parts.as_slice() {
        [ok, id] if ok == "ok" => Ok(Ok(id.parse()?)),
        [conflict, _] if conflict == "conflict" => Ok(Err(Refusal::Conflict)),
        [fenced, _] if fenced == "fenced" => Ok(Err(Refusal::Fenced)),
        [duplicate, what] if duplicate == "duplicate" => Ok(Err(Refusal::Duplicate(what.clone()))),
        _ => Err(StoreError::Unavailable(format!("unexpected script reply {parts:?}"))),
    }
}
