//! Risky but valid setups: what `frontline check` warns about (and `serve` logs at start). Pure:
//! a validated [`Config`] in, warnings out, each named by its key like an error. A warning never
//! refuses a configuration; refusing is `build`'s job.

use std::fmt;

use super::check::is_loopback;
use super::demo::DEMO_JWT_SECRET;
use super::model::Config;
use crate::domain::ChannelKind;

/// A risky setting: its key path and why it is risky.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The key with its path, e.g. `channels[1].webhook_url`.
    pub key: String,
    /// What may go wrong, and what to do.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

/// Fewer different characters than this in `auth.jwt_secret` look typed, not generated (a hex
/// secret of 32 random bytes has about 16).
const MIN_DISTINCT_SECRET_CHARS: usize = 8;

/// Every warning about `config`, in file order.
pub fn warnings(config: &Config) -> Vec<Warning> {
    let mut out = Vec::new();
    let warn = |out: &mut Vec<Warning>, key: String, message: String| out.push(Warning { key, message });
    if !config.demo {
        if let Some(why) = weak_secret(&config.auth.jwt_secret) {
            warn(
                &mut out,
                "auth.jwt_secret".into(),
                format!(
                    "{why}: anyone who guesses it can sign in as any operator; use a random one \
                     (e.g. openssl rand -hex 32)"
                ),
            );
        }
    }
    let public = !is_loopback(&config.listen);
    for (i, channel) in config.settings.channels.values().enumerate() {
        let key = format!("channels[{i}]");
        if channel.kind == ChannelKind::Email && channel.webhook_url.is_none() {
            warn(
                &mut out,
                format!("{key}.webhook_url"),
                format!(
                    "not set on email channel {:?}: operators' replies go nowhere (an email client has \
                     no socket to read them on); set it to your mail gateway's endpoint",
                    channel.id.as_str()
                ),
            );
        }
        if public && channel.secret.is_none() {
            warn(
                &mut out,
                format!("{key}.secret"),
                format!(
                    "not set on channel {:?} while listen is {} (not loopback): its clients are proven \
                     only by the conversation tokens the server hands out, so anyone who reaches the \
                     server can open conversations as any new client id; set a secret to require ids \
                     signed by your site's backend",
                    channel.id.as_str(),
                    config.listen
                ),
            );
        }
        if let Some(url) = channel.webhook_url.as_deref().filter(|url| plain_http_to_another_host(url)) {
            warn(
                &mut out,
                format!("{key}.webhook_url"),
                format!(
                    "{url:?} is plain http:// to another machine: every reply crosses the network \
                     unencrypted; use https://"
                ),
            );
        }
    }
    let any_hours = config.settings.lines.values().any(|l| l.hours.is_some());
    for (i, rule) in config.settings.rules.iter().enumerate() {
        let Some(within) = rule.when.within_hours.filter(|_| !any_hours) else { continue };
        warn(
            &mut out,
            format!("rules[{i}] ({:?}).when.within_hours", rule.name),
            format!(
                "no line sets hours, so every chat is always within hours and this condition {}; set \
                 lines[].hours",
                if within { "always holds" } else { "never holds: the rule never applies" }
            ),
        );
    }
    out
}

/// Why `secret` looks weak, if it does: a published example, or too few different characters.
fn weak_secret(secret: &str) -> Option<String> {
    let lower = secret.to_ascii_lowercase();
    if secret == DEMO_JWT_SECRET || lower.contains("change-me") || lower.contains("changeme") {
        return Some("is an example value from the documentation".into());
    }
    let mut distinct: Vec<char> = secret.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    (distinct.len() < MIN_DISTINCT_SECRET_CHARS)
        .then(|| format!("has only {} different characters", distinct.len()))
}

