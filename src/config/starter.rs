//! The starting configuration `frontline init` writes: a commented file with two lines, four
//! operators (one supervisor), a `web` realtime channel, an `email` channel and two rules, with
//! the secrets filled in by the caller. Pure text: choosing the secrets and writing the file are
//! the caller's job. A test keeps it valid and free of warnings other than the email channel's
//! missing `webhook_url`, which the file explains.

/// What the starting configuration is made from.
#[derive(Debug, Clone)]
pub struct Starter<'a> {
    /// `auth.jwt_secret`: random, at least 32 bytes.
    pub jwt_secret: &'a str,
    /// The `email` channel's inbound bearer `token`.
    pub email_token: &'a str,
    /// `listen`.
    pub listen: &'a str,
    /// `data_dir`.
    pub data_dir: &'a str,
}

impl Starter<'_> {
    /// The file's text.
    pub fn render(&self) -> String {
        STARTER_TOML
            .replace("{listen}", &quoted(self.listen))
            .replace("{data_dir}", &quoted(self.data_dir))
            .replace("{jwt_secret}", &quoted(self.jwt_secret))
            .replace("{email_token}", &quoted(self.email_token))
    }
}

/// `text` as a TOML string literal (quoted and escaped).
fn quoted(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

/// The template; `{name}` marks a value [`Starter::render`] fills in as a TOML string.
const STARTER_TOML: &str = r#"# frontline configuration, written by `frontline init`.
# Check it with `frontline check --config FILE`, run it with `frontline serve --config FILE`.
# Every key is listed in the README (Configuration); durations are seconds (0.5 works too).
# Environment variables (FRONTLINE_LISTEN, ...) override this file, and flags override both.

# Where the router listens. Keep it on loopback behind a TLS-terminating proxy; "0.0.0.0:8080"
# listens on every interface.
listen = {listen}
# The embedded store (SQLite); created at the first start.
data_dir = {data_dir}

[auth]
# Signs operator tokens (HS256): anyone who knows it can sign in as any operator. Generated at
# random by `frontline init`; keep it out of version control.
jwt_secret = {jwt_secret}
# max_token_ttl = 604800     # longest validity an operator token may claim (7 days)

[timeouts]
inactivity = 600             # an assigned chat with no message for this long is finished
voting = 600                 # a chat waiting for the client's rating is finished after this
offer = 30                   # an offer not accepted in time goes to the next operator
presence_grace = 30          # an operator whose last socket dropped stays online this long
# auto_close_pending = 86400 # finished `pending` chats become `closed` after a day

[rating]
enabled = true               # ask clients to rate a chat finished as `closed`

[dialogs]
request_types = ["support", "refund"]   # values operators may set on a chat
# reasons = ["feature unclear"]
# components = ["billing"]

# Support lines: line 1 answers every chat in real time, line 2 (experts) is brought in.
[[lines]]
id = "line1"
strategy = "round_robin"     # broadcast | round_robin | least_loaded | longest_idle
overflow_after = 120         # a chat waiting this long is also offered to line 2
overflow_to = "line2"
# hours = ["mon-fri 09:00-18:00", "sat 10:00-14:00"]   # working hours, for rules (default: always)
# timezone = "Europe/Kyiv"   # the IANA time zone of the hours (default UTC)

[[lines]]
id = "line2"
strategy = "broadcast"       # every online line-2 operator sees new chats; one takes it

# Operators sign in with a token: `frontline token --operator alice --config FILE`.
[[operators]]
id = "alice"
name = "Alice"
lines = ["line1"]
capacity = 5                 # chats at once
role = "operator"            # operator | supervisor | admin

[[operators]]
id = "bob"
name = "Bob"
lines = ["line1"]
capacity = 5

[[operators]]
id = "xena"
name = "Xena"
lines = ["line2"]
capacity = 3

[[operators]]
id = "sam"
name = "Sam"
lines = ["line1", "line2"]
capacity = 10
role = "supervisor"          # sees every chat and operator presence

# The chat widget on your site: clients connect to /ws/client?channel=web.
[[channels]]
id = "web"
kind = "realtime"
line = "line1"
# Without a secret, a client is proven by the conversation token its first welcome carries.
# With one, your site's backend signs client ids: sig = hex(hmac_sha256(secret, client_id)).
# secret = "..."

# Email: your mail gateway posts incoming mail to /api/v1/channels/email/messages with this
# token as a bearer, and receives operators' replies at webhook_url.
[[channels]]
id = "email"
kind = "email"
line = "line1"
token = {email_token}
# webhook_url = "https://mail-gateway.example.com/frontline"   # replies go nowhere until set

# Rules run in order on every client message (`incoming`) or change (`changed`).
[[rules]]
name = "email auto-reply"
on = "incoming"
when = { channel = "email" }
then = [ { auto_reply = "Thank you for writing. We answer emails within one working day.", only_first_chat = true } ]

[[rules]]
name = "line 2 hands back to line 1"
on = "changed"
when = { author = "operator", responsible_line = "line2", status_before = ["open", "pending"] }
then = [ { finish = "pending" }, { assign_line = "line1" }, { stop = true } ]

# With line 1's hours set, clients who write outside them can be told so; and within them,
# when no operator of the line is online (operators_online = 0).
# [[rules]]
# name = "after hours"
# on = "incoming"
# when = { author = "client", within_hours = false }
# then = [ { auto_reply = "We are closed now. Leave your question and we will answer when we are back.", only_first_chat = false }, { stop = true } ]
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, Overrides};

    fn starter() -> String {
        Starter {
            jwt_secret: &"ab".repeat(32),
            email_token: "0123456789abcdef",
            listen: "127.0.0.1:8080",
            data_dir: "./frontline-data",
        }
        .render()
    }

    #[test]
    fn the_starting_configuration_is_valid_with_the_promised_setup() {
        let config = Config::from_toml_str(&starter(), &Overrides::default())
            .unwrap_or_else(|e| panic!("{e}\n{}", starter()));
        let s = &config.settings;
        assert_eq!(s.lines.len(), 2);
        assert_eq!(s.operators.len(), 4);
        let supervisors = s.operators.values().filter(|o| o.role == crate::domain::Role::Supervisor);
        assert_eq!(supervisors.count(), 1);
        let kinds: Vec<(&str, &str)> =
            s.channels.values().map(|c| (c.id.as_str(), c.kind.as_str())).collect();
        assert_eq!(kinds, [("web", "realtime"), ("email", "email")]);
        assert_eq!(s.rules.len(), 2);
        assert_eq!(config.auth.jwt_secret, "ab".repeat(32));
        assert_eq!(s.channels.values().nth(1).and_then(|c| c.token.as_deref()), Some("0123456789abcdef"));
    }

    #[test]
    fn the_commented_working_hours_and_after_hours_rule_are_valid_once_uncommented() {
        let text = starter();
        let mut uncommented = text.replace("# hours = ", "hours = ").replace("# timezone = ", "timezone = ");
        let rule = text.split("# [[rules]]").nth(1).unwrap();
        uncommented =
            uncommented.replace(rule, &rule.replace("\n# ", "\n")).replace("# [[rules]]", "[[rules]]");
        let config = Config::from_toml_str(&uncommented, &Overrides::default())
            .unwrap_or_else(|e| panic!("{e}\n{uncommented}"));
        let s = &config.settings;
        let line1 = &s.lines[&crate::domain::LineId::from("line1")];
        assert_eq!(
            line1.hours.as_ref().map(ToString::to_string).as_deref(),
            Some("mon-fri 09:00-18:00, sat 10:00-14:00 Europe/Kyiv")
        );
        assert_eq!(s.rules.len(), 3);
        assert_eq!((s.rules[2].name.as_str(), s.rules[2].when.within_hours), ("after hours", Some(false)));
    }

    #[test]
    fn values_are_written_as_toml_strings() {
        let text = Starter {
            jwt_secret: &"x".repeat(40),
            email_token: "t",
            listen: "0.0.0.0:9000",
            data_dir: r#"C:\data "quoted""#,
        }
        .render();
        let config = Config::from_toml_str(&text, &Overrides::default()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(config.listen, "0.0.0.0:9000");
        assert_eq!(config.data_dir, std::path::PathBuf::from(r#"C:\data "quoted""#));
        for placeholder in ["{listen}", "{data_dir}", "{jwt_secret}", "{email_token}"] {
            assert!(!text.contains(placeholder), "{placeholder} left in:\n{text}");
        }
    }
}
