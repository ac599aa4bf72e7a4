//! Column-at-a-time validation: the fast path for the common profile shape.
//!
//! When every field is read from one column, with no value map, no null list, no exclusion
//! rule and a reader that needs no other column (RFC 3339 or typed timestamps, durations,
//! booleans, scores, choices, text), each field's column is read in one tight loop and the
//! cross-field checks run on the typed values. A row is accepted here only when every check
//! passes as it would in the row validator; any other row — a value it cannot read, a
//! required value missing, text with surrounding spaces, an ordering check that fails — goes
//! to [`Plan::row`], which accepts it or gives the exact reject. So reject messages have one
//! source, and the accepted values are the same either way (`tests/it/columnar.rs` compares both
//! on CSV and typed Parquet with every kind of bad and awkward value; every other ingest test
//! runs this path).
//!
//! When no row of a batch needed the row validator, its text columns are passed on as they came
//! from the reader (no copy); otherwise the batch is assembled row by row as before.

use polars::prelude::*;
use polars_arrow::array::{Array as _, Utf8ViewArray};

use super::{datetime_type, hash64, rows_to_frame, BatchOut, Plan, Row, Shape, View, ID_SEED};
use crate::ingest::parse::{self, DstAmbiguous, DurationUnit};
use crate::ingest::profile::{Reader, Source, TimestampSpec};
use crate::schema::{self, Field};

/// How the fast path reads one field.
#[derive(Debug, Clone)]
pub(super) enum FastReader {
    Text,
    Choice(&'static [&'static str]),
    /// RFC 3339 text or a typed (zoned) timestamp.
    Instant(Option<(chrono_tz::Tz, DstAmbiguous)>),
    Duration {
        unit: DurationUnit,
        max_ms: i64,
    },
    Boolean {
        true_values: Vec<String>,
        false_values: Vec<String>,
    },
    Score {
        lo: i64,
        hi: i64,
    },
    /// An IANA zone name, passed on as text once checked.
    Zone,
}

/// One canonical field on the fast path: the position of its column (`None`: not mapped or
/// not in this file, so always null) and its reader.
#[derive(Debug, Clone)]
pub(super) struct FastField {
    pub field: Field,
    pub pos: Option<usize>,
    pub reader: FastReader,
}

impl Plan {
    /// The fast path's plan for this file, or `None` when the profile needs the row validator.
    pub(super) fn fast_fields(&self) -> Option<Vec<FastField>> {
        let src = &self.profile.source;
        if !self.profile.exclusions.is_empty() || !src.null_values.is_empty() {
            return None;
        }
        let mut out = Vec::new();
        for (k, spec) in self.profile.fields.iter().enumerate() {
            if !spec.map.is_empty() || !spec.null_values.is_empty() || spec.invert {
                return None;
            }
            let pos = match &spec.source {
                Source::Columns(cs) if cs.len() == 1 => {
                    self.field_cols.get(k).and_then(|c| c.first().copied().flatten())
                }
                _ => return None,
            };
            if self.unmapped[spec.field as usize] && pos.is_some() {
                return None;
            }
            let shape = pos.and_then(|p| self.columns.get(p)).map(|(_, s)| *s);
            let reader = match (&spec.reader, shape) {
                (_, None) => FastReader::Text, // absent column: always null, the reader is not used
                (Reader::Text, Some(Shape::Text)) => FastReader::Text,
                (Reader::Choice(c), Some(Shape::Text)) => FastReader::Choice(c),
                (
                    Reader::Timestamp(TimestampSpec {
                        pattern: None,
                        date: None,
                        zone,
                        next_day_if_before_arrival: false,
                    }),
                    Some(Shape::Text | Shape::Instant),
                ) => FastReader::Instant(*zone),
                (Reader::Duration(unit), Some(Shape::Text | Shape::DurMs)) => {
                    let max_ms = if spec.field == Field::WaitS { src.max_wait_ms } else { src.max_duration_ms };
                    FastReader::Duration { unit: *unit, max_ms }
                }
                (Reader::Boolean { true_values, false_values }, Some(Shape::Text | Shape::Bool)) => {
                    FastReader::Boolean { true_values: true_values.clone(), false_values: false_values.clone() }
                }
                (Reader::Score, Some(Shape::Text)) => FastReader::Score { lo: src.csat_scale.0, hi: src.csat_scale.1 },
                (Reader::Zone, Some(Shape::Text)) => FastReader::Zone,
                _ => return None,
            };
            out.push(FastField { field: spec.field, pos, reader });
        }
        Some(out)
    }

