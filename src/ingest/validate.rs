//! The row validator: one batch of source rows (as Polars columns) → canonical rows and rejects.
//!
//! Runs inside the streaming sink, so it sees each batch once and keeps only typed values.
//! Checks run in canonical field order and the first failure is the row's reason; cross-field
//! checks (answer/end before arrival, consistency) come after every field has been read, and the
//! duplicate-id check last, when every input is read (first occurrence kept: [`SeenIds`]).
//!
//! Here: the plan (which source column feeds which field) and the row loop. Beside it: reading
//! one field (`field.rs`), the cell and value types (`value.rs`), cross-field derivations
//! (`derive.rs`), rejects (`reject.rs`), duplicate ids (`dedup.rs`), the canonical frame
//! (`frame.rs`) and the column-at-a-time fast path (`columnar.rs`).

mod columnar;
mod dedup;
mod derive;
mod field;
mod frame;
mod reject;
mod value;

pub(crate) use dedup::SeenIds;
use dedup::ID_SEED;
use derive::{derive_times, Disorder};
pub(crate) use frame::empty_canonical;
use frame::{datetime_type, rows_to_frame, Row};
use reject::{record_reject, Fail};
pub use reject::{Reject, RejectKind};
use value::{arr_get, fmt_ms, Owned, Raw, Value, View};

use polars::prelude::*;

use super::parse::{self, DurError, ScoreError, TsError};
use super::profile::{FieldSpec, Profile, Reader, Source, TimestampSpec};
use super::{FileOut, FileReconciliation, ROW};
use crate::schema::{self, Field};
use crate::util::hash64;

/// How a projected source column arrives in a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    Text,
    Bool,
    /// Int64 microseconds since the epoch, UTC (a zoned Parquet timestamp).
    Instant,
    /// Int64 microseconds of a wall-clock time (a naive Parquet timestamp or date).
    Wall,
    /// Int64 milliseconds (a Parquet duration).
    DurMs,
}

/// The projection expression for a source column of the given type.
pub(crate) fn project(name: &str, dtype: &DataType) -> (Expr, Shape) {
    let c = col(name);
    match dtype {
        DataType::String => (c, Shape::Text),
        DataType::Boolean => (c, Shape::Bool),
        DataType::Datetime(_, Some(_)) => (c.dt().timestamp(TimeUnit::Microseconds), Shape::Instant),
        DataType::Datetime(_, None) => (c.dt().timestamp(TimeUnit::Microseconds), Shape::Wall),
        DataType::Date => (
            c.cast(DataType::Datetime(TimeUnit::Microseconds, None)).dt().timestamp(TimeUnit::Microseconds),
            Shape::Wall,
        ),
        DataType::Duration(_) => (c.dt().total_milliseconds(false), Shape::DurMs),
        _ => (c.cast(DataType::String), Shape::Text),
    }
}

/// How rejections name the source column(s) of a field: `a|b` for alternatives, `a+b` for
/// joined columns, `(constant f)` for a constant.
fn source_label(spec: &FieldSpec, field: Field) -> String {
    match &spec.source {
        Source::Columns(cs) => cs.join("|"),
        Source::Joined(cs, _) => cs.join("+"),
        Source::Constant(_) => format!("(constant {field})"),
    }
}

/// The source column(s) of `interaction_id` as rejections name them.
pub(crate) fn id_column_label(profile: &Profile) -> String {
    let field = Field::InteractionId;
    profile.fields.iter().find(|f| f.field == field).map(|spec| source_label(spec, field)).unwrap_or_default()
}

/// One batch after validation, before the duplicate-id check.
#[derive(Default)]
pub(crate) struct BatchOut {
    read: u64,
    excluded: std::collections::BTreeMap<String, u64>,
    /// Accepted rows (canonical frame) in input order.
    rows: Option<DataFrame>,
    /// The id hash of each accepted row, in the same order.
    hashes: Vec<u64>,
    fails: Vec<(u64, Fail)>,
}

/// What the sink accumulates for one file.
pub(crate) struct FileState {
    seen: SeenIds,
    accepted: Vec<DataFrame>,
    rejects: Vec<Reject>,
    recon: FileReconciliation,
}

