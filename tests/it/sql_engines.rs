//! Differential test of every metric definition on two SQL engines: the SQL that `--emit-sql
//! duckdb` prints, run on DuckDB (Python package), and the SQL that `--emit-sql spark` prints,
//! run on Spark SQL (pyspark, local), give the same numerators, denominators, sample sizes and
//! unsettled counts (and percentile values) as callsla on the same generated file, for the
//! default catalogue and twenty variants (percentiles and interval compliance included;
//! availability, from the outage log, is the one metric not emitted), every calendar period
//! (the log spans a year end, so ISO week 2026-W53 holds days of 2027), a zone whose offset is
//! not whole hours (Asia/Kathmandu, +05:45: clock intervals on its local clock are not UTC's)
//! and a given `--as-of`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // reason: tests

use crate::common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use common::*;

/// Whether `python3 -c <probe>` works; a skip message otherwise (and a failure in CI, which
/// must install what the test needs: .ci/run does).
fn available(what: &str, probe: &str, install: &str) -> bool {
    let ok = Command::new("python3").args(["-c", probe]).output().is_ok_and(|o| o.status.success());
    if !ok {
        assert!(std::env::var_os("CI").is_none(), "CI must install {what} (.ci/run does)");
        eprintln!("SKIPPED: {what} is not available ({install})");
    }
    ok
}

fn duckdb_available() -> bool {
    available("python3 with the duckdb package", "import duckdb", "pip install duckdb")
}

fn spark_available() -> bool {
    let java = Command::new("java").arg("-version").output().is_ok_and(|o| o.status.success());
    if !java {
        assert!(std::env::var_os("CI").is_none(), "CI must install a Java runtime for Spark (.ci/run does)");
        eprintln!("SKIPPED: no Java runtime for Spark (apt-get install openjdk-17-jre-headless)");
        return false;
    }
    available("python3 with the pyspark package", "import pyspark", "pip install pyspark==3.5.5")
}

/// (period, channel, queue, definition index) → [n, d, s, u, v] in whole units (ms for
/// durations); v is a percentile's value in ms (0 for the other metrics and for no values).
type Sums = BTreeMap<(String, String, String, usize), [i128; 5]>;

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
        // A percentile's numerator and denominator are the rank and the count of values.
        let percentile = r[6].ends_with("_percentile");
        let num_factor = if unit == "seconds" && !percentile { 1000 } else { 1 };
        out.insert(
            (r[2].to_string(), r[3].to_string(), r[4].to_string(), idx),
            [
                whole(&r[10], num_factor),
                if unit == "count" { 0 } else { whole(&r[11], 1) },
                r[12].parse().unwrap(),
                r[14].parse().unwrap(),
                if percentile { whole(&r[8], 1000) } else { 0 },
            ],
        );
    }
    out
}

fn engine_sums(csv_path: &std::path::Path, n_defs: usize) -> Sums {
    let mut rdr = csv::Reader::from_path(csv_path).unwrap();
    let headers = rdr.headers().unwrap().clone();
    let mut out = Sums::new();
    for rec in rdr.records() {
        let r = rec.unwrap();
        for i in 0..n_defs {
            // NULL (an empty field) where callsla has no row: interval compliance in a group
            // with no contacts on the definition's channels; a percentile with no values.
            let get = |tag: &str| {
                headers.iter().position(|h| h == format!("{tag}{i}")).and_then(|j| r[j].parse::<i128>().ok())
            };
            if let (Some(n), Some(d), Some(s), Some(u)) = (get("n"), get("d"), get("s"), get("u")) {
                let v = get("v").unwrap_or(0);
                out.insert((r[0].to_string(), r[1].to_string(), r[2].to_string(), i), [n, d, s, u, v]);
            }
        }
    }
    out
}

const VARIANTS: &str = r#"
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
[[metric]]
metric = "response_time_percentile"
percentile = 90
[[metric]]
metric = "resolution_time_percentile"
percentile = 50
channels = ["email"]
[[metric]]
metric = "resolution_time_percentile"
percentile = 100
[[metric]]
metric = "interval_compliance"
target_percent = "80"
threshold_s = 20
[[metric]]
metric = "interval_compliance"
interval_minutes = 15
target_percent = "79.5"
threshold_s = 30
abandons = "met_before_t"
min_offered = 3
channels = ["voice"]
[[metric]]
metric = "interval_compliance"
interval_minutes = 60
target_percent = "90"
threshold_s = 60
abandons = "ignore_before_t"
inclusive = false
[[metric]]
metric = "availability"
[[metric]]
metric = "response_time"
threshold_s = 14400
calendar = "NY-OFFICE"
[[metric]]
metric = "resolution_time_mean"
calendar = "NY-OFFICE"
[[metric]]
metric = "response_time_percentile"
percentile = 90
calendar = "LONDON"
[[metric]]
metric = "resolution_time_percentile"
percentile = 50
channels = ["email"]
calendar = "NY-OFFICE"
[[metric]]
metric = "service_level"
threshold_s = 20
calendar = "NY-OFFICE"
[[metric]]
metric = "abandonment_rate"
calendar = "LONDON"
[[metric]]
metric = "interval_compliance"
target_percent = "80"
threshold_s = 20
calendar = "NY-OFFICE"

