//! Service calendars: the hours a contract is measured in. A calendar is weekly hours in an
//! IANA zone (`"Mon-Fri 08:00-20:00; Sat 09:00-17:00"`), holidays (closed all day) and
//! overrides (other hours on one day, e.g. a half day on 24 December).
//!
//! Two things are read from it: whether an instant is inside hours ([`BusinessClock::is_open`])
//! and the *business clock* — open time elapsed since a fixed point — so that the business time
//! between two instants is a subtraction ([`BusinessClock::at`]). Both are DST-correct: the
//! open spans are local times converted to instants day by day (docs/metrics.md, "Calendars").

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::period::local_midnight;

/// A calendar as written in a contract or metrics file (`[[calendar]]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarSpec {
    pub id: String,
    /// IANA zone of the hours; default: the contract's (or the run's) zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// Weekly hours, e.g. `"Mon-Fri 08:00-20:00; Sat 09:00-17:00"`.
    pub hours: String,
    /// Closed days: `"2025-12-25"` or an inclusive range `"2025-12-24..2025-12-31"`.
    #[serde(default)]
    pub holidays: Vec<String>,
    /// Other hours on single days (instead of the weekly hours).
    #[serde(default)]
    pub overrides: Vec<OverrideSpec>,
}

/// One day with other hours: `{ date = "2025-12-24", hours = "09:00-13:00" }`;
/// `hours = "closed"` closes the day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverrideSpec {
    pub date: String,
    pub hours: String,
}

/// Errors in a calendar or an hours string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("hours \"{text}\": {message} (expected e.g. \"Mon-Fri 08:00-20:00; Sat 09:00-13:00\")")]
    Hours { text: String, message: String },
    #[error("calendar \"{id}\": {message}")]
    Invalid { id: String, message: String },
}

/// A span of local hours; `None` as the end means midnight (`24:00`).
pub type Span = (NaiveTime, Option<NaiveTime>);

/// Weekly hours: (weekday, start, end) spans in local time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeeklyHours(pub Vec<(Weekday, NaiveTime, Option<NaiveTime>)>);

const DAYS: [(&str, Weekday); 7] = [
    ("Mon", Weekday::Mon),
    ("Tue", Weekday::Tue),
    ("Wed", Weekday::Wed),
    ("Thu", Weekday::Thu),
    ("Fri", Weekday::Fri),
    ("Sat", Weekday::Sat),
    ("Sun", Weekday::Sun),
];

/// The first local time where two spans of one day overlap, if any (touching is not overlap).
fn overlap(spans: &[Span]) -> Option<NaiveTime> {
    let mut sorted = spans.to_vec();
    sorted.sort();
    sorted.windows(2).find_map(|w| match w[0].1 {
        None => Some(w[1].0),
        Some(end) if end > w[1].0 => Some(w[1].0),
        Some(_) => None,
    })
}

/// Parses `"HH:MM-HH:MM"`; an end of `24:00` means midnight.
fn parse_span(hours: &str, err: &dyn Fn(&str) -> CalendarError) -> Result<Span, CalendarError> {
    let time = |s: &str| NaiveTime::parse_from_str(s, "%H:%M").map_err(|_| err(&format!("cannot read time \"{s}\"")));
    let (h0, h1) = hours.trim().split_once('-').ok_or_else(|| err("hours must be HH:MM-HH:MM"))?;
    let start = time(h0.trim())?;
    let end = if h1.trim() == "24:00" { None } else { Some(time(h1.trim())?) };
    if end.is_some_and(|e| e <= start) {
        return Err(err("hours must end after they start"));
    }
    Ok((start, end))
}

impl WeeklyHours {
    /// Parses `"Mon-Fri 08:00-20:00; Sat 09:00-13:00"`; an end of `24:00` means midnight.
    pub fn parse(text: &str) -> Result<WeeklyHours, CalendarError> {
        let err = |m: &str| CalendarError::Hours { text: text.to_string(), message: m.to_string() };
        let day = |s: &str| DAYS.iter().position(|(n, _)| *n == s).ok_or_else(|| err(&format!("unknown day \"{s}\"")));
        let mut spans = Vec::new();
        for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (days, hours) = part.split_once(' ').ok_or_else(|| err("each entry needs days and hours"))?;
            let (d0, d1) = match days.split_once('-') {
                Some((a, b)) => (day(a)?, day(b)?),
                None => (day(days)?, day(days)?),
            };
            if d1 < d0 {
                return Err(err("day ranges run Monday to Sunday"));
            }
            let (start, end) = parse_span(hours, &err)?;
            for (_, wd) in &DAYS[d0..=d1] {
                spans.push((*wd, start, end));
            }
        }
        if spans.is_empty() {
            return Err(err("no hours given"));
        }
        for (_, wd) in &DAYS {
            if let Some(m) = overlap(&WeeklyHours(spans.clone()).on(*wd)) {
                return Err(err(&format!("two spans on {wd} overlap at {m}")));
            }
        }
        Ok(WeeklyHours(spans))
    }

    /// Whether a local date and time falls inside the hours (a span includes its start and
    /// excludes its end; an end of `24:00` runs to midnight).
    pub fn contains(&self, local: chrono::NaiveDateTime) -> bool {
        let (wd, t) = (local.weekday(), local.time());
        self.0.iter().any(|(d, s, e)| *d == wd && t >= *s && e.is_none_or(|e| t < e))
    }

    fn on(&self, wd: Weekday) -> Vec<Span> {
        self.0.iter().filter(|(d, _, _)| *d == wd).map(|(_, s, e)| (*s, *e)).collect()
    }
}

