//! The metric terms ([`super::term`]) rendered to Polars expressions, over the helper columns
//! `prepared` adds (timestamps in µs, the wait in ms, one boolean flag per channel).

use polars::prelude::*;

use super::definition::MetricDef;
use super::term::{Cond, Field, Num};
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

fn field(f: Field, as_of: i64) -> Expr {
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
        Field::AsOf => lit(as_of),
    }
}

fn num(n: &Num, as_of: i64) -> Expr {
    let r = |n: &Num| num(n, as_of);
    match n {
        Num::Int(v) => lit(*v),
        Num::One => lit(1i64),
        Num::Field(f) => field(*f, as_of),
        Num::OrZero(f) => field(*f, as_of).fill_null(lit(0i64)),
        Num::Ind(c) => b2i(cond(c, as_of)),
        Num::If(c, t, e) => when(cond(c, as_of)).then(r(t)).otherwise(r(e)),
        Num::Add(a, b) => r(a) + r(b),
        Num::Sub(a, b) => r(a) - r(b),
        Num::Div(a, d) => r(a) / lit(*d),
    }
}

fn cond(c: &Cond, as_of: i64) -> Expr {
    let n = |x: &Num| num(x, as_of);
    match c {
        Cond::Answered => col("answered"),
        Cond::Present(f) => field(*f, as_of).is_not_null(),
        Cond::Missing(f) => field(*f, as_of).is_null(),
        Cond::Flag(f) => field(*f, as_of).fill_null(lit(false)),
        Cond::Not(c) => cond(c, as_of).not(),
        Cond::And(a, b) => cond(a, as_of).and(cond(b, as_of)),
        Cond::Le(a, b) => n(a).lt_eq(n(b)),
        Cond::Lt(a, b) => n(a).lt(n(b)),
        Cond::Ge(a, b) => n(a).gt_eq(n(b)),
        Cond::Eq(a, b) => n(a).eq(n(b)),
        Cond::InChannels(chans) => in_channels(chans),
    }
}

/// A term as a Polars expression to sum per group. A bare "one per contact" becomes a column
/// (a literal would be summed once per batch, not once per row).
pub(super) fn expr(n: &Num, as_of: i64) -> Expr {
    match n {
        Num::One => b2i(col(ARR).is_not_null()),
        _ => num(n, as_of),
    }
}

/// Per-contact sums for one definition: (numerator, denominator, sample, unsettled).
/// `None` for metrics computed on their own path.
pub(super) fn indicators(def: &MetricDef, idx: usize, as_of: i64) -> Option<[Expr; 4]> {
    super::term::indicators(def, idx).map(|t| t.map(|n| expr(&n, as_of)))
}