# Calendars: holidays, a half day, a closed override, and one in another zone than the run.
[[calendar]]
id = "NY-OFFICE"
zone = "America/New_York"
hours = "Mon-Fri 08:00-20:00; Sat 09:00-13:00"
holidays = ["2026-12-25", "2027-01-01"]
overrides = [{ date = "2026-12-24", hours = "08:00-12:00" }, { date = "2026-12-31", hours = "closed" }]

[[calendar]]
id = "LONDON"
zone = "Europe/London"
hours = "Mon-Sun 07:00-23:00"
"#;

/// One comparison: the metrics arguments (after `metrics --input log`), and the files of each.
struct Case {
    args: Vec<String>,
    ours: PathBuf,
    sql: PathBuf,
    theirs: PathBuf,
    names: Vec<(String, String)>,
}

/// The definitions in order, as the SQL's header comment numbers them.
fn definition_names(sql: &str) -> Vec<(String, String)> {
    sql.lines()
        .filter_map(|l| l.strip_prefix("--   "))
        .map(|l| {
            let (_, rest) = l.split_once(": ").unwrap();
            let (name, def) = rest.split_once(' ').unwrap();
            // Without the note on what is not emitted here (`  (…)`).
            (name.to_string(), def.split("  (").next().unwrap_or_default().to_string())
        })
        .collect()
}

