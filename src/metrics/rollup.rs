//! Groups and roll-ups: every subset of the grouping dimensions, with pooled sums.

use polars::prelude::*;

use super::{Dim, Key, ALL, NO_AGENT};

pub(super) fn all_subsets(by: &[Dim]) -> Vec<Vec<Dim>> {
    let n = by.len();
    (0..(1u32 << n)).map(|mask| (0..n).filter(|i| mask & (1 << i) != 0).map(|i| by[i]).collect()).collect()
}

pub(super) fn rollup_key(base: &Key, keep: &[Dim]) -> Key {
    let pick = |d: Dim, v: &String| if keep.contains(&d) { v.clone() } else { ALL.to_string() };
    (base.0, pick(Dim::Channel, &base.1), pick(Dim::Queue, &base.2), pick(Dim::Agent, &base.3))
}

/// An integer column as a vector (one pass, not a chunk search per value).
pub(super) fn i64_col(df: &DataFrame, name: &str) -> PolarsResult<Vec<i64>> {
    let c = df.column(name)?.cast(&DataType::Int64)?;
    Ok(c.i64()?.iter().map(|v| v.unwrap_or(0)).collect())
}

/// Every row's finest group: the distinct keys, and each row's index into them. One pass over
/// the key columns; a key's strings are allocated once per group, not once per row.
pub(super) fn group_index(df: &DataFrame, by: &[Dim], time_col: &str) -> PolarsResult<(Vec<Key>, Vec<u32>)> {
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

pub(super) fn group_cols(time_col: &str, by: &[Dim]) -> Vec<Expr> {
    let mut g = vec![col(time_col)];
    g.extend(by.iter().map(|d| col(d.column())));
    g
}
