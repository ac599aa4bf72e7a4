//! Side tables: quality evaluations (`--qa`) and agent hours (`--agent-hours`), read as the
//! interaction logs are — through an optional profile (their own column names, time zone,
//! timestamp format, duration unit, true/false words), every bad row rejected with the file,
//! line, column, value and reason, and every row accounted for (read = accepted + rejected).
//! docs/schema.md, "Quality evaluations" and "Agent hours", lists the columns.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::Deserialize;

use super::parse::{self, DstAmbiguous, DurationUnit};
use super::{FileReconciliation, IngestError, Reject, RejectKind};

/// What a side-table column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SideKind {
    Text,
    /// One of the channels.
    Channel,
    Timestamp,
    /// A non-negative decimal (a score).
    Number,
    /// A non-negative duration, read in the profile's unit, kept in milliseconds.
    Duration,
    Boolean,
}

/// One column of a side table.
#[derive(Debug, Clone, Copy)]
pub struct SideColumn {
    pub name: &'static str,
    pub kind: SideKind,
    /// A row without a value is rejected (`missing_value`); the column must be in the file.
    pub required: bool,
}

/// A side table's columns and the key that identifies a row.
#[derive(Debug, Clone, Copy)]
pub struct SideSchema {
    /// What the table is, for messages ("quality evaluations").
    pub what: &'static str,
    /// The option that names the file (`--qa`).
    pub option: &'static str,
    pub columns: &'static [SideColumn],
    /// Columns whose values together must be unique (a repeat is rejected as `duplicate_id`).
    pub key: &'static [&'static str],
}

/// A value read from a side table.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SideValue {
    Missing,
    Text(String),
    /// µs since the epoch.
    Instant(i64),
    Number(Decimal),
    /// Milliseconds.
    Duration(i64),
    Bool(bool),
}

/// A side-table profile (TOML): the source's column names and formats.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SideProfile {
    #[serde(default)]
    pub name: String,
    /// Timestamps without an offset are read in this IANA zone.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// strftime pattern of the timestamps; default RFC 3339.
    #[serde(default)]
    pub timestamp_format: Option<String>,
    /// The unit of duration columns (default: seconds, or H:MM:SS when the value has colons).
    #[serde(default)]
    pub duration_unit: DurationUnit,
    #[serde(default)]
    pub true_values: Vec<String>,
    #[serde(default)]
    pub false_values: Vec<String>,
    /// Canonical column = source column.
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
}

impl SideProfile {
    /// Reads and checks a profile for `schema`: every column it names is one of the table's,
    /// the zone is an IANA name.
    pub fn load(path: &Path, schema: &SideSchema) -> Result<SideProfile, IngestError> {
        let shown = path.display().to_string();
        let bad = |message: String| IngestError::SideInput { path: shown.clone(), line: 1, message };
        let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
        let p: SideProfile = toml::from_str(&text).map_err(|e| {
            bad(format!(
                "line {}: {}",
                e.span().map_or(1, |s| crate::util::line_of(&text, s.start)),
                e.message().trim_end()
            ))
        })?;
        for c in p.columns.keys() {
            if !schema.columns.iter().any(|k| k.name == c) {
                return Err(bad(format!(
                    "[columns] {c}: not a column of the {}; use {}",
                    schema.what,
                    schema.columns.iter().map(|k| k.name).collect::<Vec<_>>().join(", ")
                )));
            }
        }
        if let Some(z) = &p.time_zone {
            if z.parse::<Tz>().is_err() {
                return Err(bad(format!("time_zone \"{z}\" is not an IANA time zone such as Europe/London")));
            }
        }
        Ok(p)
    }

    fn source<'a>(&'a self, canonical: &'a str) -> &'a str {
        self.columns.get(canonical).map_or(canonical, String::as_str)
    }
}

/// A side table read: accepted rows (one value per schema column, in order), their lines, the
/// rejects and the accounting.
#[derive(Debug, Clone)]
pub struct SideTable {
    pub schema: SideSchema,
    pub rows: Vec<Vec<SideValue>>,
    pub lines: Vec<u64>,
    /// Which schema columns the file has (a metric that needs an absent optional column stops).
    pub present: Vec<bool>,
    pub rejects: Vec<Reject>,
    pub reconciliation: FileReconciliation,
}

