//! Ingest: source files + a profile → canonical rows, rejects and a reconciliation.
//!
//! Each input is scanned lazily by Polars (CSV with every column read as text, or Parquet with
//! its own types) and streamed batch by batch through a row validator written in Rust, so a
//! big month never sits in memory as raw strings: only the typed canonical rows are kept.
//! Every source row ends accepted, rejected (with file, line, column, value and reason) or
//! excluded by a named profile rule, and `read = accepted + rejected + excluded` is checked.
//! The one entry point is [`ingest`].

mod blocks;
mod csv_input;
mod encoding;
mod error;
mod files;
pub mod parse;
pub mod profile;
mod reconcile;
pub mod side;
mod validate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use polars::prelude::*;
use rust_decimal::Decimal;

pub use error::{IngestError, MissingColumn, RejectDetail};
use files::{expected_rows, gunzip_to_temp, is_gzip, is_parquet, TempCopy};
pub use profile::{Format, Profile, ProfileError};
pub use reconcile::{check_thresholds, write_rejects_csv, FileReconciliation, Reconciliation};
pub use validate::{Reject, RejectKind};

use crate::schema::Field;
use csv_input::{check_header, missing_column, not_utf8, read_csv_blocks};

/// Name of the row-index column added to every scan.
const ROW: &str = "__row";

/// Options for one ingest.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Largest acceptable share of rejected rows, as a fraction (0.005 = 0.5 %).
    pub max_reject_rate: Decimal,
    /// Fail on any rejected row.
    pub strict: bool,
    /// Compute each plain CSV input's SHA-256 as its blocks are read (`Ingested::input_hashes`),
    /// for the run manifest; off, the reader skips it (about 1 GB/s of one core).
    pub hash_inputs: bool,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions { max_reject_rate: Decimal::new(5, 3), strict: false, hash_inputs: false }
    }
}

/// The result of an ingest.
#[derive(Debug, Clone)]
pub struct Ingested {
    /// Canonical rows (see `docs/schema.md`), in input order.
    pub accepted: DataFrame,
    /// Every rejected row, in input order.
    pub rejects: Vec<Reject>,
    pub reconciliation: Reconciliation,
    /// Per input file (in the order of the expanded inputs): its size and SHA-256, when the
    /// file was read whole as it is on disk (plain CSV); `None` otherwise (Parquet, gzip,
    /// transcoded text), to be hashed separately.
    pub input_hashes: Vec<Option<(u64, String)>>,
}

/// Expands the inputs: paths are taken as they are, arguments with `*`, `?` or `[` as globs
/// (sorted). A glob that matches nothing is an error.
pub(crate) fn expand_inputs(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, IngestError> {
    let mut out = Vec::new();
    for input in inputs {
        let s = input.to_string_lossy();
        if !s.contains(['*', '?', '[']) {
            if input.is_dir() {
                return Err(IngestError::Folder { path: s.into_owned() });
            }
            out.push(input.clone());
            continue;
        }
        let dir = input.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let pattern = input.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        // Within one file name: `*`, `?` and sets such as `[0-9]` (the glob crate's rules).
        let glob = glob::Pattern::new(&pattern).map_err(|e| IngestError::Read {
            path: input.display().to_string(),
            message: format!("the pattern \"{pattern}\" is not a valid glob: {e}"),
        })?;
        let entries =
            std::fs::read_dir(dir).map_err(|source| IngestError::Io { path: dir.display().to_string(), source })?;
        let mut matched: Vec<PathBuf> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.file_name().is_some_and(|n| glob.matches(&n.to_string_lossy())) && !p.is_dir())
            .collect();
        if matched.is_empty() {
            return Err(IngestError::NoInput { pattern: s.into_owned() });
        }
        matched.sort();
        out.extend(matched);
    }
    if out.is_empty() {
        return Err(IngestError::NoInput { pattern: "(no --input given)".to_string() });
    }
    Ok(out)
}

