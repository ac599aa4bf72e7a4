//! Hostile text (issue 22): formula text from logs and contracts is neutralised in every CSV
//! output, and stays as it was in the JSON.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // reason: tests

use crate::common::*;

/// Would a spreadsheet run this cell? (A leading `=`, `+`, `-`, `@`, tab or CR, and not a plain
/// number.)
fn runs_as_formula(cell: &str) -> bool {
    let plain_number = cell.trim_start_matches(['+', '-']).replacen('.', "", 1).bytes().all(|b| b.is_ascii_digit())
        && !cell.trim_start_matches(['+', '-']).is_empty();
    cell.starts_with(['=', '+', '-', '@', '\t', '\r']) && !plain_number
}

#[test]
fn formula_text_never_reaches_a_csv_output_unneutralised() {
    let t = TempDir::new("hostile");
    let contract = std::fs::read_to_string(repo("sample-data/contract.toml")).unwrap().replace(
        "name = \"Voice service level: 80% answered within 20 seconds\"",
        "name = \"=HYPERLINK(\\\"http://evil.example\\\",\\\"click\\\")\"",
    );
    let contract = t.write("contract.toml", &contract);
    let mut log = std::fs::read_to_string(repo("sample-data/interactions.csv")).unwrap();
    // A row with formula text in the channel (rejected) and one with it in the agent id.
    log +=
        "X1,=cmd|' /C calc'!A0,inbound,billing,C1,A1,2026-08-03T10:00:00-04:00,,2026-08-03T10:00:09-04:00,9,0,0,0,,\n";
    log += "X2,voice,inbound,billing,C1,+1+1,2026-08-03T10:00:00-04:00,2026-08-03T10:00:05-04:00,2026-08-03T10:02:00-04:00,5,100,0,15,,\n";
    let log = t.write("log.csv", &log);
    let out = t.path("out");
    let mut args = sample_run_args(s(&contract), s(&out));
    let i = args.iter().position(|a| *a == "sample-data/interactions.csv").unwrap();
    args[i] = s(&log);
    args.extend(["--raw-rejects"]);
    let r = callsla_in_repo(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut seen_neutralised = 0;
    for entry in std::fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "csv") {
            let mut rdr = csv::ReaderBuilder::new().has_headers(false).from_path(&path).unwrap();
            for rec in rdr.records() {
                for cell in rec.unwrap().iter() {
                    assert!(!runs_as_formula(cell), "{}: {cell:?}", path.display());
                    seen_neutralised += usize::from(cell.starts_with("'=") || cell.starts_with("'+"));
                }
            }
        }
    }
    assert!(seen_neutralised >= 2, "the SLA name and the rejected channel appear neutralised");
    // The JSON keeps the text as written.
    let json = std::fs::read_to_string(out.join("assessment.json")).unwrap();
    assert!(json.contains("=HYPERLINK(\\\"http://evil.example\\\""), "the JSON holds the name as it is");
}

/// Contract values that made `run` panic (issue 22: decimal overflow in net due, date overflow
/// from a huge `net_days`, integer overflow from a huge FCR window) or were silently rounded
/// (40 decimal places) are refused by `check`, naming the key.
#[test]
fn values_that_used_to_panic_or_round_are_refused_by_check() {
    let t = TempDir::new("bounds");
    let sample = std::fs::read_to_string(repo("sample-data/contract.toml")).unwrap();
    let cases = [
        ("window_days = 7,", "window_days = 4000000000,", "window_days must be between 1 and 366"),
        ("net_days = 30", "net_days = 4000000000", "payment.net_days"),
        ("monthly_fee = \"5000.00\"", "monthly_fee = \"79228162514264337593543950335\"", "beyond the largest value"),
        (
            "target = \"80\"",
            "target = \"80.0000000000000000000000000000000000001\"",
            "more digits than callsla keeps exactly",
        ),
    ];
    for (i, (from, to, want)) in cases.iter().enumerate() {
        assert!(sample.contains(from), "{from}");
        let c = t.write(&format!("c{i}.toml"), &sample.replacen(from, to, 1));
        let r = callsla(&["check", "--contract", s(&c)]);
        assert_eq!(r.code, 2, "{to}: {}", r.stderr);
        assert!(r.stderr.contains(want), "{to}: wanted {want:?} in {}", r.stderr);
    }
}

/// The amendment-before-contract message gave its two dates the wrong way round (issue 22).
#[test]
fn an_amendment_before_the_contract_names_both_dates_in_order() {
    let t = TempDir::new("amendment-dates");
    let sample = std::fs::read_to_string(repo("sample-data/contract.toml")).unwrap();
    let from = "effective_from = \"2026-10-01\"";
    assert!(sample.contains(from));
    let c = t.write("c.toml", &sample.replacen(from, "effective_from = \"2026-07-01\"", 1));
    let r = callsla(&["check", "--contract", s(&c)]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("the amendment (2026-07-01) is before or on the contract's effective_from (2026-08-01)"),
        "{}",
        r.stderr
    );
}

/// "number too large to fit in target type" named no key (issue 22): a whole number beyond its
/// type now names the key and the range.
#[test]
fn a_number_too_large_for_its_key_names_the_key() {
    let t = TempDir::new("too-large");
    let sample = std::fs::read_to_string(repo("sample-data/contract.toml")).unwrap();
    let c = t.write("c.toml", &sample.replacen("net_days = 30", "net_days = 99999999999", 1));
    let r = callsla(&["check", "--contract", s(&c)]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains(
            "c.toml:199: net_days: invalid value: integer `99999999999`, expected a whole number from 0 to 4294967295"
        ),
        "{}",
        r.stderr
    );
}