impl SideTable {
    /// The position of a column in the schema.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.schema.columns.iter().position(|c| c.name == name)
    }

    /// Whether the file has the column.
    pub fn has(&self, name: &str) -> bool {
        self.index(name).is_some_and(|i| self.present[i])
    }
}

/// Reads a side table. Structural problems (unreadable file, a required column missing, a
/// column the schema does not know without a profile) stop with the file and line; bad values
/// reject their row.
pub fn read(path: &Path, schema: SideSchema, profile: Option<&SideProfile>) -> Result<SideTable, IngestError> {
    let shown = path.display().to_string();
    let stop = |line: u64, message: String| IngestError::SideInput { path: shown.clone(), line, message };
    let default = SideProfile::default();
    let p = profile.unwrap_or(&default);
    let zone: Option<Tz> = p.time_zone.as_deref().and_then(|z| z.parse().ok());
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(false)
        .from_path(path)
        .map_err(|e| stop(1, format!("cannot read it ({e}); {} takes a CSV file with a header line", schema.option)))?;
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| stop(1, e.to_string()))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
        .collect();
    let pos: Vec<Option<usize>> =
        schema.columns.iter().map(|c| header.iter().position(|h| h == p.source(c.name))).collect();
    for (c, at) in schema.columns.iter().zip(&pos) {
        if c.required && at.is_none() {
            return Err(stop(
                1,
                format!(
                    "no column \"{}\" (the {} need {}); {}",
                    p.source(c.name),
                    schema.what,
                    c.name,
                    if header.iter().all(String::is_empty) {
                        "the file is empty: export it again with a header line naming its columns".to_string()
                    } else {
                        format!(
                            "the header is: {}; export the column, or map it in a profile ({})",
                            header.join(","),
                            format_args!("{}-profile", schema.option)
                        )
                    }
                ),
            ));
        }
    }
    if profile.is_none() {
        if let Some(h) = header.iter().find(|h| !schema.columns.iter().any(|c| c.name == h.as_str())) {
            return Err(stop(
                1,
                format!(
                    "unknown column \"{h}\"; the columns are {} (a profile maps other names)",
                    schema.columns.iter().map(|c| c.name).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
    }
    let mut out = SideTable {
        schema,
        rows: Vec::new(),
        lines: Vec::new(),
        present: pos.iter().map(Option::is_some).collect(),
        rejects: Vec::new(),
        reconciliation: FileReconciliation { path: shown.clone(), format: "csv".to_string(), ..Default::default() },
    };
    let mut keys: HashMap<Vec<SideValue>, u64> = HashMap::new();
    let key_idx: Vec<usize> =
        schema.key.iter().filter_map(|k| schema.columns.iter().position(|c| c.name == *k)).collect();
    for (n, rec) in rdr.records().enumerate() {
        let line = n as u64 + 2;
        let rec = rec.map_err(|e| stop(line, e.to_string()))?;
        out.reconciliation.read += 1;
        let mut values = Vec::with_capacity(schema.columns.len());
        let mut fail: Option<(usize, String, RejectKind, String)> = None;
        for (k, c) in schema.columns.iter().enumerate() {
            let raw = pos[k].and_then(|j| rec.get(j)).map(str::trim).unwrap_or("");
            match read_value(c, raw, p, zone) {
                Ok(v) => values.push(v),
                Err((kind, message)) => {
                    fail = Some((k, raw.to_string(), kind, message));
                    break;
                }
            }
        }
        if fail.is_none() {
            fail = check_row(schema, &values);
        }
        if fail.is_none() && !key_idx.is_empty() {
            let key: Vec<SideValue> = key_idx.iter().map(|i| values[*i].clone()).collect();
            if let Some(first) = keys.get(&key) {
                let k = key_idx[0];
                let shown = pos[k].and_then(|j| rec.get(j)).unwrap_or("").to_string();
                fail = Some((
                    k,
                    shown,
                    RejectKind::DuplicateId,
                    format!("the same {} as line {first}; each row must be another", schema.key.join(" and ")),
                ));
            } else {
                keys.insert(key, line);
            }
        }
        match fail {
            None => {
                out.reconciliation.accepted += 1;
                out.rows.push(values);
                out.lines.push(line);
            }
            Some((k, value, kind, message)) => {
                out.reconciliation.rejected += 1;
                *out.reconciliation.rejected_by_reason.entry(kind.code().to_string()).or_default() += 1;
                let name = schema.columns[k].name;
                out.rejects.push(Reject {
                    file: shown.clone(),
                    line,
                    column: p.source(name).to_string(),
                    field: name.to_string(),
                    value,
                    normalised: String::new(),
                    kind,
                    message,
                });
            }
        }
    }
    Ok(out)
}

fn read_value(c: &SideColumn, raw: &str, p: &SideProfile, zone: Option<Tz>) -> Result<SideValue, (RejectKind, String)> {
    if raw.is_empty() {
        return if c.required {
            Err((RejectKind::MissingValue, format!("{} is required but empty", c.name)))
        } else {
            Ok(SideValue::Missing)
        };
    }
    let unreadable =
        |kind: RejectKind, expected: &str| (kind, format!("cannot read \"{raw}\" as {} ({expected})", c.name));
    Ok(match c.kind {
        SideKind::Text => SideValue::Text(raw.to_string()),
        SideKind::Channel => match crate::schema::CHANNELS.iter().find(|w| w.eq_ignore_ascii_case(raw)) {
            Some(w) => SideValue::Text(w.to_string()),
            None => {
                return Err((
                    RejectKind::UnknownChannel,
                    format!("channel \"{raw}\" is not one of voice, email, chat, social"),
                ))
            }
        },
        SideKind::Timestamp => {
            let z = zone.map(|z| (z, DstAmbiguous::Earliest));
            let r = match &p.timestamp_format {
                Some(f) => parse::with_pattern(raw, f, z),
                None => parse::rfc3339(raw, z),
            };
            SideValue::Instant(r.map_err(|_| {
                unreadable(
                    RejectKind::UnreadableTimestamp,
                    match &p.timestamp_format {
                        Some(f) => format!("the profile's timestamp_format \"{f}\""),
                        None => "RFC 3339 with an offset, or a profile's time_zone".to_string(),
                    }
                    .as_str(),
                )
            })?)
        }
        SideKind::Number => match raw.parse::<Decimal>() {
            Ok(v) if v >= Decimal::ZERO => SideValue::Number(v),
            Ok(_) => {
                return Err((
                    RejectKind::Inconsistent,
                    format!("{} \"{raw}\" is negative; a score is from 0 to max_score", c.name),
                ))
            }
            Err(_) => return Err(unreadable(RejectKind::UnreadableNumber, "a decimal number such as 42 or 42.5")),
        },
        SideKind::Duration => match parse::duration_ms(raw, p.duration_unit) {
            Ok(ms) if ms >= 0 => SideValue::Duration(ms),
            // A minus sign before an otherwise readable duration: negative, not unreadable.
            r if r.is_ok()
                || raw.strip_prefix('-').is_some_and(|rest| parse::duration_ms(rest, p.duration_unit).is_ok()) =>
            {
                return Err((RejectKind::NegativeDuration, format!("{} \"{raw}\" is negative", c.name)))
            }
            _ => {
                return Err(unreadable(
                    RejectKind::UnreadableNumber,
                    match p.duration_unit {
                        DurationUnit::Auto => "a non-negative duration: seconds, or H:MM:SS",
                        DurationUnit::Seconds => "a non-negative duration in seconds (the profile's duration_unit)",
                        DurationUnit::Milliseconds => {
                            "a non-negative duration in milliseconds (the profile's duration_unit)"
                        }
                        DurationUnit::Minutes => "a non-negative duration in minutes (the profile's duration_unit)",
                        DurationUnit::Hms => "a non-negative duration as H:MM:SS (the profile's duration_unit)",
                    },
                ))
            }
        },
        SideKind::Boolean => {
            let b = if p.true_values.iter().any(|t| t == raw) {
                Some(true)
            } else if p.false_values.iter().any(|t| t == raw) {
                Some(false)
            } else {
                parse::boolean(raw)
            };
            match b {
                Some(b) => SideValue::Bool(b),
                None => {
                    return Err(unreadable(
                        RejectKind::UnreadableBoolean,
                        "Y/N, true/false or 1/0, or the profile's true_values/false_values",
                    ))
                }
            }
        }
    })
}

/// Cross-column checks: a part never exceeds its whole (`score ≤ max_score`,
/// `adherent_s ≤ scheduled_s`, `productive_s ≤ logged_in_s`), and `max_score` is positive.
fn check_row(schema: SideSchema, values: &[SideValue]) -> Option<(usize, String, RejectKind, String)> {
    let at = |name: &str| schema.columns.iter().position(|c| c.name == name);
    let num = |i: usize| match &values[i] {
        SideValue::Number(v) => Some(*v),
        SideValue::Duration(ms) => Some(Decimal::from(*ms)),
        _ => None,
    };
    if let Some(m) = at("max_score") {
        if num(m).is_some_and(|v| v.is_zero()) {
            return Some((
                m,
                "0".into(),
                RejectKind::Inconsistent,
                "max_score is 0; a score needs a positive maximum".into(),
            ));
        }
    }
    for (part, whole) in [("score", "max_score"), ("adherent_s", "scheduled_s"), ("productive_s", "logged_in_s")] {
        if let (Some(a), Some(b)) = (at(part), at(whole)) {
            if let (Some(x), Some(y)) = (num(a), num(b)) {
                if x > y {
                    let show = |i: usize| match &values[i] {
                        SideValue::Duration(ms) => format!("{} s", Decimal::new(*ms, 3).normalize()),
                        SideValue::Number(v) => v.to_string(),
                        _ => String::new(),
                    };
                    return Some((
                        a,
                        show(a),
                        RejectKind::Inconsistent,
                        format!("{part} {} is more than {whole} {}", show(a), show(b)),
                    ));
                }
            }
        }
    }
    None
}

/// The quality-evaluation table (`--qa`).
pub const QA: SideSchema = SideSchema {
    what: "quality evaluations",
    option: "--qa",
    columns: &[
        SideColumn { name: "evaluation_id", kind: SideKind::Text, required: true },
        SideColumn { name: "interaction_id", kind: SideKind::Text, required: false },
        SideColumn { name: "agent_id", kind: SideKind::Text, required: false },
        SideColumn { name: "queue", kind: SideKind::Text, required: false },
        SideColumn { name: "channel", kind: SideKind::Channel, required: false },
        SideColumn { name: "evaluated_at", kind: SideKind::Timestamp, required: true },
        SideColumn { name: "score", kind: SideKind::Number, required: true },
        SideColumn { name: "max_score", kind: SideKind::Number, required: true },
        SideColumn { name: "critical_fail", kind: SideKind::Boolean, required: false },
    ],
    key: &["evaluation_id"],
};

/// The agent-hours table (`--agent-hours`).
pub const AGENT_HOURS: SideSchema = SideSchema {
    what: "agent hours",
    option: "--agent-hours",
    columns: &[
        SideColumn { name: "agent_id", kind: SideKind::Text, required: true },
        SideColumn { name: "interval_start", kind: SideKind::Timestamp, required: true },
        SideColumn { name: "queue", kind: SideKind::Text, required: false },
        SideColumn { name: "channel", kind: SideKind::Channel, required: false },
        SideColumn { name: "scheduled_s", kind: SideKind::Duration, required: false },
        SideColumn { name: "logged_in_s", kind: SideKind::Duration, required: false },
        SideColumn { name: "productive_s", kind: SideKind::Duration, required: false },
        SideColumn { name: "adherent_s", kind: SideKind::Duration, required: false },
    ],
    key: &["agent_id", "interval_start"],
};

/// Reads a side table through its profile file, if any.
pub fn load(path: &Path, schema: SideSchema, profile: Option<&Path>) -> Result<SideTable, IngestError> {
    let profile = profile.map(|p| SideProfile::load(p, &schema)).transpose()?;
    read(path, schema, profile.as_ref())
}

/// Reads a side table at `path` (with its optional profile), names it `shown` in its
/// reconciliation and rejects, and adds its accounting and rejects to the ingest's, so one
/// reconciliation and one rejects file cover every row a command reads (and the reject limits
/// apply to it too).
pub fn load_into(
    path: &Path,
    shown: &str,
    schema: SideSchema,
    profile: Option<&Path>,
    ingested: &mut super::Ingested,
) -> Result<std::sync::Arc<SideTable>, IngestError> {
    let mut table = load(path, schema, profile)?;
    table.reconciliation.path = shown.to_string();
    for r in &mut table.rejects {
        r.file = shown.to_string();
    }
    let (r, total) = (&table.reconciliation, &mut ingested.reconciliation);
    total.read += r.read;
    total.accepted += r.accepted;
    total.rejected += r.rejected;
    for (reason, n) in &r.rejected_by_reason {
        *total.rejected_by_reason.entry(reason.clone()).or_default() += n;
    }
    total.files.push(r.clone());
    ingested.rejects.extend(table.rejects.iter().cloned());
    Ok(std::sync::Arc::new(table))
}
