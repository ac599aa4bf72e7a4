//! The metrics of the side tables: quality evaluations (`--qa`: QA score, pass rate, critical
//! errors) and agent hours (`--agent-hours`: schedule adherence, occupancy, shrinkage, logged-in
//! and productive hours). Each is a ratio of sums, so roll-ups pool the finest groups exactly.
//! Formulas: docs/metrics.md, "Quality and workforce".

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::rollup::{all_subsets, rollup_key};
use super::*;
use crate::ingest::side::{SideTable, SideValue};

/// The groups of a side-table row without a channel, queue or agent.
const NONE: &str = "(none)";

/// One row's contribution to a metric: numerator and denominator.
type Part = (Decimal, Decimal);

/// The rows of the side-table definitions among `defs`.
pub(super) fn rows(req: &MetricsRequest, by: &[Dim], defs: &[MetricDef]) -> Result<Vec<MetricRow>, MetricsError> {
    let mut out = Vec::new();
    let subsets = all_subsets(by);
    for def in defs {
        let Some(side) = def.side_table() else { continue };
        let table = match side {
            SideInput::Qa => req.qa.as_deref(),
            SideInput::AgentHours => req.agent_hours.as_deref(),
        }
        .ok_or_else(|| MetricsError::Input {
            metric: def.name().to_string(),
            message: format!("needs the {} table: give {} FILE", side_name(side), side.option()),
        })?;
        let reads = reads(def);
        let stop = |message: String| MetricsError::Input { metric: def.name().to_string(), message };
        let mut idx = Vec::new();
        for c in &reads {
            let i = table.index(c).filter(|_| table.has(c)).ok_or_else(|| {
                stop(format!(
                    "the {} file has no {c} column; export it (or map it in the profile's [columns])",
                    side_name(side)
                ))
            })?;
            idx.push(i);
        }
        let time = table.index(if side == SideInput::Qa { "evaluated_at" } else { "interval_start" }).unwrap_or(0);
        let mut sums: BTreeMap<Key, (Decimal, Decimal, u64)> = BTreeMap::new();
        for (r, values) in table.rows.iter().enumerate() {
            let mut nums = Vec::with_capacity(idx.len());
            for (k, i) in idx.iter().enumerate() {
                match &values[*i] {
                    SideValue::Number(v) => nums.push(*v),
                    SideValue::Duration(ms) => nums.push(Decimal::from(*ms)),
                    SideValue::Bool(b) => nums.push(if *b { Decimal::ONE } else { Decimal::ZERO }),
                    _ => {
                        return Err(stop(format!(
                            "{}:{}: {} is empty; a value this metric reads is never assumed — fill it in, or leave the row out of the file",
                            table.reconciliation.path,
                            table.lines[r],
                            reads[k]
                        )))
                    }
                }
            }
            let (num, den) = part(def, &nums);
            let SideValue::Instant(at) = values[time] else { continue };
            let text = |name: &str| match table.index(name).map(|i| &values[i]) {
                Some(SideValue::Text(t)) => t.clone(),
                _ => NONE.to_string(),
            };
            let agent = match text("agent_id") {
                a if a == NONE => a,
                a => crate::util::pseudonym("agent", &a),
            };
            let finest: Key = (period::period_start(req.period, req.zone, at), text("channel"), text("queue"), agent);
            for keep in &subsets {
                let e = sums.entry(rollup_key(&finest, keep)).or_default();
                e.0 += num;
                e.1 += den;
                e.2 += 1;
            }
        }
        for (key, (num, den, n)) in sums {
            out.push(row(req, def, &key, num, den, n));
        }
    }
    Ok(out)
}

fn side_name(side: SideInput) -> &'static str {
    match side {
        SideInput::Qa => "quality evaluations",
        SideInput::AgentHours => "agent hours",
    }
}

/// The columns a metric reads, in the order [`part`] takes them.
fn reads(def: &MetricDef) -> Vec<&'static str> {
    match def {
        MetricDef::QaScore(_) => vec!["score", "max_score"],
        MetricDef::QaPassRate(_) => vec!["score", "max_score", "critical_fail"],
        MetricDef::CriticalErrorRate(_) => vec!["critical_fail"],
        MetricDef::ScheduleAdherence(_) => vec!["adherent_s", "scheduled_s"],
        MetricDef::Occupancy(_) => vec!["productive_s", "logged_in_s"],
        MetricDef::Shrinkage(_) => vec!["scheduled_s", "logged_in_s"],
        MetricDef::LoggedInHours(_) => vec!["logged_in_s"],
        MetricDef::ProductiveHours(_) => vec!["productive_s"],
        _ => Vec::new(),
    }
}

