//! Metric terms written once: each additive definition's per-contact numerator, denominator,
//! sample and unsettled count as a small expression tree ([`Num`], [`Cond`]) over the
//! canonical fields. `terms.rs` renders it to Polars expressions for `callsla metrics`,
//! `sql.rs` to DuckDB and Spark SQL for `--emit-sql`; neither writes a formula of its own, so
//! the two cannot drift (the golden SQL files and the differential tests check the rendering).
//!
//! The service-level formulas are written once too ([`sl_formula`]), as linear combinations of
//! counts, and evaluated per contact, per interval in Rust ([`service_level_counts`]) and per
//! interval in SQL.

use super::definition::*;

/// A per-contact field. Timestamps are microseconds since the epoch; durations milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    Arrived,
    Answered,
    Ended,
    /// The wait: given, or derived from the timestamps (docs/schema.md).
    Wait,
    Talk,
    Hold,
    Wrap,
    Csat,
    /// The disposition flag (a boolean).
    Resolved,
    /// Whether repeat-contact definition `i` found a repeat within its window (a boolean).
    Repeat(usize),
    CustomerId,
    /// The data-complete instant (µs), the same for every contact.
    AsOf,
    /// A timestamp on service calendar `c`'s business clock: open µs since the clock's origin
    /// (docs/metrics.md, "Calendars"). Differences of two are business time.
    Biz(usize, Stamp),
    /// Whether the outbound attempt was made outside calling-window definition `i`'s hours in
    /// the called party's local time (a boolean).
    OutsideWindow(usize),
    /// Whether the attempt's number hash is on the suppression list (a boolean).
    Suppressed,
}

/// The timestamps a business clock reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stamp {
    Arrived,
    Answered,
    Ended,
    AsOf,
}

impl Stamp {
    /// The suffix of the helper columns that hold this timestamp on a business clock (Polars
    /// and SQL name them alike: `biz{c}_{suffix}`).
    pub(super) fn suffix(self) -> &'static str {
        match self {
            Stamp::Arrived => "arr",
            Stamp::Answered => "ans",
            Stamp::Ended => "end",
            Stamp::AsOf => "as_of",
        }
    }
}

/// A per-contact integer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Num {
    Int(i64),
    /// One per contact.
    One,
    Field(Field),
    /// The field, or 0 when it is missing.
    OrZero(Field),
    /// 1 when the condition holds, else 0 (a missing value is not a hold).
    Ind(Box<Cond>),
    If(Box<Cond>, Box<Num>, Box<Num>),
    Add(Box<Num>, Box<Num>),
    Sub(Box<Num>, Box<Num>),
    /// Integer division of a non-negative value by a positive constant.
    Div(Box<Num>, i64),
}

/// A per-contact condition (three-valued: a comparison with a missing value is unknown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Cond {
    /// The contact was answered (never missing).
    Answered,
    Present(Field),
    Missing(Field),
    /// A boolean field, missing read as false.
    Flag(Field),
    Not(Box<Cond>),
    And(Box<Cond>, Box<Cond>),
    Le(Num, Num),
    Lt(Num, Num),
    Ge(Num, Num),
    Eq(Num, Num),
    InChannels(Vec<String>),
    /// The contact arrived inside service calendar `c`'s hours.
    Open(usize),
    /// The attempt's disposition is one of these words (a missing one is not).
    Disposition(&'static [&'static str]),
    /// The attempt was made for one of these campaigns (a missing campaign is not).
    InCampaigns(Vec<String>),
}

/// Dispositions of a live answer by a person (docs/schema.md, "Outbound attempts").
pub(super) const LIVE: &[&str] = &["connected", "right_party", "converted", "dialler_abandoned"];
/// Dispositions of a conversation with an agent.
pub(super) const CONNECT: &[&str] = &["connected", "right_party", "converted"];
/// Dispositions of a conversation with the person sought.
pub(super) const RIGHT_PARTY: &[&str] = &["right_party", "converted"];
pub(super) const CONVERTED: &[&str] = &["converted"];
pub(super) const DIALLER_ABANDONED: &[&str] = &["dialler_abandoned"];

