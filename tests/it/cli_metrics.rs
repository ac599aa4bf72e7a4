//! `callsla metrics` from the command line: output, messages and exit codes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // reason: tests

use crate::common;

use common::*;

const LOG: &str = "interaction_id,channel,queue,arrived_at,answered_at,wait_s
I1,voice,billing,2026-10-05T09:00:00-04:00,2026-10-05T09:00:10-04:00,10
I2,voice,billing,2026-10-05T09:05:00-04:00,,30
";

#[test]
fn table_output_and_summary() {
    let t = TempDir::new("cli-metrics");
    let input = t.write("log.csv", LOG);
    let defs = t.write(
        "m.toml",
        "[[metric]]\nmetric = \"offered\"\n[[metric]]\nmetric = \"service_level\"\nthreshold_s = 20\n",
    );
    let run =
        callsla(&["metrics", "--input", s(&input), "--tz", "America/New_York", "--by", "queue", "--metrics", s(&defs)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "read 2 rows: 2 accepted, 0 rejected, 0 excluded\n");
    assert_eq!(
        run.stdout,
        "period   channel  queue    agent  metric           value  unit     numerator  denominator  n  prov
2026-10  *        *        *      offered              2  count            2               2
2026-10  *        *        *      service_level  50.0000  percent          1            2  2
2026-10  *        billing  *      offered              2  count            2               2
2026-10  *        billing  *      service_level  50.0000  percent          1            2  2
"
    );
}

#[test]
fn json_output_has_decimals_as_strings() {
    let t = TempDir::new("cli-json");
    let input = t.write("log.csv", LOG);
    let defs = t.write("m.toml", "[[metric]]\nmetric = \"asa\"\n");
    let run =
        callsla(&["metrics", "--input", s(&input), "--tz", "UTC", "--by", "--metrics", s(&defs), "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v[0]["value"], "10.000");
    assert_eq!(v[0]["numerator"], "10.000");
    assert_eq!(v[0]["denominator"], "1");
    assert_eq!(v[0]["period_start"], "2026-10-01T00:00:00+00:00");
    assert_eq!(v[0]["provisional"], false);
}

#[test]
fn usage_errors_are_exit_2() {
    let t = TempDir::new("cli-usage");
    let input = t.write("log.csv", LOG);
    // Values outside a fixed list are refused by the argument parser, listing the values.
    for (extra, expected) in [
        (["--period", "fortnight"], "error: invalid value 'fortnight' for '--period <PERIOD>'\n  [possible values: quarter, month, week, day, hour, 30m, 15m]\n"),
        (["--by", "channel,team"], "error: invalid value 'team' for '--by [<BY>...]'\n  [possible values: channel, queue, agent]\n"),
        (["--emit-sql", "oracle"], "error: invalid value 'oracle' for '--emit-sql <EMIT_SQL>'\n  [possible values: duckdb, spark]\n"),
    ] {
        let mut args = vec!["metrics", "--input", s(&input), "--tz", "UTC"];
        args.extend_from_slice(&extra);
        let run = callsla(&args);
        assert_eq!(run.code, 2, "{extra:?}");
        assert!(run.stderr.starts_with(expected), "{extra:?}: {}", run.stderr);
    }
    let cases: [(&[&str], &str); 2] = [
        (&["--tz", "Mars/Base"], "error: --tz \"Mars/Base\" is not an IANA time zone such as America/New_York\n"),
        (&[], "error: name the time zone periods are measured in with --tz (e.g. --tz America/New_York)\n"),
    ];
    for (extra, expected) in cases {
        let mut args = vec!["metrics", "--input", s(&input)];
        args.extend_from_slice(extra);
        let run = callsla(&args);
        assert_eq!((run.code, run.stderr.as_str()), (2, expected), "{extra:?}");
    }
}

#[test]
fn bad_metric_file_names_file_line_and_key() {
    let t = TempDir::new("cli-defs");
    let input = t.write("log.csv", LOG);
    let defs = t.write("m.toml", "[[metric]]\nmetric = \"service_level\"\nthreshold = 20\n");
    let run = callsla(&["metrics", "--input", s(&input), "--tz", "UTC", "--metrics", s(&defs)]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.starts_with(&format!("error: cannot read metrics file {}:1: ", s(&defs))), "{}", run.stderr);
    assert!(run.stderr.contains("unknown field `threshold`"), "{}", run.stderr);
}

#[test]
fn other_subcommands_report_usage_errors_with_exit_2() {
    let t = TempDir::new("cli-errors");
    let g = callsla(&["generate", "--rows", "10", "--start", "2026-13", "--out", s(&t.path("x.csv"))]);
    assert_eq!((g.code, g.stderr.as_str()), (2, "error: --start \"2026-13\" is not a month like 2026-10\n"));
    let missing = t.path("nothing");
    let d = callsla(&["diff", s(&missing), s(&missing)]);
    assert_eq!(d.code, 2);
    assert!(
        d.stderr.starts_with(&format!("error: cannot read {}/assessment.json", s(&missing)))
            || d.stderr.starts_with(&format!("error: cannot read {}", s(&missing))),
        "{}",
        d.stderr
    );
    let v = callsla(&["verify", s(&missing)]);
    assert_eq!(v.code, 2);
    assert!(v.stderr.starts_with(&format!("error: cannot read {}/manifest.json", s(&missing))), "{}", v.stderr);
    let h = callsla(&["history", "--ledger", s(&t.path("none.db"))]);
    assert_eq!(
        (h.code, h.stderr.clone()),
        (2, format!("error: no ledger at {}; run `callsla run` first or pass --ledger\n", s(&t.path("none.db"))))
    );
}
