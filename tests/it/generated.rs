//! "`check` accepts ⇒ `run` never panics nor hangs" (issue 22), on contracts generated from the
//! sample contract by replacing up to three of its values with extreme or awkward ones (zero,
//! negative, tiny and huge decimals, the integer limits, the ends of the calendar) or removing
//! them. Every contract `check` accepts is run on a month-spanning slice of the sample data,
//! with the side inputs and a ledger, under a time limit; a contract `check` refuses must be
//! refused with a configuration error, not a crash.
//!
//! This is the non-coverage-guided fuzzer of the normal suite; `CALLSLA_FUZZ_CASES` sets the
//! number of contracts (default 40; the nightly mode runs thousands). The committed corpus in
//! `tests/generated_contracts/` replays contracts that once crashed a run and contracts at
//! the bounds `check` sets; `CALLSLA_FUZZ_VERBOSE=1` prints each case and its outcome.

use std::path::Path;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use toml::Value;

use crate::common::*;

/// A step in a TOML document: a table key or an array index.
#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

/// The path of every leaf (string, integer, float, boolean, date) of `v`.
fn leaves(v: &Value, here: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    match v {
        Value::Table(t) => {
            for (k, x) in t {
                here.push(Step::Key(k.clone()));
                leaves(x, here, out);
                here.pop();
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                here.push(Step::Index(i));
                leaves(x, here, out);
                here.pop();
            }
        }
        _ => out.push(here.clone()),
    }
}

/// Replacement values: a decimal string, an integer, a date, or removal of the key.
const DECIMALS: &[&str] =
    &["0", "0.0000000001", "1", "99.99", "100", "100.5", "-1", "1000000000000", "999999999999.9999999999", "7.5"];
const INTEGERS: &[i64] = &[0, 1, 2, 7, 366, 367, 3650, 3651, 2_147_483_647, 4_294_967_295, i64::MAX, -1];
const DATES: &[&str] = &["0001-01-01", "1970-01-01", "2026-08-31", "2026-10-01", "9999-12-31", "2026-02-29"];

#[derive(Debug, Clone, Copy)]
enum Change {
    Replace(usize),
    Remove,
}

fn replacement(old: &Value, pick: usize) -> Value {
    match old {
        Value::Integer(_) => Value::Integer(INTEGERS[pick % INTEGERS.len()]),
        Value::String(s) if s.len() == 10 && s.as_bytes()[4] == b'-' => {
            Value::String(DATES[pick % DATES.len()].to_string())
        }
        Value::String(s) if s.parse::<f64>().is_ok() => Value::String(DECIMALS[pick % DECIMALS.len()].to_string()),
        Value::Boolean(b) => Value::Boolean(!b),
        // Other text (names, ids, zones, hours): mostly left as it is (the readers' own
        // property tests cover arbitrary text), sometimes a decimal in its place.
        Value::String(s) if !pick.is_multiple_of(4) => Value::String(s.clone()),
        _ => Value::String(DECIMALS[pick % DECIMALS.len()].to_string()),
    }
}

fn apply(v: &mut Value, path: &[Step], change: Change) {
    let Some((last, parents)) = path.split_last() else { return };
    let mut cur = v;
    for step in parents {
        cur = match (step, cur) {
            (Step::Key(k), Value::Table(t)) => match t.get_mut(k) {
                Some(x) => x,
                None => return,
            },
            (Step::Index(i), Value::Array(a)) => match a.get_mut(*i) {
                Some(x) => x,
                None => return,
            },
            _ => return,
        };
    }
    match (last, cur, change) {
        (Step::Key(k), Value::Table(t), Change::Remove) => {
            t.remove(k);
        }
        (Step::Key(k), Value::Table(t), Change::Replace(pick)) => {
            if let Some(x) = t.get_mut(k) {
                *x = replacement(x, pick);
            }
        }
        (Step::Index(i), Value::Array(a), Change::Remove) if *i < a.len() => {
            a.remove(*i);
        }
        (Step::Index(i), Value::Array(a), Change::Replace(pick)) => {
            if let Some(x) = a.get_mut(*i) {
                *x = replacement(x, pick);
            }
        }
        _ => {}
    }
}

/// Every fourth row of the sample (three months, about 6,000 contacts).
fn slice(t: &TempDir) -> std::path::PathBuf {
    let log = std::fs::read_to_string(repo("sample-data/interactions.csv")).unwrap();
    let text: String =
        log.lines().enumerate().filter(|(i, _)| *i == 0 || i % 4 == 1).map(|(_, l)| format!("{l}\n")).collect();
    t.write("slice.csv", &text)
}