    /// Validates a batch column by column; rows the fast path cannot vouch for go to the row
    /// validator. Same result as validating every row with [`Plan::row`].
    pub(super) fn validate_columnar<'v>(
        &'v self,
        fields: &[FastField],
        views: &[View<'v>],
        lines: &[u64],
    ) -> PolarsResult<BatchOut> {
        let n = lines.len();
        let mut slow = vec![false; n];
        let mut cols = Cols::new(n);
        for f in fields {
            let view = f.pos.and_then(|p| views.get(p));
            read_column(f, view, n, &mut slow, &mut cols);
        }
        // Cross-field checks and derivations: the same function as the row validator's.
        let tol_us = self.profile.source.order_tolerance_ms * 1000;
        for (i, slow) in slow.iter_mut().enumerate() {
            if *slow {
                continue;
            }
            let arrived = cols.arrived[i].unwrap_or(0);
            let (flag, ended_at) = (cols.answered_flag[i], cols.ended_at[i]);
            match super::derive_times(arrived, flag, &mut cols.answered_at[i], ended_at, &mut cols.wait[i], tol_us) {
                Ok(answered) => cols.answered[i] = answered,
                Err(_) => *slow = true,
            }
        }

        let mut out = BatchOut { read: n as u64, ..Default::default() };
        let mut slow_rows: Vec<(usize, Row<'v>)> = Vec::new();
        for i in (0..n).filter(|i| slow[*i]) {
            match self.row(views, i, lines[i]) {
                Ok(row) => slow_rows.push((i, row)),
                Err(fail) => out.fails.push((lines[i], fail)),
            }
        }
        let text = |field: Field| -> Option<&'v Utf8ViewArray> {
            let f = fields.iter().find(|f| f.field == field)?;
            match f.pos.and_then(|p| views.get(p)) {
                Some(View::Text(arr)) => Some(*arr),
                _ => None,
            }
        };
        if slow_rows.is_empty() {
            // Every accepted row came from the fast path: pass the text columns on as they are.
            let keep: Vec<bool> = slow.iter().map(|s| !s).collect();
            let kept = keep.iter().filter(|k| **k).count();
            if kept == 0 {
                return Ok(out);
            }
            let ids = text(Field::InteractionId);
            for i in (0..n).filter(|i| keep[*i]) {
                let id = ids.map_or("", |a| a.value(i));
                out.hashes.push(hash64(id.as_bytes(), ID_SEED));
            }
            out.rows = Some(self.frame_from_columns(&cols, &keep, kept, lines, &text)?);
        } else {
            // Some rows needed the row validator: assemble the batch row by row, in order.
            let mut slow_iter = slow_rows.into_iter().peekable();
            let mut rows: Vec<Row<'_>> = Vec::with_capacity(n);
            for i in 0..n {
                let row = if slow[i] {
                    match slow_iter.peek() {
                        Some((j, _)) if *j == i => slow_iter.next().map(|(_, r)| r),
                        _ => None,
                    }
                } else {
                    Some(cols.row(i, lines[i], &text))
                };
                if let Some(row) = row {
                    out.hashes.push(hash64(row.id.as_bytes(), ID_SEED));
                    rows.push(row);
                }
            }
            out.rows = Some(rows_to_frame(&rows, self.file_idx)?);
        }
        Ok(out)
    }

