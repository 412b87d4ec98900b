//! A short human-readable description of a validated [`Config`], printed at start-up. It never
//! shows secrets: the JWT secret, channel secrets and tokens are left out and a Redis password
//! is masked.

use std::fmt::Write as _;

use super::model::Config;
use crate::domain::Span;

impl Config {
    /// One line per aspect: source, listen address, data dir, store, channels, lines (with
    /// overflow and working hours), operators, rules (then each rule in words, in order),
    /// timeouts and webhook retries (in seconds), the access log.
    pub fn summary(&self) -> String {
        let s = &self.settings;
        let mut out = String::new();
        if self.demo {
            out.push_str("configuration: built-in demo (not for production)\n");
        }
        let _ = writeln!(out, "listen: {}", self.listen);
        let _ = writeln!(out, "data dir: {}", self.data_dir.display());
        let store = match &self.redis_url {
            Some(url) => format!("redis {}", mask_password(url)),
            None => "embedded".to_owned(),
        };
        let _ = match &self.node_id {
            Some(node) => writeln!(out, "store: {store} (node {node})"),
            None => writeln!(out, "store: {store}"),
        };

        let channels: Vec<String> =
            s.channels.values().map(|c| format!("{} ({}, line {})", c.id, c.kind.as_str(), c.line)).collect();
        let _ = writeln!(out, "channels: {}", channels.join(", "));

        let lines: Vec<String> = s
            .lines
            .values()
            .map(|l| {
                let mut about = vec![l.strategy.as_str().to_owned()];
                if let (Some(to), Some(after)) = (&l.overflow_to, l.overflow_after) {
                    about.push(format!("overflow to {to} after {}", secs(after)));
                }
                if let Some(hours) = &l.hours {
                    about.push(format!("hours {hours}"));
                }
                format!("{} ({})", l.id, about.join(", "))
            })
            .collect();
        let _ = writeln!(out, "lines: {}", lines.join(", "));

        let operators: Vec<String> = s
            .operators
            .values()
            .map(|o| {
                let lines: Vec<&str> = o.lines.iter().map(|l| l.as_str()).collect();
                format!("{} ({}, capacity {}, {})", o.id, lines.join("+"), o.capacity, o.role.as_str())
            })
            .collect();
        let _ = writeln!(out, "operators: {}", operators.join(", "));
        let _ = writeln!(out, "rules: {}", s.rules.len());
        for rule in &s.rules {
            let _ = writeln!(out, "  {}", rule.describe());
        }

        let t = &s.timeouts;
        let auto_close = t.auto_close_pending.map_or_else(|| "off".to_owned(), secs);
        let _ = writeln!(
            out,
            "timeouts: inactivity {}, voting {}, offer {}, presence grace {}, auto-close pending {}",
            secs(t.inactivity),
            secs(t.voting),
            secs(t.offer),
            secs(t.presence_grace),
            auto_close
        );
        let w = &self.webhooks;
        let _ = writeln!(
            out,
            "webhooks: retry after {} doubling, parked after {} failed attempts or {}",
            secs(w.retry_backoff),
            w.max_attempts,
            secs(w.max_age)
        );
        let _ = write!(out, "access log: {}", if self.access_log { "on" } else { "off" });
        out
    }
}

/// `600s`, `0.5s`, `1.25s`: seconds without trailing zeros.
fn secs(span: Span) -> String {
    let ms = span.0;
    if ms % 1000 == 0 {
        format!("{}s", ms / 1000)
    } else {
        let text = format!("{}.{:03}", ms / 1000, ms % 1000);
        format!("{}s", text.trim_end_matches('0'))
    }
}

/// `redis://user:secret@host` -> `redis://user:***@host`; URLs without a password unchanged.
pub fn mask_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else { return url.to_owned() };
    match rest[..at].split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***{}", &rest[at..]),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_print_without_trailing_zeros() {
        assert_eq!(secs(Span::secs(600)), "600s");
        assert_eq!(secs(Span::millis(500)), "0.5s");
        assert_eq!(secs(Span::millis(1250)), "1.25s");
        assert_eq!(secs(Span::millis(1)), "0.001s");
    }

    #[test]
    fn redis_passwords_are_masked_and_other_urls_kept() {
        assert_eq!(mask_password("redis://:hunter2@db:6379/0"), "redis://:***@db:6379/0");
        assert_eq!(mask_password("rediss://u:p@db"), "rediss://u:***@db");
        assert_eq!(mask_password("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
        assert_eq!(mask_password("unix:///tmp/redis.sock"), "unix:///tmp/redis.sock");
    }
}
