//! Billing: assessed periods + the account so far → the documents this run issues.
//!
//! The stage after the rules (which judge performance) and before the reports. Each period's
//! invoice is a [`Document`]; once its period is closed it never changes, and a restated
//! period's difference is settled on another document: a referenced `restatement` line on the
//! next invoice, or a credit or debit note of its own (`[payment] restatements`). Payments are
//! applied to documents in date order, late interest is fixed per document and charged once,
//! on the first invoice issued on or after the day it was fixed, and taxes are added to every
//! invoice and note. What the ledger knows of the account (documents, payments, charges,
//! pending restatements) comes in as [`Receivables`]. Documented in docs/ledger.md.

pub mod account;
pub mod dispute;
pub mod document;
pub mod payments;
pub mod statement;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub use account::{Account, AccountTerms, Hold, InterestCharge};
pub use document::{DocKind, DocLine, Document, LineType};
pub use payments::{load_payments, Application, PaymentIssue, PaymentRecord, PaymentsFile};

use crate::contract::{Contract, Restatements};
use crate::money::{self, Overflow};
use crate::rules::PeriodAssessment;

/// A restatement of a closed period carried onto a later invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdjustmentLine {
    /// The closed period that was restated.
    pub restated_period: String,
    /// New net due − old net due of the restated period.
    pub amount: Decimal,
    pub reason: String,
    /// `restatement #N` in the ledger.
    pub clause: String,
}

/// Errors of the billing stage.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BillingError {
    #[error(transparent)]
    Overflow(#[from] Overflow),
    #[error("internal error: {0}; this is a bug in callsla, please report it")]
    Internal(String),
    #[error("payments {path}:{line}: {message}")]
    Payments { path: String, line: u64, message: String },
    #[error("payment {id} differs from the one the ledger recorded ({recorded}); a recorded payment never changes: give the corrected payment its own id")]
    PaymentChanged { id: String, recorded: String },
    #[error("the restatement date \"{0}\" does not start with a date (YYYY-MM-DD); a note is dated by it")]
    NoteDate(String),
}

/// A restatement being recorded by this run (who, when, why), for its note.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteRequest {
    pub reason: String,
    pub at: String,
}

/// What the ledger knows of the account before this run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receivables {
    /// Every document recorded for the contract.
    pub documents: Vec<Document>,
    /// The ids of those that are final (their period is closed, or they are notes).
    pub final_ids: Vec<String>,
    /// Interest spans recorded as charged, with the document that charged them.
    pub interest: Vec<InterestCharge>,
    /// Payments recorded.
    pub payments: Vec<PaymentRecord>,
    /// Restatement differences not yet on an invoice (`restatements = "next_invoice"`).
    pub adjustments: Vec<AdjustmentLine>,
    /// This run restates closed periods (`--restate`): the notes are dated and explained by it.
    pub restatement: Option<NoteRequest>,
    /// The dispute register (`callsla dispute`): a client's open dispute holds its amount from
    /// late interest when the clause says so, and every dispute is reported with the account.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disputes: Vec<dispute::Dispute>,
}

/// What billing decided.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Billing {
    /// The terms the account runs on (recorded in the ledger with the documents).
    pub terms: AccountTerms,
    /// The documents this run issues: the invoices of the assessed open periods (issued, or
    /// re-issued with the same id while the period is open) and the notes, in order.
    pub documents: Vec<Document>,
    /// The invoices of assessed periods that are closed: final, issued by an earlier run and
    /// not issued again (shown for reference, never in invoice.csv).
    #[serde(default)]
    pub final_documents: Vec<Document>,
    /// Interest this run's documents charge, then interest fixed but not yet charged.
    pub interest: Vec<InterestCharge>,
    /// Every payment known (recorded and from the payments file), and how it was applied.
    pub payments: Vec<PaymentRecord>,
    pub applications: Vec<Application>,
    pub payment_issues: Vec<PaymentIssue>,
    /// Open balance per document after every known payment, by document id.
    pub open: Vec<(String, Decimal)>,
    /// Unapplied money on the account: (payment id, date, amount).
    pub unapplied: Vec<(String, NaiveDate, Decimal)>,
    /// The contract's disputes in the register when the run was made.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disputes: Vec<dispute::Dispute>,
    /// The provider's termination rights for unpaid documents (`[termination] unpaid_days`),
    /// as of the account's last known day.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub provider_rights: Vec<crate::rules::TerminationEvent>,
}

impl Billing {
    /// A period's invoice as this run issued it, or as issued earlier when final.
    pub fn invoice_of(&self, invoice_id: &str) -> Option<&Document> {
        self.documents.iter().chain(&self.final_documents).find(|d| d.id == invoice_id)
    }
}

/// What to bill.
pub struct BillingInput<'a> {
    pub contract: &'a Contract,
    pub periods: &'a [PeriodAssessment],
    pub receivables: &'a Receivables,
    /// The payments file, when given.
    pub payments: Option<&'a [PaymentRecord]>,
    /// Interest on balances still open is fixed up to this date.
    pub statement_date: Option<NaiveDate>,
}

