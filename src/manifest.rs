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

/// What to run.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct RunOptions {
    pub contract: PathBuf,
    pub profile: Option<PathBuf>,
    pub inputs: Vec<PathBuf>,
    pub forecast: Option<PathBuf>,
    pub outages: Option<PathBuf>,
    pub payments: Option<PathBuf>,
    /// One period (`2026-10`), or a range with `from`/`to`; default: every period with data.
    pub period: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub max_reject_rate: Decimal,
    pub strict: bool,
    /// Date late interest runs to for unpaid invoices (ISO date).
    pub statement_date: Option<NaiveDate>,
    /// The data is complete up to this instant (RFC 3339); default: the latest arrival.
    pub as_of: Option<String>,
    /// Write personal values into rejects.csv as they are (default: keyed pseudonyms).
    #[serde(default)]
    pub raw_rejects: bool,
    /// Invoice a period with no contacts in scope (otherwise a data-quality stop, exit 3).
    #[serde(default)]
    pub allow_empty_period: bool,
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
    pub forecast: Option<FileHash>,
    pub outages: Option<FileHash>,
    pub payments: Option<FileHash>,
    pub options: RunOptions,
    /// The folder the run started in, relative to the output folder: the input paths above are
    /// relative to it, and `verify` reads them from there.
    #[serde(default)]
    pub run_dir: String,
    /// Output file name → SHA-256.
    pub outputs: BTreeMap<String, String>,
}

/// SHA-256 of bytes, lowercase hex.
pub use crate::util::sha256_hex;

/// Size and SHA-256 of a file, read in chunks.
pub fn hash_file(path: &Path) -> std::io::Result<FileHash> {
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
