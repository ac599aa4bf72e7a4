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

/// The message standard (issue 22), over every error the three catalogues document: each names
/// its file (and, for data, where in it: a line, a column or the header), says what to do, fits
/// on a few short lines, and never passes on an engine's words (Polars' "byte offset", "expected
/// N rows", a panic, an internal error) nor quotes more than one record.
#[test]
fn every_catalogued_message_meets_the_standard() {
    const ENGINE: &[&str] =
        &["polars", "computeerror", "byte offset", "expected 1 rows", "internal error", "panicked", "backtrace"];
    const REMEDY: &[&str] = &[
        "export",
        "set ",
        "fix",
        "check",
        "convert",
        "rename",
        "add ",
        "remove",
        "give",
        "use ",
        "raise",
        "lower",
        "make",
        "merge",
        "change",
        "move",
        "quote",
        "name ",
        "write",
        "choose",
        "declare",
        "delete",
        "list",
        "correct",
        "map ",
        "keep",
        "drop",
        "split",
        "replace",
        "spell",
        "put ",
        "start",
        "end ",
        "state",
        "take",
        "say",
        // A statement of what is valid is the remedy too.
        "did you mean",
        "leave",
        "expected one of",
        "expected a",
        "must be",
        "needs",
        "need ",
    ];
    let (mut seen, mut bad) = (0, Vec::new());
    for (folder, data) in [("tests/bad_inputs", true), ("tests/bad_inputs/side", true), ("tests/bad_contracts", false)]
    {
        let mut cases: Vec<_> = std::fs::read_dir(repo(folder))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "expected"))
            .collect();
        cases.sort();
        for case in cases {
            let text = std::fs::read_to_string(&case).unwrap();
            let name = case.file_stem().unwrap().to_string_lossy().into_owned();
            let errors: Vec<&str> = text.lines().filter(|l| l.starts_with("error: ")).collect();
            if errors.is_empty() {
                continue;
            }
            seen += 1;
            let all = errors.join("\n");
            let mut fail = |why: &str, line: &str| bad.push(format!("{folder}/{name}: {why}:\n  {line}"));
            if errors.len() > 3 {
                fail("more than three error lines", &all);
            }
            for line in &errors {
                let lower = line.to_lowercase();
                if line.chars().count() > 600 {
                    fail("a line of more than 600 characters", line);
                }
                if ENGINE.iter().any(|w| lower.contains(w)) {
                    fail("an engine's words", line);
                }
                if !line.contains(&format!("{folder}/{name}")) {
                    fail("the file is not named", line);
                }
                if !REMEDY.iter().any(|w| lower.contains(w)) {
                    fail("no remedy", line);
                }
                if data {
                    let whole_file = ["empty", "zero_bytes", "decimal_column"].contains(&name.as_str());
                    let located = line.contains(&format!("{folder}/{name}.csv:"))
                        || lower.contains(" line ")
                        || lower.contains("column \"")
                        || lower.contains("header");
                    if !(whole_file || located) {
                        fail("no line, column or header named", line);
                    }
                }
            }
        }
    }
    assert!(bad.is_empty(), "{} message(s) below the standard:\n{}", bad.len(), bad.join("\n"));
    assert!(seen >= 25, "only {seen} catalogued errors");
}
