//! Measurement periods: half-open `[start, end)` intervals in an IANA time zone, DST-correct.
//!
//! Calendar periods (day, week, month, quarter) start at local midnight, so a local day has
//! 23, 24 or 25 hours. Clock periods (hour, 30 and 15 minutes) are consecutive stretches of
//! elapsed time aligned to the local clock: the repeated hour of a fall-back night is two
//! periods, labelled with their offsets; the skipped hour of a spring-forward night is none.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Offset, TimeZone};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// Period lengths callsla measures over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    Quarter,
    Month,
    /// ISO week, Monday to Sunday.
    Week,
    Day,
    Hour,
    #[serde(rename = "30m")]
    #[value(name = "30m")]
    Min30,
    #[serde(rename = "15m")]
    #[value(name = "15m")]
    Min15,
}

impl PeriodKind {
    /// Length in minutes for clock periods.
    pub(crate) fn clock_minutes(self) -> Option<i64> {
        match self {
            PeriodKind::Hour => Some(60),
            PeriodKind::Min30 => Some(30),
            PeriodKind::Min15 => Some(15),
            _ => None,
        }
    }

    /// A clock period of `minutes` (used for interval compliance).
    pub(crate) fn clock(minutes: u32) -> Clock {
        Clock(i64::from(minutes))
    }
}

/// A clock interval length in minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Clock(pub i64);

const US_PER_MIN: i64 = 60_000_000;

fn offset_secs(tz: Tz, us: i64) -> i64 {
    let secs = us.div_euclid(1_000_000);
    let naive = chrono::DateTime::from_timestamp(secs, 0).unwrap_or_default().naive_utc();
    i64::from(tz.offset_from_utc_datetime(&naive).fix().local_minus_utc())
}

fn local_date(tz: Tz, us: i64) -> NaiveDate {
    let local_us = us.saturating_add(offset_secs(tz, us).saturating_mul(1_000_000));
    chrono::DateTime::from_timestamp_micros(local_us).unwrap_or_default().date_naive()
}

/// The first instant of a local date: midnight, or the end of a DST gap that swallows it.
pub(crate) fn local_midnight(tz: Tz, date: NaiveDate) -> i64 {
    let mut t: NaiveDateTime = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    for _ in 0..(24 * 4) {
        if let Some(dt) = tz.from_local_datetime(&t).earliest() {
            return dt.timestamp_micros();
        }
        // At the end of the calendar's range there is no later time to try.
        let Some(next) = t.checked_add_signed(Duration::minutes(15)) else { break };
        t = next;
    }
    // No valid local time in a whole day cannot happen in the tz database; fall back to UTC.
    date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc().timestamp_micros()
}

fn calendar_start_date(kind: PeriodKind, d: NaiveDate) -> NaiveDate {
    match kind {
        PeriodKind::Quarter => NaiveDate::from_ymd_opt(d.year(), (d.month0() / 3) * 3 + 1, 1).unwrap_or(d),
        PeriodKind::Month => NaiveDate::from_ymd_opt(d.year(), d.month(), 1).unwrap_or(d),
        PeriodKind::Week => {
            d.checked_sub_days(chrono::Days::new(u64::from(d.weekday().num_days_from_monday()))).unwrap_or(d)
        }
        _ => d,
    }
}

fn add_months(d: NaiveDate, n: u32) -> NaiveDate {
    let total = d.year() * 12 + d.month0() as i32 + n as i32;
    NaiveDate::from_ymd_opt(total.div_euclid(12), total.rem_euclid(12) as u32 + 1, 1).unwrap_or(d)
}

fn clock_start(tz: Tz, us: i64, minutes: i64) -> i64 {
    let off = offset_secs(tz, us).saturating_mul(1_000_000);
    let local = us.saturating_add(off);
    let len = minutes.saturating_mul(US_PER_MIN).max(1);
    local.div_euclid(len).saturating_mul(len).saturating_sub(off)
}

