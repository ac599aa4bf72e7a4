//! Disputes: a party disputes an amount of a document under the contract's `[disputes]`
//! clause; the dispute moves through the clause's stages, each with a deadline, and ends
//! upheld, rejected or settled. While it is open a client's disputed amount is held (no late
//! interest on it, when the clause says so); its resolution is settled on a credit or debit
//! note that references the document and the dispute.
//!
//! Pure rules on the register's data: the ledger stores the register (`ledger/dispute.rs`),
//! `callsla dispute` records each step with who and when (given, never read from the clock).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::account::Hold;
use super::document::{self, DocKind, Document};
use crate::contract::{Contract, Disputes};
use crate::money::Overflow;

/// Who disputes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    /// The client disputes what a document asks it to pay (an upheld dispute lowers it).
    Client,
    /// The provider disputes a credit it was charged (an upheld dispute raises what is owed).
    Provider,
}

impl Party {
    pub fn as_str(self) -> &'static str {
        match self {
            Party::Client => "client",
            Party::Provider => "provider",
        }
    }
}

/// How a dispute ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The disputing party was right: the whole disputed amount is settled.
    Upheld,
    /// The document stands: nothing is settled.
    Rejected,
    /// The parties agreed on a part of the disputed amount.
    Settled,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Upheld => "upheld",
            Outcome::Rejected => "rejected",
            Outcome::Settled => "settled",
        }
    }
}

/// One step of a dispute, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// `open`, `advance` or `resolve`.
    pub action: String,
    /// The stage the dispute is in after the step (empty once resolved).
    pub stage: String,
    pub at: NaiveDate,
    pub by: String,
    pub detail: String,
}

/// A dispute in the register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dispute {
    /// 1, 2, … per contract.
    pub id: i64,
    pub contract_id: String,
    pub document_id: String,
    /// The SLA and period the dispute is about, when it is about one credit (else empty).
    pub sla_id: String,
    pub period: String,
    pub party: Party,
    pub amount: Decimal,
    pub reason: String,
    pub opened_at: NaiveDate,
    /// The current stage (the last one it entered) and since when.
    pub stage: String,
    pub stage_since: NaiveDate,
    pub outcome: Option<Outcome>,
    /// What the resolution settles (the disputed amount when upheld, 0 when rejected).
    pub settled_amount: Option<Decimal>,
    pub resolved_at: Option<NaiveDate>,
    /// The note that settles it (empty when rejected or open).
    pub note_id: String,
    /// The `[disputes]` terms in force when it was opened (so the register needs no contract).
    pub terms: Disputes,
    pub steps: Vec<Step>,
}

/// A dispute step that the clause or the register does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DisputeError {
    #[error("the contract has no [disputes] section, so it states no way to dispute a document; add one (docs/contract.md, \"[disputes]\")")]
    NoClause,
    #[error(
        "{document} is not a document of contract {contract} in the ledger (documents are recorded by `callsla run`)"
    )]
    UnknownDocument { document: String, contract: String },
    #[error("dispute #{id} is not in the register of contract {contract}")]
    UnknownDispute { id: i64, contract: String },
    #[error("the dispute is raised on {at}, {days} days after {document} was issued ({issued}); [disputes] notice_days = {notice} allows {notice} days, so it is refused")]
    LateNotice { at: NaiveDate, days: i64, document: String, issued: NaiveDate, notice: u32 },
    #[error("the dispute is dated {at}, before {document} was issued ({issued})")]
    BeforeIssue { at: NaiveDate, document: String, issued: NaiveDate },
    #[error("the disputed amount must be more than 0 and at most the document's total {total}, got {amount}")]
    BadAmount { amount: Decimal, total: Decimal },
    #[error("a settlement must be more than 0 and at most the disputed amount {disputed}, got {amount}")]
    BadSettlement { amount: Decimal, disputed: Decimal },
    #[error("{amount} has more decimals than the currency's {minor} minor units")]
    TooPrecise { amount: Decimal, minor: u32 },
    #[error("outcome {outcome} {what}")]
    SettlementAmount { outcome: &'static str, what: &'static str },
    #[error("dispute #{id} was resolved on {on}; a resolved dispute does not change")]
    Resolved { id: i64, on: NaiveDate },
    #[error("\"{to}\" is not a later stage than \"{from}\" in [disputes] stages ({stages})")]
    NotLater { to: String, from: String, stages: String },
    #[error("the step is dated {at}, before the dispute's last step ({last})")]
    OutOfOrder { at: NaiveDate, last: NaiveDate },
    #[error(transparent)]
    Overflow(#[from] Overflow),
}

