//! The row validator: one batch of source rows (as Polars columns) → canonical rows and rejects.
//!
//! Runs inside the streaming sink, so it sees each batch once and keeps only typed values.
//! Checks run in canonical field order and the first failure is the row's reason; cross-field
//! checks (answer/end before arrival, consistency) come after every field has been read, and the
//! duplicate-id check last (first occurrence kept).

mod columnar;

use std::borrow::Cow;

use polars::prelude::*;
use polars_arrow::array::{Array as _, BooleanArray, PrimitiveArray};
use serde::Serialize;

use super::parse::{self, DurError, ScoreError, TsError};
use super::profile::{FieldSpec, Profile, Reader, Source, TimestampSpec};
use super::{FileOut, FileReconciliation, ROW};
use crate::schema::{self, Field};
use crate::util::hash64;

/// Why a row was rejected. The code (snake_case) is what rejects files and summaries show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectKind {
    MissingValue,
    UnreadableTimestamp,
    NoUtcOffset,
    DstGap,
    DstAmbiguous,
    UnreadableNumber,
    NegativeDuration,
    DurationTooLong,
    UnreadableBoolean,
    CsatOutOfScale,
    UnknownChannel,
    UnknownDirection,
    AnswerBeforeArrival,
    EndBeforeArrival,
    EndBeforeAnswer,
    Inconsistent,
    DuplicateId,
}

impl RejectKind {
    pub const ALL: [RejectKind; 17] = [
        RejectKind::MissingValue,
        RejectKind::UnreadableTimestamp,
        RejectKind::NoUtcOffset,
        RejectKind::DstGap,
        RejectKind::DstAmbiguous,
        RejectKind::UnreadableNumber,
        RejectKind::NegativeDuration,
        RejectKind::DurationTooLong,
        RejectKind::UnreadableBoolean,
        RejectKind::CsatOutOfScale,
        RejectKind::UnknownChannel,
        RejectKind::UnknownDirection,
        RejectKind::AnswerBeforeArrival,
        RejectKind::EndBeforeArrival,
        RejectKind::EndBeforeAnswer,
        RejectKind::Inconsistent,
        RejectKind::DuplicateId,
    ];

    pub fn code(self) -> &'static str {
        match self {
            RejectKind::MissingValue => "missing_value",
            RejectKind::UnreadableTimestamp => "unreadable_timestamp",
            RejectKind::NoUtcOffset => "no_utc_offset",
            RejectKind::DstGap => "dst_gap",
            RejectKind::DstAmbiguous => "dst_ambiguous",
            RejectKind::UnreadableNumber => "unreadable_number",
            RejectKind::NegativeDuration => "negative_duration",
            RejectKind::DurationTooLong => "duration_too_long",
            RejectKind::UnreadableBoolean => "unreadable_boolean",
            RejectKind::CsatOutOfScale => "csat_out_of_scale",
            RejectKind::UnknownChannel => "unknown_channel",
            RejectKind::UnknownDirection => "unknown_direction",
            RejectKind::AnswerBeforeArrival => "answer_before_arrival",
            RejectKind::EndBeforeArrival => "end_before_arrival",
            RejectKind::EndBeforeAnswer => "end_before_answer",
            RejectKind::Inconsistent => "inconsistent",
            RejectKind::DuplicateId => "duplicate_id",
        }
    }
}

/// One rejected source row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reject {
    pub file: String,
    /// 1-based line in a CSV file (the header is line 1); 1-based row number in a Parquet file.
    pub line: u64,
    /// The source column(s) the value came from.
    pub column: String,
    /// The canonical field being read.
    pub field: String,
    pub value: String,
    pub kind: RejectKind,
    pub message: String,
}

