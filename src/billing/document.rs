//! Documents: invoices, credit notes and debit notes, and how their lines and taxes are made.
//!
//! An invoice is made from one period's assessment (fees, credits, the cap adjustment,
//! earn-back) plus what it carries for other documents (restatement lines, late interest),
//! then the contract's taxes. A note settles the difference of a restated closed period on a
//! document of its own. A document's total is the sum of its lines; a line's amount is
//! rounded once, where docs/contract.md says.

use chrono::{Duration, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::contract::{Contract, Tax, TaxRounding};
use crate::money::{self, Overflow};
use crate::rules::PeriodAssessment;

/// What a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    Invoice,
    /// Lowers what is owed (negative total), referencing the document it corrects.
    CreditNote,
    /// Raises what is owed, referencing the document it corrects.
    DebitNote,
}

impl DocKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            DocKind::Invoice => "invoice",
            DocKind::CreditNote => "credit_note",
            DocKind::DebitNote => "debit_note",
        }
    }
}

/// What a line is. The names are the `line_type` column of invoice.csv.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineType {
    Fee,
    Credit,
    CapAdjustment,
    EarnBack,
    Restatement,
    LateInterest,
    /// The amount a resolved dispute settles (on its credit or debit note).
    DisputeSettlement,
    Tax,
}

impl LineType {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            LineType::Fee => "fee",
            LineType::Credit => "credit",
            LineType::CapAdjustment => "cap_adjustment",
            LineType::EarnBack => "earn_back",
            LineType::Restatement => "restatement",
            LineType::LateInterest => "late_interest",
            LineType::DisputeSettlement => "dispute_settlement",
            LineType::Tax => "tax",
        }
    }
}

/// One line of a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocLine {
    pub line_type: LineType,
    pub channel: String,
    pub sla_id: String,
    pub description: String,
    /// The quantity at its documented precision (minutes to 4 places, contacts and fixed
    /// items whole, a tax's base to the currency's places); empty when the line has none.
    pub quantity: String,
    /// `minute`, `contact`, `month`, `day` or `currency` (a tax's base); empty when none.
    pub unit: String,
    pub rate: Option<Decimal>,
    pub amount: Decimal,
    /// The document this line is about (the late invoice, the restated invoice).
    pub reference: String,
    pub clause: String,
}

/// An invoice or a note, as issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub id: String,
    pub kind: DocKind,
    pub contract_id: String,
    /// The invoice's period; for a note, the period of the document it corrects.
    pub period: String,
    pub issue_date: NaiveDate,
    pub due_date: NaiveDate,
    pub currency: String,
    pub lines: Vec<DocLine>,
    /// Σ lines other than tax.
    pub subtotal: Decimal,
    /// Σ tax lines.
    pub tax: Decimal,
    /// subtotal + tax: what the document asks to be paid (negative for a credit note).
    pub total: Decimal,
    /// A note's original document (empty for an invoice).
    pub references: String,
    /// A note's reason (empty for an invoice).
    pub reason: String,
}

impl Document {
    /// The lines that come from the period's own assessment (fees, credits, cap, earn-back).
    pub(crate) fn performance(&self) -> Decimal {
        self.lines
            .iter()
            .filter(|l| {
                matches!(l.line_type, LineType::Fee | LineType::Credit | LineType::CapAdjustment | LineType::EarnBack)
            })
            .map(|l| l.amount)
            .sum()
    }
}

/// Issue and due date of a period's invoice: the first day after the period plus the
/// contract's invoice lag, and net days after that (without payment terms: due on issue).
pub(crate) fn invoice_dates(c: &Contract, p: &PeriodAssessment) -> Result<(NaiveDate, NaiveDate), Overflow> {
    let first_after = crate::contract::period_date(c, p.period_end);
    let (lag, net) = c.payment.as_ref().map_or((0, 0), |t| (t.invoice_lag_days, t.net_days));
    let issue = add_days(first_after, lag, "the invoice date")?;
    Ok((issue, add_days(issue, net, "the due date")?))
}

/// `date + days`, or an overflow naming what.
pub(crate) fn add_days(date: NaiveDate, days: u32, what: &'static str) -> Result<NaiveDate, Overflow> {
    date.checked_add_signed(Duration::days(i64::from(days))).ok_or(Overflow { what })
}

/// A quantity at the precision its unit is billed in: minutes to 4 places (half to even),
/// other units whole.
fn quantity(q: Decimal, unit: &str) -> String {
    if unit == "minute" || unit == "hour" {
        format!("{:.4}", q.round_dp_with_strategy(4, RoundingStrategy::MidpointNearestEven))
    } else {
        q.round_dp_with_strategy(0, RoundingStrategy::MidpointNearestEven).to_string()
    }
}

fn line(line_type: LineType, description: String, amount: Decimal, clause: &str) -> DocLine {
    DocLine {
        line_type,
        channel: String::new(),
        sla_id: String::new(),
        description,
        quantity: String::new(),
        unit: String::new(),
        rate: None,
        amount,
        reference: String::new(),
        clause: clause.to_string(),
    }
}

/// The unit of a fee line, from the pricing key it cites (`pricing.voice.per_contact`).
fn unit_of(clause: &str) -> &'static str {
    match clause.rsplit('.').next().unwrap_or_default() {
        k if k.starts_with("minute_tiers") || k == "per_minute" => "minute",
        "per_contact" | "per_resolved" | "volume_commitment" => "contact",
        "per_connect" => "connect",
        "per_logged_in_hour" | "per_productive_hour" => "hour",
        _ => "month",
    }
}