impl Dispute {
    /// The deadline of the current stage: the day it was entered plus its days.
    pub fn deadline(&self) -> Option<NaiveDate> {
        let days = self.terms.stages.iter().find(|s| s.name == self.stage)?.days;
        self.stage_since.checked_add_days(chrono::Days::new(u64::from(days)))
    }

    /// Open on `as_of` with its stage's deadline passed.
    pub fn overdue(&self, as_of: NaiveDate) -> bool {
        self.is_open_on(as_of) && self.deadline().is_some_and(|d| d < as_of)
    }

    /// Opened on or before `as_of` and not resolved by then.
    pub fn is_open_on(&self, as_of: NaiveDate) -> bool {
        self.opened_at <= as_of && self.resolved_at.is_none_or(|r| r > as_of)
    }

    /// The dispute as the register stood at the end of `day`: later steps not yet taken (its
    /// stage then, no resolution yet if it came later). `None` if it was not opened by then.
    pub fn as_of(&self, day: NaiveDate) -> Option<Dispute> {
        if self.opened_at > day {
            return None;
        }
        let mut d = self.clone();
        d.steps.retain(|s| s.at <= day);
        if d.resolved_at.is_some_and(|r| r > day) {
            d.outcome = None;
            d.settled_amount = None;
            d.resolved_at = None;
            d.note_id = String::new();
        }
        if let Some(last) = d.steps.iter().rev().find(|s| s.action != "resolve") {
            d.stage = last.stage.clone();
            d.stage_since = last.at;
        }
        Some(d)
    }

    fn last_step(&self) -> NaiveDate {
        self.steps.iter().map(|s| s.at).max().unwrap_or(self.opened_at)
    }
}

/// What `dispute open` asks for.
#[derive(Debug, Clone)]
pub struct OpenRequest {
    pub document_id: String,
    pub sla_id: String,
    pub period: String,
    pub party: Party,
    pub amount: Decimal,
    pub reason: String,
    pub by: String,
    pub at: NaiveDate,
}

/// A new dispute (id `id`) on `doc`, checked against the clause: raised within the notice
/// window after the document's issue date, for at most the document's total.
pub fn open(c: &Contract, doc: &Document, id: i64, req: &OpenRequest) -> Result<Dispute, DisputeError> {
    let terms = c.disputes.as_ref().ok_or(DisputeError::NoClause)?;
    if req.at < doc.issue_date {
        return Err(DisputeError::BeforeIssue { at: req.at, document: doc.id.clone(), issued: doc.issue_date });
    }
    let days = (req.at - doc.issue_date).num_days();
    if days > i64::from(terms.notice_days) {
        return Err(DisputeError::LateNotice {
            at: req.at,
            days,
            document: doc.id.clone(),
            issued: doc.issue_date,
            notice: terms.notice_days,
        });
    }
    let total = doc.total.abs();
    let amount = in_minor_units(c, req.amount)?;
    if amount <= Decimal::ZERO || amount > total {
        return Err(DisputeError::BadAmount { amount, total });
    }
    let first = terms.stages.first().map(|s| s.name.clone()).unwrap_or_default();
    Ok(Dispute {
        id,
        contract_id: c.id.clone(),
        document_id: doc.id.clone(),
        sla_id: req.sla_id.clone(),
        period: req.period.clone(),
        party: req.party,
        amount,
        reason: req.reason.clone(),
        opened_at: req.at,
        stage: first.clone(),
        stage_since: req.at,
        outcome: None,
        settled_amount: None,
        resolved_at: None,
        note_id: String::new(),
        terms: terms.clone(),
        steps: vec![Step {
            action: "open".into(),
            stage: first,
            at: req.at,
            by: req.by.clone(),
            detail: format!("{} {} of {}: {}", req.party.as_str(), amount, doc.id, req.reason),
        }],
    })
}

/// An amount written to the currency's minor units (1646.5 → 1646.50); more decimals than
/// that are refused, never rounded away.
fn in_minor_units(c: &Contract, amount: Decimal) -> Result<Decimal, DisputeError> {
    let minor = c.rounding.minor_units;
    let mut a = amount.normalize();
    if a.scale() > minor {
        return Err(DisputeError::TooPrecise { amount, minor });
    }
    a.rescale(minor);
    Ok(a)
}

