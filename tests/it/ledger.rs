//! The ledger end to end: history across months without re-reading old logs, idempotent runs,
//! closing, refusing and restating, crash consistency and concurrent runs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // reason: tests

use crate::common;

use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;

/// A temp folder with the sample contract (termination: 2 misses in 4 months) and one log per
/// month: August to October from the sample, November generated understaffed.
fn setup(name: &str) -> TempDir {
    let t = TempDir::new(name);
    let contract = std::fs::read_to_string(repo("sample-data/contract.toml"))
        .unwrap()
        .replace("misses_in_window = { count = 3, window = 4 }", "misses_in_window = { count = 2, window = 4 }");
    t.write("contract.toml", &contract);
    let log = std::fs::read_to_string(repo("sample-data/interactions.csv")).unwrap();
    let header = log.lines().next().unwrap();
    for month in ["08", "09", "10"] {
        let rows: Vec<&str> = log
            .lines()
            .skip(1)
            .filter(|l| l.split(',').nth(6).is_some_and(|t| t.starts_with(&format!("2026-{month}"))))
            .collect();
        t.write(&format!("2026-{month}.csv"), &format!("{header}\n{}\n", rows.join("\n")));
    }
    let nov = t.path("2026-11.csv");
    let g = callsla(&[
        "generate",
        "--rows",
        "8000",
        "--start",
        "2026-11",
        "--months",
        "1",
        "--slow-months",
        "1",
        "--seed",
        "11",
        "--out",
        s(&nov),
    ]);
    assert_eq!(g.code, 0, "{}", g.stderr);
    t
}

fn run_month(t: &TempDir, month: &str, extra: &[&str]) -> Run {
    let mut args = vec![
        "run",
        "--contract",
        s(&t.path("contract.toml")).to_string().leak(),
        "--input",
        s(&t.path(&format!("{month}.csv"))).to_string().leak(),
        "--period",
        month,
        "--out",
        s(&t.path(&format!("out-{month}"))).to_string().leak(),
    ];
    let side = side_inputs();
    args.extend(side.iter().map(String::as_str));
    args.extend_from_slice(extra);
    if !extra.contains(&"--ledger") {
        args.extend(["--ledger", s(&ledger(t)).to_string().leak()]);
    }
    callsla(&args)
}

/// `callsla close` of `period` in the test's ledger, provisional results accepted.
fn close_accepting(t: &TempDir, period: &str, by: &str, at: &str) -> Run {
    callsla(&[
        "close",
        "--contract",
        s(&t.path("contract.toml")),
        "--ledger",
        s(&ledger(t)),
        "--period",
        period,
        "--by",
        by,
        "--at",
        at,
        "--accept-provisional",
    ])
}

fn assessment(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("assessment.json")).unwrap()).unwrap()
}

fn ledger(t: &TempDir) -> PathBuf {
    t.path("callsla.db")
}

