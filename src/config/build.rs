//! Raw file values -> validated [`Config`]: overrides first, then every key checked and turned
//! into domain types, ids cross-checked. Rules are delegated to `rules`. The first problem found
//! is returned, named by its key path; nothing here reads files or the environment.

use std::sync::Arc;

use indexmap::IndexMap;

use super::check;
use super::error::ConfigError;
use super::model::{Auth, Config, Limits, Overrides, Webhooks, MIN_JWT_SECRET_BYTES};
use super::raw::{
    RawAuth, RawChannel, RawConfig, RawDialogs, RawLimits, RawLine, RawOperator, RawRating, RawTimeouts,
    RawWebhooks,
};
use super::rules;
use crate::auth::ClientTokens;
use crate::domain::{
    Channel, ChannelId, ChannelKind, Dialogs, Line, LineId, Operator, OperatorId, Rating, Role, Settings,
    Span, Strategy, Timeouts,
};

/// URL schemes accepted for `redis_url`.
const REDIS_SCHEMES: [&str; 3] = ["redis://", "rediss://", "unix://"];
/// URL schemes accepted for a channel's `webhook_url`.
const HTTP_SCHEMES: [&str; 2] = ["http://", "https://"];

/// Every strategy, for parsing and error messages.
const STRATEGIES: [Strategy; 4] =
    [Strategy::Broadcast, Strategy::RoundRobin, Strategy::LeastLoaded, Strategy::LongestIdle];
/// Every role.
const ROLES: [Role; 3] = [Role::Operator, Role::Supervisor, Role::Admin];
/// Every channel kind.
const KINDS: [ChannelKind; 2] = [ChannelKind::Realtime, ChannelKind::Email];

/// Applies `overrides` over the file's values and validates the result.
pub(super) fn build(mut raw: RawConfig, overrides: &Overrides, demo: bool) -> Result<Config, ConfigError> {
    if let Some(listen) = &overrides.listen {
        raw.listen.clone_from(listen);
    }
    if let Some(dir) = &overrides.data_dir {
        raw.data_dir.clone_from(dir);
    }
    if overrides.redis_url.is_some() {
        raw.redis_url.clone_from(&overrides.redis_url);
    }
    if overrides.node_id.is_some() {
        raw.node_id.clone_from(&overrides.node_id);
    }

    check::listen("listen", &raw.listen)?;
    if demo && !overrides.allow_public_demo && !check::is_loopback(&raw.listen) {
        return Err(ConfigError::invalid(
            "listen",
            format!(
                "{} is not a loopback address, and the built-in demo's JWT secret is public (anyone \
                 could sign in as any operator); run with --config FILE, or force it with \
                 --allow-public-demo (FRONTLINE_ALLOW_PUBLIC_DEMO=1)",
                raw.listen
            ),
        ));
    }
    if raw.data_dir.as_os_str().is_empty() {
        return Err(ConfigError::invalid("data_dir", "must not be empty"));
    }
    if let Some(url) = &raw.redis_url {
        check::url("redis_url", url, &REDIS_SCHEMES)?;
    }
    if let Some(id) = &raw.node_id {
        check::name_id("node_id", id)?;
    }
    let auth = auth(raw.auth)?;
    let limits = limits(&raw.limits)?;
    let webhooks = webhooks(&raw.webhooks)?;

    let mut settings = Settings {
        timeouts: timeouts(&raw.timeouts)?,
        rating: rating(raw.rating)?,
        dialogs: dialogs(raw.dialogs)?,
        lines: lines(&raw.lines)?,
        ..Settings::default()
    };
    settings.operators = operators(&raw.operators, &settings.lines)?;
    settings.channels = channels(raw.channels, &settings.lines)?;
    settings.rules = rules::build(&raw.rules, &settings)?;

    Ok(Config {
        listen: raw.listen,
        data_dir: raw.data_dir,
        redis_url: raw.redis_url,
        node_id: raw.node_id,
        auth,
        limits,
        webhooks,
        settings: Arc::new(settings),
        demo,
    })
}

fn auth(raw: RawAuth) -> Result<Auth, ConfigError> {
    let Some(jwt_secret) = raw.jwt_secret else {
        return Err(ConfigError::invalid(
            "auth.jwt_secret",
            "required: the HS256 secret operator tokens are signed with (there is no default)",
        ));
    };
    check::non_empty("auth.jwt_secret", &jwt_secret)?;
    if jwt_secret.len() < MIN_JWT_SECRET_BYTES {
        return Err(ConfigError::invalid(
            "auth.jwt_secret",
            format!(
                "must be at least {MIN_JWT_SECRET_BYTES} bytes (got {}); a short HS256 secret can be \
                 guessed offline from any token (e.g. openssl rand -hex 32)",
                jwt_secret.len()
            ),
        ));
    }
    if let Some(secret) = &raw.client_token_secret {
        check::non_empty("auth.client_token_secret", secret)?;
    }
    for (i, secret) in raw.client_token_previous.iter().enumerate() {
        check::non_empty(&format!("auth.client_token_previous[{i}]"), secret)?;
    }
    let client_tokens = ClientTokens::new(
        raw.client_token_secret.as_deref().unwrap_or(&jwt_secret),
        &raw.client_token_previous,
    );
    let max_token_ttl = check::span("auth.max_token_ttl", raw.max_token_ttl)?;
    // Whole seconds, as JWT times are; bounded by `span`, so the cast cannot saturate.
    let max_token_ttl = max_token_ttl.as_secs_f64().floor() as u64;
    if max_token_ttl < 1 {
        return Err(ConfigError::invalid("auth.max_token_ttl", "must be at least 1 second"));
    }
    Ok(Auth { jwt_secret, client_tokens, max_token_ttl })
}

