//! What can stop an ingest, each error naming the file (and line, column or key) and the
//! fix, with its exit code; and the detail a reject-limit stop shows.

use std::path::Path;

use super::{ProfileError, Reconciliation, Reject};
use crate::schema::Field;

/// Errors of the ingest stage.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Profile(#[from] ProfileError),
    #[error("no input files: {pattern} matches nothing; check the path or quote the glob")]
    NoInput { pattern: String },
    #[error("{path} is a folder, not a file; give the files in it, e.g. --input '{path}/*.csv'")]
    Folder { path: String },
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read {path}: {message}")]
    Read { path: String, message: String },
    #[error("{path}:{line}: byte 0x{byte:02X} at offset {offset} is not UTF-8; convert the file to UTF-8, or set source.encoding = \"latin1\" (or \"utf8-lossy\") in the profile")]
    NotUtf8 { path: String, line: u64, offset: u64, byte: u8 },
    #[error("{path}:1: the lines end in a carriage return only (CR, classic Mac OS line endings), so the file would read as one line; callsla reads LF or CRLF line endings. Convert it (e.g. `tr '\\r' '\\n' < in.csv > out.csv`) and run again")]
    CrLineEndings { path: String },
    #[error("{path}: lines {first}–{last}: the CSV parser read {parsed} records where a plain count of line breaks outside quotes finds {counted}; rows would be lost or merged{near}. Check the quoting and line endings in those lines")]
    CountMismatch { path: String, first: u64, last: u64, parsed: u64, counted: u64, near: String },
    #[error("{path}:{line}: a record of {size} starts here, longer than the {max} bytes a record may have; a line this long is not a contact-centre record (a broken export, or a quote left open). Fix the export, or raise source.max_record_bytes in the profile")]
    RecordTooLong { path: String, line: u64, size: String, max: usize },
    #[error("{path}: lines {first}–{last}: the records cannot be read: quotes do not pair up as CSV needs{near}. Fix the quotes in the export, or change source.quote in the profile if the export does not quote values")]
    Malformed { path: String, first: u64, last: u64, near: String },
    #[error("{path}:{line}: the record has {fields} fields where the header has {header}; check source.delimiter and source.quote in the profile, or quotes around values that contain the delimiter")]
    Ragged { path: String, line: u64, fields: usize, header: usize },
    #[error("{path} is empty: no header line; export the file again")]
    Empty { path: String },
    #[error("{path}: the header names column \"{column}\" twice (columns {first} and {second}), so the profile cannot tell which to read; rename one in the export")]
    DuplicateHeader { path: String, column: String, first: usize, second: usize },
    #[error("{0}")]
    MissingColumn(Box<MissingColumn>),
    #[error("{rejected} of {read} rows rejected ({rate}), above the limit of {max}{detail}; fix the data or the profile, or raise --max-reject-rate")]
    TooManyRejects { rejected: u64, read: u64, rate: String, max: String, detail: Box<RejectDetail> },
    #[error("{rejected} rows rejected and --strict is set{detail}")]
    StrictRejects { rejected: u64, detail: Box<RejectDetail> },
    #[error("{path}:{line}: {message}")]
    SideInput { path: String, line: u64, message: String },
    #[error("internal error: {0}; this is a bug in callsla, please report it with the command you ran")]
    Internal(String),
}

/// A column the profile maps is not in the file.
#[derive(Debug)]
pub struct MissingColumn {
    pub path: String,
    pub column: String,
    pub field: Field,
    pub profile: String,
    pub found: String,
    pub hint: String,
}

impl std::fmt::Display for MissingColumn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let m = self;
        write!(
            f,
            "{}: column \"{}\" is missing; {} maps {} to it. Columns found: {}. Fix the profile's [fields.{}] or export the column{}",
            m.path, m.column, m.profile, m.field, m.found, m.field, m.hint
        )
    }
}

/// What a reject-limit message shows: the commonest reasons with their counts, the first
/// rejected row, and where every rejected row was written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RejectDetail {
    /// (reason, count), most frequent first, at most three.
    pub top: Vec<(String, u64)>,
    /// `file:line: column C: message` of the first rejected row (personal values pseudonymised).
    pub example: String,
    /// The rejects file written, if any.
    pub file: Option<String>,
}

impl RejectDetail {
    /// The detail of these rejects; `file` is where they were (or will be) written.
    pub(crate) fn of(reconciliation: &Reconciliation, rejects: &[Reject], file: Option<&Path>) -> RejectDetail {
        let mut top: Vec<(String, u64)> =
            reconciliation.rejected_by_reason.iter().map(|(k, v)| (k.clone(), *v)).collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        top.truncate(3);
        let example = rejects
            .first()
            .map(|r| {
                let message = if crate::schema::personal(&r.field) {
                    r.message.replace(&r.value, &crate::util::pseudonym(&r.field, &r.value))
                } else {
                    r.message.clone()
                };
                format!("{}:{}: column {}: {message}", r.file, r.line, r.column)
            })
            .unwrap_or_default();
        RejectDetail { top, example, file: file.map(|p| p.display().to_string()) }
    }
}

impl std::fmt::Display for RejectDetail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.top.is_empty() {
            let top: Vec<String> = self.top.iter().map(|(k, v)| format!("{k} ({v})")).collect();
            write!(f, "; most often {}", top.join(", "))?;
        }
        if !self.example.is_empty() {
            write!(f, "; the first: {}", self.example)?;
        }
        match &self.file {
            Some(p) => write!(f, "; every rejected row is listed in {p}"),
            None => write!(f, "; pass --rejects FILE to list every rejected row"),
        }
    }
}

impl IngestError {
    /// The exit code: 3 for the data-quality stops, 2 for everything else.
    pub(crate) fn exit_code(&self) -> crate::exit::Exit {
        match self {
            IngestError::TooManyRejects { .. } | IngestError::StrictRejects { .. } => crate::exit::Exit::DataQuality,
            _ => crate::exit::Exit::BadInput,
        }
    }

    /// A reader's error: its first line, at most 200 characters (an engine's message can quote
    /// whole rows of the file, customer ids included; the path and the remedy matter).
    pub(super) fn read(path: &Path, e: impl std::fmt::Display) -> IngestError {
        let mut message = excerpt(&e.to_string());
        // Parquet's own words for a file cut short or not Parquet at all, with the remedy.
        if message.contains("out of specification") {
            message.push_str("; the file is not a complete Parquet file (cut short, or not Parquet): export it again");
        }
        IngestError::Read { path: path.display().to_string(), message }
    }
}

/// The first line of an engine's message, at most 200 characters (ending in "…" when cut).
pub(super) fn excerpt(message: &str) -> String {
    let line = message.lines().next().unwrap_or_default();
    match line.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_string(),
    }
}