    fn frame_from_columns<'a>(
        &self,
        cols: &Cols,
        keep: &[bool],
        kept: usize,
        lines: &[u64],
        text: &dyn Fn(Field) -> Option<&'a Utf8ViewArray>,
    ) -> PolarsResult<DataFrame> {
        let all = kept == keep.len();
        let mask = BooleanChunked::from_slice("keep".into(), keep);
        let string_col = |field: Field| -> PolarsResult<Column> {
            let name = field.name().into();
            let s = match text(field) {
                Some(arr) => {
                    let ca = StringChunked::with_chunk(name, arr.clone());
                    if all {
                        ca
                    } else {
                        ca.filter(&mask)?
                    }
                }
                None => StringChunked::full_null(name, kept),
            };
            Ok(s.into_column())
        };
        let ts = |name: &str, v: &[Option<i64>]| Column::new(name.into(), kept_rows(v, keep)).cast(&datetime_type());
        let dur = |name: &str, v: &[Option<i64>]| {
            Column::new(name.into(), kept_rows(v, keep)).cast(&DataType::Duration(TimeUnit::Milliseconds))
        };
        let columns = vec![
            string_col(Field::InteractionId)?,
            schema::choice_column_of(
                Field::Channel.name(),
                schema::CHANNELS,
                kept_rows(&cols.channel, keep).into_iter(),
            )?,
            schema::choice_column_of(
                Field::Direction.name(),
                schema::DIRECTIONS,
                kept_rows(&cols.direction, keep).into_iter(),
            )?,
            schema::names_column(string_col(Field::Queue)?.str()?)?,
            string_col(Field::CustomerId)?,
            schema::names_column(string_col(Field::AgentId)?.str()?)?,
            ts(Field::ArrivedAt.name(), &cols.arrived)?,
            ts(Field::AnsweredAt.name(), &cols.answered_at)?,
            ts(Field::EndedAt.name(), &cols.ended_at)?,
            Column::new(Field::Answered.name().into(), kept_rows(&cols.answered, keep)),
            dur(Field::WaitS.name(), &cols.wait)?,
            dur(Field::TalkS.name(), &cols.talk)?,
            dur(Field::HoldS.name(), &cols.hold)?,
            dur(Field::WrapS.name(), &cols.wrap)?,
            Column::new(Field::Resolved.name().into(), kept_rows(&cols.resolved, keep)),
            Column::new(
                Field::Csat.name().into(),
                kept_rows(&cols.csat, keep)
                    .into_iter()
                    .map(|c| c.and_then(|c| i32::try_from(c).ok()))
                    .collect::<Vec<_>>(),
            ),
            schema::names_column(string_col(Field::Campaign)?.str()?)?,
            schema::optional_choice_column(
                Field::Disposition.name(),
                schema::DISPOSITIONS,
                kept_rows(&cols.disposition, keep).into_iter(),
            )?,
            schema::names_column(string_col(Field::PartyZone)?.str()?)?,
            string_col(Field::NumberHash)?,
            Column::new(schema::SOURCE_FILE.into(), vec![self.file_idx; kept]),
            Column::new(schema::SOURCE_LINE.into(), kept_rows(lines, keep)),
        ];
        DataFrame::new(kept, columns)
    }
}

/// The values of the rows to keep, in order.
fn kept_rows<T: Copy>(values: &[T], keep: &[bool]) -> Vec<T> {
    values.iter().zip(keep).filter(|(_, k)| **k).map(|(v, _)| *v).collect()
}

/// The typed values of one batch, one vector per canonical field.
struct Cols {
    channel: Vec<&'static str>,
    direction: Vec<&'static str>,
    arrived: Vec<Option<i64>>,
    answered_at: Vec<Option<i64>>,
    ended_at: Vec<Option<i64>>,
    answered_flag: Vec<Option<bool>>,
    answered: Vec<bool>,
    wait: Vec<Option<i64>>,
    talk: Vec<Option<i64>>,
    hold: Vec<Option<i64>>,
    wrap: Vec<Option<i64>>,
    resolved: Vec<Option<bool>>,
    csat: Vec<Option<i64>>,
    disposition: Vec<Option<&'static str>>,
}

impl Cols {
    fn new(n: usize) -> Cols {
        Cols {
            channel: vec![""; n],
            direction: vec!["inbound"; n],
            arrived: vec![None; n],
            answered_at: vec![None; n],
            ended_at: vec![None; n],
            answered_flag: vec![None; n],
            answered: vec![false; n],
            wait: vec![None; n],
            talk: vec![None; n],
            hold: vec![None; n],
            wrap: vec![None; n],
            resolved: vec![None; n],
            csat: vec![None; n],
            disposition: vec![None; n],
        }
    }

