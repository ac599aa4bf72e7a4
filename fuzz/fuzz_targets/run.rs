//! A whole `run` on any contract text that `check` accepts: the bundled sample data with its
//! forecast, outages, payments, events, quality evaluations and agent hours, a ledger, into a
//! fresh folder. Any outcome but a panic is fine (an error carries its exit code); libFuzzer's
//! `-timeout` (scripts/fuzz.sh sets 60 s) turns a hang into a failure. Seeds: `tests/generated_contracts/`.
#![no_main]

use std::path::PathBuf;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // What `check` accepts, and nothing else, goes on to a run.
    if callsla::contract::Contract::parse(text, "fuzz.toml").is_err() {
        return;
    }
    let Ok(dir) = tempfile::tempdir() else { return };
    let contract = dir.path().join("contract.toml");
    if std::fs::write(&contract, text).is_err() {
        return;
    }
    let sample = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../sample-data");
    let opts = callsla::run::RunOptions {
        contract,
        inputs: vec![sample.join("interactions.csv")],
        forecast: Some(sample.join("forecast.csv")),
        outages: Some(sample.join("outages.csv")),
        payments: Some(sample.join("payments.csv")),
        events: Some(sample.join("events.csv")),
        qa: Some(sample.join("qa.csv")),
        agent_hours: Some(sample.join("agent_hours.csv")),
        max_reject_rate: rust_decimal::Decimal::new(5, 3),
        ..Default::default()
    };
    let ledger = callsla::run::LedgerOptions { path: Some(dir.path().join("callsla.db")), restate: None };
    let _ = callsla::run::run(&opts, &ledger, &dir.path().join("out"), false, None, &mut |_| {});
});