/// Reads every input through the profile. This is the ingest stage's one entry point.
pub fn ingest(profile: &Profile, inputs: &[PathBuf], options: &IngestOptions) -> Result<Ingested, IngestError> {
    let files = expand_inputs(inputs)?;
    let mut reconciliation = Reconciliation::default();
    let mut rejects = Vec::new();
    let mut parts: Vec<DataFrame> = Vec::new();
    let mut input_hashes = Vec::with_capacity(files.len());
    let mut seen = validate::SeenIds::default();
    let mut outs = Vec::with_capacity(files.len());
    // The duplicate-id check's buckets are sized for the rows expected (longer buckets if the
    // guess is short): a Parquet file's row count is in its footer; a CSV export has about
    // 140 bytes a row.
    let expected: u64 = files.iter().map(|f| expected_rows(profile, f)).sum();
    seen.reserve(usize::try_from(expected).unwrap_or(0).min(50_000_000));
    for (idx, path) in files.iter().enumerate() {
        let file_idx = u32::try_from(idx).map_err(|_| IngestError::Internal("more than 2^32 input files".into()))?;
        // Polars can panic on inputs it does not support (e.g. Parquet decimals): an error here.
        let reader_panicked = |message: String| {
            let message = if message.contains("Decimal") && message.contains("not supported") {
                "a DECIMAL column is not supported; export it as a floating-point or text column".to_string()
            } else {
                format!("the reader failed: {message}")
            };
            IngestError::Read { path: path.display().to_string(), message }
        };
        let out = crate::util::catch_panic(|| ingest_file(profile, path, file_idx, &mut seen, options.hash_inputs))
            .map_err(reader_panicked)??;
        outs.push(out);
    }
    // The duplicate-id check, over every input at once (first occurrence kept).
    seen.reject_duplicates(&mut outs, &validate::id_column_label(profile))
        .map_err(|e| IngestError::Internal(e.to_string()))?;
    drop(seen);
    for out in outs {
        reconciliation.add(&out.reconciliation);
        reconciliation.files.push(out.reconciliation);
        rejects.extend(out.rejects);
        parts.extend(out.accepted);
        input_hashes.push(out.sha256);
    }
    reconciliation.check()?;
    let accepted = match parts.split_first() {
        Some((first, rest)) => {
            let mut df = first.clone();
            for p in rest {
                df.vstack_mut(p).map_err(|e| IngestError::Internal(e.to_string()))?;
            }
            df
        }
        None => validate::empty_canonical().map_err(|e| IngestError::Internal(e.to_string()))?,
    };
    // The accepted frame stays in its batch chunks: Polars reads chunked columns as they are,
    // and copying them into one would double the peak memory.
    check_thresholds(&reconciliation, &rejects, options, None)?;
    Ok(Ingested { accepted, rejects, reconciliation, input_hashes })
}

/// The canonical frame with `channel`, `direction`, `queue`, `agent_id`, `campaign`,
/// `disposition` and `party_zone` as text (they are
/// enums and categoricals in memory), as the canonical Parquet format stores them.
pub(crate) fn with_text_columns(accepted: &DataFrame) -> PolarsResult<DataFrame> {
    let mut out = accepted.clone();
    for name in [
        Field::Channel.name(),
        Field::Direction.name(),
        Field::Queue.name(),
        Field::AgentId.name(),
        Field::Campaign.name(),
        Field::Disposition.name(),
        Field::PartyZone.name(),
    ] {
        let text = out.column(name)?.cast(&DataType::String)?;
        out.with_column(text)?;
    }
    Ok(out)
}