/// Generates the log, runs callsla and emits the SQL in `dialect` for every case.
fn cases(t: &TempDir, dialect: &str) -> (PathBuf, Vec<Case>) {
    let log = t.path("log.csv");
    let made = callsla(&[
        "generate",
        "--rows",
        "30000",
        "--months",
        "2",
        "--start",
        "2026-12",
        "--seed",
        "21",
        "--slow-months",
        "1",
        "--out",
        s(&log),
    ]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    // A definitions file with variants beyond the default catalogue.
    let defs_file = t.write("defs.toml", VARIANTS);
    let variants = format!("--metrics={}", s(&defs_file));
    let (ny, kathmandu) = ("America/New_York", "Asia/Kathmandu");
    let matrix: Vec<Vec<&str>> = vec![
        vec!["--tz", ny, "--period", "month"],
        vec!["--tz", ny, "--period", "month", &variants],
        vec!["--tz", ny, "--period", "week", &variants],
        vec!["--tz", ny, "--period", "day"],
        vec!["--tz", ny, "--period", "quarter"],
        vec!["--tz", ny, "--period", "month", &variants, "--as-of", "2027-01-20T12:00:00-05:00"],
        vec!["--tz", kathmandu, "--period", "day", &variants],
    ];
    let mut out = Vec::new();
    for (k, extra) in matrix.into_iter().enumerate() {
        let mut args: Vec<String> =
            ["metrics", "--input", s(&log), "--by", "channel,queue"].iter().map(|a| a.to_string()).collect();
        args.extend(extra.iter().map(|a| a.to_string()));
        let ours = t.path(&format!("ours{k}.csv"));
        let mut with_out: Vec<&str> = args.iter().map(String::as_str).collect();
        with_out.extend_from_slice(&["--format", "csv", "--out", s(&ours)]);
        let run = callsla(&with_out);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let mut emit: Vec<&str> = args.iter().map(String::as_str).collect();
        emit.extend_from_slice(&["--emit-sql", dialect]);
        let sql = callsla(&emit);
        assert_eq!(sql.code, 0, "{}", sql.stderr);
        let names = definition_names(&sql.stdout);
        let sql_file = t.write(&format!("q{k}.sql"), &sql.stdout);
        out.push(Case { args, ours, sql: sql_file, theirs: t.path(&format!("theirs{k}.csv")), names });
    }
    (log, out)
}

/// Every figure the engine returned equals callsla's.
fn compare(engine: &str, c: &Case) {
    let a = callsla_sums(&c.ours, &c.names);
    let b = engine_sums(&c.theirs, c.names.len());
    assert!(!b.is_empty(), "{engine} returned nothing for {:?}", c.args);
    for (key, v) in &b {
        assert_eq!(
            a.get(key),
            Some(v),
            "{key:?} ({}) with {:?}: callsla {:?} vs {engine} {v:?}",
            c.names[key.3].0,
            c.args,
            a.get(key)
        );
    }
    // Every group callsla reports is in the engine's answer too (none missing on either side).
    let groups =
        |m: &Sums| m.keys().map(|k| (k.0.clone(), k.1.clone(), k.2.clone())).collect::<std::collections::BTreeSet<_>>();
    assert_eq!(groups(&a), groups(&b), "{engine}: groups differ for {:?}", c.args);
    assert!(b.len() >= 12 * 5, "{engine}: compared only {} figures for {:?}", b.len(), c.args);
}

#[test]
fn duckdb_sql_gives_the_same_counts_as_callsla() {
    if !duckdb_available() {
        return;
    }
    let t = TempDir::new("duckdb");
    let (_, cases) = cases(&t, "duckdb");
    for c in &cases {
        let py = Command::new("python3")
            .args([s(&repo("benches/duckdb_run.py")), "--sql", s(&c.sql), "--out", s(&c.theirs)])
            .output()
            .unwrap();
        assert!(py.status.success(), "{}", String::from_utf8_lossy(&py.stderr));
        compare("duckdb", c);
    }
}

#[test]
fn spark_sql_gives_the_same_counts_as_callsla() {
    if !spark_available() {
        return;
    }
    let t = TempDir::new("spark");
    let (log, cases) = cases(&t, "spark");
    // One Spark session for every case (a start-up takes seconds).
    let mut args = vec![s(&repo("benches/spark_run.py")).to_string(), "--csv".into(), s(&log).to_string()];
    for c in &cases {
        args.extend(["--sql".into(), s(&c.sql).to_string(), "--out".into(), s(&c.theirs).to_string()]);
    }
    let py = Command::new("python3").args(&args).output().unwrap();
    assert!(py.status.success(), "{}", String::from_utf8_lossy(&py.stderr));
    for c in &cases {
        compare("spark", c);
    }
}

/// The DuckDB form takes a percentile from `quantile_disc`: that must be the nearest rank
/// ⌈p/100 × n⌉ exactly, also where p/100 × n in floating point lands beside the integer
/// (e.g. 0.07 × 100 = 7.000000000000001), for every whole percentile.
#[test]
fn duckdb_quantile_disc_is_the_nearest_rank() {
    if !duckdb_available() {
        return;
    }
    let script = r#"
import duckdb
from fractions import Fraction
con = duckdb.connect()
cases = [(p, n) for p in range(1, 101) for n in range(1, 61)]
for p in range(1, 101):
    traps = [n for n in range(100, 400_000, 97) if Fraction(p * n, 100).denominator == 1 and Fraction(p / 100 * n) != Fraction(p * n, 100)]
    cases += [(p, n) for n in traps[:2]]
traps = len(cases) - 6000
bad = []
for p, n in cases:
    q = f"{p // 100}.{p % 100:02d}"
    got = con.execute(f"SELECT quantile_disc(x, {q}) FROM range(1, {n} + 1) t(x)").fetchall()[0][0]
    if got != max(1, (p * n + 99) // 100):
        bad.append((p, n, got))
print(len(cases), traps, bad[:5])
assert not bad
"#;
    let out = Command::new("python3").args(["-c", script]).output().unwrap();
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let counts: Vec<usize> =
        String::from_utf8_lossy(&out.stdout).split_whitespace().take(2).filter_map(|n| n.parse().ok()).collect();
    // Every (p, n ≤ 60), and floating-point traps (41 with these ranges).
    assert!(matches!(counts[..], [all, traps] if all >= 6_000 && traps >= 20), "checked {counts:?}");
}

/// The SQL `--emit-sql` prints for the default catalogue, per dialect, as a golden file: a
/// change to a metric's terms in Polars that is not made in the SQL too (or the reverse) shows
/// here on a plain `cargo test`, without DuckDB or Java (the differential tests above run the
/// SQL when those are installed). `UPDATE_GOLDEN=1` rewrites the files for review.
#[test]
fn emitted_sql_matches_the_golden_files() {
    use callsla::metrics::definition::default_catalogue;
    use callsla::metrics::sql::{emit, Dialect};
    use callsla::metrics::PeriodKind;
    for (dialect, name) in [(Dialect::DuckDb, "duckdb.sql"), (Dialect::Spark, "spark.sql")] {
        let mut defs = default_catalogue();
        for d in &mut defs {
            callsla::metrics::definition::bind_csat_scale(d, [1, 5], "the canonical profile").unwrap();
        }
        let sql = emit(dialect, &defs, &[], PeriodKind::Month, chrono_tz::America::New_York, None, None).unwrap();
        let path = repo("tests/golden/sql").join(name);
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &sql).unwrap();
        }
        let want = std::fs::read_to_string(&path)
            .unwrap_or_else(|_| panic!("{} is missing (UPDATE_GOLDEN=1)", path.display()));
        assert_eq!(
            sql, want,
            "{name}: the emitted SQL changed; check the Polars terms and the SQL terms agree, then UPDATE_GOLDEN=1"
        );
    }
}

