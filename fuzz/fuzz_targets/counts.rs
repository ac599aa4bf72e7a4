//! `run --counts` on any counts file: the sample contract's four results of its emitted SQL
//! (`fuzz/fixtures/counts/`, computed by DuckDB over the sample log; `SHA` stands for the
//! contract's SHA-256, put back here so the fixtures follow the contract), with the fuzzer's
//! bytes in place of one of them (the first byte chooses which), and the sample's side inputs,
//! into a fresh folder. Any outcome but a panic is fine: a counts file the run cannot read is
//! an error naming it. Seeds: the four fixtures, each behind its selector byte.
#![no_main]

use std::path::PathBuf;

const RESULTS: [&str; 4] = ["metrics", "outbound", "volumes", "scope"];

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&which, bytes)) = data.split_first() else { return };
    let Ok(dir) = tempfile::tempdir() else { return };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let sample = root.join("../sample-data");
    let contract = sample.join("contract.toml");
    let Ok(text) = std::fs::read(&contract) else { return };
    let sha = callsla::run::sha256_hex(&text);
    let mut counts = Vec::new();
    for (k, name) in RESULTS.iter().enumerate() {
        let path = dir.path().join(format!("{name}.csv"));
        let content = if usize::from(which) % RESULTS.len() == k {
            bytes.to_vec()
        } else {
            let Ok(fixture) = std::fs::read_to_string(root.join(format!("fixtures/counts/{name}.csv"))) else { return };
            fixture.replace("SHA", &sha).into_bytes()
        };
        if std::fs::write(&path, content).is_err() {
            return;
        }
        counts.push(path);
    }
    let opts = callsla::run::RunOptions {
        contract,
        counts,
        forecast: Some(sample.join("forecast.csv")),
        outages: Some(sample.join("outages.csv")),
        payments: Some(sample.join("payments.csv")),
        events: Some(sample.join("events.csv")),
        qa: Some(sample.join("qa.csv")),
        agent_hours: Some(sample.join("agent_hours.csv")),
        max_reject_rate: rust_decimal::Decimal::new(5, 3),
        ..Default::default()
    };
    let ledger = callsla::run::LedgerOptions { path: None, restate: None };
    let _ = callsla::run::run(&opts, &ledger, &dir.path().join("out"), false, None, &mut |_| {});
});
