//! `manifest.json`: what a run read (each input's path, size and SHA-256), under which
//! options, and the SHA-256 of every output — what `verify` checks and re-derives from.
//! Below the stages that write it (run) and read it (report, ledger, verify).

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::Digest as _;

/// Version of `assessment.json` and `manifest.json` (docs/outputs.md).
pub const OUTPUT_VERSION: u32 = 2;

/// The engine that produced an output: name and version.
pub fn engine() -> String {
    format!("callsla {}", env!("CARGO_PKG_VERSION"))
}

/// What to run: the options of `callsla run` that decide its outputs (the command line's and
/// the manifest's one definition; `verify` re-derives under them).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, clap::Args)]
pub struct RunOptions {
    /// The contract (TOML, docs/contract.md).
    #[arg(long)]
    pub contract: PathBuf,
    /// Ingest profile (TOML); without it the canonical schema is expected.
    #[arg(long)]
    pub profile: Option<PathBuf>,
    /// Interaction logs (CSV, gzip CSV or Parquet); globs like 'logs/*.csv' are expanded.
    #[arg(long = "input", required_unless_present_any = ["emit_sql", "counts"], num_args = 1..)]
    pub inputs: Vec<PathBuf>,
    /// Instead of --input: the results of the contract's emitted SQL (`run --contract C
    /// --emit-sql D --sql-for metrics|volumes|scope`, run where the data is), CSV with a header
    /// or Parquet, each result in one or more files (docs/scaling.md).
    #[arg(long = "counts", num_args = 1.., conflicts_with_all = ["inputs", "emit_sql"])]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub counts: Vec<PathBuf>,
    /// Forecast (CSV: period,channel,queue,forecast_offered) for volume relief.
    #[arg(long)]
    pub forecast: Option<PathBuf>,
    /// Outage log (CSV: start,end,scope,reason) for availability.
    #[arg(long)]
    pub outages: Option<PathBuf>,
    /// Suppression list (CSV with a number_hash column of keyed hashes) for suppression_hits.
    #[arg(long)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppression: Option<PathBuf>,
    /// Quality evaluations (CSV: evaluation_id,evaluated_at,score,max_score,… docs/schema.md)
    /// for the QA metrics.
    #[arg(long)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qa: Option<PathBuf>,
    /// Profile (TOML) for --qa: the export's own column names and formats.
    #[arg(long, requires = "qa")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qa_profile: Option<PathBuf>,
    /// Agent hours (CSV: agent_id,interval_start,scheduled_s,logged_in_s,… docs/schema.md) for
    /// the workforce metrics.
    #[arg(long)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_hours: Option<PathBuf>,
    /// Profile (TOML) for --agent-hours: the export's own column names and formats.
    #[arg(long, requires = "agent_hours")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_hours_profile: Option<PathBuf>,
    /// Payments (CSV: payment_id,invoice_id,paid_date,amount) for late-payment interest.
    #[arg(long)]
    pub payments: Option<PathBuf>,
    /// Events log (CSV: event_id,type,occurred_at,… docs/schema.md) for the contract's
    /// `[[obligation]]` entries.
    #[arg(long)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<PathBuf>,
    /// Events profile (TOML, docs/schema.md "Events"): the export's own columns, type and
    /// severity words, timestamp format and zone.
    #[arg(long, requires = "events")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events_profile: Option<PathBuf>,
    /// Assess one period (e.g. 2026-10); default: every period with data.
    #[arg(long, conflicts_with_all = ["from", "to"])]
    pub period: Option<String>,
    /// The first period of a range (with --to).
    #[arg(long, requires = "to")]
    pub from: Option<String>,
    /// The last period of a range (with --from).
    #[arg(long, requires = "from")]
    pub to: Option<String>,
    /// Stop (exit 3) when more than this share of rows is rejected: a fraction (0.005) or a
    /// percentage (0.5%).
    #[arg(long, default_value = "0.5%", value_parser = crate::util::parse_rate)]
    pub max_reject_rate: Decimal,
    /// Stop (exit 3) on any rejected row.
    #[arg(long)]
    pub strict: bool,
    /// Interest on balances still open is fixed up to this date (YYYY-MM-DD).
    #[arg(long)]
    pub statement_date: Option<NaiveDate>,
    /// The data is complete up to this instant (RFC 3339); default: the latest arrival.
    #[arg(long)]
    pub as_of: Option<String>,
    /// Write customer and agent ids into rejects.csv as they are (default: pseudonyms).
    #[arg(long)]
    #[serde(default)]
    pub raw_rejects: bool,
    /// Invoice a period with no contacts in the contract's scope (otherwise exit 3).
    #[arg(long)]
    #[serde(default)]
    pub allow_empty_period: bool,
    /// Leave out up to this many contacts in stray periods (at the start or end of the data,
    /// fewer than 1% of a typical period's contacts) instead of stopping (exit 3).
    #[arg(long, default_value_t = 0)]
    #[serde(default, skip_serializing_if = "is_zero")]
    pub max_stray_rows: u64,
    /// Start each CSV output with the UTF-8 byte order mark, so that Excel shows non-ASCII
    /// text (queue names, descriptions) correctly when the file is opened by double-click.
    #[arg(long)]
    #[serde(default, skip_serializing_if = "is_false")]
    pub excel_csv: bool,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

fn is_false(v: &bool) -> bool {
    !*v
}

/// A file the run read: as given, its size and SHA-256.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileHash {
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

/// `manifest.json`: what went in, under which options, and the hash of every output.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub output_version: u32,
    pub engine: String,
    pub contract: FileHash,
    pub profile: Option<FileHash>,
    pub inputs: Vec<FileHash>,
    /// The counts files a run read instead of interaction logs (`--counts`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub counts: Vec<FileHash>,
    pub forecast: Option<FileHash>,
    pub outages: Option<FileHash>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppression: Option<FileHash>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qa: Option<FileHash>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qa_profile: Option<FileHash>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_hours: Option<FileHash>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_hours_profile: Option<FileHash>,
    pub payments: Option<FileHash>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<FileHash>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events_profile: Option<FileHash>,
    pub options: RunOptions,
    /// The folder the run started in, relative to the output folder: the input paths above are
    /// relative to it, and `verify` reads them from there.
    #[serde(default)]
    pub run_dir: String,
    /// Output file name → SHA-256.
    pub outputs: BTreeMap<String, String>,
    /// The key the pseudonyms in the outputs were made with: its source and fingerprint, and
    /// whether it is the built-in public one (docs/reliability.md). Absent in manifests written
    /// before callsla recorded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pseudonym_key: Option<crate::pseudonym::KeyRecord>,
}

/// SHA-256 of bytes, lowercase hex.
pub use crate::util::sha256_hex;

/// Size and SHA-256 of a file, read in chunks.
pub(crate) fn hash_file(path: &Path) -> std::io::Result<FileHash> {
    let mut f = std::fs::File::open(path)?;
    let mut h = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        h.update(&buf[..n]);
    }
    let sha256 = crate::util::hex(&h.finalize());
    Ok(FileHash { path: path.display().to_string(), size, sha256 })
}