/// Every payment known: the ledger's, and the file's new ones (a recorded id must match).
fn merged_payments(
    recorded: &[PaymentRecord],
    file: Option<&[PaymentRecord]>,
) -> Result<Vec<PaymentRecord>, BillingError> {
    let mut all = recorded.to_vec();
    for p in file.unwrap_or_default() {
        match all.iter().find(|r| r.payment_id == p.payment_id) {
            Some(r) if r == p => {}
            Some(r) => {
                return Err(BillingError::PaymentChanged {
                    id: p.payment_id.clone(),
                    recorded: format!(
                        "{} on {} for {}",
                        r.amount,
                        r.paid_date,
                        if r.document_id.is_empty() { "-" } else { &r.document_id }
                    ),
                })
            }
            None => all.push(p.clone()),
        }
    }
    all.sort_by(|a, b| a.paid_date.cmp(&b.paid_date).then_with(|| a.payment_id.cmp(&b.payment_id)));
    Ok(all)
}

/// One event of the account's timeline.
enum Event {
    /// Fix interest on open balances (the statement date).
    Fix,
    /// Issue a document already made (recorded, or a note).
    Issue(Document),
    /// Make and issue the invoice of the period at this index.
    Build(usize),
    Pay(PaymentRecord),
    /// A hold on a document starts or ends: interest is fixed up to the day first, so no span
    /// runs across the change.
    Split(String),
}

/// Bills the assessed periods. The billing stage's one entry point.
pub fn bill(input: &BillingInput<'_>) -> Result<Billing, BillingError> {
    let c = input.contract;
    let rec = input.receivables;
    let invoice_id = |p: &PeriodAssessment| p.invoice_id.clone();
    // Open periods' invoices are (re)built; closed ones stay as recorded.
    let kept: Vec<Option<&Document>> = input
        .periods
        .iter()
        .map(|p| rec.documents.iter().find(|d| d.id == invoice_id(p) && rec.final_ids.contains(&d.id)))
        .collect();
    let rebuilt: Vec<String> =
        input.periods.iter().zip(&kept).filter(|(_, k)| k.is_none()).map(|(p, _)| invoice_id(p)).collect();

    // Notes for restated closed periods (`restatements = "notes"`).
    let mut notes = Vec::new();
    if let (Some(req), Some(terms)) = (&rec.restatement, &c.payment) {
        if terms.restatements == Restatements::Notes {
            for (p, k) in input.periods.iter().zip(&kept) {
                let Some(orig) = k else { continue };
                let diff = money::add(p.net_due, -orig.performance(), "the restatement difference")?;
                if diff.is_zero() {
                    continue;
                }
                let date = req
                    .at
                    .get(..10)
                    .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                    .ok_or_else(|| BillingError::NoteDate(req.at.clone()))?;
                let due = document::add_days(date, terms.net_days, "the note's due date")?;
                let kind = if diff < Decimal::ZERO { DocKind::CreditNote } else { DocKind::DebitNote };
                let n = 1 + rec.documents.iter().filter(|d| d.references == orig.id).count();
                let id = format!("{}-{}{n}", orig.id, if kind == DocKind::CreditNote { "CN" } else { "DN" });
                let line = document::restatement_line(&orig.id, &p.period, diff, &req.reason, "payment.restatements");
                notes.push(document::document(c, id, kind, &p.period, (date, due), vec![line], &orig.id, &req.reason)?);
            }
        }
    }

    // The timeline: recorded documents that stay, this run's invoices and notes, payments.
    let payments = merged_payments(&rec.payments, input.payments)?;
    let mut events: Vec<(NaiveDate, u8, String, Event)> = Vec::new();
    for d in rec.documents.iter().filter(|d| !rebuilt.contains(&d.id)) {
        events.push((d.issue_date, 1, d.id.clone(), Event::Issue(d.clone())));
    }
    for n in &notes {
        events.push((n.issue_date, 1, n.id.clone(), Event::Issue(n.clone())));
    }
    for (i, p) in input.periods.iter().enumerate() {
        if kept[i].is_none() {
            let (issue, _) = document::invoice_dates(c, p)?;
            events.push((issue, 1, invoice_id(p), Event::Build(i)));
        }
    }
    for p in &payments {
        events.push((p.paid_date, 2, p.payment_id.clone(), Event::Pay(p.clone())));
    }
    if let Some(s) = input.statement_date {
        events.push((s, 0, String::new(), Event::Fix));
    }
    let holds = dispute::holds(&rec.disputes);
    for h in &holds {
        for day in std::iter::once(h.from).chain(h.to) {
            events.push((day, 0, h.document_id.clone(), Event::Split(h.document_id.clone())));
        }
    }
    events.sort_by(|a, b| (a.0, a.1, &a.2).cmp(&(b.0, b.1, &b.2)));

    let charged: Vec<InterestCharge> =
        rec.interest.iter().filter(|ch| !rebuilt.contains(&ch.charged_on)).cloned().collect();
    let terms = AccountTerms::of(c);
    let mut acct = Account::new(&terms, &charged);
    acct.holds = holds;
    // A restatement already carried by a final document is never carried again.
    let mut placed: Vec<bool> = rec
        .adjustments
        .iter()
        .map(|a| {
            rec.documents
                .iter()
                .filter(|d| rec.final_ids.contains(&d.id))
                .any(|d| d.lines.iter().any(|l| l.line_type == LineType::Restatement && l.clause == a.clause))
        })
        .collect();
    let mut built: Vec<Option<Document>> = vec![None; input.periods.len()];
    let mut charges = Vec::new();
    for (date, _, _, ev) in events {
        match ev {
            Event::Fix => acct.fix(date)?,
            Event::Issue(d) => acct.issue(d)?,
            Event::Pay(p) => acct.pay(&p)?,
            Event::Split(id) => acct.split(&id, date)?,
            Event::Build(i) => {
                let p = &input.periods[i];
                let id = invoice_id(p);
                let mut lines = document::performance_lines(p);
                for (k, adj) in rec.adjustments.iter().enumerate() {
                    if !placed[k] && adj.restated_period < p.period {
                        placed[k] = true;
                        let restated = crate::rules::invoice_id(c, &adj.restated_period);
                        lines.push(document::restatement_line(
                            &restated,
                            &adj.restated_period,
                            adj.amount,
                            &adj.reason,
                            &adj.clause,
                        ));
                    }
                }
                for ch in acct.charge_on(&id, date) {
                    lines.push(DocLine {
                        line_type: LineType::LateInterest,
                        channel: String::new(),
                        sla_id: String::new(),
                        description: format!(
                            "late payment interest on {}: {} to {}, {} days on {} at {}% a year, {}",
                            ch.document_id, ch.from, ch.to, ch.days, ch.balance, ch.annual_rate_percent, ch.day_count
                        ),
                        quantity: ch.days.to_string(),
                        unit: "day".to_string(),
                        rate: Some(ch.annual_rate_percent),
                        amount: ch.amount,
                        reference: ch.document_id.clone(),
                        clause: "payment.late_interest_annual_percent".to_string(),
                    });
                    charges.push(ch);
                }
                let (issue, due) = document::invoice_dates(c, p)?;
                let d = document::document(c, id, DocKind::Invoice, &p.period, (issue, due), lines, "", "")?;
                built[i] = Some(d.clone());
                acct.issue(d)?;
            }
        }
    }
    // The account's last known day: the statement date, else its latest document or payment.
    let last_day = input
        .statement_date
        .or_else(|| acct.docs.values().map(|d| d.issue_date).chain(payments.iter().map(|p| p.paid_date)).max());
    let mut documents: Vec<Document> = built.into_iter().flatten().collect();
    documents.extend(notes);
    let final_documents: Vec<Document> = kept.iter().flatten().map(|d| (*d).clone()).collect();
    charges.extend(acct.pending.iter().cloned());
    Ok(Billing {
        terms: terms.clone(),
        documents,
        final_documents,
        interest: charges,
        payments,
        applications: acct.applications.clone(),
        payment_issues: acct.issues.clone(),
        open: acct.balance.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        unapplied: acct.unapplied.clone(),
        disputes: rec.disputes.clone(),
        provider_rights: unpaid_rights(c, &acct, last_day),
    })
}