fn limits(raw: &RawLimits) -> Result<Limits, ConfigError> {
    Ok(Limits {
        max_frame_bytes: check::positive("limits.max_frame_bytes", raw.max_frame_bytes)?,
        max_text_chars: check::positive("limits.max_text_chars", raw.max_text_chars)?,
        messages_per_second: check::positive("limits.messages_per_second", raw.messages_per_second)?,
        max_outbound_frames: check::positive("limits.max_outbound_frames", raw.max_outbound_frames)?,
        heartbeat_timeout: check::span("limits.heartbeat_timeout", raw.heartbeat_timeout)?,
        connections_per_address: check::non_negative(
            "limits.connections_per_address",
            raw.connections_per_address,
        )?,
        sockets_per_conversation: check::positive(
            "limits.sockets_per_conversation",
            raw.sockets_per_conversation,
        )?,
        conversation_messages_per_second: check::positive(
            "limits.conversation_messages_per_second",
            raw.conversation_messages_per_second.unwrap_or(raw.messages_per_second),
        )?,
    })
}

/// The longest `webhooks.retry_backoff`: waits are capped at this anyway.
const MAX_RETRY_BACKOFF: Span = Span::secs(300);

fn webhooks(raw: &RawWebhooks) -> Result<Webhooks, ConfigError> {
    let retry_backoff = check::span("webhooks.retry_backoff", raw.retry_backoff)?;
    if retry_backoff > MAX_RETRY_BACKOFF {
        return Err(ConfigError::invalid(
            "webhooks.retry_backoff",
            format!(
                "must be at most 300 seconds, the longest wait between attempts (got {})",
                raw.retry_backoff
            ),
        ));
    }
    Ok(Webhooks {
        max_attempts: check::positive("webhooks.max_attempts", raw.max_attempts)?,
        max_age: check::span("webhooks.max_age", raw.max_age)?,
        retry_backoff,
    })
}

fn timeouts(raw: &RawTimeouts) -> Result<Timeouts, ConfigError> {
    Ok(Timeouts {
        inactivity: check::span("timeouts.inactivity", raw.inactivity)?,
        voting: check::span("timeouts.voting", raw.voting)?,
        offer: check::span("timeouts.offer", raw.offer)?,
        presence_grace: check::span("timeouts.presence_grace", raw.presence_grace)?,
        auto_close_pending: raw
            .auto_close_pending
            .map(|s| check::span("timeouts.auto_close_pending", s))
            .transpose()?,
    })
}

fn rating(raw: RawRating) -> Result<Rating, ConfigError> {
    let count = raw.labels.len();
    let Ok(labels) = <[String; 3]>::try_from(raw.labels) else {
        return Err(ConfigError::invalid(
            "rating.labels",
            format!("must list exactly 3 labels, for scores 1, 2 and 3 (got {count})"),
        ));
    };
    for (i, label) in labels.iter().enumerate() {
        check::non_empty(&format!("rating.labels[{i}]"), label)?;
    }
    check::non_empty("rating.thanks_text", &raw.thanks_text)?;
    Ok(Rating { enabled: raw.enabled, labels, thanks_text: raw.thanks_text })
}

fn dialogs(raw: RawDialogs) -> Result<Dialogs, ConfigError> {
    check::word_list("dialogs.request_types", &raw.request_types)?;
    check::word_list("dialogs.reasons", &raw.reasons)?;
    check::word_list("dialogs.components", &raw.components)?;
    Ok(Dialogs { request_types: raw.request_types, reasons: raw.reasons, components: raw.components })
}