/// A row's numerator and denominator (durations in ms) from the values [`reads`] names.
fn part(def: &MetricDef, v: &[Decimal]) -> Part {
    let get = |i: usize| v.get(i).copied().unwrap_or_default();
    match def {
        MetricDef::QaScore(_) => (get(0), get(1)),
        MetricDef::QaPassRate(p) => {
            // score ≥ pass% of max, compared exactly (score × 100 ≥ pass × max), no critical fail.
            let passed = get(0) * Decimal::ONE_HUNDRED >= p.pass_percent * get(1) && get(2).is_zero();
            (if passed { Decimal::ONE } else { Decimal::ZERO }, Decimal::ONE)
        }
        MetricDef::CriticalErrorRate(_) => (get(0), Decimal::ONE),
        MetricDef::ScheduleAdherence(_) | MetricDef::Occupancy(_) => (get(0), get(1)),
        MetricDef::Shrinkage(_) => (get(0) - get(1), get(0)),
        MetricDef::LoggedInHours(_) | MetricDef::ProductiveHours(_) => (get(0), Decimal::ZERO),
        _ => (Decimal::ZERO, Decimal::ZERO),
    }
}

fn row(req: &MetricsRequest, def: &MetricDef, key: &Key, num: Decimal, den: Decimal, n: u64) -> MetricRow {
    let seconds = |ms: Decimal| (ms / Decimal::from(1000)).normalize();
    let durations = matches!(def, MetricDef::ScheduleAdherence(_) | MetricDef::Occupancy(_) | MetricDef::Shrinkage(_));
    let (numerator, denominator, value) = match def.unit() {
        Unit::Hours => (Some(seconds(num)), None, crate::money::ratio(num, Decimal::from(3_600_000), 4)),
        _ if durations => {
            (Some(seconds(num)), Some(seconds(den)), crate::money::ratio(num * Decimal::ONE_HUNDRED, den, 4))
        }
        _ => (Some(num.normalize()), Some(den.normalize()), crate::money::ratio(num * Decimal::ONE_HUNDRED, den, 4)),
    };
    MetricRow { value, numerator, denominator, sample_size: n, ..MetricRow::empty(req, key, def) }
}

/// The side tables a request may carry.
pub type Side = Option<std::sync::Arc<SideTable>>;

/// Adds the agent hours each hour-priced card bills to its volume: per period (by
/// `interval_start` in the contract's zone) and channel, Σ `logged_in_s` and `productive_s` of
/// the rows of that channel. `volumes` are [`super::scope::volumes`] of `priced`, one per card
/// in the same order. A card that prices hours needs the file's `channel` column and every
/// row's value of each column it prices; a row without them stops the run (file, line).
/// Returns the hours no card prices: (period start, channel, the larger of the logged-in and
/// productive milliseconds), for the run's "not priced" notice.
pub fn add_hours(
    volumes: &mut [super::scope::Volume],
    priced: &[super::scope::Priced],
    table: &SideTable,
    kind: period::PeriodKind,
    zone: chrono_tz::Tz,
) -> Result<Vec<(i64, String, i64)>, MetricsError> {
    let stop = |message: String| MetricsError::Input { metric: "hour pricing".to_string(), message };
    let cards: Vec<&super::scope::Priced> = priced.iter().filter(|p| p.logged_in_hours || p.productive_hours).collect();
    let path = &table.reconciliation.path;
    let column = |name: &str| {
        table.index(name).filter(|_| table.has(name)).ok_or_else(|| {
            stop(format!(
                "[[pricing]] prices agent hours per channel, but the agent hours file {path} has no {name} column; export it (or map it in the profile's [columns])"
            ))
        })
    };
    let (ch_i, t_i) = (column("channel")?, column("interval_start")?);
    let logged_i = if cards.iter().any(|p| p.logged_in_hours) { Some(column("logged_in_s")?) } else { None };
    let productive_i = if cards.iter().any(|p| p.productive_hours) { Some(column("productive_s")?) } else { None };
    // (period, channel) → (logged-in ms, productive ms).
    let mut sums: BTreeMap<(i64, String), (i64, i64)> = BTreeMap::new();
    for (r, values) in table.rows.iter().enumerate() {
        let line = table.lines[r];
        let SideValue::Text(channel) = &values[ch_i] else {
            return Err(stop(format!(
                "{path}:{line}: channel is empty; hours are priced per channel, so every row needs one"
            )));
        };
        let SideValue::Instant(at) = values[t_i] else { continue };
        let ms = |i: Option<usize>, name: &str| {
            match i.map(|i| &values[i]) {
            None => Ok(0),
            Some(SideValue::Duration(ms)) => Ok(*ms),
            Some(_) => Err(stop(format!(
                "{path}:{line}: {name} is empty; priced hours are never assumed — fill it in, or leave the row out of the file"
            ))),
        }
        };
        let e = sums.entry((period::period_start(kind, zone, at), channel.clone())).or_default();
        e.0 = e.0.saturating_add(ms(logged_i, "logged_in_s")?);
        e.1 = e.1.saturating_add(ms(productive_i, "productive_s")?);
    }
    for (v, card) in volumes.iter_mut().zip(priced).filter(|(_, p)| p.logged_in_hours || p.productive_hours) {
        if let Some((logged, productive)) = sums.remove(&(card.period_start, card.channel.clone())) {
            v.logged_in_ms = logged;
            v.productive_ms = productive;
        }
    }
    let unpriced = sums.into_iter().map(|((start, channel), (l, p))| (start, channel, l.max(p))).collect();
    Ok(unpriced)
}
