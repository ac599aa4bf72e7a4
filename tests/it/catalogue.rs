//! The bad-input and bad-contract catalogues: every case gives its documented error (exit 2) or
//! rejects exactly the bad rows with the reconciliation intact. Expected outputs live beside the
//! cases (`NAME.expected`); `UPDATE_GOLDEN=1` rewrites them for review.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // reason: tests

use crate::common;

use std::path::Path;

use common::*;

fn check_expected(expected: &Path, got: &str) {
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(expected, got).unwrap();
    }
    let want = std::fs::read_to_string(expected)
        .unwrap_or_else(|_| panic!("{} is missing (UPDATE_GOLDEN=1 writes it)", expected.display()));
    assert_eq!(got, want, "{}", expected.display());
}

/// `total: read R, accepted A, rejected J, excluded E` holds R = A + J + E.
fn reconciles(stdout: &str) -> bool {
    let Some(line) = stdout.lines().find(|l| l.starts_with("total: ")) else { return true };
    let n: Vec<u64> =
        line.split(|c: char| !c.is_ascii_digit()).filter(|s| !s.is_empty()).map(|s| s.parse().unwrap()).collect();
    n.len() == 4 && n[0] == n[1] + n[2] + n[3]
}

#[test]
fn bad_inputs() {
    let dir = repo("tests/bad_inputs");
    let t = TempDir::new("catalogue");
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("csv" | "parquet")))
        .collect();
    cases.sort();
    assert!(cases.len() >= 20, "{} cases", cases.len());
    for case in cases {
        let name = case.file_stem().unwrap().to_string_lossy().into_owned();
        let rel = format!("tests/bad_inputs/{}", case.file_name().unwrap().to_string_lossy());
        let rejects = t.path(&format!("{name}.rejects.csv"));
        let profile = format!("tests/bad_inputs/{name}.profile.toml");
        let mut args = vec!["ingest", "--input", rel.as_str(), "--rejects", s(&rejects), "--max-reject-rate", "100%"];
        if repo(&profile).is_file() {
            args.extend_from_slice(&["--profile", profile.as_str()]);
        }
        let run = callsla_in_repo(&args);
        assert!(run.code == 0 || run.code == 2, "{name}: exit {}", run.code);
        assert!(reconciles(&run.stdout), "{name}: reconciliation broken:\n{}", run.stdout);
        let rej = std::fs::read_to_string(&rejects).unwrap_or_default();
        let got =
            format!("exit {}\n--- stdout\n{}--- stderr\n{}--- rejects\n{}", run.code, run.stdout, run.stderr, rej);
        check_expected(&dir.join(format!("{name}.expected")), &got);
    }
}

#[test]
fn bad_contracts() {
    let dir = repo("tests/bad_contracts");
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 10);
    for case in cases {
        let name = case.file_stem().unwrap().to_string_lossy().into_owned();
        let rel = format!("tests/bad_contracts/{name}.toml");
        let run = callsla_in_repo(&["check", "--contract", rel.as_str()]);
        assert_eq!(run.code, 2, "{name}: {}{}", run.stdout, run.stderr);
        check_expected(&dir.join(format!("{name}.expected")), &format!("exit {}\n{}", run.code, run.stderr));
    }
}

/// `read R rows: A accepted, J rejected, E excluded` (the metrics command's line) holds
/// R = A + J + E.
fn reconciles_side(stderr: &str) -> bool {
    let Some(line) = stderr.lines().find(|l| l.starts_with("read ") && l.contains(" rows: ")) else { return true };
    let n: Vec<u64> =
        line.split(|c: char| !c.is_ascii_digit()).filter(|s| !s.is_empty()).map(|s| s.parse().unwrap()).collect();
    n.len() == 4 && n[0] == n[1] + n[2] + n[3]
}

/// The side tables' catalogue (issue 19): bad quality-evaluation (`qa_*`) and agent-hours
/// (`agent_hours_*`) files in `tests/bad_inputs/side/`, each fed to `callsla metrics` beside a
/// one-contact log. Each fails with its documented error (exit 2) or rejects exactly the bad
/// rows — file, line, column, value and reason — with the one reconciliation intact.
#[test]
fn bad_side_inputs() {
    let dir = repo("tests/bad_inputs/side");
    let t = TempDir::new("side-catalogue");
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .filter(|p| p.file_name().is_some_and(|n| n != "contacts.csv"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 4, "{} cases", cases.len());
    for case in cases {
        let name = case.file_stem().unwrap().to_string_lossy().into_owned();
        let (option, defs) = if name.starts_with("qa_") {
            ("--qa", "tests/bad_inputs/side/qa.metrics.toml")
        } else {
            ("--agent-hours", "tests/bad_inputs/side/agent_hours.metrics.toml")
        };
        let rel = format!("tests/bad_inputs/side/{name}.csv");
        let rejects = t.path(&format!("{name}.rejects.csv"));
        let run = callsla_in_repo(&[
            "metrics",
            "--input",
            "tests/bad_inputs/side/contacts.csv",
            option,
            rel.as_str(),
            "--metrics",
            defs,
            "--rejects",
            s(&rejects),
            "--max-reject-rate",
            "100%",
            "--format",
            "csv",
            "--tz",
            "America/New_York",
        ]);
        assert!(run.code == 0 || run.code == 2, "{name}: exit {}\n{}", run.code, run.stderr);
        assert!(reconciles_side(&run.stderr), "{name}: reconciliation broken:\n{}", run.stderr);
        let rej = std::fs::read_to_string(&rejects).unwrap_or_default();
        let got =
            format!("exit {}\n--- stdout\n{}--- stderr\n{}--- rejects\n{}", run.code, run.stdout, run.stderr, rej)
                .replace(s(&rejects), "{REJECTS}");
        check_expected(&dir.join(format!("{name}.expected")), &got);
    }
}
