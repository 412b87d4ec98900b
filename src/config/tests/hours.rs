//! Working hours and the rule conditions that read the live world: `lines[].hours` windows and
//! `lines[].timezone` land as domain hours (or are refused naming the key), and `within_hours`
//! and `operators_online` land as conditions.

use super::support::{assert_rejected, base_with, parse, rejection};
use crate::config::hours::window;
use crate::domain::{Count, LineId, Timestamp};

/// The base configuration with these keys added to line1 (`hours = [...]`, `timezone = "..."`).
fn line1_with(keys: &str) -> String {
    base_with(
        "id = \"line1\"\nstrategy = \"round_robin\"",
        &format!("id = \"line1\"\nstrategy = \"round_robin\"\n{keys}"),
    )
}

/// The base configuration with the rule's `when` table replaced.
fn when(table: &str) -> String {
    base_with("when = { channel = \"web\" }", &format!("when = {table}"))
}

fn at(rfc3339: &str) -> Timestamp {
    Timestamp::parse_rfc3339(rfc3339).unwrap()
}

#[test]
fn hours_and_timezone_land_on_the_line_and_other_lines_are_always_within_hours() {
    let cfg = parse(&line1_with(
        "hours = [\"mon-fri 09:00-18:00\", \"sat 10:00-14:00\"]\ntimezone = \"Europe/Kyiv\"",
    ))
    .unwrap();
    let line1 = &cfg.settings.lines[&LineId::from("line1")];
    let hours = line1.hours.as_ref().unwrap();
    assert_eq!(hours.to_string(), "mon-fri 09:00-18:00, sat 10:00-14:00 Europe/Kyiv");
    // Monday 2024-01-15, 09:00 in Kyiv (UTC+2) is 07:00 UTC.
    assert!(!line1.within_hours(at("2024-01-15T06:59:59Z")));
    assert!(line1.within_hours(at("2024-01-15T07:00:00Z")));
    let line2 = &cfg.settings.lines[&LineId::from("line2")];
    assert_eq!(line2.hours, None);
    assert!(line2.within_hours(at("2024-01-13T03:00:00Z")));
    assert!(
        cfg.summary().contains(
            "lines: line1 (round_robin, hours mon-fri 09:00-18:00, sat 10:00-14:00 Europe/Kyiv), line2 (broadcast)"
        ),
        "{}",
        cfg.summary()
    );
}

#[test]
fn the_timezone_defaults_to_utc() {
    let cfg = parse(&line1_with("hours = [\"mon-fri 09:00-18:00\"]")).unwrap();
    let line1 = &cfg.settings.lines[&LineId::from("line1")];
    assert_eq!(line1.hours.as_ref().map(|h| h.zone_name()), Some("UTC"));
    assert!(!line1.within_hours(at("2024-01-15T08:59:59Z")));
    assert!(line1.within_hours(at("2024-01-15T09:00:00Z")));
    // A time zone without hours is checked, and changes nothing.
    let cfg = parse(&line1_with("timezone = \"America/New_York\"")).unwrap();
    assert_eq!(cfg.settings.lines[&LineId::from("line1")].hours, None);
}

#[test]
fn accepted_windows_are_read_back_in_canonical_words() {
    let rows = [
        ("mon-fri 09:00-18:00", "mon-fri 09:00-18:00"),
        ("sat 10:00-14:00", "sat 10:00-14:00"),
        ("sun-mon 08:00-20:00", "sun-mon 08:00-20:00"),
        ("fri-mon 10:00-12:00", "fri-mon 10:00-12:00"),
        ("fri 22:00-06:00", "fri 22:00-06:00"),
        ("sat-sun 18:00-00:00", "sat-sun 18:00-00:00"),
        ("mon-sun 00:00-24:00", "mon-sun 00:00-24:00"),
        ("mon,wed,fri 09:00-12:00", "mon,wed,fri 09:00-12:00"),
        ("mon-tue,thu 09:00-12:00", "mon-tue,thu 09:00-12:00"),
        ("MON-Fri 9:00-17:30", "mon-fri 09:00-17:30"),
        ("  mon , tue   09:00 - 10:00 ", "mon-tue 09:00-10:00"),
        ("mon-mon 09:00-10:00", "mon 09:00-10:00"),
        ("wed 23:59-24:00", "wed 23:59-24:00"),
    ];
    for (text, words) in rows {
        match window("k", text) {
            Ok(w) => assert_eq!(w.to_string(), words, "{text:?}"),
            Err(e) => panic!("{text:?} refused: {e}"),
        }
    }
}

