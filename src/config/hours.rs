//! A line's `hours` and `timezone` -> domain [`Hours`]. The window syntax:
//!
//! ```text
//! window = days " " time "-" time        "mon-fri 09:00-18:00", "sat 10:00-14:00"
//! days   = span ("," span)*              "mon,wed,fri", "mon-wed,fri"
//! span   = day | day "-" day             a range goes forward round the week: "fri-mon"
//! day    = mon | tue | wed | thu | fri | sat | sun   (any case)
//! time   = H:MM or HH:MM, 00:00 to 23:59; the end may also be 24:00
//! ```
//!
//! Spaces around `,` and `-` are allowed.
//! The end is excluded. An end earlier than the start runs overnight: `fri 22:00-06:00` is
//! Friday 22:00 to Saturday 06:00. A window whose start and end are equal is refused (a whole
//! day is `00:00-24:00`), and so is an empty `hours` list (leave `hours` out: always within
//! hours). `timezone` is an IANA name looked up in the time-zone database built into the
//! program (so it works the same without the system's tzdata); an unknown name is refused.

use jiff::tz::TimeZone;

use super::error::{ConfigError, Problems};
use super::raw::RawLine;
use crate::domain::{Days, Hours, Weekday, Window, MINUTES_PER_DAY};

/// The hours of the line `raw`, reported under `key` (`lines[0]`): `None` without `hours` (or
/// with a problem, recorded). `timezone` is checked even without `hours`.
pub(super) fn build(key: &str, raw: &RawLine, problems: &mut Problems) -> Option<Hours> {
    let zone = match &raw.timezone {
        Some(name) => problems.ok(zone(&format!("{key}.timezone"), name)),
        None => Some(TimeZone::UTC),
    };
    let list = raw.hours.as_ref()?;
    if list.is_empty() {
        problems.push(ConfigError::invalid(
            format!("{key}.hours"),
            "must list at least one window (leave hours out for a line that is always within hours)",
        ));
        return None;
    }
    let windows: Vec<Option<Window>> =
        list.iter().enumerate().map(|(j, w)| problems.ok(window(&format!("{key}.hours[{j}]"), w))).collect();
    let windows = windows.into_iter().collect::<Option<Vec<_>>>()?;
    Some(Hours { zone: zone?, windows })
}

/// The time zone named `name` (IANA, e.g. `Europe/Kyiv`; `UTC`).
pub(super) fn zone(key: &str, name: &str) -> Result<TimeZone, ConfigError> {
    TimeZone::get(name).map_err(|_| {
        ConfigError::invalid(
            key,
            format!("unknown time zone {name:?} (expected an IANA name such as \"Europe/Kyiv\" or \"UTC\")"),
        )
    })
}

/// One window, e.g. `mon-fri 09:00-18:00`.
pub(super) fn window(key: &str, text: &str) -> Result<Window, ConfigError> {
    let bad = |why: String| ConfigError::invalid(key, format!("{text:?}: {why}"));
    // The days end where the first time begins.
    let (days_text, times) = text.split_at(text.find(|c: char| c.is_ascii_digit()).unwrap_or(text.len()));
    if days_text.trim().is_empty() {
        return Err(bad("expected the days first, e.g. \"mon-fri 09:00-18:00\"".into()));
    }
    let days = days(days_text).map_err(&bad)?;
    let (start, end) = times
        .split_once('-')
        .ok_or_else(|| bad("expected a time range after the days, e.g. 09:00-18:00".into()))?;
    if !days_text.ends_with(char::is_whitespace) {
        return Err(bad("expected a space between the days and the times".into()));
    }
    let start = time(start.trim()).map_err(&bad)?;
    let end = time(end.trim()).map_err(&bad)?;
    if start == MINUTES_PER_DAY {
        return Err(bad("a window cannot start at 24:00 (start at 00:00 the next day)".into()));
    }
    Window::new(days, start, end).ok_or_else(|| {
        bad("start and end are equal: the window is empty (a whole day is 00:00-24:00)".into())
    })
}

/// `mon-fri`, `sat`, `mon,wed-thu`, `fri-mon`.
fn days(text: &str) -> Result<Days, String> {
    let mut all = Days::NONE;
    for span in text.split(',') {
        let span = match span.split_once('-') {
            Some((from, to)) => Days::range(day(from.trim())?, day(to.trim())?),
            None => Days::NONE.with(day(span.trim())?),
        };
        all = all.union(span);
    }
    Ok(all)
}

fn day(text: &str) -> Result<Weekday, String> {
    Weekday::ALL.into_iter().find(|d| d.as_str().eq_ignore_ascii_case(text)).ok_or_else(|| {
        let names: Vec<&str> = Weekday::ALL.iter().map(|d| d.as_str()).collect();
        format!("unknown day {text:?} (expected {} or a range like mon-fri)", names.join(", "))
    })
}

/// `HH:MM` (or `H:MM`) as minutes after midnight, 00:00 to 24:00.
fn time(text: &str) -> Result<u16, String> {
    let bad = || format!("bad time {text:?} (expected HH:MM, 00:00 to 24:00)");
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    let digits = |s: &str, len: std::ops::RangeInclusive<usize>| {
        len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !digits(h, 1..=2) || !digits(m, 2..=2) {
        return Err(bad());
    }
    let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if m > 59 || h * 60 + m > MINUTES_PER_DAY {
        return Err(bad());
    }
    Ok(h * 60 + m)
}