    /// Row `i` as the row validator would have built it (text borrowed from the batch).
    fn row<'a>(&self, i: usize, line: u64, text: &dyn Fn(Field) -> Option<&'a Utf8ViewArray>) -> Row<'a> {
        let get = |field: Field| text(field).and_then(|a| if a.is_valid(i) { Some(a.value(i)) } else { None });
        Row {
            id: get(Field::InteractionId).unwrap_or_default().into(),
            channel: self.channel[i],
            direction: self.direction[i],
            queue: get(Field::Queue).unwrap_or_default().into(),
            customer: get(Field::CustomerId).map(Into::into),
            agent: get(Field::AgentId).map(Into::into),
            arrived: self.arrived[i].unwrap_or(0),
            answered_at: self.answered_at[i],
            ended_at: self.ended_at[i],
            answered: self.answered[i],
            wait: self.wait[i],
            talk: self.talk[i],
            hold: self.hold[i],
            wrap: self.wrap[i],
            resolved: self.resolved[i],
            csat: self.csat[i],
            campaign: get(Field::Campaign).map(Into::into),
            disposition: self.disposition[i],
            party_zone: get(Field::PartyZone).map(Into::into),
            number_hash: get(Field::NumberHash).map(Into::into),
            line,
        }
    }
}

/// A text value as the reader gave it: `None` for null; `Err(())` for a value the fast path
/// leaves to the row validator (surrounding spaces, or empty).
fn raw_text(arr: &Utf8ViewArray, i: usize) -> Result<Option<&str>, ()> {
    if !arr.is_valid(i) {
        return Ok(None);
    }
    let s = arr.value(i);
    let b = s.as_bytes();
    // ASCII, not whitespace (as `str::trim` sees it) at both ends: nothing to trim.
    let end_ok = |c: Option<&u8>| c.is_some_and(|c| c.is_ascii() && !char::from(*c).is_whitespace());
    let clean = (end_ok(b.first()) && end_ok(b.last())) || (!b.is_empty() && s.trim().len() == s.len());
    if clean {
        Ok(Some(s))
    } else {
        Err(())
    }
}

/// Reads one field's column into `cols`, marking rows for the row validator in `slow`. The
/// column's shape and the field's reader are matched once, then one tight loop reads the values.
fn read_column(f: &FastField, view: Option<&View<'_>>, n: usize, slow: &mut [bool], cols: &mut Cols) {
    let required = f.field.required();
    let len = n.min(slow.len());
    let slow = &mut slow[..len];
    match view {
        None | Some(View::Absent) => {
            if required {
                slow.fill(true);
            }
        }
        Some(View::Text(arr)) => match &f.reader {
            // Text is passed on from the column itself: only its shape is checked here.
            FastReader::Text => each_text(arr, slow, required, |_, _| true),
            FastReader::Choice(choices) if f.field == Field::Disposition => {
                let slot = &mut cols.disposition;
                each_text(arr, slow, required, |i, s| match choices.iter().find(|c| c.eq_ignore_ascii_case(s)) {
                    Some(c) => {
                        slot[i] = Some(c);
                        true
                    }
                    None => false,
                })
            }
            FastReader::Zone => each_text(arr, slow, required, |_, s| s.parse::<chrono_tz::Tz>().is_ok()),
            FastReader::Choice(choices) => {
                let slot = match f.field {
                    Field::Channel => &mut cols.channel,
                    Field::Direction => &mut cols.direction,
                    _ => return slow.fill(true),
                };
                each_text(arr, slow, required, |i, s| match choices.iter().find(|c| c.eq_ignore_ascii_case(s)) {
                    Some(c) => {
                        slot[i] = c;
                        true
                    }
                    None => false,
                })
            }
            FastReader::Instant(zone) => match int_slot(f.field, cols) {
                Some(slot) => each_text(arr, slow, required, |i, s| store(slot, i, parse::rfc3339(s, *zone).ok())),
                None => slow.fill(true),
            },
            FastReader::Duration { unit, max_ms } => match int_slot(f.field, cols) {
                Some(slot) => each_text(arr, slow, required, |i, s| {
                    store(slot, i, parse::duration_ms(s, *unit).ok().filter(|ms| (0..=*max_ms).contains(ms)))
                }),
                None => slow.fill(true),
            },
            FastReader::Boolean { true_values, false_values } => match bool_slot(f.field, cols) {
                Some(slot) => each_text(arr, slow, required, |i, s| {
                    let b = if true_values.iter().any(|t| t == s) {
                        Some(true)
                    } else if false_values.iter().any(|t| t == s) {
                        Some(false)
                    } else {
                        parse::boolean(s)
                    };
                    store(slot, i, b)
                }),
                None => slow.fill(true),
            },
            FastReader::Score { lo, hi } => match int_slot(f.field, cols) {
                Some(slot) => each_text(arr, slow, required, |i, s| {
                    store(slot, i, parse::score(s).ok().filter(|v| (*lo..=*hi).contains(v)))
                }),
                None => slow.fill(true),
            },
        },
        Some(View::Bool(arr)) => match (&f.reader, bool_slot(f.field, cols)) {
            (FastReader::Boolean { .. }, Some(slot)) => each_value(
                *arr,
                slow,
                required,
                |a, i| a.value(i),
                |i, b| {
                    slot[i] = Some(b);
                    true
                },
            ),
            _ => each_value(*arr, slow, required, |a, i| a.value(i), |_, _| false),
        },
        Some(View::Int(arr, shape)) => {
            let max_ms = match (&f.reader, shape) {
                (FastReader::Instant(_), Shape::Instant) => i64::MAX,
                (FastReader::Duration { max_ms, .. }, Shape::DurMs) => *max_ms,
                _ => return each_value(*arr, slow, required, |a, i| a.value(i), |_, _| false),
            };
            // Instants are any value; durations 0 ..= the profile's maximum.
            let min = if max_ms == i64::MAX { i64::MIN } else { 0 };
            match int_slot(f.field, cols) {
                Some(slot) => each_value(
                    *arr,
                    slow,
                    required,
                    |a, i| a.value(i),
                    |i, v| store(slot, i, Some(v).filter(|v| (min..=max_ms).contains(v))),
                ),
                None => slow.fill(true),
            }
        }
    }
}