/// How a projected source column arrives in a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
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
pub fn project(name: &str, dtype: &DataType) -> (Expr, Shape) {
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

/// Interaction ids seen so far, across all inputs: an open-addressing table of 8-byte slots,
/// each the top 32 bits of the id's 64-bit hash (the tag) and the id's position among the rows
/// accepted so far. A tag match is confirmed by comparing the ids themselves, so the check is
/// exact; different ids with the same tag simply take different slots. About 13 bytes an id at
/// the table's fill (at most 3/4), instead of keeping the ids twice.
#[derive(Default)]
pub struct SeenIds {
    /// `(tag << 32) | (position + 1)`; 0 is an empty slot. Length a power of two (or 0).
    slots: Vec<u64>,
    len: usize,
    /// The batches positions point into, in order of their first position.
    batches: Vec<SeenBatch>,
    next: u64,
}

struct SeenBatch {
    start: u64,
    ids: StringChunked,
    lines: UInt64Chunked,
    file: u32,
}

impl SeenIds {
    /// Room for about `n` ids, so the table does not grow while they arrive.
    pub fn reserve(&mut self, n: usize) {
        let want = (n.saturating_mul(4) / 3).max(16).next_power_of_two();
        if want > self.slots.len() {
            self.resize(want);
        }
    }

    #[expect(clippy::slow_vector_initialization, reason = "zeroed by writing on purpose: see below")]
    fn resize(&mut self, capacity: usize) {
        // Zeroed by writing, not `vec![0; n]`: a calloc'd table is mapped to the shared zero
        // page, and the first write after a probe read of each page then faults again and
        // flushes the TLB on every core (measured: ~7 % of a 10M-row Parquet ingest).
        let mut fresh = Vec::with_capacity(capacity);
        fresh.resize(capacity, 0);
        let old = std::mem::replace(&mut self.slots, fresh);
        let mask = capacity - 1;
        for slot in old.into_iter().filter(|s| *s != 0) {
            let mut i = Self::home(slot >> 32, mask);
            while self.slots[i] != 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = slot;
        }
    }

    /// The first slot to probe for a tag (the tag's bits mixed, so sequential tags spread).
    fn home(tag: u64, mask: usize) -> usize {
        (tag.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 16) as usize & mask
    }

    /// The id, file and line at a position.
    fn at(&self, pos: u64) -> Option<(&str, u32, u64)> {
        let b = self.batches.partition_point(|b| b.start <= pos).checked_sub(1)?;
        let batch = &self.batches[b];
        let k = usize::try_from(pos - batch.start).ok()?;
        Some((batch.ids.get(k)?, batch.file, batch.lines.get(k)?))
    }

    /// Where `id` (with hash `h`) was first seen, as (file, line); when it was not seen, it is
    /// recorded at `pos` and the result is `None`. Usually one cache line per id.
    fn first_or_insert(&mut self, h: u64, id: &str, pos: u64) -> PolarsResult<Option<(u32, u64)>> {
        if pos >= u64::from(u32::MAX) - 1 {
            polars_bail!(ComputeError: "more than 4 billion contacts in one run; split the input");
        }
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.resize((self.slots.len() * 2).max(16));
        }
        let tag = h >> 32;
        let mask = self.slots.len() - 1;
        let mut i = Self::home(tag, mask);
        loop {
            let slot = self.slots[i];
            if slot == 0 {
                self.slots[i] = (tag << 32) | (pos + 1);
                self.len += 1;
                return Ok(None);
            }
            if slot >> 32 == tag {
                if let Some((seen, file, line)) = self.at((slot & 0xffff_ffff) - 1) {
                    if seen == id {
                        return Ok(Some((file, line)));
                    }
                }
            }
            i = (i + 1) & mask;
        }
    }
}

const ID_SEED: u64 = 0x243f_6a88_85a3_08d3;

/// One batch after validation, before the duplicate-id check.
#[derive(Default)]
pub struct BatchOut {
    read: u64,
    excluded: std::collections::BTreeMap<String, u64>,
    /// Accepted rows (canonical frame) in input order.
    rows: Option<DataFrame>,
    /// The id hash of each accepted row, in the same order.
    hashes: Vec<u64>,
    fails: Vec<(u64, Fail)>,
}

/// What the sink accumulates for one file.
pub struct FileState {
    path: String,
    seen: SeenIds,
    accepted: Vec<DataFrame>,
    rejects: Vec<Reject>,
    recon: FileReconciliation,
}

impl FileState {
    pub fn new(path: String, seen: SeenIds) -> FileState {
        FileState {
            recon: FileReconciliation { path: path.clone(), ..Default::default() },
            path,
            seen,
            accepted: Vec::new(),
            rejects: Vec::new(),
        }
    }

    pub fn finish(mut self, format: &str) -> (FileOut, SeenIds) {
        self.recon.format = format.to_string();
        // Validation failures and duplicates are found in two passes: report them by line.
        self.rejects.sort_by_key(|r| r.line);
        (
            FileOut { accepted: self.accepted, rejects: self.rejects, reconciliation: self.recon, sha256: None },
            self.seen,
        )
    }
}

