//! Working hours: is an instant inside a line's weekly windows, read on the wall clock of its
//! time zone? One table per concern: day boundaries, zones and their offsets, clocks going
//! forward and back, overnight windows, day ranges round the week, and the words for them.

use jiff::tz::TimeZone;

use super::*;
use crate::domain::hours::{Days, Hours, Weekday, Window, MINUTES_PER_DAY};

use Weekday::{Fri, Mon, Sat, Sun, Thu, Tue, Wed};

/// `09:00` as minutes after midnight.
fn hm(text: &str) -> u16 {
    let (h, m) = text.split_once(':').unwrap();
    h.parse::<u16>().unwrap() * 60 + m.parse::<u16>().unwrap()
}

fn window(days: Days, from: &str, to: &str) -> Window {
    Window::new(days, hm(from), hm(to)).unwrap()
}

fn range(from: Weekday, to: Weekday) -> Days {
    Days::range(from, to)
}

fn day(d: Weekday) -> Days {
    Days::NONE.with(d)
}

fn hours(zone: &str, windows: &[Window]) -> Hours {
    Hours { zone: TimeZone::get(zone).unwrap(), windows: windows.to_vec() }
}

fn at(rfc3339: &str) -> Timestamp {
    Timestamp::parse_rfc3339(rfc3339).unwrap_or_else(|| panic!("bad time {rfc3339}"))
}

/// Each row: an instant (UTC) and whether it is within `hours`.
fn check(hours: &Hours, rows: &[(&str, bool)]) {
    for (instant, inside) in rows {
        assert_eq!(hours.contain(at(instant)), *inside, "{instant} within {hours}");
    }
}

#[test]
fn office_hours_in_utc_start_at_the_minute_and_end_just_before_the_end() {
    // 2024-01-15 is a Monday.
    let office = hours("UTC", &[window(range(Mon, Fri), "09:00", "18:00")]);
    check(
        &office,
        &[
            ("2024-01-14T23:59:59.999Z", false), // Sunday night
            ("2024-01-15T00:00:00Z", false),
            ("2024-01-15T08:59:59.999Z", false),
            ("2024-01-15T09:00:00Z", true),
            ("2024-01-15T12:30:00Z", true),
            ("2024-01-15T17:59:59.999Z", true),
            ("2024-01-15T18:00:00Z", false),
            ("2024-01-17T09:00:00Z", true), // Wednesday
            ("2024-01-19T17:59:00Z", true), // Friday
            ("2024-01-19T18:00:00Z", false),
            ("2024-01-20T12:00:00Z", false), // Saturday
            ("2024-01-21T12:00:00Z", false), // Sunday
        ],
    );
}

#[test]
fn a_zone_moves_the_windows_against_utc_and_its_day_is_the_one_that_counts() {
    let new_york = hours("America/New_York", &[window(range(Mon, Fri), "09:00", "18:00")]);
    check(
        &new_york,
        &[
            // Winter: EST, UTC-5.
            ("2024-01-15T13:59:59Z", false),
            ("2024-01-15T14:00:00Z", true),
            ("2024-01-15T22:59:59Z", true),
            ("2024-01-15T23:00:00Z", false),
            // Summer: EDT, UTC-4.
            ("2024-07-15T12:59:59Z", false),
            ("2024-07-15T13:00:00Z", true),
            ("2024-07-15T21:59:59Z", true),
            ("2024-07-15T22:00:00Z", false),
            // Saturday 02:00 UTC is still Friday 21:00 in New York: after hours, not the weekend.
            ("2024-01-20T02:00:00Z", false),
            // Monday 03:00 UTC is Sunday 22:00 in New York.
            ("2024-01-15T03:00:00Z", false),
        ],
    );
    // Tokyo (UTC+9): its Monday runs from Sunday 15:00 UTC to Monday 15:00 UTC.
    let tokyo = hours("Asia/Tokyo", &[window(day(Mon), "00:00", "24:00")]);
    check(
        &tokyo,
        &[
            ("2024-01-14T14:59:59Z", false),
            ("2024-01-14T15:00:00Z", true),
            ("2024-01-15T14:59:59.999Z", true),
            ("2024-01-15T15:00:00Z", false),
        ],
    );
    // Kolkata (UTC+5:30): a half-hour offset.
    let kolkata = hours("Asia/Kolkata", &[window(range(Mon, Fri), "09:00", "18:00")]);
    check(&kolkata, &[("2024-01-15T03:29:59Z", false), ("2024-01-15T03:30:00Z", true)]);
}

