//! `[[rules]]` -> domain [`Rule`]s (SPEC 4.1): trigger words, `when` conditions (one value or a
//! list), and `then` action tables of exactly one action key each. Ids are checked against the
//! already built channels, lines and operators. Errors are keyed
//! `rules[i] ("name").then[j].assign_operator`; every rule, condition and action is checked, so
//! all their problems are recorded, not only the first.

use super::check;
use super::check::known_line;
use super::error::{ConfigError, Problems};
use super::raw::{OneOrMany, RawAction, RawCount, RawRule, RawWhen};
use crate::domain::{
    Action, ChannelId, Conditions, Count, OperatorId, Phase, Rule, RuleAuthor, Settings, Status, Trigger,
};

const TRIGGERS: [Trigger; 2] = [Trigger::Incoming, Trigger::Changed];
const AUTHORS: [RuleAuthor; 2] = [RuleAuthor::Client, RuleAuthor::Operator];
const STATUSES: [Status; 6] =
    [Status::New, Status::Open, Status::Pending, Status::OnHold, Status::Closed, Status::Spam];
const PHASES: [Phase; 3] = [Phase::Active, Phase::Closing, Phase::Finished];
/// Statuses `set_status` accepts (SPEC 2.0).
const MANUAL_STATUSES: [Status; 3] = [Status::Open, Status::Pending, Status::OnHold];
/// Statuses `finish` accepts (SPEC 2.1).
const FINISH_STATUSES: [Status; 3] = [Status::Open, Status::Pending, Status::Closed];
/// The action keys of a `then` table, in the order error messages list them.
const ACTION_KEYS: [&str; 8] =
    ["assign_operator", "assign_line", "set_status", "finish", "pin", "unpin", "auto_reply", "stop"];

/// All rules, in file order (the ones without problems; any problem is recorded).
pub(super) fn build(raw: &[RawRule], known: &Settings, problems: &mut Problems) -> Vec<Rule> {
    raw.iter().enumerate().filter_map(|(i, r)| rule(i, r, known, problems)).collect()
}

fn rule(i: usize, raw: &RawRule, known: &Settings, problems: &mut Problems) -> Option<Rule> {
    let key = match &raw.name {
        Some(name) => {
            problems.ok(check::non_empty(&format!("rules[{i}].name"), name));
            format!("rules[{i}] ({name:?})")
        }
        None => format!("rules[{i}]"),
    };
    let on = problems.ok(check::one_of(&format!("{key}.on"), &raw.on, &TRIGGERS, Trigger::as_str));
    let when = conditions(&format!("{key}.when"), &raw.when, known, problems);
    if raw.then.is_empty() {
        problems.push(ConfigError::invalid(format!("{key}.then"), "must list at least one action"));
    }
    let then: Vec<Option<Action>> = raw
        .then
        .iter()
        .enumerate()
        .map(|(j, a)| problems.ok(action(&format!("{key}.then[{j}]"), a, known)))
        .collect();
    let then = then.into_iter().collect::<Option<Vec<_>>>()?;
    let name = raw.name.clone().unwrap_or_else(|| format!("rule #{}", i + 1));
    Some(Rule { name, on: on?, when: when?, then })
}

/// One condition: each listed value parsed by `parse` under `key`; an empty list is an error.
fn any_of<T>(
    key: String,
    value: &Option<OneOrMany<String>>,
    parse: impl Fn(&str, &str) -> Result<T, ConfigError>,
) -> Result<Option<Vec<T>>, ConfigError> {
    let Some(value) = value else { return Ok(None) };
    let values = value.clone().into_vec();
    if values.is_empty() {
        return Err(ConfigError::invalid(key, "must not be an empty list (leave the condition out instead)"));
    }
    values.iter().map(|v| parse(&key, v)).collect::<Result<Vec<_>, _>>().map(Some)
}

fn conditions(key: &str, raw: &RawWhen, known: &Settings, problems: &mut Problems) -> Option<Conditions> {
    let line = |k: &str, v: &str| known_line(k, v, &known.lines);
    let channel = problems.ok(any_of(format!("{key}.channel"), &raw.channel, |k, v| {
        let id = ChannelId::from(v);
        if known.channels.contains_key(&id) {
            Ok(id)
        } else {
            Err(ConfigError::invalid(k, format!("unknown channel {v:?}")))
        }
    }));
    let line_is = problems.ok(any_of(format!("{key}.line"), &raw.line, line));
    let responsible_line =
        problems.ok(any_of(format!("{key}.responsible_line"), &raw.responsible_line, line));
    let status_before = problems.ok(any_of(format!("{key}.status_before"), &raw.status_before, |k, v| {
        check::one_of(k, v, &STATUSES, Status::as_str)
    }));
    let phase_before = problems.ok(any_of(format!("{key}.phase_before"), &raw.phase_before, |k, v| {
        check::one_of(k, v, &PHASES, Phase::as_str)
    }));
    let author = problems.ok(any_of(format!("{key}.author"), &raw.author, |k, v| {
        check::one_of(k, v, &AUTHORS, RuleAuthor::as_str)
    }));
    let author_line = problems.ok(any_of(format!("{key}.author_line"), &raw.author_line, line));
    let operators_online = problems.ok(counts(&format!("{key}.operators_online"), &raw.operators_online));
    Some(Conditions {
        channel: channel?,
        line: line_is?,
        responsible_line: responsible_line?,
        status_before: status_before?,
        phase_before: phase_before?,
        author: author?,
        author_line: author_line?,
        first_chat: raw.first_chat,
        reactivated: raw.reactivated,
        operators_online: operators_online?,
        within_hours: raw.within_hours,
    })
}

