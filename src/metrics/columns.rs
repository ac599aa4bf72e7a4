//! The period and clock-interval columns a contact is grouped by, DST-correct in the zone.

use chrono_tz::Tz;
use polars::prelude::*;

use super::period::{self, PeriodKind};

/// 1972-01-01T00:00:00Z in µs: from then on every zone offset is a whole number of minutes.
const SINCE_1972: i64 = 63_072_000_000_000;

/// An expression giving each contact's period start (µs) from `arrived_at`.
pub fn period_column(kind: PeriodKind, tz: Tz) -> Expr {
    period_expr(kind, tz)
}

/// Every period start from the one holding `lo` through the one holding `hi`, for calendar
/// periods (day, week, month, quarter), when there are at most [`MAX_STARTS`]: then each
/// instant's period start is the last of these at or before it, two or three comparisons
/// instead of a time-zone conversion. `None` for clock intervals, for wider spans, and if a
/// computed start is not its own period's start (each is checked).
pub(super) fn calendar_starts(kind: PeriodKind, tz: Tz, lo: i64, hi: i64) -> Option<Vec<i64>> {
    if kind.clock_minutes().is_some() {
        return None;
    }
    let mut starts = vec![period::period_start(kind, tz, lo)];
    loop {
        let last = *starts.last()?;
        let next = period::period_end(kind, tz, last);
        if next > hi {
            return Some(starts);
        }
        if next <= last || starts.len() >= MAX_STARTS || period::period_start(kind, tz, next) != next {
            return None;
        }
        starts.push(next);
    }
}

/// The most period starts [`calendar_starts`] lists for one batch of contacts.
const MAX_STARTS: usize = 1024;

pub(super) fn period_expr(kind: PeriodKind, tz: Tz) -> Expr {
    col("arrived_at").dt().timestamp(TimeUnit::Microseconds).map(
        move |c: Column| {
            let ca = c.i64()?;
            let span = ca.min().zip(ca.max());
            if let Some(starts) = span.and_then(|(lo, hi)| calendar_starts(kind, tz, lo, hi)) {
                let out: Int64Chunked = ca.apply_values(|us| {
                    let k = starts.partition_point(|s| *s <= us);
                    k.checked_sub(1).and_then(|k| starts.get(k)).copied().unwrap_or(i64::MIN)
                });
                return Ok(out.with_name(c.name().clone()).into_column());
            }
            let mut cache: Option<(i64, i64)> = None; // (utc minute, period start)
            let out: Int64Chunked = ca
                .iter()
                .map(|v| {
                    v.map(|us| {
                        let minute = us.div_euclid(60_000_000);
                        match cache {
                            Some((m, start)) if m == minute && us >= SINCE_1972 => {
                                // Transitions fall on whole minutes since 1972; within one UTC
                                // minute the period start is the same unless a clock period
                                // boundary is crossed, which also falls on a whole minute.
                                start
                            }
                            _ => {
                                let start = period::period_start(kind, tz, us);
                                cache = Some((minute, start));
                                start
                            }
                        }
                    })
                })
                .collect();
            Ok(out.with_name(c.name().clone()).into_column())
        },
        |_, f| Ok(Field::new(f.name().clone(), DataType::Int64)),
    )
}

pub(super) fn interval_expr(minutes: u32, tz: Tz) -> Expr {
    let clock = PeriodKind::clock(minutes);
    col("arrived_at").dt().timestamp(TimeUnit::Microseconds).map(
        move |c: Column| {
            let ca = c.i64()?;
            let out: Int64Chunked = ca.apply_values(|us| period::interval_start(clock, tz, us));
            Ok(out.with_name(c.name().clone()).into_column())
        },
        |_, f| Ok(Field::new(f.name().clone(), DataType::Int64)),
    )
}

/// A timestamp column read on a business clock (open µs since the clock's origin; null
/// stays null).
pub(super) fn biz_expr(source: &str, clock: std::sync::Arc<crate::time::calendar::BusinessClock>) -> Expr {
    col(source).dt().timestamp(TimeUnit::Microseconds).map(
        move |c: Column| {
            let ca = c.i64()?;
            let out: Int64Chunked = ca.apply_values(|us| clock.at(us));
            Ok(out.with_name(c.name().clone()).into_column())
        },
        |_, f| Ok(Field::new(f.name().clone(), DataType::Int64)),
    )
}

/// Whether each contact arrived inside the clock's open hours.
pub(super) fn open_expr(clock: std::sync::Arc<crate::time::calendar::BusinessClock>) -> Expr {
    col("arrived_at").dt().timestamp(TimeUnit::Microseconds).map(
        move |c: Column| {
            let ca = c.i64()?;
            let out: BooleanChunked = ca.iter().map(|v| v.map(|us| clock.is_open(us))).collect();
            Ok(out.with_name(c.name().clone()).into_column())
        },
        |_, f| Ok(Field::new(f.name().clone(), DataType::Boolean)),
    )
}