/// The canonical rows with `customer_id` and `agent_id` replaced by long keyed pseudonyms
/// (`cust-…`, `agent-…`, 128 bits: [`crate::pseudonym`]), for writing canonical rows out of
/// callsla. The same id always gets the same pseudonym under one key, so the repeat-contact
/// search and per-agent figures are the same on the written rows. Expects text columns
/// ([`with_text_columns`]).
pub(crate) fn with_pseudonymous_ids(rows: &DataFrame) -> PolarsResult<DataFrame> {
    let mut out = rows.clone();
    for (name, prefix) in [(Field::CustomerId.name(), "cust"), (Field::AgentId.name(), "agent")] {
        let column = out.column(name)?.str()?.clone();
        // One HMAC per distinct id; the rows then borrow the pseudonyms.
        let mut seen: std::collections::HashMap<&str, String> = std::collections::HashMap::new();
        for id in column.iter().flatten() {
            seen.entry(id).or_insert_with(|| crate::pseudonym::long(prefix, id));
        }
        let values: StringChunked = column.iter().map(|v| v.and_then(|id| seen.get(id).map(String::as_str))).collect();
        out.with_column(values.with_name(name.into()).into_column())?;
    }
    Ok(out)
}

struct FileOut {
    accepted: Vec<DataFrame>,
    rejects: Vec<Reject>,
    reconciliation: FileReconciliation,
    sha256: Option<(u64, String)>,
}

