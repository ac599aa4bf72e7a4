//! The column-at-a-time validator (the fast path) against the row validator: the same accepted
//! rows, byte for byte, and the same rejects, on CSV and typed Parquet with every kind of bad
//! and awkward value mixed among good rows. `CALLSLA_ROW_VALIDATOR=1` turns the fast path off.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // reason: tests

use crate::common;

use std::path::Path;

use common::*;

const HEADER: &str = "interaction_id,channel,direction,queue,customer_id,agent_id,arrived_at,answered_at,ended_at,wait_s,talk_s,hold_s,wrap_s,resolved,csat";

/// Good rows in forms the fast path reads, forms it leaves to the row validator (spaces,
/// upper case, empty strings, H:MM:SS, Y/N, 4.0), and bad rows of every kind.
const ROWS: &[&str] = &[
    "A1,voice,inbound,billing,C1,A1,2026-10-01T09:00:00-04:00,2026-10-01T09:00:20-04:00,2026-10-01T09:05:00-04:00,20,280,0,30,true,5",
    "A2, voice ,inbound, billing ,C2,A2,2026-10-01T09:01:00-04:00,2026-10-01T09:01:20-04:00,,20,280,0,30,true,",
    "A3,VOICE,Inbound,billing,,,2026-10-01T13:02:00Z,,2026-10-01T13:02:09Z,,,,,,",
    "A4,email,inbound,sales,C1,A9,2026-10-01T10:00:00-04:00,2026-10-01T12:00:00-04:00,,,0:05:00,,1:00,Y,4.0",
    "A5,chat,,support,C3,A1,2026-10-01T10:00:00.250-04:00,,,7.5,,,,N,1",
    "A6,chat,inbound,support,C3,A1,2026-10-01T10:00:00-04:00,,,,,,,,",
    "A7,voice,inbound,billing,C4,A1,2026-10-01T10:00:00-04:00,2026-10-01T09:59:59-04:00,,,,,,,",
    "A8,voice,inbound,billing,C4,A1,2026-10-01T10:00:00-04:00,2026-10-01T09:00:00-04:00,,,,,,,",
    "A9,voice,inbound,billing,C4,A1,2026-10-01T10:00:00-04:00,,2026-10-01T09:00:00-04:00,,,,,,",
    "A10,voice,inbound,billing,C4,A1,2026-10-01T10:00:00-04:00,2026-10-01T10:01:00-04:00,2026-10-01T10:00:30-04:00,,,,,,",
    "A11,voice,inbound,,C4,A1,2026-10-01T10:00:00-04:00,,,,,,,,",
    "A12,fax,inbound,billing,C4,A1,2026-10-01T10:00:00-04:00,,,,,,,,",
    "A13,voice,sideways,billing,C4,A1,2026-10-01T10:00:00-04:00,,,,,,,,",
    "A14,voice,inbound,billing,C4,A1,2026-10-01 10:00,,,,,,,,",
    "A15,voice,inbound,billing,C4,A1,2026-10-01T10:00:00,,,,,,,,",
    "A16,voice,inbound,billing,C4,A1,2026-10-01T10:00:00-04:00,,,-3,,,,,",
    "A17,voice,inbound,billing,C4,A1,2026-10-01T10:00:00-04:00,,,abc,,,,,",
    "A18,voice,inbound,billing,C4,A1,2026-10-01T10:00:00-04:00,,,5,9999999,,,,",
    "A19,voice,inbound,billing,C4,A1,2026-10-01T10:00:00-04:00,,,5,,,,maybe,",
    "A20,voice,inbound,billing,C4,A1,2026-10-01T10:00:00-04:00,,,5,,,,,0",
    "A21,voice,inbound,billing,C4,A1,2026-10-01T10:00:00-04:00,,,5,,,,,4.5",
    "A1,voice,inbound,billing,C9,A1,2026-10-01T11:00:00-04:00,,,5,,,,,",
    ",voice,inbound,billing,C9,A1,2026-10-01T11:00:00-04:00,,,5,,,,,",
    "A22,voice,outbound,billing,C9,A1,2026-10-01T11:00:00-04:00,2026-10-01T11:00:00-04:00,,,60,,,,",
    "A23,social,inbound,billing,C9,,2026-10-01T11:00:00+00:00,2026-10-02T11:00:00+00:00,2026-10-03T11:00:00+00:00,,,,,true,",
];

fn callsla(args: &[&str], row_validator: bool) -> (i32, String) {
    let r = callsla_with(args, None, &[("CALLSLA_ROW_VALIDATOR", row_validator.then_some("1"))]);
    (r.code, r.stderr)
}

/// Ingests `input` both ways; the accepted rows (Parquet) and the rejects must be identical.
fn same_both_ways(t: &TempDir, input: &Path, tag: &str) {
    let mut results = Vec::new();
    for row_validator in [false, true] {
        let out = t.path(&format!("{tag}-{row_validator}.parquet"));
        let rejects = t.path(&format!("{tag}-{row_validator}.csv"));
        let (code, stderr) = callsla(
            &[
                "ingest",
                "--input",
                input.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
                "--rejects",
                rejects.to_str().unwrap(),
                "--max-reject-rate",
                "100%",
            ],
            row_validator,
        );
        assert_eq!(code, 0, "{stderr}");
        results.push((std::fs::read(&out).unwrap(), std::fs::read_to_string(&rejects).unwrap()));
    }
    assert!(results[0].1.lines().count() > 10, "the rejects cover many kinds:\n{}", results[0].1);
    assert_eq!(results[0].1, results[1].1, "rejects differ ({tag})");
    assert!(results[0].0 == results[1].0, "accepted rows differ ({tag})");
}

