//! Availability from an outage log: (covered minutes − outage minutes) / covered minutes per
//! period, with overlapping outages merged and, optionally, only service hours covered.

use chrono::{Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Weekday};
use chrono_tz::Tz;
use rust_decimal::Decimal;

use super::definition::{AvailabilityDef, MetricDef};
use super::{period, Key, MetricRow, MetricsRequest, ALL};
use crate::time::timestamp as parse;

/// One outage: `[start, end)` in µs, the scope it hit (`*` = everything, or a queue or
/// channel name) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outage {
    pub start: i64,
    pub end: i64,
    pub scope: String,
    pub reason: String,
}

/// Errors reading an outage log or a service-hours string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AvailabilityError {
    #[error("cannot read outage log {path}: {message}")]
    Io { path: String, message: String },
    #[error("{path}:{line}: column {column}: {message}")]
    Row { path: String, line: u64, column: &'static str, message: String },
    #[error("service hours \"{text}\": {message} (expected e.g. \"Mon-Fri 08:00-20:00; Sat 09:00-13:00\")")]
    ServiceHours { text: String, message: String },
}

/// Reads an outage CSV with columns `start,end,scope,reason`. Timestamps are RFC 3339; a
/// value without an offset is read in `zone`.
pub(crate) fn load_outages(path: &std::path::Path, zone: Tz) -> Result<Vec<Outage>, AvailabilityError> {
    let shown = path.display().to_string();
    let rows = crate::util::read_named_csv(path, &["start", "end", "scope", "reason"])
        .map_err(|(_, message)| AvailabilityError::Io { path: shown.clone(), message })?;
    let mut out = Vec::new();
    for (line, f) in rows {
        let ts = |v: &str, column: &'static str| {
            parse::rfc3339(v, Some((zone, parse::DstAmbiguous::Earliest))).map_err(|_| AvailabilityError::Row {
                path: shown.clone(),
                line,
                column,
                message: format!("cannot read \"{v}\" as an RFC 3339 timestamp"),
            })
        };
        let (start, end) = (ts(&f[0], "start")?, ts(&f[1], "end")?);
        if end < start {
            return Err(AvailabilityError::Row {
                path: shown.clone(),
                line,
                column: "end",
                message: "the outage ends before it starts".to_string(),
            });
        }
        out.push(Outage {
            start,
            end,
            scope: if f[2].is_empty() { ALL.to_string() } else { f[2].clone() },
            reason: f[3].clone(),
        });
    }
    Ok(out)
}

/// Weekly service hours: (weekday, start, end) spans in local time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceHours(pub Vec<(Weekday, NaiveTime, Option<NaiveTime>)>);

const DAYS: [(&str, Weekday); 7] = [
    ("Mon", Weekday::Mon),
    ("Tue", Weekday::Tue),
    ("Wed", Weekday::Wed),
    ("Thu", Weekday::Thu),
    ("Fri", Weekday::Fri),
    ("Sat", Weekday::Sat),
    ("Sun", Weekday::Sun),
];

impl ServiceHours {
    /// Parses `"Mon-Fri 08:00-20:00; Sat 09:00-13:00"`; an end of `24:00` means midnight.
    pub(crate) fn parse(text: &str) -> Result<ServiceHours, AvailabilityError> {
        let err = |m: &str| AvailabilityError::ServiceHours { text: text.to_string(), message: m.to_string() };
        let day = |s: &str| DAYS.iter().position(|(n, _)| *n == s).ok_or_else(|| err(&format!("unknown day \"{s}\"")));
        let time =
            |s: &str| NaiveTime::parse_from_str(s, "%H:%M").map_err(|_| err(&format!("cannot read time \"{s}\"")));
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
            let (h0, h1) = hours.trim().split_once('-').ok_or_else(|| err("hours must be HH:MM-HH:MM"))?;
            let start = time(h0)?;
            let end = if h1 == "24:00" { None } else { Some(time(h1)?) };
            if end.is_some_and(|e| e <= start) {
                return Err(err("hours must end after they start"));
            }
            for (_, wd) in &DAYS[d0..=d1] {
                spans.push((*wd, start, end));
            }
        }
        if spans.is_empty() {
            return Err(err("no hours given"));
        }
        Ok(ServiceHours(spans))
    }
}

