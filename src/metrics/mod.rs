//! Metrics: canonical rows → a metric table, one row per period × group × metric, each with
//! the numerator, denominator and sample size it was computed from.
//!
//! The heavy lifting is one Polars plan: per-contact indicator columns for every requested
//! definition (0/1 counts or millisecond sums), summed per period and finest group. Every such
//! aggregate is additive, so roll-ups (all queues, all channels) are exact sums of the finest
//! groups — pooled, never averages of percentages. Percentiles, interval compliance and
//! availability, which are not additive, have their own paths. The one entry point is
//! [`compute`]; formulas are in docs/metrics.md.

pub mod availability;
pub mod definition;
mod fcr;
pub use crate::time::period;
pub mod sql;

use std::collections::BTreeMap;

use chrono_tz::Tz;
use polars::prelude::*;
use rust_decimal::Decimal;
use serde::Serialize;

pub use availability::{Outage, ServiceHours};
pub use definition::{MetricDef, Unit};
pub use period::PeriodKind;

use definition::*;

/// Errors of the metrics stage.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    #[error(transparent)]
    Definition(#[from] DefinitionError),
    #[error("cannot read metrics file {path}: {message}")]
    File { path: String, message: String },
    #[error(transparent)]
    Availability(#[from] availability::AvailabilityError),
    #[error("internal error while computing metrics: {0}; this is a bug in callsla, please report it")]
    Engine(String),
}

impl From<PolarsError> for MetricsError {
    fn from(e: PolarsError) -> Self {
        MetricsError::Engine(e.to_string())
    }
}

/// A grouping dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Dim {
    Channel,
    Queue,
    Agent,
}

impl Dim {
    fn column(self) -> &'static str {
        match self {
            Dim::Channel => "channel",
            Dim::Queue => "queue",
            Dim::Agent => "agent_id",
        }
    }
}

/// The value of a roll-up dimension ("all queues").
pub const ALL: &str = "*";
/// The agent value of contacts without an agent.
pub const NO_AGENT: &str = "(none)";

/// What to compute.
#[derive(Debug, Clone)]
pub struct MetricsRequest {
    pub period: PeriodKind,
    pub zone: Tz,
    /// Grouping dimensions; every subset is also produced as a roll-up.
    pub by: Vec<Dim>,
    pub definitions: Vec<MetricDef>,
    /// What the data is complete up to (µs). Default: the latest `arrived_at` in the data.
    pub as_of: Option<i64>,
    /// Outage log, for availability.
    pub outages: Vec<Outage>,
    /// The CSAT scale the data is declared on (the profile's `source.csat_scale`), and where
    /// it is declared (for messages). CSAT definitions are bound to it before computing.
    pub csat_scale: ([i64; 2], String),
}

/// One output row: a metric for one period and group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MetricRow {
    /// µs since the epoch.
    pub period_start: i64,
    pub period_end: i64,
    pub period: String,
    pub channel: String,
    pub queue: String,
    pub agent: String,
    pub metric: String,
    pub definition: String,
    /// `None`: no data (empty denominator).
    pub value: Option<Decimal>,
    pub unit: Unit,
    pub numerator: Option<Decimal>,
    pub denominator: Option<Decimal>,
    pub sample_size: u64,
    /// The figure can still change (FCR windows or response deadlines not yet passed).
    pub provisional: bool,
    /// Contacts not yet settled (FCR window open, response deadline not reached).
    pub unsettled: u64,
}

/// The metrics stage's output.
#[derive(Debug, Clone)]
pub struct MetricTable {
    pub rows: Vec<MetricRow>,
    pub period: PeriodKind,
    pub zone: Tz,
    /// The `as_of` instant used (µs).
    pub as_of: i64,
}

/// Group key: (period start, channel, queue, agent).
type Key = (i64, String, String, String);

/// Per-definition additive sums: numerator, denominator, sample size, unsettled.
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    num: i64,
    den: i64,
    sample: i64,
    unsettled: i64,
}

const P: &str = "__period";
/// The column marking the contacts to measure when only some are (see [`compute_subset`]).
const JUDGED: &str = "__judged";
const WAIT: &str = "__wait_ms";
const ARR: &str = "__arr_us";
const ANS: &str = "__ans_us";
const END: &str = "__end_us";

