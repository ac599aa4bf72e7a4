//! The non-additive metrics: percentiles by nearest rank, and interval compliance.

use polars::prelude::*;
use rust_decimal::Decimal;

use super::rollup::i64_col;
use super::term::SlCount;
use super::terms::expr;
use super::*;

/// Nearest-rank percentile: the value at rank ⌈p/100 × n⌉ of the sorted values.
pub fn nearest_rank(sorted: &[i64], p: u32) -> Option<(usize, i64)> {
    let k = rank(sorted.len(), p)?;
    sorted.get(k - 1).map(|v| (k, *v))
}

/// [`nearest_rank`] without sorting: selects the value at rank k in linear time (the order of
/// `values` is changed).
pub(super) fn nearest_rank_unsorted(values: &mut [i64], p: u32) -> Option<(usize, i64)> {
    let k = rank(values.len(), p).filter(|k| *k <= values.len())?;
    let (_, v, _) = values.select_nth_unstable(k - 1);
    Some((k, *v))
}

/// The nearest rank ⌈p/100 × n⌉ (at least 1), or `None` for no values.
pub(super) fn rank(n: usize, p: u32) -> Option<usize> {
    if n == 0 {
        return None;
    }
    usize::try_from((u64::from(p) * n as u64).div_ceil(100).max(1)).ok()
}

#[allow(clippy::too_many_arguments)] // reason: one private helper, arguments are the request's parts
pub(super) fn percentiles(
    lf: &LazyFrame,
    by: &[Dim],
    subsets: &[Vec<Dim>],
    all_keys: &[&Key],
    def: &MetricDef,
    p: &PercentileDef,
    (from, at): (&str, &str),
    row_for: &dyn Fn(&Key, &MetricDef) -> MetricRow,
) -> Result<Vec<MetricRow>, MetricsError> {
    let mut cols = group_cols(P, by);
    cols.push(((col(at) - col(from)) / lit(1000i64)).alias("__v"));
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
        let found = nearest_rank_unsorted(&mut v, p.percentile).map(|(k, val)| (k as u64, val));
        fill_percentile(&mut row, v.len() as u64, pending, found);
        out.push(row);
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)] // reason: one private helper, arguments are the request's parts
pub(super) fn interval_compliance(
    prepared: LazyFrame,
    req: &MetricsRequest,
    by: &[Dim],
    subsets: &[Vec<Dim>],
    def: &MetricDef,
    ic: &IntervalComplianceDef,
    row_for: &dyn Fn(&Key, &MetricDef) -> MetricRow,
) -> Result<Vec<MetricRow>, MetricsError> {
    const I: &str = "__interval";
    // The five service-level counts per interval, from the per-contact indicators written
    // once in `term.rs` (no data-complete instant enters them).
    let counts = SlCount::ALL.map(|c| {
        expr(
            &c.indicator(ic.threshold_s, ic.inclusive, ic.short_abandon_s, ic.short_inclusive),
            Instants { as_of: 0, biz_as_of: &[] },
        )
        .sum()
        .alias(c.column())
    });
    let df = collect_streaming(
        prepared
            .filter(match req.calendar_index(def) {
                // Only the contacts arriving inside hours: intervals wholly outside have none.
                Some(c) => in_channels(&def.channels()).and(col(open_column(c))),
                None => in_channels(&def.channels()),
            })
            .with_column(interval_expr(ic.interval_minutes, req.zone).alias(I))
            .group_by(group_cols(I, by))
            .agg(counts),
    )?;
    // Roll up at the interval level first: an "all queues" interval pools its queues' contacts.
    let mut intervals: BTreeMap<Key, [i64; 5]> = BTreeMap::new();
    let (keys, row_group) = group_index(&df, by, I)?;
    let [a, ab, a_le, ab_le, sa] = SlCount::ALL.map(|c| i64_col(&df, c.column()));
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
            fill_interval(&mut row, met, eligible, with_contacts);
            row
        })
        .collect())
}

/// A percentile's figures: `sample` values present, `pending` missing (not yet answered or
/// ended), and the nearest rank and the value there in ms (`None`: no values).
pub(super) fn fill_percentile(row: &mut MetricRow, sample: u64, pending: u64, found: Option<(u64, i64)>) {
    row.sample_size = sample;
    row.unsettled = pending;
    row.provisional = pending > 0;
    if let Some((k, val)) = found {
        row.value = Some(dec_ms(val));
        row.numerator = Some(Decimal::from(k));
        row.denominator = Some(Decimal::from(sample));
    }
}

/// Interval compliance's figures: the intervals meeting the target, the eligible ones and
/// those with contacts.
pub(super) fn fill_interval(row: &mut MetricRow, met: i64, eligible: i64, with_contacts: i64) {
    row.numerator = Some(Decimal::from(met));
    row.denominator = Some(Decimal::from(eligible));
    row.sample_size = u64::try_from(with_contacts).unwrap_or(0);
    row.value = crate::money::ratio(Decimal::from(met) * Decimal::ONE_HUNDRED, Decimal::from(eligible), 4);
}