/// `[termination] unpaid_days`: a document (invoice or debit note) with money still open more
/// than that many days after its due date, on the account's last known day, gives the provider
/// a right to terminate, arising the day after that many days and effective `notice_days`
/// later. A disputed amount held from interest does not count as unpaid.
fn unpaid_rights(c: &Contract, acct: &Account<'_>, last_day: Option<NaiveDate>) -> Vec<crate::rules::TerminationEvent> {
    let (Some(days), Some(today)) = (c.termination.unpaid_days, last_day) else { return Vec::new() };
    let mut out = Vec::new();
    for d in acct.docs.values().filter(|d| d.kind != DocKind::CreditNote) {
        let open = acct.balance.get(&d.id).copied().unwrap_or_default() - acct.held(&d.id, today);
        let Some(limit) = d.due_date.checked_add_days(chrono::Days::new(u64::from(days))) else { continue };
        if open <= Decimal::ZERO || today <= limit {
            continue;
        }
        let arises = limit.succ_opt();
        out.push(crate::rules::TerminationEvent {
            period: d.period.clone(),
            trigger: format!(
                "{} unpaid {} days after its due date {}",
                d.id,
                (today - d.due_date).num_days(),
                d.due_date
            ),
            sla_id: d.id.clone(),
            periods: vec![d.period.clone()],
            clause: "termination.unpaid_days".to_string(),
            right: Some(crate::rules::Right {
                party: "provider".into(),
                status: "arisen".into(),
                arises_on: arises,
                cure_deadline: None,
                effective_from: arises
                    .and_then(|a| a.checked_add_days(chrono::Days::new(u64::from(c.termination.notice_days)))),
                evidence: vec![format!(
                    "{open} {} open on {today}, {} days after the due date; termination.unpaid_days = {days}",
                    d.currency,
                    (today - d.due_date).num_days()
                )],
            }),
        });
    }
    out
}
