//! The account: documents issued and payments received, in date order, with each document's
//! open balance and the late interest it accrues.
//!
//! Events are played in date order; on one day, interest is fixed first (a statement date),
//! then documents are issued, then payments applied. Interest is simple, per document, on its
//! open balance less any held amount, from the due date plus the grace days: each payment
//! applied to a late document fixes the interest up to its date on the balance before it, and
//! a statement date fixes it on what is still open. Each fixed span is one [`InterestCharge`],
//! rounded once; a span already charged (recorded in the ledger) is never fixed again.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::document::{DocKind, Document};
use super::payments::{oldest_first, Application, PaymentIssue, PaymentRecord};
use crate::contract::{Contract, Payment};
use crate::money::{self, Overflow, Rounding};

/// The contract terms an account runs on (recorded in the ledger, so a statement needs no
/// contract file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountTerms {
    pub contract_id: String,
    pub currency: String,
    pub rounding: Rounding,
    /// `None`: no payment terms, no interest.
    pub payment: Option<Payment>,
}

impl AccountTerms {
    pub fn of(c: &Contract) -> AccountTerms {
        AccountTerms {
            contract_id: c.id.clone(),
            currency: c.currency.clone(),
            rounding: c.rounding,
            payment: c.payment.clone(),
        }
    }
}

/// Late interest on one document for one span, fixed on a date, charged on one document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterestCharge {
    /// The late document.
    pub document_id: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Days under the contract's day count.
    pub days: i64,
    /// The open balance the interest ran on.
    pub balance: Decimal,
    pub annual_rate_percent: Decimal,
    pub day_count: String,
    pub amount: Decimal,
    /// The day the span was fixed: a payment's date, or the statement date.
    pub fixed_on: NaiveDate,
    /// The document that charges it; empty while no document issued on or after `fixed_on`
    /// has carried it (accrued, not yet charged).
    pub charged_on: String,
}

/// An amount of a document that accrues no interest: a disputed amount held until the dispute
/// ends (`[disputes] hold_disputed_amounts`, [`super::dispute::holds`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    pub document_id: String,
    pub amount: Decimal,
    pub from: NaiveDate,
    /// `None`: still held.
    pub to: Option<NaiveDate>,
}

/// The running account.
pub struct Account<'c> {
    c: &'c AccountTerms,
    /// Issued documents, by id.
    pub docs: BTreeMap<String, Document>,
    /// Open balance per document.
    pub balance: BTreeMap<String, Decimal>,
    /// Interest accrued (fixed) up to this day, per document.
    cursor: BTreeMap<String, NaiveDate>,
    pub holds: Vec<Hold>,
    pub applications: Vec<Application>,
    pub issues: Vec<PaymentIssue>,
    /// (payment id, date, amount) left on the account.
    pub unapplied: Vec<(String, NaiveDate, Decimal)>,
    /// Fixed spans not yet charged on a document.
    pub pending: Vec<InterestCharge>,
}