fn check_open_step(d: &Dispute, at: NaiveDate) -> Result<(), DisputeError> {
    if let Some(on) = d.resolved_at {
        return Err(DisputeError::Resolved { id: d.id, on });
    }
    if at < d.last_step() {
        return Err(DisputeError::OutOfOrder { at, last: d.last_step() });
    }
    Ok(())
}

/// Moves the dispute to a later stage of its clause.
pub fn advance(d: &mut Dispute, to: &str, by: &str, at: NaiveDate) -> Result<(), DisputeError> {
    check_open_step(d, at)?;
    let pos = |name: &str| d.terms.stages.iter().position(|s| s.name == name);
    match (pos(&d.stage), pos(to)) {
        (Some(from), Some(next)) if next > from => {}
        _ => {
            return Err(DisputeError::NotLater {
                to: to.to_string(),
                from: d.stage.clone(),
                stages: d.terms.stages.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", "),
            })
        }
    }
    let detail = format!("from {} to {to}", d.stage);
    d.stage = to.to_string();
    d.stage_since = at;
    d.steps.push(Step { action: "advance".into(), stage: to.to_string(), at, by: by.to_string(), detail });
    Ok(())
}

/// Ends the dispute. Upheld settles the disputed amount, settled the given part of it, rejected
/// nothing; what is settled is a note on the document (`note_number` numbers the document's
/// notes), a credit note when the client disputed, a debit note when the provider did.
pub fn resolve(
    c: &Contract,
    d: &mut Dispute,
    doc: &Document,
    outcome: Outcome,
    amount: Option<Decimal>,
    (by, at): (&str, NaiveDate),
    note_number: usize,
) -> Result<Option<Document>, DisputeError> {
    check_open_step(d, at)?;
    let settled = match (outcome, amount) {
        (Outcome::Upheld, None) => d.amount,
        (Outcome::Rejected, None) => Decimal::ZERO,
        (Outcome::Settled, Some(a)) => {
            let agreed = in_minor_units(c, a)?;
            if agreed <= Decimal::ZERO || agreed > d.amount {
                return Err(DisputeError::BadSettlement { amount: a, disputed: d.amount });
            }
            agreed
        }
        (Outcome::Settled, None) => {
            return Err(DisputeError::SettlementAmount { outcome: "settled", what: "needs --amount, the agreed part" })
        }
        (o, Some(_)) => {
            return Err(DisputeError::SettlementAmount {
                outcome: o.as_str(),
                what: "settles the disputed amount or nothing; give --amount only with settled",
            })
        }
    };
    let note = if settled.is_zero() {
        None
    } else {
        let (kind, sign, tag) = match d.party {
            Party::Client => (DocKind::CreditNote, -Decimal::ONE, "CN"),
            Party::Provider => (DocKind::DebitNote, Decimal::ONE, "DN"),
        };
        let net_days = c.payment.as_ref().map_or(0, |p| p.net_days);
        let due = document::add_days(at, net_days, "the note's due date")?;
        let line = document::dispute_line(d.id, &doc.id, outcome.as_str(), sign * settled);
        let reason = format!("dispute #{} {}: {}", d.id, outcome.as_str(), d.reason);
        let id = format!("{}-{tag}{note_number}", doc.id);
        Some(document::document(c, id, kind, &doc.period, (at, due), vec![line], &doc.id, &reason)?)
    };
    d.outcome = Some(outcome);
    d.settled_amount = Some(settled);
    d.resolved_at = Some(at);
    d.note_id = note.as_ref().map(|n| n.id.clone()).unwrap_or_default();
    d.steps.push(Step {
        action: "resolve".into(),
        stage: String::new(),
        at,
        by: by.to_string(),
        detail: match &note {
            Some(n) => format!("{}: {} settled on {}", outcome.as_str(), settled, n.id),
            None => format!("{}: nothing settled", outcome.as_str()),
        },
    });
    Ok(note)
}

