//! Value checks shared by the builders: seconds to spans, id syntax, URLs, lists, enum words.
//! Each takes the key path it reports errors under; none knows about other keys.

use std::collections::HashSet;
use std::net::SocketAddr;

use super::error::ConfigError;
use indexmap::IndexMap;

use crate::domain::{Line, LineId, Span};

/// Longest accepted duration, in seconds (about 100 years), so spans never overflow.
const MAX_SECONDS: f64 = 3_155_760_000.0;

/// Seconds (integer or fraction) as a positive [`Span`], rounded to the nearest millisecond.
pub(super) fn span(key: &str, secs: f64) -> Result<Span, ConfigError> {
    let bad = |why: String| Err(ConfigError::invalid(key, why));
    if !secs.is_finite() || secs <= 0.0 {
        return bad(format!("must be a positive number of seconds (got {secs})"));
    }
    if secs > MAX_SECONDS {
        return bad(format!("must be at most {MAX_SECONDS} seconds (got {secs})"));
    }
    // Bounded above, so the cast is exact enough and cannot saturate.
    let ms = (secs * 1000.0).round() as i64;
    if ms < 1 {
        return bad(format!("must be a positive number of seconds ({secs} rounds to 0 ms)"));
    }
    Ok(Span::millis(ms))
}

/// Seconds as a [`Span`], where 0 means "never" (`Span(0)`).
pub(super) fn span_or_never(key: &str, secs: f64) -> Result<Span, ConfigError> {
    if secs == 0.0 {
        return Ok(Span(0));
    }
    span(key, secs).map_err(|_| {
        ConfigError::invalid(
            key,
            format!("must be a positive number of seconds, or 0 for never (got {secs})"),
        )
    })
}

/// A positive integer that fits `T`.
pub(super) fn positive<T: TryFrom<i64>>(key: &str, value: i64) -> Result<T, ConfigError> {
    if value < 1 {
        return Err(ConfigError::invalid(key, format!("must be a positive integer (got {value})")));
    }
    T::try_from(value).map_err(|_| ConfigError::invalid(key, format!("{value} is too large")))
}

/// A whole number, 0 or more (0 usually meaning "no limit").
pub(super) fn non_negative<T: TryFrom<i64>>(key: &str, value: i64) -> Result<T, ConfigError> {
    if value < 0 {
        return Err(ConfigError::invalid(key, format!("must be 0 or a positive integer (got {value})")));
    }
    T::try_from(value).map_err(|_| ConfigError::invalid(key, format!("{value} is too large")))
}

/// A channel id: `[a-z0-9_-]{1,32}`.
pub(super) fn channel_id(key: &str, id: &str) -> Result<(), ConfigError> {
    let ok = (1..=32).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(ConfigError::invalid(key, format!("{id:?} is not a channel id (expected [a-z0-9_-]{{1,32}})")))
    }
}

/// A line, operator or node id: `[A-Za-z0-9_.-]{1,64}`.
pub(super) fn name_id(key: &str, id: &str) -> Result<(), ConfigError> {
    let ok = (1..=64).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(ConfigError::invalid(key, format!("{id:?} is not a valid id (expected [A-Za-z0-9_.-]{{1,64}})")))
    }
}

/// `IP:PORT` (port 0 allowed) or `localhost:PORT`, which is taken as `127.0.0.1:PORT`; the
/// address to bind, as a socket address's text.
pub(super) fn listen(key: &str, addr: &str) -> Result<String, ConfigError> {
    if let Ok(parsed) = addr.parse::<SocketAddr>() {
        return Ok(parsed.to_string());
    }
    let local = addr.rsplit_once(':').filter(|(host, _)| host.eq_ignore_ascii_case("localhost"));
    if let Some(port) = local.and_then(|(_, port)| port.parse::<u16>().ok()) {
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)).to_string());
    }
    Err(ConfigError::invalid(
        key,
        format!(
            "{addr:?} is not an address to listen on (expected IP:PORT or localhost:PORT, e.g. \
             127.0.0.1:8080, 0.0.0.0:8080 or [::]:8080)"
        ),
    ))
}

/// True when `addr` (`HOST:PORT`) only accepts connections from this machine: 127.0.0.0/8,
/// `::1` (also IPv4-mapped) or `localhost`.
pub(super) fn is_loopback(addr: &str) -> bool {
    if let Ok(addr) = addr.parse::<SocketAddr>() {
        return match addr.ip() {
            std::net::IpAddr::V4(ip) => ip.is_loopback(),
            std::net::IpAddr::V6(ip) => {
                ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
            }
        };
    }
    addr.rsplit_once(':').is_some_and(|(host, _)| host.eq_ignore_ascii_case("localhost"))
}

/// A non-empty string.
pub(super) fn non_empty(key: &str, value: &str) -> Result<(), ConfigError> {
    if value.trim().is_empty() {
        Err(ConfigError::invalid(key, "must not be empty"))
    } else {
        Ok(())
    }
}

/// A URL starting with one of `schemes` and having something after it.
pub(super) fn url(key: &str, value: &str, schemes: &[&str]) -> Result<(), ConfigError> {
    let rest = schemes.iter().find_map(|s| value.strip_prefix(s));
    match rest {
        Some(rest) if !rest.trim().is_empty() => Ok(()),
        _ => Err(ConfigError::invalid(
            key,
            format!("{value:?} must start with {} followed by an address", schemes.join(" or ")),
        )),
    }
}

/// A list of non-empty strings without duplicates.
pub(super) fn word_list(key: &str, values: &[String]) -> Result<(), ConfigError> {
    let mut seen = HashSet::new();
    for (i, v) in values.iter().enumerate() {
        non_empty(&format!("{key}[{i}]"), v)?;
        if !seen.insert(v.as_str()) {
            return Err(ConfigError::invalid(key, format!("{v:?} is listed twice")));
        }
    }
    Ok(())
}

/// The member of `all` whose wire name (`name`) is `value`.
pub(super) fn one_of<T: Copy>(
    key: &str,
    value: &str,
    all: &[T],
    name: fn(T) -> &'static str,
) -> Result<T, ConfigError> {
    all.iter().copied().find(|&t| name(t) == value).ok_or_else(|| {
        let names: Vec<&str> = all.iter().map(|&t| name(t)).collect();
        ConfigError::invalid(key, format!("invalid value {value:?} (expected one of {})", names.join(", ")))
    })
}

/// `id` as a configured line, or an error under `key`.
pub(super) fn known_line(key: &str, id: &str, lines: &IndexMap<LineId, Line>) -> Result<LineId, ConfigError> {
    let id = LineId::from(id);
    if lines.contains_key(&id) {
        Ok(id)
    } else {
        Err(ConfigError::invalid(key, format!("unknown line {:?}", id.as_str())))
    }
}