/// Contacts on one of these channels, from the boolean channel flags [`prepared`] adds (one
/// string comparison per contact and channel, not per definition).
fn in_channels(channels: &[String]) -> Expr {
    channels.iter().fold(lit(false), |acc, c| {
        let flag = if crate::schema::CHANNELS.contains(&c.as_str()) { col(format!("__ch_{c}")) } else { lit(false) };
        acc.or(flag)
    })
}

fn b2i(e: Expr) -> Expr {
    e.fill_null(lit(false)).cast(DataType::Int64)
}

fn within(value_ms: Expr, threshold_s: u32, inclusive: bool) -> Expr {
    let t = lit(i64::from(threshold_s) * 1000);
    if inclusive {
        value_ms.lt_eq(t)
    } else {
        value_ms.lt(t)
    }
}

/// Per-contact sums for one definition: (numerator, denominator, sample, unsettled).
/// `None` for metrics computed on their own path.
fn indicators(def: &MetricDef, idx: usize, as_of: i64) -> Option<[Expr; 4]> {
    let ch = in_channels(&def.channels());
    let ans = col("answered");
    let ab = col("answered").not();
    let short = |s: u32, inc: bool| ab.clone().and(within(col(WAIT), s, inc));
    let zero = || lit(0i64);
    // Every channel in scope (the usual case): no per-contact gate to evaluate. Then "1" must
    // still be one per contact (a bare literal would be summed once per batch, not per row).
    let chans = def.channels();
    let all_channels = crate::schema::CHANNELS.iter().all(|c| chans.iter().any(|x| x == c));
    let one = || if all_channels { b2i(col(ARR).is_not_null()) } else { lit(1i64) };
    let gate = |e: Expr| if all_channels { e } else { when(ch.clone()).then(e).otherwise(zero()) };
    let out = match def {
        MetricDef::Offered(_) => [gate(one()), zero(), gate(one()), zero()],
        MetricDef::Answered(_) => [gate(b2i(ans.clone())), zero(), gate(one()), zero()],
        MetricDef::Abandoned(_) => [gate(b2i(ab.clone())), zero(), gate(one()), zero()],
        MetricDef::ShortAbandoned(d) => {
            [gate(b2i(short(d.short_abandon_s, d.short_inclusive))), zero(), gate(one()), zero()]
        }
        MetricDef::AbandonmentRate(d) => {
            let sa = b2i(short(d.short_abandon_s, d.short_inclusive));
            match d.short_abandons {
                ShortAbandons::Exclude => [gate(b2i(ab.clone()) - sa.clone()), gate(one() - sa), gate(one()), zero()],
                ShortAbandons::Include => [gate(b2i(ab.clone())), gate(one()), gate(one()), zero()],
            }
        }
        MetricDef::ServiceLevel(d) => {
            let a_le = b2i(ans.clone().and(within(col(WAIT), d.threshold_s, d.inclusive)));
            let ab_le = b2i(ab.clone().and(within(col(WAIT), d.threshold_s, d.inclusive)));
            let sa = b2i(short(d.short_abandon_s, d.short_inclusive));
            let (n, den) = sl_terms(d.abandons, a_le, ab_le, sa, b2i(ans.clone()));
            [gate(n), gate(den), gate(one()), zero()]
        }
        MetricDef::IntervalCompliance(_) => return None,
        MetricDef::Asa(_) => [
            gate(when(ans.clone()).then(col(WAIT).fill_null(zero())).otherwise(zero())),
            gate(b2i(ans.clone())),
            gate(b2i(ans.clone())),
            zero(),
        ],
        MetricDef::Aht(d) => {
            let parts: Vec<Expr> = d
                .components
                .iter()
                .map(|c| {
                    let name = match c {
                        Component::Talk => "talk_s",
                        Component::Hold => "hold_s",
                        Component::Wrap => "wrap_s",
                    };
                    col(name).dt().total_milliseconds(false).fill_null(zero())
                })
                .collect();
            let handle = parts.into_iter().fold(zero(), |a, b| a + b);
            [
                gate(when(ans.clone()).then(handle).otherwise(zero())),
                gate(b2i(ans.clone())),
                gate(b2i(ans.clone())),
                zero(),
            ]
        }
        MetricDef::Fcr(d) => match d.method {
            FcrMethod::Disposition => {
                let resolved = b2i(ans.clone().and(col("resolved").fill_null(lit(false))));
                let den = match d.denominator {
                    FcrDenominator::Handled => b2i(ans.clone()),
                    FcrDenominator::Offered => one(),
                };
                [gate(resolved), gate(den.clone()), gate(den), zero()]
            }
            FcrMethod::RepeatContact => {
                let rep = col(format!("__rep{idx}"));
                let known = col("customer_id").is_not_null();
                // A contact counts once its window has ended by `as_of`, whether or not a repeat
                // was already seen: counting early repeats but not early non-repeats biases the
                // rate low (docs/metrics.md, "Provisional figures").
                let settled = (col(ARR) + lit(i64::from(d.window_days) * 86_400_000_000)).lt_eq(lit(as_of));
                let base = ans.clone().and(known);
                [
                    gate(b2i(base.clone().and(settled.clone()).and(rep.clone().fill_null(lit(false)).not()))),
                    gate(b2i(base.clone().and(settled.clone()))),
                    gate(b2i(ans.clone())),
                    gate(b2i(base.and(settled.not()))),
                ]
            }
        },
        MetricDef::Csat(d) => {
            // Bound to the profile's scale before computing ([`compute_subset`]).
            let [lo, hi] = d.scale?;
            let score = col("csat").cast(DataType::Int64);
            let valid = score.clone().is_not_null().and(score.clone().gt_eq(lit(lo))).and(score.clone().lt_eq(lit(hi)));
            let num = match d.measure {
                CsatMeasure::Top2Box => b2i(valid.clone().and(score.clone().gt_eq(lit(hi - 1)))),
                CsatMeasure::TopBox => b2i(valid.clone().and(score.clone().eq(lit(hi)))),
                CsatMeasure::Mean => when(valid.clone()).then(score.clone()).otherwise(zero()),
            };
            [gate(num), gate(b2i(valid.clone())), gate(b2i(valid)), zero()]
        }
        MetricDef::ResponseTime(d) | MetricDef::ResolutionTime(d) => {
            let at = if matches!(def, MetricDef::ResponseTime(_)) { ANS } else { END };
            let t = lit(i64::from(d.threshold_s) * 1_000_000);
            let done = col(at).is_not_null();
            // Only contacts whose deadline has passed by `as_of` count (the same cohort for the
            // numerator and the denominator; docs/metrics.md, "Provisional figures").
            let decided = (col(ARR) + t.clone()).lt_eq(lit(as_of));
            let met = decided.clone().and(done).and((col(at) - col(ARR)).lt_eq(t));
            [gate(b2i(met)), gate(b2i(decided.clone())), gate(one()), gate(b2i(decided.not()))]
        }
        MetricDef::ResponseTimeMean(_) | MetricDef::ResolutionTimeMean(_) => {
            let at = if matches!(def, MetricDef::ResponseTimeMean(_)) { ANS } else { END };
            let done = col(at).is_not_null();
            [
                gate(when(done.clone()).then((col(at) - col(ARR)) / lit(1000i64)).otherwise(zero())),
                gate(b2i(done.clone())),
                gate(one()),
                gate(b2i(done.not())),
            ]
        }
        MetricDef::ResponseTimePercentile(_) | MetricDef::ResolutionTimePercentile(_) | MetricDef::Availability(_) => {
            return None
        }
    };
    Some(out)
}