/// True for an `http://` URL whose host is not this machine (loopback or `localhost`).
fn plain_http_to_another_host(url: &str) -> bool {
    let Some(rest) = url.get(..7).filter(|s| s.eq_ignore_ascii_case("http://")).map(|_| &url[7..]) else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host_port.split(':').next().unwrap_or_default(),
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let local = host == "localhost"
        || host.ends_with(".localhost")
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    !local
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, Overrides};

    const SECRET: &str = "4f1c9a7e2b8d06e5c3a1f9b7d2e4c6a8";

    /// A configuration with `listen`, the secret, and `channels` (TOML `[[channels]]` entries).
    fn config(listen: &str, secret: &str, channels: &str) -> Config {
        let text = format!(
            "listen = {listen:?}\n[auth]\njwt_secret = {secret:?}\n\
             [[lines]]\nid = \"l1\"\nstrategy = \"broadcast\"\n{channels}"
        );
        Config::from_toml_str(&text, &Overrides::default()).unwrap_or_else(|e| panic!("{e}\n{text}"))
    }

    const WEB: &str = "[[channels]]\nid = \"web\"\nkind = \"realtime\"\nline = \"l1\"\n";

    fn keys(config: &Config) -> Vec<String> {
        warnings(config).into_iter().map(|w| w.key).collect()
    }

    #[test]
    fn a_safe_setup_has_no_warnings() {
        let signed_web = format!("{WEB}secret = \"s\"\n");
        let mail = "[[channels]]\nid = \"mail\"\nkind = \"email\"\nline = \"l1\"\nsecret = \"s\"\n\
                    webhook_url = \"https://gw.example.com/out\"\n";
        assert_eq!(
            keys(&config("0.0.0.0:8080", SECRET, &format!("{signed_web}{mail}"))),
            Vec::<String>::new()
        );
        assert_eq!(keys(&config("127.0.0.1:8080", SECRET, WEB)), Vec::<String>::new());
    }

    #[test]
    fn an_email_channel_without_a_webhook_is_warned_about() {
        let mail = "[[channels]]\nid = \"mail\"\nkind = \"email\"\nline = \"l1\"\n";
        let found = warnings(&config("127.0.0.1:0", SECRET, &format!("{WEB}{mail}")));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].key, "channels[1].webhook_url");
        assert!(found[0].message.contains("replies go nowhere"), "{}", found[0]);
    }

    #[test]
    fn a_channel_without_a_secret_is_warned_about_only_off_loopback() {
        for listen in ["0.0.0.0:8080", "[::]:8080", "192.168.1.2:80"] {
            let found = warnings(&config(listen, SECRET, WEB));
            assert_eq!(found.len(), 1, "{listen}: {found:?}");
            assert_eq!(found[0].key, "channels[0].secret");
            assert!(found[0].message.contains("conversation tokens"), "{}", found[0]);
        }
        for listen in ["127.0.0.1:8080", "[::1]:8080", "localhost:8080"] {
            assert!(warnings(&config(listen, SECRET, WEB)).is_empty(), "{listen}");
        }
    }

    #[test]
    fn weak_secrets_are_warned_about() {
        for weak in [
            "a".repeat(40),
            "abababababababababababababababab".into(),
            "change-me-to-32-or-more-random-bytes".into(),
        ] {
            let found = keys(&config("127.0.0.1:0", &weak, WEB));
            assert_eq!(found, ["auth.jwt_secret"], "{weak}");
        }
        assert!(keys(&config("127.0.0.1:0", SECRET, WEB)).is_empty());
    }

    #[test]
    fn the_demo_is_not_warned_about_its_published_secret() {
        let demo = Config::demo(&Overrides::default()).unwrap_or_else(|e| panic!("{e}"));
        assert!(warnings(&demo).is_empty(), "{:?}", warnings(&demo));
    }

    #[test]
    fn plain_http_webhooks_to_other_hosts_are_warned_about() {
        for remote in [
            "http://gw.example.com/out",
            "HTTP://10.0.0.5:9000/x",
            "http://user:pw@gw.example.com",
            "http://[2001:db8::1]:80/x",
            "http://localhost.evil.com/",
        ] {
            assert!(plain_http_to_another_host(remote), "{remote}");
        }
        for local in [
            "https://gw.example.com/out",
            "http://127.0.0.1:9000/out",
            "http://localhost:9000",
            "http://[::1]:9000/x",
            "http://a.localhost/x",
            "http://u@127.0.0.2/x?y",
        ] {
            assert!(!plain_http_to_another_host(local), "{local}");
        }
        let hook = format!("{WEB}webhook_url = \"http://gw.example.com/out\"\n");
        assert_eq!(keys(&config("127.0.0.1:0", SECRET, &hook)), ["channels[0].webhook_url"]);
    }

    #[test]
    fn a_within_hours_rule_is_warned_about_only_when_no_line_has_hours() {
        let rule = "[[rules]]\nname = \"closed\"\non = \"incoming\"\nwhen = { within_hours = false }\n\
                    then = [ { auto_reply = \"closed\" } ]\n";
        let found = warnings(&config("127.0.0.1:0", SECRET, &format!("{WEB}{rule}")));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].key, "rules[0] (\"closed\").when.within_hours");
        assert!(found[0].message.contains("never holds"), "{}", found[0]);
        let hours = "[[lines]]\nid = \"l2\"\nstrategy = \"broadcast\"\nhours = [\"mon-fri 09:00-18:00\"]\n";
        assert!(keys(&config("127.0.0.1:0", SECRET, &format!("{WEB}{hours}{rule}"))).is_empty());
    }
}