impl Num {
    pub(super) fn ind(c: Cond) -> Num {
        Num::Ind(Box::new(c))
    }
    fn when(c: Cond, then: Num) -> Num {
        Num::If(Box::new(c), Box::new(then), Box::new(Num::Int(0)))
    }
    fn add(self, o: Num) -> Num {
        Num::Add(Box::new(self), Box::new(o))
    }
    fn sub(self, o: Num) -> Num {
        Num::Sub(Box::new(self), Box::new(o))
    }
}

impl Cond {
    fn and(self, o: Cond) -> Cond {
        Cond::And(Box::new(self), Box::new(o))
    }
    fn not(self) -> Cond {
        Cond::Not(Box::new(self))
    }
}

/// `value ≤ threshold` (or `<`), the threshold in seconds and the value in milliseconds.
fn within_ms(value: Num, threshold_s: u32, inclusive: bool) -> Cond {
    let t = Num::Int(i64::from(threshold_s) * 1000);
    if inclusive {
        Cond::Le(value, t)
    } else {
        Cond::Lt(value, t)
    }
}

fn abandoned() -> Cond {
    Cond::Answered.not()
}

/// A short abandon: not answered, with the wait within the short-abandon threshold.
fn short_abandon(threshold_s: u32, inclusive: bool) -> Cond {
    abandoned().and(within_ms(Num::Field(Field::Wait), threshold_s, inclusive))
}

/// The counts a service level is formed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SlCount {
    /// A: answered.
    A,
    /// AB: abandoned.
    Ab,
    /// A≤T: answered within the threshold.
    ALe,
    /// AB≤T: abandoned within the threshold.
    AbLe,
    /// SA: short abandons.
    Sa,
}

impl SlCount {
    pub(super) const ALL: [SlCount; 5] = [SlCount::A, SlCount::Ab, SlCount::ALe, SlCount::AbLe, SlCount::Sa];

    /// The column the per-interval count is summed into (Polars and SQL).
    pub(super) fn column(self) -> &'static str {
        match self {
            SlCount::A => "a",
            SlCount::Ab => "ab",
            SlCount::ALe => "a_le",
            SlCount::AbLe => "ab_le",
            SlCount::Sa => "sa",
        }
    }

    /// The per-contact indicator of this count.
    pub(super) fn indicator(self, threshold_s: u32, inclusive: bool, short_s: u32, short_inclusive: bool) -> Num {
        let wait = || Num::Field(Field::Wait);
        Num::ind(match self {
            SlCount::A => Cond::Answered,
            SlCount::Ab => abandoned(),
            SlCount::ALe => Cond::Answered.and(within_ms(wait(), threshold_s, inclusive)),
            SlCount::AbLe => abandoned().and(within_ms(wait(), threshold_s, inclusive)),
            SlCount::Sa => short_abandon(short_s, short_inclusive),
        })
    }
}

/// A sum of counts with signs; `offered` stands for A + AB (one per contact).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Linear {
    pub(super) offered: bool,
    pub(super) terms: Vec<(i64, SlCount)>,
}

impl Linear {
    fn of(offered: bool, terms: &[(i64, SlCount)]) -> Linear {
        Linear { offered, terms: terms.to_vec() }
    }

    /// Evaluated on counts.
    pub(super) fn eval(&self, count: impl Fn(SlCount) -> i64) -> i64 {
        let base = if self.offered { count(SlCount::A) + count(SlCount::Ab) } else { 0 };
        self.terms.iter().fold(base, |acc, (sign, c)| acc + sign * count(*c))
    }

    /// Per contact, with each count replaced by its indicator (`offered` by one).
    pub(super) fn per_contact(&self, indicator: impl Fn(SlCount) -> Num) -> Num {
        let mut out: Option<Num> = self.offered.then_some(Num::One);
        for (sign, c) in &self.terms {
            let t = indicator(*c);
            out = Some(match (out, *sign >= 0) {
                (None, true) => t,
                (None, false) => Num::Int(0).sub(t),
                (Some(acc), true) => acc.add(t),
                (Some(acc), false) => acc.sub(t),
            });
        }
        out.unwrap_or(Num::Int(0))
    }
}

