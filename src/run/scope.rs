//! What a run judges and bills, as masks over the ingested rows (nothing is copied): the
//! contract's scope, its exclusion windows (and the outage time they remove), the billing
//! volumes per period and channel, and how much of each period the data covers.

use polars::prelude::*;

use super::{PeriodCoverage, RunError, RunOptions};
use crate::assessment::{ExclusionCount, ScopeCount};
use crate::contract::Contract;
use crate::metrics::{self, period};
use crate::rules::Volume;

/// A boolean expression evaluated on every row (no copy of the rows).
fn mask_of(rows: &DataFrame, expr: Expr) -> Result<BooleanChunked, RunError> {
    let df = rows.clone().lazy().select([expr.alias("__mask")]).collect()?;
    Ok(df.column("__mask")?.bool()?.rechunk().into_owned())
}

pub(super) fn trues(mask: &BooleanChunked) -> u64 {
    u64::from(mask.sum().unwrap_or(0))
}

/// The column's value is one of `values`.
fn any_of(column: &str, values: &[String]) -> Expr {
    values.iter().fold(lit(false), |acc, v| acc.or(col(column).eq(lit(v.clone()))))
}

/// Which contacts are in the contract's scope (a mask over the rows), and the out-of-scope
/// counts.
pub(super) fn in_scope(rows: &DataFrame, c: &Contract) -> Result<(BooleanChunked, Vec<ScopeCount>), RunError> {
    let inside = any_of("channel", &c.channels).and(any_of("queue", &c.queues));
    let kept = mask_of(rows, inside.clone())?;
    let outside = rows
        .clone()
        .lazy()
        .filter(inside.not())
        .group_by([col("channel"), col("queue")])
        .agg([len().alias("n")])
        // As text: an enum sorts by its codes, the report lists channels alphabetically.
        .with_columns([col("channel").cast(DataType::String), col("queue").cast(DataType::String)])
        .sort_by_exprs([col("channel"), col("queue")], SortMultipleOptions::default())
        .collect()?;
    let mut counts = Vec::new();
    for i in 0..outside.height() {
        counts.push(ScopeCount {
            channel: outside.column("channel")?.str()?.get(i).unwrap_or_default().to_string(),
            queue: outside.column("queue")?.str()?.get(i).unwrap_or_default().to_string(),
            contacts: outside.column("n")?.cast(&DataType::UInt64)?.u64()?.get(i).unwrap_or(0),
        });
    }
    Ok((kept, counts))
}

/// Takes the contacts that arrived inside an exclusion window (in its scope) out of `scoped`,
/// counting each contact under the first window that covers it; returns the judged contacts.
pub(super) fn apply_exclusions(
    rows: &DataFrame,
    scoped: &BooleanChunked,
    c: &Contract,
) -> Result<(BooleanChunked, Vec<ExclusionCount>), RunError> {
    let mut current = scoped.clone();
    let mut counts = Vec::new();
    for e in &c.exclusions {
        let t = col("arrived_at").dt().timestamp(TimeUnit::Microseconds);
        let mut mask = t.clone().gt_eq(lit(e.start)).and(t.lt(lit(e.end)));
        if let Some(chs) = &e.channels {
            mask = mask.and(any_of("channel", chs));
        }
        if let Some(qs) = &e.queues {
            mask = mask.and(any_of("queue", qs));
        }
        let window = mask_of(rows, mask)?;
        let hit = &current & &window;
        current = &current & &!&window;
        counts.push(ExclusionCount {
            id: e.id.clone(),
            reason: e.reason.clone(),
            reference: e.reference.clone(),
            contacts: trues(&hit),
        });
    }
    Ok((current, counts))
}

/// Removes the agreed exclusion windows from the outages: time inside an exclusion does not
/// count against availability (docs/contract.md, "[[exclusion]]").
pub(super) fn clip_outages(outages: Vec<metrics::Outage>, c: &Contract) -> Vec<metrics::Outage> {
    let mut out = Vec::new();
    for o in outages {
        let mut pieces = vec![(o.start, o.end)];
        for e in &c.exclusions {
            pieces = pieces
                .into_iter()
                .flat_map(|(s, t)| {
                    let mut keep = Vec::new();
                    if s < e.start {
                        keep.push((s, t.min(e.start)));
                    }
                    if t > e.end {
                        keep.push((s.max(e.end), t));
                    }
                    keep
                })
                .collect();
        }
        out.extend(pieces.into_iter().map(|(start, end)| metrics::Outage { start, end, ..o.clone() }));
    }
    out
}

