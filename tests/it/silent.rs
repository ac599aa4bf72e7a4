//! Nothing silent (issue 15): every input that changes money is used exactly as declared, or
//! the run stops with the exit code and a message naming the file, key or option and the fix.
//! One test per case the issue lists; each failed on the code before it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // reason: tests

use crate::common;

use common::*;
use serde_json::Value;

/// The README's main command with some options left out or replaced, into `out`, run from
/// the repository root.
fn sample_run(out: &std::path::Path, contract: &str, leave_out: &[&str], extra: &[&str]) -> Run {
    let mut args = vec!["run", "--contract", contract, "--input", "sample-data/interactions.csv", "--no-ledger"];
    for (opt, file) in [
        ("--forecast", "sample-data/forecast.csv"),
        ("--outages", "sample-data/outages.csv"),
        ("--payments", "sample-data/payments.csv"),
        ("--events", "sample-data/events.csv"),
        ("--qa", "sample-data/qa.csv"),
        ("--agent-hours", "sample-data/agent_hours.csv"),
    ] {
        if !leave_out.contains(&opt) {
            args.extend_from_slice(&[opt, file]);
        }
    }
    args.extend_from_slice(&["--out", s(out)]);
    args.extend_from_slice(extra);
    callsla_in_repo(&args)
}

fn assessment(dir: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("assessment.json")).unwrap()).unwrap()
}

/// The sample contract with `[inputs]` added.
fn contract_with_inputs(t: &TempDir, inputs: &str) -> String {
    let c = std::fs::read_to_string(repo("sample-data/contract.toml")).unwrap() + "\n[inputs]\n" + inputs;
    s(&t.write("contract.toml", &c)).to_string()
}

fn sla<'a>(a: &'a Value, period: &str, id: &str) -> &'a Value {
    let p = a["assessment"]["periods"].as_array().unwrap().iter().find(|p| p["period"] == period).unwrap();
    p["slas"].as_array().unwrap().iter().find(|s| s["sla_id"] == id).unwrap()
}

/// The all-groups value of one metric from `callsla metrics --format csv`.
fn metric_value(csv_text: &str, metric: &str) -> String {
    let mut r = csv::Reader::from_reader(csv_text.as_bytes());
    let h = r.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|x| x == name).unwrap();
    for rec in r.records() {
        let rec = rec.unwrap();
        if &rec[col("metric")] == metric && &rec[col("channel")] == "*" && &rec[col("queue")] == "*" {
            return rec[col("value")].to_string();
        }
    }
    panic!("no {metric} row in\n{csv_text}")
}

/// Case 1: an "Abandoned?" column of Yes/No, mapped by hand in any case, gives the right rate;
/// values outside the map are rejected (never read as booleans); `invert` does the same job.
#[test]
fn a_yes_no_abandoned_column_gives_the_right_abandonment_rate() {
    let run = |profile: &str| {
        callsla_in_repo(&[
            "metrics",
            "--profile",
            profile,
            "--input",
            "tests/bad_inputs/map_yes_no.csv",
            "--format",
            "csv",
            "--max-reject-rate",
            "100%",
        ])
    };
    // Mapped: No, Yes, YES, " no " read; maybe and true rejected. 2 abandoned of 4.
    let mapped = run("tests/bad_inputs/map_yes_no.profile.toml");
    assert_eq!(mapped.code, 0, "{}", mapped.stderr);
    assert_eq!(mapped.stderr, "read 6 rows: 4 accepted, 2 rejected, 0 excluded\n");
    assert_eq!(metric_value(&mapped.stdout, "abandonment_rate"), "50.0000");
    // Inverted: No, Yes, YES, " no ", true read; maybe rejected. 3 abandoned of 5.
    let inverted = run("tests/bad_inputs/invert_flag.profile.toml");
    assert_eq!(inverted.code, 0, "{}", inverted.stderr);
    assert_eq!(metric_value(&inverted.stdout, "abandonment_rate"), "60.0000");
    // At the default reject limit the unmapped values stop the run (exit 3), naming them.
    let strict = callsla_in_repo(&[
        "metrics",
        "--profile",
        "tests/bad_inputs/map_yes_no.profile.toml",
        "--input",
        "tests/bad_inputs/map_yes_no.csv",
    ]);
    assert_eq!(strict.code, 3);
    assert!(strict.stderr.contains("most often unmapped_value (2); the first: tests/bad_inputs/map_yes_no.csv:6: column Abandoned?: answered \"maybe\" matches no key"), "{}", strict.stderr);
}