#[test]
fn three_months_earn_back_from_the_ledger_then_a_termination_right() {
    let t = setup("ledger-months");
    let aug = run_month(&t, "2026-08", &[]);
    assert_eq!(aug.code, 0, "{}", aug.stderr);
    assert!(aug.stdout.ends_with(&format!("ledger {}: 2026-08 added\n", s(&ledger(&t)))), "{}", aug.stdout);
    let aug_json = assessment(&t.path("out-2026-08"));
    let sl1 = &aug_json["assessment"]["periods"][0]["slas"][0];
    assert_eq!(sl1["status"], "below_minimum");
    let aug_credit = sl1["credit"].as_str().unwrap().to_string();
    assert_ne!(aug_credit, "0.00");

    assert_eq!(run_month(&t, "2026-09", &[]).code, 0);
    // October reads only October's log: August and September come from the ledger.
    let oct = run_month(&t, "2026-10", &[]);
    assert_eq!(oct.code, 0, "{}", oct.stderr);
    let oct_json = assessment(&t.path("out-2026-10"));
    let eb = &oct_json["assessment"]["periods"][0]["earn_back"][0];
    assert_eq!(
        (eb["sla_id"].as_str(), eb["credit_period"].as_str(), eb["amount"].as_str()),
        (Some("SL-1"), Some("2026-08"), Some(aug_credit.as_str()))
    );
    // October's log, and the quality evaluations and agent hours.
    assert_eq!(oct_json["data"]["reconciliation"]["files"].as_array().unwrap().len(), 3);
    // The output folder carries what the ledger contributed, and verify re-derives from it.
    assert!(t.path("out-2026-10").join("ledger_input.json").is_file());
    assert_eq!(callsla(&["verify", s(&t.path("out-2026-10"))]).code, 0);

    // November is understaffed: SL-1 missed again, 2 of the last 4 months.
    let nov = run_month(&t, "2026-11", &[]);
    assert_eq!(nov.code, 0, "{}", nov.stderr);
    let ev = &assessment(&t.path("out-2026-11"))["assessment"]["termination_events"];
    let sl1_event = ev
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["sla_id"] == "SL-1" && e["clause"] == "termination.misses_in_window")
        .unwrap();
    assert_eq!(sl1_event["periods"], serde_json::json!(["2026-08", "2026-11"]));

    let h = callsla(&["history", "--ledger", s(&ledger(&t))]);
    assert_eq!(h.code, 0, "{}", h.stderr);
    let lines: Vec<&str> = h.stdout.lines().collect();
    // Plus August's material breach (OB-1, a late breach notification), recorded in its period.
    assert_eq!(lines.len(), 1 + 4 + ev.as_array().unwrap().len() + 1, "{}", h.stdout);
    assert!(h.stdout.contains(
        "termination right: ACME-CONTOSO 2026-08 OB-1 material_breach (periods 2026-08; Schedule 6, §2.1) — the client's right from 2026-10-03 (not cured by 2026-10-02), effective at the earliest 2026-11-02\n"
    ));
    assert!(lines[1].starts_with("ACME-CONTOSO  2026-08  open"), "{}", h.stdout);
    assert!(h.stdout.contains("termination right: ACME-CONTOSO 2026-11 SL-1 missed 2 of the last 4 periods (periods 2026-08, 2026-11; termination.misses_in_window)"), "{}", h.stdout);
}

