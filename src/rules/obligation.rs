//! Obligations beyond the service levels — confidentiality and data-security duties such as
//! breach notification deadlines, incident limits and certifications — judged per period from
//! the events log (`--events`, docs/schema.md "Events"), with their credits and the material
//! breaches that open termination rights (docs/contract.md, "[[obligation]]").

use std::path::Path;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::event_profile::EventProfile;
use super::RulesError;
use crate::contract::{Contract, EventTime, Obligation, ObligationCredit, ObligationKind, EVENT_TYPES};
use crate::metrics::period;
use crate::money::{self, Overflow};

const HOUR_US: i64 = 3_600_000_000;

/// One row of the events log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub event_id: String,
    pub event_type: String,
    /// µs since the epoch; `None` when the cell is empty (occurred_at is required).
    pub occurred_at: i64,
    pub detected_at: Option<i64>,
    pub notified_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub severity: Option<u8>,
    pub reference: String,
    /// The file line (for messages).
    pub line: u64,
}

impl Event {
    fn at(&self, t: EventTime) -> Option<i64> {
        match t {
            EventTime::OccurredAt => Some(self.occurred_at),
            EventTime::DetectedAt => self.detected_at,
            EventTime::NotifiedAt => self.notified_at,
            EventTime::ResolvedAt => self.resolved_at,
        }
    }
}

/// The columns of the events log; `event_id`, `type` and `occurred_at` are required, the others
/// may be left out (then every value is empty). `description` is read past and never copied.
pub(crate) const COLUMNS: [&str; 9] = [
    "event_id",
    "type",
    "occurred_at",
    "detected_at",
    "notified_at",
    "resolved_at",
    "severity",
    "reference",
    "description",
];

/// Reads the events log: every value checked, every error naming the file, line and column
/// (the source column through a profile). Without a profile the columns are the canonical ones
/// and any other column is refused; with one, the profile names the source columns and other
/// columns are read past.
pub fn load_events(path: &Path, profile: Option<&EventProfile>) -> Result<Vec<Event>, RulesError> {
    let shown = path.display().to_string();
    let err = |line: u64, message: String| RulesError::Events { path: shown.clone(), line, message };
    let mut rdr = csv::Reader::from_path(path).map_err(|e| err(1, e.to_string()))?;
    let header = rdr.headers().map_err(|e| err(1, e.to_string()))?.clone();
    let source = |c: &'static str| profile.map_or(c, |p| p.column(c));
    let idx: Vec<Option<usize>> = COLUMNS.iter().map(|c| header.iter().position(|h| h.trim() == source(c))).collect();
    for (k, required) in ["event_id", "type", "occurred_at"].iter().enumerate() {
        if idx[k].is_none() {
            return Err(err(
                1,
                match profile {
                    None => format!("no column {required}; the columns are {}", COLUMNS.join(", ")),
                    Some(p) => format!("no column \"{}\" (the profile's {required})", p.column(required)),
                },
            ));
        }
    }
    if profile.is_none() {
        if let Some(h) = header.iter().find(|h| !COLUMNS.contains(&h.trim())) {
            return Err(err(1, format!("unknown column \"{}\"; the columns are {}", h, COLUMNS.join(", "))));
        }
    }
    let label = |k: usize| source(COLUMNS[k]).to_string();
    let mut out: Vec<Event> = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i as u64 + 2;
        let rec = rec.map_err(|e| err(line, e.to_string()))?;
        let cell = |k: usize| idx[k].and_then(|j| rec.get(j)).map(str::trim).unwrap_or("");
        let ts = |k: usize| -> Result<Option<i64>, RulesError> {
            let v = cell(k);
            if v.is_empty() {
                return Ok(None);
            }
            let read = match profile {
                Some(p) => p.timestamp(v),
                None => crate::time::timestamp::rfc3339(v, None).ok(),
            };
            read.map(Some).ok_or_else(|| match profile.and_then(|p| p.timestamp_format.clone()) {
                Some(f) => err(line, format!("column {}: \"{v}\" does not match the profile's timestamp_format \"{f}\"", label(k))),
                None => err(line, format!("column {}: \"{v}\" is not an RFC 3339 timestamp with an offset, such as 2026-09-14T08:00:00-04:00", label(k))),
            })
        };
        let id = cell(0).to_string();
        if id.is_empty() {
            return Err(err(line, format!("column {}: empty; every event needs an id", label(0))));
        }
        if let Some(first) = out.iter().find(|e| e.event_id == id) {
            return Err(err(
                line,
                format!("column {}: \"{id}\" is used twice (first on line {})", label(0), first.line),
            ));
        }
        let raw_type = cell(1);
        let t = profile.map_or(Some(raw_type.to_string()), |p| p.event_type(raw_type)).unwrap_or_default();
        if !EVENT_TYPES.contains(&t.as_str()) {
            return Err(err(
                line,
                match profile.filter(|p| !p.types.is_empty()) {
                    Some(p) => format!(
                        "column {}: \"{raw_type}\" matches no key of the profile's [types] (keys: {}); add it",
                        label(1),
                        p.types.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                    None => format!(
                        "column {}: \"{raw_type}\" is not an event type; use {}",
                        label(1),
                        EVENT_TYPES.join(", ")
                    ),
                },
            ));
        }
        let Some(occurred_at) = ts(2)? else {
            return Err(err(line, format!("column {}: empty; every event has the time it occurred", label(2))));
        };
        let severity = match cell(6) {
            "" => None,
            s => {
                match profile.map_or_else(|| s.parse::<u8>().ok().filter(|v| (1..=5).contains(v)), |p| p.severity(s)) {
                    Some(v) => Some(v),
                    None => {
                        return Err(err(line, format!("column {}: \"{s}\" is not a severity from 1 to 5", label(6))))
                    }
                }
            }
        };
        out.push(Event {
            event_id: id,
            event_type: t,
            occurred_at,
            detected_at: ts(3)?,
            notified_at: ts(4)?,
            resolved_at: ts(5)?,
            severity,
            reference: cell(7).to_string(),
            line,
        });
    }
    Ok(out)
}