/// The start of the period containing instant `us` (µs since the epoch, UTC).
pub fn period_start(kind: PeriodKind, tz: Tz, us: i64) -> i64 {
    match kind.clock_minutes() {
        Some(m) => clock_start(tz, us, m),
        None => local_midnight(tz, calendar_start_date(kind, local_date(tz, us))),
    }
}

/// The end (exclusive) of the period that starts at `start`.
pub fn period_end(kind: PeriodKind, tz: Tz, start: i64) -> i64 {
    match kind.clock_minutes() {
        Some(m) => start.saturating_add(m.saturating_mul(US_PER_MIN)),
        None => {
            let d = local_date(tz, start);
            let next = match kind {
                PeriodKind::Quarter => add_months(d, 3),
                PeriodKind::Month => add_months(d, 1),
                // The calendar's last day has no next one: the period runs to its end.
                PeriodKind::Week => d.checked_add_days(chrono::Days::new(7)).unwrap_or(NaiveDate::MAX),
                _ => d.succ_opt().unwrap_or(NaiveDate::MAX),
            };
            local_midnight(tz, next)
        }
    }
}

/// Start of the clock interval of `minutes` containing `us`.
pub(crate) fn interval_start(clock: Clock, tz: Tz, us: i64) -> i64 {
    clock_start(tz, us, clock.0)
}

/// A human label: `2026-10`, `2026-Q4`, `2026-W40`, `2026-10-01`, `2026-11-01T01:00-04:00`.
pub fn label(kind: PeriodKind, tz: Tz, start: i64) -> String {
    let d = local_date(tz, start);
    match kind {
        PeriodKind::Quarter => format!("{}-Q{}", d.year(), d.month0() / 3 + 1),
        PeriodKind::Month => format!("{}-{:02}", d.year(), d.month()),
        PeriodKind::Week => {
            let w = d.iso_week();
            format!("{}-W{:02}", w.year(), w.week())
        }
        PeriodKind::Day => d.format("%Y-%m-%d").to_string(),
        _ => rfc3339_minutes(tz, start),
    }
}

/// RFC 3339 in the zone's local time with its offset, seconds included.
pub(crate) fn rfc3339(tz: Tz, us: i64) -> String {
    chrono::DateTime::from_timestamp_micros(us)
        .map(|t| t.with_timezone(&tz).to_rfc3339_opts(chrono::SecondsFormat::Secs, false))
        .unwrap_or_default()
}

fn rfc3339_minutes(tz: Tz, us: i64) -> String {
    chrono::DateTime::from_timestamp_micros(us)
        .map(|t| t.with_timezone(&tz).format("%Y-%m-%dT%H:%M%:z").to_string())
        .unwrap_or_default()
}

