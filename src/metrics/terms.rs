//! The per-contact terms of every additive metric: for each definition, a contact's
//! numerator, denominator, sample and unsettled counts as Polars expressions (the same terms
//! as the emitted SQL, `sql.rs`, kept equal by the golden SQL files and the differential
//! tests).

use polars::prelude::*;

use super::definition::*;
use super::{ANS, ARR, END, WAIT};

/// Contacts on one of these channels, from the boolean channel flags [`prepared`] adds (one
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

pub(super) fn within(value_ms: Expr, threshold_s: u32, inclusive: bool) -> Expr {
    let t = lit(i64::from(threshold_s) * 1000);
    if inclusive {
        value_ms.lt_eq(t)
    } else {
        value_ms.lt(t)
    }
}

/// Per-contact sums for one definition: (numerator, denominator, sample, unsettled).
/// `None` for metrics computed on their own path.
pub(super) fn indicators(def: &MetricDef, idx: usize, as_of: i64) -> Option<[Expr; 4]> {
    let ch = in_channels(&def.channels());
    let ans = col("answered");
    let ab = col("answered").not();
    let short = |s: u32, inc: bool| ab.clone().and(within(col(WAIT), s, inc));
    let zero = || lit(0i64);
    // Every channel in scope (the usual case): no per-contact gate to evaluate. Then "1" must
    // still be one per contact (a bare literal would be summed once per batch, not per row).
    let chans = def.channels();
    let all_channels = crate::schema::CHANNELS.iter().all(|c| chans.iter().any(|x| x == c));
    let one = || if all_channels { b2i(col(ARR).is_not_null()) } else { lit(1i64) };
    let gate = |e: Expr| if all_channels { e } else { when(ch.clone()).then(e).otherwise(zero()) };
    let out = match def {
        MetricDef::Offered(_) => [gate(one()), zero(), gate(one()), zero()],
        MetricDef::Answered(_) => [gate(b2i(ans.clone())), zero(), gate(one()), zero()],
        MetricDef::Abandoned(_) => [gate(b2i(ab.clone())), zero(), gate(one()), zero()],
        MetricDef::ShortAbandoned(d) => {
            [gate(b2i(short(d.short_abandon_s, d.short_inclusive))), zero(), gate(one()), zero()]
        }
        MetricDef::AbandonmentRate(d) => {
            let sa = b2i(short(d.short_abandon_s, d.short_inclusive));
            match d.short_abandons {
                ShortAbandons::Exclude => [gate(b2i(ab.clone()) - sa.clone()), gate(one() - sa), gate(one()), zero()],
                ShortAbandons::Include => [gate(b2i(ab.clone())), gate(one()), gate(one()), zero()],
            }
        }
        MetricDef::ServiceLevel(d) => {
            let a_le = b2i(ans.clone().and(within(col(WAIT), d.threshold_s, d.inclusive)));
            let ab_le = b2i(ab.clone().and(within(col(WAIT), d.threshold_s, d.inclusive)));
            let sa = b2i(short(d.short_abandon_s, d.short_inclusive));
            let (n, den) = sl_terms(d.abandons, a_le, ab_le, sa, b2i(ans.clone()));
            [gate(n), gate(den), gate(one()), zero()]
        }
        MetricDef::IntervalCompliance(_) => return None,
        MetricDef::Asa(_) => [
            gate(when(ans.clone()).then(col(WAIT).fill_null(zero())).otherwise(zero())),
            gate(b2i(ans.clone())),
            gate(b2i(ans.clone())),
            zero(),
        ],
        MetricDef::Aht(d) => {
            let parts: Vec<Expr> = d
                .components
                .iter()
                .map(|c| {
                    let name = match c {
                        Component::Talk => "talk_s",
                        Component::Hold => "hold_s",
                        Component::Wrap => "wrap_s",
                    };
                    col(name).dt().total_milliseconds(false).fill_null(zero())
                })
                .collect();
            let handle = parts.into_iter().fold(zero(), |a, b| a + b);
            [
                gate(when(ans.clone()).then(handle).otherwise(zero())),
                gate(b2i(ans.clone())),
                gate(b2i(ans.clone())),
                zero(),
            ]
        }
        MetricDef::Fcr(d) => match d.method {
            FcrMethod::Disposition => {
                let resolved = b2i(ans.clone().and(col("resolved").fill_null(lit(false))));
                let den = match d.denominator {
                    FcrDenominator::Handled => b2i(ans.clone()),
                    FcrDenominator::Offered => one(),
                };
                [gate(resolved), gate(den.clone()), gate(den), zero()]
            }
            FcrMethod::RepeatContact => {
                let rep = col(format!("__rep{idx}"));
                let known = col("customer_id").is_not_null();
                // A contact counts once its window has ended by `as_of`, whether or not a repeat
                // was already seen: counting early repeats but not early non-repeats biases the
                // rate low (docs/metrics.md, "Provisional figures").
                let settled = (col(ARR) + lit(i64::from(d.window_days) * 86_400_000_000)).lt_eq(lit(as_of));
                let base = ans.clone().and(known);
                [
                    gate(b2i(base.clone().and(settled.clone()).and(rep.clone().fill_null(lit(false)).not()))),
                    gate(b2i(base.clone().and(settled.clone()))),
                    gate(b2i(ans.clone())),
                    gate(b2i(base.and(settled.not()))),
                ]
            }
        },
        MetricDef::Csat(d) => {
            // Bound to the profile's scale before computing ([`compute_subset`]).
            let [lo, hi] = d.scale?;
            let score = col("csat").cast(DataType::Int64);
            let valid = score.clone().is_not_null().and(score.clone().gt_eq(lit(lo))).and(score.clone().lt_eq(lit(hi)));
            let num = match d.measure {
                CsatMeasure::Top2Box => b2i(valid.clone().and(score.clone().gt_eq(lit(hi - 1)))),
                CsatMeasure::TopBox => b2i(valid.clone().and(score.clone().eq(lit(hi)))),
                CsatMeasure::Mean => when(valid.clone()).then(score.clone()).otherwise(zero()),
            };
            [gate(num), gate(b2i(valid.clone())), gate(b2i(valid)), zero()]
        }
        MetricDef::ResponseTime(d) | MetricDef::ResolutionTime(d) => {
            let at = if matches!(def, MetricDef::ResponseTime(_)) { ANS } else { END };
            let t = lit(i64::from(d.threshold_s) * 1_000_000);
            let done = col(at).is_not_null();
            // Only contacts whose deadline has passed by `as_of` count (the same cohort for the
            // numerator and the denominator; docs/metrics.md, "Provisional figures").
            let decided = (col(ARR) + t.clone()).lt_eq(lit(as_of));
            let met = decided.clone().and(done).and((col(at) - col(ARR)).lt_eq(t));
            [gate(b2i(met)), gate(b2i(decided.clone())), gate(one()), gate(b2i(decided.not()))]
        }
        MetricDef::ResponseTimeMean(_) | MetricDef::ResolutionTimeMean(_) => {
            let at = if matches!(def, MetricDef::ResponseTimeMean(_)) { ANS } else { END };
            let done = col(at).is_not_null();
            [
                gate(when(done.clone()).then((col(at) - col(ARR)) / lit(1000i64)).otherwise(zero())),
                gate(b2i(done.clone())),
                gate(one()),
                gate(b2i(done.not())),
            ]
        }
        MetricDef::ResponseTimePercentile(_) | MetricDef::ResolutionTimePercentile(_) | MetricDef::Availability(_) => {
            return None
        }
    };
    Some(out)
}