/// The binary with a time limit; `None` when it ran out of time (and was killed).
fn callsla_timed(args: &[String], dir: &Path, limit: Duration) -> Option<Run> {
    let stdout = std::fs::File::create(dir.join("stdout")).unwrap();
    let stderr = std::fs::File::create(dir.join("stderr")).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_callsla"))
        .args(args)
        .env("CALLSLA_PSEUDONYM_KEY", TEST_KEY)
        .current_dir(dir)
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Some(Run {
        code: status.code().unwrap_or(-1),
        stdout: std::fs::read_to_string(dir.join("stdout")).unwrap_or_default(),
        stderr: std::fs::read_to_string(dir.join("stderr")).unwrap_or_default(),
    })
}

/// `check`, then (if it accepts) `run`: neither panics, hangs or dies by a signal; a refusal is
/// a configuration error (exit 2). Returns the run's exit code when `check` accepted.
fn check_then_run(t: &TempDir, contract_text: &str, log: &Path) -> Result<Option<i32>, String> {
    let limit = Duration::from_secs(60);
    let contract = t.write("contract.toml", contract_text);
    let _ = std::fs::remove_dir_all(t.path("out"));
    let _ = std::fs::remove_file(t.path("callsla.db"));
    let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let dir = t.path("");
    let check = callsla_timed(&args(&["check", "--contract", s(&contract)]), &dir, limit)
        .ok_or("check ran out of time (60 s)")?;
    // A panic exits 101; a signal leaves no code.
    let failed = |_what: &str, r: &Run| r.code == 101 || r.code < 0 || r.stderr.contains("panicked");
    if failed("check", &check) {
        return Err(format!("check crashed (exit {}): {}", check.code, check.stderr));
    }
    if check.code != 0 {
        return if check.code == 2 {
            Ok(None)
        } else {
            Err(format!("check refused with exit {} (expected 2): {}", check.code, check.stderr))
        };
    }
    let mut run = args(&["run", "--contract", s(&contract), "--input", s(log), "--out", s(&t.path("out"))]);
    run.extend(side_inputs());
    let r = callsla_timed(&run, &dir, limit).ok_or("run ran out of time (60 s) on a contract check accepted")?;
    if failed("run", &r) {
        return Err(format!("run crashed (exit {}) on a contract check accepted: {}", r.code, r.stderr));
    }
    // History too, when the run recorded periods.
    if r.code == 0 || r.code == 1 {
        let h = callsla_timed(&args(&["history", "--ledger", "callsla.db"]), &dir, limit)
            .ok_or("history ran out of time (60 s)")?;
        if failed("history", &h) {
            return Err(format!("history crashed (exit {}): {}", h.code, h.stderr));
        }
    }
    Ok(Some(r.code))
}

fn cases() -> u32 {
    std::env::var("CALLSLA_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(40)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), max_shrink_iters: 64, ..ProptestConfig::default() })]

    #[test]
    fn a_contract_check_accepts_never_crashes_a_run(
        changes in proptest::collection::vec((any::<prop::sample::Index>(), prop_oneof![
            4 => (0usize..64).prop_map(Change::Replace),
            1 => Just(Change::Remove),
        ]), 1..4)
    ) {
        let t = TempDir::new("generated");
        let log = slice(&t);
        let sample = std::fs::read_to_string(repo("sample-data/contract.toml")).unwrap();
        let mut v: Value = toml::from_str(&sample).unwrap();
        let mut paths = Vec::new();
        leaves(&v, &mut Vec::new(), &mut paths);
        for (at, change) in &changes {
            let path = &paths[at.index(paths.len())];
            apply(&mut v, path, *change);
        }
        let text = toml::to_string(&v).unwrap();
        let r = check_then_run(&t, &text, &log);
        if std::env::var_os("CALLSLA_FUZZ_VERBOSE").is_some() { eprintln!("{changes:?} -> {r:?}"); }
        if let Err(e) = r {
            prop_assert!(false, "{e}\n--- contract ---\n{text}");
        }
    }
}

/// Contracts that once crashed a run (from the generator above or from cargo-fuzz), replayed.
#[test]
fn the_corpus_of_contracts_that_once_crashed_runs_cleanly() {
    let dir = repo("tests/generated_contracts");
    let t = TempDir::new("corpus");
    let log = slice(&t);
    let mut n = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries.iter().filter(|p| p.extension().is_some_and(|x| x == "toml")) {
        let text = std::fs::read_to_string(p).unwrap();
        if let Err(e) = check_then_run(&t, &text, &log) {
            panic!("{}: {e}", p.display());
        }
        n += 1;
    }
    assert!(n > 0, "the corpus is empty");
}
