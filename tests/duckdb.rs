//! Differential test of every additive metric definition: the SQL that `--emit-sql duckdb`
//! prints, run on DuckDB (Python package), gives the same numerators, denominators, sample
//! sizes and unsettled counts as callsla on the same generated file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // reason: tests

mod common;

use std::collections::BTreeMap;
use std::process::Command;

use common::*;

fn duckdb_available() -> bool {
    let ok = Command::new("python3").args(["-c", "import duckdb"]).output().is_ok_and(|o| o.status.success());
    if !ok {
        assert!(std::env::var_os("CI").is_none(), "CI must install the duckdb Python package (.ci/run does)");
        eprintln!("SKIPPED: python3 with the duckdb package is not available (pip install duckdb)");
    }
    ok
}

/// (period, channel, queue, definition index) → [n, d, s, u] in whole units (ms for durations).
type Sums = BTreeMap<(String, String, String, usize), [i128; 4]>;

fn callsla_sums(csv_path: &std::path::Path, defs: &[(String, String)]) -> Sums {
    let mut rdr = csv::Reader::from_path(csv_path).unwrap();
    let mut out = Sums::new();
    for rec in rdr.records() {
        let r = rec.unwrap();
        let Some(idx) = defs.iter().position(|(m, d)| m == &r[6] && d == &r[7]) else { continue };
        if r[5] != *"*" {
            continue;
        }
        let unit = &r[9];
        // Durations are summed in ms by the SQL; callsla shows seconds with ms precision.
        let whole = |s: &str, factor: i64| -> i128 {
            if s.is_empty() {
                return 0;
            }
            let d: rust_decimal::Decimal = s.parse().unwrap();
            let d = (d * rust_decimal::Decimal::from(factor)).trunc();
            d.mantissa() / 10i128.pow(d.scale())
        };
        let num_factor = if unit == "seconds" { 1000 } else { 1 };
        out.insert(
            (r[2].to_string(), r[3].to_string(), r[4].to_string(), idx),
            [
                whole(&r[10], num_factor),
                if unit == "count" { 0 } else { whole(&r[11], 1) },
                r[12].parse().unwrap(),
                r[14].parse().unwrap(),
            ],
        );
    }
    out
}

fn duckdb_sums(csv_path: &std::path::Path, n_defs: usize) -> Sums {
    let mut rdr = csv::Reader::from_path(csv_path).unwrap();
    let headers = rdr.headers().unwrap().clone();
    let mut out = Sums::new();
    for rec in rdr.records() {
        let r = rec.unwrap();
        for i in 0..n_defs {
            let get = |tag: &str| {
                headers.iter().position(|h| h == format!("{tag}{i}")).map(|j| r[j].parse::<i128>().unwrap())
            };
            if let (Some(n), Some(d), Some(s), Some(u)) = (get("n"), get("d"), get("s"), get("u")) {
                out.insert((r[0].to_string(), r[1].to_string(), r[2].to_string(), i), [n, d, s, u]);
            }
        }
    }
    out
}

#[test]
fn duckdb_sql_gives_the_same_counts_as_callsla() {
    if !duckdb_available() {
        return;
    }
    let t = TempDir::new("duckdb");
    let log = t.path("log.csv");
    assert_eq!(
        callsla(&[
            "generate",
            "--rows",
            "30000",
            "--months",
            "2",
            "--seed",
            "21",
            "--slow-months",
            "1",
            "--out",
            s(&log)
        ])
        .code,
        0
    );
    // A definitions file with variants beyond the default catalogue.
    let defs_file = t.write(
        "defs.toml",
        r#"
[[metric]]
metric = "offered"
[[metric]]
metric = "short_abandoned"
short_inclusive = true
[[metric]]
metric = "abandonment_rate"
short_abandons = "include"
[[metric]]
metric = "service_level"
threshold_s = 20
abandons = "count_against"
[[metric]]
metric = "service_level"
threshold_s = 30
abandons = "met_before_t"
inclusive = false
[[metric]]
metric = "service_level"
threshold_s = 20
abandons = "short_met"
[[metric]]
metric = "asa"
[[metric]]
metric = "aht"
components = ["talk", "wrap"]
[[metric]]
metric = "fcr"
window_days = 3
scope = "same_channel"
[[metric]]
metric = "fcr"
scope = "same_queue"
[[metric]]
metric = "fcr"
method = "disposition"
denominator = "offered"
[[metric]]
metric = "csat"
measure = "mean"
[[metric]]
metric = "response_time"
threshold_s = 14400
[[metric]]
metric = "resolution_time_mean"
"#,
    );
    for defs in [None, Some(&defs_file)] {
        let mut args = vec!["metrics", "--input", s(&log), "--tz", "America/New_York", "--by", "channel,queue"];
        if let Some(f) = defs {
            args.extend_from_slice(&["--metrics", s(f)]);
        }
        let ours = t.path("ours.csv");
        let mut with_out = args.clone();
        with_out.extend_from_slice(&["--format", "csv", "--out", s(&ours)]);
        let run = callsla(&with_out);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let mut emit = args.clone();
        emit.extend_from_slice(&["--emit-sql", "duckdb"]);
        let sql = callsla(&emit);
        assert_eq!(sql.code, 0, "{}", sql.stderr);
        let sql_file = t.write("q.sql", &sql.stdout);
        let theirs = t.path("theirs.csv");
        let py = Command::new("python3")
            .args([s(&repo("benches/duckdb_run.py")), "--sql", s(&sql_file), "--out", s(&theirs)])
            .output()
            .unwrap();
        assert!(py.status.success(), "{}", String::from_utf8_lossy(&py.stderr));

        // The definitions in order, as the SQL numbers them.
        let names: Vec<(String, String)> = sql
            .stdout
            .lines()
            .filter_map(|l| l.strip_prefix("--   "))
            .map(|l| {
                let (_, rest) = l.split_once(": ").unwrap();
                let (name, def) = rest.split_once(' ').unwrap();
                (name.to_string(), def.trim_end_matches("  (not additive: not emitted)").to_string())
            })
            .collect();
        let a = callsla_sums(&ours, &names);
        let b = duckdb_sums(&theirs, names.len());
        assert!(!b.is_empty());
        let mut compared = 0;
        for (key, v) in &b {
            assert_eq!(a.get(key), Some(v), "{key:?} ({}): callsla {:?} vs duckdb {v:?}", names[key.3].0, a.get(key));
            compared += 1;
        }
        assert!(compared >= 14 * 5, "compared only {compared} figures");
    }
}
