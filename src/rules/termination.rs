//! Termination rights: a critical SLA missed k periods in a row or m of the last n, or the
//! period's credits at the cap m of the last n times (docs/contract.md, "[termination]").

use std::collections::BTreeMap;

use super::{TerminationEvent, Track};
use crate::contract::{Contract, SlaKind, Terms};
use crate::metrics::ALL;

/// The rights that arise in the period `label`, given the SLAs' tracks and the cap hits so far.
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
        if let Some(k) = c.termination.consecutive_misses {
            let k = k as usize;
            let streak = misses.iter().rev().take_while(|m| m.1).count();
            if streak == k {
                events.push(TerminationEvent {
                    period: label.clone(),
                    trigger: format!("missed {k} periods in a row"),
                    sla_id: sla.id.clone(),
                    periods: misses[misses.len() - k..].iter().map(|m| m.0.clone()).collect(),
                    clause: "termination.consecutive_misses".to_string(),
                });
            }
        }
        if let Some(w) = c.termination.misses_in_window {
            if let Some(ev) = window_event(&misses, w.count, w.window, &label) {
                events.push(TerminationEvent {
                    trigger: format!("missed {} of the last {} periods", w.count, w.window),
                    sla_id: sla.id.clone(),
                    clause: "termination.misses_in_window".to_string(),
                    ..ev
                });
            }
        }
    }
    if let Some(w) = c.termination.cap_hits_in_window {
        let hits: Vec<(&String, bool)> = cap_hits.iter().map(|(p, h)| (p, *h)).collect();
        if let Some(ev) = window_event(&hits, w.count, w.window, &label) {
            events.push(TerminationEvent {
                trigger: format!("credits reached the cap in {} of the last {} periods", w.count, w.window),
                sla_id: ALL.to_string(),
                clause: "termination.cap_hits_in_window".to_string(),
                ..ev
            });
        }
    }
}

/// An event when the current period is a hit and the last `window` periods hold `count`
/// hits for the first time (the previous window held fewer).
pub(super) fn window_event(hits: &[(&String, bool)], count: u32, window: u32, label: &str) -> Option<TerminationEvent> {
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
    Some(TerminationEvent {
        period: label.to_string(),
        trigger: String::new(),
        sla_id: String::new(),
        periods: recent.iter().filter(|h| h.1).map(|h| h.0.clone()).collect(),
        clause: String::new(),
    })
}
