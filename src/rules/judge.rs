//! Judging one SLA in one period: its figure from the metric table, its status (met, missed,
//! below the minimum, not measured, excluded, waived under volume relief) and its credit,
//! escalated and capped, with the steps in words.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::credit::credit_by_shape;
use super::*;
use crate::contract::{Direction, Sla, SlaKind, Terms};
use crate::metrics::definition::{MetricDef, Unit};
use crate::metrics::{period, ALL};
use crate::money;

#[allow(clippy::too_many_arguments)] // reason: the parts of one judgement, named
pub(super) fn judge(
    input: &RulesInput<'_>,
    index: &RowIndex<'_>,
    terms: &Terms,
    sla: &Sla,
    start: i64,
    label: &str,
    fees: Decimal,
    at_risk: Decimal,
    tracks: &mut BTreeMap<String, Track>,
) -> Result<SlaResult, RulesError> {
    let c = input.contract;
    let r = c.rounding;
    let unit = sla.unit();
    let queue = sla.queue.clone().unwrap_or_else(|| ALL.to_string());
    let row = index.find(start, &queue, &sla.metric);
    let clause = format!("sla.{}", sla.id);
    let mut explanation = Vec::new();
    let (num, den) = row.map_or((None, None), |r| (r.numerator, r.denominator));
    let sample = row.map_or(0, |r| r.sample_size);
    explanation.push(match row {
        Some(r) => format!(
            "{} for {} ({}): {} = {} / {} from {} contacts",
            sla.metric.name(),
            label,
            if queue == ALL { "all in-scope queues".to_string() } else { format!("queue {queue}") },
            r.value.map(|v| v.to_string()).unwrap_or_else(|| "no data".to_string()),
            r.numerator.map(|v| v.to_string()).unwrap_or_default(),
            r.denominator.map(|v| v.to_string()).unwrap_or_else(|| "-".to_string()),
            r.sample_size
        ),
        None => format!("{} for {label}: no contacts measured", sla.metric.name()),
    });

    // Status.
    let excluded_window = c.exclusions.iter().any(|e| {
        e.start <= start
            && e.end >= period::period_end(c.period, c.zone, start)
            && e.queues.as_ref().is_none_or(|q| sla.queue.as_ref().is_none_or(|s| q.contains(s)))
    });
    let is_availability = matches!(sla.metric, MetricDef::Availability(_));
    let missing_input = if is_availability && !input.outages_given {
        Some("no outage log was given (--outages) and [inputs] marks it optional: not measured, no credit")
    } else if sla.metric.side_table() == Some(crate::metrics::definition::SideInput::Qa) && !input.qa_given {
        Some("no quality evaluations were given (--qa) and [inputs] marks them optional: not measured, no credit")
    } else if sla.metric.side_table() == Some(crate::metrics::definition::SideInput::AgentHours)
        && !input.agent_hours_given
    {
        Some("no agent hours were given (--agent-hours) and [inputs] marks them optional: not measured, no credit")
    } else if matches!(sla.metric, MetricDef::SuppressionHits(_)) && !input.suppression_given {
        Some("no suppression list was given (--suppression) and [inputs] marks it optional: not measured, no credit")
    } else if !is_availability && c.needs_forecast() && input.forecast.is_none() {
        Some("no forecast was given (--forecast) and [inputs] marks it optional, so volume relief cannot be judged: not measured, no credit")
    } else {
        None
    };
    let waived = missing_input.is_none()
        && !is_availability
        && volume_relief(input, index, sla, start, label, &queue, &mut explanation);
    let value_known = match (num, den, unit) {
        (Some(_), _, Unit::Count) => true,
        (Some(_), Some(d), _) => !d.is_zero(),
        _ => false,
    };
    let status = if excluded_window {
        explanation.push("the whole period lies in an agreed exclusion window".to_string());
        Status::Excluded
    } else if let Some(why) = missing_input {
        explanation.push(why.to_string());
        Status::NotMeasured
    } else if waived {
        Status::Waived
    } else if !value_known || sample < sla.min_sample {
        explanation.push(format!(
            "sample {sample} is below the minimum of {} (or no data): not measured, no credit",
            sla.min_sample
        ));
        Status::NotMeasured
    } else {
        let (n, d) = (num.unwrap_or_default(), den.unwrap_or(Decimal::ONE));
        if meets(sla.direction, compare(n, d, unit, sla.target)?) {
            explanation.push(format!(
                "target {} {}: met",
                if sla.direction == Direction::AtLeast { "≥" } else { "≤" },
                sla.target
            ));
            Status::Met
        } else if sla.minimum.is_some_and(|m| !meets(sla.direction, compare(n, d, unit, m).unwrap_or(Ordering::Equal)))
        {
            explanation.push(format!("below the minimum level {}", sla.minimum.unwrap_or_default()));
            Status::BelowMinimum
        } else {
            explanation.push(format!(
                "target {} {}: missed",
                if sla.direction == Direction::AtLeast { "≥" } else { "≤" },
                sla.target
            ));
            Status::Missed
        }
    };
    let achieved_full = match (num, den) {
        (Some(n), Some(d)) if value_known => Some(achieved_exact(n, d, unit)?),
        (Some(n), None) if unit == Unit::Count => Some(n),
        _ => None,
    };
    let shortfall = match (status, achieved_full) {
        (Status::Met, Some(_)) => Some(Decimal::ZERO),
        (s, Some(a)) if s.is_miss() => Some(match sla.direction {
            Direction::AtLeast => sla.target - a,
            Direction::AtMost => a - sla.target,
        }),
        _ => None,
    };

    // Credit.
    let mut credit_base = Decimal::ZERO;
    let mut factor = Decimal::ONE;
    let mut credit = r.apply(Decimal::ZERO);
    let mut shape_name = crate::contract::ShapeName::None;
    let mut clause_detail = clause.clone();
    let track = tracks.entry(sla.id.clone()).or_default();
    if let (SlaKind::Critical, Some(shape)) = (sla.kind, &sla.credit) {
        shape_name = shape.name();
        if status.is_miss() {
            let (base, detail, text) = credit_by_shape(
                shape,
                sla,
                terms,
                fees,
                at_risk,
                achieved_full.unwrap_or_default(),
                shortfall.unwrap_or_default(),
            )?;
            credit_base = base;
            clause_detail = format!("{clause}.credit{detail}");
            explanation.push(text);
            if let Some(esc) = &sla.escalation {
                let k = esc.after_consecutive_misses as usize;
                let previous: Vec<&Entry> = track.entries.iter().rev().take(k).collect();
                let prior = previous.iter().filter(|e| e.status.is_miss()).count();
                let gaps: Vec<&str> = previous.iter().filter(|e| e.gap).map(|e| e.period.as_str()).collect();
                if !gaps.is_empty() {
                    explanation.push(match c.not_assessed {
                        crate::contract::NotAssessed::Missed => format!(
                            "{} not assessed, counted as missed (contract.not_assessed = \"missed\")",
                            gaps.join(", ")
                        ),
                        crate::contract::NotAssessed::Met => format!(
                            "not escalated: {} not assessed, counted as met (contract.not_assessed = \"met\")",
                            gaps.join(", ")
                        ),
                        crate::contract::NotAssessed::BreaksRun => format!(
                            "not escalated: {} not assessed, and a period without an assessment breaks a run of misses",
                            gaps.join(", ")
                        ),
                    });
                }
                if track.entries.len() >= k && prior == k {
                    factor = esc.factor;
                    explanation.push(format!("also missed in the previous {k} period(s): escalated × {}", esc.factor));
                    clause_detail += &format!(", {clause}.escalation");
                }
            }
            let mut amount = money::mul(credit_base, factor, "the escalated credit")?;
            if let Some(cap) = sla.cap {
                if amount > cap {
                    explanation.push(format!("capped at the SLA's cap of {cap}"));
                    amount = cap;
                    clause_detail += &format!(", {clause}.cap");
                }
            }
            credit = r.apply(amount);
            explanation.push(format!(
                "credit {} {} (rounded {} to {} places)",
                credit,
                c.currency,
                r.strategy.as_str(),
                r.minor_units
            ));
        }
    }
    track.entries.push(Entry { period: label.to_string(), status, num, den, gap: false });
    if credit > Decimal::ZERO && sla.earn_back.is_some() {
        track.open_credits.push((label.to_string(), credit));
    }

    let achieved = row.and_then(|r| r.value);
    Ok(SlaResult {
        sla_id: sla.id.clone(),
        name: sla.name.clone(),
        kind: sla.kind,
        metric: sla.metric.name().to_string(),
        definition: sla.metric.definition(),
        queue,
        unit,
        direction: sla.direction,
        numerator: num,
        denominator: den,
        achieved,
        target: sla.target,
        minimum: sla.minimum,
        sample_size: sample,
        min_sample: sla.min_sample,
        provisional: row.is_some_and(|r| r.provisional),
        status,
        shortfall: shortfall.map(|s| s.round_dp(4)),
        credit_shape: shape_name,
        credit_base: r.apply(credit_base),
        escalation_factor: factor,
        credit,
        earn_back: Decimal::ZERO,
        earn_back_forfeited: Decimal::ZERO,
        clause: clause_detail,
        clause_label: sla.clause.clone().unwrap_or_default(),
        by_queue: if sla.queue.is_none() {
            c.queues
                .iter()
                .filter_map(|q| index.find(start, q, &sla.metric))
                .map(|r| QueueFigure {
                    queue: r.queue.clone(),
                    achieved: r.value,
                    numerator: r.numerator,
                    denominator: r.denominator,
                    sample_size: r.sample_size,
                })
                .collect()
        } else {
            Vec::new()
        },
        explanation,
    })
}