/// Calls `read` on each text value of the rows not yet sent to the row validator; a row goes
/// there when its value has surrounding spaces or is empty, is missing from a required field,
/// or `read` refuses it.
fn each_text(arr: &Utf8ViewArray, slow: &mut [bool], required: bool, mut read: impl FnMut(usize, &str) -> bool) {
    for (i, slow) in slow.iter_mut().enumerate() {
        if *slow {
            continue;
        }
        let ok = match raw_text(arr, i) {
            Err(()) => false,
            Ok(None) => !required,
            Ok(Some(s)) => read(i, s),
        };
        *slow = !ok;
    }
}

/// [`each_text`] for a typed (boolean or integer) column.
fn each_value<A: polars_arrow::array::Array, T>(
    arr: &A,
    slow: &mut [bool],
    required: bool,
    value: impl Fn(&A, usize) -> T,
    mut read: impl FnMut(usize, T) -> bool,
) {
    for (i, slow) in slow.iter_mut().enumerate() {
        if *slow {
            continue;
        }
        let ok = match super::arr_get(arr, i, &value) {
            None => !required,
            Some(v) => read(i, v),
        };
        *slow = !ok;
    }
}

/// Stores a value read; `false` (to the row validator) when there is none.
fn store<T>(slot: &mut [Option<T>], i: usize, v: Option<T>) -> bool {
    match v {
        Some(v) => {
            slot[i] = Some(v);
            true
        }
        None => false,
    }
}

/// Where an integer field's values go (timestamps in µs, durations in ms, scores).
fn int_slot(field: Field, cols: &mut Cols) -> Option<&mut Vec<Option<i64>>> {
    Some(match field {
        Field::ArrivedAt => &mut cols.arrived,
        Field::AnsweredAt => &mut cols.answered_at,
        Field::EndedAt => &mut cols.ended_at,
        Field::WaitS => &mut cols.wait,
        Field::TalkS => &mut cols.talk,
        Field::HoldS => &mut cols.hold,
        Field::WrapS => &mut cols.wrap,
        Field::Csat => &mut cols.csat,
        _ => return None,
    })
}

/// Where a boolean field's values go.
fn bool_slot(field: Field, cols: &mut Cols) -> Option<&mut Vec<Option<bool>>> {
    Some(match field {
        Field::Answered => &mut cols.answered_flag,
        Field::Resolved => &mut cols.resolved,
        _ => return None,
    })
}