/// A checked calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    pub id: String,
    pub zone: Tz,
    pub hours: WeeklyHours,
    pub holidays: BTreeSet<NaiveDate>,
    /// Days with other hours (an empty list: closed).
    pub overrides: BTreeMap<NaiveDate, Vec<Span>>,
}

/// The most days one holiday range may span (a typo guard: ten years).
const MAX_RANGE_DAYS: i64 = 3653;

impl Calendar {
    /// Checks a written calendar; `default_zone` applies when it names none.
    pub fn from_spec(spec: &CalendarSpec, default_zone: Tz) -> Result<Calendar, CalendarError> {
        let invalid = |m: String| CalendarError::Invalid { id: spec.id.clone(), message: m };
        if spec.id.trim().is_empty() {
            return Err(invalid("the id is empty".into()));
        }
        let zone = match &spec.zone {
            None => default_zone,
            Some(z) => z
                .parse()
                .map_err(|_| invalid(format!("zone \"{z}\" is not an IANA time zone such as Europe/London")))?,
        };
        let hours = WeeklyHours::parse(&spec.hours)?;
        let date = |s: &str, what: &str| {
            NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                .map_err(|_| invalid(format!("{what} \"{s}\" is not a date (YYYY-MM-DD)")))
        };
        let mut holidays = BTreeSet::new();
        for h in &spec.holidays {
            let (a, b) = match h.split_once("..") {
                Some((a, b)) => (date(a, "holiday")?, date(b, "holiday")?),
                None => (date(h, "holiday")?, date(h, "holiday")?),
            };
            if b < a {
                return Err(invalid(format!("holiday range \"{h}\" ends before it starts")));
            }
            if (b - a).num_days() > MAX_RANGE_DAYS {
                return Err(invalid(format!("holiday range \"{h}\" spans more than ten years")));
            }
            let mut d = a;
            while d <= b {
                holidays.insert(d);
                d = d.succ_opt().ok_or_else(|| invalid(format!("holiday range \"{h}\" runs past the last date")))?;
            }
        }
        let mut overrides = BTreeMap::new();
        for o in &spec.overrides {
            let d = date(&o.date, "override date")?;
            let err = |m: &str| CalendarError::Hours { text: o.hours.clone(), message: m.to_string() };
            let spans = if o.hours.trim() == "closed" {
                Vec::new()
            } else {
                o.hours.split(',').map(|s| parse_span(s, &err)).collect::<Result<Vec<_>, _>>()?
            };
            if let Some(m) = overlap(&spans) {
                return Err(invalid(format!("the override of {d} has two spans overlapping at {m}")));
            }
            if holidays.contains(&d) {
                return Err(invalid(format!("{d} is both a holiday and an override; keep one")));
            }
            if overrides.insert(d, spans).is_some() {
                return Err(invalid(format!("{d} is overridden twice")));
            }
        }
        Ok(Calendar { id: spec.id.clone(), zone, hours, holidays, overrides })
    }

    /// A calendar that is only weekly hours (availability's `service_hours`).
    pub fn weekly(id: &str, zone: Tz, hours: WeeklyHours) -> Calendar {
        Calendar { id: id.to_string(), zone, hours, holidays: BTreeSet::new(), overrides: BTreeMap::new() }
    }

    /// The local hours of one day.
    fn spans_on(&self, d: NaiveDate) -> Vec<Span> {
        if self.holidays.contains(&d) {
            return Vec::new();
        }
        match self.overrides.get(&d) {
            Some(s) => s.clone(),
            None => self.hours.on(d.weekday()),
        }
    }

    /// The open spans `[start, end)` in µs that meet `[lo, hi)`, merged and clipped to it.
    /// `None` if the range is beyond the dates chrono represents.
    pub fn open_spans(&self, lo: i64, hi: i64) -> Option<Vec<(i64, i64)>> {
        let tz = self.zone;
        let local_date = |us: i64| DateTime::from_timestamp_micros(us).map(|t| t.with_timezone(&tz).date_naive());
        let mut d = local_date(lo)?.pred_opt()?;
        let last = local_date(hi)?.succ_opt()?;
        let mut out = Vec::new();
        while d <= last {
            for (s, e) in self.spans_on(d) {
                let (a, b) = (local_instant(tz, d, Some(s))?, local_instant(tz, d, e)?);
                let (a, b) = (a.max(lo), b.min(hi));
                if a < b {
                    out.push((a, b));
                }
            }
            d = d.succ_opt()?;
        }
        Some(merge(out))
    }
}

