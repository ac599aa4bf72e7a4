//! The statement of account: every document, note and payment up to a date with the running
//! balance, the open items, their ageing, and the interest accrued but not yet charged.
//!
//! It balances by construction and is checked to: Σ documents − Σ payments = the open balance
//! = Σ open documents − Σ unapplied money, to the cent.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::account::{Account, AccountTerms, InterestCharge};
use super::dispute::Dispute;
use super::document::Document;
use super::payments::PaymentRecord;
use super::BillingError;

/// One line of the statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub date: NaiveDate,
    /// `invoice`, `credit_note`, `debit_note` or `payment`.
    pub kind: String,
    pub id: String,
    pub description: String,
    /// What it adds to the balance (a payment: negative).
    pub amount: Decimal,
    pub balance: Decimal,
}

/// An item still open on the statement date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenItem {
    pub id: String,
    /// `invoice`, `credit_note`, `debit_note` or `unapplied_payment`.
    pub kind: String,
    pub due_date: Option<NaiveDate>,
    pub days_past_due: i64,
    /// `current`, `1-30`, `31-60`, `61-90`, `90+`, or `credit` for what the client has in hand.
    pub bucket: String,
    pub open: Decimal,
}

/// The statement of account of one contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    pub contract_id: String,
    pub currency: String,
    pub as_of: NaiveDate,
    pub entries: Vec<Entry>,
    pub documents_total: Decimal,
    pub payments_total: Decimal,
    /// documents_total − payments_total.
    pub balance: Decimal,
    pub open_items: Vec<OpenItem>,
    /// Bucket → Σ open, in the order current, 1-30, 31-60, 61-90, 90+, credit.
    pub ageing: Vec<(String, Decimal)>,
    /// Interest fixed up to `as_of` that no document has charged yet (not in the balance).
    pub interest_accrued_not_charged: Vec<InterestCharge>,
    /// Disputes open on `as_of`, with their stage's deadline.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disputes_open: Vec<OpenDispute>,
}

/// A dispute open on the statement date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenDispute {
    pub id: i64,
    pub document_id: String,
    pub amount: Decimal,
    /// Whether the amount is held from late interest.
    pub held: bool,
    pub stage: String,
    pub deadline: Option<NaiveDate>,
    /// The stage's deadline has passed.
    pub overdue: bool,
}

pub(crate) const BUCKETS: [&str; 6] = ["current", "1-30", "31-60", "61-90", "90+", "credit"];

fn bucket(days: i64) -> &'static str {
    match days {
        i64::MIN..=0 => "current",
        1..=30 => "1-30",
        31..=60 => "31-60",
        61..=90 => "61-90",
        _ => "90+",
    }
}