fn local_instant(tz: Tz, date: NaiveDate, t: Option<NaiveTime>) -> i64 {
    match t {
        None => period::local_midnight(tz, date + Duration::days(1)),
        Some(t) => {
            let mut naive = date.and_time(t);
            for _ in 0..8 {
                if let Some(x) = tz.from_local_datetime(&naive).earliest() {
                    return x.timestamp_micros();
                }
                naive += Duration::minutes(15);
            }
            naive.and_utc().timestamp_micros()
        }
    }
}

/// The covered spans of `[start, end)`: all of it, or its service hours.
fn covered(tz: Tz, start: i64, end: i64, hours: Option<&ServiceHours>) -> Vec<(i64, i64)> {
    let Some(hours) = hours else {
        return vec![(start, end)];
    };
    let mut out = Vec::new();
    let first = chrono::DateTime::from_timestamp_micros(start).map(|t| t.with_timezone(&tz).date_naive());
    let Some(mut d) = first else { return out };
    loop {
        let day_start = period::local_midnight(tz, d);
        if day_start >= end {
            break;
        }
        for (wd, s, e) in &hours.0 {
            if d.weekday() == *wd {
                let (a, b) = (local_instant(tz, d, Some(*s)).max(start), local_instant(tz, d, *e).min(end));
                if a < b {
                    out.push((a, b));
                }
            }
        }
        d += Duration::days(1);
    }
    out
}

/// Merges overlapping spans.
pub(crate) fn merge(mut spans: Vec<(i64, i64)>) -> Vec<(i64, i64)> {
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

fn overlap(a: &[(i64, i64)], b: &[(i64, i64)]) -> i64 {
    let mut total = 0;
    for (s1, e1) in a {
        for (s2, e2) in b {
            total += (e1.min(e2) - s1.max(s2)).max(0);
        }
    }
    total
}

/// Availability rows for the given periods.
pub(super) fn rows(
    req: &MetricsRequest,
    def: &AvailabilityDef,
    periods: &[i64],
    metric: &MetricDef,
    row_for: &dyn Fn(&Key, &MetricDef) -> MetricRow,
) -> Result<Vec<MetricRow>, AvailabilityError> {
    let hours = def.service_hours.as_deref().map(ServiceHours::parse).transpose()?;
    let scope = def.scope.clone().unwrap_or_else(|| ALL.to_string());
    let outages = merge(
        req.outages
            .iter()
            .filter(|o| scope == ALL || o.scope == ALL || o.scope == scope)
            .map(|o| (o.start, o.end))
            .collect(),
    );
    let mut out = Vec::new();
    for &ps in periods {
        let pe = period::period_end(req.period, req.zone, ps);
        let cover = covered(req.zone, ps, pe, hours.as_ref());
        let total: i64 = cover.iter().map(|(s, e)| e - s).sum();
        let down = overlap(&cover, &outages);
        let key: Key = (ps, ALL.to_string(), scope.clone(), ALL.to_string());
        let mut row = row_for(&key, metric);
        let (up_s, total_s) = (Decimal::new((total - down) / 1000, 3), Decimal::new(total / 1000, 3));
        row.numerator = Some(up_s);
        row.denominator = Some(total_s);
        row.sample_size = u64::try_from(total / 60_000_000).unwrap_or(0);
        row.value = crate::money::ratio(up_s * Decimal::ONE_HUNDRED, total_s, 4);
        out.push(row);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merging_and_overlap() {
        assert_eq!(merge(vec![(5, 10), (0, 3), (2, 6), (20, 30)]), vec![(0, 10), (20, 30)]);
        assert_eq!(overlap(&[(0, 10), (20, 30)], &[(5, 25)]), 10);
    }

    #[test]
    fn service_hours_parse_and_cover() {
        let h = ServiceHours::parse("Mon-Fri 08:00-20:00; Sat 09:00-13:00");
        assert!(h.is_ok());
        let h = h.unwrap_or(ServiceHours(vec![]));
        assert_eq!(h.0.len(), 6);
        let tz = chrono_tz::America::New_York;
        // Week of Mon 2026-10-05: 5 × 12 h + 4 h = 64 h.
        let start = period::local_midnight(tz, NaiveDate::from_ymd_opt(2026, 10, 5).unwrap_or_default());
        let end = period::local_midnight(tz, NaiveDate::from_ymd_opt(2026, 10, 12).unwrap_or_default());
        let total: i64 = covered(tz, start, end, Some(&h)).iter().map(|(a, b)| b - a).sum();
        assert_eq!(total, 64 * 3_600_000_000);
        assert!(ServiceHours::parse("Fri-Mon 08:00-20:00").is_err());
        assert!(ServiceHours::parse("Mon 20:00-08:00").is_err());
    }
}
