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
mod columns;
pub mod counts;
pub mod definition;
mod fcr;
pub mod outbound;
mod percentile;
mod rollup;
pub mod scope;
mod term;
mod terms;
pub mod workforce;
pub use crate::time::period;
pub mod sql;

use std::collections::BTreeMap;

use chrono_tz::Tz;
use polars::prelude::*;
use rust_decimal::Decimal;
use serde::Serialize;

pub use crate::time::calendar::{BusinessClock, Calendar, CalendarSpec};
pub use availability::Outage;
pub use columns::period_column;
use columns::{biz_expr, interval_expr, open_expr, period_expr};
pub use definition::{MetricDef, Unit};
pub use percentile::nearest_rank;
use percentile::{interval_compliance, percentiles};
pub use period::PeriodKind;
use rollup::{all_subsets, group_cols, group_index, i64_col, rollup_key};
pub use term::service_level_counts;
use term::Stamp;
use terms::{biz_column, in_channels, indicators, open_column, Instants};

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
    #[error(transparent)]
    Calendar(#[from] crate::time::calendar::CalendarError),
    #[error("calendar \"{id}\": the data's timestamps ({from} to {to}) span more than the 200 years a business clock covers; check for stray dates")]
    ClockRange { id: String, from: String, to: String },
    /// A value or input a definition reads is missing (outbound attempts, side tables).
    #[error("{metric}: {message}")]
    Input { metric: String, message: String },
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
pub(crate) const ALL: &str = "*";
/// The agent value of contacts without an agent.
pub(crate) const NO_AGENT: &str = "(none)";

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
    /// Service calendars the definitions may name (`calendar = "ID"`).
    pub calendars: Vec<Calendar>,
    /// Keyed hashes of numbers not to be called (`--suppression`), for `suppression_hits`.
    pub suppression: Option<outbound::SuppressionList>,
    /// Quality evaluations (`--qa`), for the QA metrics.
    pub qa: workforce::Side,
    /// Agent hours (`--agent-hours`), for the workforce metrics.
    pub agent_hours: workforce::Side,
    /// The start of what is measured (a run: the contract's effective date), µs. A rolling
    /// window that reaches before the data is complete when the data starts on or before it:
    /// nothing earlier belongs to the measurement. `None`: the data's first day is the start.
    pub since: Option<i64>,
}

impl MetricsRequest {
    /// The calendar with this id.
    pub fn calendar(&self, id: &str) -> Option<&Calendar> {
        self.calendars.iter().find(|c| c.id == id)
    }

    /// The position of a definition's calendar in [`MetricsRequest::calendars`].
    fn calendar_index(&self, def: &MetricDef) -> Option<usize> {
        def.calendar().and_then(|id| self.calendars.iter().position(|c| c.id == id))
    }
}

/// The business clocks of the calendars the definitions use (by position in the request),
/// built once over the data's span, and the data-complete instant read on each.
#[derive(Debug, Clone, Default)]
struct Clocks {
    clocks: Vec<Option<std::sync::Arc<BusinessClock>>>,
    biz_as_of: Vec<i64>,
}

impl Clocks {
    fn build(rows: &DataFrame, req: &MetricsRequest, as_of: i64) -> Result<Clocks, MetricsError> {
        let used: Vec<usize> = req.definitions.iter().filter_map(|d| req.calendar_index(d)).collect();
        let mut out = Clocks { clocks: vec![None; req.calendars.len()], biz_as_of: vec![0; req.calendars.len()] };
        if used.is_empty() {
            return Ok(out);
        }
        let (mut lo, mut hi) = (as_of, as_of);
        for c in ["arrived_at", "answered_at", "ended_at"] {
            let phys = &rows.column(c)?.datetime()?.phys;
            lo = lo.min(phys.min().unwrap_or(lo));
            hi = hi.max(phys.max().unwrap_or(hi));
        }
        for i in used {
            let cal = &req.calendars[i];
            let clock = BusinessClock::new(cal, lo, hi).ok_or_else(|| MetricsError::ClockRange {
                id: cal.id.clone(),
                from: period::rfc3339(req.zone, lo),
                to: period::rfc3339(req.zone, hi),
            })?;
            out.biz_as_of[i] = clock.at(as_of);
            out.clocks[i] = Some(std::sync::Arc::new(clock));
        }
        Ok(out)
    }