#[test]
fn idempotent_rerun_replace_open_refuse_closed_and_restate() {
    let t = setup("ledger-close");
    assert_eq!(run_month(&t, "2026-08", &[]).code, 0);
    assert_eq!(run_month(&t, "2026-09", &[]).code, 0);
    // Same period, same inputs: nothing changes.
    let again = run_month(&t, "2026-08", &["--force"]);
    assert!(again.stdout.ends_with(&format!("ledger {}: 2026-08 unchanged\n", s(&ledger(&t)))), "{}", again.stdout);

    // Different inputs for an open period: replaced, and said so.
    let aug = std::fs::read_to_string(t.path("2026-08.csv")).unwrap();
    let fewer: Vec<&str> = aug.lines().take(aug.lines().count() - 200).collect();
    t.write("2026-08.csv", &(fewer.join("\n") + "\n"));
    let replaced = run_month(&t, "2026-08", &["--force"]);
    assert!(replaced.stdout.contains("2026-08 replaced (open; net due "), "{}", replaced.stdout);

    // August was run on August's log alone: its FCR and response-time windows at the end of
    // the month are still open, so it is provisional and closing it needs the explicit word.
    let close = |extra: &[&str]| {
        let (contract, l) = (t.path("contract.toml"), ledger(&t));
        let mut args = vec![
            "close",
            "--contract",
            s(&contract),
            "--ledger",
            s(&l),
            "--period",
            "2026-08",
            "--by",
            "Doe, Jane (finance)",
            "--at",
            "2026-09-05",
        ];
        args.extend_from_slice(extra);
        callsla(&args)
    };
    let refused = close(&[]);
    assert_eq!(refused.code, 2);
    assert!(
        refused
            .stderr
            .starts_with("error: period 2026-08 of contract ACME-CONTOSO has provisional results (SL-3, SL-5, SL-9: "),
        "{}",
        refused.stderr
    );
    let h = callsla(&["history", "--ledger", s(&ledger(&t)), "--format", "csv"]);
    assert!(
        h.stdout.lines().any(|l| l.starts_with("ACME-CONTOSO,2026-08,open,") && l.contains(",yes,")),
        "{}",
        h.stdout
    );
    let c = close(&["--accept-provisional"]);
    assert_eq!(
        c.stdout,
        format!("closed 2026-08 of ACME-CONTOSO in {} (by Doe, Jane (finance), 2026-09-05)\n", s(&ledger(&t)))
    );
    let before = std::fs::read(t.path("out-2026-08").join("assessment.json")).unwrap();
    t.write("2026-08.csv", &aug);
    let refused = run_month(&t, "2026-08", &["--force"]);
    assert_eq!(refused.code, 2);
    assert!(
        refused.stderr.starts_with(
            "error: period 2026-08 of contract ACME-CONTOSO is closed and its results would change (net due "
        ),
        "{}",
        refused.stderr
    );
    assert_eq!(std::fs::read(t.path("out-2026-08").join("assessment.json")).unwrap(), before);

    // Restated on the record; the next invoice carries the adjustment.
    let restated = run_month(
        &t,
        "2026-08",
        &[
            "--force",
            "--restate",
            "--reason",
            "200 calls were missing from the export",
            "--by",
            "ops@contoso",
            "--at",
            "2026-09-20",
        ],
    );
    assert_eq!(restated.code, 0, "{}", restated.stderr);
    assert!(restated.stdout.contains("2026-08 restated (#1, "), "{}", restated.stdout);
    let sep = run_month(&t, "2026-09", &["--force"]);
    assert_eq!(sep.code, 0, "{}", sep.stderr);
    let invoice = std::fs::read_to_string(t.path("out-2026-09").join("invoice.csv")).unwrap();
    let adj: Vec<&str> = invoice.lines().filter(|l| l.contains(",restatement,")).collect();
    assert_eq!(adj.len(), 1, "{invoice}");
    assert!(adj[0].contains("restatement of 2026-08: 200 calls were missing from the export"), "{}", adj[0]);
    let h = callsla(&["history", "--ledger", s(&ledger(&t)), "--format", "csv"]);
    assert!(h.stdout.contains(",2026-08,closed,"), "{}", h.stdout);
    assert!(
        h.stdout.lines().any(|l| l.starts_with("ACME-CONTOSO,2026-08,closed,") && l.contains(",1,")),
        "{}",
        h.stdout
    );
    // A name with a comma is quoted: every record has the header's thirteen fields.
    let mut rows = csv::Reader::from_reader(h.stdout.as_bytes());
    let records: Vec<csv::StringRecord> = rows.records().map(|r| r.unwrap()).collect();
    assert!(records.iter().all(|r| r.len() == 13), "{}", h.stdout);
    // Closed with --accept-provisional: recorded.
    assert!(records.iter().any(|r| &r[1] == "2026-08" && &r[10] == "accepted"), "{}", h.stdout);
    assert!(records.iter().any(|r| &r[8] == "Doe, Jane (finance)"), "{}", h.stdout);
}

#[test]
fn a_crash_after_the_outputs_leaves_the_ledger_unchanged_and_a_rerun_records_it() {
    let t = setup("ledger-crash");
    assert_eq!(run_month(&t, "2026-08", &[]).code, 0);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_callsla"))
        .env("CALLSLA_PSEUDONYM_KEY", TEST_KEY)
        .env("CALLSLA_FAIL_AT", "outputs")
        .args([
            "run",
            "--contract",
            s(&t.path("contract.toml")),
            "--input",
            s(&t.path("2026-09.csv")),
            "--period",
            "2026-09",
            "--out",
            s(&t.path("out-2026-09")),
            "--ledger",
            s(&ledger(&t)),
        ])
        .args(side_inputs())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("CALLSLA_FAIL_AT"));
    // The outputs are complete (written atomically) but the ledger does not know September.
    assert!(t.path("out-2026-09").join("manifest.json").is_file());
    assert_eq!(callsla(&["verify", s(&t.path("out-2026-09"))]).code, 0);
    let h = callsla(&["history", "--ledger", s(&ledger(&t)), "--format", "csv"]);
    assert_eq!(h.stdout.lines().count(), 2, "{}", h.stdout);
    // Re-running records it; the outputs are the same bytes.
    let before = std::fs::read(t.path("out-2026-09").join("assessment.json")).unwrap();
    let rerun = run_month(&t, "2026-09", &["--force"]);
    assert!(rerun.stdout.ends_with(&format!("ledger {}: 2026-09 added\n", s(&ledger(&t)))), "{}", rerun.stdout);
    assert_eq!(std::fs::read(t.path("out-2026-09").join("assessment.json")).unwrap(), before);
    // A run that fails before its outputs (an unreadable input) changes nothing either.
    t.write("bad.csv", "not,a,log\n1,2,3\n");
    let (contract, bad_log, bad_out) = (t.path("contract.toml"), t.path("bad.csv"), t.path("out-bad"));
    let side = side_inputs();
    let mut args =
        vec!["run", "--contract", s(&contract), "--input", s(&bad_log), "--period", "2026-10", "--out", s(&bad_out)];
    let l = ledger(&t);
    args.extend(["--ledger", s(&l)]);
    args.extend(side.iter().map(String::as_str));
    let bad = callsla(&args);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("bad.csv"), "{}", bad.stderr);
    assert!(!t.path("out-bad").exists());
    assert_eq!(callsla(&["history", "--ledger", s(&ledger(&t)), "--format", "csv"]).stdout.lines().count(), 3);
}