/// Case 2 through `run`: a contract whose CSAT metric names another scale than the profile
/// declares is refused (exit 2) naming both.
#[test]
fn a_csat_scale_other_than_the_profiles_stops_the_run() {
    let t = TempDir::new("csat-scale-run");
    let profile = canonical_profile_with("csat_scale = [1, 10]").replace("canonical-copy", "ten-point");
    let p = t.write("ten.toml", &profile);
    let out = t.path("out");
    let run = sample_run(&out, "sample-data/contract.toml", &[], &["--profile", s(&p)]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert_eq!(
        run.stderr,
        format!("error: csat: scale = [1, 5] differs from the scale the profile declares for the data (profile \"ten-point\" ({}): csat_scale = [1, 10]); remove the metric's `scale` (the profile's is used) or correct the one that is wrong\n", s(&p))
    );
    assert!(!out.exists());
}

/// Case 3: a contract with an availability SLA needs the outage log: without it the run stops;
/// marked optional, availability is not measured (never 100 %), with the reason everywhere.
#[test]
fn no_outage_log_stops_the_run_or_leaves_availability_not_measured() {
    let t = TempDir::new("no-outages");
    let out = t.path("out");
    let run = sample_run(&out, "sample-data/contract.toml", &["--outages"], &[]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stderr, "error: the contract needs an outage log (it has an availability SLA) and none was given; pass --outages FILE, or mark it optional in the contract ([inputs] outages = \"optional\") to leave what needs it not measured\n");
    assert!(!out.exists());

    let c = contract_with_inputs(&t, "outages = \"optional\"\n");
    let run = sample_run(&out, &c, &["--outages"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let a = assessment(&out);
    for period in ["2026-08", "2026-09", "2026-10"] {
        let sl8 = sla(&a, period, "SL-8");
        assert_eq!(
            (sl8["status"].as_str(), sl8["credit"].as_str(), &sl8["achieved"]),
            (Some("not_measured"), Some("0.00"), &Value::Null)
        );
        assert!(sl8["explanation"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l.as_str().unwrap().starts_with("no outage log was given (--outages)")));
    }
    let line = "assumed: no outage log (--outages), which [inputs] marks optional: availability SLAs are not measured";
    assert!(run.stdout.contains(line), "{}", run.stdout);
    assert!(std::fs::read_to_string(out.join("audit.html")).unwrap().contains(&line.replace("assumed: ", "")));
    // metrics.csv does not report an availability figure either.
    assert!(!std::fs::read_to_string(out.join("metrics.csv")).unwrap().contains(",availability,"));
}

/// Case 4: a contract with volume relief needs the forecast; marked optional, the SLAs relief
/// could waive are not measured rather than judged without it.
#[test]
fn no_forecast_stops_the_run_or_leaves_the_slas_not_measured() {
    let t = TempDir::new("no-forecast");
    let out = t.path("out");
    let run = sample_run(&out, "sample-data/contract.toml", &["--forecast"], &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.starts_with(
            "error: the contract needs a forecast (it grants [volume_relief]) and none was given; pass --forecast FILE"
        ),
        "{}",
        run.stderr
    );

    let c = contract_with_inputs(&t, "forecast = \"optional\"\n");
    let run = sample_run(&out, &c, &["--forecast"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let a = assessment(&out);
    assert_eq!(sla(&a, "2026-08", "SL-1")["status"], "not_measured");
    assert_eq!(sla(&a, "2026-08", "SL-8")["status"], "missed", "availability is not subject to volume relief");
    assert!(a["assessment"]["assumptions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l.as_str().unwrap().starts_with("no forecast (--forecast), which [inputs] marks optional")));
}

/// Payments: a contract charging late interest needs the payments file (a header alone when
/// nothing was paid); marked optional, no interest is computed and the run says so.
#[test]
fn no_payments_file_stops_the_run_or_computes_no_interest() {
    let t = TempDir::new("no-payments");
    let out = t.path("out");
    let run = sample_run(&out, "sample-data/contract.toml", &["--payments"], &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("needs a payments file (a header line alone when nothing was paid yet)"),
        "{}",
        run.stderr
    );
    let c = contract_with_inputs(&t, "payments = \"optional\"\n");
    let run = sample_run(&out, &c, &["--payments"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(assessment(&out)["billing"]["interest"], Value::Array(vec![]));
    assert!(run.stdout.contains(
        "assumed: no payments file (--payments), which [inputs] marks optional: no payment is known, so late-payment interest is not computed"
    ));
}

/// Case 5 end to end: with the forecast per channel, the technical queue's voice ASA is judged
/// against voice alone; the older two-column forecast still reads, as all channels, and the run
/// says so.
#[test]
fn volume_relief_is_judged_per_channel_and_the_old_forecast_layout_is_named() {
    let t = TempDir::new("relief");
    let out = t.path("out");
    // Voice technical: 1444 offered in August. A voice forecast of 1900 does not waive SL-4.
    let per_channel = std::fs::read_to_string(repo("sample-data/forecast.csv"))
        .unwrap()
        .replace("2026-08,voice,technical,1200", "2026-08,voice,technical,1900");
    let f = t.write("forecast.csv", &per_channel);
    let run = sample_run(&out, "sample-data/contract.toml", &["--forecast"], &["--forecast", s(&f)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let sl4 = sla(&assessment(&out), "2026-08", "SL-4").clone();
    assert_eq!((sl4["status"].as_str(), sl4["credit"].as_str()), (Some("missed"), Some("750.00")));
    assert!(sl4["explanation"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l == "offered 1444 (voice) is within forecast 1900 + 15% (limit 2185): no volume relief"));

    // The old layout: period,queue,forecast_offered, read as every channel (1827 offered).
    let old = t.write("old.csv", "period,queue,forecast_offered\n2026-08,technical,1500\n");
    let out2 = t.path("out2");
    let run = sample_run(
        &out2,
        "sample-data/contract.toml",
        &["--forecast"],
        &["--forecast", s(&old), "--period", "2026-08"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let sl4 = sla(&assessment(&out2), "2026-08", "SL-4").clone();
    assert_eq!(sl4["status"], "waived");
    assert!(
        run.stdout
            .contains("assumed: the forecast has no channel column: each row is read as all channels (channel *)"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("assumed: 2026-08 SL-1: no forecast row covers channel(s) voice in all queues for 2026-08: judged without volume relief"), "{}", run.stdout);

    // A forecast row for a queue outside the contract is refused with its line.
    let typo = t.write("typo.csv", "period,channel,queue,forecast_offered\n2026-08,voice,tecnical,1500\n");
    let run = sample_run(&t.path("out3"), "sample-data/contract.toml", &["--forecast"], &["--forecast", s(&typo)]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        format!("error: forecast {}:2: column queue: \"tecnical\" is not a queue of the contract's scope (billing, technical, sales, retention) nor * (did you mean \"technical\"?)\n", s(&typo))
    );
}

/// Case 6: the provisional figure is marked in the summary and in `explain`.
#[test]
fn a_provisional_figure_is_said_to_be_provisional() {
    let t = TempDir::new("provisional");
    let out = t.path("out");
    let run = sample_run(&out, "sample-data/contract.toml", &[], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains(
            "  SL-5   fcr                        achieved  81.0880  ≥ 75    met     credit  0.00  USD (provisional)\n"
        ),
        "{}",
        run.stdout
    );
    let e = callsla_in_repo(&["explain", "--assessment", s(&out), "--sla", "SL-5", "--period", "2026-10"]);
    assert!(
        e.stdout.contains(
            "Provisional: some contacts' windows or deadlines had not ended at the data's as-of instant (2026-10-31T"
        ),
        "{}",
        e.stdout
    );
    // Given an as-of a week past the data, nothing is provisional.
    let out2 = t.path("settled");
    let run = sample_run(&out2, "sample-data/contract.toml", &[], &["--as-of", "2026-11-08T00:00:00-05:00"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stdout.contains("(provisional)"), "{}", run.stdout);
    assert!(!run.stdout.contains("assumed: as of"), "{}", run.stdout);
}

/// Case 9: `run` past the reject limit exits 3 and writes the rejects beside the output folder
/// (or to --rejects), naming the file, the commonest reasons and the first rejected row.
#[test]
fn run_past_the_reject_limit_exits_3_and_writes_the_rejects() {
    let t = TempDir::new("reject-limit");
    let mut log = std::fs::read_to_string(repo("sample-data/interactions.csv")).unwrap();
    for i in 0..200 {
        log += &format!("X{i},voice,inbound,billing,C1,A1,not-a-time,,,,,,,,\n");
    }
    let input = t.write("log.csv", &log);
    let out = t.path("out");
    let side = side_inputs();
    let mut args =
        vec!["run", "--contract", "sample-data/contract.toml", "--input", s(&input), "--no-ledger", "--out", s(&out)];
    args.extend(side.iter().map(String::as_str));
    let run = callsla_in_repo(&args);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let rejects = t.path("out.rejects.csv");
    assert_eq!(
        run.stderr,
        format!("error: 200 of 34751 rows rejected (0.576%), above the limit of 0.5%; most often unreadable_timestamp (200); the first: {}:30002: column arrived_at: cannot read \"not-a-time\" as a timestamp (expected RFC 3339 such as 2026-10-01T09:00:00-04:00); every rejected row is listed in {}; fix the data or the profile, or raise --max-reject-rate\n", s(&input), s(&rejects))
    );
    assert_eq!(std::fs::read_to_string(&rejects).unwrap().lines().count(), 201);
    assert!(!out.exists());
    // --rejects names another file; --strict stops on any reject, also with exit 3.
    let chosen = t.path("chosen.csv");
    args.extend_from_slice(&["--rejects", s(&chosen), "--strict", "--max-reject-rate", "100%"]);
    let run = callsla_in_repo(&args);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains(&format!("every rejected row is listed in {}", s(&chosen))), "{}", run.stderr);
    assert!(chosen.is_file());
}

/// Case 11: timestamps on the command line are checked; `history` has no Parquet format.
#[test]
fn command_line_dates_and_formats_are_checked() {
    let t = TempDir::new("cli-checks");
    let c = callsla_in_repo(&[
        "close",
        "--contract",
        "sample-data/contract.toml",
        "--ledger",
        s(&t.path("l.db")),
        "--period",
        "2026-08",
        "--by",
        "me",
        "--at",
        "yesterday",
    ]);
    assert_eq!(c.code, 2);
    assert!(c.stderr.contains("invalid value 'yesterday' for '--at <AT>': \"yesterday\" is not a date (YYYY-MM-DD) or an RFC 3339 timestamp"), "{}", c.stderr);
    let h = callsla(&["history", "--ledger", s(&t.path("l.db")), "--format", "parquet"]);
    assert_eq!(h.code, 2);
    assert!(h.stderr.contains("invalid value 'parquet' for '--format <FORMAT>'"), "{}", h.stderr);
    // A restatement records who and when: both are needed.
    let r = sample_run(&t.path("out"), "sample-data/contract.toml", &[], &["--restate", "--reason", "x"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (2, "error: --restate records who restated and when: give --by NAME and --at DATE too\n")
    );
}

/// Case 11: `verify` finds the inputs from wherever it is started (the manifest records the
/// run's folder relative to the output), or under --inputs; missing inputs are exit 2 with a
/// remedy, not a "difference".
#[test]
fn verify_finds_inputs_from_another_folder_and_says_when_they_are_missing() {
    let t = TempDir::new("verify-elsewhere");
    let out = t.path("out");
    assert_eq!(sample_run(&out, "sample-data/contract.toml", &[], &[]).code, 0);
    let elsewhere = TempDir::new("verify-cwd");
    let v = callsla_with(&["verify", s(&out)], Some(&elsewhere.0), &[]);
    assert_eq!(v.code, 0, "{}", v.stderr);
    // Inputs copied elsewhere: --inputs names the folder.
    let copy = t.path("copy");
    std::fs::create_dir_all(copy.join("sample-data")).unwrap();
    for f in SAMPLE_FILES {
        std::fs::copy(repo("sample-data").join(f), copy.join("sample-data").join(f)).unwrap();
    }
    let v = callsla_with(&["verify", s(&out), "--inputs", s(&copy)], Some(&elsewhere.0), &[]);
    assert_eq!(v.code, 0, "{}", v.stderr);
    std::fs::remove_file(copy.join("sample-data/payments.csv")).unwrap();
    let v = callsla_with(&["verify", s(&out), "--inputs", s(&copy)], Some(&elsewhere.0), &[]);
    assert_eq!(v.code, 2);
    assert_eq!(
        v.stderr,
        format!("error: cannot find the input sample-data/payments.csv at {}/sample-data/payments.csv (under --inputs); run verify where the inputs are, or pass --inputs DIR naming the folder the run was started in\n", s(&copy))
    );
}

/// Every exit code through the binary: 0, 1, 2, 3, 4 (README.md, "Exit codes").
#[test]
fn every_exit_code_through_the_binary() {
    let t = TempDir::new("exit-codes");
    assert_eq!(sample_run(&t.path("ok"), "sample-data/contract.toml", &[], &["--period", "2026-09"]).code, 0);
    assert_eq!(sample_run(&t.path("breach"), "sample-data/contract.toml", &[], &["--fail-on-breach"]).code, 1);
    assert_eq!(sample_run(&t.path("bad"), "sample-data/nope.toml", &[], &[]).code, 2);
    let bad_rows = t.write(
        "bad.csv",
        "interaction_id,channel,queue,arrived_at,answered_at\nI1,fax,billing,2026-08-03T10:00:00Z,\n",
    );
    assert_eq!(callsla(&["ingest", "--input", s(&bad_rows)]).code, 3);
    let ok = t.path("ok");
    std::fs::write(ok.join("rejects.csv"), "tampered\n").unwrap();
    assert_eq!(callsla_in_repo(&["verify", s(&ok)]).code, 4);
}
