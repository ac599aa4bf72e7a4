//! The monthly run end to end: the README's main command, golden outputs, verify, atomic
//! output, diff, explain and exit codes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // reason: tests

use crate::common;

use std::path::{Path, PathBuf};

use common::*;

/// Runs the binary from the repository root (so input paths in outputs are stable).
/// The README's main command, into `out`.
fn main_command(out: &Path, extra: &[&str]) -> Run {
    let mut args = sample_run_args("sample-data/contract.toml", s(out));
    args.extend_from_slice(extra);
    callsla_in_repo(&args)
}

fn golden(name: &str) -> PathBuf {
    repo("tests/golden").join(name)
}

/// `got` equals the golden file `name` (rewritten with `UPDATE_GOLDEN=1`).
fn assert_golden(name: &str, got: &str) {
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(golden(name), got).unwrap();
    }
    assert_eq!(
        got,
        std::fs::read_to_string(golden(name)).unwrap(),
        "{name} differs from tests/golden (UPDATE_GOLDEN=1 to accept)"
    );
}

#[test]
fn main_command_output_matches_the_golden_files() {
    let t = TempDir::new("golden");
    let out = t.path("out");
    let run = main_command(&out, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_golden("summary.txt", &run.stdout.replace(s(&out), "{OUT_DIR}"));
    for name in ["sla_results.csv", "invoice.csv", "assessment.json"] {
        assert_golden(name, &std::fs::read_to_string(out.join(name)).unwrap());
    }
    let mut files: Vec<String> =
        std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    files.sort();
    assert_eq!(
        files,
        [
            "assessment.json",
            "audit.html",
            "invoice.csv",
            "invoice.xlsx",
            "manifest.json",
            "metrics.csv",
            "rejects.csv",
            "sla_results.csv"
        ]
    );
}

#[test]
fn outputs_are_byte_identical_for_identical_inputs() {
    let t = TempDir::new("identical");
    let (a, b) = (t.path("a"), t.path("b"));
    assert_eq!(main_command(&a, &[]).code, 0);
    assert_eq!(main_command(&b, &[]).code, 0);
    for name in [
        "assessment.json",
        "audit.html",
        "invoice.csv",
        "manifest.json",
        "metrics.csv",
        "rejects.csv",
        "sla_results.csv",
    ] {
        assert_eq!(std::fs::read(a.join(name)).unwrap(), std::fs::read(b.join(name)).unwrap(), "{name}");
    }
}

#[test]
fn verify_passes_untouched_and_fails_with_4_naming_the_changed_file() {
    let t = TempDir::new("verify");
    let out = t.path("out");
    assert_eq!(main_command(&out, &[]).code, 0);
    let ok = callsla_in_repo(&["verify", s(&out)]);
    assert_eq!(
        (ok.code, ok.stdout.clone()),
        (0, format!("verified {}: every input and output matches the manifest and re-derives identically\n", s(&out))),
        "{}",
        ok.stderr
    );

    // One byte of an output changes.
    let inv = out.join("invoice.csv");
    let mut bytes = std::fs::read(&inv).unwrap();
    let last = bytes.len() - 2;
    bytes[last] = if bytes[last] == b'0' { b'1' } else { b'0' };
    std::fs::write(&inv, &bytes).unwrap();
    let bad = callsla_in_repo(&["verify", s(&out)]);
    assert_eq!(bad.code, 4);
    assert_eq!(bad.stderr, format!("{}: output differs from the hash in the manifest\n", s(&inv)));
}

#[test]
fn verify_detects_a_changed_input() {
    let t = TempDir::new("verify-input");
    for f in ["contract.toml", "interactions.csv"] {
        std::fs::copy(repo("sample-data").join(f), t.path(f)).unwrap();
    }
    let out = t.path("out");
    let side = side_inputs();
    let (contract, log) = (t.path("contract.toml"), t.path("interactions.csv"));
    let mut args = vec!["run", "--contract", s(&contract), "--input", s(&log), "--no-ledger", "--out", s(&out)];
    args.extend(side.iter().map(String::as_str));
    let run = callsla(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(callsla(&["verify", s(&out)]).code, 0);
    let log = t.path("interactions.csv");
    let text = std::fs::read_to_string(&log).unwrap().replacen(",voice,", ",chat,", 1);
    std::fs::write(&log, text).unwrap();
    let bad = callsla(&["verify", s(&out)]);
    assert_eq!(bad.code, 4);
    assert!(bad.stderr.starts_with(&format!("{}: input changed: SHA-256 ", s(&log))), "{}", bad.stderr);
}

#[test]
fn a_failed_run_leaves_the_previous_output_intact() {
    let t = TempDir::new("atomic");
    let out = t.path("out");
    assert_eq!(main_command(&out, &[]).code, 0);
    let before = std::fs::read(out.join("assessment.json")).unwrap();
    // The second input cannot be read: the run fails half-way, after the first was ingested.
    let bad = t.write("second.csv", "interaction_id,channel,queue\nX1,voice,billing\n");
    // The sample command with a second input after the sample log.
    let mut args = sample_run_args("sample-data/contract.toml", s(&out));
    let i = args.iter().position(|a| *a == "sample-data/interactions.csv").unwrap();
    args.insert(i + 1, s(&bad));
    args.push("--force");
    let run = callsla_in_repo(&args);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("column \"arrived_at\" is missing"), "{}", run.stderr);
    assert_eq!(std::fs::read(out.join("assessment.json")).unwrap(), before);
    let leftovers: Vec<_> = std::fs::read_dir(&t.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn existing_output_needs_force_and_a_running_run_holds_a_lock() {
    let t = TempDir::new("force");
    let out = t.path("out");
    assert_eq!(main_command(&out, &[]).code, 0);
    let again = main_command(&out, &[]);
    assert_eq!(
        (again.code, again.stderr.clone()),
        (2, format!("error: {} already holds output; pass --force to replace it\n", s(&out)))
    );
    assert_eq!(main_command(&out, &["--force"]).code, 0);
    // A lock file left by a run that was killed holds nothing: the next run goes ahead.
    std::fs::write(format!("{}.lock", s(&out)), "").unwrap();
    assert_eq!(main_command(&out, &["--force"]).code, 0, "a stale lock file blocks nothing");
    // A run holding the OS lock (here, this test) keeps a second run out; so does the lock
    // under another spelling of the same folder.
    let held = std::fs::OpenOptions::new().write(true).open(format!("{}.lock", s(&out))).unwrap();
    held.try_lock().unwrap();
    let busy = main_command(&out, &["--force"]);
    assert_eq!(busy.code, 2);
    assert_eq!(
        busy.stderr,
        format!(
            "error: another callsla run is writing {0}; wait for it to finish (its lock on {0}.lock ends with it)\n",
            s(&out)
        )
    );
    let slash = format!("{}/", s(&out));
    assert_eq!(main_command(std::path::Path::new(&slash), &["--force"]).code, 2, "D/ is the same folder as D");
    held.unlock().unwrap();
    assert_eq!(main_command(&out, &["--force"]).code, 0);
}

/// `--force` replaces only a folder callsla wrote, never one holding the run's inputs, the
/// working folder or files callsla did not write (issue 22: it used to delete them).
#[test]
fn force_replaces_only_what_callsla_wrote() {
    let t = TempDir::new("force-safety");
    // A folder of unrelated files.
    let mine = t.path("mine");
    std::fs::create_dir_all(&mine).unwrap();
    std::fs::write(mine.join("thesis.txt"), "years of work").unwrap();
    let r = main_command(&mine, &["--force"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("it has no manifest.json"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(mine.join("thesis.txt")).unwrap(), "years of work");
    // A callsla output with a file added by a person.
    let out = t.path("out");
    assert_eq!(main_command(&out, &[]).code, 0);
    std::fs::write(out.join("notes.txt"), "reviewed").unwrap();
    let r = main_command(&out, &["--force"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("it holds files callsla did not write (notes.txt)"), "{}", r.stderr);
    assert!(out.join("notes.txt").exists());
    std::fs::remove_file(out.join("notes.txt")).unwrap();
    assert_eq!(main_command(&out, &["--force"]).code, 0, "its own output is replaced");
    // A file, and a link to a folder.
    let file = t.write("file.txt", "x");
    assert!(main_command(&file, &["--force"]).stderr.contains("it is a file"));
    #[cfg(unix)]
    {
        let link = t.path("link");
        std::os::unix::fs::symlink(&out, &link).unwrap();
        assert!(main_command(&link, &["--force"]).stderr.contains("symbolic link"));
    }
    // The project folder: the inputs (and the working folder) are inside it.
    let project = t.path("project");
    std::fs::create_dir_all(project.join("data")).unwrap();
    for f in SAMPLE_FILES {
        std::fs::copy(repo(&format!("sample-data/{f}")), project.join("data").join(f)).unwrap();
    }
    // Made to look like an output, so only the protection stops it.
    std::fs::copy(out.join("manifest.json"), project.join("manifest.json")).unwrap();
    let args = [
        "run",
        "--contract",
        "data/contract.toml",
        "--input",
        "data/interactions.csv",
        "--forecast",
        "data/forecast.csv",
        "--outages",
        "data/outages.csv",
        "--payments",
        "data/payments.csv",
        "--events",
        "data/events.csv",
        "--qa",
        "data/qa.csv",
        "--agent-hours",
        "data/agent_hours.csv",
        "--no-ledger",
        "--force",
    ];
    for target in [".", "data"] {
        let mut a: Vec<&str> = args.to_vec();
        a.extend(["--out", target]);
        let r = callsla_with(&a, Some(&project), &[]);
        assert_eq!(r.code, 2, "{target}: {}", r.stderr);
        assert!(r.stderr.contains("which the run reads or keeps"), "{}", r.stderr);
    }
    assert!(project.join("data/contract.toml").exists() && project.join("data/interactions.csv").exists());
}

#[test]
fn fail_on_breach_exits_1() {
    let t = TempDir::new("breach");
    assert_eq!(main_command(&t.path("out"), &["--fail-on-breach"]).code, 1);
    assert_eq!(main_command(&t.path("sep"), &["--fail-on-breach", "--period", "2026-09"]).code, 0);
}

#[test]
fn dispute_diff_and_explain() {
    let t = TempDir::new("dispute");
    let before = t.path("before");
    assert_eq!(main_command(&before, &[]).code, 0);
    // The provider disputes the August 19 outage; the parties agree it was client-caused.
    let contract = std::fs::read_to_string(repo("sample-data/contract.toml")).unwrap()
        + "\n[[exclusion]]\nid = \"EX-2\"\nstart = \"2026-08-19T10:00:00-04:00\"\nend = \"2026-08-19T12:30:00-04:00\"\nreason = \"Carrier outage agreed as client-side\"\nreference = \"Dispute D-4\"\n";
    let c2 = t.write("contract-agreed.toml", &contract);
    let after = t.path("after");
    let run = callsla_in_repo(&sample_run_args(s(&c2), s(&after)));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let diff = callsla_in_repo(&["diff", s(&before), s(&after)]);
    assert_eq!(diff.code, 1, "the assessments differ: exit 1, as diff(1); {}", diff.stderr);
    let same = callsla_in_repo(&["diff", s(&before), s(&before)]);
    assert_eq!(same.code, 0, "{}", same.stderr);
    assert_golden("dispute-diff.txt", &diff.stdout);
    let explain = callsla_in_repo(&["explain", "--assessment", s(&before), "--sla", "SL-1", "--period", "2026-08"]);
    assert_eq!(explain.code, 0, "{}", explain.stderr);
    assert_golden("explain-SL-1-2026-08.txt", &explain.stdout);
    let missing = callsla_in_repo(&["explain", "--assessment", s(&before), "--sla", "SL-99", "--period", "2026-08"]);
    assert_eq!(
        (missing.code, missing.stderr),
        (2, format!("error: no SLA \"SL-99\" in period \"2026-08\" in {}\n", s(&before)))
    );
}

#[test]
fn verify_refuses_manifest_paths_that_leave_the_folder() {
    let t = TempDir::new("escape");
    let out = t.path("out");
    assert_eq!(main_command(&out, &[]).code, 0);
    let m = out.join("manifest.json");
    let text = std::fs::read_to_string(&m).unwrap().replace("\"sample-data/interactions.csv\"", "\"../../etc/passwd\"");
    std::fs::write(&m, text).unwrap();
    let v = callsla_in_repo(&["verify", s(&out)]);
    assert_eq!(v.code, 4);
    assert!(v.stderr.contains("../../etc/passwd: refused: the path leaves the folder verify runs in"), "{}", v.stderr);
}

/// An edited manifest cannot make verify read files it did not record, follow an output name
/// out of the folder, or miss a planted file; a re-derivation that fails is exit 4 (issue 22).
#[test]
fn verify_reads_only_recorded_inputs_and_reports_planted_files() {
    let t = TempDir::new("verify-hardening");
    let out = t.path("out");
    assert_eq!(main_command(&out, &[]).code, 0);
    let m = out.join("manifest.json");
    let original = std::fs::read_to_string(&m).unwrap();
    // An option pointing elsewhere than the recorded, hashed contract.
    let edited = original.replacen("\"contract\": \"sample-data/contract.toml\"", "\"contract\": \"/etc/passwd\"", 1);
    assert_ne!(edited, original, "the options name the contract");
    std::fs::write(&m, &edited).unwrap();
    let v = callsla_in_repo(&["verify", s(&out)]);
    assert_eq!(v.code, 4, "{}", v.stderr);
    assert!(
        v.stderr.contains("/etc/passwd: refused: an option names a file that is not a recorded input"),
        "{}",
        v.stderr
    );
    assert!(!v.stderr.contains("root:"), "no content of the file is shown");
    // An output name that leaves the folder.
    std::fs::write(&m, original.replacen("\"audit.html\"", "\"../../../etc/hostname\"", 1)).unwrap();
    let v = callsla_in_repo(&["verify", s(&out)]);
    assert_eq!(v.code, 4);
    assert!(
        v.stderr.contains("../../../etc/hostname: refused: an output name that is not a file in this folder"),
        "{}",
        v.stderr
    );
    // A planted file.
    std::fs::write(&m, &original).unwrap();
    std::fs::write(out.join("extra.csv"), "a,b\n").unwrap();
    let v = callsla_in_repo(&["verify", s(&out)]);
    assert_eq!(v.code, 4);
    assert!(v.stderr.contains("extra.csv: not listed in the manifest"), "{}", v.stderr);
    std::fs::remove_file(out.join("extra.csv")).unwrap();
    assert_eq!(callsla_in_repo(&["verify", s(&out)]).code, 0, "restored, it verifies");
    // Options that no longer re-derive (a period the data does not have): a difference, exit 4.
    std::fs::write(&m, original.replacen("\"period\": null", "\"period\": \"2030-01\"", 1)).unwrap();
    let v = callsla_in_repo(&["verify", s(&out)]);
    assert_eq!(v.code, 4, "{}", v.stderr);
    assert!(v.stderr.contains("re-running the assessment from the recorded inputs fails"), "{}", v.stderr);
}

/// The README's main command writes to `target/assessment`; on a fresh clone `target/` does not
/// exist (CI builds elsewhere). Regression test: the lock file needed its parent folder.
#[test]
fn output_folder_whose_parent_does_not_exist_yet() {
    let t = TempDir::new("fresh");
    let out = t.path("not/yet/there/assessment");
    let run = main_command(&out, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(out.join("audit.html").is_file());
}

/// One stray row dated months ahead made a whole invoice of fees and minimum charges with
/// exit 0 (issue 22). It now stops the run (exit 3) naming the period, or with
/// `--max-stray-rows` is left out and listed; choosing the periods is unaffected.
#[test]
fn a_stray_row_months_ahead_stops_the_run_or_is_left_out() {
    let t = TempDir::new("stray");
    let mut log = std::fs::read_to_string(repo("sample-data/interactions.csv")).unwrap();
    log += "S1,voice,inbound,billing,C1,A0001,2027-03-03T10:00:00-05:00,2027-03-03T10:00:05-05:00,2027-03-03T10:02:00-05:00,5,100,0,15,,\n";
    let log = t.write("log.csv", &log);
    let with = |out: &str, extra: &[&str]| {
        let out = t.path(out);
        let mut args = sample_run_args("sample-data/contract.toml", s(&out));
        let i = args.iter().position(|a| *a == "sample-data/interactions.csv").unwrap();
        args[i] = s(&log);
        args.extend_from_slice(extra);
        (callsla_in_repo(&args), out)
    };
    let (r, _) = with("stopped", &[]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("stray dates: 2027-03 (1 contact(s), 2027-03-03T10:00:00-05:00"), "{}", r.stderr);
    assert!(r.stderr.contains("(2026-08..2026-10)") && r.stderr.contains("--max-stray-rows 1"), "{}", r.stderr);
    let (r, out) = with("left-out", &["--max-stray-rows", "1"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let invoice = std::fs::read_to_string(out.join("invoice.csv")).unwrap();
    assert!(!invoice.contains("2027-03") && invoice.contains("2026-10"), "no invoice for the stray period");
    assert!(r.stdout.contains("stray periods left out: 2027-03"), "{}", r.stdout);
    let (r, _) = with("chosen", &["--period", "2026-09"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

/// `--excel-csv` (issue 20): each CSV output starts with the UTF-8 byte order mark and is
/// otherwise the same bytes; the option is recorded in the manifest, so `verify` re-derives
/// the same files. Without it, no CSV carries a mark.
#[test]
fn excel_csv_marks_every_csv_as_utf8_and_verifies() {
    let t = TempDir::new("excel-csv");
    let (plain, marked) = (t.path("plain"), t.path("marked"));
    let contract = repo("sample-data/contract.toml");
    let r = callsla_in_repo(&sample_run_args(s(&contract), s(&plain)));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut args = sample_run_args(s(&contract), s(&marked));
    args.push("--excel-csv");
    let r = callsla_in_repo(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for name in ["invoice.csv", "sla_results.csv", "metrics.csv", "rejects.csv"] {
        let (a, b) = (std::fs::read(plain.join(name)).unwrap(), std::fs::read(marked.join(name)).unwrap());
        assert!(!a.starts_with(b"\xEF\xBB\xBF"), "{name}");
        assert_eq!(&b[..3], b"\xEF\xBB\xBF", "{name}");
        assert_eq!(&b[3..], &a[..], "{name}");
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(marked.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["options"]["excel_csv"], true);
    let plain_manifest = std::fs::read_to_string(plain.join("manifest.json")).unwrap();
    assert!(!plain_manifest.contains("excel_csv"));
    let v = callsla_in_repo(&["verify", s(&marked)]);
    assert_eq!(v.code, 0, "{}", v.stderr);
}

/// The drill-down by queue (issue 20) splits a pooled SLA's counts: for the additive sample
/// SLAs the queues' numerators and denominators add up to the pooled ones, every period.
#[test]
fn the_queues_of_a_pooled_sla_add_up_to_it() {
    let t = TempDir::new("by-queue");
    let out = t.path("out");
    assert_eq!(main_command(&out, &[]).code, 0);
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("assessment.json")).unwrap()).unwrap();
    let dec = |v: &serde_json::Value| v.as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap();
    let mut checked = 0;
    for p in j["assessment"]["periods"].as_array().unwrap() {
        for s in p["slas"].as_array().unwrap() {
            if !["SL-1", "SL-2", "SL-5", "SL-7"].contains(&s["sla_id"].as_str().unwrap()) {
                continue;
            }
            let qs = s["by_queue"].as_array().unwrap();
            assert_eq!(qs.len(), 4, "{}", s["sla_id"]);
            let num: rust_decimal::Decimal = qs.iter().map(|q| dec(&q["numerator"])).sum();
            let den: rust_decimal::Decimal = qs.iter().map(|q| dec(&q["denominator"])).sum();
            assert_eq!((num, den), (dec(&s["numerator"]), dec(&s["denominator"])), "{} {}", s["sla_id"], p["period"]);
            checked += 1;
        }
        // A single-queue SLA has no drill-down.
        let sl4 = p["slas"].as_array().unwrap().iter().find(|s| s["sla_id"] == "SL-4").unwrap();
        assert!(sl4.get("by_queue").is_none());
    }
    assert_eq!(checked, 12);
}
