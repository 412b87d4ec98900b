//! Shared fixtures of the configuration tests: PROTOCOL 2's example verbatim, a small valid base
//! configuration, and helpers to parse text and edit it.

use crate::config::{Config, ConfigError, Overrides};

/// PROTOCOL 2's example, copied verbatim (commented lines stay commented), except its
/// `jwt_secret = "change-me"`: secrets under 32 bytes are refused, so it is longer here (as in
/// `deploy/PROTOCOL.md`).
pub(super) const PROTOCOL_EXAMPLE: &str = r#"
listen = "127.0.0.1:8080"
data_dir = "./frontline-data"
# redis_url = "redis://127.0.0.1:6379"
# node_id = "n1"

[timeouts]                # seconds
inactivity = 600          # auto-finish of an active chat (SPEC 2.2)
voting = 600              # closing -> finished without a vote (SPEC 2.3)
offer = 30                # offer strategies (SPEC 4)
presence_grace = 30       # dropped socket -> offline (SPEC 4)
# auto_close_pending = 86400

[rating]
enabled = true            # default for finish(closed) on non-email channels; a finish may override
# labels = ["Bad", "Normal", "Excellent"]
# thanks_text = "Thank you for your feedback!"

[dialogs]                 # allowed values of chat fields (SPEC 6, seed 004)
request_types = ["support", "refund"]
reasons = []              # e.g. ["feature unclear", "feature limited"]
components = []

[auth]
jwt_secret = "change-me-to-32-or-more-random-bytes"

[limits]
max_frame_bytes = 65536
max_text_chars = 8000
messages_per_second = 20  # per socket, every frame counted when read; burst up to 2x

[[channels]]
id = "web"                # [a-z0-9_-]{1,32}
kind = "realtime"         # or "email" (no voting)
line = "line1"
# secret = "..."          # identity validation: sig = hex(hmac_sha256(secret, client_id))
# token = "..."           # bearer token of its HTTP inbound endpoint
# webhook_url = "http://127.0.0.1:9000/out"   # outbound delivery of operator messages
# reopen_closed = false

[[lines]]
id = "line1"
strategy = "round_robin"  # broadcast | round_robin | least_loaded | longest_idle
# overflow_after = 60
# overflow_to = "line2"

[[operators]]
id = "alice"
name = "Alice"
lines = ["line1"]
capacity = 5
role = "operator"         # operator | supervisor | admin

[[rules]]
name = "line 2 hands back to line 1"
on = "changed"            # incoming | changed
when = { author = "operator", responsible_line = "line2", status_before = ["open", "pending"] }
then = [ { finish = "pending" }, { assign_line = "line1" }, { stop = true } ]
# other actions: { assign_operator = "alice" }, { set_status = "on_hold" }, { pin = true },
# { unpin = true }, { auto_reply = "text", only_first_chat = true }  (only_first_chat defaults to true)
"#;

/// The example names `line2` in its rule but only defines `line1`; appending this makes it valid.
pub(super) const LINE2: &str = "\n[[lines]]\nid = \"line2\"\nstrategy = \"broadcast\"\n";

/// The example with the optional lines uncommented, plus [`LINE2`] (the overflow target).
pub(super) fn protocol_example_uncommented() -> String {
    const KEYS: [&str; 9] = [
        "auto_close_pending",
        "labels",
        "thanks_text",
        "secret",
        "token",
        "webhook_url",
        "reopen_closed",
        "overflow_after",
        "overflow_to",
    ];
    let mut out = String::new();
    for line in PROTOCOL_EXAMPLE.lines() {
        let uncommented =
            line.strip_prefix("# ").filter(|rest| KEYS.iter().any(|k| rest.starts_with(&format!("{k} = "))));
        out.push_str(uncommented.unwrap_or(line));
        out.push('\n');
    }
    out + LINE2
}

/// A small valid configuration the error tests edit one key at a time.
pub(super) const BASE: &str = r#"listen = "127.0.0.1:0"

[timeouts]
inactivity = 600

[auth]
jwt_secret = "test-secret-0123456789-abcdef-0123456789"

[[channels]]
id = "web"
kind = "realtime"
line = "line1"

[[channels]]
id = "mail"
kind = "email"
line = "line2"

[[lines]]
id = "line1"
strategy = "round_robin"

[[lines]]
id = "line2"
strategy = "broadcast"

[[operators]]
id = "alice"
lines = ["line1"]
capacity = 5

[[operators]]
id = "xena"
lines = ["line2"]
capacity = 5
role = "supervisor"

[[rules]]
name = "greet"
on = "incoming"
when = { channel = "web" }
then = [ { auto_reply = "hello" }, { assign_operator = "alice" } ]
"#;

/// Parses `text` without overrides.
pub(super) fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::from_toml_str(text, &Overrides::default())
}

/// [`BASE`] with its one occurrence of `from` replaced by `to`.
pub(super) fn base_with(from: &str, to: &str) -> String {
    assert_eq!(BASE.matches(from).count(), 1, "{from:?} must occur once in BASE");
    BASE.replacen(from, to, 1)
}

/// The error message `text` is rejected with.
pub(super) fn rejection(text: &str) -> String {
    match parse(text) {
        Ok(_) => panic!("configuration was accepted:\n{text}"),
        Err(e) => e.to_string(),
    }
}

/// Asserts that `text` is rejected with a message containing every one of `parts`.
pub(super) fn assert_rejected(text: &str, parts: &[&str]) {
    let message = rejection(text);
    for part in parts {
        assert!(message.contains(part), "message {message:?} lacks {part:?}");
    }
}
