//! The metric terms ([`super::term`]) rendered to Polars expressions, over the helper columns
//! `prepared` adds (timestamps in µs, the wait in ms, one boolean flag per channel).

use polars::prelude::*;

use super::definition::MetricDef;
use super::term::{Cond, Field, Num, Stamp};
use super::{ANS, ARR, END, WAIT};

/// Contacts on one of these channels, from the boolean channel flags `prepared` adds (one
/// string comparison per contact and channel, not per definition).
pub(super) fn in_channels(channels: &[String]) -> Expr {
    channels.iter().fold(lit(false), |acc, c| {
        let flag = if crate::schema::CHANNELS.contains(&c.as_str()) { col(format!("__ch_{c}")) } else { lit(false) };
        acc.or(flag)
    })
}

pub(super) fn b2i(e: Expr) -> Expr {
    e.fill_null(lit(false)).cast(DataType::Int64)
}

/// The instants a term may name as literals: the data-complete instant, and its reading on
/// each calendar's business clock (by the calendar's position in the request).
#[derive(Debug, Clone, Copy)]
pub(super) struct Instants<'a> {
    pub(super) as_of: i64,
    pub(super) biz_as_of: &'a [i64],
}

/// The helper column holding a timestamp on calendar `c`'s business clock (µs).
pub(super) fn biz_column(c: usize, s: Stamp) -> String {
    format!("__biz{c}_{}", s.suffix())
}

/// The helper column: outbound attempt outside calling-window definition `i`'s hours.
pub(super) fn window_column(i: usize) -> String {
    format!("__outside{i}")
}

/// The helper column: the attempt's number is on the suppression list.
pub(super) const SUPPRESSED: &str = "__suppressed";

/// The helper column: the contact arrived inside calendar `c`'s hours.
pub(super) fn open_column(c: usize) -> String {
    format!("__open{c}")
}

fn field(f: Field, at: Instants) -> Expr {
    let ms = |c: &str| col(c).dt().total_milliseconds(false);
    match f {
        Field::Arrived => col(ARR),
        Field::Answered => col(ANS),
        Field::Ended => col(END),
        Field::Wait => col(WAIT),
        Field::Talk => ms("talk_s"),
        Field::Hold => ms("hold_s"),
        Field::Wrap => ms("wrap_s"),
        Field::Csat => col("csat").cast(DataType::Int64),
        Field::Resolved => col("resolved"),
        Field::Repeat(i) => col(format!("__rep{i}")),
        Field::CustomerId => col("customer_id"),
        Field::AsOf => lit(at.as_of),
        Field::Biz(c, Stamp::AsOf) => lit(at.biz_as_of.get(c).copied().unwrap_or(i64::MIN)),
        Field::Biz(c, s) => col(biz_column(c, s)),
        Field::OutsideWindow(i) => col(window_column(i)),
        Field::Suppressed => col(SUPPRESSED),
    }
}

fn num(n: &Num, at: Instants) -> Expr {
    let r = |n: &Num| num(n, at);
    match n {
        Num::Int(v) => lit(*v),
        Num::One => lit(1i64),
        Num::Field(f) => field(*f, at),
        Num::OrZero(f) => field(*f, at).fill_null(lit(0i64)),
        Num::Ind(c) => b2i(cond(c, at)),
        Num::If(c, t, e) => when(cond(c, at)).then(r(t)).otherwise(r(e)),
        Num::Add(a, b) => r(a) + r(b),
        Num::Sub(a, b) => r(a) - r(b),
        Num::Div(a, d) => r(a) / lit(*d),
    }
}

fn cond(c: &Cond, at: Instants) -> Expr {
    let n = |x: &Num| num(x, at);
    match c {
        Cond::Answered => col("answered"),
        Cond::Present(f) => field(*f, at).is_not_null(),
        Cond::Missing(f) => field(*f, at).is_null(),
        Cond::Flag(f) => field(*f, at).fill_null(lit(false)),
        Cond::Not(c) => cond(c, at).not(),
        Cond::And(a, b) => cond(a, at).and(cond(b, at)),
        Cond::Le(a, b) => n(a).lt_eq(n(b)),
        Cond::Lt(a, b) => n(a).lt(n(b)),
        Cond::Ge(a, b) => n(a).gt_eq(n(b)),
        Cond::Eq(a, b) => n(a).eq(n(b)),
        Cond::InChannels(chans) => in_channels(chans),
        Cond::Open(c) => col(open_column(*c)),
        Cond::Disposition(words) => {
            words.iter().fold(lit(false), |acc, w| acc.or(col("disposition").eq(lit(*w)))).fill_null(lit(false))
        }
        Cond::InCampaigns(cs) => {
            cs.iter().fold(lit(false), |acc, c| acc.or(col("campaign").eq(lit(c.as_str())))).fill_null(lit(false))
        }
    }
}

/// A term as a Polars expression to sum per group. A bare "one per contact" becomes a column
/// (a literal would be summed once per batch, not once per row).
pub(super) fn expr(n: &Num, at: Instants) -> Expr {
    match n {
        Num::One => b2i(col(ARR).is_not_null()),
        _ => num(n, at),
    }
}

/// Per-contact sums for one definition: (numerator, denominator, sample, unsettled).
/// `None` for metrics computed on their own path.
pub(super) fn indicators(def: &MetricDef, idx: usize, cal: Option<usize>, at: Instants) -> Option<[Expr; 4]> {
    super::term::indicators(def, idx, cal).map(|t| t.map(|n| expr(&n, at)))
}