/// Everything needed to validate the batches of one file.
pub struct Plan {
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

/// A source value as the validator sees it.
#[derive(Debug, Clone, Copy)]
enum Raw<'a> {
    Text(&'a str),
    Bool(bool),
    Instant(i64),
    Wall(i64),
    DurMs(i64),
}

impl Raw<'_> {
    fn show(&self) -> String {
        match self {
            Raw::Text(s) => (*s).to_string(),
            Raw::Bool(b) => b.to_string(),
            Raw::Instant(us) | Raw::Wall(us) => us.to_string(),
            Raw::DurMs(ms) => ms.to_string(),
        }
    }
}

/// Value `i` of an Arrow array, `None` when null or out of range.
fn arr_get<A: polars_arrow::array::Array + ?Sized, T>(arr: &A, i: usize, value: impl Fn(&A, usize) -> T) -> Option<T> {
    (i < arr.len() && arr.is_valid(i)).then(|| value(arr, i))
}

/// A column of the current batch as one owned array, by shape (what a [`View`] borrows).
enum Owned {
    Text(StringChunked),
    Bool(BooleanChunked),
    Int(Int64Chunked, Shape),
}

/// A column of the current batch, by shape.
enum View<'a> {
    /// The batch's single Arrow string array (rechunked), read by index without a chunk search.
    Text(&'a <StringType as PolarsDataType>::Array),
    Bool(&'a BooleanArray),
    Int(&'a PrimitiveArray<i64>, Shape),
    /// A text column with no chunk (an empty batch).
    Absent,
}

impl<'a> View<'a> {
    fn get(&self, i: usize) -> Option<Raw<'a>> {
        match self {
            View::Text(arr) => {
                if i >= arr.len() || !arr.is_valid(i) {
                    None
                } else {
                    Some(Raw::Text(arr.value(i).trim()))
                }
            }
            View::Bool(arr) => arr_get(*arr, i, |a, i| a.value(i)).map(Raw::Bool),
            View::Int(arr, shape) => arr_get(*arr, i, |a, i| a.value(i)).map(|v| match shape {
                Shape::Instant => Raw::Instant(v),
                Shape::Wall => Raw::Wall(v),
                _ => Raw::DurMs(v),
            }),
            View::Absent => None,
        }
    }
}

/// A parsed canonical value.
#[derive(Debug, Clone)]
enum Value<'a> {
    Text(Cow<'a, str>),
    Choice(&'static str),
    Ts(i64),
    Dur(i64),
    Bool(bool),
    Score(i64),
}

impl Value<'_> {
    fn into_owned(self) -> Value<'static> {
        match self {
            Value::Text(t) => Value::Text(Cow::Owned(t.into_owned())),
            Value::Choice(c) => Value::Choice(c),
            Value::Ts(t) => Value::Ts(t),
            Value::Dur(d) => Value::Dur(d),
            Value::Bool(b) => Value::Bool(b),
            Value::Score(s) => Value::Score(s),
        }
    }
}

/// A rejection in the making: which column and value, and why.
struct Fail {
    column: String,
    field: Field,
    value: String,
    kind: RejectKind,
    message: String,
}

/// One accepted canonical row.
#[derive(Default)]
struct Row<'a> {
    id: Cow<'a, str>,
    channel: &'static str,
    direction: &'static str,
    queue: Cow<'a, str>,
    customer: Option<Cow<'a, str>>,
    agent: Option<Cow<'a, str>>,
    arrived: i64,
    answered_at: Option<i64>,
    ended_at: Option<i64>,
    answered: bool,
    wait: Option<i64>,
    talk: Option<i64>,
    hold: Option<i64>,
    wrap: Option<i64>,
    resolved: Option<bool>,
    csat: Option<i64>,
    line: u64,
}

fn datetime_type() -> DataType {
    DataType::Datetime(TimeUnit::Microseconds, Some(polars::prelude::TimeZone::UTC))
}