/// Parses a period label of the given kind (`2026-10`, `2026-Q4`, `2026-10-01`) to its start.
pub fn parse_label(kind: PeriodKind, tz: Tz, s: &str) -> Option<i64> {
    let date = match kind {
        PeriodKind::Month => NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d").ok()?,
        PeriodKind::Quarter => {
            let (y, q) = s.split_once("-Q")?;
            let q: u32 = q.parse().ok().filter(|q| (1..=4).contains(q))?;
            NaiveDate::from_ymd_opt(y.parse().ok()?, (q - 1) * 3 + 1, 1)?
        }
        PeriodKind::Day => NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?,
        _ => return None,
    };
    Some(local_midnight(tz, date))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(s).map(|t| t.timestamp_micros()).unwrap_or(i64::MIN)
    }

    const NY: Tz = chrono_tz::America::New_York;

    /// At the ends of time (i64 µs and chrono's calendar) periods saturate, never panic
    /// (issue 22: unchecked date arithmetic).
    #[test]
    fn periods_at_the_extremes_do_not_panic() {
        let kinds = [PeriodKind::Quarter, PeriodKind::Month, PeriodKind::Week, PeriodKind::Day];
        for us in [i64::MIN, i64::MIN + 1, -1, 0, i64::MAX - 1, i64::MAX] {
            for kind in kinds {
                for tz in [NY, chrono_tz::UTC, chrono_tz::Pacific::Kiritimati] {
                    let start = period_start(kind, tz, us);
                    let _ = period_end(kind, tz, start);
                }
            }
        }
        let last = NaiveDate::MAX;
        assert!(local_midnight(chrono_tz::UTC, last) > 0);
        let _ = period_end(PeriodKind::Week, chrono_tz::UTC, local_midnight(chrono_tz::UTC, last));
    }

    #[test]
    fn days_across_dst_have_23_and_25_hours() {
        for (day, hours) in [("2026-03-08", 23), ("2026-11-01", 25), ("2026-10-01", 24)] {
            let start = parse_label(PeriodKind::Day, NY, day).unwrap_or(0);
            let end = period_end(PeriodKind::Day, NY, start);
            assert_eq!((end - start) / 3_600_000_000, hours, "{day}");
        }
    }

    #[test]
    fn hours_across_fall_back_are_25_distinct_periods() {
        let start = parse_label(PeriodKind::Day, NY, "2026-11-01").unwrap_or(0);
        let end = period_end(PeriodKind::Day, NY, start);
        let mut labels = Vec::new();
        let mut t = start;
        while t < end {
            assert_eq!(period_start(PeriodKind::Hour, NY, t), t);
            labels.push(label(PeriodKind::Hour, NY, t));
            t = period_end(PeriodKind::Hour, NY, t);
        }
        assert_eq!(labels.len(), 25);
        assert_eq!(labels[1], "2026-11-01T01:00-04:00");
        assert_eq!(labels[2], "2026-11-01T01:00-05:00");
        assert_eq!(labels[3], "2026-11-01T02:00-05:00");
    }

    #[test]
    fn contacts_land_in_the_right_period() {
        let cases = [
            // 01:30 EDT and 01:30 EST are different hourly periods on 2026-11-01.
            (PeriodKind::Hour, "2026-11-01T01:30:00-04:00", "2026-11-01T05:00:00Z"),
            (PeriodKind::Hour, "2026-11-01T01:30:00-05:00", "2026-11-01T06:00:00Z"),
            // 03:30 EDT on the spring-forward day: the hour after the gap starts at 03:00 EDT.
            (PeriodKind::Hour, "2026-03-08T03:30:00-04:00", "2026-03-08T07:00:00Z"),
            (PeriodKind::Day, "2026-11-01T23:59:59-05:00", "2026-11-01T04:00:00Z"),
            (PeriodKind::Day, "2026-11-02T00:00:00-05:00", "2026-11-02T05:00:00Z"),
            (PeriodKind::Month, "2026-10-31T23:59:59-04:00", "2026-10-01T04:00:00Z"),
            (PeriodKind::Month, "2026-11-01T00:00:00-04:00", "2026-11-01T04:00:00Z"),
            (PeriodKind::Week, "2026-11-01T12:00:00-05:00", "2026-10-26T04:00:00Z"),
            (PeriodKind::Quarter, "2026-11-15T12:00:00-05:00", "2026-10-01T04:00:00Z"),
            (PeriodKind::Min30, "2026-10-01T09:44:59-04:00", "2026-10-01T13:30:00Z"),
            (PeriodKind::Min15, "2026-10-01T09:45:00-04:00", "2026-10-01T13:45:00Z"),
        ];
        for (kind, at, expected) in cases {
            assert_eq!(period_start(kind, NY, utc(at)), utc(expected), "{kind:?} {at}");
        }
    }

    #[test]
    fn labels() {
        let t = utc("2026-10-01T04:00:00Z");
        assert_eq!(label(PeriodKind::Month, NY, t), "2026-10");
        assert_eq!(label(PeriodKind::Quarter, NY, t), "2026-Q4");
        assert_eq!(label(PeriodKind::Week, NY, utc("2026-09-28T04:00:00Z")), "2026-W40");
        assert_eq!(label(PeriodKind::Day, NY, t), "2026-10-01");
        assert_eq!(rfc3339(NY, t), "2026-10-01T00:00:00-04:00");
        assert_eq!(period_end(PeriodKind::Month, NY, t), utc("2026-11-01T04:00:00Z"));
        assert_eq!(period_end(PeriodKind::Quarter, NY, t), utc("2027-01-01T05:00:00Z"));
    }
}
