//! Payment terms: due dates, payments against invoices and late-payment interest.
//!
//! Simple interest accrues daily on the unpaid balance from the day after the due date until
//! each payment (or the statement date for what is still unpaid):
//! interest = Σ balance × annual rate × days / basis (365 or 360, the contract's day count),
//! rounded once per invoice with the contract's rounding rule.

use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{PeriodAssessment, RulesError};
use crate::contract::{Contract, Payment};
use crate::money::{self, Overflow};

/// One payment received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRecord {
    pub invoice_id: String,
    pub paid_date: NaiveDate,
    pub amount: Decimal,
}

/// The payment position and late interest of one invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LateFee {
    pub invoice_id: String,
    pub period: String,
    pub invoice_date: NaiveDate,
    pub due_date: NaiveDate,
    /// Net amount due on the invoice (fees less net credits).
    pub amount_due: Decimal,
    pub credited: Decimal,
    pub paid: Decimal,
    pub outstanding: Decimal,
    /// Days between the due date and full payment (or the statement date); 0 when on time.
    pub days_late: i64,
    pub interest: Decimal,
    pub annual_rate_percent: Decimal,
    pub day_count: String,
    pub clause: String,
}

/// Reads a payments CSV: `invoice_id,paid_date,amount` (ISO dates, decimal amounts).
pub fn load_payments(path: &std::path::Path) -> Result<Vec<PaymentRecord>, RulesError> {
    let err = |(line, message): (u64, String)| RulesError::Payments { path: path.display().to_string(), line, message };
    let mut out = Vec::new();
    for (line, f) in crate::util::read_named_csv(path, &["invoice_id", "paid_date", "amount"]).map_err(err)? {
        let paid_date = NaiveDate::parse_from_str(&f[1], "%Y-%m-%d")
            .map_err(|_| err((line, format!("column paid_date: \"{}\" is not a date (YYYY-MM-DD)", f[1]))))?;
        let amount: Decimal =
            f[2].parse().map_err(|_| err((line, format!("column amount: \"{}\" is not a decimal amount", f[2]))))?;
        out.push(PaymentRecord { invoice_id: f[0].clone(), paid_date, amount });
    }
    Ok(out)
}

fn days(a: NaiveDate, b: NaiveDate) -> i64 {
    (b - a).num_days()
}

/// Late-fee lines for every invoice of the assessed periods.
pub fn late_fees<'a>(
    c: &Contract,
    terms: &Payment,
    periods: impl Iterator<Item = &'a PeriodAssessment>,
    payments: &[PaymentRecord],
    statement_date: Option<NaiveDate>,
) -> Result<Vec<super::LateFee>, Overflow> {
    let r = c.rounding;
    let rate = terms.late_interest_annual_percent;
    let basis = terms.day_count.basis();
    let mut out = Vec::new();
    for p in periods {
        let invoice_date =
            crate::contract::period_date(c, p.period_end) + Duration::days(i64::from(terms.invoice_lag_days));
        let due_date = invoice_date + Duration::days(i64::from(terms.net_days));
        let mut mine: Vec<&PaymentRecord> = payments.iter().filter(|x| x.invoice_id == p.invoice_id).collect();
        mine.sort_by_key(|x| x.paid_date);
        let mut balance = p.net_due;
        let mut accrued = Decimal::ZERO;
        let mut since = due_date;
        let mut paid = Decimal::ZERO;
        let mut settled_on = None;
        for pay in &mine {
            if pay.paid_date > since && balance > Decimal::ZERO {
                let d = Decimal::from(days(since, pay.paid_date));
                accrued = money::add(
                    accrued,
                    money::mul(money::mul(balance, rate, "interest")?, d, "interest")? / Decimal::ONE_HUNDRED / basis,
                    "interest",
                )?;
                since = pay.paid_date;
            }
            balance -= pay.amount;
            paid = money::add(paid, pay.amount, "payments")?;
            if balance <= Decimal::ZERO && settled_on.is_none() {
                settled_on = Some(pay.paid_date);
            }
        }
        if balance > Decimal::ZERO {
            if let Some(st) = statement_date {
                if st > since {
                    let d = Decimal::from(days(since, st));
                    accrued = money::add(
                        accrued,
                        money::mul(money::mul(balance, rate, "interest")?, d, "interest")?
                            / Decimal::ONE_HUNDRED
                            / basis,
                        "interest",
                    )?;
                }
            }
        }
        let end = settled_on.or(if balance > Decimal::ZERO { statement_date } else { None });
        let days_late = end.map_or(0, |e| days(due_date, e).max(0));
        out.push(LateFee {
            invoice_id: p.invoice_id.clone(),
            period: p.period.clone(),
            invoice_date,
            due_date,
            amount_due: p.net_due,
            credited: p.net_credit,
            paid: r.apply(paid),
            outstanding: r.apply(balance),
            days_late,
            interest: r.apply(accrued),
            annual_rate_percent: rate,
            day_count: match terms.day_count {
                crate::contract::DayCount::Actual365 => "actual/365".to_string(),
                crate::contract::DayCount::Actual360 => "actual/360".to_string(),
            },
            clause: "payment.late_interest_annual_percent".to_string(),
        });
    }
    Ok(out)
}
