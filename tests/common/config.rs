//! Test configurations: the shared base setup as TOML, edits on it as a TOML table, operator
//! JWTs, and URL encoding.

use serde_json::json;

/// The JWT secret of [`base_config`].
pub const SECRET: &str = "test-secret-0123456789-abcdef-0123456789";

const BASE: &str = r#"
listen = "127.0.0.1:0"

[timeouts]
inactivity = 600
voting = 600
offer = 30
presence_grace = 30

[rating]
enabled = true

[auth]
jwt_secret = "test-secret-0123456789-abcdef-0123456789"

[[channels]]
id = "web"
kind = "realtime"
line = "line1"

[[channels]]
id = "mail"
kind = "email"
line = "line1"
token = "mail-token"

[[lines]]
id = "line1"
strategy = "round_robin"

[[lines]]
id = "line2"
strategy = "broadcast"

[[operators]]
id = "alice"
name = "Alice"
lines = ["line1"]
capacity = 5
role = "operator"

[[operators]]
id = "bob"
name = "Bob"
lines = ["line1"]
capacity = 5
role = "operator"

[[operators]]
id = "xena"
name = "Xena"
lines = ["line2"]
capacity = 5
role = "operator"

[[operators]]
id = "sam"
name = "Sam"
lines = ["line1", "line2"]
capacity = 50
role = "supervisor"
"#;

/// The shared test setup (as the Python harness): port 0; channels `web` (realtime, line1) and
/// `mail` (email, line1, token `mail-token`); lines `line1` round_robin, `line2` broadcast;
/// operators alice, bob (line1), xena (line2), sam (line1+line2, supervisor, capacity 50).
pub fn base_config() -> String {
    BASE.to_string()
}

/// [`base_config`] changed by `edit` on its TOML table, e.g.
/// `config_with(|t| { set(t, "timeouts.inactivity", 0.5.into()); push(t, "channels", "id = \"tg\"...") })`.
pub fn config_with(edit: impl FnOnce(&mut toml::Table)) -> String {
    let mut table: toml::Table = BASE.parse().unwrap();
    edit(&mut table);
    toml::to_string(&table).unwrap()
}

/// Sets the value at a dotted path (`"limits.max_text_chars"`), creating tables on the way.
pub fn set(table: &mut toml::Table, path: &str, value: toml::Value) {
    let mut parts: Vec<&str> = path.split('.').collect();
    let last = parts.pop().unwrap();
    let mut at = table;
    for part in parts {
        at = at
            .entry(part)
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
            .as_table_mut()
            .unwrap_or_else(|| panic!("{part} in {path} is not a table"));
    }
    at.insert(last.to_string(), value);
}

/// Appends a table, written as TOML text, to the array of tables `key` (`channels`, `rules`...).
pub fn push(table: &mut toml::Table, key: &str, item: &str) {
    let item: toml::Table = item.parse().unwrap_or_else(|e| panic!("bad TOML for {key}: {e}"));
    table
        .entry(key)
        .or_insert_with(|| toml::Value::Array(Vec::new()))
        .as_array_mut()
        .unwrap_or_else(|| panic!("{key} is not an array"))
        .push(toml::Value::Table(item));
}

/// A JWT for `sub` with `role` (`operator`, `supervisor`, `admin`), signed with [`SECRET`],
/// valid for an hour.
pub fn token(sub: &str, role: &str) -> String {
    let role: frontline::domain::Role = serde_json::from_value(json!(role)).unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    frontline::auth::issue(SECRET, sub, role, now, 3600).unwrap()
}

/// Percent-encodes `s` for a URL path segment or query value.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