/// Volume relief: waived when the offered contacts in the SLA's scope exceed the forecast for
/// that scope × (1 + tolerance). The scope is the SLA's channels and queue: per-channel
/// forecast rows for every one of its channels, or else a row for all channels (`*`, which
/// is then compared with every channel's offered contacts); a QA or workforce SLA's scope is
/// every channel of the contract's scope. With no row covering the scope, the SLA is judged
/// without relief and the run says so.
fn volume_relief(
    input: &RulesInput<'_>,
    index: &RowIndex<'_>,
    sla: &Sla,
    start: i64,
    label: &str,
    queue: &str,
    explanation: &mut Vec<String>,
) -> bool {
    let c = input.contract;
    let (Some(tol), Some(file)) = (c.volume_relief_tolerance_percent, &input.forecast) else { return false };
    let offered = |def: &MetricDef| index.find(start, queue, def).and_then(|r| r.numerator).unwrap_or_default();
    // A QA or workforce SLA measures no contacts: relief compares the whole scope's contacts.
    let channels = if sla.metric.side_table().is_some() { c.channels.clone() } else { sla.metric.channels() };
    let per_channel: Option<Vec<u64>> =
        channels.iter().map(|ch| forecast_for(file, label, ch, queue, &c.queues)).collect();
    let (forecast, actual, scope) = match per_channel {
        Some(f) if !channels.is_empty() => (
            f.iter().sum::<u64>(),
            channels.iter().map(|ch| offered(&channel_volume_def(ch))).sum::<Decimal>(),
            channels.join(", "),
        ),
        _ => match forecast_for(file, label, "*", queue, &c.queues) {
            Some(f) => (f, offered(&volume_def(c)), "all channels".to_string()),
            None => {
                explanation.push(format!(
                    "{NO_FORECAST_ROW} channel(s) {} in {} for {label}: judged without volume relief",
                    channels.join(", "),
                    if queue == ALL { "all queues".to_string() } else { format!("queue {queue}") }
                ));
                return false;
            }
        },
    };
    let limit = Decimal::from(forecast) * (Decimal::ONE_HUNDRED + tol) / Decimal::ONE_HUNDRED;
    if actual > limit {
        explanation.push(format!(
            "offered {actual} ({scope}) exceeds forecast {forecast} by more than {tol}% (limit {}): waived under volume relief",
            limit.normalize()
        ));
        true
    } else {
        explanation.push(format!(
            "offered {actual} ({scope}) is within forecast {forecast} + {tol}% (limit {}): no volume relief",
            limit.normalize()
        ));
        false
    }
}