/// The sample contract with a second exclusion window (`start`, `end`, on `channels` of the
/// billing and technical queues) and an outbound scope of both campaigns.
fn sample_variant(start: &str, end: &str, channels: &str) -> String {
    let sample = std::fs::read_to_string(repo("sample-data/contract.toml")).unwrap();
    let at = "reference = \"Acme change CR-2291\"\n";
    assert!(sample.contains(at), "the sample's exclusion moved: the variant would add nothing");
    let window = format!(
        "{at}\n[[exclusion]]\nid = \"EX-2\"\nstart = \"{start}\"\nend = \"{end}\"\nreason = \"Carrier outage\"\nreference = \"INC-4410\"\nchannels = [{channels}]\nqueues = [\"billing\", \"technical\"]\n"
    );
    sample.replacen(at, &window, 1)
        + "\n[scope.outbound]\nqueues = [\"retention\"]\ncampaigns = [\"renewals\", \"winback\"]\n"
}

/// Runs emitted DuckDB SQL (with its view) and writes the result to `out`.
fn run_duckdb(sql: &std::path::Path, out: &std::path::Path) {
    let py = Command::new("python3")
        .args([s(&repo("benches/duckdb_run.py")), "--sql", s(sql), "--out", s(out)])
        .output()
        .unwrap();
    assert!(py.status.success(), "{}", String::from_utf8_lossy(&py.stderr));
}

/// Runs emitted Spark SQL files on one local session over `log`, each into its output.
fn run_spark(log: &std::path::Path, queries: &[(PathBuf, PathBuf)]) {
    let mut args = vec![s(&repo("benches/spark_run.py")).to_string(), "--csv".into(), s(log).to_string()];
    for (sql, out) in queries {
        args.extend(["--sql".into(), s(sql).to_string(), "--out".into(), s(out).to_string()]);
    }
    let py = Command::new("python3").args(&args).output().unwrap();
    assert!(py.status.success(), "{}", String::from_utf8_lossy(&py.stderr));
}

/// `run --contract C --emit-sql duckdb|spark` (issue 21): the SQL for a contract — its scope
/// (channels, queues, inbound and outbound, `[scope.outbound]` queues and campaigns), its
/// exclusion windows (for all contacts, and for some channels and queues), its business-hours
/// calendar with holidays, the offered volumes volume relief reads and every SLA's definition — run on DuckDB and
/// on Spark over the sample log gives, for every definition it computes, every assessed month
/// and every queue, the numerators, denominators, sample sizes, unsettled counts and percentile
/// values that the run itself measured (its metrics.csv). Two contracts: the sample, and the
/// sample with an outbound scope and a second, narrower exclusion window.
#[test]
fn contract_sql_gives_the_runs_own_counts_on_duckdb_and_spark() {
    let (duck, spark) = (duckdb_available(), spark_available());
    let t = TempDir::new("contract-sql");
    let log = repo("sample-data/interactions.csv");
    let sample = std::fs::read_to_string(repo("sample-data/contract.toml")).unwrap();
    let narrower = sample_variant("2026-10-06T09:00:00-04:00", "2026-10-08T17:30:00-04:00", "\"voice\", \"chat\"");
    let contracts = [t.write("sample.toml", &sample), t.write("narrower.toml", &narrower)];
    // Each contract: the run's own metrics.csv and the SQL in both dialects.
    let mut cases = Vec::new();
    for (k, contract) in contracts.iter().enumerate() {
        let out = t.path(&format!("out{k}"));
        let r = callsla_in_repo(&sample_run_args(s(contract), s(&out)));
        assert_eq!(r.code, 0, "{}", r.stderr);
        // The contacts' metrics, then the outbound attempts'.
        let emit = |dialect: &str| -> Vec<PathBuf> {
            ["metrics", "outbound"]
                .iter()
                .map(|part| {
                    let r = callsla(&[
                        "run",
                        "--contract",
                        s(contract),
                        "--input",
                        s(&log),
                        "--emit-sql",
                        dialect,
                        "--sql-for",
                        part,
                    ]);
                    assert_eq!(r.code, 0, "{}", r.stderr);
                    assert!(r.stdout.contains("judged AS (") && r.stdout.contains("AND NOT ("), "{}", r.stdout);
                    assert!(
                        r.stdout.contains("coalesce(direction, 'inbound') IN ('inbound', 'outbound')"),
                        "{}",
                        r.stdout
                    );
                    t.write(&format!("c{k}.{part}.{dialect}.sql"), &r.stdout)
                })
                .collect()
        };
        let (duck_sql, spark_sql) = (emit("duckdb"), emit("spark"));
        let names = definition_names(&std::fs::read_to_string(&duck_sql[0]).unwrap());
        cases.push((out.join("metrics.csv"), duck_sql, spark_sql, names, k));
    }
    assert!(std::fs::read_to_string(&cases[1].1[0])
        .unwrap()
        .contains("coalesce(campaign IN ('renewals', 'winback'), false)"));
    // Nothing is run beside --emit-sql: --out is refused.
    let both =
        callsla(&["run", "--contract", s(&contracts[0]), "--input", s(&log), "--emit-sql", "duckdb", "--out", "x"]);
    assert_eq!(both.code, 2, "{}", both.stderr);
    let check = |engine: &str, ours: &std::path::Path, theirs: &[PathBuf], names: &[(String, String)]| {
        let a = callsla_sums(ours, names);
        let periods: std::collections::BTreeSet<String> = a.keys().map(|k| k.0.clone()).collect();
        // The run groups by queue: the engine's rows over all channels, in the assessed months.
        let b: Sums = theirs
            .iter()
            .flat_map(|f| engine_sums(f, names.len()))
            .filter(|(k, _)| k.1 == "*" && periods.contains(&k.0))
            .collect();
        for (key, v) in &b {
            assert_eq!(a.get(key), Some(v), "{key:?} ({}) on {engine}: callsla {:?}", names[key.3].0, a.get(key));
        }
        let emitted: std::collections::BTreeSet<usize> = b.keys().map(|k| k.3).collect();
        for key in a.keys().filter(|k| emitted.contains(&k.3)) {
            assert!(b.contains_key(key), "{key:?} ({}) is missing from {engine}'s answer", names[key.3].0);
        }
        assert!(
            emitted.len() >= 15 && b.len() >= 150,
            "{engine}: only {} figures of {} definitions",
            b.len(),
            emitted.len()
        );
        for m in ["dialler_abandonment_rate", "calling_window_violations", "right_party_contact_rate"] {
            assert!(emitted.iter().any(|i| names[*i].0 == m), "{engine}: {m} was not emitted");
        }
    };
    if duck {
        for (ours, sqls, _, names, k) in &cases {
            let theirs: Vec<PathBuf> = sqls
                .iter()
                .enumerate()
                .map(|(j, sql)| {
                    let out = t.path(&format!("duckdb{k}.{j}.csv"));
                    run_duckdb(sql, &out);
                    out
                })
                .collect();
            check("duckdb", ours, &theirs, names);
        }
    }
    if spark {
        // One Spark session for both contracts (a start-up takes seconds).
        let t = &t;
        let queries: Vec<(PathBuf, PathBuf)> = cases
            .iter()
            .flat_map(|(_, _, sqls, _, k)| {
                sqls.iter().enumerate().map(move |(j, sql)| (sql.clone(), t.path(&format!("spark{k}.{j}.csv"))))
            })
            .collect();
        run_spark(&log, &queries);
        for (ours, _, _, names, k) in &cases {
            let theirs = [t.path(&format!("spark{k}.0.csv")), t.path(&format!("spark{k}.1.csv"))];
            check("spark", ours, &theirs, names);
        }
    }
}