#[test]
fn a_second_run_against_a_busy_ledger_fails_clearly() {
    let t = setup("ledger-busy");
    assert_eq!(run_month(&t, "2026-08", &[]).code, 0);
    // Another writer holds the ledger.
    let conn = rusqlite::Connection::open(ledger(&t)).unwrap();
    conn.execute_batch("BEGIN IMMEDIATE").unwrap();
    let busy = run_month(&t, "2026-09", &[]);
    assert_eq!(busy.code, 2);
    assert_eq!(
        busy.stderr,
        format!(
            "error: ledger busy: another callsla command is writing {}; wait for it to finish and try again\n",
            s(&ledger(&t))
        )
    );
    assert!(!t.path("out-2026-09").exists());
    // Readers never wait for a writer: the ledger is in write-ahead-log mode and `history`,
    // `statement` and `ledger export` read a snapshot without the write lock.
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    conn.execute("UPDATE periods SET net_due = 'uncommitted'", []).unwrap();
    let h = callsla(&["history", "--ledger", s(&ledger(&t)), "--format", "csv"]);
    assert_eq!(h.code, 0, "{}", h.stderr);
    assert!(h.stdout.contains("2026-08") && !h.stdout.contains("uncommitted"), "{}", h.stdout);
    let export = t.path("export.json");
    assert_eq!(callsla(&["ledger", "export", "--ledger", s(&ledger(&t)), "--out", s(&export)]).code, 0);
    let st = callsla(&["statement", "--ledger", s(&ledger(&t)), "--as-of", "2026-10-01"]);
    assert_eq!(st.code, 0, "{}", st.stderr);
    conn.execute_batch("ROLLBACK").unwrap();
    assert_eq!(run_month(&t, "2026-09", &[]).code, 0);
}

#[test]
fn export_and_rebuild_from_the_output_folders() {
    let t = setup("ledger-rebuild");
    assert_eq!(run_month(&t, "2026-08", &[]).code, 0);
    assert_eq!(run_month(&t, "2026-09", &[]).code, 0);
    let export = t.path("export.json");
    let e = callsla(&["ledger", "export", "--ledger", s(&ledger(&t)), "--out", s(&export)]);
    assert_eq!(e.stdout, format!("exported 2 periods to {}\n", s(&export)));
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&export).unwrap()).unwrap();
    assert_eq!(v["periods"][1]["period"], "2026-09");
    assert_eq!(v["periods"][0]["assessment"], assessment(&t.path("out-2026-08"))["assessment"]["periods"][0]);

    let rebuilt = t.path("rebuilt.db");
    let r = callsla(&[
        "ledger",
        "rebuild",
        "--ledger",
        s(&rebuilt),
        "--from",
        s(&t.path("out-2026-08")),
        s(&t.path("out-2026-09")),
    ]);
    assert_eq!(r.stdout, format!("rebuilt {} from 2 output folders: 2 periods recorded\n", s(&rebuilt)));
    let h1 = callsla(&["history", "--ledger", s(&ledger(&t)), "--format", "csv"]).stdout;
    let h2 = callsla(&["history", "--ledger", s(&rebuilt), "--format", "csv"]).stdout;
    assert_eq!(h1, h2);
    // October against the rebuilt ledger grants the same earn-back.
    let oct = run_month(&t, "2026-10", &["--ledger", s(&rebuilt).to_string().leak()]);
    assert_eq!(oct.code, 0, "{}", oct.stderr);
    assert_eq!(
        assessment(&t.path("out-2026-10"))["assessment"]["periods"][0]["earn_back"][0]["credit_period"],
        "2026-08"
    );
}