    /// The helper columns: each timestamp on each clock, and arrival inside hours.
    fn columns(&self) -> Vec<Expr> {
        let mut cols = Vec::new();
        for (i, clock) in self.clocks.iter().enumerate() {
            let Some(clock) = clock else { continue };
            for (source, stamp) in
                [("arrived_at", Stamp::Arrived), ("answered_at", Stamp::Answered), ("ended_at", Stamp::Ended)]
            {
                cols.push(biz_expr(source, clock.clone()).alias(biz_column(i, stamp)));
            }
            cols.push(open_expr(clock.clone()).alias(open_column(i)));
        }
        cols
    }
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

impl MetricRow {
    /// The row of a definition for a period and group, with no figures yet ("no data").
    fn empty(req: &MetricsRequest, key: &Key, def: &MetricDef) -> MetricRow {
        MetricRow {
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
        }
    }
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

/// The canonical rows of one direction with the helper columns every path needs.
fn prepared(rows: &DataFrame, req: &MetricsRequest, clocks: &Clocks, direction: &str) -> LazyFrame {
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
    cols.extend(clocks.columns());
    let mut keep = col("direction").eq(lit(direction));
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
pub(crate) fn collect_streaming(lf: LazyFrame) -> PolarsResult<DataFrame> {
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
pub(crate) fn aligned(rows: &DataFrame, name: &str, values: &BooleanChunked) -> PolarsResult<Column> {
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
    let (bound, by) = bind(req)?;
    let req = &bound;
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

    // Inbound contacts and outbound attempts are measured apart: each definition sees only
    // its direction's rows (docs/metrics.md, "Outbound").
    // The side-table metrics read quality evaluations and agent hours, not contacts.
    let (side, contacts): (Vec<MetricDef>, Vec<MetricDef>) =
        req.definitions.iter().cloned().partition(|d| d.side_table().is_some());
    let (outbound, inbound): (Vec<MetricDef>, Vec<MetricDef>) = contacts.into_iter().partition(MetricDef::outbound);
    let mut out = workforce::rows(req, &by, &side)?;
    if !inbound.is_empty() {
        let part = MetricsRequest { definitions: inbound, ..req.clone() };
        out.extend(compute_direction(rows, &part, &by, as_of, "inbound")?);
    }
    if !outbound.is_empty() {
        let part = MetricsRequest { definitions: outbound, ..req.clone() };
        // The outbound attempts measured, taken out first: the flags and their checks read
        // those rows alone, not every contact of the month.
        let mut keep = col("direction").eq(lit("outbound"));
        if rows.column(JUDGED).is_ok() {
            keep = keep.and(col(JUDGED));
        }
        let attempts = rows.clone().lazy().filter(keep).collect()?;
        let flagged = outbound::with_flags(&attempts, &part)?;
        out.extend(compute_direction(&flagged, &part, &by, as_of, "outbound")?);
    }
    Ok(table(req, out, as_of))
}

/// The request with its definitions checked and bound to its CSAT scale, and its grouping
/// dimensions in order, each once.
fn bind(req: &MetricsRequest) -> Result<(MetricsRequest, Vec<Dim>), MetricsError> {
    let mut bound = req.clone();
    let known: Vec<&str> = req.calendars.iter().map(|c| c.id.as_str()).collect();
    for d in &mut bound.definitions {
        d.validate()?;
        d.check_calendar(&known)?;
        definition::bind_csat_scale(d, req.csat_scale.0, &req.csat_scale.1)?;
    }
    let mut by = req.by.clone();
    by.sort();
    by.dedup();
    Ok((bound, by))
}

/// The metric table of these rows: in period and group order, and in catalogue order within
/// a group (each definition rendered once, not per comparison).
fn table(req: &MetricsRequest, mut out: Vec<MetricRow>, as_of: i64) -> MetricTable {
    let keys: Vec<(&str, String)> = req.definitions.iter().map(|d| (d.name(), d.definition())).collect();
    let order =
        |row: &MetricRow| keys.iter().position(|(n, d)| *n == row.metric && *d == row.definition).unwrap_or(usize::MAX);
    out.sort_by_cached_key(|r| (r.period_start, r.channel.clone(), r.queue.clone(), r.agent.clone(), order(r)));
    MetricTable { rows: out, period: req.period, zone: req.zone, as_of }
}

/// The metric rows of the definitions of one direction (all of `req.definitions`).
fn compute_direction(
    rows: &DataFrame,
    req: &MetricsRequest,
    by: &[Dim],
    as_of: i64,
    direction: &str,
) -> Result<Vec<MetricRow>, MetricsError> {
    let by = by.to_vec();
    let explain = crate::util::explaining();
    let clock = std::time::Instant::now();
    let lap = |what: &str| {
        if explain {
            eprintln!("-- time: {what} done at {:.3} s{}", clock.elapsed().as_secs_f64(), crate::util::memory_note());
        }
    };
    let clocks = Clocks::build(rows, req, as_of)?;
    let lf = prepared(&with_repeats(rows, req)?, req, &clocks, direction);
    lap("repeat-contact search");
    let mut aggs = Vec::new();
    let mut additive = Vec::new();
    for (i, d) in req.definitions.iter().enumerate() {
        let at = Instants { as_of, biz_as_of: &clocks.biz_as_of };
        if let Some(exprs) = indicators(d, i, req.calendar_index(d), at) {
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
    let row_for = |key: &Key, def: &MetricDef| MetricRow::empty(req, key, def);
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
                let response = matches!(d, MetricDef::ResponseTimePercentile(_));
                let (from, to) = match req.calendar_index(d) {
                    None => (ARR.to_string(), if response { ANS } else { END }.to_string()),
                    Some(c) => (
                        biz_column(c, Stamp::Arrived),
                        biz_column(c, if response { Stamp::Answered } else { Stamp::Ended }),
                    ),
                };
                let keys: Vec<&Key> = sums.keys().collect();
                out.extend(percentiles(&lf, &by, &subsets, &keys, d, p, (&from, &to), &row_for)?);
            }
            MetricDef::IntervalCompliance(ic) => {
                let lf = prepared(rows, req, &clocks, direction);
                out.extend(interval_compliance(lf, req, &by, &subsets, d, ic, &row_for)?);
            }
            MetricDef::DiallerAbandonmentRate(da) if da.window != AbandonWindow::Period => {
                let keys: Vec<&Key> = sums.keys().collect();
                out.extend(outbound::dialler_abandonment(
                    lf.clone(),
                    req,
                    &by,
                    &subsets,
                    &keys,
                    d,
                    da.window,
                    &row_for,
                )?);
            }
            MetricDef::Availability(a) => {
                let periods: Vec<i64> =
                    sums.keys().map(|k| k.0).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
                out.extend(availability::rows(req, a, &periods, d, &row_for)?);
            }
            _ => {}
        }
    }

    lap("percentiles, interval compliance, availability, dialler abandonment");
    Ok(out)
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
        // Only the side-table metrics are in hours (`workforce.rs`).
        Unit::Hours => {}
    }
}