fn ingest_file(
    profile: &Profile,
    path: &Path,
    file_idx: u32,
    seen: &mut validate::SeenIds,
    hash: bool,
) -> Result<FileOut, IngestError> {
    // `-`: standard input, copied once into an unnamed temporary file (read twice: records
    // counted, then parsed) and named `<stdin>` in every message, reject and reconciliation.
    let (_stdin, spooled);
    let (path, shown) = if path == Path::new("-") {
        let t = TempCopy::new("stdin", Path::new("<stdin>"))?;
        let io = |source| IngestError::Io { path: "<stdin>".to_string(), source };
        let mut w = std::fs::OpenOptions::new().write(true).open(t.path()).map_err(io)?;
        std::io::copy(&mut std::io::stdin().lock(), &mut w).map_err(io)?;
        spooled = t.path();
        _stdin = Some(t);
        (spooled.as_path(), "<stdin>".to_string())
    } else {
        _stdin = None;
        (path, path.display().to_string())
    };
    if !path.is_file() {
        return Err(IngestError::Io {
            path: shown,
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
        });
    }
    let parquet = is_parquet(profile, path);
    let mut _temp = None;
    let mut check_utf8 = false;
    let mut csv_path: Option<PathBuf> = None;
    let mut lf = if parquet {
        let args = ScanArgsParquet { row_index: Some(RowIndex { name: ROW.into(), offset: 0 }), ..Default::default() };
        LazyFrame::scan_parquet(PlRefPath::from(path.to_string_lossy().as_ref()), args)
            .map_err(|e| IngestError::read(Path::new(&shown), e))?
    } else {
        let mut scan_path = if is_gzip(path)? {
            let t = gunzip_to_temp(path)?;
            let p = t.path();
            _temp = Some(t);
            p
        } else {
            path.to_path_buf()
        };
        let how = match profile.source.encoding {
            profile::Encoding::Utf8 => None,
            profile::Encoding::Utf8Lossy => Some(encoding::Transcode::Lossy),
            profile::Encoding::Latin1 => Some(encoding::Transcode::Latin1),
        };
        match how {
            // Polars' reader checks every chunk; the file is scanned for the exact line and byte
            // only when it finds a bad one (docs/profiles.md).
            None => check_utf8 = true,
            Some(how) => {
                let t = TempCopy::new("utf8", &scan_path)?;
                encoding::transcode(&scan_path, how, &t.path())?;
                scan_path = t.path();
                _temp = Some(t);
            }
        }
        if std::fs::metadata(&scan_path).map(|m| m.len()).unwrap_or(0) == 0 {
            return Err(IngestError::Empty { path: shown });
        }
        let src = &profile.source;
        csv_path = Some(scan_path.clone());
        check_header(&scan_path, &shown, profile)?;
        LazyCsvReader::new(PlRefPath::from(scan_path.to_string_lossy().as_ref()))
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .with_separator(src.delimiter)
            .with_quote_char(src.quote)
            .with_missing_is_null(true)
            .with_raise_if_empty(false)
            .with_encoding(CsvEncoding::Utf8)
            .with_row_index(Some(RowIndex { name: ROW.into(), offset: 0 }))
            .finish()
            .map_err(|e| IngestError::read(Path::new(&shown), e))?
    };
    let schema = lf.collect_schema().map_err(|e| IngestError::read(Path::new(&shown), e))?;

    // Resolve which mapped columns exist; a missing column of an explicit mapping is an error.
    let mut plan = validate::Plan::new(profile, file_idx, parquet);
    for spec in &profile.fields {
        let cols = spec.source.columns();
        if !cols.is_empty() {
            let present: Vec<&String> = cols.iter().filter(|c| schema.contains(c)).collect();
            if present.len() < cols.len() && !(spec.optional_column && present.is_empty()) {
                let missing = cols.iter().find(|c| !schema.contains(c)).cloned().unwrap_or_default();
                return Err(missing_column(&shown, &missing, spec.field, profile, &schema));
            }
            if present.is_empty() {
                plan.unmapped(spec.field);
            }
        }
        if let profile::Reader::Timestamp(profile::TimestampSpec { date: Some((dc, _)), .. }) = &spec.reader {
            if !schema.contains(dc) {
                return Err(missing_column(&shown, dc, spec.field, profile, &schema));
            }
        }
    }
    for ex in &profile.exclusions {
        for (c, _) in &ex.when {
            if !schema.contains(c) {
                return Err(IngestError::Read {
                    path: shown.clone(),
                    message: format!(
                        "exclusion rule \"{}\" of {} tests column \"{c}\", which the file does not have",
                        ex.rule, profile
                    ),
                });
            }
        }
    }

    // Project the needed columns, converting typed (Parquet) columns into the few shapes the
    // validator reads: text, boolean, instants and wall-clock times as i64 µs, durations as ms.
    let mut exprs = vec![col(ROW)];
    let projected: Vec<String> = profile.source_columns().into_iter().filter(|c| schema.contains(c)).collect();
    for name in &projected {
        let dtype = schema.get(name).cloned().unwrap_or(DataType::String);
        let (expr, shape) = validate::project(name, &dtype);
        plan.shape(name, shape);
        exprs.push(expr);
    }
    plan.resolve();
    let lf = lf.select(exprs);

    // Polars parses batches; validation runs on worker threads (it needs no shared state); an
    // absorber thread takes the validated batches in input order, as they come, for the
    // duplicate-id check (so it overlaps the reading, and nothing waits for the whole file).
    let plan = Arc::new(plan);
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
    let (tx, rx) = std::sync::mpsc::sync_channel::<(usize, DataFrame)>(workers * 2);
    let rx = Arc::new(Mutex::new(rx));
    let (res_tx, res_rx) = std::sync::mpsc::channel::<(usize, PolarsResult<validate::BatchOut>)>();
    let handles: Vec<_> = (0..workers)
        .map(|_| {
            let (rx, res_tx, plan) = (Arc::clone(&rx), res_tx.clone(), Arc::clone(&plan));
            std::thread::spawn(move || loop {
                let next = match rx.lock() {
                    Ok(r) => r.recv(),
                    Err(_) => break,
                };
                let Ok((seq, df)) = next else { break };
                if res_tx.send((seq, plan.validate(&df))).is_err() {
                    break;
                }
            })
        })
        .collect();
    drop(res_tx);
    let absorber = {
        let plan = Arc::clone(&plan);
        let mut state = validate::FileState::new(shown.clone(), std::mem::take(seen));
        std::thread::spawn(move || {
            let mut pending = BTreeMap::new();
            let (mut next, mut failed) = (0usize, None);
            for (seq, out) in res_rx {
                pending.insert(seq, out);
                while let Some(out) = pending.remove(&next) {
                    next += 1;
                    if failed.is_none() {
                        if let Err(e) = out.and_then(|o| plan.absorb(o, &mut state)) {
                            failed = Some(e);
                        }
                    }
                }
            }
            (state, failed)
        })
    };
    let sender = Arc::new(Mutex::new(Some(tx)));
    let sink_sender = Arc::clone(&sender);
    let counter = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let send = move |df: DataFrame| -> PolarsResult<bool> {
        let seq = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let guard = sink_sender.lock().map_err(|_| polars_err!(ComputeError: "ingest workers poisoned"))?;
        if let Some(tx) = guard.as_ref() {
            tx.send((seq, df)).map_err(|_| polars_err!(ComputeError: "ingest workers stopped"))?;
        }
        Ok(false)
    };
    let mut mismatch = None;
    let scanned = match &csv_path {
        // CSV: blocks of whole records, parsed from memory (see `blocks`).
        Some(csv) => read_csv_blocks(csv, profile, &projected, hash, &mut mismatch, send),
        // Parquet: Polars' streaming scan, batch by batch.
        None => lf
            .sink_batches(PlanCallback::new(send), true, None)
            .and_then(|sink| sink.collect_with_engine(Engine::Streaming))
            .map(|_| None),
    };
    // Close the channel so the workers finish, then wait for them.
    if let Ok(mut s) = sender.lock() {
        s.take();
    }
    for h in handles {
        h.join().map_err(|_| IngestError::Internal("an ingest worker stopped unexpectedly".into()))?;
    }
    let sha256 = scanned.as_ref().ok().cloned().flatten().filter(|_| csv_path.as_deref() == Some(path));
    scanned.map_err(|e| {
        let text = e.to_string();
        if let Some(m) = mismatch {
            if let Some(size) = m.too_long {
                let max = profile.source.max_record_bytes;
                return IngestError::RecordTooLong {
                    path: shown.clone(),
                    line: m.first,
                    size: size.map_or_else(|| format!("more than {max} bytes"), |n| format!("{n} bytes")),
                    max,
                };
            }
            let near = m.odd_quote.map_or(String::new(), |l| {
                format!("; line {l} is the first with an odd number of quote characters (a stray quote, or a quoted value left open)")
            });
            return match m.parsed {
                Some(parsed) => IngestError::CountMismatch {
                    path: shown.clone(),
                    first: m.first,
                    last: m.last,
                    parsed,
                    counted: m.counted,
                    near,
                },
                None => IngestError::Malformed { path: shown.clone(), first: m.first, last: m.last, near },
            };
        }
        match &csv_path {
            Some(csv) if check_utf8 && text.contains("invalid utf-8") => not_utf8(csv, &shown),
            Some(csv) if text.contains("found more fields than defined") => csv_input::ragged(csv, &shown, profile),
            _ => IngestError::read(Path::new(&shown), e),
        }
    })?;
    drop(_temp);

    let (state, failed) =
        absorber.join().map_err(|_| IngestError::Internal("the ingest absorber stopped unexpectedly".into()))?;
    if let Some(e) = failed {
        return Err(IngestError::read(Path::new(&shown), e));
    }
    let (mut out, seen_back) = state.finish(if parquet { "parquet" } else { "csv" });
    *seen = seen_back;
    out.sha256 = sha256;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_table_is_sized_from_a_parquet_footer_or_the_csv_size() -> Result<(), Box<dyn std::error::Error>> {
        let dir = std::env::temp_dir().join(format!("callsla-expected-rows-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let pq = dir.join("rows.parquet");
        let mut df = df!("interaction_id" => (0..1234).map(|i| format!("I{i}")).collect::<Vec<_>>())?;
        ParquetWriter::new(std::fs::File::create(&pq)?).finish(&mut df)?;
        let profile = Profile::canonical();
        assert_eq!(expected_rows(&profile, &pq), 1234, "the footer's row count");
        let csv = dir.join("rows.csv");
        std::fs::write(&csv, vec![b'x'; 1400])?;
        assert_eq!(expected_rows(&profile, &csv), 10, "140 bytes a row");
        assert_eq!(expected_rows(&profile, &dir.join("absent.parquet")), 0);
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }
}
