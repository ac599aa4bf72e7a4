//! Availability from an outage log: (covered minutes − outage minutes) / covered minutes per
//! period, with overlapping outages merged and, optionally, only service hours covered.

use chrono_tz::Tz;
use rust_decimal::Decimal;

use super::definition::{AvailabilityDef, MetricDef};
use super::{period, Key, MetricRow, MetricsRequest, ALL};
use crate::time::calendar::{merge, Calendar, CalendarError, WeeklyHours};
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
    #[error("service hours: {0}")]
    ServiceHours(#[from] CalendarError),
    #[error("availability: {0}")]
    Calendar(String),
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
    let calendar = match (&def.service_hours, def.calendar.as_deref()) {
        (Some(h), None) => Some(Calendar::weekly("service_hours", req.zone, WeeklyHours::parse(h)?)),
        (None, Some(id)) => Some(
            req.calendar(id)
                .cloned()
                .ok_or_else(|| AvailabilityError::Calendar(format!("no calendar \"{id}\" is defined")))?,
        ),
        (None, None) => None,
        (Some(_), Some(_)) => {
            return Err(AvailabilityError::Calendar("give service_hours or calendar, not both".into()));
        }
    };
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
        let cover = match &calendar {
            None => vec![(ps, pe)],
            Some(c) => c.open_spans(ps, pe).ok_or_else(|| {
                AvailabilityError::Calendar(format!("calendar \"{}\": period {ps} is beyond the dates it covers", c.id))
            })?,
        };
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
    fn service_hours_cover_the_weekly_hours() {
        let h = WeeklyHours::parse("Mon-Fri 08:00-20:00; Sat 09:00-13:00");
        let Ok(h) = h else { return assert!(h.is_ok()) };
        let tz = chrono_tz::America::New_York;
        let cal = Calendar::weekly("x", tz, h);
        // Week of Mon 2026-10-05: 5 × 12 h + 4 h = 64 h.
        let day = |d| chrono::NaiveDate::from_ymd_opt(2026, 10, d).map(|d| period::local_midnight(tz, d));
        let (start, end) = (day(5).unwrap_or_default(), day(12).unwrap_or_default());
        let total: i64 = cal.open_spans(start, end).unwrap_or_default().iter().map(|(a, b)| b - a).sum();
        assert_eq!(total, 64 * 3_600_000_000);
    }
}
