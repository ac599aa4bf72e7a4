//! Termination rights: a critical SLA missed k periods in a row or m of the last n, or the
//! period's credits at the cap m of the last n times (docs/contract.md, "[termination]").

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};

use super::obligation::Event;
use super::{ConvenienceRight, Right, TerminationEvent, Track};
use crate::contract::{Contract, SlaKind, Terms};
use crate::metrics::ALL;

/// The rights that arise in the period `label`, given the SLAs' tracks and the cap hits so far.
///
/// A trigger is reached at a period of the history; it is raised in the period being judged
/// when it was reached there or in one of the not-assessed periods just before it (counted as
/// missed under `contract.not_assessed = "missed"`), so a trigger reached over a gap is not lost.
pub(super) fn events(
    c: &Contract,
    terms: &Terms,
    label: &str,
    tracks: &BTreeMap<String, Track>,
    cap_hits: &[(String, bool)],
    events: &mut Vec<TerminationEvent>,
) {
    let label = label.to_string();
    for sla in terms.slas.iter().filter(|s| s.kind == SlaKind::Critical) {
        let Some(t) = tracks.get(&sla.id) else { continue };
        let misses: Vec<(&String, bool)> = t.entries.iter().map(|e| (&e.period, e.status.is_miss())).collect();
        // The not-assessed periods just before the one being judged.
        let gaps = t.entries.iter().rev().skip(1).take_while(|e| e.gap).count();
        if let Some(k) = c.termination.consecutive_misses {
            if let Some(periods) = reached(misses.len(), gaps, |i| streak_reached(&misses[..=i], k as usize)) {
                events.push(TerminationEvent {
                    period: label.clone(),
                    trigger: format!("missed {k} periods in a row"),
                    sla_id: sla.id.clone(),
                    periods,
                    clause: "termination.consecutive_misses".to_string(),
                    right: None,
                });
            }
        }
        if let Some(w) = c.termination.misses_in_window {
            if let Some(periods) = reached(misses.len(), gaps, |i| window_reached(&misses[..=i], w.count, w.window)) {
                events.push(TerminationEvent {
                    period: label.clone(),
                    trigger: format!("missed {} of the last {} periods", w.count, w.window),
                    sla_id: sla.id.clone(),
                    periods,
                    clause: "termination.misses_in_window".to_string(),
                    right: None,
                });
            }
        }
    }
    if let Some(w) = c.termination.cap_hits_in_window {
        // A period without an assessment is never a cap hit: only the current one can reach it.
        let hits: Vec<(&String, bool)> = cap_hits.iter().map(|(p, h)| (p, *h)).collect();
        if let Some(periods) = reached(hits.len(), 0, |i| window_reached(&hits[..=i], w.count, w.window)) {
            events.push(TerminationEvent {
                period: label,
                trigger: format!("credits reached the cap in {} of the last {} periods", w.count, w.window),
                sla_id: ALL.to_string(),
                periods,
                clause: "termination.cap_hits_in_window".to_string(),
                right: None,
            });
        }
    }
}

/// The first of the last `gaps + 1` positions of a history of `len` entries at which `at`
/// finds the trigger reached, with the periods that reached it.
fn reached(len: usize, gaps: usize, at: impl Fn(usize) -> Option<Vec<String>>) -> Option<Vec<String>> {
    let last = len.checked_sub(1)?;
    (last.saturating_sub(gaps)..=last).find_map(at)
}

/// The periods of a run of `k` misses that ends with the last entry and is exactly `k` long
/// there (recorded when the streak reaches k).
fn streak_reached(hits: &[(&String, bool)], k: usize) -> Option<Vec<String>> {
    let streak = hits.iter().rev().take_while(|m| m.1).count();
    (k > 0 && streak == k).then(|| hits[hits.len() - k..].iter().map(|m| m.0.clone()).collect())
}

/// The hits of the last `window` entries when the last entry is a hit and they hold `count`
/// hits for the first time (the window before it held fewer).
pub(super) fn window_reached(hits: &[(&String, bool)], count: u32, window: u32) -> Option<Vec<String>> {
    let (count, window) = (count as usize, window as usize);
    let last = hits.last()?;
    if !last.1 {
        return None;
    }
    let recent = &hits[hits.len().saturating_sub(window)..];
    let n = recent.iter().filter(|h| h.1).count();
    if n < count {
        return None;
    }
    let prev = &hits[..hits.len() - 1];
    let prev_n = prev[prev.len().saturating_sub(window)..].iter().filter(|h| h.1).count();
    if prev_n >= count {
        return None;
    }
    Some(recent.iter().filter(|h| h.1).map(|h| h.0.clone()).collect())
}

/// The day (in the contract's zone) of an instant.
fn day(c: &Contract, us: i64) -> Option<NaiveDate> {
    chrono::DateTime::from_timestamp_micros(us).map(|t| t.with_timezone(&c.zone).date_naive())
}