/// How one event was judged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventEvidence {
    pub event_id: String,
    /// The timestamps the obligation reads (RFC 3339 in the contract's zone; empty if none).
    pub from: String,
    pub to: String,
    pub deadline: String,
    /// Whole hours late, any part of an hour counted (0 when on time).
    pub hours_late: i64,
    pub late: bool,
    pub note: String,
}

/// An obligation judged in one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObligationResult {
    pub obligation_id: String,
    pub name: String,
    /// `deadline`, `count_limit` or `certification`.
    pub kind: String,
    pub event_type: String,
    /// `met`, `missed` or `not_measured` (no events log, which the contract marks optional).
    pub status: String,
    /// The events judged, with the evidence of each.
    pub events: Vec<EventEvidence>,
    /// Events late (deadline), over the limit (count_limit), or 1 without a valid certificate.
    pub breaches: u64,
    /// Σ hours late (deadline).
    pub hours_late: i64,
    /// The credit before the obligation's cap.
    pub credit_base: Decimal,
    /// After the cap, rounded: the credit line.
    pub credit: Decimal,
    /// Missed, and the contract makes a miss a material breach.
    pub material_breach: bool,
    pub clause: String,
    pub explanation: Vec<String>,
}

fn at(c: &Contract, us: Option<i64>) -> String {
    us.map(|u| period::rfc3339(c.zone, u)).unwrap_or_default()
}