impl<'c> Account<'c> {
    /// An empty account. `charged` are the spans already charged on documents that stay as
    /// they are: interest on each document starts after the last of them.
    pub(crate) fn new(c: &'c AccountTerms, charged: &[InterestCharge]) -> Account<'c> {
        let mut cursor: BTreeMap<String, NaiveDate> = BTreeMap::new();
        for ch in charged {
            let e = cursor.entry(ch.document_id.clone()).or_insert(ch.to);
            *e = (*e).max(ch.to);
        }
        Account {
            c,
            docs: BTreeMap::new(),
            balance: BTreeMap::new(),
            cursor,
            holds: Vec::new(),
            applications: Vec::new(),
            issues: Vec::new(),
            unapplied: Vec::new(),
            pending: Vec::new(),
        }
    }

    /// The day interest on a document starts: its due date plus the grace days.
    fn accrual_start(&self, d: &Document) -> Result<NaiveDate, Overflow> {
        let grace = self.c.payment.as_ref().map_or(0, |t| t.grace_days);
        super::document::add_days(d.due_date, grace, "the interest start")
    }

    /// The amount of document `id` held from interest on `on` (an open dispute).
    pub(crate) fn held(&self, id: &str, on: NaiveDate) -> Decimal {
        self.holds
            .iter()
            .filter(|h| h.document_id == id && h.from <= on && h.to.is_none_or(|t| on < t))
            .map(|h| h.amount)
            .sum()
    }

    /// Fixes the interest on document `id` up to `to`, on its balance until then.
    fn accrue(&mut self, id: &str, to: NaiveDate) -> Result<(), Overflow> {
        let Some(terms) = self.c.payment.as_ref() else { return Ok(()) };
        let Some(doc) = self.docs.get(id) else { return Ok(()) };
        if doc.kind == DocKind::CreditNote {
            return Ok(());
        }
        let start = self.accrual_start(doc)?;
        let from = self.cursor.get(id).copied().unwrap_or(start).max(start);
        if to <= from {
            return Ok(());
        }
        let balance = self.balance.get(id).copied().unwrap_or_default() - self.held(id, from);
        self.cursor.insert(id.to_string(), to);
        if balance <= Decimal::ZERO {
            return Ok(());
        }
        let days = terms.day_count.days(from, to);
        let amount = self.c.rounding.apply(
            money::mul(
                money::mul(balance, terms.late_interest_annual_percent, "interest")?,
                Decimal::from(days),
                "interest",
            )? / Decimal::ONE_HUNDRED
                / terms.day_count.basis(),
        );
        if amount.is_zero() {
            return Ok(());
        }
        self.pending.push(InterestCharge {
            document_id: id.to_string(),
            from,
            to,
            days,
            balance,
            annual_rate_percent: terms.late_interest_annual_percent,
            day_count: terms.day_count.as_str().to_string(),
            amount,
            fixed_on: to,
            charged_on: String::new(),
        });
        Ok(())
    }

    /// Applies up to `amount` to document `id` on `date`; returns what is left.
    fn apply(&mut self, payment_id: &str, id: &str, date: NaiveDate, amount: Decimal) -> Result<Decimal, Overflow> {
        self.accrue(id, date)?;
        let open = self.balance.get(id).copied().unwrap_or_default();
        let take = amount.min(open).max(Decimal::ZERO);
        if take > Decimal::ZERO {
            self.balance.insert(id.to_string(), open - take);
            self.applications.push(Application {
                payment_id: payment_id.to_string(),
                document_id: id.to_string(),
                date,
                amount: take,
            });
        }
        Ok(amount - take)
    }

    /// Issues a document: its total is open from its issue date. A credit note is applied to
    /// the document it corrects (what that one no longer owes); the rest stays as a credit.
    pub(crate) fn issue(&mut self, d: Document) -> Result<(), Overflow> {
        let (id, date, total, kind, refs) = (d.id.clone(), d.issue_date, d.total, d.kind, d.references.clone());
        self.docs.insert(id.clone(), d);
        self.balance.insert(id.clone(), total);
        if kind == DocKind::CreditNote && total < Decimal::ZERO && self.docs.contains_key(&refs) {
            let left = self.apply(&id, &refs, date, -total)?;
            self.balance.insert(id, -left);
        }
        Ok(())
    }

    /// Applies a payment (module docs of [`super::payments`]).
    pub(crate) fn pay(&mut self, p: &PaymentRecord) -> Result<(), Overflow> {
        let mut left = p.amount;
        let issue = |kind: &str, amount: Decimal, message: String| PaymentIssue {
            payment_id: p.payment_id.clone(),
            paid_date: p.paid_date,
            kind: kind.to_string(),
            amount,
            message,
        };
        if !p.document_id.is_empty() {
            if !self.docs.contains_key(&p.document_id) {
                self.issues.push(issue(
                    "unknown_document",
                    left,
                    format!("names {}, which is not a document of this contract: left unapplied", p.document_id),
                ));
                self.unapplied.push((p.payment_id.clone(), p.paid_date, left));
                return Ok(());
            }
            left = self.apply(&p.payment_id, &p.document_id, p.paid_date, left)?;
            if left > Decimal::ZERO {
                self.issues.push(issue(
                    "overpaid",
                    left,
                    format!("pays {left} more than was open on {}: left unapplied", p.document_id),
                ));
                self.unapplied.push((p.payment_id.clone(), p.paid_date, left));
            }
            return Ok(());
        }
        let open: Vec<(String, NaiveDate, NaiveDate, Decimal)> = self
            .docs
            .values()
            .map(|d| (d.id.clone(), d.issue_date, d.due_date, self.balance.get(&d.id).copied().unwrap_or_default()))
            .collect();
        let refs: Vec<(&str, NaiveDate, NaiveDate, Decimal)> =
            open.iter().map(|(id, i, d, b)| (id.as_str(), *i, *d, *b)).collect();
        for id in oldest_first(&refs, p.paid_date) {
            if left <= Decimal::ZERO {
                break;
            }
            left = self.apply(&p.payment_id, id, p.paid_date, left)?;
        }
        if left > Decimal::ZERO {
            self.issues.push(issue(
                "unapplied",
                left,
                format!("names no document and {left} exceeds what was open on {}: left unapplied", p.paid_date),
            ));
            self.unapplied.push((p.payment_id.clone(), p.paid_date, left));
        }
        Ok(())
    }

    /// Fixes the interest on document `id` up to `date` (where a hold starts or ends).
    pub(crate) fn split(&mut self, id: &str, date: NaiveDate) -> Result<(), Overflow> {
        self.accrue(id, date)
    }

    /// Fixes the interest on every open document up to `date` (a statement date).
    pub(crate) fn fix(&mut self, date: NaiveDate) -> Result<(), Overflow> {
        let open: Vec<String> =
            self.balance.iter().filter(|(_, b)| **b > Decimal::ZERO).map(|(id, _)| id.clone()).collect();
        for id in open {
            self.accrue(&id, date)?;
        }
        Ok(())
    }

    /// Takes the fixed spans a document issued on `date` charges (fixed on or before it).
    pub(crate) fn charge_on(&mut self, doc_id: &str, date: NaiveDate) -> Vec<InterestCharge> {
        let (due, later): (Vec<InterestCharge>, Vec<InterestCharge>) =
            std::mem::take(&mut self.pending).into_iter().partition(|ch| ch.fixed_on <= date);
        self.pending = later;
        due.into_iter().map(|ch| InterestCharge { charged_on: doc_id.to_string(), ..ch }).collect()
    }
}