impl FileState {
    pub(crate) fn new(path: String, seen: SeenIds) -> FileState {
        FileState {
            recon: FileReconciliation { path, ..Default::default() },
            seen,
            accepted: Vec::new(),
            rejects: Vec::new(),
        }
    }

    pub(crate) fn finish(mut self, format: &str) -> (FileOut, SeenIds) {
        self.recon.format = format.to_string();
        // A batch's failures can come column by column (the column checks): list them by line.
        self.rejects.sort_by_key(|r| r.line);
        (
            FileOut { accepted: self.accepted, rejects: self.rejects, reconciliation: self.recon, sha256: None },
            self.seen,
        )
    }
}

/// Everything needed to validate the batches of one file.
pub(crate) struct Plan {
    profile: Profile,
    file_idx: u32,
    parquet: bool,
    /// The projected source columns, in batch order, with their shapes.
    columns: Vec<(String, Shape)>,
    /// Per profile field (in `profile.fields` order): the position in `columns` of each of its
    /// source columns (`None`: not in this file). Resolved once, so a row needs no name lookups.
    field_cols: Vec<Vec<Option<usize>>>,
    /// Per profile field: the position of a timestamp's separate date column.
    date_cols: Vec<Option<usize>>,
    /// Per exclusion rule and condition: the position of the column it tests.
    excl_cols: Vec<Vec<Option<usize>>>,
    /// Fields whose column is absent from this file, by `Field as usize`.
    unmapped: [bool; Field::ALL.len()],
    /// The column-at-a-time plan, when the profile allows it (see [`columnar`]).
    fast: Option<Vec<columnar::FastField>>,
}

impl Plan {
    pub(crate) fn new(profile: &Profile, file_idx: u32, parquet: bool) -> Plan {
        Plan {
            profile: profile.clone(),
            file_idx,
            parquet,
            columns: Vec::new(),
            field_cols: Vec::new(),
            date_cols: Vec::new(),
            excl_cols: Vec::new(),
            fast: None,
            unmapped: [false; Field::ALL.len()],
        }
    }

    /// The field's column is absent from this file (optional columns of the canonical profile).
    pub(crate) fn unmapped(&mut self, field: Field) {
        self.unmapped[field as usize] = true;
    }

    /// Adds a projected column (in the order of the projection) with the shape it arrives in.
    pub(crate) fn shape(&mut self, column: &str, shape: Shape) {
        match self.columns.iter_mut().find(|(c, _)| c == column) {
            Some(entry) => entry.1 = shape,
            None => self.columns.push((column.to_string(), shape)),
        }
    }

    /// Resolves every field's, date's and exclusion's column to its position, and the fast
    /// path, once all columns are known (call after the last [`Plan::shape`]).
    pub(crate) fn resolve(&mut self) {
        let pos = |name: &str| self.columns.iter().position(|(c, _)| c == name);
        self.field_cols =
            self.profile.fields.iter().map(|f| f.source.columns().iter().map(|c| pos(c)).collect()).collect();
        self.date_cols = self
            .profile
            .fields
            .iter()
            .map(|f| match &f.reader {
                Reader::Timestamp(TimestampSpec { date: Some((dc, _)), .. }) => pos(dc),
                _ => None,
            })
            .collect();
        self.excl_cols =
            self.profile.exclusions.iter().map(|ex| ex.when.iter().map(|(c, _)| pos(c)).collect()).collect();
        self.fast = if std::env::var_os("CALLSLA_ROW_VALIDATOR").is_some() { None } else { self.fast_fields() };
    }

    fn mapped(&self, field: Field) -> Option<&FieldSpec> {
        if self.unmapped[field as usize] {
            return None;
        }
        self.profile.fields.iter().find(|f| f.field == field)
    }