#[test]
fn the_zone_defaults_to_utc_and_a_line_without_hours_is_always_within_them() {
    let utc = Hours { zone: TimeZone::UTC, windows: vec![window(range(Mon, Fri), "09:00", "18:00")] };
    check(&utc, &[("2024-01-15T08:59:00Z", false), ("2024-01-15T09:00:00Z", true)]);
    assert_eq!(utc.to_string(), "mon-fri 09:00-18:00 UTC");
    let always = Line {
        id: line("line1"),
        strategy: Strategy::Broadcast,
        overflow_after: None,
        overflow_to: None,
        reassign_after: None,
        hours: None,
    };
    for instant in ["2024-01-13T03:00:00Z", "2024-01-15T12:00:00Z", "1970-01-01T00:00:00Z"] {
        assert!(always.within_hours(at(instant)), "{instant}");
    }
    let office = Line { hours: Some(utc), ..always };
    assert!(!office.within_hours(at("2024-01-13T12:00:00Z")), "Saturday");
    assert!(office.within_hours(at("2024-01-15T12:00:00Z")), "Monday");
}

#[test]
fn when_the_clocks_go_forward_the_skipped_hour_never_comes() {
    // New York, Sunday 2024-03-10: at 07:00 UTC, 02:00 EST becomes 03:00 EDT.
    let skipped = hours("America/New_York", &[window(day(Sun), "02:00", "03:00")]);
    check(
        &skipped,
        &[
            ("2024-03-10T06:59:59Z", false), // 01:59:59 EST
            ("2024-03-10T07:00:00Z", false), // 03:00 EDT
            ("2024-03-10T07:30:00Z", false),
            ("2024-03-17T06:00:00Z", true), // a week later: 02:00 EDT
        ],
    );
    // A window across the change lasts one hour less that night.
    let night = hours("America/New_York", &[window(day(Sun), "01:00", "04:00")]);
    check(
        &night,
        &[
            ("2024-03-10T05:59:59Z", false), // 00:59:59 EST
            ("2024-03-10T06:00:00Z", true),  // 01:00 EST
            ("2024-03-10T07:00:00Z", true),  // 03:00 EDT
            ("2024-03-10T07:59:59Z", true),  // 03:59:59 EDT
            ("2024-03-10T08:00:00Z", false), // 04:00 EDT: two real hours after opening
        ],
    );
    // Kyiv, Sunday 2024-03-31: at 01:00 UTC, 03:00 EET (UTC+2) becomes 04:00 EEST (UTC+3).
    let kyiv = hours("Europe/Kyiv", &[window(range(Mon, Fri), "09:00", "18:00")]);
    check(
        &kyiv,
        &[
            ("2024-03-29T06:59:59Z", false), // Friday 08:59:59 EET
            ("2024-03-29T07:00:00Z", true),
            ("2024-03-29T15:59:59Z", true),
            ("2024-03-29T16:00:00Z", false),
            ("2024-04-01T05:59:59Z", false), // Monday 08:59:59 EEST
            ("2024-04-01T06:00:00Z", true),
            ("2024-04-01T14:59:59Z", true),
            ("2024-04-01T15:00:00Z", false),
        ],
    );
}

#[test]
fn when_the_clocks_go_back_the_repeated_hour_counts_twice() {
    // New York, Sunday 2024-11-03: at 06:00 UTC, 02:00 EDT becomes 01:00 EST again.
    let repeated = hours("America/New_York", &[window(day(Sun), "01:00", "02:00")]);
    check(
        &repeated,
        &[
            ("2024-11-03T04:59:59Z", false), // 00:59:59 EDT
            ("2024-11-03T05:00:00Z", true),  // 01:00 EDT
            ("2024-11-03T05:59:59Z", true),  // 01:59:59 EDT
            ("2024-11-03T06:00:00Z", true),  // 01:00 EST
            ("2024-11-03T06:59:59Z", true),  // 01:59:59 EST
            ("2024-11-03T07:00:00Z", false), // 02:00 EST
        ],
    );
    // Europe/Kyiv, Sunday 2024-10-27: at 01:00 UTC, 04:00 EEST becomes 03:00 EET.
    let kyiv = hours("Europe/Kyiv", &[window(range(Mon, Fri), "09:00", "18:00")]);
    check(
        &kyiv,
        &[
            ("2024-10-25T05:59:59Z", false), // Friday 08:59:59 EEST
            ("2024-10-25T06:00:00Z", true),
            ("2024-10-28T06:59:59Z", false), // Monday 08:59:59 EET
            ("2024-10-28T07:00:00Z", true),
            ("2024-10-28T15:59:59Z", true),
            ("2024-10-28T16:00:00Z", false),
        ],
    );
}

#[test]
fn an_overnight_window_runs_into_the_next_day_and_round_the_end_of_the_week() {
    // 2024-01-19 is a Friday.
    let friday_night = hours("UTC", &[window(day(Fri), "22:00", "06:00")]);
    assert!(Window::new(day(Fri), hm("22:00"), hm("06:00")).unwrap().overnight());
    check(
        &friday_night,
        &[
            ("2024-01-18T23:00:00Z", false), // Thursday night: Thursday is not listed
            ("2024-01-19T05:00:00Z", false), // Friday morning belongs to Thursday's night
            ("2024-01-19T21:59:59Z", false),
            ("2024-01-19T22:00:00Z", true),
            ("2024-01-20T00:00:00Z", true), // Saturday, still Friday's night
            ("2024-01-20T05:59:59.999Z", true),
            ("2024-01-20T06:00:00Z", false),
            ("2024-01-20T22:00:00Z", false), // Saturday night: not listed
        ],
    );
    let sunday_night = hours("UTC", &[window(day(Sun), "22:00", "02:00")]);
    check(
        &sunday_night,
        &[
            ("2024-01-13T23:00:00Z", false), // Saturday
            ("2024-01-14T22:00:00Z", true),  // Sunday
            ("2024-01-15T01:59:59Z", true),  // Monday, the next week
            ("2024-01-15T02:00:00Z", false),
        ],
    );
    // Ending at 00:00 is ending at midnight.
    let late = hours("UTC", &[window(Days::ALL, "22:00", "00:00")]);
    check(&late, &[("2024-01-16T23:59:59Z", true), ("2024-01-17T00:00:00Z", false)]);
}

