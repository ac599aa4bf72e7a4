//! The two real public datasets ingest unchanged through their shipped profiles, with exact
//! reconciliation. Expected counts come from tests/realdata/derive_expected.py, which reads
//! the files with Python's csv module and the documented rules, independently of callsla.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // reason: tests

mod common;

use callsla::ingest::{self, IngestOptions, Profile};
use common::*;
use polars::prelude::*;
use rust_decimal::Decimal;

fn lenient() -> IngestOptions {
    IngestOptions { max_reject_rate: Decimal::ONE, strict: false }
}

#[test]
fn anonbank_reconciles_exactly() {
    let Some(root) = realdata() else { return };
    let profile = Profile::load(&repo("sample-data/profiles/anonbank_feb1999.toml")).unwrap();
    let input = root.join("anonbank_feb1999_mtpa/data_anonymous_bank_february.txt");
    let out = ingest::ingest(&profile, &[input], &lenient()).unwrap();
    let r = &out.reconciliation;
    assert_eq!((r.read, r.accepted, r.rejected, r.excluded), (33_344, 30_942, 183, 2_219));
    assert_eq!(r.excluded_by_rule.get("phantom"), Some(&278));
    assert_eq!(r.excluded_by_rule.get("abandoned_in_vru"), Some(&1_941));
    assert_eq!(r.rejected_by_reason.get("answer_before_arrival"), Some(&86));
    assert_eq!(r.rejected_by_reason.get("inconsistent"), Some(&97));
    assert_eq!(out.rejects.len(), 183);

    let df = &out.accepted;
    assert_eq!(df.height(), 30_942);
    let answered = df.column("answered").unwrap().bool().unwrap().sum().unwrap();
    assert_eq!(answered, 27_076);
    // Sum of queue waits of answered calls, in ms.
    let waits = df
        .clone()
        .lazy()
        .filter(col("answered"))
        .select([col("wait_s").dt().total_milliseconds(false).sum()])
        .collect()
        .unwrap();
    assert_eq!(waits.column("wait_s").unwrap().i64().unwrap().get(0), Some(1_107_416_000));
    // The first data row: AA0101 34536, vru_exit 7:02:56 on 1999-02-01 in Israel (UTC+2).
    assert_eq!(df.column("interaction_id").unwrap().str().unwrap().get(0), Some("AA0101-34536"));
    let first = df.column("arrived_at").unwrap().datetime().unwrap().phys.get(0).unwrap();
    assert_eq!(chrono::DateTime::from_timestamp_micros(first).unwrap().to_rfc3339(), "1999-02-01T05:02:56+00:00");
    // Line numbers: the header is line 1.
    assert_eq!(df.column("source_line").unwrap().u64().unwrap().get(0), Some(2));
}

#[test]
fn anonbank_default_threshold_fails_with_exit_3_and_still_writes_rejects() {
    let Some(root) = realdata() else { return };
    let t = TempDir::new("anonbank-threshold");
    let rejects = t.path("rejects.csv");
    let input = root.join("anonbank_feb1999_mtpa/data_anonymous_bank_february.txt");
    let run = callsla(&[
        "ingest",
        "--profile",
        s(&repo("sample-data/profiles/anonbank_feb1999.toml")),
        "--input",
        s(&input),
        "--rejects",
        s(&rejects),
    ]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "error: 183 of 33344 rows rejected (0.549%), above the limit of 0.5%; see the rejects file, fix the data or the profile, or raise --max-reject-rate\n"
    );
    let text = std::fs::read_to_string(&rejects).unwrap();
    assert_eq!(text.lines().count(), 184);
    // Line 511 is a HANG row that has a service start: the outcome and the times disagree.
    assert!(
        text.contains(
            ",511,outcome,answered,false,inconsistent,the row says not answered but has an answered_at time\n"
        ),
        "{text}"
    );
}

#[test]
fn pwc_reconciles_exactly() {
    let Some(root) = realdata() else { return };
    let profile = Profile::load(&repo("sample-data/profiles/pwc_phonenow.toml")).unwrap();
    let input = root.join("pwc_phonenow_callcenter/call_center_dataset.csv");
    let out = ingest::ingest(&profile, &[input], &IngestOptions::default()).unwrap();
    let r = &out.reconciliation;
    assert_eq!((r.read, r.accepted, r.rejected, r.excluded), (5_000, 5_000, 0, 0));
    let df = out
        .accepted
        .lazy()
        .select([
            col("answered").sum().alias("answered"),
            col("resolved").sum().alias("resolved"),
            col("wait_s").dt().total_milliseconds(false).sum().alias("wait_ms"),
            col("talk_s").dt().total_milliseconds(false).sum().alias("talk_ms"),
            col("csat").count().alias("csat_n"),
            col("csat").cast(DataType::Int64).sum().alias("csat_sum"),
        ])
        .collect()
        .unwrap();
    let get = |c: &str| df.column(c).unwrap().cast(&DataType::Int64).unwrap().i64().unwrap().get(0).unwrap();
    assert_eq!(get("answered"), 4_054);
    assert_eq!(get("resolved"), 3_646);
    assert_eq!(get("wait_ms"), 273_729_000);
    assert_eq!(get("talk_ms"), 911_837_000);
    assert_eq!(get("csat_n"), 4_054);
    assert_eq!(get("csat_sum"), 13_798);
}