/// A ledger from before documents were kept (schema < 3) holds closed periods without an
/// invoice document: the first run that assesses one records its invoice as final (closed),
/// so no later run re-issues or changes it.
#[test]
fn a_closed_period_without_a_recorded_document_gets_a_final_one() {
    let t = setup("ledger-pre-documents");
    assert_eq!(run_month(&t, "2026-08", &[]).code, 0);
    let c = close_accepting(&t, "2026-08", "fin", "2026-09-05");
    assert_eq!(c.code, 0, "{}", c.stderr);
    // As an older ledger: no documents, no account.
    let conn = rusqlite::Connection::open(ledger(&t)).unwrap();
    conn.execute_batch("DELETE FROM documents; DELETE FROM interest_charges; DELETE FROM accounts;").unwrap();
    drop(conn);
    let again = run_month(&t, "2026-08", &["--force"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    let conn = rusqlite::Connection::open(ledger(&t)).unwrap();
    let fin: bool =
        conn.query_row("SELECT final FROM documents WHERE id = 'ACME-CONTOSO-2026-08'", [], |r| r.get(0)).unwrap();
    assert!(fin, "the closed period's invoice is recorded as final");
}

/// A period run after a later one (issue 22): the later period was judged without it, so the
/// ledger marks it stale, says so, refuses to close it, and a re-run clears the mark with the
/// history the earlier period gives (here: August's credit earned back in October).
#[test]
fn a_period_added_out_of_order_marks_later_periods_stale_until_rerun() {
    let t = setup("ledger-order");
    assert_eq!(run_month(&t, "2026-08", &[]).code, 0);
    let oct = run_month(&t, "2026-10", &[]);
    assert_eq!(oct.code, 0, "{}", oct.stderr);
    let before = assessment(&t.path("out-2026-10"));
    assert!(before["assessment"]["periods"][0]["earn_back"].as_array().unwrap().is_empty(), "September is a gap");
    let sep = run_month(&t, "2026-09", &[]);
    assert_eq!(sep.code, 0, "{}", sep.stderr);
    assert!(
        sep.stdout.ends_with("ledger: 2026-10 is stale (assessed before 2026-09 was added): its escalation, earn-back and termination counts did not see it; re-run 2026-10\n"),
        "{}",
        sep.stdout
    );
    let h = callsla(&["history", "--ledger", s(&ledger(&t))]);
    assert!(
        h.stdout
            .contains("stale: ACME-CONTOSO 2026-10: assessed before 2026-09 was added; re-run it before closing it\n"),
        "{}",
        h.stdout
    );
    let csv = callsla(&["history", "--ledger", s(&ledger(&t)), "--format", "csv"]);
    assert!(csv.stdout.lines().next().unwrap().ends_with(",stale"));
    assert!(csv.stdout.contains(",assessed before 2026-09 was added\n"), "{}", csv.stdout);
    let close = |period: &str| close_accepting(&t, period, "Finance", "2026-11-05");
    let refused = close("2026-10");
    assert_eq!(refused.code, 2);
    assert_eq!(
        refused.stderr,
        "error: period 2026-10 of contract ACME-CONTOSO is stale: assessed before 2026-09 was added; re-run 2026-10 (its escalation, earn-back and termination counts depend on the earlier period) and close it then\n"
    );
    // Re-running October recomputes it with September in its history.
    let again = run_month(&t, "2026-10", &["--force"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(!again.stdout.contains("stale"), "{}", again.stdout);
    let after = assessment(&t.path("out-2026-10"));
    assert_eq!(after["assessment"]["periods"][0]["earn_back"][0]["credit_period"], "2026-08");
    assert!(!callsla(&["history", "--ledger", s(&ledger(&t))]).stdout.contains("stale"));
    assert_eq!(close("2026-10").code, 0);
}

/// One rule finds the ledger for every command (issue 20): `--ledger`, else `CALLSLA_LEDGER`,
/// else `callsla.db` in the working folder. After the README's main command, `history`,
/// `statement`, `ledger export` and `close` in the same folder find the ledger the run wrote;
/// the variable moves it for all of them; `--no-ledger` ignores the variable and refuses a
/// `--ledger` beside it.
#[test]
fn every_command_finds_the_ledger_by_one_rule() {
    let t = TempDir::new("ledger-rule");
    let dir = sample_project(&t);
    let mut main = sample_run_args("sample-data/contract.toml", "target/assessment");
    main.retain(|a| *a != "--no-ledger");
    let r = callsla_with(&main, Some(&dir), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("ledger callsla.db: 2026-08 added; 2026-09 added; 2026-10 added\n"), "{}", r.stdout);
    assert!(dir.join("callsla.db").is_file() && !dir.join("sample-data/callsla.db").exists());
    let h = callsla_with(&["history", "--format", "csv"], Some(&dir), &[]);
    assert_eq!(h.code, 0, "{}", h.stderr);
    assert_eq!(h.stdout.lines().count(), 4, "{}", h.stdout);
    let st = callsla_with(&["statement", "--as-of", "2026-12-15"], Some(&dir), &[]);
    assert!(st.stdout.starts_with("statement of account ACME-CONTOSO as of 2026-12-15"), "{}", st.stderr);
    let e = callsla_with(&["ledger", "export", "--out", "export.json"], Some(&dir), &[]);
    assert_eq!(e.stdout, "exported 3 periods to export.json\n");
    let close = [
        "close",
        "--contract",
        "sample-data/contract.toml",
        "--period",
        "2026-08",
        "--by",
        "fin",
        "--at",
        "2026-09-05",
    ];
    let c = callsla_with(&[&close[..], &["--accept-provisional"]].concat(), Some(&dir), &[]);
    assert_eq!(c.stdout, "closed 2026-08 of ACME-CONTOSO in callsla.db (by fin, 2026-09-05)\n", "{}", c.stderr);

    // CALLSLA_LEDGER moves it for every command.
    let moved = t.path("elsewhere.db");
    let env = [("CALLSLA_LEDGER", Some(s(&moved)))];
    let mut run = main.clone();
    run.extend(["--period", "2026-09", "--force"]);
    let r = callsla_with(&run, Some(&dir), &env);
    assert!(r.stdout.contains(&format!("ledger {}: 2026-09 added\n", s(&moved))), "{}", r.stdout);
    let h = callsla_with(&["history", "--format", "csv"], Some(&dir), &env);
    assert_eq!(h.stdout.lines().count(), 2, "{}", h.stdout);
    // --ledger wins over the variable.
    let h = callsla_with(&["history", "--format", "csv", "--ledger", "callsla.db"], Some(&dir), &env);
    assert_eq!(h.stdout.lines().count(), 4, "{}", h.stdout);
    // --no-ledger ignores the variable; beside --ledger it is refused.
    run.push("--no-ledger");
    let r = callsla_with(&run, Some(&dir), &env);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stdout.contains("ledger "), "{}", r.stdout);
    run.extend(["--ledger", "x.db"]);
    let r = callsla_with(&run, Some(&dir), &[]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (2, "error: --no-ledger and --ledger contradict each other: give one of them\n")
    );
    assert!(!dir.join("x.db").exists());
    // Where there is none, the message names the place and the ways to give another.
    let h = callsla_with(&["history"], Some(&t.path("")), &[]);
    assert_eq!(h.code, 2);
    assert!(h.stderr.contains("no ledger at callsla.db"), "{}", h.stderr);
}

/// The audit page shows the ledger (issue 20): the trend over the months recorded before this
/// run's (hollow points in each chart) and every period's state and sign-off.
#[test]
fn the_audit_page_shows_the_trend_and_the_sign_off_from_the_ledger() {
    let t = setup("ledger-audit");
    assert_eq!(run_month(&t, "2026-08", &[]).code, 0);
    let close = close_accepting(&t, "2026-08", "J. Finance <jf@example.com>", "2026-09-05");
    assert_eq!(close.code, 0, "{}", close.stderr);
    assert_eq!(run_month(&t, "2026-09", &[]).code, 0);
    let html = std::fs::read_to_string(t.path("out-2026-09").join("audit.html")).unwrap();
    // August, from the ledger, drawn hollow in each chart beside September.
    assert!(html.contains("2026-08: 44.0553% (below_minimum, from the ledger)"), "the trend");
    assert!(html.matches("class=\"point earlier\"").count() >= 9, "a hollow August point per SLA");
    // The sign-off, escaped as text.
    let table = &html[html.find("id=\"ledger-table\"").unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    assert!(
        table.contains("<td>2026-08</td><td>closed</td><td>J. Finance &lt;jf@example.com&gt;</td><td>2026-09-05</td><td>earlier, from the ledger</td>"),
        "{table}"
    );
    assert!(table.contains("<td>2026-09</td><td>open</td><td>–</td><td>–</td><td>assessed</td>"), "{table}");
    // verify re-derives the page from ledger_input.json.
    let v = callsla(&["verify", s(&t.path("out-2026-09"))]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
}

/// `callsla report` (issue 20): the portfolio page from the ledger — the SLA × month heat map,
/// money over time, chronic failures, termination rights, open disputes, and links to the
/// audit pages of the output folders given.
#[test]
fn the_portfolio_page_reads_the_ledger() {
    let t = setup("ledger-portfolio");
    for m in ["2026-08", "2026-09", "2026-10"] {
        let r = run_month(&t, m, &[]);
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    assert_eq!(close_accepting(&t, "2026-08", "A. Auditor", "2026-09-05").code, 0);
    let d = callsla(&[
        "dispute",
        "open",
        "--contract",
        s(&t.path("contract.toml")),
        "--ledger",
        s(&ledger(&t)),
        "--document",
        "ACME-CONTOSO-2026-08",
        "--sla",
        "SL-1",
        "--period",
        "2026-08",
        "--amount",
        "100",
        "--reason",
        "outage <14 Aug>",
        "--by",
        "J. Client",
        "--at",
        "2026-09-20",
    ]);
    assert_eq!(d.code, 0, "{}", d.stderr);
    let page = t.path("portfolio.html");
    let r = callsla_with(
        &["report", "--ledger", s(&ledger(&t)), "--runs", "out-2026-08", "out-2026-09", "--out", s(&page)],
        Some(&t.0),
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(!html.contains("<script"), "no script");
    assert!(html.contains("id=\"contract-ACME-CONTOSO\""));
    // 14 SLAs × 3 months, coloured by status; August closed and signed off.
    assert_eq!(html.matches("<td class=\"heat ").count(), 14 * 3, "the heat map");
    assert!(html.contains("<td class=\"heat below_minimum\""), "SL-1 in August");
    assert!(html.contains("A. Auditor, 2026-09-05"));
    // Links to the folders given, relative to the page; none for October.
    assert!(html.contains("href=\"out-2026-08/audit.html\"") && html.contains("href=\"out-2026-09/audit.html\""));
    assert!(!html.contains("out-2026-10/audit.html"));
    // The outbound SLAs were missed every month: chronic.
    assert!(html.contains("OUT-2: missed in each of the last 3 periods"), "chronic failures");
    // The open dispute, its reason never shown raw; the termination right of August's breach.
    assert!(html.contains("<td>SL-1 2026-08</td>") && !html.contains("<14 Aug>"));
    assert!(html.contains("OB-1 material_breach"), "termination rights");
    assert!(html.contains("class=\"money-chart\""), "money over time");
    // The same ledger, the same page.
    let again = t.path("again.html");
    let r = callsla_with(
        &["report", "--ledger", s(&ledger(&t)), "--runs", "out-2026-08", "out-2026-09", "--out", s(&again)],
        Some(&t.0),
        &[],
    );
    assert_eq!(r.code, 0);
    assert_eq!(std::fs::read(&again).unwrap(), html.as_bytes());
    // An unknown contract is refused, naming where to find the ids.
    let r = callsla(&["report", "--ledger", s(&ledger(&t)), "--contract", "NOPE", "--out", s(&t.path("x.html"))]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("callsla history lists them"), "{}", r.stderr);
}