    /// Validates one batch on its own (no shared state, so batches can run in parallel):
    /// the accepted rows as a frame, their ids for the duplicate check, and the failures.
    pub(crate) fn validate(&self, df: &DataFrame) -> PolarsResult<BatchOut> {
        // Every column as one Arrow array (rechunked), so a value is one index away.
        let owned: Vec<Owned> = self
            .columns
            .iter()
            .map(|(name, shape)| {
                let c = df.column(name)?;
                Ok(match shape {
                    Shape::Text => Owned::Text(c.str()?.rechunk().into_owned()),
                    Shape::Bool => Owned::Bool(c.bool()?.rechunk().into_owned()),
                    s => Owned::Int(c.i64()?.rechunk().into_owned(), *s),
                })
            })
            .collect::<PolarsResult<_>>()?;
        let views: Vec<View<'_>> = owned
            .iter()
            .map(|o| {
                let view = match o {
                    Owned::Text(ca) => ca.downcast_iter().next().map(View::Text),
                    Owned::Bool(ca) => ca.downcast_iter().next().map(View::Bool),
                    Owned::Int(ca, s) => ca.downcast_iter().next().map(|a| View::Int(a, *s)),
                };
                view.unwrap_or(View::Absent)
            })
            .collect();
        // 1-based lines: the header is line 1 of a CSV file; Parquet rows count from 1.
        let rows_idx = df.column(ROW)?.cast(&DataType::UInt64)?;
        let first = if self.parquet { 1 } else { 2 };
        let lines: Vec<u64> = rows_idx.u64()?.iter().map(|r| r.unwrap_or(0) + first).collect();
        if let Some(fields) = &self.fast {
            return self.validate_columnar(fields, &views, &lines);
        }
        let mut out = BatchOut { read: df.height() as u64, ..Default::default() };
        let mut accepted: Vec<Row<'_>> = Vec::new();
        for (i, &line) in lines.iter().enumerate() {
            if let Some(rule) = self.excluded_by(&views, i) {
                *out.excluded.entry(rule.to_string()).or_default() += 1;
                continue;
            }
            match self.row(&views, i, line) {
                Ok(row) => {
                    out.hashes.push(hash64(row.id.as_bytes(), ID_SEED));
                    accepted.push(row);
                }
                Err(fail) => out.fails.push((line, fail)),
            }
        }
        if !accepted.is_empty() {
            out.rows = Some(rows_to_frame(&accepted, self.file_idx)?);
        }
        Ok(out)
    }

    /// Adds a validated batch to the file's state, in input order, and records its ids for
    /// the duplicate-id check (which runs when every input is read: [`SeenIds::duplicates`]).
    pub(crate) fn absorb(&self, out: BatchOut, st: &mut FileState) -> PolarsResult<()> {
        st.recon.read += out.read;
        for (rule, n) in out.excluded {
            st.recon.excluded += n;
            *st.recon.excluded_by_rule.entry(rule).or_default() += n;
        }
        for (line, fail) in out.fails {
            self.reject(st, line, fail);
        }
        let Some(rows) = out.rows else {
            return Ok(());
        };
        if rows.height() == 0 {
            return Ok(());
        }
        if out.hashes.len() != rows.height() {
            polars_bail!(ComputeError: "internal error: {} id hashes for {} accepted rows", out.hashes.len(), rows.height());
        }
        // Duplicates are found when every input is read (see `SeenIds`); until then the rows
        // count as accepted.
        let ids = rows.column(Field::InteractionId.name())?.str()?.rechunk().into_owned();
        let lines = rows.column(schema::SOURCE_LINE)?.u64()?.rechunk().into_owned();
        st.seen.record(&out.hashes, ids, lines, self.file_idx)?;
        st.recon.accepted += rows.height() as u64;
        st.accepted.push(rows);
        Ok(())
    }

    fn reject(&self, st: &mut FileState, line: u64, f: Fail) {
        record_reject(&mut st.recon, &mut st.rejects, line, f);
    }