/// `run --contract C --emit-sql D --sql-for volumes` (issue 21): the billing volumes of the
/// sample contract's rate cards, computed by DuckDB and by Spark over the sample log, are the
/// quantities of the run's own invoice for every month — the inbound voice minutes billed per
/// second (the tiers' quantities add up to Σ ms ÷ 60,000 at 4 places), email contacts, chat
/// started minutes, the renewals campaign's talk-and-wrap minutes and each campaign's connects.
/// Exclusion windows do not remove contacts from billing: the SQL reads the scope alone.
#[test]
fn contract_volume_sql_gives_the_invoice_quantities() {
    use rust_decimal::Decimal;
    let (duck, spark) = (duckdb_available(), spark_available());
    let t = TempDir::new("volume-sql");
    let contract = s(&repo("sample-data/contract.toml")).to_string();
    let log = repo("sample-data/interactions.csv");
    let out = t.path("out");
    let r = callsla_in_repo(&sample_run_args(&contract, s(&out)));
    assert_eq!(r.code, 0, "{}", r.stderr);
    // (period, clause) → the invoice line's quantity; tiers of one card add up.
    let mut invoiced: BTreeMap<(String, String), Decimal> = BTreeMap::new();
    let mut rdr = csv::Reader::from_path(out.join("invoice.csv")).unwrap();
    for rec in rdr.records() {
        let r = rec.unwrap();
        if &r[2] != "invoice" || &r[8] != "fee" {
            continue;
        }
        let clause = r[19].split(".minute_tiers[").next().unwrap().to_string();
        *invoiced.entry((r[3].to_string(), clause)).or_default() += r[12].parse::<Decimal>().unwrap();
    }
    let emit = |dialect: &str| {
        let r = callsla(&[
            "run",
            "--contract",
            &contract,
            "--input",
            s(&log),
            "--emit-sql",
            dialect,
            "--sql-for",
            "volumes",
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stdout.contains("WITH scoped AS (") && !r.stdout.contains("NOT ("), "{}", r.stdout);
        t.write(&format!("volumes.{dialect}.sql"), &r.stdout)
    };
    let refused = callsla(&[
        "run",
        "--contract",
        &contract,
        "--input",
        s(&log),
        "--sql-for",
        "volumes",
        "--out",
        "x",
        "--no-ledger",
    ]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    let check = |engine: &str, theirs: &std::path::Path| {
        let mut rdr = csv::Reader::from_path(theirs).unwrap();
        let headers = rdr.headers().unwrap().clone();
        let mut checked = 0;
        for rec in rdr.records() {
            let r = rec.unwrap();
            let get = |name: &str| -> Decimal { r[headers.iter().position(|h| h == name).unwrap()].parse().unwrap() };
            let minutes = |name: &str| (get(name) / Decimal::from(60_000)).round_dp(4);
            let (period, channel, direction, campaign) = (&r[0], &r[1], &r[2], &r[3]);
            let expect: Vec<(String, Decimal)> = match (channel, direction, campaign) {
                ("voice", "inbound", _) => vec![("pricing.voice".into(), minutes("ms_talk_hold_wrap"))],
                ("email", "inbound", _) => vec![("pricing.email.per_contact".into(), get("handled"))],
                ("chat", "inbound", _) => vec![("pricing.chat".into(), get("started_talk_hold_wrap"))],
                ("voice", "outbound", "renewals") => vec![
                    ("pricing.voice.outbound.renewals".into(), minutes("ms_talk_wrap")),
                    ("pricing.voice.outbound.renewals.per_connect".into(), get("connects")),
                ],
                ("voice", "outbound", c) => vec![(format!("pricing.voice.outbound.{c}.per_connect"), get("connects"))],
                other => panic!("{engine}: a volume row the sample has no card for: {other:?}"),
            };
            for (clause, want) in expect {
                let got = invoiced.get(&(period.to_string(), clause.clone()));
                assert_eq!(got, Some(&want), "{engine} {period} {clause}: invoice {got:?}, SQL {want}");
                checked += 1;
            }
        }
        // Three months × six quantities.
        assert_eq!(checked, 18, "{engine}: checked {checked} quantities");
    };
    if duck {
        let sql = emit("duckdb");
        let theirs = t.path("duckdb.csv");
        run_duckdb(&sql, &theirs);
        check("duckdb", &theirs);
    }
    if spark {
        let sql = emit("spark");
        let theirs = t.path("spark.csv");
        run_spark(&log, &[(sql, theirs.clone())]);
        check("spark", &theirs);
    }
}

/// `run --contract C --emit-sql D --sql-for scope` (issue 21): the scope accounting computed by
/// DuckDB and by Spark — the contacts outside the scope by channel, queue, direction and
/// campaign, the contacts each exclusion window takes (each under the first window that covers
/// it), and per period the contacts judged with their first and last arrival — is what the run
/// reports in assessment.json (`out_of_scope`, `exclusions`, `judged_contacts`, `coverage`), for
/// the sample contract and for a variant with a second, narrower window that overlaps the
/// first and an outbound scope.
#[test]
fn contract_scope_sql_gives_the_runs_accounting() {
    let (duck, spark) = (duckdb_available(), spark_available());
    let t = TempDir::new("scope-sql");
    let log = repo("sample-data/interactions.csv");
    let sample = std::fs::read_to_string(repo("sample-data/contract.toml")).unwrap();
    let variant = sample_variant("2026-09-14T10:00:00-04:00", "2026-09-15T09:00:00-04:00", "\"voice\"");
    let mut cases = Vec::new();
    for (k, text) in [sample, variant].iter().enumerate() {
        let contract = t.write(&format!("c{k}.toml"), text);
        let out = t.path(&format!("out{k}"));
        let r = callsla_in_repo(&sample_run_args(s(&contract), s(&out)));
        assert_eq!(r.code, 0, "{}", r.stderr);
        let data: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("assessment.json")).unwrap()).unwrap();
        // The run's accounting as (kind, period, channel, queue, direction, campaign, exclusion[, source]) →
        // (contacts, first, last).
        let mut ours: BTreeMap<Vec<String>, [i64; 3]> = BTreeMap::new();
        let text_of = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
        for o in data["data"]["out_of_scope"].as_array().unwrap() {
            let key = [
                "out_of_scope",
                "",
                &text_of(&o["channel"]),
                &text_of(&o["queue"]),
                &text_of(&o["direction"]),
                &text_of(&o["campaign"]),
                "",
            ];
            ours.insert(key.iter().map(|s| s.to_string()).collect(), [o["contacts"].as_i64().unwrap(), 0, 0]);
        }
        for e in data["data"]["exclusions"].as_array().unwrap() {
            let key = ["excluded", "", "", "", "", "", &text_of(&e["id"])];
            ours.insert(key.iter().map(|s| s.to_string()).collect(), [e["contacts"].as_i64().unwrap(), 0, 0]);
        }
        let us = |v: &serde_json::Value| {
            chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap().timestamp_micros()
        };
        let mut judged = 0;
        for c in data["data"]["coverage"].as_array().unwrap() {
            let key = ["judged", &text_of(&c["period"]), "", "", "", "", ""];
            judged += c["contacts"].as_i64().unwrap();
            ours.insert(
                key.iter().map(|s| s.to_string()).collect(),
                [
                    c["contacts"].as_i64().unwrap(),
                    us(&c["first_arrival"]) / 1_000_000,
                    us(&c["last_arrival"]) / 1_000_000,
                ],
            );
        }
        assert_eq!(
            judged,
            data["data"]["judged_contacts"].as_i64().unwrap(),
            "the coverage adds up to the judged contacts"
        );
        // Every row read, under the log's name as the SQL was given it.
        let key = ["read", "", "", "", "", "", "", s(&log)];
        let files = data["data"]["reconciliation"]["files"].as_array().unwrap();
        let log_read = files.iter().find(|f| f["path"] == "sample-data/interactions.csv").unwrap()["read"].as_i64();
        ours.insert(key.iter().map(|s| s.to_string()).collect(), [log_read.unwrap(), 0, 0]);
        let emit = |dialect: &str| {
            let r = callsla(&[
                "run",
                "--contract",
                s(&contract),
                "--input",
                s(&log),
                "--emit-sql",
                dialect,
                "--sql-for",
                "scope",
            ]);
            assert_eq!(r.code, 0, "{}", r.stderr);
            t.write(&format!("scope{k}.{dialect}.sql"), &r.stdout)
        };
        cases.push((ours, emit("duckdb"), emit("spark"), k));
    }
    // The first and last arrival as the run shows them: to the second.
    let check = |engine: &str, ours: &BTreeMap<Vec<String>, [i64; 3]>, theirs: &std::path::Path| {
        let mut got: BTreeMap<Vec<String>, [i64; 3]> = BTreeMap::new();
        let mut rdr = csv::Reader::from_path(theirs).unwrap();
        for rec in rdr.records() {
            let r = rec.unwrap();
            let n = |i: usize| r[i].parse::<i64>().map_or(0, |v| v.div_euclid(1_000_000));
            assert_eq!(r[11].len(), 64, "every row carries the contract's SHA-256");
            let mut key: Vec<String> = (0..7).map(|i| r[i].to_string()).collect();
            if &r[0] == "read" {
                key.push(r[7].to_string());
            }
            got.insert(key, [r[8].parse().unwrap(), n(9), n(10)]);
        }
        assert_eq!(&got, ours, "{engine}");
    };
    assert!(cases[1].0.keys().filter(|k| k[0] == "excluded").count() == 2);
    if duck {
        for (ours, sql, _, k) in &cases {
            let theirs = t.path(&format!("duckdb{k}.csv"));
            run_duckdb(sql, &theirs);
            check("duckdb", ours, &theirs);
        }
    }
    if spark {
        let queries: Vec<(PathBuf, PathBuf)> =
            cases.iter().map(|(_, _, sql, k)| (sql.clone(), t.path(&format!("spark{k}.csv")))).collect();
        run_spark(&log, &queries);
        for (ours, _, _, k) in &cases {
            check("spark", ours, &t.path(&format!("spark{k}.csv")));
        }
    }
}