/// Service-level numerator and denominator terms for one contact.
fn sl_terms(t: AbandonTreatment, a_le: Expr, ab_le: Expr, sa: Expr, a: Expr) -> (Expr, Expr) {
    let one = || lit(1i64);
    match t {
        AbandonTreatment::CountAgainst => (a_le, one()),
        AbandonTreatment::IgnoreBeforeT => (a_le, one() - ab_le),
        AbandonTreatment::MetBeforeT => (a_le + ab_le, one()),
        AbandonTreatment::AnsweredOnly => (a_le, a),
        AbandonTreatment::ExcludeShort => (a_le, one() - sa),
        AbandonTreatment::ShortMet => (a_le + sa, one()),
    }
}

/// Service level from counts (the same formulas as the per-contact terms), for interval
/// compliance and for tests: returns (numerator, denominator).
pub fn service_level_counts(t: AbandonTreatment, a: i64, ab: i64, a_le: i64, ab_le: i64, sa: i64) -> (i64, i64) {
    match t {
        AbandonTreatment::CountAgainst => (a_le, a + ab),
        AbandonTreatment::IgnoreBeforeT => (a_le, a + ab - ab_le),
        AbandonTreatment::MetBeforeT => (a_le + ab_le, a + ab),
        AbandonTreatment::AnsweredOnly => (a_le, a),
        AbandonTreatment::ExcludeShort => (a_le, a + ab - sa),
        AbandonTreatment::ShortMet => (a_le + sa, a + ab),
    }
}

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
fn calendar_starts(kind: PeriodKind, tz: Tz, lo: i64, hi: i64) -> Option<Vec<i64>> {
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

fn period_expr(kind: PeriodKind, tz: Tz) -> Expr {
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

fn interval_expr(minutes: u32, tz: Tz) -> Expr {
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

/// The canonical rows with the helper columns every path needs.
fn prepared(rows: &DataFrame, req: &MetricsRequest) -> LazyFrame {
    let us = |c: &str| col(c).dt().timestamp(TimeUnit::Microseconds);
    let mut cols = vec![
        period_expr(req.period, req.zone).alias(P),
        col("wait_s").dt().total_milliseconds(false).alias(WAIT),
        us("arrived_at").alias(ARR),
        us("answered_at").alias(ANS),
        us("ended_at").alias(END),
        col("agent_id").fill_null(lit(NO_AGENT)).alias("agent_id"),
    ];
    cols.extend(crate::schema::CHANNELS.iter().map(|c| col("channel").eq(lit(*c)).alias(format!("__ch_{c}"))));
    let mut keep = col("direction").eq(lit("inbound"));
    if rows.column(JUDGED).is_ok() {
        keep = keep.and(col(JUDGED));
    }
    rows.clone().lazy().filter(keep).with_columns(cols)
}

/// The canonical rows with `__rep{idx}` for each repeat-contact FCR definition: whether the
/// same customer (within the scope) contacts again within the window (see [`fcr`]).
fn with_repeats(rows: &DataFrame, req: &MetricsRequest) -> PolarsResult<DataFrame> {
    let mut out = rows.clone();
    let judged = rows.column(JUDGED).ok().map(|c| c.bool()).transpose()?;
    for (idx, d) in req.definitions.iter().enumerate() {
        if let MetricDef::Fcr(f) = d {
            if f.method == FcrMethod::RepeatContact {
                let flags = fcr::repeat_flags(rows, judged, f.scope, i64::from(f.window_days) * 86_400_000_000)?;
                out.with_column(chunked_like(rows, &format!("__rep{idx}"), &flags)?)?;
            }
        }
    }
    Ok(out)
}

/// Runs a plan on Polars' streaming engine (bounded memory for the per-contact expressions).
pub fn collect_streaming(lf: LazyFrame) -> PolarsResult<DataFrame> {
    match lf.collect_with_engine(Engine::Streaming)? {
        polars_core::query_result::QueryResult::Single(df) => Ok(df),
        polars_core::query_result::QueryResult::Multiple(_) => {
            Err(polars_err!(ComputeError: "a plan with one sink returned several"))
        }
    }
}

/// [`aligned`] from per-row values.
fn chunked_like(rows: &DataFrame, name: &str, values: &[Option<bool>]) -> PolarsResult<Column> {
    aligned(rows, name, &BooleanChunked::from_iter_options(name.into(), values.iter().copied()))
}

/// A boolean column cut at the frame's chunk boundaries (zero-copy slices of one bitmap), so
/// adding it to the frame does not make Polars copy the frame into one chunk.
pub fn aligned(rows: &DataFrame, name: &str, values: &BooleanChunked) -> PolarsResult<Column> {
    if values.len() != rows.height() {
        polars_bail!(ComputeError: "a mask of {} rows for {} contacts", values.len(), rows.height());
    }
    let values = values.rechunk().into_owned();
    let lengths: Vec<usize> = match rows.columns().first() {
        Some(c) => c.as_materialized_series().chunk_lengths().collect(),
        None => vec![values.len()],
    };
    let mut out: Option<BooleanChunked> = None;
    let mut at = 0;
    for len in lengths {
        let part = values.slice(at as i64, len);
        match out.as_mut() {
            Some(acc) => acc.append(&part)?,
            None => out = Some(part),
        }
        at += len;
    }
    let ca = out.unwrap_or(values);
    Ok(ca.with_name(name.into()).into_column())
}

fn all_subsets(by: &[Dim]) -> Vec<Vec<Dim>> {
    let n = by.len();
    (0..(1u32 << n)).map(|mask| (0..n).filter(|i| mask & (1 << i) != 0).map(|i| by[i]).collect()).collect()
}

fn rollup_key(base: &Key, keep: &[Dim]) -> Key {
    let pick = |d: Dim, v: &String| if keep.contains(&d) { v.clone() } else { ALL.to_string() };
    (base.0, pick(Dim::Channel, &base.1), pick(Dim::Queue, &base.2), pick(Dim::Agent, &base.3))
}

/// An integer column as a vector (one pass, not a chunk search per value).
fn i64_col(df: &DataFrame, name: &str) -> PolarsResult<Vec<i64>> {
    let c = df.column(name)?.cast(&DataType::Int64)?;
    Ok(c.i64()?.iter().map(|v| v.unwrap_or(0)).collect())
}

/// Every row's finest group: the distinct keys, and each row's index into them. One pass over
/// the key columns; a key's strings are allocated once per group, not once per row.
fn group_index(df: &DataFrame, by: &[Dim], time_col: &str) -> PolarsResult<(Vec<Key>, Vec<u32>)> {
    let time = df.column(time_col)?.cast(&DataType::Int64)?;
    let time = time.i64()?;
    let values = |d: Dim| -> PolarsResult<Box<dyn Iterator<Item = Option<&str>> + '_>> {
        if by.contains(&d) {
            crate::schema::text_values(df.column(d.column())?)
        } else {
            Ok(Box::new(std::iter::repeat(None)))
        }
    };
    let (mut ch, mut qu, mut ag) = (values(Dim::Channel)?, values(Dim::Queue)?, values(Dim::Agent)?);
    type RawKey<'a> = (i64, Option<&'a str>, Option<&'a str>, Option<&'a str>);
    let mut index: crate::util::FastMap<RawKey<'_>, u32> = Default::default();
    let mut keys = Vec::new();
    let mut rows = Vec::with_capacity(df.height());
    for t in time.iter() {
        let k = (t.unwrap_or(0), ch.next().flatten(), qu.next().flatten(), ag.next().flatten());
        let next = keys.len() as u32;
        let g = *index.entry(k).or_insert_with(|| {
            let show = |d: Dim, v: Option<&str>| match (by.contains(&d), d) {
                // Agents are people: reports show a keyed pseudonym, never the id or name.
                (true, Dim::Agent) => match v.unwrap_or_default() {
                    NO_AGENT => NO_AGENT.to_string(),
                    a => crate::util::pseudonym("agent", a),
                },
                (true, _) => v.unwrap_or_default().to_string(),
                (false, _) => ALL.to_string(),
            };
            keys.push((k.0, show(Dim::Channel, k.1), show(Dim::Queue, k.2), show(Dim::Agent, k.3)));
            next
        });
        rows.push(g);
    }
    Ok((keys, rows))
}

fn group_cols(time_col: &str, by: &[Dim]) -> Vec<Expr> {
    let mut g = vec![col(time_col)];
    g.extend(by.iter().map(|d| col(d.column())));
    g
}

/// Computes the metric table. This is the metrics stage's one entry point.
pub fn compute(rows: &DataFrame, req: &MetricsRequest) -> Result<MetricTable, MetricsError> {
    compute_subset(rows, None, req)
}

/// [`compute`] over the contacts where `judged` is true (the contract's scope, outside its
/// exclusion windows), without copying them out of the frame: every path, the repeat-contact
/// search included, sees only those contacts, exactly as if they had been filtered first.
pub fn compute_subset(
    rows: &DataFrame,
    judged: Option<&BooleanChunked>,
    req: &MetricsRequest,
) -> Result<MetricTable, MetricsError> {
    let mut rows = rows.clone();
    if let Some(mask) = judged {
        rows.with_column(aligned(&rows, JUDGED, mask)?)?;
    }
    let rows = &rows;
    let mut bound = req.clone();
    for d in &mut bound.definitions {
        d.validate()?;
        definition::bind_csat_scale(d, req.csat_scale.0, &req.csat_scale.1)?;
    }
    let req = &bound;
    let mut by = req.by.clone();
    by.sort();
    by.dedup();
    let as_of = match (req.as_of, judged) {
        (Some(t), _) => t,
        (None, judged) => {
            let arrived = &rows.column("arrived_at")?.datetime()?.phys;
            match judged {
                Some(mask) => arrived.filter(&mask.rechunk())?.max(),
                None => arrived.max(),
            }
            .unwrap_or(0)
        }
    };

    let explain = crate::util::explaining();
    let clock = std::time::Instant::now();
    let lap = |what: &str| {
        if explain {
            eprintln!("-- time: {what} done at {:.3} s{}", clock.elapsed().as_secs_f64(), crate::util::memory_note());
        }
    };
    let lf = prepared(&with_repeats(rows, req)?, req);
    lap("repeat-contact search");
    let mut aggs = Vec::new();
    let mut additive = Vec::new();
    for (i, d) in req.definitions.iter().enumerate() {
        if let Some(exprs) = indicators(d, i, as_of) {
            for (e, tag) in exprs.into_iter().zip(["n", "d", "s", "u"]) {
                aggs.push(e.sum().alias(format!("{tag}{i}")));
            }
            additive.push(i);
        }
    }
    let plan = lf.clone().group_by(group_cols(P, &by)).agg(aggs);
    if explain {
        // `callsla metrics --explain`: the optimised plan, for understanding a slow run.
        eprintln!("-- metrics plan (optimised)\n{}", plan.explain(true)?);
    }
    let base = collect_streaming(plan)?;
    lap("additive metrics");

    // Roll the finest groups up into every subset of the dimensions.
    let subsets = all_subsets(&by);
    let mut sums: BTreeMap<Key, Vec<Sums>> = BTreeMap::new();
    let (keys, row_group) = group_index(&base, &by, P)?;
    let mut cols = Vec::with_capacity(additive.len());
    for &i in &additive {
        let c = |tag: &str| i64_col(&base, &format!("{tag}{i}"));
        cols.push([c("n")?, c("d")?, c("s")?, c("u")?]);
    }
    for (r, g) in row_group.iter().enumerate() {
        let key = &keys[*g as usize];
        let vals: Vec<Sums> =
            cols.iter().map(|[n, d, s, u]| Sums { num: n[r], den: d[r], sample: s[r], unsettled: u[r] }).collect();
        for keep in &subsets {
            let entry = sums.entry(rollup_key(key, keep)).or_insert_with(|| vec![Sums::default(); additive.len()]);
            for (acc, v) in entry.iter_mut().zip(&vals) {
                acc.num += v.num;
                acc.den += v.den;
                acc.sample += v.sample;
                acc.unsettled += v.unsettled;
            }
        }
    }

    let mut out = Vec::new();
    let row_for = |key: &Key, def: &MetricDef| MetricRow {
        period_start: key.0,
        period_end: period::period_end(req.period, req.zone, key.0),
        period: period::label(req.period, req.zone, key.0),
        channel: key.1.clone(),
        queue: key.2.clone(),
        agent: key.3.clone(),
        metric: def.name().to_string(),
        definition: def.definition(),
        value: None,
        unit: def.unit(),
        numerator: None,
        denominator: None,
        sample_size: 0,
        provisional: false,
        unsettled: 0,
    };
    for (key, vals) in &sums {
        for (slot, &i) in additive.iter().enumerate() {
            let def = &req.definitions[i];
            let s = vals[slot];
            let mut row = row_for(key, def);
            fill_additive(&mut row, def, s);
            out.push(row);
        }
    }

    for d in &req.definitions {
        match d {
            MetricDef::ResponseTimePercentile(p) | MetricDef::ResolutionTimePercentile(p) => {
                let at = if matches!(d, MetricDef::ResponseTimePercentile(_)) { ANS } else { END };
                let keys: Vec<&Key> = sums.keys().collect();
                out.extend(percentiles(&lf, &by, &subsets, &keys, d, p, at, &row_for)?);
            }
            MetricDef::IntervalCompliance(ic) => {
                out.extend(interval_compliance(rows, req, &by, &subsets, d, ic, &row_for)?);
            }
            MetricDef::Availability(a) => {
                let periods: Vec<i64> =
                    sums.keys().map(|k| k.0).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
                out.extend(availability::rows(req, a, &periods, d, &row_for)?);
            }
            _ => {}
        }
    }

    lap("percentiles, interval compliance, availability");
    // Rows in catalogue order within a group; each definition is rendered once, not per comparison.
    let keys: Vec<(&str, String)> = req.definitions.iter().map(|d| (d.name(), d.definition())).collect();
    let order =
        |row: &MetricRow| keys.iter().position(|(n, d)| *n == row.metric && *d == row.definition).unwrap_or(usize::MAX);
    out.sort_by_cached_key(|r| (r.period_start, r.channel.clone(), r.queue.clone(), r.agent.clone(), order(r)));
    Ok(MetricTable { rows: out, period: req.period, zone: req.zone, as_of })
}

fn dec_ms(ms: i64) -> Decimal {
    Decimal::new(ms, 3)
}

/// Value, numerator and denominator of an additive metric from its sums.
fn fill_additive(row: &mut MetricRow, def: &MetricDef, s: Sums) {
    row.sample_size = u64::try_from(s.sample).unwrap_or(0);
    row.unsettled = u64::try_from(s.unsettled).unwrap_or(0);
    row.provisional = s.unsettled > 0;
    let (num, den) = (Decimal::from(s.num), Decimal::from(s.den));
    match def.unit() {
        Unit::Count => {
            row.numerator = Some(num);
            row.value = Some(num);
        }
        Unit::Percent => {
            row.numerator = Some(num);
            row.denominator = Some(den);
            row.value = crate::money::ratio(num * Decimal::ONE_HUNDRED, den, 4);
        }
        Unit::Seconds => {
            let secs = dec_ms(s.num);
            row.numerator = Some(secs);
            row.denominator = Some(den);
            row.value = crate::money::ratio(secs, den, 3);
        }
        Unit::Score => {
            row.numerator = Some(num);
            row.denominator = Some(den);
            row.value = crate::money::ratio(num, den, 4);
        }
    }
}

/// Nearest-rank percentile: the value at rank ⌈p/100 × n⌉ of the sorted values.
pub fn nearest_rank(sorted: &[i64], p: u32) -> Option<(usize, i64)> {
    let k = rank(sorted.len(), p)?;
    sorted.get(k - 1).map(|v| (k, *v))
}

/// [`nearest_rank`] without sorting: selects the value at rank k in linear time (the order of
/// `values` is changed).
fn nearest_rank_unsorted(values: &mut [i64], p: u32) -> Option<(usize, i64)> {
    let k = rank(values.len(), p).filter(|k| *k <= values.len())?;
    let (_, v, _) = values.select_nth_unstable(k - 1);
    Some((k, *v))
}

/// The nearest rank ⌈p/100 × n⌉ (at least 1), or `None` for no values.
fn rank(n: usize, p: u32) -> Option<usize> {
    if n == 0 {
        return None;
    }
    usize::try_from((u64::from(p) * n as u64).div_ceil(100).max(1)).ok()
}

#[allow(clippy::too_many_arguments)] // reason: one private helper, arguments are the request's parts
fn percentiles(
    lf: &LazyFrame,
    by: &[Dim],
    subsets: &[Vec<Dim>],
    all_keys: &[&Key],
    def: &MetricDef,
    p: &PercentileDef,
    at: &str,
    row_for: &dyn Fn(&Key, &MetricDef) -> MetricRow,
) -> Result<Vec<MetricRow>, MetricsError> {
    let mut cols = group_cols(P, by);
    cols.push(((col(at) - col(ARR)) / lit(1000i64)).alias("__v"));
    cols.push(col(at).is_null().alias("__pending"));
    let df = collect_streaming(lf.clone().filter(in_channels(&def.channels())).select(cols))?;
    // Values per finest group, then pooled per roll-up group (a percentile is not additive).
    let (keys, row_group) = group_index(&df, by, P)?;
    let mut finest: Vec<(Vec<i64>, u64)> = vec![(Vec::new(), 0); keys.len()];
    let pending = df.column("__pending")?.bool()?;
    let vals = df.column("__v")?.i64()?;
    for ((g, p), v) in row_group.iter().zip(pending.iter()).zip(vals.iter()) {
        let slot = &mut finest[*g as usize];
        match (p, v) {
            (Some(false), Some(v)) => slot.0.push(v),
            _ => slot.1 += 1,
        }
    }
    // Every group the other metrics have gets a row, "no data" when it has no values.
    let mut members: BTreeMap<Key, Vec<usize>> = all_keys.iter().map(|k| ((*k).clone(), Vec::new())).collect();
    for (g, key) in keys.iter().enumerate() {
        for keep in subsets {
            members.entry(rollup_key(key, keep)).or_default().push(g);
        }
    }
    let groups = members.into_iter().map(|(key, gs)| {
        let mut v: Vec<i64> = Vec::with_capacity(gs.iter().map(|g| finest[*g].0.len()).sum());
        let mut pending = 0;
        for g in gs {
            v.extend_from_slice(&finest[g].0);
            pending += finest[g].1;
        }
        (key, (v, pending))
    });
    let mut out = Vec::new();
    for (key, (mut v, pending)) in groups {
        let mut row = row_for(&key, def);
        row.sample_size = v.len() as u64;
        row.unsettled = pending;
        row.provisional = pending > 0;
        if let Some((k, val)) = nearest_rank_unsorted(&mut v, p.percentile) {
            row.value = Some(dec_ms(val));
            row.numerator = Some(Decimal::from(k as u64));
            row.denominator = Some(Decimal::from(v.len() as u64));
        }
        out.push(row);
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)] // reason: one private helper, arguments are the request's parts
fn interval_compliance(
    rows: &DataFrame,
    req: &MetricsRequest,
    by: &[Dim],
    subsets: &[Vec<Dim>],
    def: &MetricDef,
    ic: &IntervalComplianceDef,
    row_for: &dyn Fn(&Key, &MetricDef) -> MetricRow,
) -> Result<Vec<MetricRow>, MetricsError> {
    const I: &str = "__interval";
    let ans = col("answered");
    let ab = col("answered").not();
    let a_le = b2i(ans.clone().and(within(col(WAIT), ic.threshold_s, ic.inclusive)));
    let ab_le = b2i(ab.clone().and(within(col(WAIT), ic.threshold_s, ic.inclusive)));
    let sa = b2i(ab.clone().and(within(col(WAIT), ic.short_abandon_s, ic.short_inclusive)));
    let df = collect_streaming(
        prepared(rows, req)
            .filter(in_channels(&def.channels()))
            .with_column(interval_expr(ic.interval_minutes, req.zone).alias(I))
            .group_by(group_cols(I, by))
            .agg([
                b2i(ans.clone()).sum().alias("a"),
                b2i(ab).sum().alias("ab"),
                a_le.sum().alias("a_le"),
                ab_le.sum().alias("ab_le"),
                sa.sum().alias("sa"),
            ]),
    )?;
    // Roll up at the interval level first: an "all queues" interval pools its queues' contacts.
    let mut intervals: BTreeMap<Key, [i64; 5]> = BTreeMap::new();
    let (keys, row_group) = group_index(&df, by, I)?;
    let [a, ab, a_le, ab_le, sa] = ["a", "ab", "a_le", "ab_le", "sa"].map(|c| i64_col(&df, c));
    let (a, ab, a_le, ab_le, sa) = (a?, ab?, a_le?, ab_le?, sa?);
    for (r, g) in row_group.iter().enumerate() {
        let v = [a[r], ab[r], a_le[r], ab_le[r], sa[r]];
        for keep in subsets {
            let e = intervals.entry(rollup_key(&keys[*g as usize], keep)).or_default();
            for (a, b) in e.iter_mut().zip(v) {
                *a += b;
            }
        }
    }
    // (met, eligible, intervals with contacts) per period group.
    let mut periods: BTreeMap<Key, (i64, i64, i64)> = BTreeMap::new();
    for (key, [a, ab, a_le, ab_le, sa]) in intervals {
        let pkey = (period::period_start(req.period, req.zone, key.0), key.1, key.2, key.3);
        let e = periods.entry(pkey).or_default();
        e.2 += 1;
        if a + ab < i64::from(ic.min_offered) {
            continue;
        }
        let (num, den) = service_level_counts(ic.abandons, a, ab, a_le, ab_le, sa);
        e.1 += 1;
        // Met when num/den ≥ target%, compared exactly: num × 100 ≥ target × den.
        let met = den > 0 && Decimal::from(num) * Decimal::ONE_HUNDRED >= ic.target_percent * Decimal::from(den);
        if met {
            e.0 += 1;
        }
    }
    Ok(periods
        .into_iter()
        .map(|(key, (met, eligible, with_contacts))| {
            let mut row = row_for(&key, def);
            row.numerator = Some(Decimal::from(met));
            row.denominator = Some(Decimal::from(eligible));
            row.sample_size = u64::try_from(with_contacts).unwrap_or(0);
            row.value = crate::money::ratio(Decimal::from(met) * Decimal::ONE_HUNDRED, Decimal::from(eligible), 4);
            row
        })
        .collect())
}