    fn excluded_by(&self, views: &[View<'_>], i: usize) -> Option<&str> {
        self.profile
            .exclusions
            .iter()
            .zip(&self.excl_cols)
            .find(|(ex, cols)| {
                ex.when.iter().zip(cols.iter()).all(|((_, values), p)| match p.and_then(|p| views[p].get(i)) {
                    Some(Raw::Text(v)) => values.iter().any(|x| x.trim() == v),
                    Some(other) => {
                        let v = other.show();
                        values.iter().any(|x| x.trim() == v)
                    }
                    None => values.iter().any(|x| x.trim().is_empty()),
                })
            })
            .map(|(ex, _)| ex.rule.as_str())
    }

    fn column_label(&self, field: Field) -> String {
        self.mapped(field).map(|spec| source_label(spec, field)).unwrap_or_default()
    }

    fn is_null(&self, spec: &FieldSpec, s: &str) -> bool {
        s.is_empty()
            || self.profile.source.null_values.iter().any(|n| n == s)
            || spec.null_values.iter().any(|n| n == s)
    }

    /// The field's raw value on row `i`: the constant or the first non-null listed column.
    /// (Joined sources are handled by [`Plan::joined`].)
    fn raw<'a>(&self, spec: &'a FieldSpec, k: usize, views: &[View<'a>], i: usize) -> Option<(Raw<'a>, &'a str)> {
        match &spec.source {
            Source::Constant(v) => Some((Raw::Text(v.as_str()), "")),
            Source::Joined(..) => None,
            Source::Columns(cols) => cols.iter().zip(&self.field_cols[k]).find_map(|(c, p)| {
                let r = views[(*p)?].get(i)?;
                match r {
                    Raw::Text(s) if self.is_null(spec, s) => None,
                    other => Some((other, c.as_str())),
                }
            }),
        }
    }

    /// The joined value of a `join` source, or `None` when any part is null.
    fn joined(&self, spec: &FieldSpec, k: usize, views: &[View<'_>], i: usize) -> Option<String> {
        let Source::Joined(cols, sep) = &spec.source else {
            return None;
        };
        let mut out = String::new();
        for (k, p) in self.field_cols[k].iter().take(cols.len()).enumerate() {
            let v = views[(*p)?].get(i)?.show();
            if self.is_null(spec, &v) {
                return None;
            }
            if k > 0 {
                out.push_str(sep);
            }
            out.push_str(&v);
        }
        Some(out)
    }

    /// The source text a field was read from on row `i`, as the file holds it: the constant,
    /// the first non-null listed column, the joined columns, and for a timestamp with a
    /// separate date column the date and the time separated by a space.
    fn source_text(&self, field: Field, views: &[View<'_>], i: usize) -> String {
        let Some(k) = self.profile.fields.iter().position(|f| f.field == field) else { return String::new() };
        let spec = &self.profile.fields[k];
        let text = match &spec.source {
            Source::Constant(v) => v.clone(),
            Source::Joined(..) => self.joined(spec, k, views, i).unwrap_or_default(),
            Source::Columns(_) => self.raw(spec, k, views, i).map(|(r, _)| r.show()).unwrap_or_default(),
        };
        match self.date_cols.get(k).copied().flatten().and_then(|p| views[p].get(i)) {
            Some(date) if !text.is_empty() => format!("{} {text}", date.show()),
            _ => text,
        }
    }

    /// Reads, derives and checks one row; a failure carries the failing field's source text.
    fn row<'a>(&'a self, views: &[View<'a>], i: usize, line: u64) -> Result<Row<'a>, Fail> {
        self.read_row(views, i, line).map_err(|mut f| {
            if f.source.is_none() && f.kind != RejectKind::DuplicateId {
                f.source = Some(self.source_text(f.field, views, i));
            }
            f
        })
    }

    fn read_row<'a>(&'a self, views: &[View<'a>], i: usize, line: u64) -> Result<Row<'a>, Fail> {
        let mut row = Row { direction: "inbound", line, ..Default::default() };
        let mut answered_flag = None;
        let mut arrived = None;
        for (k, spec) in self.profile.fields.iter().enumerate() {
            if self.unmapped[spec.field as usize] {
                continue;
            }
            let value = self.read_field(spec, k, views, i, arrived)?;
            let field = spec.field;
            let Some(value) = value else {
                if field.required() {
                    return Err(Fail {
                        column: self.column_label(field),
                        field,
                        value: String::new(),
                        kind: RejectKind::MissingValue,
                        message: format!("{field} is required but empty"),
                        source: None,
                    });
                }
                continue;
            };
            match (field, value) {
                (Field::InteractionId, Value::Text(t)) => row.id = t,
                (Field::Channel, Value::Choice(c)) => row.channel = c,
                (Field::Direction, Value::Choice(c)) => row.direction = c,
                (Field::Queue, Value::Text(t)) => row.queue = t,
                (Field::CustomerId, Value::Text(t)) => row.customer = Some(t),
                (Field::AgentId, Value::Text(t)) => row.agent = Some(t),
                (Field::ArrivedAt, Value::Ts(t)) => {
                    row.arrived = t;
                    arrived = Some(t);
                }
                (Field::AnsweredAt, Value::Ts(t)) => row.answered_at = Some(t),
                (Field::EndedAt, Value::Ts(t)) => row.ended_at = Some(t),
                (Field::Answered, Value::Bool(b)) => answered_flag = Some(b),
                (Field::WaitS, Value::Dur(d)) => row.wait = Some(d),
                (Field::TalkS, Value::Dur(d)) => row.talk = Some(d),
                (Field::HoldS, Value::Dur(d)) => row.hold = Some(d),
                (Field::WrapS, Value::Dur(d)) => row.wrap = Some(d),
                (Field::Resolved, Value::Bool(b)) => row.resolved = Some(b),
                (Field::Csat, Value::Score(s)) => row.csat = Some(s),
                (Field::Campaign, Value::Text(t)) => row.campaign = Some(t),
                (Field::Disposition, Value::Choice(c)) => row.disposition = Some(c),
                (Field::PartyZone, Value::Text(t)) => row.party_zone = Some(t),
                (Field::NumberHash, Value::Text(t)) => row.number_hash = Some(t),
                (field, _) => {
                    return Err(Fail {
                        column: self.column_label(field),
                        field,
                        value: String::new(),
                        kind: RejectKind::Inconsistent,
                        message: format!("internal error: {field} read as the wrong kind; please report this bug"),
                        source: None,
                    })
                }
            }
        }
        self.derive_and_check(&mut row, answered_flag)?;
        Ok(row)
    }

    fn derive_and_check(&self, row: &mut Row<'_>, answered_flag: Option<bool>) -> Result<(), Fail> {
        let tol_us = self.profile.source.order_tolerance_ms * 1000;
        let (arrived, ended_at) = (row.arrived, row.ended_at);
        let fault = match derive_times(arrived, answered_flag, &mut row.answered_at, ended_at, &mut row.wait, tol_us) {
            Ok(answered) => {
                row.answered = answered;
                return Ok(());
            }
            Err(fault) => fault,
        };
        let show_ts = |us: i64| {
            chrono::DateTime::from_timestamp_micros(us)
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
                .unwrap_or_default()
        };
        let (field, kind, value, message) = match fault {
            Disorder::AnswerTimeButNotAnswered => (
                Field::Answered,
                RejectKind::Inconsistent,
                "false".to_string(),
                "the row says not answered but has an answered_at time".to_string(),
            ),
            Disorder::AnswerBeforeArrival(ans) => (
                Field::AnsweredAt,
                RejectKind::AnswerBeforeArrival,
                show_ts(ans),
                format!("answered_at {} is before arrived_at {}", show_ts(ans), show_ts(arrived)),
            ),
            Disorder::EndBeforeArrival(end) => (
                Field::EndedAt,
                RejectKind::EndBeforeArrival,
                show_ts(end),
                format!("ended_at {} is before arrived_at {}", show_ts(end), show_ts(arrived)),
            ),
            Disorder::EndBeforeAnswer(end, ans) => (
                Field::EndedAt,
                RejectKind::EndBeforeAnswer,
                show_ts(end),
                format!("ended_at {} is before answered_at {}", show_ts(end), show_ts(ans)),
            ),
            Disorder::NoAnswerTime => (
                Field::AnsweredAt,
                RejectKind::MissingValue,
                String::new(),
                "an answered contact needs answered_at or wait_s".to_string(),
            ),
        };
        Err(Fail { column: self.column_label(field), field, value, kind, message, source: None })
    }
}