/// The lines of a period's own assessment: fees, credits (negative), the cap adjustment
/// (positive: what the cap gives back) and earn-back (positive).
pub(crate) fn performance_lines(p: &PeriodAssessment) -> Vec<DocLine> {
    let mut out = Vec::new();
    for l in &p.invoice {
        let unit = unit_of(&l.clause);
        out.push(DocLine {
            channel: l.channel.clone(),
            quantity: quantity(l.quantity, unit),
            unit: unit.to_string(),
            rate: Some(l.rate),
            ..line(LineType::Fee, l.item.clone(), l.amount, &l.clause)
        });
    }
    for s in p.slas.iter().filter(|s| !s.credit.is_zero()) {
        out.push(DocLine {
            sla_id: s.sla_id.clone(),
            ..line(LineType::Credit, format!("service credit: {} {}", s.name, s.status.as_str()), -s.credit, &s.clause)
        });
    }
    if !p.cap_adjustment.is_zero() {
        out.push(line(
            LineType::CapAdjustment,
            "credits above the at-risk amount".to_string(),
            -p.cap_adjustment,
            "credits.at_risk_percent",
        ));
    }
    for o in p.obligations.iter().filter(|o| !o.credit.is_zero()) {
        out.push(DocLine {
            sla_id: o.obligation_id.clone(),
            ..line(LineType::Credit, format!("obligation credit: {} missed", o.name), -o.credit, &o.clause)
        });
    }
    if !p.earn_back_applied.is_zero() {
        let from: Vec<String> = p.earn_back.iter().map(|e| format!("{} {}", e.sla_id, e.credit_period)).collect();
        out.push(line(
            LineType::EarnBack,
            format!("earn-back of earlier credits ({})", from.join(", ")),
            p.earn_back_applied,
            "sla.earn_back",
        ));
    }
    out
}

/// A restatement carried on another document: the difference of the restated period.
pub(crate) fn restatement_line(
    restated_doc: &str,
    period: &str,
    amount: Decimal,
    reason: &str,
    clause: &str,
) -> DocLine {
    DocLine {
        reference: restated_doc.to_string(),
        ..line(LineType::Restatement, format!("restatement of {period}: {reason}"), amount, clause)
    }
}

/// The settlement of a resolved dispute on its note: `amount` (negative on a credit note),
/// referencing the dispute.
pub(crate) fn dispute_line(dispute_id: i64, doc: &str, outcome: &str, amount: Decimal) -> DocLine {
    DocLine {
        reference: format!("dispute #{dispute_id}"),
        ..line(LineType::DisputeSettlement, format!("dispute #{dispute_id} on {doc}: {outcome}"), amount, "disputes")
    }
}

/// The tax lines for these lines: one per tax with a non-empty base, in contract order.
pub(crate) fn tax_lines(taxes: &[Tax], lines: &[DocLine], c: &Contract) -> Result<Vec<DocLine>, Overflow> {
    let r = c.rounding;
    let mut out = Vec::new();
    for t in taxes {
        let taxed: Vec<&DocLine> =
            lines.iter().filter(|l| t.applies_to.iter().any(|a| a == l.line_type.as_str())).collect();
        if taxed.is_empty() {
            continue;
        }
        let base = taxed.iter().try_fold(Decimal::ZERO, |a, l| money::add(a, l.amount, "the taxable base"))?;
        let of = |amount: Decimal| -> Result<Decimal, Overflow> {
            Ok(money::mul(amount, t.rate_percent, "the tax")? / Decimal::ONE_HUNDRED)
        };
        let amount = match t.rounding {
            TaxRounding::Document => r.apply(of(base)?),
            TaxRounding::Line => {
                taxed.iter().try_fold(Decimal::ZERO, |a, l| money::add(a, r.apply(of(l.amount)?), "the tax"))?
            }
        };
        out.push(DocLine {
            quantity: r.apply(base).to_string(),
            unit: "currency".to_string(),
            rate: Some(t.rate_percent),
            ..line(
                LineType::Tax,
                format!(
                    "{} {}% on {} (rounded per {})",
                    t.name,
                    t.rate_percent,
                    t.applies_to.join(", "),
                    if t.rounding == TaxRounding::Line { "line" } else { "document" }
                ),
                amount,
                &format!("tax.{}", t.name),
            )
        });
    }
    Ok(out)
}

/// A document from its lines (taxes added here), with subtotal, tax and total.
#[allow(clippy::too_many_arguments)] // reason: the header fields of one document, named
pub(crate) fn document(
    c: &Contract,
    id: String,
    kind: DocKind,
    period: &str,
    (issue_date, due_date): (NaiveDate, NaiveDate),
    mut lines: Vec<DocLine>,
    references: &str,
    reason: &str,
) -> Result<Document, Overflow> {
    let r = c.rounding;
    let subtotal = r.apply(lines.iter().try_fold(Decimal::ZERO, |a, l| money::add(a, l.amount, "the subtotal"))?);
    let taxes = tax_lines(&c.taxes, &lines, c)?;
    let tax = r.apply(taxes.iter().try_fold(Decimal::ZERO, |a, l| money::add(a, l.amount, "the tax"))?);
    lines.extend(taxes);
    Ok(Document {
        id,
        kind,
        contract_id: c.id.clone(),
        period: period.to_string(),
        issue_date,
        due_date,
        currency: c.currency.clone(),
        lines,
        subtotal,
        tax,
        total: r.apply(money::add(subtotal, tax, "the document total")?),
        references: references.to_string(),
        reason: reason.to_string(),
    })
}
