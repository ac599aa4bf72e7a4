//! Source values as the row validator sees them: a batch column by shape ([`View`]), one raw
//! cell ([`Raw`]) and a parsed canonical value ([`Value`]).

use std::borrow::Cow;

use polars::prelude::*;
use polars_arrow::array::{Array as _, BooleanArray, PrimitiveArray};

use super::Shape;

/// A source value as the validator sees it.
#[derive(Debug, Clone, Copy)]
pub(super) enum Raw<'a> {
    Text(&'a str),
    Bool(bool),
    Instant(i64),
    Wall(i64),
    DurMs(i64),
}

impl Raw<'_> {
    pub(super) fn show(&self) -> String {
        match self {
            Raw::Text(s) => (*s).to_string(),
            Raw::Bool(b) => b.to_string(),
            Raw::Instant(us) | Raw::Wall(us) => us.to_string(),
            Raw::DurMs(ms) => ms.to_string(),
        }
    }
}

/// Value `i` of an Arrow array, `None` when null or out of range.
pub(super) fn arr_get<A: polars_arrow::array::Array + ?Sized, T>(
    arr: &A,
    i: usize,
    value: impl Fn(&A, usize) -> T,
) -> Option<T> {
    (i < arr.len() && arr.is_valid(i)).then(|| value(arr, i))
}

/// A column of the current batch as one owned array, by shape (what a [`View`] borrows).
pub(super) enum Owned {
    Text(StringChunked),
    Bool(BooleanChunked),
    Int(Int64Chunked, Shape),
}

/// A column of the current batch, by shape.
pub(super) enum View<'a> {
    /// The batch's single Arrow string array (rechunked), read by index without a chunk search.
    Text(&'a <StringType as PolarsDataType>::Array),
    Bool(&'a BooleanArray),
    Int(&'a PrimitiveArray<i64>, Shape),
    /// A text column with no chunk (an empty batch).
    Absent,
}

impl<'a> View<'a> {
    pub(super) fn get(&self, i: usize) -> Option<Raw<'a>> {
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
pub(super) enum Value<'a> {
    Text(Cow<'a, str>),
    Choice(&'static str),
    Ts(i64),
    Dur(i64),
    Bool(bool),
    Score(i64),
}

impl Value<'_> {
    pub(super) fn into_owned(self) -> Value<'static> {
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

pub(super) fn fmt_ms(ms: i64) -> String {
    if ms % 1000 == 0 {
        format!("{} s", ms / 1000)
    } else {
        format!("{}.{:03} s", ms / 1000, ms % 1000)
    }
}
