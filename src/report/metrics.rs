//! The metric table as CSV, JSON, Parquet or an aligned text table. One layout for all:
//! `docs/metrics.md`, "Output layout".

use std::io::{self, Write};

use polars::prelude::*;

use crate::metrics::period::rfc3339;
use crate::metrics::{MetricRow, MetricTable};

/// Column names of the metric table, in order.
pub(crate) const COLUMNS: [&str; 15] = [
    "period_start",
    "period_end",
    "period",
    "channel",
    "queue",
    "agent",
    "metric",
    "definition",
    "value",
    "unit",
    "numerator",
    "denominator",
    "sample_size",
    "provisional",
    "unsettled",
];

fn opt(d: &Option<rust_decimal::Decimal>) -> String {
    d.map(|v| v.to_string()).unwrap_or_default()
}

fn cells(t: &MetricTable, r: &MetricRow) -> [String; 15] {
    [
        rfc3339(t.zone, r.period_start),
        rfc3339(t.zone, r.period_end),
        r.period.clone(),
        r.channel.clone(),
        r.queue.clone(),
        r.agent.clone(),
        r.metric.clone(),
        r.definition.clone(),
        opt(&r.value),
        r.unit.as_str().to_string(),
        opt(&r.numerator),
        opt(&r.denominator),
        r.sample_size.to_string(),
        r.provisional.to_string(),
        r.unsettled.to_string(),
    ]
}

/// CSV with a header; empty `value` means no data.
pub(crate) fn write_csv(t: &MetricTable, out: &mut dyn Write) -> io::Result<()> {
    let mut w = crate::util::SafeCsv::from_writer(out);
    w.write_record(COLUMNS)?;
    for r in &t.rows {
        w.write_record(cells(t, r))?;
    }
    w.flush()
}

/// A JSON array of objects; decimals as strings, no data as `null`.
pub(crate) fn write_json(t: &MetricTable, out: &mut dyn Write) -> io::Result<()> {
    let rows: Vec<serde_json::Value> = t
        .rows
        .iter()
        .map(|r| {
            let c = cells(t, r);
            let mut m = serde_json::Map::new();
            for (k, v) in COLUMNS.iter().zip(c) {
                let val = match *k {
                    "sample_size" | "unsettled" => serde_json::Value::from(v.parse::<u64>().unwrap_or(0)),
                    "provisional" => serde_json::Value::Bool(v == "true"),
                    _ if v.is_empty() => serde_json::Value::Null,
                    _ => serde_json::Value::String(v),
                };
                m.insert((*k).to_string(), val);
            }
            serde_json::Value::Object(m)
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &rows).map_err(io::Error::other)?;
    writeln!(out)
}

/// Parquet with the same columns; decimals as exact strings, counts as integers.
pub(crate) fn write_parquet(t: &MetricTable, out: &mut dyn Write) -> io::Result<()> {
    let rows: Vec<[String; 15]> = t.rows.iter().map(|r| cells(t, r)).collect();
    let mut cols: Vec<Column> = Vec::new();
    for (i, name) in COLUMNS.iter().enumerate() {
        let col = match *name {
            "sample_size" | "unsettled" => {
                Column::new((*name).into(), rows.iter().map(|r| r[i].parse::<u64>().unwrap_or(0)).collect::<Vec<_>>())
            }
            "provisional" => Column::new((*name).into(), rows.iter().map(|r| r[i] == "true").collect::<Vec<_>>()),
            _ => Column::new(
                (*name).into(),
                rows.iter().map(|r| if r[i].is_empty() { None } else { Some(r[i].as_str()) }).collect::<Vec<_>>(),
            ),
        };
        cols.push(col);
    }
    let mut df = DataFrame::new(rows.len(), cols).map_err(io::Error::other)?;
    ParquetWriter::new(out).finish(&mut df).map(|_| ()).map_err(io::Error::other)
}

/// An aligned text table for the terminal (without the instants and definitions).
pub(crate) fn write_table(t: &MetricTable, out: &mut dyn Write) -> io::Result<()> {
    let head =
        ["period", "channel", "queue", "agent", "metric", "value", "unit", "numerator", "denominator", "n", "prov"];
    let body: Vec<Vec<String>> = t
        .rows
        .iter()
        .map(|r| {
            let c = cells(t, r);
            vec![
                c[2].clone(),
                c[3].clone(),
                c[4].clone(),
                c[5].clone(),
                c[6].clone(),
                if c[8].is_empty() { "no data".to_string() } else { c[8].clone() },
                c[9].clone(),
                c[10].clone(),
                c[11].clone(),
                c[12].clone(),
                if r.provisional { format!("yes ({})", r.unsettled) } else { String::new() },
            ]
        })
        .collect();
    // value, numerator, denominator and n are numbers: aligned right.
    out.write_all(super::table(&head, &body, &[5, 7, 8, 9]).as_bytes())
}