#[test]
fn day_ranges_go_forward_round_the_week_and_lists_add_up() {
    let long_weekend = hours("UTC", &[window(range(Fri, Mon), "10:00", "12:00")]);
    // 2024-01-15 is a Monday: Monday to Sunday at 11:00.
    let expected =
        [(Mon, true), (Tue, false), (Wed, false), (Thu, false), (Fri, true), (Sat, true), (Sun, true)];
    for (i, (weekday, inside)) in expected.iter().enumerate() {
        let instant = format!("2024-01-{:02}T11:00:00Z", 15 + i);
        assert_eq!(long_weekend.contain(at(&instant)), *inside, "{weekday:?}");
    }
    assert_eq!(Days::range(Mon, Mon), day(Mon), "a range from a day to itself is that day");
    assert_eq!(Days::range(Mon, Sun), Days::ALL);
    assert_eq!(Days::range(Sat, Sun), day(Sat).with(Sun));
    let mon_wed = day(Mon).union(day(Wed));
    assert!(mon_wed.contains(Mon) && mon_wed.contains(Wed) && !mon_wed.contains(Tue));
    // Any window: weekdays, and a Saturday morning.
    let two = hours("UTC", &[window(range(Mon, Fri), "09:00", "18:00"), window(day(Sat), "10:00", "14:00")]);
    check(
        &two,
        &[
            ("2024-01-20T09:30:00Z", false),
            ("2024-01-20T10:00:00Z", true),
            ("2024-01-20T13:59:59Z", true),
            ("2024-01-20T14:00:00Z", false),
            ("2024-01-19T17:00:00Z", true),
            ("2024-01-21T11:00:00Z", false),
        ],
    );
}

#[test]
fn a_whole_week_is_always_and_an_instant_beyond_the_calendar_is_outside() {
    let always = hours("Europe/Kyiv", &[window(Days::ALL, "00:00", "24:00")]);
    for instant in ["2024-03-31T01:30:00Z", "2024-10-27T00:30:00Z", "2024-01-14T23:59:59.999Z"] {
        assert!(always.contain(at(instant)), "{instant}");
    }
    assert!(!always.contain(Timestamp(i64::MAX)));
    assert!(!always.contain(Timestamp(i64::MIN)));
}

#[test]
fn a_window_must_cover_something() {
    let rows: [(Days, u16, u16, bool); 8] = [
        (day(Mon), 0, MINUTES_PER_DAY, true),
        (day(Mon), 540, 1080, true),
        (day(Mon), 1320, 360, true), // overnight
        (day(Mon), 1320, 0, true),   // to midnight
        (Days::NONE, 540, 1080, false),
        (day(Mon), 540, 540, false),
        (day(Mon), MINUTES_PER_DAY, 60, false),
        (day(Mon), 540, MINUTES_PER_DAY + 1, false),
    ];
    for (days, start, end, valid) in rows {
        assert_eq!(Window::new(days, start, end).is_some(), valid, "{days} {start}-{end}");
    }
}

#[test]
fn windows_and_hours_are_written_back_in_the_configuration_words() {
    let rows = [
        (window(range(Mon, Fri), "09:00", "18:00"), "mon-fri 09:00-18:00"),
        (window(day(Sat), "10:00", "14:00"), "sat 10:00-14:00"),
        (window(range(Fri, Mon), "22:00", "06:00"), "fri-mon 22:00-06:00"),
        (window(day(Mon).union(range(Wed, Thu)), "00:00", "24:00"), "mon,wed-thu 00:00-24:00"),
        (window(day(Sun).union(day(Tue)), "08:05", "09:00"), "tue,sun 08:05-09:00"),
        (window(Days::ALL, "00:00", "24:00"), "mon-sun 00:00-24:00"),
        (window(range(Sat, Sun).union(day(Mon)), "10:00", "11:00"), "sat-mon 10:00-11:00"),
    ];
    for (window, words) in rows {
        assert_eq!(window.to_string(), words);
    }
    let kyiv = hours(
        "Europe/Kyiv",
        &[window(range(Mon, Fri), "09:00", "18:00"), window(day(Sat), "10:00", "14:00")],
    );
    assert_eq!(kyiv.to_string(), "mon-fri 09:00-18:00, sat 10:00-14:00 Europe/Kyiv");
}
