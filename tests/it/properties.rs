//! Property tests on the whole pipeline with generated logs: metrics do not depend on row
//! order, on how the input is split across files, or on the number of threads; per-queue
//! numerators and denominators add up to the all-queues row. And arbitrary bytes, contracts and
//! profiles never panic the readers and never break the reconciliation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // reason: tests

use crate::common;

use std::collections::BTreeMap;

use callsla::contract::Contract;
use callsla::generate::Rng;
use callsla::ingest::{self, IngestOptions, Profile};
use callsla::metrics::{self, definition::default_catalogue, Dim, MetricTable, MetricsRequest, PeriodKind};
use common::*;
use proptest::prelude::*;
use rust_decimal::Decimal;

const NY: chrono_tz::Tz = chrono_tz::America::New_York;

fn lenient() -> IngestOptions {
    IngestOptions { max_reject_rate: Decimal::ONE, strict: false, hash_inputs: false }
}

/// The default catalogue per month, channel and queue.
fn catalogue_by_channel_and_queue() -> MetricsRequest {
    MetricsRequest {
        period: PeriodKind::Month,
        zone: NY,
        by: vec![Dim::Channel, Dim::Queue],
        definitions: default_catalogue(),
        as_of: None,
        outages: vec![],
        calendars: vec![],
        suppression: None,
        qa: None,
        agent_hours: None,
        since: None,
        csat_scale: ([1, 5], "the canonical profile".to_string()),
    }
}

fn table(files: &[std::path::PathBuf]) -> MetricTable {
    let rows = ingest::ingest(&Profile::canonical(), files, &lenient()).unwrap();
    metrics::compute(&rows.accepted, &catalogue_by_channel_and_queue()).unwrap()
}

fn generated(t: &TempDir, rows: u64, seed: u64) -> String {
    let p = t.path("gen.csv");
    assert_eq!(
        callsla(&[
            "generate",
            "--rows",
            &rows.to_string(),
            "--months",
            "2",
            "--seed",
            &seed.to_string(),
            "--out",
            s(&p)
        ])
        .code,
        0
    );
    std::fs::read_to_string(p).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6))]

    #[test]
    fn metrics_ignore_row_order_and_file_splits(seed in 1u64..1000, parts in 1usize..4) {
        let t = TempDir::new("prop-order");
        let text = generated(&t, 1500, seed);
        let mut lines: Vec<&str> = text.lines().collect();
        let header = lines.remove(0);
        let original = t.write("original.csv", &text);
        let reference = table(&[original]);

        // Shuffle deterministically from the seed, then split into `parts` files.
        let mut rng = Rng::new(seed ^ 0xabcdef);
        for i in (1..lines.len()).rev() {
            lines.swap(i, rng.below(i as u64 + 1) as usize);
        }
        let chunk = lines.len().div_ceil(parts);
        let files: Vec<_> = lines
            .chunks(chunk)
            .enumerate()
            .map(|(i, c)| t.write(&format!("part{i}.csv"), &format!("{header}\n{}\n", c.join("\n"))))
            .collect();
        let shuffled = table(&files);
        prop_assert_eq!(reference.rows, shuffled.rows);
    }

    #[test]
    fn queues_add_up_to_the_all_queues_row(seed in 1u64..1000) {
        let t = TempDir::new("prop-sum");
        let text = generated(&t, 1500, seed);
        let input = t.write("log.csv", &text);
        let tb = table(&[input]);
        let mut sums: BTreeMap<(String, String, String, String), (Decimal, Decimal)> = BTreeMap::new();
        for r in tb.rows.iter().filter(|r| r.channel == "*" && r.queue != "*" && !r.metric.ends_with("percentile")) {
            let e = sums.entry((r.period.clone(), r.metric.clone(), r.definition.clone(), r.channel.clone())).or_default();
            e.0 += r.numerator.unwrap_or_default();
            e.1 += r.denominator.unwrap_or_default();
        }
        for r in tb.rows.iter().filter(|r| r.channel == "*" && r.queue == "*" && !r.metric.ends_with("percentile")) {
            let s = sums.get(&(r.period.clone(), r.metric.clone(), r.definition.clone(), r.channel.clone())).copied().unwrap_or_default();
            prop_assert_eq!(s, (r.numerator.unwrap_or_default(), r.denominator.unwrap_or_default()), "{} {}", r.period, r.metric);
        }
    }

}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn arbitrary_csv_bytes_never_panic_and_always_reconcile(bytes in proptest::collection::vec(any::<u8>(), 0..600), header in any::<bool>()) {
        let t = TempDir::new("prop-bytes");
        let mut data = Vec::new();
        if header {
            data.extend_from_slice(b"interaction_id,channel,queue,arrived_at,answered_at,wait_s,csat\n");
        }
        data.extend_from_slice(&bytes);
        let p = t.path("f.csv");
        std::fs::write(&p, &data).unwrap();
        if let Ok(out) = ingest::ingest(&Profile::canonical(), &[p], &lenient()) {
            let r = &out.reconciliation;
            prop_assert_eq!(r.read, r.accepted + r.rejected + r.excluded);
            prop_assert_eq!(out.accepted.height() as u64, r.accepted);
        }
    }

    #[test]
    fn arbitrary_contract_and_profile_text_never_panics(text in "\\PC{0,400}", cut in 0usize..6000) {
        let _ = Contract::parse(&text, "fuzz.toml");
        let _ = Profile::parse(&text, "fuzz.toml");
        // Truncations and splices of the real files exercise deeper paths.
        let sample = std::fs::read_to_string(repo("sample-data/contract.toml")).unwrap();
        let boundary = |s: &str, mut i: usize| {
            i = i.min(s.len());
            while !s.is_char_boundary(i) {
                i -= 1;
            }
            i
        };
        let mut spliced = sample[..boundary(&sample, cut)].to_string();
        spliced.push_str(&text);
        let _ = Contract::parse(&spliced, "fuzz.toml");
        let profile = std::fs::read_to_string(repo("sample-data/profiles/anonbank_feb1999.toml")).unwrap();
        let _ = Profile::parse(&format!("{}{text}", &profile[..boundary(&profile, cut)]), "fuzz.toml");
    }
}