/// Billing volumes per period and channel, with each period's pricing components.
pub(super) fn volumes(
    rows: &DataFrame,
    scoped: &BooleanChunked,
    c: &Contract,
    periods: &[i64],
) -> Result<Vec<Volume>, RunError> {
    use crate::metrics::definition::Component;
    let mut rows = rows.clone();
    rows.with_column(metrics::aligned(&rows, "__scoped", scoped)?)?;
    let mut out = Vec::new();
    let comp_ms = |comps: &[Component]| {
        comps.iter().fold(lit(0i64), |acc, comp| {
            let name = match comp {
                Component::Talk => "talk_s",
                Component::Hold => "hold_s",
                Component::Wrap => "wrap_s",
            };
            acc + col(name).dt().total_milliseconds(false).fill_null(lit(0i64))
        })
    };
    let mut sets: Vec<Vec<Component>> = Vec::new();
    for t in &c.terms {
        for p in &t.pricing {
            if !sets.contains(&p.billable) {
                sets.push(p.billable.clone());
            }
        }
    }
    let mut by_set = Vec::new();
    for set in &sets {
        let ms = comp_ms(set);
        // On the streaming engine, as the metrics' group-by: the batches in parallel.
        let df = metrics::collect_streaming(
            rows.clone()
                .lazy()
                .filter(col("__scoped").and(col("answered")))
                .with_column(metrics::period_column(c.period, c.zone).alias("__p"))
                .group_by([col("__p"), col("channel")])
                .agg([
                    len().alias("handled"),
                    ms.clone().sum().alias("ms"),
                    ((ms + lit(59_999i64)) / lit(60_000i64)).sum().alias("started"),
                ])
                .with_column(col("channel").cast(DataType::String)),
        )?;
        by_set.push(df);
    }
    for &start in periods {
        let terms = c.terms_for(crate::contract::period_date(c, start));
        for p in &terms.pricing {
            let Some(k) = sets.iter().position(|s| *s == p.billable) else { continue };
            let df = &by_set[k];
            let mut v = Volume { period_start: start, channel: p.channel.clone(), ..Default::default() };
            for i in 0..df.height() {
                let ps = df.column("__p")?.i64()?.get(i);
                let ch = df.column("channel")?.str()?.get(i);
                if ps == Some(start) && ch == Some(p.channel.as_str()) {
                    v.handled = df.column("handled")?.cast(&DataType::UInt64)?.u64()?.get(i).unwrap_or(0);
                    v.billable_ms = df.column("ms")?.i64()?.get(i).unwrap_or(0);
                    v.started_minutes = df.column("started")?.i64()?.get(i).unwrap_or(0);
                }
            }
            out.push(v);
        }
    }
    Ok(out)
}

/// How much of each assessed period the judged contacts cover; a period with none stops the
/// run (exit 3) unless `--allow-empty-period`. A gap of more than two days at either end marks
/// the period partial (said in the summary and audit.html).
pub(super) fn coverage(
    rows: &DataFrame,
    judged: &BooleanChunked,
    c: &Contract,
    periods: &[i64],
    opts: &RunOptions,
) -> Result<Vec<PeriodCoverage>, RunError> {
    let mut rows = rows.clone();
    rows.with_column(metrics::aligned(&rows, "__judged_c", judged)?)?;
    let t = col("arrived_at").dt().timestamp(TimeUnit::Microseconds);
    let df = rows
        .lazy()
        .filter(col("__judged_c"))
        .with_column(metrics::period_column(c.period, c.zone).alias("__p"))
        .group_by([col("__p")])
        .agg([len().alias("n"), t.clone().min().alias("first"), t.max().alias("last")])
        .collect()?;
    let (ps, ns, firsts, lasts) = (
        df.column("__p")?.i64()?,
        df.column("n")?.cast(&DataType::UInt64)?,
        df.column("first")?.i64()?,
        df.column("last")?.i64()?,
    );
    let ns = ns.u64()?;
    let two_days = 2 * 86_400_000_000_i64;
    let mut out = Vec::new();
    for &start in periods {
        let label = period::label(c.period, c.zone, start);
        let end = period::period_end(c.period, c.zone, start);
        let i = (0..df.height()).find(|&i| ps.get(i) == Some(start));
        let (n, first, last) = match i {
            Some(i) => (ns.get(i).unwrap_or(0), firsts.get(i), lasts.get(i)),
            None => (0, None, None),
        };
        if n == 0 && !opts.allow_empty_period {
            let all: Vec<i64> = (0..df.height()).filter_map(|i| ps.get(i)).collect();
            let found = match (all.iter().min(), all.iter().max()) {
                (Some(a), Some(b)) => format!(
                    "the judged contacts fall in {} to {}",
                    period::label(c.period, c.zone, *a),
                    period::label(c.period, c.zone, *b)
                ),
                _ => "no contact is in scope at all".to_string(),
            };
            return Err(RunError::EmptyPeriod { period: label, found });
        }
        let day = |us: i64| period::rfc3339(c.zone, us).get(..10).unwrap_or_default().to_string();
        let mut partial = Vec::new();
        if let Some(f) = first.filter(|f| *f - start > two_days) {
            partial.push(format!("the data starts {}, {} days into the period", day(f), (f - start) / 86_400_000_000));
        }
        if let Some(l) = last.filter(|l| end - *l > two_days) {
            partial.push(format!(
                "the data ends {}, {} days before the period ends",
                day(l),
                (end - l) / 86_400_000_000
            ));
        }
        if n == 0 {
            partial.push("no contacts in scope (--allow-empty-period)".to_string());
        }
        out.push(PeriodCoverage {
            period: label,
            contacts: n,
            first_arrival: first.map(|f| period::rfc3339(c.zone, f)).unwrap_or_default(),
            last_arrival: last.map(|l| period::rfc3339(c.zone, l)).unwrap_or_default(),
            partial: partial.join("; "),
        });
    }
    Ok(out)
}