/// The statement as of a date, from the documents, payments and charged interest recorded.
pub fn statement(
    c: &AccountTerms,
    documents: &[Document],
    payments: &[PaymentRecord],
    charged: &[InterestCharge],
    disputes: &[Dispute],
    as_of: NaiveDate,
) -> Result<Statement, BillingError> {
    let docs: Vec<&Document> = documents.iter().filter(|d| d.issue_date <= as_of).collect();
    let pays: Vec<&PaymentRecord> = payments.iter().filter(|p| p.paid_date <= as_of).collect();
    // Interest charged on documents issued by the statement date stays as it was.
    let issued: Vec<&str> = docs.iter().map(|d| d.id.as_str()).collect();
    let charged: Vec<InterestCharge> =
        charged.iter().filter(|ch| issued.contains(&ch.charged_on.as_str())).cloned().collect();
    let mut acct = Account::new(c, &charged);
    // Disputes as they stood on the statement date: a later resolution is not known yet.
    let known: Vec<Dispute> = disputes.iter().filter_map(|d| d.as_of(as_of)).collect();
    acct.holds = super::dispute::holds(&known);
    // (date, order on the day: hold changes, documents, payments; id; the document or the payment)
    type Event<'e> = (NaiveDate, u8, String, Option<&'e Document>, Option<&'e PaymentRecord>);
    let mut events: Vec<Event<'_>> = Vec::new();
    for h in &acct.holds {
        for day in std::iter::once(h.from).chain(h.to) {
            events.push((day, 0, h.document_id.clone(), None, None));
        }
    }
    for d in &docs {
        events.push((d.issue_date, 1, d.id.clone(), Some(d), None));
    }
    for p in &pays {
        events.push((p.paid_date, 2, p.payment_id.clone(), None, Some(p)));
    }
    events.sort_by(|a, b| (a.0, a.1, &a.2).cmp(&(b.0, b.1, &b.2)));
    let mut entries = Vec::new();
    let mut balance = Decimal::ZERO;
    for (date, order, id, d, p) in events {
        if order == 0 {
            acct.split(&id, date)?;
        }
        if let Some(d) = d {
            acct.issue(d.clone())?;
            balance += d.total;
            let what = if d.references.is_empty() {
                format!("{} {}", d.kind.as_str().replace('_', " "), d.period)
            } else {
                format!("{} of {}: {}", d.kind.as_str().replace('_', " "), d.references, d.reason)
            };
            entries.push(Entry {
                date,
                kind: d.kind.as_str().to_string(),
                id: id.clone(),
                description: what,
                amount: d.total,
                balance,
            });
        }
        if let Some(p) = p {
            acct.pay(p)?;
            balance -= p.amount;
            let what =
                if p.document_id.is_empty() { "payment".to_string() } else { format!("payment of {}", p.document_id) };
            entries.push(Entry {
                date,
                kind: "payment".to_string(),
                id,
                description: what,
                amount: -p.amount,
                balance,
            });
        }
    }
    acct.fix(as_of)?;
    let documents_total: Decimal = docs.iter().map(|d| d.total).sum();
    let payments_total: Decimal = pays.iter().map(|p| p.amount).sum();
    let mut open_items = Vec::new();
    for d in &docs {
        let open = acct.balance.get(&d.id).copied().unwrap_or_default();
        if open.is_zero() {
            continue;
        }
        let days = (as_of - d.due_date).num_days();
        open_items.push(OpenItem {
            id: d.id.clone(),
            kind: d.kind.as_str().to_string(),
            due_date: Some(d.due_date),
            days_past_due: days.max(0),
            bucket: if open < Decimal::ZERO { "credit" } else { bucket(days) }.to_string(),
            open,
        });
    }
    for (id, _, amount) in &acct.unapplied {
        open_items.push(OpenItem {
            id: id.clone(),
            kind: "unapplied_payment".to_string(),
            due_date: None,
            days_past_due: 0,
            bucket: "credit".to_string(),
            open: -*amount,
        });
    }
    let open_total: Decimal = open_items.iter().map(|o| o.open).sum();
    if open_total != documents_total - payments_total {
        return Err(BillingError::Internal(format!(
            "the statement's open items ({open_total}) differ from documents less payments ({})",
            documents_total - payments_total
        )));
    }
    let ageing = BUCKETS
        .iter()
        .map(|b| (b.to_string(), open_items.iter().filter(|o| o.bucket == *b).map(|o| o.open).sum()))
        .collect();
    Ok(Statement {
        contract_id: c.contract_id.clone(),
        currency: c.currency.clone(),
        as_of,
        entries,
        documents_total,
        payments_total,
        balance: documents_total - payments_total,
        open_items,
        ageing,
        interest_accrued_not_charged: acct.pending.clone(),
        disputes_open: known
            .iter()
            .filter(|d| d.is_open_on(as_of))
            .map(|d| OpenDispute {
                id: d.id,
                document_id: d.document_id.clone(),
                amount: d.amount,
                held: d.terms.hold && d.party == super::dispute::Party::Client,
                stage: d.stage.clone(),
                deadline: d.deadline(),
                overdue: d.overdue(as_of),
            })
            .collect(),
    })
}