/// The standing of a right for breach under the notice and cure terms: without `cure_days`
/// it arises the day after its period; with them, a `breach_notice` event referencing the
/// SLA or obligation (given on or after the period's start) starts the cure period, a `cure`
/// event with the same reference by its last day cures the breach, and the right arises the
/// day after an uncured cure period. Judged as far as the events log goes (its latest
/// `occurred_at`): a cure period running past it is `in_cure`.
pub(super) fn settle(c: &Contract, log: Option<&[Event]>, e: &TerminationEvent, (start, end): (i64, i64)) -> Right {
    let t = &c.termination;
    let end_day = day(c, end);
    let notice = |d: NaiveDate| d.checked_add_days(Days::new(u64::from(t.notice_days)));
    let mut r = Right {
        party: "client".into(),
        status: "arisen".into(),
        arises_on: end_day,
        cure_deadline: None,
        effective_from: end_day.and_then(notice),
        evidence: vec![format!("{} in {}: {}", e.sla_id, e.period, e.trigger)],
    };
    let Some(cure_days) = t.cure_days else {
        r.evidence
            .push(format!("effective at the earliest {} days after notice (termination.notice_days)", t.notice_days));
        return r;
    };
    let events = log.unwrap_or_default();
    let refers = |ty: &'static str| events.iter().filter(move |ev| ev.event_type == ty && ev.reference == e.sla_id);
    let Some(n) = refers("breach_notice").filter(|ev| ev.occurred_at >= start).min_by_key(|ev| ev.occurred_at) else {
        r.status = "awaiting_notice".into();
        r.arises_on = None;
        r.effective_from = None;
        r.evidence.push(format!(
            "no breach_notice event references {}: the right arises only if notice is given and the breach is not cured within {cure_days} days (termination.cure_days)",
            e.sla_id
        ));
        return r;
    };
    let deadline = day(c, n.occurred_at).and_then(|d| d.checked_add_days(Days::new(u64::from(cure_days))));
    r.cure_deadline = deadline;
    r.evidence.push(format!(
        "breach notice {} on {}; cure by {} (termination.cure_days = {cure_days})",
        n.event_id,
        day(c, n.occurred_at).map(|d| d.to_string()).unwrap_or_default(),
        deadline.map(|d| d.to_string()).unwrap_or_default()
    ));
    let cured = refers("cure")
        .filter(|ev| {
            ev.occurred_at >= n.occurred_at && day(c, ev.occurred_at).zip(deadline).is_some_and(|(a, b)| a <= b)
        })
        .min_by_key(|ev| ev.occurred_at);
    if let Some(cu) = cured {
        r.status = "cured".into();
        r.arises_on = None;
        r.effective_from = None;
        r.evidence.push(format!(
            "cured by {} on {}: no right",
            cu.event_id,
            day(c, cu.occurred_at).map(|d| d.to_string()).unwrap_or_default()
        ));
        return r;
    }
    // How far the log goes: its latest occurrence (a certificate's end of validity, in the
    // future, is no record of what happened).
    let latest = events.iter().map(|ev| ev.occurred_at).max().and_then(|us| day(c, us));
    match (deadline, latest) {
        (Some(d), Some(l)) if l > d => {
            r.arises_on = d.succ_opt();
            r.effective_from = r.arises_on.and_then(notice);
            r.evidence.push(format!(
                "not cured by {d}: the right stands from {}",
                r.arises_on.map(|x| x.to_string()).unwrap_or_default()
            ));
        }
        _ => {
            r.status = "in_cure".into();
            r.arises_on = None;
            r.effective_from = None;
            r.evidence.push("the cure period runs past the events log: not decided yet".into());
        }
    }
    r
}

/// Termination for convenience: the fee of the contract year after the last assessed period.
pub(super) fn convenience(c: &Contract, last_end: Option<i64>) -> Option<ConvenienceRight> {
    let fc = c.termination.for_convenience.as_ref()?;
    let from = c.effective_from;
    let on = last_end.and_then(|e| day(c, e)).unwrap_or(from);
    let years = on.years_since(from).unwrap_or(0);
    let year = years.saturating_add(1);
    let fee = fc.fees.get(years as usize).or(fc.fees.last()).copied().unwrap_or_default();
    Some(ConvenienceRight {
        party: fc.party.clone(),
        notice_days: fc.notice_days,
        contract_year: year,
        fee: c.rounding.apply(fee),
        clause: "termination.for_convenience".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fee of the contract year the day after the last period falls in; the last fee for
    /// every later year.
    #[test]
    fn the_convenience_fee_follows_the_contract_year() -> Result<(), Box<dyn std::error::Error>> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-data/contract.toml");
        let c = Contract::parse(&std::fs::read_to_string(path)?, path)?;
        let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).map(|t| t.timestamp_micros());
        let fee = |end: i64| convenience(&c, Some(end)).map(|f| (f.contract_year, f.fee.to_string()));
        assert_eq!(fee(at("2026-11-01T00:00:00-04:00")?), Some((1, "60000.00".to_string())));
        assert_eq!(fee(at("2027-07-31T00:00:00-04:00")?), Some((1, "60000.00".to_string())), "the last day of year 1");
        assert_eq!(fee(at("2027-08-01T00:00:00-04:00")?), Some((2, "40000.00".to_string())));
        assert_eq!(fee(at("2030-03-01T00:00:00-05:00")?), Some((4, "20000.00".to_string())), "the last fee after");
        Ok(())
    }
}