/// The obligations judged in the period `[start, end)`; `events` is `None` when no events log
/// was given (the contract marks it optional): every obligation is then not measured.
pub fn judge(
    c: &Contract,
    events: Option<&[Event]>,
    start: i64,
    end: i64,
) -> Result<Vec<ObligationResult>, RulesError> {
    let mut out = Vec::new();
    for o in &c.obligations {
        let mut r = ObligationResult {
            obligation_id: o.id.clone(),
            name: o.name.clone(),
            kind: o.kind.name().to_string(),
            event_type: o.event_type.clone(),
            status: "met".into(),
            events: Vec::new(),
            breaches: 0,
            hours_late: 0,
            credit_base: Decimal::ZERO,
            credit: Decimal::ZERO,
            material_breach: false,
            clause: o.clause.clone(),
            explanation: Vec::new(),
        };
        let Some(events) = events else {
            r.status = "not_measured".into();
            r.explanation.push("no events log (--events), which [inputs] marks optional: not measured".into());
            out.push(r);
            continue;
        };
        let of_type: Vec<&Event> = events.iter().filter(|e| e.event_type == o.event_type).collect();
        match &o.kind {
            ObligationKind::Deadline { from, to, within_hours } => {
                for e in &of_type {
                    let Some(f) = e.at(*from) else {
                        return Err(RulesError::EventMissing {
                            line: e.line,
                            event: e.event_id.clone(),
                            column: from.as_str(),
                            obligation: o.id.clone(),
                        });
                    };
                    if f < start || f >= end {
                        continue;
                    }
                    let deadline = f + i64::from(*within_hours) * HOUR_US;
                    let t = e.at(*to);
                    let (late_by, note) = match t {
                        Some(t) => (t - deadline, String::new()),
                        None if deadline < end => (end - deadline, format!("no {} by the period end", to.as_str())),
                        None => (0, format!("no {} yet; the deadline is after the period end", to.as_str())),
                    };
                    let hours = if late_by > 0 { (late_by + HOUR_US - 1) / HOUR_US } else { 0 };
                    r.events.push(EventEvidence {
                        event_id: e.event_id.clone(),
                        from: at(c, Some(f)),
                        to: at(c, t),
                        deadline: at(c, Some(deadline)),
                        hours_late: hours,
                        late: late_by > 0,
                        note,
                    });
                }
                r.breaches = r.events.iter().filter(|e| e.late).count() as u64;
                r.hours_late = r.events.iter().map(|e| e.hours_late).sum();
                r.explanation.push(format!(
                    "{} {} event(s) with {} in the period; {} late against {} + {} h (on the deadline is on time), {} hour(s) late in all",
                    r.events.len(),
                    o.event_type,
                    from.as_str(),
                    r.breaches,
                    from.as_str(),
                    within_hours,
                    r.hours_late
                ));
            }
            ObligationKind::CountLimit { severity, .. } | ObligationKind::CountMinimum { severity, .. } => {
                let counted: Vec<&&Event> = of_type
                    .iter()
                    .filter(|e| e.occurred_at >= start && e.occurred_at < end)
                    .filter(|e| severity.is_none_or(|s| e.severity == Some(s)))
                    .collect();
                for e in &counted {
                    r.events.push(EventEvidence {
                        event_id: e.event_id.clone(),
                        from: at(c, Some(e.occurred_at)),
                        to: String::new(),
                        deadline: String::new(),
                        hours_late: 0,
                        late: false,
                        note: e.severity.map(|s| format!("severity {s}")).unwrap_or_default(),
                    });
                }
                let n = counted.len() as u64;
                let sev = severity.map(|s| format!(" of severity {s}")).unwrap_or_default();
                match &o.kind {
                    ObligationKind::CountMinimum { min_count, .. } => {
                        r.breaches = u64::from(*min_count).saturating_sub(n);
                        r.explanation.push(format!(
                            "{n} {} event(s){sev} in the period; at least {min_count} required: {} short",
                            o.event_type, r.breaches
                        ));
                    }
                    ObligationKind::CountLimit { max_count, .. } => {
                        r.breaches = n.saturating_sub(u64::from(*max_count));
                        r.explanation.push(format!(
                            "{n} {} event(s){sev} occurred in the period; at most {max_count} allowed: {} over",
                            o.event_type, r.breaches
                        ));
                    }
                    _ => {}
                }
            }
            ObligationKind::Certification { reference } => {
                let certs: Vec<&&Event> =
                    of_type.iter().filter(|e| reference.as_ref().is_none_or(|rf| e.reference == *rf)).collect();
                let valid = certs.iter().find(|e| e.occurred_at <= start && e.resolved_at.is_none_or(|u| u >= end));
                for e in &certs {
                    r.events.push(EventEvidence {
                        event_id: e.event_id.clone(),
                        from: at(c, Some(e.occurred_at)),
                        to: at(c, e.resolved_at),
                        deadline: String::new(),
                        hours_late: 0,
                        late: false,
                        note: if valid.is_some_and(|v| v.event_id == e.event_id) {
                            "valid through the period".into()
                        } else {
                            "does not cover the whole period".into()
                        },
                    });
                }
                r.breaches = u64::from(valid.is_none());
                r.explanation.push(match valid {
                    Some(v) => format!("certificate {} ({}) is valid through the period", v.event_id, v.reference),
                    None => format!(
                        "no {}certificate is valid from the period's start to its end ({} on record)",
                        reference.as_ref().map(|r| format!("{r} ")).unwrap_or_default(),
                        certs.len()
                    ),
                });
            }
        }
        if r.breaches > 0 {
            r.status = "missed".into();
            r.credit_base = credit_base(o, &r).map_err(RulesError::from)?;
            r.credit = c.rounding.apply(o.cap.map_or(r.credit_base, |cap| r.credit_base.min(cap)));
            r.material_breach = o.material_breach;
            r.explanation.push(format!(
                "credit {}{}{}",
                r.credit_base,
                o.cap.filter(|cap| *cap < r.credit_base).map(|cap| format!(", capped at {cap}")).unwrap_or_default(),
                if o.material_breach { "; a material breach (termination right)" } else { "" }
            ));
        }
        r.credit = c.rounding.apply(r.credit);
        out.push(r);
    }
    Ok(out)
}

fn credit_base(o: &Obligation, r: &ObligationResult) -> Result<Decimal, Overflow> {
    match &o.credit {
        ObligationCredit::PerEvent(v) => money::mul(*v, Decimal::from(r.breaches), "the obligation credit"),
        ObligationCredit::PerHourLate(v) => money::mul(*v, Decimal::from(r.hours_late), "the obligation credit"),
        ObligationCredit::Fixed(v) => Ok(*v),
        ObligationCredit::Tiers(tiers) => {
            // Hours late for a deadline, events over the limit for a count limit.
            let measure = if matches!(o.kind, ObligationKind::Deadline { .. }) {
                u64::try_from(r.hours_late).unwrap_or(0)
            } else {
                r.breaches
            };
            let tier = tiers.iter().find(|(up_to, _)| up_to.is_none_or(|u| measure <= u64::from(u)));
            // A measure past a closed last tier takes the last tier's amount.
            Ok(tier.or(tiers.last()).map(|(_, a)| *a).unwrap_or_default())
        }
    }
}
