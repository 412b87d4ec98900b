//! Raw file values -> validated [`Config`]: overrides first, then every key checked and turned
//! into domain types, ids cross-checked. Rules are delegated to `rules`. Every problem found is
//! recorded and building goes on with a stand-in value (an entry with a bad field still counts
//! as declared, so references to it do not add follow-on problems); all of them are returned
//! together, each named by its key path. Nothing here reads files or the environment.

use std::sync::Arc;

use indexmap::IndexMap;

use super::check::{self, known_line};
use super::error::{ConfigError, Problems};
use super::hours;
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

    let mut problems = Problems::default();
    let listen = problems.or(check::listen("listen", &raw.listen), raw.listen.clone());
    if demo && !overrides.allow_public_demo && !check::is_loopback(&listen) {
        problems.push(ConfigError::invalid(
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
        problems.push(ConfigError::invalid("data_dir", "must not be empty"));
    }
    if let Some(url) = &raw.redis_url {
        problems.ok(check::url("redis_url", url, &REDIS_SCHEMES));
    }
    if let Some(id) = &raw.node_id {
        problems.ok(check::name_id("node_id", id));
    }
    let auth = auth(raw.auth, &mut problems);
    let limits = limits(&raw.limits, &mut problems);
    let webhooks = webhooks(&raw.webhooks, &mut problems);

    let mut settings = Settings {
        timeouts: timeouts(&raw.timeouts, &mut problems),
        rating: rating(raw.rating, &mut problems),
        dialogs: dialogs(raw.dialogs, &mut problems),
        lines: lines(&raw.lines, &mut problems),
        ..Settings::default()
    };
    settings.operators = operators(&raw.operators, &settings.lines, &mut problems);
    settings.channels = channels(raw.channels, &settings.lines, &mut problems);
    settings.rules = rules::build(&raw.rules, &settings, &mut problems);

    match (problems.into_error(), auth) {
        (Some(problems), _) => Err(problems),
        (None, Some(auth)) => Ok(Config {
            listen,
            data_dir: raw.data_dir,
            redis_url: raw.redis_url,
            node_id: raw.node_id,
            auth,
            limits,
            webhooks,
            settings: Arc::new(settings),
            demo,
            access_log: !overrides.no_access_log,
        }),
        // `auth` is `None` only once its problem is recorded.
        (None, None) => Err(ConfigError::invalid("auth", "invalid")),
    }
}

fn auth(raw: RawAuth, problems: &mut Problems) -> Option<Auth> {
    let jwt_secret = match raw.jwt_secret {
        None => {
            problems.push(ConfigError::invalid(
                "auth.jwt_secret",
                "required: the HS256 secret operator tokens are signed with (there is no default)",
            ));
            None
        }
        Some(secret) => problems.ok(jwt_secret(secret)),
    };
    if let Some(secret) = &raw.client_token_secret {
        problems.ok(check::non_empty("auth.client_token_secret", secret));
    }
    for (i, secret) in raw.client_token_previous.iter().enumerate() {
        problems.ok(check::non_empty(&format!("auth.client_token_previous[{i}]"), secret));
    }
    let max_token_ttl = problems.ok(check::span("auth.max_token_ttl", raw.max_token_ttl)).and_then(|ttl| {
        // Whole seconds, as JWT times are; bounded by `span`, so the cast cannot saturate.
        let ttl = ttl.as_secs_f64().floor() as u64;
        if ttl < 1 {
            problems.push(ConfigError::invalid("auth.max_token_ttl", "must be at least 1 second"));
            return None;
        }
        Some(ttl)
    });
    let (jwt_secret, max_token_ttl) = (jwt_secret?, max_token_ttl?);
    let client_tokens = ClientTokens::new(
        raw.client_token_secret.as_deref().unwrap_or(&jwt_secret),
        &raw.client_token_previous,
    );
    Some(Auth { jwt_secret, client_tokens, max_token_ttl })
}

fn jwt_secret(secret: String) -> Result<String, ConfigError> {
    check::non_empty("auth.jwt_secret", &secret)?;
    if secret.len() < MIN_JWT_SECRET_BYTES {
        return Err(ConfigError::invalid(
            "auth.jwt_secret",
            format!(
                "must be at least {MIN_JWT_SECRET_BYTES} bytes (got {}); a short HS256 secret can be \
                 guessed offline from any token (e.g. openssl rand -hex 32)",
                secret.len()
            ),
        ));
    }
    Ok(secret)
}

fn limits(raw: &RawLimits, problems: &mut Problems) -> Limits {
    let defaults = Limits::default();
    Limits {
        max_frame_bytes: problems
            .or(check::positive("limits.max_frame_bytes", raw.max_frame_bytes), defaults.max_frame_bytes),
        max_text_chars: problems
            .or(check::positive("limits.max_text_chars", raw.max_text_chars), defaults.max_text_chars),
        messages_per_second: problems.or(
            check::positive("limits.messages_per_second", raw.messages_per_second),
            defaults.messages_per_second,
        ),
        max_outbound_frames: problems.or(
            check::positive("limits.max_outbound_frames", raw.max_outbound_frames),
            defaults.max_outbound_frames,
        ),
        heartbeat_timeout: problems
            .or(check::span("limits.heartbeat_timeout", raw.heartbeat_timeout), defaults.heartbeat_timeout),
        connections_per_address: problems.or(
            check::non_negative("limits.connections_per_address", raw.connections_per_address),
            defaults.connections_per_address,
        ),
        sockets_per_conversation: problems.or(
            check::positive("limits.sockets_per_conversation", raw.sockets_per_conversation),
            defaults.sockets_per_conversation,
        ),
        conversation_messages_per_second: problems.or(
            check::positive(
                "limits.conversation_messages_per_second",
                raw.conversation_messages_per_second.unwrap_or(raw.messages_per_second),
            ),
            defaults.conversation_messages_per_second,
        ),
    }
}

/// The longest `webhooks.retry_backoff`: waits are capped at this anyway.
const MAX_RETRY_BACKOFF: Span = Span::secs(300);

fn webhooks(raw: &RawWebhooks, problems: &mut Problems) -> Webhooks {
    let defaults = Webhooks::default();
    let mut retry_backoff =
        problems.or(check::span("webhooks.retry_backoff", raw.retry_backoff), defaults.retry_backoff);
    if retry_backoff > MAX_RETRY_BACKOFF {
        problems.push(ConfigError::invalid(
            "webhooks.retry_backoff",
            format!(
                "must be at most 300 seconds, the longest wait between attempts (got {})",
                raw.retry_backoff
            ),
        ));
        retry_backoff = defaults.retry_backoff;
    }
    Webhooks {
        max_attempts: problems
            .or(check::positive("webhooks.max_attempts", raw.max_attempts), defaults.max_attempts),
        max_age: problems.or(check::span("webhooks.max_age", raw.max_age), defaults.max_age),
        retry_backoff,
    }
}

fn timeouts(raw: &RawTimeouts, problems: &mut Problems) -> Timeouts {
    let defaults = Timeouts::default();
    Timeouts {
        inactivity: problems.or(check::span("timeouts.inactivity", raw.inactivity), defaults.inactivity),
        voting: problems.or(check::span("timeouts.voting", raw.voting), defaults.voting),
        offer: problems.or(check::span("timeouts.offer", raw.offer), defaults.offer),
        presence_grace: problems
            .or(check::span("timeouts.presence_grace", raw.presence_grace), defaults.presence_grace),
        auto_close_pending: raw
            .auto_close_pending
            .and_then(|s| problems.ok(check::span("timeouts.auto_close_pending", s))),
    }
}

fn rating(raw: RawRating, problems: &mut Problems) -> Rating {
    let count = raw.labels.len();
    let labels = match <[String; 3]>::try_from(raw.labels) {
        Ok(labels) => {
            for (i, label) in labels.iter().enumerate() {
                problems.ok(check::non_empty(&format!("rating.labels[{i}]"), label));
            }
            labels
        }
        Err(_) => {
            problems.push(ConfigError::invalid(
                "rating.labels",
                format!("must list exactly 3 labels, for scores 1, 2 and 3 (got {count})"),
            ));
            Rating::default().labels
        }
    };
    problems.ok(check::non_empty("rating.thanks_text", &raw.thanks_text));
    Rating { enabled: raw.enabled, labels, thanks_text: raw.thanks_text }
}

fn dialogs(raw: RawDialogs, problems: &mut Problems) -> Dialogs {
    problems.ok(check::word_list("dialogs.request_types", &raw.request_types));
    problems.ok(check::word_list("dialogs.reasons", &raw.reasons));
    problems.ok(check::word_list("dialogs.components", &raw.components));
    Dialogs { request_types: raw.request_types, reasons: raw.reasons, components: raw.components }
}

/// The lines; one with a bad id or strategy still counts as declared (with a stand-in
/// strategy), so what refers to it is checked against it.
fn lines(raw: &[RawLine], problems: &mut Problems) -> IndexMap<LineId, Line> {
    if raw.is_empty() {
        problems.push(ConfigError::invalid("lines", "at least one [[lines]] entry is required"));
    }
    let mut lines: IndexMap<LineId, Line> = IndexMap::new();
    for (i, l) in raw.iter().enumerate() {
        let key = format!("lines[{i}]");
        problems.ok(check::name_id(&format!("{key}.id"), &l.id));
        let strategy = problems.or(
            check::one_of(&format!("{key}.strategy"), &l.strategy, &STRATEGIES, Strategy::as_str),
            Strategy::Broadcast,
        );
        let id = LineId::from(l.id.as_str());
        if let Some(first) = lines.get_index_of(&id) {
            problems.push(duplicate(&key, "line", &l.id, &format!("lines[{first}]")));
            continue;
        }
        let reassign_after =
            l.reassign_after.and_then(|s| problems.ok(check::span(&format!("{key}.reassign_after"), s)));
        let hours = hours::build(&key, l, problems);
        lines.insert(
            id.clone(),
            Line { id, strategy, overflow_after: None, overflow_to: None, reassign_after, hours },
        );
    }
    // Overflow targets may be declared after the line that names them: a second pass.
    for (i, l) in raw.iter().enumerate() {
        let key = format!("lines[{i}]");
        let (after, to) = match (l.overflow_after, &l.overflow_to) {
            (None, None) => continue,
            (Some(after), Some(to)) => (after, to),
            (Some(_), None) => {
                problems.push(ConfigError::invalid(
                    format!("{key}.overflow_to"),
                    "required when overflow_after is set (they go together)",
                ));
                continue;
            }
            (None, Some(_)) => {
                problems.push(ConfigError::invalid(
                    format!("{key}.overflow_after"),
                    "required when overflow_to is set (they go together)",
                ));
                continue;
            }
        };
        let after = problems.ok(check::span(&format!("{key}.overflow_after"), after));
        let to = problems.ok(known_line(&format!("{key}.overflow_to"), to, &lines));
        if to.as_ref().is_some_and(|to| to.as_str() == l.id) {
            problems.push(ConfigError::invalid(
                format!("{key}.overflow_to"),
                "must name another line, not itself",
            ));
            continue;
        }
        if let (Some(after), Some(to), Some(line)) = (after, to, lines.get_mut(&LineId::from(l.id.as_str())))
        {
            line.overflow_after = Some(after);
            line.overflow_to = Some(to);
        }
    }
    lines
}

/// The operators; one with a bad field still counts as declared (rules may name it).
fn operators(
    raw: &[RawOperator],
    lines: &IndexMap<LineId, Line>,
    problems: &mut Problems,
) -> IndexMap<OperatorId, Operator> {
    let mut operators: IndexMap<OperatorId, Operator> = IndexMap::new();
    for (i, o) in raw.iter().enumerate() {
        let key = format!("operators[{i}]");
        problems.ok(check::name_id(&format!("{key}.id"), &o.id));
        if let Some(name) = &o.name {
            problems.ok(check::non_empty(&format!("{key}.name"), name));
        }
        let name = o.name.clone().unwrap_or_else(|| o.id.clone());
        if o.lines.is_empty() {
            problems.push(ConfigError::invalid(format!("{key}.lines"), "must list at least one line"));
        }
        let mut member_of: Vec<LineId> = Vec::with_capacity(o.lines.len());
        for line in &o.lines {
            let Some(id) = problems.ok(known_line(&format!("{key}.lines"), line, lines)) else { continue };
            if member_of.contains(&id) {
                problems
                    .push(ConfigError::invalid(format!("{key}.lines"), format!("{line:?} is listed twice")));
                continue;
            }
            member_of.push(id);
        }
        let capacity = problems.or(check::positive(&format!("{key}.capacity"), o.capacity), 1);
        let role = match &o.role {
            Some(role) => {
                problems.or(check::one_of(&format!("{key}.role"), role, &ROLES, Role::as_str), Role::Operator)
            }
            None => Role::Operator,
        };
        let id = OperatorId::from(o.id.as_str());
        if let Some(first) = operators.get_index_of(&id) {
            problems.push(duplicate(&key, "operator", &o.id, &format!("operators[{first}]")));
            continue;
        }
        operators.insert(id.clone(), Operator { id, name, lines: member_of, capacity, role });
    }
    operators
}

/// The channels; one with a bad field still counts as declared (rules may name it).
fn channels(
    raw: Vec<RawChannel>,
    lines: &IndexMap<LineId, Line>,
    problems: &mut Problems,
) -> IndexMap<ChannelId, Channel> {
    if raw.is_empty() {
        problems.push(ConfigError::invalid("channels", "at least one [[channels]] entry is required"));
    }
    let mut channels: IndexMap<ChannelId, Channel> = IndexMap::new();
    for (i, c) in raw.into_iter().enumerate() {
        let key = format!("channels[{i}]");
        problems.ok(check::channel_id(&format!("{key}.id"), &c.id));
        let kind = problems.or(
            check::one_of(&format!("{key}.kind"), &c.kind, &KINDS, ChannelKind::as_str),
            ChannelKind::Realtime,
        );
        let line =
            problems.or(known_line(&format!("{key}.line"), &c.line, lines), LineId::from(c.line.as_str()));
        for (field, value) in [("secret", &c.secret), ("token", &c.token)] {
            if let Some(value) = value {
                problems.ok(check::non_empty(&format!("{key}.{field}"), value));
            }
        }
        if let Some(url) = &c.webhook_url {
            problems.ok(check::url(&format!("{key}.webhook_url"), url, &HTTP_SCHEMES));
        }
        let inactivity =
            c.inactivity.and_then(|s| problems.ok(check::span_or_never(&format!("{key}.inactivity"), s)));
        let id = ChannelId::from(c.id.as_str());
        if let Some(first) = channels.get_index_of(&id) {
            problems.push(duplicate(&key, "channel", &c.id, &format!("channels[{first}]")));
            continue;
        }
        let channel = Channel {
            id: id.clone(),
            kind,
            line,
            reopen_closed: c.reopen_closed,
            secret: c.secret,
            token: c.token,
            webhook_url: c.webhook_url,
            inactivity,
        };
        channels.insert(id, channel);
    }
    channels
}

fn duplicate(key: &str, what: &str, id: &str, first: &str) -> ConfigError {
    ConfigError::invalid(format!("{key}.id"), format!("duplicate {what} id {id:?} (already used by {first})"))
}