#[test]
fn results_do_not_depend_on_the_number_of_threads() {
    let t = TempDir::new("threads");
    let text = generated(&t, 20_000, 77);
    let input = t.write("log.csv", &text);
    let run = |threads: &str, out: &str| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_callsla"))
            .env("CALLSLA_PSEUDONYM_KEY", TEST_KEY)
            .env("POLARS_MAX_THREADS", threads)
            .args([
                "metrics",
                "--input",
                s(&input),
                "--tz",
                "America/New_York",
                "--by",
                "channel,queue",
                "--format",
                "csv",
                "--out",
                s(&t.path(out)),
            ])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        std::fs::read(t.path(out)).unwrap()
    };
    assert_eq!(run("1", "one.csv"), run("2", "two.csv"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6))]

    /// Measuring a subset in place (`compute_subset`, how `run` applies the contract's scope and
    /// exclusion windows) gives exactly the table of the filtered rows, repeat contacts included.
    #[test]
    fn a_subset_measured_in_place_equals_the_filtered_rows(seed in 0u64..1000, keep_percent in 1u64..100) {
        let t = TempDir::new("subset");
        let input = t.write("log.csv", &generated(&t, 3000, seed));
        let rows = ingest::ingest(&Profile::canonical(), &[input], &lenient()).unwrap().accepted;
        let mut rng = Rng::new(seed ^ 0x5eed);
        let mask: Vec<bool> = (0..rows.height()).map(|_| rng.next_u64() % 100 < keep_percent).collect();
        let mask: polars::prelude::BooleanChunked = mask.into_iter().map(Some).collect();
        let req = catalogue_by_channel_and_queue();
        let in_place = metrics::compute_subset(&rows, Some(&mask), &req).unwrap();
        let filtered = metrics::compute(&rows.filter(&mask).unwrap(), &req).unwrap();
        prop_assert_eq!(in_place.as_of, filtered.as_of);
        prop_assert_eq!(in_place.rows, filtered.rows);
    }
}
