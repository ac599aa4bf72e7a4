//! The documentation and the code name the same things.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // reason: tests

use crate::common;

use callsla::ingest::RejectKind;
use callsla::metrics::definition::METRIC_NAMES;
use callsla::schema::Field;

fn doc(name: &str) -> String {
    std::fs::read_to_string(common::repo(name)).unwrap()
}

#[test]
fn every_metric_is_documented_and_every_documented_metric_exists() {
    let text = doc("docs/metrics.md");
    let documented: Vec<&str> =
        text.lines().filter_map(|l| l.strip_prefix("### `")).map(|l| l.trim_end_matches('`')).collect();
    assert_eq!(documented, METRIC_NAMES.to_vec());
}

#[test]
fn every_canonical_field_and_reject_reason_is_documented() {
    let text = doc("docs/schema.md");
    for f in Field::ALL {
        assert!(text.contains(&format!("| `{}` |", f.name())), "{f} missing from docs/schema.md");
    }
    for k in RejectKind::ALL {
        assert!(text.contains(&format!("`{}`", k.code())), "{} missing from docs/schema.md", k.code());
    }
}