fn lines(raw: &[RawLine]) -> Result<IndexMap<LineId, Line>, ConfigError> {
    if raw.is_empty() {
        return Err(ConfigError::invalid("lines", "at least one [[lines]] entry is required"));
    }
    let mut lines: IndexMap<LineId, Line> = IndexMap::new();
    for (i, l) in raw.iter().enumerate() {
        let key = format!("lines[{i}]");
        check::name_id(&format!("{key}.id"), &l.id)?;
        let strategy = check::one_of(&format!("{key}.strategy"), &l.strategy, &STRATEGIES, Strategy::as_str)?;
        let id = LineId::from(l.id.as_str());
        if let Some(first) = lines.get_index_of(&id) {
            return Err(duplicate(&key, "line", &l.id, &format!("lines[{first}]")));
        }
        lines.insert(id.clone(), Line { id, strategy, overflow_after: None, overflow_to: None });
    }
    // Overflow targets may be declared after the line that names them: a second pass.
    for (i, l) in raw.iter().enumerate() {
        let key = format!("lines[{i}]");
        let (after, to) = match (l.overflow_after, &l.overflow_to) {
            (None, None) => continue,
            (Some(after), Some(to)) => (after, to),
            (Some(_), None) => {
                return Err(ConfigError::invalid(
                    format!("{key}.overflow_to"),
                    "required when overflow_after is set (they go together)",
                ))
            }
            (None, Some(_)) => {
                return Err(ConfigError::invalid(
                    format!("{key}.overflow_after"),
                    "required when overflow_to is set (they go together)",
                ))
            }
        };
        let after = check::span(&format!("{key}.overflow_after"), after)?;
        let to = known_line(&format!("{key}.overflow_to"), to, &lines)?;
        if to.as_str() == l.id {
            return Err(ConfigError::invalid(
                format!("{key}.overflow_to"),
                "must name another line, not itself",
            ));
        }
        if let Some(line) = lines.get_mut(&LineId::from(l.id.as_str())) {
            line.overflow_after = Some(after);
            line.overflow_to = Some(to);
        }
    }
    Ok(lines)
}

fn operators(
    raw: &[RawOperator],
    lines: &IndexMap<LineId, Line>,
) -> Result<IndexMap<OperatorId, Operator>, ConfigError> {
    let mut operators: IndexMap<OperatorId, Operator> = IndexMap::new();
    for (i, o) in raw.iter().enumerate() {
        let key = format!("operators[{i}]");
        check::name_id(&format!("{key}.id"), &o.id)?;
        let name = match &o.name {
            Some(name) => {
                check::non_empty(&format!("{key}.name"), name)?;
                name.clone()
            }
            None => o.id.clone(),
        };
        if o.lines.is_empty() {
            return Err(ConfigError::invalid(format!("{key}.lines"), "must list at least one line"));
        }
        let mut member_of: Vec<LineId> = Vec::with_capacity(o.lines.len());
        for line in &o.lines {
            let id = known_line(&format!("{key}.lines"), line, lines)?;
            if member_of.contains(&id) {
                return Err(ConfigError::invalid(
                    format!("{key}.lines"),
                    format!("{line:?} is listed twice"),
                ));
            }
            member_of.push(id);
        }
        let capacity = check::positive(&format!("{key}.capacity"), o.capacity)?;
        let role = match &o.role {
            Some(role) => check::one_of(&format!("{key}.role"), role, &ROLES, Role::as_str)?,
            None => Role::Operator,
        };
        let id = OperatorId::from(o.id.as_str());
        if let Some(first) = operators.get_index_of(&id) {
            return Err(duplicate(&key, "operator", &o.id, &format!("operators[{first}]")));
        }
        operators.insert(id.clone(), Operator { id, name, lines: member_of, capacity, role });
    }
    Ok(operators)
}

fn channels(
    raw: Vec<RawChannel>,
    lines: &IndexMap<LineId, Line>,
) -> Result<IndexMap<ChannelId, Channel>, ConfigError> {
    if raw.is_empty() {
        return Err(ConfigError::invalid("channels", "at least one [[channels]] entry is required"));
    }
    let mut channels: IndexMap<ChannelId, Channel> = IndexMap::new();
    for (i, c) in raw.into_iter().enumerate() {
        let key = format!("channels[{i}]");
        check::channel_id(&format!("{key}.id"), &c.id)?;
        let kind = check::one_of(&format!("{key}.kind"), &c.kind, &KINDS, ChannelKind::as_str)?;
        let line = known_line(&format!("{key}.line"), &c.line, lines)?;
        for (field, value) in [("secret", &c.secret), ("token", &c.token)] {
            if let Some(value) = value {
                check::non_empty(&format!("{key}.{field}"), value)?;
            }
        }
        if let Some(url) = &c.webhook_url {
            check::url(&format!("{key}.webhook_url"), url, &HTTP_SCHEMES)?;
        }
        let id = ChannelId::from(c.id.as_str());
        if let Some(first) = channels.get_index_of(&id) {
            return Err(duplicate(&key, "channel", &c.id, &format!("channels[{first}]")));
        }
        let channel = Channel {
            id: id.clone(),
            kind,
            line,
            reopen_closed: c.reopen_closed,
            secret: c.secret,
            token: c.token,
            webhook_url: c.webhook_url,
        };
        channels.insert(id, channel);
    }
    Ok(channels)
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

fn duplicate(key: &str, what: &str, id: &str, first: &str) -> ConfigError {
    ConfigError::invalid(format!("{key}.id"), format!("duplicate {what} id {id:?} (already used by {first})"))
}
