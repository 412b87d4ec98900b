//! Working hours of a line: weekly windows of wall-clock time in the line's time zone, which the
//! rule condition `within_hours` asks about. Hours only feed rules; routing never looks at them.
//!
//! Pure: the instant comes in as a parameter, and the zone's rules travel with the value (the
//! configuration resolves the zone's name once, when it is loaded), so nothing here reads a
//! clock, a file or the machine's time zone. Parsing the configuration's words into windows is
//! the configuration's job; this file only says what a window covers.

use std::fmt;

use jiff::tz::TimeZone;

use super::ids::Timestamp;

/// A day of the week, Monday first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Weekday {
    /// Monday.
    Mon,
    /// Tuesday.
    Tue,
    /// Wednesday.
    Wed,
    /// Thursday.
    Thu,
    /// Friday.
    Fri,
    /// Saturday.
    Sat,
    /// Sunday.
    Sun,
}

impl Weekday {
    /// Every day, Monday first.
    pub const ALL: [Weekday; 7] =
        [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun];

    /// The configuration name (`mon` ... `sun`).
    pub fn as_str(self) -> &'static str {
        match self {
            Weekday::Mon => "mon",
            Weekday::Tue => "tue",
            Weekday::Wed => "wed",
            Weekday::Thu => "thu",
            Weekday::Fri => "fri",
            Weekday::Sat => "sat",
            Weekday::Sun => "sun",
        }
    }

    /// 0 for Monday ... 6 for Sunday.
    fn index(self) -> usize {
        self as usize
    }

    /// The day `index` (0 = Monday), counted round the week.
    fn at(index: usize) -> Weekday {
        Weekday::ALL[index % 7]
    }

    /// The day after.
    pub fn next(self) -> Weekday {
        Weekday::at(self.index() + 1)
    }

    /// The day before.
    pub fn prev(self) -> Weekday {
        Weekday::at(self.index() + 6)
    }
}

/// A set of days of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Days(u8);

impl Days {
    /// No day.
    pub const NONE: Days = Days(0);
    /// Every day.
    pub const ALL: Days = Days(0x7f);

    /// These days and `day`.
    pub fn with(self, day: Weekday) -> Days {
        Days(self.0 | 1 << day.index())
    }

    /// `from` to `to`, both included, going forward round the week: `fri`..`mon` is Friday,
    /// Saturday, Sunday and Monday; `mon`..`mon` is Monday alone.
    pub fn range(from: Weekday, to: Weekday) -> Days {
        let mut days = Days::NONE.with(from);
        let mut day = from;
        while day != to {
            day = day.next();
            days = days.with(day);
        }
        days
    }

    /// Both sets' days.
    pub fn union(self, other: Days) -> Days {
        Days(self.0 | other.0)
    }

    /// `day` is one of them.
    pub fn contains(self, day: Weekday) -> bool {
        self.0 & (1 << day.index()) != 0
    }

    /// No day at all.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// `mon-fri`, `sat`, `mon,wed-thu`, `fri-mon`, `mon-sun`: runs of consecutive days (a run may go
/// round the end of the week), ordered by their first day.
impl fmt::Display for Days {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Days::ALL {
            return f.write_str("mon-sun");
        }
        let mut runs = Vec::new();
        for first in Weekday::ALL.into_iter().filter(|d| self.contains(*d) && !self.contains(d.prev())) {
            let mut last = first;
            while self.contains(last.next()) {
                last = last.next();
            }
            runs.push(if first == last {
                first.as_str().to_string()
            } else {
                format!("{}-{}", first.as_str(), last.as_str())
            });
        }
        f.write_str(&runs.join(","))
    }
}

/// Minutes in a day: the end of a window that closes at midnight (`24:00`).
pub const MINUTES_PER_DAY: u16 = 24 * 60;

/// One weekly window: on each of `days`, from `start` (included) to `end` (excluded), in minutes
/// after local midnight. When `end` is not after `start` the window runs overnight: it opens on
/// each of its days at `start` and closes at `end` on the next day (`fri 22:00-06:00` is Friday
/// 22:00 to Saturday 06:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    days: Days,
    start: u16,
    end: u16,
}

impl Window {
    /// A window, or `None` when it covers nothing or is not one: no days, `start` not before
    /// 24:00, `end` after 24:00, or `start` equal to `end`.
    pub fn new(days: Days, start: u16, end: u16) -> Option<Window> {
        let valid = !days.is_empty() && start < MINUTES_PER_DAY && end <= MINUTES_PER_DAY && start != end;
        valid.then_some(Window { days, start, end })
    }

    /// The window runs past midnight into the next day.
    pub fn overnight(&self) -> bool {
        self.end < self.start
    }

    /// Local wall-clock time `second` (seconds after midnight) on `day` is inside the window.
    pub fn covers(&self, day: Weekday, second: u32) -> bool {
        let (start, end) = (u32::from(self.start) * 60, u32::from(self.end) * 60);
        if self.overnight() {
            (self.days.contains(day) && second >= start) || (self.days.contains(day.prev()) && second < end)
        } else {
            self.days.contains(day) && start <= second && second < end
        }
    }
}

/// `mon-fri 09:00-18:00`: the configuration's words for it.
impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hhmm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
        write!(f, "{} {}-{}", self.days, hhmm(self.start), hhmm(self.end))
    }
}

/// A line's working hours: windows in a time zone. A line without hours is always within hours.
#[derive(Debug, Clone, PartialEq)]
pub struct Hours {
    /// The zone the windows' wall-clock times are read in (UTC unless configured).
    pub zone: TimeZone,
    /// Any of them: at least one.
    pub windows: Vec<Window>,
}

impl Hours {
    /// `now` is inside one of the windows, reading the wall clock of the zone at that instant:
    /// on a day the clocks go forward the skipped wall times never come, and on a day they go
    /// back the repeated ones count twice. An instant the zone database cannot place (beyond
    /// the years -9999 to 9999) is outside.
    pub fn contain(&self, now: Timestamp) -> bool {
        let Ok(instant) = jiff::Timestamp::from_millisecond(now.0) else { return false };
        let local = self.zone.to_datetime(instant);
        let day = Weekday::at(usize::try_from(local.weekday().to_monday_zero_offset()).unwrap_or(0));
        let [h, m, s] = [local.hour(), local.minute(), local.second()].map(|v| u32::try_from(v).unwrap_or(0));
        let second = h * 3600 + m * 60 + s;
        self.windows.iter().any(|w| w.covers(day, second))
    }

    /// The zone's name (`UTC`, `Europe/Kyiv`).
    pub fn zone_name(&self) -> &str {
        self.zone.iana_name().unwrap_or("UTC")
    }
}

/// `mon-fri 09:00-18:00, sat 10:00-14:00 Europe/Kyiv`.
impl fmt::Display for Hours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let windows: Vec<String> = self.windows.iter().map(Window::to_string).collect();
        write!(f, "{} {}", windows.join(", "), self.zone_name())
    }
}