/// The sample contract's variant: a second exclusion window, an outbound scope of both
/// campaigns (its outbound SLAs, campaign rate cards and connects), and everything else of the
/// sample — inbound metrics on calendars, QA and workforce, availability, volume relief,
/// obligations, payments.
fn counts_contract() -> String {
    sample_variant("2026-10-06T09:00:00-04:00", "2026-10-08T17:30:00-04:00", "\"voice\", \"chat\"")
}

/// audit.html without its inputs table (the manifest's input list), and that table's roles.
fn audit_without_inputs(html: &str) -> (String, Vec<String>) {
    let start = html.find("<h2 id=\"inputs\">").expect("audit.html lists its inputs");
    let end = start + html[start..].find("</table>").unwrap();
    let roles =
        html[start..end].split("<tr><td>").skip(1).map(|r| r.split("</td>").next().unwrap().to_string()).collect();
    (format!("{}{}", &html[..start], &html[end..]), roles)
}

/// The distributed path end to end (issue 21): the contract's emitted SQL — its metrics, its
/// outbound metrics, its billing volumes and its scope accounting — run on DuckDB and on a
/// local Spark session over the sample log (DuckDB's also as Parquet), then `run --counts`
/// with the four results and the same side inputs gives sla_results.csv, invoice.csv,
/// invoice.xlsx, metrics.csv, rejects.csv and assessment.json byte for byte as the direct run
/// on the log, and audit.html too apart from its inputs table (the manifest's input list: the
/// counts files instead of the log). `verify` re-derives the counts run from the counts and
/// finds an edited count; counts for another version of the contract, or missing a result,
/// are refused.
#[test]
fn counts_from_duckdb_and_spark_give_the_direct_runs_outputs_byte_for_byte() {
    let (duck, spark) = (duckdb_available(), spark_available());
    let t = TempDir::new("counts-run");
    let contract = t.write("contract.toml", &counts_contract());
    let direct = t.path("direct");
    let r = callsla_in_repo(&sample_run_args(s(&contract), s(&direct)));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let parts = ["metrics", "outbound", "volumes", "scope"];
    let emit = |dialect: &str, part: &str| {
        let r = callsla_in_repo(&[
            "run",
            "--contract",
            s(&contract),
            "--input",
            "sample-data/interactions.csv",
            "--emit-sql",
            dialect,
            "--sql-for",
            part,
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stdout.contains("AS contract_sha256"), "{}", r.stdout);
        t.write(&format!("{part}.{dialect}.sql"), &r.stdout)
    };
    let mut results: Vec<(&str, Vec<PathBuf>)> = Vec::new();
    if duck {
        let outs = parts
            .iter()
            .map(|part| {
                let out = t.path(&format!("{part}.duckdb.csv"));
                run_duckdb(&emit("duckdb", part), &out);
                out
            })
            .collect();
        results.push(("duckdb", outs));
        // The same results as Parquet (DuckDB writes its integer sums as DOUBLE there).
        let outs = parts
            .iter()
            .map(|part| {
                let out = t.path(&format!("{part}.duckdb.parquet"));
                run_duckdb(&t.path(&format!("{part}.duckdb.sql")), &out);
                out
            })
            .collect();
        results.push(("duckdb-parquet", outs));
    }
    if spark {
        let queries: Vec<(PathBuf, PathBuf)> =
            parts.iter().map(|part| (emit("spark", part), t.path(&format!("{part}.spark.csv")))).collect();
        run_spark(&repo("sample-data/interactions.csv"), &queries);
        results.push(("spark", queries.into_iter().map(|(_, out)| out).collect()));
    }
    let counts_run = |files: &[PathBuf], out: &std::path::Path| {
        let mut args = sample_run_args(s(&contract), s(out));
        let at = args.iter().position(|a| *a == "--input").unwrap();
        args.splice(at..at + 2, std::iter::once("--counts").chain(files.iter().map(|f| s(f))));
        callsla_in_repo(&args)
    };
    for (engine, files) in &results {
        let out = t.path(&format!("via-{engine}"));
        let r = counts_run(files, &out);
        assert_eq!(r.code, 0, "{engine}: {}", r.stderr);
        for f in ["sla_results.csv", "invoice.csv", "invoice.xlsx", "metrics.csv", "rejects.csv", "assessment.json"] {
            let (a, b) = (std::fs::read(direct.join(f)).unwrap(), std::fs::read(out.join(f)).unwrap());
            assert!(a == b, "{engine}: {f} differs from the direct run's");
        }
        let (ours, roles) = audit_without_inputs(&std::fs::read_to_string(direct.join("audit.html")).unwrap());
        let (theirs, counted) = audit_without_inputs(&std::fs::read_to_string(out.join("audit.html")).unwrap());
        assert!(ours == theirs, "{engine}: audit.html differs beyond its inputs table");
        assert!(roles.contains(&"interaction log".to_string()) && !counted.contains(&"interaction log".to_string()));
        assert_eq!(counted.iter().filter(|r| *r == "counts").count(), parts.len(), "{engine}: {counted:?}");
        let manifest: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
        assert_eq!(manifest["counts"].as_array().map(Vec::len), Some(parts.len()), "{manifest}");
        assert_eq!(manifest["inputs"].as_array().map(Vec::len), Some(0), "{manifest}");
        // The auditor re-derives the counts run from the counts.
        let v = callsla_in_repo(&["verify", s(&out)]);
        assert_eq!(v.code, 0, "{engine}: {}{}", v.stdout, v.stderr);
    }
    let Some((_, files)) = results.first() else { return };
    // An edited count is found by verify (exit 4).
    let edited = t.path("edited");
    std::fs::create_dir_all(&edited).unwrap();
    let copies: Vec<PathBuf> = files
        .iter()
        .map(|f| {
            let to = edited.join(f.file_name().unwrap());
            std::fs::copy(f, &to).unwrap();
            to
        })
        .collect();
    let out = t.path("via-copies");
    assert_eq!(counts_run(&copies, &out).code, 0);
    let text = std::fs::read_to_string(&copies[2]).unwrap();
    let changed = text.replacen(",inbound,,", ",inbound,,1", 1);
    assert_ne!(text, changed);
    std::fs::write(&copies[2], changed).unwrap();
    let v = callsla_in_repo(&["verify", s(&out)]);
    assert_eq!(v.code, 4, "{}{}", v.stdout, v.stderr);
    // Counts for another version of the contract are refused, naming the file and line.
    let amended = t.write("amended.toml", &format!("{}\n# amended\n", counts_contract()));
    let refused = t.path("refused");
    let mut args = sample_run_args(s(&amended), s(&refused));
    let at = args.iter().position(|a| *a == "--input").unwrap();
    args.splice(at..at + 2, std::iter::once("--counts").chain(files.iter().map(|f| s(f))));
    let r = callsla_in_repo(&args);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains(":2: these counts were computed for the contract with SHA-256"), "{}", r.stderr);
    // Every result is needed: the outbound one for the outbound SLAs.
    let r = counts_run(&files[..2], &t.path("two"));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("lacks the contract's volumes and scope result(s)"), "{}", r.stderr);
    let r = counts_run(&[files[0].clone(), files[2].clone(), files[3].clone()], &t.path("no-outbound"));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("has no outbound result: give the result of `--sql-for outbound`"), "{}", r.stderr);
}
