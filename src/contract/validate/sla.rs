//! Validating SLAs: scope, target, minimum, kind, credit shapes (tiers covering every miss),
//! cap, escalation and earn-back; and the checks across a set of SLAs.

use std::collections::BTreeSet;

use rust_decimal::Decimal;
use toml::Spanned;

use super::{set_channels, Ctx, Validator, R};
use crate::contract::raw::*;
use crate::contract::*;
use crate::metrics::definition::{MetricDef, Unit};

impl Validator<'_> {
    pub(super) fn sla(&self, s: &Spanned<RawSla>, ctx: &Ctx<'_>) -> R<Sla> {
        let r = s.get_ref();
        let key = |k: &str| format!("sla[{}].{k}", r.id);
        let is_availability = matches!(r.metric, MetricDef::Availability(_));
        if is_availability && (r.channels.is_some() || r.queue.is_some()) {
            return Err(self.err(s.span(), key("metric"), Problem::AvailabilityScope));
        }
        let side = r.metric.side_table().is_some();
        if side && r.channels.is_some() {
            return Err(self.err(s.span(), key("channels"), Problem::SideScope));
        }
        // An SLA measures one direction's contacts: that direction must be in scope, or the
        // SLA would only ever read "no data".
        let measured = if r.metric.outbound() { "outbound" } else { "inbound" };
        if !is_availability && !side && !ctx.directions.iter().any(|d| d == measured) {
            return Err(self.err(
                s.span(),
                key("metric"),
                Problem::not_in_scope("directions", measured, ctx.directions),
            ));
        }
        let mut metric = r.metric.clone();
        if let Some(chs) = &r.channels {
            for c in chs {
                if !ctx.channels.contains(c.get_ref()) {
                    return Err(self.err(
                        c.span(),
                        key("channels"),
                        Problem::not_in_scope("channels", c.get_ref(), ctx.channels),
                    ));
                }
            }
            set_channels(&mut metric, chs.iter().map(|c| c.get_ref().clone()).collect());
        } else if !is_availability {
            // Without channels, the metric's default channels that are in scope.
            let chs: Vec<String> = metric.channels().into_iter().filter(|c| ctx.channels.contains(c)).collect();
            set_channels(&mut metric, chs);
        }
        metric.validate().map_err(|e| self.err(s.span(), key("metric"), Problem::Metric(e.to_string())))?;
        metric
            .check_calendar(ctx.calendars)
            .map_err(|e| self.err(s.span(), key("metric.calendar"), Problem::Metric(e.to_string())))?;
        let queue = match &r.queue {
            Some(q) if q.get_ref() == "*" => None,
            Some(q) if !ctx.queues.contains(q.get_ref()) => {
                return Err(self.err(q.span(), key("queue"), Problem::not_in_scope("queues", q.get_ref(), ctx.queues)))
            }
            Some(q) => Some(q.get_ref().clone()),
            None => None,
        };
        let direction = match r.direction.get_ref().as_str() {
            "at_least" => Direction::AtLeast,
            "at_most" => Direction::AtMost,
            other => {
                return Err(self.err(r.direction.span(), key("direction"), Problem::BadDirection(other.to_string())))
            }
        };
        let kind = match r.kind.get_ref().as_str() {
            "critical" => SlaKind::Critical,
            "key" => SlaKind::Key,
            other => return Err(self.err(r.kind.span(), key("kind"), Problem::BadKind(other.to_string()))),
        };
        let target = r.target.get_ref().0;
        if metric.unit() == Unit::Percent {
            self.percent(&r.target, &key("target"), "100")?;
        } else {
            self.non_negative(target, r.target.span(), &key("target"))?;
        }
        let minimum = match &r.minimum {
            None => None,
            Some(m) => {
                let v = m.get_ref().0;
                let wrong = match direction {
                    Direction::AtLeast => v > target,
                    Direction::AtMost => v < target,
                };
                if wrong {
                    let (dir, side) = match direction {
                        Direction::AtLeast => ("at_least", "at or below"),
                        Direction::AtMost => ("at_most", "at or above"),
                    };
                    return Err(self.err(
                        m.span(),
                        key("minimum"),
                        Problem::MinimumBeyondTarget {
                            minimum: v.to_string(),
                            target: target.to_string(),
                            direction: dir,
                            side,
                        },
                    ));
                }
                Some(v)
            }
        };
        let credit = match &r.credit {
            None => None,
            Some(c) => Some(self.credit(c, &key("credit"))?),
        };
        if let (Some(CreditShape::Tiers { tiers }), Some(c)) = (&credit, &r.credit) {
            self.tiers_cover_misses(tiers, direction, target, minimum)
                .map_err(|p| self.err(c.span(), key("credit.tiers"), p))?;
        }
        match kind {
            SlaKind::Critical if credit.is_none() => {
                return Err(self.err(s.span(), key("credit"), Problem::CriticalWithoutCredit))
            }
            SlaKind::Key if credit.is_some() || r.cap.is_some() || r.escalation.is_some() || r.earn_back.is_some() => {
                return Err(self.err(s.span(), key("credit"), Problem::KeyWithCredit))
            }
            _ => {}
        }
        let cap = r.cap.as_ref().map(|c| self.non_negative(c.get_ref().0, c.span(), &key("cap"))).transpose()?;
        let escalation = r
            .escalation
            .as_ref()
            .map(|e| {
                let er = e.get_ref();
                if er.factor.0 < Decimal::ONE {
                    return Err(self.err(
                        e.span(),
                        key("escalation.factor"),
                        Problem::EscalationBelowOne(er.factor.0.to_string()),
                    ));
                }
                if er.after_consecutive_misses == Some(0) {
                    return Err(self.err(e.span(), key("escalation.after_consecutive_misses"), Problem::ZeroCount));
                }
                Ok(Escalation {
                    factor: er.factor.0,
                    after_consecutive_misses: er.after_consecutive_misses.unwrap_or_else(|| {
                        self.default_used(format!(
                            "sla[{}].escalation.after_consecutive_misses: 1 (the key is left out)",
                            r.id
                        ));
                        1
                    }),
                })
            })
            .transpose()?;
        let earn_back = r
            .earn_back
            .as_ref()
            .map(|e| match (e.get_ref().periods, e.get_ref().year_average) {
                (Some(n), false) if n >= 1 => Ok(EarnBack::NextPeriods(n)),
                (None, true) => Ok(EarnBack::YearAverage),
                _ => Err(self.err(e.span(), key("earn_back"), Problem::EarnBackEmpty)),
            })
            .transpose()?;
        Ok(Sla {
            id: r.id.clone(),
            name: r.name.clone(),
            metric,
            queue,
            target,
            direction,
            minimum,
            min_sample: r.min_sample.unwrap_or_else(|| {
                if kind == SlaKind::Critical && !is_availability {
                    self.default_used(format!(
                        "sla[{}].min_sample: 0, judged at any sample size (the key is left out)",
                        r.id
                    ));
                }
                0
            }),
            kind,
            credit,
            cap,
            escalation,
            earn_back,
            clause: r.clause.clone().filter(|c| !c.trim().is_empty()),
        })
    }

    fn credit(&self, c: &Spanned<RawCredit>, key: &str) -> R<CreditShape> {
        let span = c.span();
        Ok(match c.get_ref() {
            RawCredit::Allocation { allocation_percent } => CreditShape::Allocation {
                allocation_percent: self.percent(
                    &Spanned::new(span.clone(), *allocation_percent),
                    &format!("{key}.allocation_percent"),
                    "100",
                )?,
            },
            RawCredit::Fixed { amount } => {
                CreditShape::Fixed { amount: self.non_negative(amount.0, span, &format!("{key}.amount"))? }
            }
            RawCredit::PercentOfFees { percent } => CreditShape::PercentOfFees {
                percent: self.percent(&Spanned::new(span, *percent), &format!("{key}.percent"), "100")?,
            },
            RawCredit::Linear { per_point } => {
                CreditShape::Linear { per_point: self.non_negative(per_point.0, span, &format!("{key}.per_point"))? }
            }
            RawCredit::Tiers { tiers } => {
                let mut out: Vec<CreditTier> = Vec::new();
                for (i, t) in tiers.iter().enumerate() {
                    if t.amount.is_some() == t.percent_of_at_risk.is_some() {
                        return Err(self.err(span, format!("{key}.tiers"), Problem::TierCreditNotOne));
                    }
                    if let Some(prev) = out.last() {
                        match prev.to {
                            None => return Err(self.err(span, format!("{key}.tiers"), Problem::OpenTierNotLast("to"))),
                            Some(end) if t.from.0 < end => {
                                return Err(self.err(
                                    span,
                                    format!("{key}.tiers"),
                                    Problem::TiersOverlap {
                                        index: i + 1,
                                        start: t.from.0.to_string(),
                                        previous_end: end.to_string(),
                                    },
                                ))
                            }
                            _ => {}
                        }
                    }
                    if let Some(to) = t.to {
                        if to.0 <= t.from.0 {
                            return Err(self.err(
                                span,
                                format!("{key}.tiers"),
                                Problem::TiersOverlap {
                                    index: i + 1,
                                    start: t.from.0.to_string(),
                                    previous_end: to.0.to_string(),
                                },
                            ));
                        }
                    }
                    if let Some(p) = t.percent_of_at_risk {
                        self.percent(
                            &Spanned::new(span.clone(), p),
                            &format!("{key}.tiers.percent_of_at_risk"),
                            "100",
                        )?;
                    }
                    out.push(CreditTier {
                        from: t.from.0,
                        to: t.to.map(|d| d.0),
                        amount: t
                            .amount
                            .map(|d| self.non_negative(d.0, span.clone(), &format!("{key}.tiers.amount")))
                            .transpose()?,
                        percent_of_at_risk: t.percent_of_at_risk.map(|d| d.0),
                    });
                }
                CreditShape::Tiers { tiers: out }
            }
        })
    }

    /// Credit tiers must leave no missed value without a tier: every achieved value from the
    /// target (or the minimum, when the tiers credit only below it) to the worst possible
    /// value falls in exactly one tier. Tiers are `[from, to)`, ascending (checked in
    /// [`Validator::credit`]); achieved values are never negative.
    fn tiers_cover_misses(
        &self,
        tiers: &[CreditTier],
        direction: Direction,
        target: Decimal,
        minimum: Option<Decimal>,
    ) -> Result<(), Problem> {
        let (Some(first), Some(last)) = (tiers.first(), tiers.last()) else { return Ok(()) };
        let starts = |v: Decimal| v == target || minimum == Some(v);
        for w in tiers.windows(2) {
            if let (Some(end), next) = (w[0].to, &w[1]) {
                if next.from > end {
                    return Err(Problem::TiersLeaveGap {
                        range: format!("[{end}, {})", next.from),
                        fix: format!("start the next tier at {end}, where the one before ends"),
                    });
                }
            }
        }
        match direction {
            // Missed above the target: the tiers run from the target (or minimum) up, open-ended.
            Direction::AtMost => {
                if first.from > target && !starts(first.from) {
                    return Err(Problem::TiersLeaveGap {
                        range: format!("({target}, {})", first.from),
                        fix: format!(
                            "start the first tier at the target ({target}){}",
                            minimum.map_or(String::new(), |m| format!(" or the minimum ({m})"))
                        ),
                    });
                }
                if first.from < target {
                    return Err(Problem::TierCoversMet {
                        tier: 1,
                        value: first.from.to_string(),
                        target: target.to_string(),
                        fix: "start the first tier at the target",
                    });
                }
                if let Some(to) = last.to {
                    return Err(Problem::TiersLeaveGap {
                        range: format!("[{to}, ∞)"),
                        fix: "leave the last tier open-ended (no `to`)".to_string(),
                    });
                }
            }
            // Missed below the target: the tiers run from 0 up to the target (or minimum).
            Direction::AtLeast => {
                if first.from > Decimal::ZERO {
                    return Err(Problem::TiersLeaveGap {
                        range: format!("[0, {})", first.from),
                        fix: "start the first tier at 0".to_string(),
                    });
                }
                match last.to {
                    Some(to) if to < target && !starts(to) => {
                        return Err(Problem::TiersLeaveGap {
                            range: format!("[{to}, {target})"),
                            fix: format!(
                                "end the last tier at the target ({target}){}",
                                minimum.map_or(String::new(), |m| format!(" or the minimum ({m})"))
                            ),
                        })
                    }
                    Some(to) if to > target => {
                        return Err(Problem::TierCoversMet {
                            tier: tiers.len(),
                            value: to.to_string(),
                            target: target.to_string(),
                            fix: "end the last tier at the target",
                        })
                    }
                    None => {
                        return Err(Problem::TierCoversMet {
                            tier: tiers.len(),
                            value: "∞".to_string(),
                            target: target.to_string(),
                            fix: "end the last tier at the target",
                        })
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }

    pub(super) fn check_slas(&self, slas: &[Sla], raw: &[Spanned<RawSla>]) -> R<()> {
        let span_of = |id: &str| raw.iter().find(|r| r.get_ref().id == id).map(|r| r.span()).unwrap_or(0..0);
        let mut ids = BTreeSet::new();
        for s in slas {
            if !ids.insert(s.id.as_str()) {
                return Err(self.err(
                    span_of(&s.id),
                    format!("sla[{}].id", s.id),
                    Problem::DuplicateId(s.id.clone(), "SLA"),
                ));
            }
        }
        let total: Decimal = slas
            .iter()
            .filter_map(|s| match &s.credit {
                Some(CreditShape::Allocation { allocation_percent }) => Some(*allocation_percent),
                _ => None,
            })
            .sum();
        if total > Decimal::ONE_HUNDRED {
            let last = slas.iter().rev().find(|s| matches!(s.credit, Some(CreditShape::Allocation { .. })));
            let span = last.map(|s| span_of(&s.id)).unwrap_or(0..0);
            return Err(self.err(
                span,
                "sla.credit.allocation_percent",
                Problem::AllocationsExceedPool { total: total.normalize().to_string() },
            ));
        }
        Ok(())
    }
}