/// Service-level numerator and denominator terms for one contact.
pub(super) fn sl_terms(t: AbandonTreatment, a_le: Expr, ab_le: Expr, sa: Expr, a: Expr) -> (Expr, Expr) {
    let one = || lit(1i64);
    match t {
        AbandonTreatment::CountAgainst => (a_le, one()),
        AbandonTreatment::IgnoreBeforeT => (a_le, one() - ab_le),
        AbandonTreatment::MetBeforeT => (a_le + ab_le, one()),
        AbandonTreatment::AnsweredOnly => (a_le, a),
        AbandonTreatment::ExcludeShort => (a_le, one() - sa),
        AbandonTreatment::ShortMet => (a_le + sa, one()),
    }
}

/// Service level from counts (the same formulas as the per-contact terms), for interval
/// compliance and for tests: returns (numerator, denominator).
pub fn service_level_counts(t: AbandonTreatment, a: i64, ab: i64, a_le: i64, ab_le: i64, sa: i64) -> (i64, i64) {
    match t {
        AbandonTreatment::CountAgainst => (a_le, a + ab),
        AbandonTreatment::IgnoreBeforeT => (a_le, a + ab - ab_le),
        AbandonTreatment::MetBeforeT => (a_le + ab_le, a + ab),
        AbandonTreatment::AnsweredOnly => (a_le, a),
        AbandonTreatment::ExcludeShort => (a_le, a + ab - sa),
        AbandonTreatment::ShortMet => (a_le + sa, a + ab),
    }
}
