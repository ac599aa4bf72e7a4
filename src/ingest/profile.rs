//! Ingest profiles: a TOML file that maps one source export onto the canonical schema.
//!
//! Read in two steps: serde into `Raw*` structs that mirror the file, then [`Profile::parse`]
//! checks everything once and produces the validated [`Profile`] the reader uses. The built-in
//! canonical profile ([`Profile::canonical`]) reads files already in the canonical schema.
//! Every key is documented in `docs/profiles.md`.
//!
//! Here: the validated types and the built-in profile; the raw file and its checks are in
//! `read.rs`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use chrono_tz::Tz;
use serde::Deserialize;
use toml::Spanned;

mod read;

use super::parse::{self, DstAmbiguous, DurationUnit};
use crate::schema::{Field, Kind};
use crate::util::{did_you_mean, line_of};

/// A profile that could not be read or makes no sense. Always names the file, the line and
/// the key, and says how to fix it.
pub type ProfileError = crate::config_error::ConfigError<ProfileProblem>;

/// What is wrong with one key of a profile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileProblem {
    #[error("\"{name}\" is not a canonical field{hint}; the fields are listed in docs/schema.md")]
    UnknownField { name: String, hint: String },
    #[error("required field is not mapped; add [fields.{0}] with a `column` or a `value`")]
    MissingRequired(Field),
    #[error("neither `answered_at` nor `answered` is mapped, so callsla cannot tell answered contacts from abandoned ones; map one of them")]
    NoAnswerSignal,
    #[error("give exactly one of `column`, `columns` (first non-empty), `join` (two or more columns) or `value`")]
    SourceNotOne,
    #[error("unknown time zone \"{0}\"; use an IANA name such as \"America/New_York\" or \"UTC\"")]
    UnknownZone(String),
    #[error("\"{0}\" is not a valid strftime pattern (see chrono's strftime reference)")]
    BadPattern(String),
    #[error("timestamps in pattern \"{0}\" carry no UTC offset; set `time_zone` (in [source] or on the field) to read them as wall-clock times")]
    NeedsZone(String),
    #[error("`{option}` does not apply to a {kind} field")]
    NotApplicable { option: &'static str, kind: &'static str },
    #[error("the constant \"{value}\" is not a valid {field}: expected one of {expected}")]
    BadConstant { field: Field, value: String, expected: String },
    #[error("must be a single character, got \"{0}\"")]
    NotOneChar(String),
    #[error("must be one of {expected}, got \"{got}\"")]
    NotOneOf { expected: &'static str, got: String },
    #[error("the scale must be [low, high] with low < high, got [{0}, {1}]")]
    BadScale(i64, i64),
    #[error("must be between {min} and {max}, got {got}")]
    OutOfRange { min: i64, max: i64, got: i64 },
    #[error("an exclusion rule needs at least one condition in `when`")]
    EmptyRule,
    #[error("the rule name \"{0}\" is used twice; each exclusion rule needs its own name")]
    DuplicateRule(String),
    #[error("the map keys \"{0}\" and \"{1}\" are the same after trimming and ignoring case (map keys match that way); keep one")]
    DuplicateMapKey(String, String),
    #[error("the constant \"{value}\" is not a key of the field's map (keys: {keys}); add it to the map or change the constant")]
    ConstantNotMapped { value: String, keys: String },
}

/// File format of an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// By extension: `.parquet`/`.pq` is Parquet, anything else CSV (gzip detected by content).
    Auto,
    Csv,
    Parquet,
}

/// How bytes that are not UTF-8 are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Invalid UTF-8 is an error naming the file. The default.
    Utf8,
    /// Invalid bytes become U+FFFD and the row is read (values may then be rejected).
    Utf8Lossy,
    /// ISO 8859-1: every byte is one character.
    Latin1,
}

/// Options that apply to the whole source file.
#[derive(Debug, Clone)]
pub struct SourceOptions {
    pub format: Format,
    pub delimiter: u8,
    pub quote: Option<u8>,
    pub encoding: Encoding,
    /// Values read as "no value" in every column, besides the empty string.
    pub null_values: Vec<String>,
    pub zone: Option<Tz>,
    pub dst_ambiguous: DstAmbiguous,
    /// How far answer/end may precede arrival before the row is rejected (clock granularity).
    pub order_tolerance_ms: i64,
    /// Longest acceptable talk, hold or wrap time.
    pub max_duration_ms: i64,
    /// Longest acceptable wait (emails may wait days).
    pub max_wait_ms: i64,
    /// Longest CSV record (bytes, line break included) read; a longer one stops the read with
    /// its line, in linear time (`source.max_record_bytes`, default 1 MiB).
    pub max_record_bytes: usize,
    /// Inclusive CSAT scale.
    pub csat_scale: (i64, i64),
    /// The profile states `csat_scale` (otherwise 1..5 is the documented default, and runs
    /// that measure CSAT list it among their assumptions).
    pub csat_scale_declared: bool,
}

