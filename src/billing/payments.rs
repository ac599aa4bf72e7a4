//! Payments received, and how they are applied to documents.
//!
//! The payments file is `payment_id,invoice_id,paid_date,amount` (`payment_id` optional;
//! `invoice_id` may be empty for a payment that names no document). Application is
//! deterministic (docs/ledger.md, "Payments"): payments in date order (then id); a payment
//! naming a document pays it up to its open balance; one naming none pays the open documents
//! issued by its date, oldest due date first; whatever is left — an overpayment, a payment
//! naming an unknown document, more than is open — stays **unapplied** on the account and is
//! reported, never silently put elsewhere.

use std::path::Path;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::BillingError;

/// One payment received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRecord {
    /// The file's `payment_id`, or `{paid_date}/{invoice_id}/{amount}` (and `/2`, `/3` for
    /// repeats within one file) when the file has none.
    pub payment_id: String,
    /// The document it pays; empty when it names none.
    pub document_id: String,
    pub paid_date: NaiveDate,
    pub amount: Decimal,
}

/// Part of a payment (or a credit note) applied to one document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Application {
    pub payment_id: String,
    pub document_id: String,
    pub date: NaiveDate,
    pub amount: Decimal,
}

/// Something about a payment a finance team must look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentIssue {
    pub payment_id: String,
    pub paid_date: NaiveDate,
    /// `unknown_document`, `overpaid` or `unapplied`.
    pub kind: String,
    /// What stays unapplied on the account.
    pub amount: Decimal,
    pub message: String,
}

/// A payments file as read: its payments, and whether it has a `payment_id` column. Without
/// one, each payment is known by `{paid_date}/{invoice_id}/{amount}`, which the run lists among
/// its assumptions: a corrected amount in a later file is then a new payment, not a correction
/// of the old one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentsFile {
    pub records: Vec<PaymentRecord>,
    pub has_ids: bool,
}

/// Whether a payments CSV has a `payment_id` column (its header only).
fn has_payment_ids(path: &Path) -> Result<bool, BillingError> {
    let header = csv::Reader::from_path(path)
        .and_then(|mut r| r.headers().cloned())
        .map_err(|e| BillingError::Payments { path: path.display().to_string(), line: 1, message: e.to_string() })?;
    Ok(header.iter().any(|h| h.trim() == "payment_id"))
}

/// Reads a payments CSV.
pub fn load_payments(path: &Path) -> Result<PaymentsFile, BillingError> {
    let shown = path.display().to_string();
    let err = |(line, message): (u64, String)| BillingError::Payments { path: shown.clone(), line, message };
    let with_id = has_payment_ids(path)?;
    let columns: &[&str] = if with_id {
        &["payment_id", "invoice_id", "paid_date", "amount"]
    } else {
        &["invoice_id", "paid_date", "amount"]
    };
    let mut out: Vec<PaymentRecord> = Vec::new();
    for (line, f) in crate::util::read_named_csv(path, columns).map_err(err)? {
        let k = usize::from(with_id);
        let (doc, date, amount) = (&f[k], &f[k + 1], &f[k + 2]);
        let paid_date = NaiveDate::parse_from_str(date, "%Y-%m-%d")
            .map_err(|_| err((line, format!("column paid_date: \"{date}\" is not a date (YYYY-MM-DD)"))))?;
        let amount: Decimal = amount
            .parse()
            .map_err(|_| err((line, format!("column amount: \"{amount}\" is not a decimal amount such as 1250.00"))))?;
        if amount <= Decimal::ZERO {
            return Err(err((
                line,
                format!("column amount: {amount} is not a positive amount (a refund is not a payment)"),
            )));
        }
        let id = if with_id {
            if f[0].is_empty() {
                return Err(err((
                    line,
                    "column payment_id: empty; give every payment an id, or leave the column out".to_string(),
                )));
            }
            f[0].clone()
        } else {
            let base = format!("{paid_date}/{}/{amount}", if doc.is_empty() { "-" } else { doc });
            let n =
                out.iter().filter(|p| p.payment_id == base || p.payment_id.starts_with(&format!("{base}/"))).count();
            if n == 0 {
                base
            } else {
                format!("{base}/{}", n + 1)
            }
        };
        if out.iter().any(|p| p.payment_id == id) {
            return Err(err((
                line,
                format!("column payment_id: \"{id}\" is used twice; each payment needs its own id"),
            )));
        }
        out.push(PaymentRecord { payment_id: id, document_id: doc.clone(), paid_date, amount });
    }
    Ok(PaymentsFile { records: out, has_ids: with_id })
}

/// The open documents a payment naming none pays, in order: issued by its date, with an open
/// balance, oldest due date first (then id).
pub(crate) fn oldest_first<'a>(open: &[(&'a str, NaiveDate, NaiveDate, Decimal)], date: NaiveDate) -> Vec<&'a str> {
    let mut v: Vec<&(&str, NaiveDate, NaiveDate, Decimal)> =
        open.iter().filter(|(_, issued, _, bal)| *issued <= date && *bal > Decimal::ZERO).collect();
    v.sort_by(|a, b| a.2.cmp(&b.2).then_with(|| a.0.cmp(b.0)));
    v.into_iter().map(|(id, ..)| *id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_read_from_the_file_or_derived_and_the_difference_is_known() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let with = dir.path().join("with.csv");
        let without = dir.path().join("without.csv");
        std::fs::write(&with, "payment_id,invoice_id,paid_date,amount\nP-1,INV-1,2026-10-16,10.00\n")?;
        std::fs::write(&without, "invoice_id,paid_date,amount\nINV-1,2026-10-16,10.00\nINV-1,2026-10-16,10.00\n")?;
        assert!(has_payment_ids(&with)?);
        assert!(!has_payment_ids(&without)?);
        let ids = |p: &Path| load_payments(p).map(|v| v.records.into_iter().map(|r| r.payment_id).collect::<Vec<_>>());
        assert_eq!(ids(&with)?, vec!["P-1".to_string()]);
        assert_eq!(ids(&without)?, vec!["2026-10-16/INV-1/10.00".to_string(), "2026-10-16/INV-1/10.00/2".to_string()]);
        assert!(has_payment_ids(&dir.path().join("missing.csv")).is_err());
        Ok(())
    }
}