#[test]
fn fast_path_and_row_validator_agree_on_csv_and_parquet() {
    let t = TempDir::new("columnar");
    // Many batches: the rows repeated with fresh ids, so duplicates and batch edges are covered.
    let mut text = format!("{HEADER}\n");
    for k in 0..3000 {
        for r in ROWS {
            let (id, rest) = r.split_once(',').unwrap();
            let id = if id.is_empty() || (k % 7 == 0 && id == "A1") { id.to_string() } else { format!("{id}-{k}") };
            text += &format!("{id},{rest}\n");
        }
    }
    let csv = t.write("mixed.csv", &text);
    same_both_ways(&t, &csv, "csv");
    // Typed Parquet (the canonical frame written by `ingest --out`), re-read both ways.
    let typed = t.path("csv-false.parquet");
    let copy = t.path("typed.parquet");
    std::fs::copy(&typed, &copy).unwrap();
    let (code, stderr) = callsla(&["ingest", "--input", copy.to_str().unwrap()], false);
    assert_eq!(code, 0, "{stderr}");
    let mut results = Vec::new();
    for row_validator in [false, true] {
        let out = t.path(&format!("pq-{row_validator}.parquet"));
        let (code, stderr) =
            callsla(&["ingest", "--input", copy.to_str().unwrap(), "--out", out.to_str().unwrap()], row_validator);
        assert_eq!(code, 0, "{stderr}");
        results.push(std::fs::read(&out).unwrap());
    }
    assert!(results[0] == results[1], "accepted rows differ (typed Parquet)");
}

#[test]
fn many_small_blocks_give_the_same_rows_and_lines_as_one() {
    // Quoted fields with delimiters, escaped quotes and line breaks, bad rows among them: read
    // as one block and as blocks of 1 KiB, the accepted rows and the rejects (with their line
    // numbers) are the same.
    let t = TempDir::new("blocks");
    let mut text = format!("{HEADER},note\n");
    for k in 0..400 {
        let note = match k % 4 {
            0 => "\"a, \"\"quoted\"\"\nnote\"".to_string(),
            1 => "plain".to_string(),
            2 => "\"x\"".to_string(),
            _ => String::new(),
        };
        let r = ROWS[k % ROWS.len()];
        let (id, rest) = r.split_once(',').unwrap();
        let id = if id.is_empty() { String::new() } else { format!("{id}-{k}") };
        text += &format!("{id},{rest},{note}\n");
    }
    let input = t.write("quoted.csv", &text);
    let mut results = Vec::new();
    for block in ["", "1024"] {
        let out = t.path(&format!("b{block}.parquet"));
        let rejects = t.path(&format!("b{block}.csv"));
        let o = callsla_with(
            &["ingest", "--input", s(&input), "--out", s(&out), "--rejects", s(&rejects), "--max-reject-rate", "100%"],
            None,
            &[("CALLSLA_CSV_BLOCK_BYTES", (!block.is_empty()).then_some(block))],
        );
        assert_eq!(o.code, 0, "{}", o.stderr);
        results.push((o.stdout, std::fs::read(&out).unwrap(), std::fs::read_to_string(&rejects).unwrap()));
    }
    assert!(results[0].0.contains("read 400,"), "{}", results[0].0);
    assert!(results[0].2.contains(",3,") || results[0].2.lines().count() > 5, "{}", results[0].2);
    assert_eq!(results[0].0, results[1].0);
    assert_eq!(results[0].2, results[1].2);
    assert!(results[0].1 == results[1].1, "accepted rows differ between block sizes");
}

/// The outbound fields (issue 19) read the same both ways: dispositions in any case or with
/// spaces, zones checked against the time-zone database, campaigns and number hashes as text,
/// and the rejects for an unknown disposition or zone.
#[test]
fn fast_path_and_row_validator_agree_on_the_outbound_fields() {
    let t = TempDir::new("columnar-outbound");
    let rows = [
        "O1,voice,outbound,dialler,,A1,2026-10-01T11:00:00-04:00,,,,60,,,,,renew,converted,America/Chicago,h1",
        "O2,voice,outbound,dialler,,A1,2026-10-01T11:00:00-04:00,,,,,,,,,renew,RIGHT_PARTY,Europe/London,h2",
        "O3,voice,outbound,dialler,,A1,2026-10-01T11:00:00-04:00,,,,,,,,, renew , no_answer ,America/New_York,h3",
        "O4,voice,outbound,dialler,,A1,2026-10-01T11:00:00-04:00,,,,,,,,,renew,hung_up,America/Chicago,h4",
        "O5,voice,outbound,dialler,,A1,2026-10-01T11:00:00-04:00,,,,,,,,,renew,busy,Mars/Olympus_Mons,h5",
        "O6,voice,outbound,dialler,,A1,2026-10-01T11:00:00-04:00,,,,,,,,,,,,",
        "O7,voice,inbound,billing,C1,A1,2026-10-01T11:00:00-04:00,2026-10-01T11:00:10-04:00,,,60,,,,,,,,",
    ];
    let mut text = format!("{HEADER},campaign,disposition,party_zone,number_hash\n");
    for k in 0..3000 {
        for r in &rows {
            let (id, rest) = r.split_once(',').unwrap();
            text += &format!("{id}-{k},{rest}\n");
        }
    }
    let csv = t.write("outbound.csv", &text);
    same_both_ways(&t, &csv, "outbound");
    let rejects = std::fs::read_to_string(t.path("outbound-false.csv")).unwrap();
    assert_eq!(rejects.lines().filter(|l| l.contains(",unknown_disposition,")).count(), 3000);
    assert_eq!(rejects.lines().filter(|l| l.contains(",unknown_zone,")).count(), 3000);
}