/// The canonical frame's columns and types, in order.
pub fn canonical_schema() -> PolarsResult<Vec<(&'static str, DataType)>> {
    let dur = DataType::Duration(TimeUnit::Milliseconds);
    Ok(vec![
        (Field::InteractionId.name(), DataType::String),
        (Field::Channel.name(), schema::choice_dtype(schema::CHANNELS)?),
        (Field::Direction.name(), schema::choice_dtype(schema::DIRECTIONS)?),
        (Field::Queue.name(), schema::names_dtype()),
        (Field::CustomerId.name(), DataType::String),
        (Field::AgentId.name(), schema::names_dtype()),
        (Field::ArrivedAt.name(), datetime_type()),
        (Field::AnsweredAt.name(), datetime_type()),
        (Field::EndedAt.name(), datetime_type()),
        (Field::Answered.name(), DataType::Boolean),
        (Field::WaitS.name(), dur.clone()),
        (Field::TalkS.name(), dur.clone()),
        (Field::HoldS.name(), dur.clone()),
        (Field::WrapS.name(), dur),
        (Field::Resolved.name(), DataType::Boolean),
        (Field::Csat.name(), DataType::Int32),
        (schema::SOURCE_FILE, DataType::UInt32),
        (schema::SOURCE_LINE, DataType::UInt64),
    ])
}

/// A canonical frame with no rows.
pub fn empty_canonical() -> PolarsResult<DataFrame> {
    let cols = canonical_schema()?.into_iter().map(|(n, t)| Column::new_empty(n.into(), &t)).collect();
    DataFrame::new(0, cols)
}

