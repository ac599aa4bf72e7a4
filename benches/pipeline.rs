//! Benchmarks: ingest + metrics at 10k / 100k / 1M rows (CSV and Parquet), and rules
//! evaluation at 10 / 100 / 1,000 SLAs × 36 periods, so cost growth is visible.
//!
//!     cargo bench --bench pipeline
//!
//! The side-by-side comparison with DuckDB is benches/compare.py (see benches/README.md).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // reason: benchmark set-up

use std::path::PathBuf;
use std::sync::OnceLock;

use callsla::contract::Contract;
use callsla::generate::{self, GenerateOptions};
use callsla::ingest::{self, IngestOptions, Profile};
use callsla::metrics::{
    self, definition::default_catalogue, period, Dim, MetricRow, MetricTable, MetricsRequest, PeriodKind,
};
use callsla::rules::{self, RulesInput};
use rust_decimal::Decimal;

fn main() {
    divan::main();
}

const NY: chrono_tz::Tz = chrono_tz::America::New_York;

/// The generated log of `rows` rows, as CSV and as canonical Parquet, made once per size.
fn inputs(rows: u64) -> (PathBuf, PathBuf) {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("callsla-bench-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    });
    let csv = dir.join(format!("log-{rows}.csv"));
    let parquet = dir.join(format!("log-{rows}.parquet"));
    if !csv.exists() {
        let opts = GenerateOptions {
            rows,
            months: 2,
            seed: 7,
            start: (2026, 9),
            zone: NY,
            bad_rows_per_kind: 0,
            slow_months: 0,
            outbound_rows: 0,
        };
        let mut f = std::io::BufWriter::new(std::fs::File::create(&csv).unwrap());
        generate::generate(&opts, &mut f).unwrap();
        drop(f);
        let mut rows = ingest::ingest(&Profile::canonical(), std::slice::from_ref(&csv), &IngestOptions::default())
            .unwrap()
            .accepted;
        polars::prelude::ParquetWriter::new(std::fs::File::create(&parquet).unwrap()).finish(&mut rows).unwrap();
    }
    (csv, parquet)
}

fn ingest_and_measure(path: &PathBuf) -> usize {
    let rows = ingest::ingest(&Profile::canonical(), std::slice::from_ref(path), &IngestOptions::default()).unwrap();
    let req = MetricsRequest {
        period: PeriodKind::Month,
        zone: NY,
        by: vec![Dim::Channel, Dim::Queue],
        definitions: default_catalogue(),
        as_of: None,
        outages: vec![],
        calendars: vec![],
        suppression: None,
        qa: None,
        agent_hours: None,
        since: None,
        csat_scale: ([1, 5], "the canonical profile".to_string()),
    };
    metrics::compute(&rows.accepted, &req).unwrap().rows.len()
}

#[divan::bench(args = [10_000, 100_000, 1_000_000], sample_count = 3, sample_size = 1)]
fn ingest_metrics_csv(bencher: divan::Bencher, rows: u64) {
    let (csv, _) = inputs(rows);
    bencher.bench(|| ingest_and_measure(&csv));
}

#[divan::bench(args = [10_000, 100_000, 1_000_000], sample_count = 3, sample_size = 1)]
fn ingest_metrics_parquet(bencher: divan::Bencher, rows: u64) {
    let (_, parquet) = inputs(rows);
    bencher.bench(|| ingest_and_measure(&parquet));
}

/// A contract with `n` critical service-level SLAs and a metric table of 36 months for them.
fn rules_case(n: usize) -> (Contract, MetricTable, Vec<i64>) {
    let mut text = String::from(
        "[contract]\nid = \"B\"\nclient = \"C\"\nprovider = \"P\"\ncurrency = \"USD\"\ntime_zone = \"America/New_York\"\nmeasurement_period = \"month\"\neffective_from = \"2024-01-01\"\n[scope]\nchannels = [\"voice\"]\nqueues = [\"q\"]\n[[pricing]]\nchannel = \"voice\"\nmonthly_fee = \"100000\"\n[credits]\nat_risk_percent = \"10\"\n[termination]\nconsecutive_misses = 3\nmisses_in_window = { count = 4, window = 6 }\n",
    );
    for i in 0..n {
        text += &format!(
            "[[sla]]\nid = \"S{i}\"\nname = \"s\"\nmetric = {{ metric = \"service_level\", threshold_s = {} }}\ntarget = \"80\"\ndirection = \"at_least\"\nkind = \"critical\"\ncredit = {{ shape = \"fixed\", amount = \"10\" }}\nescalation = {{ factor = \"1.5\" }}\nearn_back = {{ periods = 2 }}\n",
            10 + i
        );
    }
    let c = Contract::parse(&text, "bench.toml").unwrap();
    let mut starts = Vec::new();
    let mut rows = Vec::new();
    let mut t = period::parse_label(PeriodKind::Month, NY, "2024-01").unwrap();
    for m in 0..36 {
        starts.push(t);
        for (k, sla) in c.terms[0].slas.iter().enumerate() {
            let num = 700 + ((m * 37 + k * 11) % 200) as i64;
            rows.push(MetricRow {
                period_start: t,
                period_end: period::period_end(PeriodKind::Month, NY, t),
                period: period::label(PeriodKind::Month, NY, t),
                channel: "*".into(),
                queue: "*".into(),
                agent: "*".into(),
                metric: sla.metric.name().into(),
                definition: sla.metric.definition(),
                value: None,
                unit: sla.metric.unit(),
                numerator: Some(Decimal::from(num)),
                denominator: Some(Decimal::from(1000)),
                sample_size: 1000,
                provisional: false,
                unsettled: 0,
            });
        }
        t = period::period_end(PeriodKind::Month, NY, t);
    }
    (c, MetricTable { rows, period: PeriodKind::Month, zone: NY, as_of: 0 }, starts)
}

#[divan::bench(args = [10, 100, 1_000], sample_count = 5)]
fn rules_36_periods(bencher: divan::Bencher, slas: usize) {
    let (c, table, periods) = rules_case(slas);
    bencher.bench(|| {
        let input = RulesInput {
            events: None,
            contract: &c,
            metrics: &table,
            periods: periods.clone(),
            volumes: vec![],
            forecast: None,
            history: vec![],
            outages_given: true,
            suppression_given: false,
            qa_given: false,
            agent_hours_given: false,
            assumptions: vec![],
        };
        rules::assess(&input).unwrap().periods.len()
    });
}