/// The service level's (numerator, denominator) for an abandon treatment, as written in
/// docs/metrics.md and [`AbandonTreatment`].
pub(super) fn sl_formula(t: AbandonTreatment) -> (Linear, Linear) {
    use SlCount::*;
    match t {
        AbandonTreatment::CountAgainst => (Linear::of(false, &[(1, ALe)]), Linear::of(true, &[])),
        AbandonTreatment::IgnoreBeforeT => (Linear::of(false, &[(1, ALe)]), Linear::of(true, &[(-1, AbLe)])),
        AbandonTreatment::MetBeforeT => (Linear::of(false, &[(1, ALe), (1, AbLe)]), Linear::of(true, &[])),
        AbandonTreatment::AnsweredOnly => (Linear::of(false, &[(1, ALe)]), Linear::of(false, &[(1, A)])),
        AbandonTreatment::ExcludeShort => (Linear::of(false, &[(1, ALe)]), Linear::of(true, &[(-1, Sa)])),
        AbandonTreatment::ShortMet => (Linear::of(false, &[(1, ALe), (1, Sa)]), Linear::of(true, &[])),
    }
}

/// Service level from counts: returns (numerator, denominator).
pub fn service_level_counts(t: AbandonTreatment, a: i64, ab: i64, a_le: i64, ab_le: i64, sa: i64) -> (i64, i64) {
    let count = |c: SlCount| match c {
        SlCount::A => a,
        SlCount::Ab => ab,
        SlCount::ALe => a_le,
        SlCount::AbLe => ab_le,
        SlCount::Sa => sa,
    };
    let (n, d) = sl_formula(t);
    (n.eval(count), d.eval(count))
}

/// Whether a definition looks at every channel (then no per-contact channel gate is needed).
pub(super) fn all_channels(def: &MetricDef) -> bool {
    let chans = def.channels();
    crate::schema::CHANNELS.iter().all(|c| chans.iter().any(|x| x == c))
}