fn rows_to_frame(rows: &[Row<'_>], file_idx: u32) -> PolarsResult<DataFrame> {
    let n = rows.len();
    let text = |name: &str, f: &dyn for<'r> Fn(&'r Row<'r>) -> Option<&'r str>| -> Column {
        Column::new(name.into(), rows.iter().map(f).collect::<Vec<_>>())
    };
    let ts = |name: &str, f: &dyn Fn(&Row<'_>) -> Option<i64>| -> PolarsResult<Column> {
        Column::new(name.into(), rows.iter().map(f).collect::<Vec<_>>()).cast(&datetime_type())
    };
    let dur = |name: &str, f: &dyn Fn(&Row<'_>) -> Option<i64>| -> PolarsResult<Column> {
        Column::new(name.into(), rows.iter().map(f).collect::<Vec<_>>())
            .cast(&DataType::Duration(TimeUnit::Milliseconds))
    };
    let cols = vec![
        text(Field::InteractionId.name(), &|r| Some(&r.id)),
        schema::choice_column_of(Field::Channel.name(), schema::CHANNELS, rows.iter().map(|r| r.channel))?,
        schema::choice_column_of(Field::Direction.name(), schema::DIRECTIONS, rows.iter().map(|r| r.direction))?,
        schema::names_column(text(Field::Queue.name(), &|r| Some(&r.queue)).str()?)?,
        text(Field::CustomerId.name(), &|r| r.customer.as_deref()),
        schema::names_column(text(Field::AgentId.name(), &|r| r.agent.as_deref()).str()?)?,
        ts(Field::ArrivedAt.name(), &|r| Some(r.arrived))?,
        ts(Field::AnsweredAt.name(), &|r| r.answered_at)?,
        ts(Field::EndedAt.name(), &|r| r.ended_at)?,
        Column::new(Field::Answered.name().into(), rows.iter().map(|r| r.answered).collect::<Vec<_>>()),
        dur(Field::WaitS.name(), &|r| r.wait)?,
        dur(Field::TalkS.name(), &|r| r.talk)?,
        dur(Field::HoldS.name(), &|r| r.hold)?,
        dur(Field::WrapS.name(), &|r| r.wrap)?,
        Column::new(Field::Resolved.name().into(), rows.iter().map(|r| r.resolved).collect::<Vec<_>>()),
        Column::new(
            Field::Csat.name().into(),
            rows.iter().map(|r| r.csat.and_then(|c| i32::try_from(c).ok())).collect::<Vec<_>>(),
        ),
        Column::new(schema::SOURCE_FILE.into(), vec![file_idx; n]),
        Column::new(schema::SOURCE_LINE.into(), rows.iter().map(|r| r.line).collect::<Vec<_>>()),
    ];
    DataFrame::new(n, cols)
}

fn fmt_ms(ms: i64) -> String {
    if ms % 1000 == 0 {
        format!("{} s", ms / 1000)
    } else {
        format!("{}.{:03} s", ms / 1000, ms % 1000)
    }
}

impl Plan {
    pub fn new(profile: &Profile, file_idx: u32, parquet: bool) -> Plan {
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
    pub fn unmapped(&mut self, field: Field) {
        self.unmapped[field as usize] = true;
    }

    /// Adds a projected column (in the order of the projection) with the shape it arrives in.
    pub fn shape(&mut self, column: &str, shape: Shape) {
        match self.columns.iter_mut().find(|(c, _)| c == column) {
            Some(entry) => entry.1 = shape,
            None => self.columns.push((column.to_string(), shape)),
        }
    }

    /// Resolves every field's, date's and exclusion's column to its position, and the fast
    /// path, once all columns are known (call after the last [`Plan::shape`]).
    pub fn resolve(&mut self) {
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
    pub fn validate(&self, df: &DataFrame) -> PolarsResult<BatchOut> {
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

    /// Adds a validated batch to the file's state, in input order: the duplicate-id check
    /// (first occurrence kept) happens here.
    pub fn absorb(&self, out: BatchOut, st: &mut FileState) -> PolarsResult<()> {
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
        let ids = rows.column(Field::InteractionId.name())?.str()?.rechunk().into_owned();
        let lines = rows.column(schema::SOURCE_LINE)?.u64()?.rechunk().into_owned();
        let start = st.seen.next;
        st.seen.batches.push(SeenBatch { start, ids: ids.clone(), lines: lines.clone(), file: self.file_idx });
        st.seen.next += rows.height() as u64;
        let (Some(id_arr), Some(line_arr)) = (ids.downcast_iter().next(), lines.cont_slice().ok()) else {
            return Ok(());
        };
        if out.hashes.len() != rows.height() || id_arr.len() != rows.height() {
            polars_bail!(ComputeError: "internal error: {} id hashes for {} accepted rows", out.hashes.len(), rows.height());
        }
        let mut keep = Vec::with_capacity(out.hashes.len());
        let mut dropped = false;
        for (k, h) in out.hashes.iter().enumerate() {
            let id = id_arr.value(k);
            let line = line_arr.get(k).copied().unwrap_or(0);
            if let Some((f, l)) = st.seen.first_or_insert(*h, id, start + k as u64)? {
                let where_ =
                    if f == self.file_idx { format!("line {l}") } else { format!("line {l} of input file #{}", f + 1) };
                let id = id.to_string();
                let fail = Fail {
                    column: self.column_label(Field::InteractionId),
                    field: Field::InteractionId,
                    value: id.clone(),
                    kind: RejectKind::DuplicateId,
                    message: format!("interaction_id \"{id}\" already seen at {where_}; the first occurrence is kept"),
                };
                self.reject(st, line, fail);
                keep.push(false);
                dropped = true;
            } else {
                st.recon.accepted += 1;
                keep.push(true);
            }
        }
        let rows = if dropped { rows.filter(&BooleanChunked::from_slice("keep".into(), &keep))? } else { rows };
        if rows.height() > 0 {
            st.accepted.push(rows);
        }
        Ok(())
    }

    fn reject(&self, st: &mut FileState, line: u64, f: Fail) {
        st.recon.rejected += 1;
        *st.recon.rejected_by_reason.entry(f.kind.code().to_string()).or_default() += 1;
        st.rejects.push(Reject {
            file: st.path.clone(),
            line,
            column: f.column,
            field: f.field.name().to_string(),
            value: f.value,
            kind: f.kind,
            message: f.message,
        });
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
        match self.mapped(field).map(|s| &s.source) {
            Some(Source::Columns(cs)) => cs.join("|"),
            Some(Source::Joined(cs, _)) => cs.join("+"),
            Some(Source::Constant(_)) => format!("(constant {field})"),
            None => String::new(),
        }
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

    fn read_field<'a>(
        &self,
        spec: &'a FieldSpec,
        k: usize,
        views: &[View<'a>],
        i: usize,
        arrived: Option<i64>,
    ) -> Result<Option<Value<'a>>, Fail> {
        if let Source::Joined(cols, _) = &spec.source {
            let Some(s) = self.joined(spec, k, views, i) else {
                return Ok(None);
            };
            let s = spec.map.get(&s).cloned().unwrap_or(s);
            let label = cols.join("+");
            return match &spec.reader {
                Reader::Text => Ok(Some(Value::Text(Cow::Owned(s)))),
                _ => self.read_value(spec, k, Raw::Text(&s), &label, (views, i), arrived).map(|v| Some(v.into_owned())),
            };
        }
        let Some((raw, column)) = self.raw(spec, k, views, i) else {
            return Ok(None);
        };
        let column = if column.is_empty() { format!("(constant {})", spec.field) } else { column.to_string() };
        self.read_value(spec, k, raw, &column, (views, i), arrived).map(Some)
    }

    fn read_value<'b>(
        &self,
        spec: &'b FieldSpec,
        k: usize,
        raw: Raw<'b>,
        column_label: &str,
        (views, i): (&[View<'_>], usize),
        arrived: Option<i64>,
    ) -> Result<Value<'b>, Fail> {
        let field = spec.field;
        let raw = match raw {
            Raw::Text(s) => Raw::Text(spec.map.get(s).map_or(s, String::as_str)),
            other => other,
        };
        let fail = |kind: RejectKind, value: String, message: String| Fail {
            column: column_label.to_string(),
            field,
            value,
            kind,
            message,
        };
        let src = &self.profile.source;
        let value = match (&spec.reader, raw) {
            (Reader::Text, Raw::Text(s)) => Value::Text(Cow::Borrowed(s)),
            (Reader::Text, other) => Value::Text(Cow::Owned(other.show())),
            (Reader::Choice(choices), r) => {
                let s: Cow<'_, str> = match r {
                    Raw::Text(t) => Cow::Borrowed(t),
                    other => Cow::Owned(other.show()),
                };
                match choices.iter().find(|c| c.eq_ignore_ascii_case(&s)) {
                    Some(c) => Value::Choice(c),
                    None => {
                        let kind = if field == Field::Channel { RejectKind::UnknownChannel } else { RejectKind::UnknownDirection };
                        return Err(fail(kind, s.to_string(), format!("{field} \"{s}\" is not one of {}; map it in the profile's [fields.{field}] map", choices.join(", "))));
                    }
                }
            }
            (Reader::Timestamp(ts), r) => Value::Ts(self.read_timestamp(ts, self.date_cols[k], r, views, i, arrived).map_err(|(kind, value, message)| fail(kind, value, message))?),
            (Reader::Duration(unit), r) => {
                let ms = match r {
                    Raw::Text(s) => parse::duration_ms(s, *unit),
                    Raw::DurMs(ms) if ms < 0 => Err(DurError::Negative),
                    Raw::DurMs(ms) => Ok(ms),
                    _ => Err(DurError::Unreadable),
                };
                let (max, key) = if field == Field::WaitS { (src.max_wait_ms, "max_wait_s") } else { (src.max_duration_ms, "max_duration_s") };
                match ms {
                    Ok(ms) if ms > max => {
                        return Err(fail(
                            RejectKind::DurationTooLong,
                            r.show(),
                            format!("{field} of {} is longer than the profile's {key} ({})", fmt_ms(ms), fmt_ms(max)),
                        ))
                    }
                    Ok(ms) => Value::Dur(ms),
                    Err(DurError::Negative) => return Err(fail(RejectKind::NegativeDuration, r.show(), format!("{field} \"{}\" is negative", r.show()))),
                    Err(DurError::Unreadable) => {
                        return Err(fail(
                            RejectKind::UnreadableNumber,
                            r.show(),
                            format!("cannot read \"{}\" as a duration (expected seconds such as 109 or 109.5, or H:MM:SS; unit {unit:?})", r.show()),
                        ))
                    }
                }
            }
            (Reader::Boolean { true_values, false_values }, r) => match r {
                Raw::Bool(b) => Value::Bool(b),
                Raw::Text(s) if true_values.iter().any(|t| t == s) => Value::Bool(true),
                Raw::Text(s) if false_values.iter().any(|t| t == s) => Value::Bool(false),
                Raw::Text(s) => match parse::boolean(s) {
                    Some(b) => Value::Bool(b),
                    None => {
                        return Err(fail(
                            RejectKind::UnreadableBoolean,
                            s.to_string(),
                            format!("cannot read \"{s}\" as {field} (expected Y/N, true/false or 1/0, or the profile's true_values/false_values)"),
                        ))
                    }
                },
                other => return Err(fail(RejectKind::UnreadableBoolean, other.show(), format!("cannot read {} as a boolean", other.show()))),
            },
            (Reader::Score, r) => {
                let s: Cow<'_, str> = match r {
                    Raw::Text(t) => Cow::Borrowed(t),
                    other => Cow::Owned(other.show()),
                };
                let (lo, hi) = src.csat_scale;
                match parse::score(&s) {
                    Ok(v) if v < lo || v > hi => {
                        return Err(fail(RejectKind::CsatOutOfScale, s.to_string(), format!("{field} {v} is outside the profile's scale {lo}..{hi}")))
                    }
                    Ok(v) => Value::Score(v),
                    Err(ScoreError::NotWhole) => {
                        return Err(fail(RejectKind::UnreadableNumber, s.to_string(), format!("{field} \"{s}\" is not a whole number on the scale {lo}..{hi}")))
                    }
                    Err(ScoreError::Unreadable) => return Err(fail(RejectKind::UnreadableNumber, s.to_string(), format!("cannot read \"{s}\" as a {field} score"))),
                }
            }
        };
        Ok(value)
    }

    fn read_timestamp(
        &self,
        ts: &TimestampSpec,
        date_pos: Option<usize>,
        raw: Raw<'_>,
        views: &[View<'_>],
        i: usize,
        arrived: Option<i64>,
    ) -> Result<i64, (RejectKind, String, String)> {
        let (result, shown) = match raw {
            Raw::Instant(us) => (Ok(us), raw.show()),
            Raw::Wall(us) => {
                let days = us.div_euclid(86_400_000_000);
                let rem = us.rem_euclid(86_400_000_000);
                let secs = u32::try_from(rem / 1_000_000).unwrap_or(0);
                let micros = u32::try_from(rem % 1_000_000).unwrap_or(0);
                let wall = parse::wall_from_parts(days, (secs, micros));
                let r = match ts.zone {
                    Some((tz, rule)) => parse::localize(wall, tz, rule),
                    None => Err(TsError::NoOffset),
                };
                (r, raw.show())
            }
            Raw::Text(s) => match (&ts.date, &ts.pattern) {
                (Some((_, date_fmt)), pattern) => {
                    let time_fmt = pattern.as_deref().unwrap_or("%H:%M:%S");
                    let date_raw = date_pos.and_then(|p| views[p].get(i)).map(|r| r.show()).unwrap_or_default();
                    let shown = format!("{date_raw} {s}");
                    let r = match (parse::date_with_pattern(&date_raw, date_fmt), parse::time_with_pattern(s, time_fmt))
                    {
                        (Some(days), Some(t)) => match ts.zone {
                            Some((tz, rule)) => parse::localize(parse::wall_from_parts(days, t), tz, rule),
                            None => Err(TsError::NoOffset),
                        },
                        _ => Err(TsError::Unreadable),
                    };
                    (r, shown)
                }
                (None, None) => (parse::rfc3339(s, ts.zone), s.to_string()),
                (None, Some(p)) => (parse::with_pattern(s, p, ts.zone), s.to_string()),
            },
            other => (Err(TsError::Unreadable), other.show()),
        };
        let expected = match (&ts.date, &ts.pattern) {
            (Some((_, df)), p) => {
                format!("the profile's date format \"{df}\" and time format \"{}\"", p.as_deref().unwrap_or("%H:%M:%S"))
            }
            (None, Some(p)) => format!("the profile's format \"{p}\""),
            (None, None) => "RFC 3339 such as 2026-10-01T09:00:00-04:00".to_string(),
        };
        let zone = ts.zone.map(|(z, _)| z.name().to_string()).unwrap_or_default();
        match result {
            Ok(mut us) => {
                // A time of day more than 12 h before arrival is on the next day (docs/profiles.md).
                if let (true, Some(arr)) = (ts.next_day_if_before_arrival, arrived) {
                    if us < arr - 43_200_000_000 {
                        us += 86_400_000_000;
                    }
                }
                Ok(us)
            }
            Err(TsError::Unreadable) => Err((RejectKind::UnreadableTimestamp, shown.clone(), format!("cannot read \"{shown}\" as a timestamp (expected {expected})"))),
            Err(TsError::NoOffset) => Err((
                RejectKind::NoUtcOffset,
                shown.clone(),
                format!("timestamp \"{shown}\" has no UTC offset and the profile names no time zone; add an offset or set source.time_zone"),
            )),
            Err(TsError::DstGap) => Err((
                RejectKind::DstGap,
                shown.clone(),
                format!("local time \"{shown}\" does not exist in {zone} (clocks went forward); the source clock is wrong or not in {zone}"),
            )),
            Err(TsError::DstAmbiguous) => Err((
                RejectKind::DstAmbiguous,
                shown.clone(),
                format!("local time \"{shown}\" occurs twice in {zone} (clocks went back) and source.dst_ambiguous is \"reject\""),
            )),
        }
    }

    /// Reads, derives and checks one row.
    fn row<'a>(&'a self, views: &[View<'a>], i: usize, line: u64) -> Result<Row<'a>, Fail> {
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
                (field, _) => {
                    return Err(Fail {
                        column: self.column_label(field),
                        field,
                        value: String::new(),
                        kind: RejectKind::Inconsistent,
                        message: format!("internal error: {field} read as the wrong kind; please report this bug"),
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
        Err(Fail { column: self.column_label(field), field, value, kind, message })
    }
}

/// The first cross-field check a row's times fail.
enum Disorder {
    AnswerTimeButNotAnswered,
    AnswerBeforeArrival(i64),
    EndBeforeArrival(i64),
    /// (ended_at, answered_at)
    EndBeforeAnswer(i64, i64),
    NoAnswerTime,
}

/// The cross-field checks and derivations (docs/schema.md), shared by the row validator and the
/// column-at-a-time path: whether the contact was answered (the flag, else an answer time),
/// answer and end not before arrival nor end before answer (within `tol_us`), then the wait
/// derived from the timestamps when missing and the answer time from the wait.
fn derive_times(
    arrived: i64,
    answered_flag: Option<bool>,
    answered_at: &mut Option<i64>,
    ended_at: Option<i64>,
    wait: &mut Option<i64>,
    tol_us: i64,
) -> Result<bool, Disorder> {
    let answered = answered_flag.unwrap_or(answered_at.is_some());
    if !answered && answered_at.is_some() {
        return Err(Disorder::AnswerTimeButNotAnswered);
    }
    if let Some(ans) = *answered_at {
        if ans < arrived - tol_us {
            return Err(Disorder::AnswerBeforeArrival(ans));
        }
    }
    if let Some(end) = ended_at {
        if end < arrived - tol_us {
            return Err(Disorder::EndBeforeArrival(end));
        }
        if let Some(ans) = *answered_at {
            if end < ans - tol_us {
                return Err(Disorder::EndBeforeAnswer(end, ans));
            }
        }
    }
    if wait.is_none() {
        *wait = match (answered, *answered_at, ended_at) {
            (true, Some(ans), _) => Some(((ans - arrived) / 1000).max(0)),
            (false, _, Some(end)) => Some(((end - arrived) / 1000).max(0)),
            _ => None,
        };
    }
    if answered && answered_at.is_none() {
        match *wait {
            Some(w) => *answered_at = Some(arrived + w * 1000),
            None => return Err(Disorder::NoAnswerTime),
        }
    }
    Ok(answered)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_collision_between_different_ids_is_not_a_duplicate() {
        let mut seen = SeenIds::default();
        seen.batches.push(SeenBatch {
            start: 0,
            ids: StringChunked::from_slice("id".into(), &["A", "B"]),
            lines: UInt64Chunked::from_slice("line".into(), &[2, 3]),
            file: 0,
        });
        seen.next = 2;
        // Both ids given the same hash: only the id itself decides.
        let h = 7 << 32;
        assert_eq!(seen.first_or_insert(h, "A", 0).ok(), Some(None));
        assert_eq!(seen.first_or_insert(h, "A", 5).ok(), Some(Some((0, 2))));
        assert_eq!(seen.first_or_insert(h, "B", 1).ok(), Some(None), "a collision, not a duplicate");
        assert_eq!(seen.first_or_insert(h, "B", 6).ok(), Some(Some((0, 3))));
        assert_eq!(seen.first_or_insert(h, "A", 7).ok(), Some(Some((0, 2))));
        assert_eq!(seen.first_or_insert(8 << 32, "A", 8).ok(), Some(None));
    }

    #[test]
    fn the_id_table_grows_and_finds_every_id() {
        let ids: Vec<String> = (0..5000).map(|i| format!("I{i}")).collect();
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let lines: Vec<u64> = (0..5000).map(|i| i + 2).collect();
        let mut seen = SeenIds::default();
        seen.batches.push(SeenBatch {
            start: 0,
            ids: StringChunked::from_slice("id".into(), &refs),
            lines: UInt64Chunked::from_slice("line".into(), &lines),
            file: 0,
        });
        seen.next = 5000;
        // Few distinct tags (many collisions) and a table that must grow many times.
        let hash = |i: u64| (i % 7) << 32 | i;
        for i in 0..5000u64 {
            assert_eq!(seen.first_or_insert(hash(i), &ids[i as usize], i).ok(), Some(None));
        }
        for i in (0..5000u64).step_by(37) {
            assert_eq!(seen.first_or_insert(hash(i), &ids[i as usize], 9999).ok(), Some(Some((0, i + 2))));
        }
        assert_eq!(seen.len, 5000);
    }
}