/// Where a field's value comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// The same value on every row.
    Constant(String),
    /// The first non-null of these columns.
    Columns(Vec<String>),
    /// These columns' values joined with the separator (null if any is null), for sources whose
    /// identifier is unique only in combination (e.g. line + call id).
    Joined(Vec<String>, String),
}

impl Source {
    /// The source columns this field reads.
    pub(crate) fn columns(&self) -> &[String] {
        match self {
            Source::Columns(cs) | Source::Joined(cs, _) => cs,
            Source::Constant(_) => &[],
        }
    }
}

/// How a timestamp field is read.
#[derive(Debug, Clone)]
pub struct TimestampSpec {
    /// `None`: RFC 3339. `Some`: a strftime pattern (the time part when `date` is set).
    pub pattern: Option<String>,
    /// A separate date column and its pattern.
    pub date: Option<(String, String)>,
    /// Zone and DST rule for wall-clock values.
    pub zone: Option<(Tz, DstAmbiguous)>,
    /// A time of day earlier than arrival is on the next day (logs that store only a time).
    pub next_day_if_before_arrival: bool,
}

/// How a value is read, by kind.
#[derive(Debug, Clone)]
pub enum Reader {
    Text,
    Choice(&'static [&'static str]),
    Timestamp(TimestampSpec),
    Duration(DurationUnit),
    Boolean {
        true_values: Vec<String>,
        false_values: Vec<String>,
    },
    Score,
    /// An IANA time-zone name, checked against the time-zone database.
    Zone,
}

/// One canonical field mapped from the source.
#[derive(Debug, Clone)]
pub struct FieldSpec {
    pub field: Field,
    pub source: Source,
    /// Field-level values read as null, besides the source-level ones.
    pub null_values: Vec<String>,
    /// Source value → canonical value, applied before reading. Keys are stored trimmed and
    /// lower-cased ([`map_key`]): a source value matches a key after trimming, ignoring case.
    /// When the map is not empty, a value that matches no key is rejected (`unmapped_value`).
    pub map: BTreeMap<String, String>,
    /// The map's keys as the profile writes them, for messages.
    pub map_keys: Vec<String>,
    /// A boolean field read negated (`invert = true`), e.g. `answered` from an "Abandoned?" column.
    pub invert: bool,
    pub reader: Reader,
    /// The column may be absent from a file (only in the built-in canonical profile).
    pub optional_column: bool,
}

/// A rule that excludes rows before validation: all conditions must hold.
#[derive(Debug, Clone)]
pub struct Exclusion {
    pub rule: String,
    pub reason: String,
    /// column → accepted values (after trimming)
    pub when: Vec<(String, Vec<String>)>,
}

/// A validated ingest profile.
#[derive(Debug, Clone)]
pub struct Profile {
    pub name: String,
    pub description: String,
    /// The file it came from, or `(built-in canonical profile)`.
    pub origin: String,
    pub source: SourceOptions,
    /// Mapped fields, in canonical order.
    pub fields: Vec<FieldSpec>,
    pub exclusions: Vec<Exclusion>,
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The built-in profile's origin is already in brackets.
        if self.origin.starts_with('(') {
            write!(f, "profile \"{}\" {}", self.name, self.origin)
        } else {
            write!(f, "profile \"{}\" ({})", self.name, self.origin)
        }
    }
}

const CANONICAL_ORIGIN: &str = "(built-in canonical profile)";

impl Default for SourceOptions {
    fn default() -> Self {
        SourceOptions {
            format: Format::Auto,
            delimiter: b',',
            quote: Some(b'"'),
            encoding: Encoding::Utf8,
            null_values: Vec::new(),
            zone: None,
            dst_ambiguous: DstAmbiguous::Earliest,
            order_tolerance_ms: 0,
            max_duration_ms: 86_400_000,
            max_wait_ms: 31 * 86_400_000,
            max_record_bytes: 1 << 20,
            csat_scale: (1, 5),
            csat_scale_declared: false,
        }
    }
}

fn default_reader(field: Field) -> Reader {
    match field.kind() {
        Kind::Text => Reader::Text,
        Kind::Choice(c) => Reader::Choice(c),
        Kind::Timestamp => Reader::Timestamp(TimestampSpec {
            pattern: None,
            date: None,
            zone: None,
            next_day_if_before_arrival: false,
        }),
        Kind::Duration => Reader::Duration(DurationUnit::Auto),
        Kind::Boolean => Reader::Boolean { true_values: Vec::new(), false_values: Vec::new() },
        Kind::Score => Reader::Score,
        Kind::Zone => Reader::Zone,
    }
}

/// How a source value is looked up in a field's `map`: trimmed and lower-cased, so `Yes`,
/// ` yes ` and `YES` all match the key `yes` (docs/profiles.md, "map").
pub(crate) fn map_key(s: &str) -> String {
    s.trim().to_lowercase()
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Text => "text",
        Kind::Choice(_) => "choice",
        Kind::Timestamp => "timestamp",
        Kind::Duration => "duration",
        Kind::Boolean => "boolean",
        Kind::Score => "score",
        Kind::Zone => "zone",
    }
}