#[test]
fn a_bad_window_is_refused_naming_its_key_and_why() {
    let rows = [
        ("mon-fry 09:00-18:00", "unknown day \"fry\""),
        ("weekdays 09:00-18:00", "unknown day \"weekdays\""),
        ("mon,,tue 09:00-18:00", "unknown day \"\""),
        ("09:00-18:00", "expected the days first"),
        ("", "expected the days first"),
        ("mon-fri", "expected a time range after the days"),
        ("mon-fri 09:00", "expected a time range after the days"),
        ("mon-fri09:00-18:00", "expected a space between the days and the times"),
        ("mon-fri 9-18", "bad time \"9\""),
        ("mon-fri 09:60-18:00", "bad time \"09:60\""),
        ("mon-fri 09:00-24:01", "bad time \"24:01\""),
        ("mon-fri 09:00-25:00", "bad time \"25:00\""),
        ("mon-fri 09:0-18:00", "bad time \"09:0\""),
        ("mon-fri 009:00-18:00", "bad time \"009:00\""),
        ("mon-fri 09:00-18:00-20:00", "bad time \"18:00-20:00\""),
        ("mon-fri 24:00-06:00", "cannot start at 24:00"),
        ("mon-fri 09:00-09:00", "start and end are equal"),
        ("mon-fri 00:00-00:00", "a whole day is 00:00-24:00"),
    ];
    for (text, why) in rows {
        let config = line1_with(&format!("hours = [\"sat 10:00-14:00\", {text:?}]"));
        let message = rejection(&config);
        let expected = format!("lines[0].hours[1]: {text:?}: ");
        assert!(message.starts_with(&expected), "{text:?}: {message}");
        assert!(message.contains(why), "{text:?}: {message} lacks {why:?}");
    }
}

#[test]
fn an_empty_hours_list_and_an_unknown_timezone_are_refused() {
    assert_eq!(
        rejection(&line1_with("hours = []")),
        "lines[0].hours: must list at least one window (leave hours out for a line that is always within \
         hours)"
    );
    assert_eq!(
        rejection(&line1_with("hours = [\"mon-fri 09:00-18:00\"]\ntimezone = \"Mars/Olympus\"")),
        "lines[0].timezone: unknown time zone \"Mars/Olympus\" (expected an IANA name such as \
         \"Europe/Kyiv\" or \"UTC\")"
    );
    assert_rejected(&line1_with("timezone = \"\""), &["lines[0].timezone: unknown time zone \"\""]);
    assert_rejected(&line1_with("timezone = \"+02:00\""), &["lines[0].timezone: unknown time zone"]);
    assert_rejected(&line1_with("hours = \"mon-fri 09:00-18:00\""), &["lines[0].hours", "invalid type"]);
    assert_rejected(&line1_with("hour = [\"mon-fri 09:00-18:00\"]"), &["lines[0].hour", "unknown field"]);
}

#[test]
fn every_bad_window_and_the_timezone_are_reported_together() {
    let message = rejection(&line1_with(
        "hours = [\"mon-fry 09:00-18:00\", \"sat 10:00-14:00\", \"sun 10:00\"]\ntimezone = \"Nowhere\"",
    ));
    assert!(message.starts_with("3 problems:"), "{message}");
    for key in ["lines[0].timezone", "lines[0].hours[0]", "lines[0].hours[2]"] {
        assert!(message.contains(&format!("\n  {key}: ")), "{message} lacks {key}");
    }
}

#[test]
fn within_hours_and_operators_online_land_as_conditions() {
    let rows: [(&str, Option<Vec<Count>>); 6] = [
        ("operators_online = 0", Some(vec![Count::Exactly(0)])),
        ("operators_online = { max = 0 }", Some(vec![Count::AtMost(0)])),
        ("operators_online = { min = 2 }", Some(vec![Count::AtLeast(2)])),
        ("operators_online = { min = 1, max = 3 }", Some(vec![Count::Between(1, 3)])),
        ("operators_online = [0, { min = 5 }]", Some(vec![Count::Exactly(0), Count::AtLeast(5)])),
        ("within_hours = false", None),
    ];
    for (condition, counts) in rows {
        let cfg = parse(&when(&format!("{{ {condition} }}"))).unwrap_or_else(|e| panic!("{condition}: {e}"));
        assert_eq!(cfg.settings.rules[0].when.operators_online, counts, "{condition}");
    }
    let cfg = parse(&when("{ within_hours = false, operators_online = { max = 0 } }")).unwrap();
    let rule = &cfg.settings.rules[0];
    assert_eq!((rule.when.within_hours, rule.when.channel.clone()), (Some(false), None));
    assert_eq!(
        rule.describe(),
        "rule \"greet\": when a new chat, outside the line's hours, no operator of the line online → \
         auto-reply \"hello\" (on the client's first chat only), assign operator alice"
    );
}

#[test]
fn bad_operators_online_and_within_hours_values_are_named() {
    let rows = [
        ("{ operators_online = -1 }", "when.operators_online: must be 0 or a positive integer (got -1)"),
        ("{ operators_online = { max = -2 } }", "when.operators_online.max: must be 0 or a positive integer"),
        (
            "{ operators_online = { min = 3, max = 1 } }",
            "when.operators_online: min (3) must not be above max (1)",
        ),
        ("{ operators_online = {} }", "when.operators_online: needs min, max or both"),
        ("{ operators_online = [] }", "when.operators_online: must not be an empty list"),
        ("{ operators_online = 5000000000 }", "when.operators_online: 5000000000 is too large"),
        ("{ operators_online = \"none\" }", "when.operators_online"),
        (
            "{ operators_online = { maximum = 1 } }",
            "when.operators_online.maximum: unknown key (expected min or max)",
        ),
        ("{ operators_online = { max = \"1\" } }", "when.operators_online"),
        ("{ operators_online = [[0]] }", "when.operators_online"),
        ("{ within_hours = \"yes\" }", "when.within_hours"),
    ];
    for (table, part) in rows {
        let message = rejection(&when(table));
        assert!(message.starts_with("rules[0] (\"greet\")."), "{table}: {message}");
        assert!(message.contains(part), "{table}: {message} lacks {part:?}");
    }
}