/// The amounts held from late interest: a client's disputed amount, from the day it was
/// raised until the day it was resolved, when its clause holds disputed amounts.
pub fn holds(disputes: &[Dispute]) -> Vec<Hold> {
    disputes
        .iter()
        .filter(|d| d.terms.hold && d.party == Party::Client)
        .map(|d| Hold { document_id: d.document_id.clone(), amount: d.amount, from: d.opened_at, to: d.resolved_at })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::DisputeStage;

    fn terms() -> Disputes {
        Disputes {
            notice_days: 30,
            hold: true,
            stages: vec![
                DisputeStage { name: "review".into(), days: 10 },
                DisputeStage { name: "mediation".into(), days: 30 },
            ],
        }
    }

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap_or_default()
    }

    fn dispute() -> Dispute {
        Dispute {
            id: 1,
            contract_id: "T".into(),
            document_id: "T-2026-08".into(),
            sla_id: String::new(),
            period: String::new(),
            party: Party::Client,
            amount: Decimal::from(100),
            reason: "r".into(),
            opened_at: date("2026-09-10"),
            stage: "review".into(),
            stage_since: date("2026-09-10"),
            outcome: None,
            settled_amount: None,
            resolved_at: None,
            note_id: String::new(),
            terms: terms(),
            steps: vec![],
        }
    }

    /// The deadline is the entry day plus the stage's days; overdue only after it.
    #[test]
    fn a_stage_is_overdue_the_day_after_its_deadline() {
        let d = dispute();
        assert_eq!(d.deadline(), Some(date("2026-09-20")));
        assert!(!d.overdue(date("2026-09-20")), "on the deadline it is not late");
        assert!(d.overdue(date("2026-09-21")));
        assert!(!d.overdue(date("2026-09-09")), "not open yet");
    }

    /// The register as it stood on a past day: the stage then, no later resolution.
    #[test]
    fn a_dispute_as_it_stood_on_a_past_day() {
        let mut d = dispute();
        d.steps.push(Step {
            action: "open".into(),
            stage: "review".into(),
            at: date("2026-09-10"),
            by: "a".into(),
            detail: String::new(),
        });
        assert_eq!(advance(&mut d, "mediation", "b", date("2026-09-15")), Ok(()));
        d.resolved_at = Some(date("2026-10-01"));
        d.outcome = Some(Outcome::Rejected);
        d.steps.push(Step {
            action: "resolve".into(),
            stage: String::new(),
            at: date("2026-10-01"),
            by: "c".into(),
            detail: String::new(),
        });
        assert_eq!(d.as_of(date("2026-09-09")), None);
        let early = d.as_of(date("2026-09-12")).unwrap_or_else(dispute);
        assert_eq!((early.stage.as_str(), early.stage_since, early.outcome), ("review", date("2026-09-10"), None));
        assert!(early.is_open_on(date("2026-09-12")));
        let later = d.as_of(date("2026-09-20")).unwrap_or_else(dispute);
        assert_eq!((later.stage.as_str(), later.resolved_at), ("mediation", None));
        let after = d.as_of(date("2026-10-02")).unwrap_or_else(dispute);
        assert_eq!(after.outcome, Some(Outcome::Rejected));
        assert!(!after.is_open_on(date("2026-10-02")));
    }

    /// Only later stages; never back, never the same; never after resolution or out of order.
    #[test]
    fn stages_only_move_forward_and_in_date_order() {
        let mut d = dispute();
        assert!(matches!(advance(&mut d, "review", "a", date("2026-09-11")), Err(DisputeError::NotLater { .. })));
        assert!(matches!(advance(&mut d, "arbitration", "a", date("2026-09-11")), Err(DisputeError::NotLater { .. })));
        assert!(matches!(advance(&mut d, "mediation", "a", date("2026-09-01")), Err(DisputeError::OutOfOrder { .. })));
        assert_eq!(advance(&mut d, "mediation", "a", date("2026-09-15")), Ok(()));
        assert_eq!(d.deadline(), Some(date("2026-10-15")));
        assert!(matches!(advance(&mut d, "review", "a", date("2026-09-16")), Err(DisputeError::NotLater { .. })));
    }

    /// A client's dispute is held from opening to resolution; a provider's, or one under a
    /// clause that does not hold, is not.
    #[test]
    fn holds_follow_the_clause_and_the_party() {
        let mut d = dispute();
        d.resolved_at = Some(date("2026-10-01"));
        let h = holds(std::slice::from_ref(&d));
        assert_eq!(h.len(), 1);
        assert_eq!((h[0].from, h[0].to, h[0].amount), (date("2026-09-10"), Some(date("2026-10-01")), d.amount));
        let provider = Dispute { party: Party::Provider, ..d.clone() };
        assert!(holds(&[provider]).is_empty());
        let no_hold = Dispute { terms: Disputes { hold: false, ..terms() }, ..d };
        assert!(holds(&[no_hold]).is_empty());
    }
}