impl Profile {
    /// The CSAT scale the data is declared on, and where (for metric definitions to bind to).
    pub fn csat_scale(&self) -> ([i64; 2], String) {
        let (lo, hi) = self.source.csat_scale;
        let origin = if self.source.csat_scale_declared { self.to_string() } else { format!("{self}, by default") };
        ([lo, hi], origin)
    }

    /// The canonical schema as a profile: each field read from the column of its own name,
    /// timestamps as RFC 3339 with offset. Optional columns may be absent.
    pub fn canonical() -> Profile {
        let fields = Field::ALL
            .into_iter()
            .map(|field| FieldSpec {
                field,
                source: Source::Columns(vec![field.name().to_string()]),
                null_values: Vec::new(),
                map: BTreeMap::new(),
                map_keys: Vec::new(),
                invert: false,
                reader: default_reader(field),
                optional_column: !field.required(),
            })
            .collect();
        Profile {
            name: "canonical".to_string(),
            description: "callsla's canonical interaction schema (docs/schema.md)".to_string(),
            origin: CANONICAL_ORIGIN.to_string(),
            source: SourceOptions::default(),
            fields,
            exclusions: Vec::new(),
        }
    }

    /// Reads and validates a profile file.
    pub fn load(path: &Path) -> Result<Profile, ProfileError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Io {
            file: "profile",
            path: shown.clone(),
            source,
        })?;
        Profile::parse(&text, &shown)
    }

    /// Every source column the profile reads, in first-use order, without repeats.
    pub(crate) fn source_columns(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut add = |c: &String| {
            if !out.contains(c) {
                out.push(c.clone());
            }
        };
        for f in &self.fields {
            f.source.columns().iter().for_each(&mut add);
            if let Reader::Timestamp(TimestampSpec { date: Some((dc, _)), .. }) = &f.reader {
                add(dc);
            }
        }
        for e in &self.exclusions {
            e.when.iter().for_each(|(c, _)| add(c));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
name = "t"
[fields]
interaction_id = { column = "id" }
channel = { value = "voice" }
queue = { column = "q" }
arrived_at = { column = "ts" }
answered_at = { column = "ans" }
"#;

    #[test]
    fn minimal_profile_reads() {
        let p = Profile::parse(MINIMAL, "t.toml");
        assert!(p.is_ok(), "{p:?}");
        let p = p.unwrap_or_else(|_| Profile::canonical());
        assert_eq!(p.source_columns(), vec!["id", "q", "ts", "ans"]);
    }

    fn err(text: &str) -> String {
        match Profile::parse(text, "p.toml") {
            Ok(_) => "no error".to_string(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn errors_word_for_word() {
        let cases = [
            (
                MINIMAL.replace("queue = ", "quee = "),
                "p.toml:6: fields.quee: \"quee\" is not a canonical field (did you mean \"queue\"?); the fields are listed in docs/schema.md",
            ),
            (
                MINIMAL.replace("queue = { column = \"q\" }\n", ""),
                "p.toml:1: fields: required field is not mapped; add [fields.queue] with a `column` or a `value`",
            ),
            (
                MINIMAL.replace("{ value = \"voice\" }", "{ value = \"fax\" }"),
                "p.toml:5: fields.channel: the constant \"fax\" is not a valid channel: expected one of voice, email, chat, social",
            ),
            (
                MINIMAL.replace("{ column = \"ts\" }", "{ column = \"ts\", format = \"%d/%m/%Y %H:%M\" }"),
                "p.toml:7: fields.arrived_at: timestamps in pattern \"%d/%m/%Y %H:%M\" carry no UTC offset; set `time_zone` (in [source] or on the field) to read them as wall-clock times",
            ),
            (
                format!("[source]\ntime_zone = \"Mars/Olympus\"\n{}", MINIMAL.replace("name = \"t\"\n", "")).replace("[source]", "name = \"t\"\n[source]"),
                "p.toml:3: source.time_zone: unknown time zone \"Mars/Olympus\"; use an IANA name such as \"America/New_York\" or \"UTC\"",
            ),
            (
                MINIMAL.replace("{ column = \"q\" }", "{ column = \"q\", value = \"x\" }"),
                "p.toml:6: fields.queue: give exactly one of `column`, `columns` (first non-empty), `join` (two or more columns) or `value`",
            ),
            (
                MINIMAL.replace("{ column = \"q\" }", "{ column = \"q\", unit = \"seconds\" }"),
                "p.toml:6: fields.queue: `unit` does not apply to a text field",
            ),
            (
                MINIMAL.replace("{ column = \"q\" }", "{ colum = \"q\" }"),
                "p.toml:6: unknown field `colum`, expected one of `column`, `columns`, `join`, `separator`, `value`, `format`, `date_column`, `date_format`, `time_zone`, `unit`, `null_values`, `map`, `true_values`, `false_values`, `next_day_if_before_arrival`, `invert` (did you mean \"column\"?)",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(err(&text), expected, "profile:\n{text}");
        }
    }
}
