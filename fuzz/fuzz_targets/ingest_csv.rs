//! Arbitrary CSV bytes through the canonical profile: an error, or rows that reconcile.
#![no_main]
use callsla::ingest::{self, IngestOptions, Profile};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let path = std::env::temp_dir().join(format!("callsla-fuzz-{}.csv", std::process::id()));
    let mut bytes = b"interaction_id,channel,queue,arrived_at,answered_at,wait_s,talk_s,csat\n".to_vec();
    bytes.extend_from_slice(data);
    if std::fs::write(&path, &bytes).is_err() {
        return;
    }
    let opts = IngestOptions { max_reject_rate: rust_decimal::Decimal::ONE, ..IngestOptions::default() };
    if let Ok(out) = ingest::ingest(&Profile::canonical(), std::slice::from_ref(&path), &opts) {
        let r = &out.reconciliation;
        assert_eq!(r.read, r.accepted + r.rejected + r.excluded, "reconciliation broken");
        assert_eq!(out.accepted.height() as u64, r.accepted);
    }
});