/// Per-contact terms of one definition: (numerator, denominator, sample, unsettled), each
/// summed per group. `None` for the metrics computed on their own path (percentiles, interval
/// compliance, availability) and for a CSAT definition not yet bound to a scale.
///
/// `cal` is the position of the definition's calendar in the request: a real-time metric then
/// counts only the contacts arriving inside hours, a deferred one measures business time.
pub(super) fn indicators(def: &MetricDef, idx: usize, cal: Option<usize>) -> Option<[Num; 4]> {
    let chans = def.channels();
    let mut gate_cond: Option<Cond> = (!all_channels(def)).then(|| Cond::InChannels(chans.clone()));
    if let Some(c) = def.campaigns() {
        gate_cond = Some(match gate_cond {
            Some(g) => g.and(Cond::InCampaigns(c.to_vec())),
            None => Cond::InCampaigns(c.to_vec()),
        });
    }
    if let (Some(c), false) = (cal, def.elapsed_in_calendar()) {
        gate_cond = Some(match gate_cond {
            Some(g) => g.and(Cond::Open(c)),
            None => Cond::Open(c),
        });
    }
    let gate = |e: Num| match &gate_cond {
        Some(g) => Num::when(g.clone(), e),
        None => e,
    };
    // Timestamps the deferred metrics measure between: the wall clock, or the calendar's.
    let ts = |f: Field| match (cal, f) {
        (None, _) => Num::Field(f),
        (Some(c), Field::Arrived) => Num::Field(Field::Biz(c, Stamp::Arrived)),
        (Some(c), Field::Answered) => Num::Field(Field::Biz(c, Stamp::Answered)),
        (Some(c), Field::Ended) => Num::Field(Field::Biz(c, Stamp::Ended)),
        (Some(c), Field::AsOf) => Num::Field(Field::Biz(c, Stamp::AsOf)),
        (Some(_), _) => Num::Field(f),
    };
    let zero = || Num::Int(0);
    let one = || gate(Num::One);
    let answered = || Num::ind(Cond::Answered);
    let us = |s: u32| Num::Int(i64::from(s) * 1_000_000);
    let out = match def {
        MetricDef::Offered(_) => [one(), zero(), one(), zero()],
        MetricDef::Answered(_) => [gate(answered()), zero(), one(), zero()],
        MetricDef::Abandoned(_) => [gate(Num::ind(abandoned())), zero(), one(), zero()],
        MetricDef::ShortAbandoned(d) => {
            [gate(Num::ind(short_abandon(d.short_abandon_s, d.short_inclusive))), zero(), one(), zero()]
        }
        MetricDef::AbandonmentRate(d) => {
            let sa = || Num::ind(short_abandon(d.short_abandon_s, d.short_inclusive));
            match d.short_abandons {
                ShortAbandons::Exclude => {
                    [gate(Num::ind(abandoned()).sub(sa())), gate(Num::One.sub(sa())), one(), zero()]
                }
                ShortAbandons::Include => [gate(Num::ind(abandoned())), one(), one(), zero()],
            }
        }
        MetricDef::ServiceLevel(d) => {
            let ind = |c: SlCount| c.indicator(d.threshold_s, d.inclusive, d.short_abandon_s, d.short_inclusive);
            let (n, den) = sl_formula(d.abandons);
            [gate(n.per_contact(ind)), gate(den.per_contact(ind)), one(), zero()]
        }
        MetricDef::Asa(_) => {
            [gate(Num::when(Cond::Answered, Num::OrZero(Field::Wait))), gate(answered()), gate(answered()), zero()]
        }
        MetricDef::Aht(d) => {
            let handle = d
                .components
                .iter()
                .map(|c| {
                    Num::OrZero(match c {
                        Component::Talk => Field::Talk,
                        Component::Hold => Field::Hold,
                        Component::Wrap => Field::Wrap,
                    })
                })
                .reduce(Num::add)
                .unwrap_or_else(zero);
            [gate(Num::when(Cond::Answered, handle)), gate(answered()), gate(answered()), zero()]
        }
        MetricDef::Fcr(d) => match d.method {
            FcrMethod::Disposition => {
                let resolved = Num::ind(Cond::Answered.and(Cond::Flag(Field::Resolved)));
                let den = match d.denominator {
                    FcrDenominator::Handled => gate(answered()),
                    FcrDenominator::Offered => one(),
                };
                [gate(resolved), den.clone(), den, zero()]
            }
            FcrMethod::RepeatContact => {
                // A contact counts once its window has ended by the data-complete instant,
                // whether or not a repeat was already seen: counting early repeats but not
                // early non-repeats biases the rate low (docs/metrics.md, "Provisional figures").
                let window = Num::Int(i64::from(d.window_days) * 86_400_000_000);
                let settled = || Cond::Le(Num::Field(Field::Arrived).add(window.clone()), Num::Field(Field::AsOf));
                let base = || Cond::Answered.and(Cond::Present(Field::CustomerId));
                let no_repeat = Cond::Flag(Field::Repeat(idx)).not();
                [
                    gate(Num::ind(base().and(settled()).and(no_repeat))),
                    gate(Num::ind(base().and(settled()))),
                    gate(answered()),
                    gate(Num::ind(base().and(settled().not()))),
                ]
            }
        },
        MetricDef::Csat(d) => {
            // Bound to the profile's scale before computing (`definition::bind_csat_scale`).
            let [lo, hi] = d.scale?;
            let score = || Num::Field(Field::Csat);
            let valid =
                || Cond::Present(Field::Csat).and(Cond::Ge(score(), Num::Int(lo))).and(Cond::Le(score(), Num::Int(hi)));
            let num = match d.measure {
                CsatMeasure::Top2Box => Num::ind(valid().and(Cond::Ge(score(), Num::Int(hi - 1)))),
                CsatMeasure::TopBox => Num::ind(valid().and(Cond::Eq(score(), Num::Int(hi)))),
                CsatMeasure::Mean => Num::when(valid(), score()),
            };
            [gate(num), gate(Num::ind(valid())), gate(Num::ind(valid())), zero()]
        }
        MetricDef::ResponseTime(d) | MetricDef::ResolutionTime(d) => {
            let at = if matches!(def, MetricDef::ResponseTime(_)) { Field::Answered } else { Field::Ended };
            // Only contacts whose deadline has passed by the data-complete instant count (the
            // same cohort for the numerator and the denominator; docs/metrics.md).
            let decided = || Cond::Le(ts(Field::Arrived).add(us(d.threshold_s)), ts(Field::AsOf));
            let elapsed = ts(at).sub(ts(Field::Arrived));
            let met = decided().and(Cond::Present(at)).and(Cond::Le(elapsed, us(d.threshold_s)));
            [gate(Num::ind(met)), gate(Num::ind(decided())), one(), gate(Num::ind(decided().not()))]
        }
        MetricDef::ResponseTimeMean(_) | MetricDef::ResolutionTimeMean(_) => {
            let at = if matches!(def, MetricDef::ResponseTimeMean(_)) { Field::Answered } else { Field::Ended };
            // Milliseconds: the µs difference divided by 1000 (not the difference of two
            // rounded ms), as for the percentiles.
            let elapsed_ms = Num::Div(Box::new(ts(at).sub(ts(Field::Arrived))), 1000);
            [
                gate(Num::when(Cond::Present(at), elapsed_ms)),
                gate(Num::ind(Cond::Present(at))),
                one(),
                gate(Num::ind(Cond::Missing(at))),
            ]
        }
        MetricDef::OutboundAttempts(_) => [one(), zero(), one(), zero()],
        MetricDef::OutboundConnects(_) => [gate(Num::ind(Cond::Disposition(CONNECT))), zero(), one(), zero()],
        MetricDef::ContactRate(_) => [gate(Num::ind(Cond::Disposition(CONNECT))), one(), one(), zero()],
        MetricDef::RightPartyContactRate(_) => {
            [gate(Num::ind(Cond::Disposition(RIGHT_PARTY))), gate(Num::ind(Cond::Disposition(CONNECT))), one(), zero()]
        }
        MetricDef::ConversionRate(_) => [
            gate(Num::ind(Cond::Disposition(CONVERTED))),
            gate(Num::ind(Cond::Disposition(RIGHT_PARTY))),
            one(),
            zero(),
        ],
        MetricDef::DiallerAbandonmentRate(d) if d.window == AbandonWindow::Period => [
            gate(Num::ind(Cond::Disposition(DIALLER_ABANDONED))),
            gate(Num::ind(Cond::Disposition(LIVE))),
            one(),
            zero(),
        ],
        MetricDef::CallingWindowViolations(_) => {
            [gate(Num::ind(Cond::Flag(Field::OutsideWindow(idx)))), zero(), one(), zero()]
        }
        MetricDef::SuppressionHits(_) => [gate(Num::ind(Cond::Flag(Field::Suppressed))), zero(), one(), zero()],
        MetricDef::ResponseTimePercentile(_)
        | MetricDef::ResolutionTimePercentile(_)
        | MetricDef::Availability(_)
        | MetricDef::IntervalCompliance(_)
        | MetricDef::DiallerAbandonmentRate(_) => return None,
        // Read from the side tables (`workforce.rs`), not from contacts.
        MetricDef::QaScore(_)
        | MetricDef::QaPassRate(_)
        | MetricDef::CriticalErrorRate(_)
        | MetricDef::ScheduleAdherence(_)
        | MetricDef::Occupancy(_)
        | MetricDef::Shrinkage(_)
        | MetricDef::LoggedInHours(_)
        | MetricDef::ProductiveHours(_) => return None,
    };
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every abandon treatment, on counts chosen so that each term moves the result.
    #[test]
    fn service_level_formulas_match_the_documented_ones() {
        let (a, ab, a_le, ab_le, sa) = (70, 30, 50, 12, 5);
        let cases = [
            (AbandonTreatment::CountAgainst, (50, 100)),
            (AbandonTreatment::IgnoreBeforeT, (50, 88)),
            (AbandonTreatment::MetBeforeT, (62, 100)),
            (AbandonTreatment::AnsweredOnly, (50, 70)),
            (AbandonTreatment::ExcludeShort, (50, 95)),
            (AbandonTreatment::ShortMet, (55, 100)),
        ];
        for (t, want) in cases {
            assert_eq!(service_level_counts(t, a, ab, a_le, ab_le, sa), want, "{t:?}");
        }
    }

    /// Per contact, `offered` is one and a negative first term is subtracted from zero.
    #[test]
    fn linear_sums_render_per_contact() {
        let ind = |c: SlCount| {
            Num::Field(match c {
                SlCount::A => Field::Talk,
                _ => Field::Hold,
            })
        };
        let (_, den) = sl_formula(AbandonTreatment::ExcludeShort);
        assert_eq!(den.per_contact(ind), Num::One.sub(Num::Field(Field::Hold)));
        let neg = Linear::of(false, &[(-1, SlCount::A)]);
        assert_eq!(neg.per_contact(ind), Num::Int(0).sub(Num::Field(Field::Talk)));
        assert_eq!(Linear::of(false, &[]).per_contact(ind), Num::Int(0));
    }
}