/// The instant of a local time on a date; a time in a DST gap moves to the first valid
/// local time after it (in 15-minute steps), `None` (midnight) is the next day's midnight.
fn local_instant(tz: Tz, date: NaiveDate, t: Option<NaiveTime>) -> Option<i64> {
    match t {
        None => Some(local_midnight(tz, date.succ_opt()?)),
        Some(t) => {
            let mut naive = date.and_time(t);
            for _ in 0..12 {
                if let Some(x) = tz.from_local_datetime(&naive).earliest() {
                    return Some(x.timestamp_micros());
                }
                naive = naive.checked_add_signed(Duration::minutes(15))?;
            }
            None
        }
    }
}

/// Merges overlapping or touching spans.
pub fn merge(mut spans: Vec<(i64, i64)>) -> Vec<(i64, i64)> {
    spans.sort_unstable();
    let mut out: Vec<(i64, i64)> = Vec::new();
    for (s, e) in spans {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

/// A calendar's open spans over a range of instants, with the open time before each: the
/// business clock `B(t)` = open µs in `[origin, t)`. The business time from `a` to `b` is
/// `B(b) − B(a)`: the open time between them, zero when both fall in one closed stretch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessClock {
    spans: Vec<(i64, i64)>,
    /// Open µs before each span.
    before: Vec<i64>,
}

/// The widest range a business clock is built for (a guard against extreme timestamps
/// making millions of days of spans): 200 years.
const MAX_CLOCK_US: i64 = 200 * 366 * 86_400_000_000;

impl BusinessClock {
    /// The clock over `[lo, hi]` (instants outside it read as the nearest end). `None` when
    /// the range is wider than 200 years or beyond chrono's dates.
    pub fn new(cal: &Calendar, lo: i64, hi: i64) -> Option<BusinessClock> {
        let hi = hi.checked_add(1)?;
        if hi.checked_sub(lo)? > MAX_CLOCK_US {
            return None;
        }
        let spans = cal.open_spans(lo, hi)?;
        let mut before = Vec::with_capacity(spans.len());
        let mut acc = 0i64;
        for (a, b) in &spans {
            before.push(acc);
            acc += b - a;
        }
        Some(BusinessClock { spans, before })
    }

    /// Open µs from the clock's origin to `t`.
    pub fn at(&self, t: i64) -> i64 {
        let k = self.spans.partition_point(|(a, _)| *a <= t);
        match k.checked_sub(1) {
            None => 0,
            Some(i) => {
                let (a, b) = self.spans[i];
                self.before[i] + (t.min(b) - a)
            }
        }
    }

    /// Whether `t` is inside open hours (a span's start is inside, its end is not).
    pub fn is_open(&self, t: i64) -> bool {
        let k = self.spans.partition_point(|(a, _)| *a <= t);
        k.checked_sub(1).is_some_and(|i| t < self.spans[i].1)
    }

    /// The open spans the clock covers.
    pub fn spans(&self) -> &[(i64, i64)] {
        &self.spans
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).map(|t| t.timestamp_micros()).unwrap_or(i64::MIN)
    }

    fn spec(hours: &str, holidays: &[&str]) -> CalendarSpec {
        CalendarSpec {
            id: "C".into(),
            zone: None,
            hours: hours.into(),
            holidays: holidays.iter().map(|s| s.to_string()).collect(),
            overrides: vec![],
        }
    }

    #[test]
    fn weekly_hours_parse_days_and_midnight() {
        let h = WeeklyHours::parse("Mon-Fri 08:00-20:00; Sat 09:00-24:00");
        assert_eq!(h.as_ref().map(|h| h.0.len()).ok(), Some(6));
        assert!(WeeklyHours::parse("Fri-Mon 08:00-20:00").is_err());
        assert!(WeeklyHours::parse("Mon 20:00-08:00").is_err());
        assert!(WeeklyHours::parse("").is_err());
    }

    /// Friday 18:00 to Monday 09:00 in Mon–Fri 08:00–20:00 is 2 h Friday + 1 h Monday.
    #[test]
    fn the_weekend_does_not_count() {
        let cal = Calendar::from_spec(&spec("Mon-Fri 08:00-20:00", &[]), chrono_tz::Europe::London);
        let Ok(cal) = cal else { return assert!(cal.is_ok()) };
        let (a, b) = (us("2025-10-03T18:00:00+01:00"), us("2025-10-06T09:00:00+01:00"));
        let clock = BusinessClock::new(&cal, a, b);
        let Some(clock) = clock else { return assert!(clock.is_some()) };
        assert_eq!(clock.at(b) - clock.at(a), 3 * 3_600_000_000);
        assert!(clock.is_open(a));
        assert!(!clock.is_open(us("2025-10-04T12:00:00+01:00")));
        assert!(!clock.is_open(us("2025-10-03T20:00:00+01:00")), "the end of the hours is outside");
        assert!(clock.is_open(us("2025-10-06T08:00:00+01:00")), "the start of the hours is inside");
    }
}