/// `operators_online`: one count or a list of them ("any of"); an empty list is an error.
fn counts(key: &str, value: &Option<OneOrMany<RawCount>>) -> Result<Option<Vec<Count>>, ConfigError> {
    let Some(value) = value else { return Ok(None) };
    let values = value.clone().into_vec();
    if values.is_empty() {
        return Err(ConfigError::invalid(key, "must not be an empty list (leave the condition out instead)"));
    }
    values.iter().map(|v| count(key, v)).collect::<Result<Vec<_>, _>>().map(Some)
}

/// `N`, `{ max = N }`, `{ min = N }` or `{ min = N, max = M }` (N up to M).
fn count(key: &str, raw: &RawCount) -> Result<Count, ConfigError> {
    match raw {
        RawCount::Exactly(n) => check::non_negative(key, *n).map(Count::Exactly),
        RawCount::Bounds(bounds) => {
            if let Some(other) = bounds.keys().find(|k| !["min", "max"].contains(&k.as_str())) {
                return Err(ConfigError::invalid(
                    format!("{key}.{other}"),
                    "unknown key (expected min or max)",
                ));
            }
            let bound = |name: &str| {
                bounds.get(name).map(|n| check::non_negative(&format!("{key}.{name}"), *n)).transpose()
            };
            let (min, max) = (bound("min")?, bound("max")?);
            match (min, max) {
                (None, None) => Err(ConfigError::invalid(key, "needs min, max or both (or a plain number)")),
                (Some(min), None) => Ok(Count::AtLeast(min)),
                (None, Some(max)) => Ok(Count::AtMost(max)),
                (Some(min), Some(max)) if min <= max => Ok(Count::Between(min, max)),
                (Some(min), Some(max)) => {
                    Err(ConfigError::invalid(key, format!("min ({min}) must not be above max ({max})")))
                }
            }
        }
    }
}

fn action(key: &str, raw: &RawAction, known: &Settings) -> Result<Action, ConfigError> {
    if raw.only_first_chat.is_some() && raw.auto_reply.is_none() {
        return Err(ConfigError::invalid(format!("{key}.only_first_chat"), "allowed only beside auto_reply"));
    }
    let given = [
        raw.assign_operator.is_some(),
        raw.assign_line.is_some(),
        raw.set_status.is_some(),
        raw.finish.is_some(),
        raw.pin.is_some(),
        raw.unpin.is_some(),
        raw.auto_reply.is_some(),
        raw.stop.is_some(),
    ];
    let present: Vec<&str> = ACTION_KEYS.iter().zip(given).filter(|(_, g)| *g).map(|(k, _)| *k).collect();
    match present.as_slice() {
        [_] => {}
        [] => {
            return Err(ConfigError::invalid(
                key,
                format!("no action (expected exactly one of {})", ACTION_KEYS.join(", ")),
            ))
        }
        many => {
            return Err(ConfigError::invalid(
                key,
                format!(
                    "exactly one action per table, found {} (split them into separate tables)",
                    many.join(", ")
                ),
            ))
        }
    }
    let must_be_true = |field: &str, flag: bool, action: Action| {
        if flag {
            Ok(action)
        } else {
            Err(ConfigError::invalid(format!("{key}.{field}"), "must be true (leave the action out instead)"))
        }
    };
    if let Some(op) = &raw.assign_operator {
        let id = OperatorId::from(op.as_str());
        if !known.operators.contains_key(&id) {
            return Err(ConfigError::invalid(
                format!("{key}.assign_operator"),
                format!("unknown operator {op:?}"),
            ));
        }
        return Ok(Action::AssignOperator(id));
    }
    if let Some(line) = &raw.assign_line {
        return known_line(&format!("{key}.assign_line"), line, &known.lines).map(Action::AssignLine);
    }
    if let Some(status) = &raw.set_status {
        let status = check::one_of(&format!("{key}.set_status"), status, &MANUAL_STATUSES, Status::as_str)?;
        return Ok(Action::SetStatus(status));
    }
    if let Some(status) = &raw.finish {
        return check::one_of(&format!("{key}.finish"), status, &FINISH_STATUSES, Status::as_str)
            .map(Action::Finish);
    }
    if let Some(flag) = raw.pin {
        return must_be_true("pin", flag, Action::Pin);
    }
    if let Some(flag) = raw.unpin {
        return must_be_true("unpin", flag, Action::Unpin);
    }
    if let Some(text) = &raw.auto_reply {
        check::non_empty(&format!("{key}.auto_reply"), text)?;
        return Ok(Action::AutoReply {
            text: text.clone(),
            only_first_chat: raw.only_first_chat.unwrap_or(true),
        });
    }
    match raw.stop {
        Some(flag) => must_be_true("stop", flag, Action::Stop),
        // Unreachable: exactly one action key is present and every other one returned above.
        None => Err(ConfigError::invalid(key, "no action")),
    }
}
