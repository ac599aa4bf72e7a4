//! Finance files: `sla_results.csv` (one row per SLA and period) and `invoice.csv` (invoice
//! lines a finance system imports without editing: ISO dates, a decimal point, no thousands
//! separators, a currency column, credits as negative amounts).

use std::io::{self, Write};

use rust_decimal::Decimal;

use crate::metrics::period::rfc3339;
use crate::run::AssessmentFile;

fn opt(d: Option<Decimal>) -> String {
    d.map(|v| v.to_string()).unwrap_or_default()
}

fn zone(f: &AssessmentFile) -> chrono_tz::Tz {
    f.contract.time_zone.parse().unwrap_or(chrono_tz::UTC)
}

/// Columns of `sla_results.csv`.
pub const SLA_COLUMNS: [&str; 30] = [
    "contract_id",
    "period",
    "period_start",
    "period_end",
    "terms_version",
    "sla_id",
    "sla_name",
    "kind",
    "metric",
    "definition",
    "queue",
    "numerator",
    "denominator",
    "achieved",
    "unit",
    "direction",
    "target",
    "minimum",
    "sample_size",
    "min_sample",
    "provisional",
    "status",
    "shortfall",
    "credit_base",
    "escalation_factor",
    "credit",
    "earn_back",
    "earn_back_forfeited",
    "currency",
    "clause",
];

pub fn write_sla_results(f: &AssessmentFile, out: &mut dyn Write) -> io::Result<()> {
    let tz = zone(f);
    let mut w = csv::Writer::from_writer(out);
    w.write_record(SLA_COLUMNS)?;
    for p in &f.assessment.periods {
        for s in &p.slas {
            w.write_record([
                f.contract.id.clone(),
                p.period.clone(),
                rfc3339(tz, p.period_start),
                rfc3339(tz, p.period_end),
                p.terms_version.clone(),
                s.sla_id.clone(),
                s.name.clone(),
                s.kind.clone(),
                s.metric.clone(),
                s.definition.clone(),
                s.queue.clone(),
                opt(s.numerator),
                opt(s.denominator),
                opt(s.achieved),
                s.unit.clone(),
                s.direction.clone(),
                s.target.to_string(),
                opt(s.minimum),
                s.sample_size.to_string(),
                s.min_sample.to_string(),
                s.provisional.to_string(),
                s.status.as_str().to_string(),
                opt(s.shortfall),
                s.credit_base.to_string(),
                s.escalation_factor.to_string(),
                s.credit.to_string(),
                s.earn_back.to_string(),
                s.earn_back_forfeited.to_string(),
                f.contract.currency.clone(),
                s.clause.clone(),
            ])?;
        }
    }
    w.flush()
}

/// Columns of `invoice.csv`.
pub const INVOICE_COLUMNS: [&str; 14] = [
    "contract_id",
    "invoice_id",
    "period",
    "invoice_date",
    "due_date",
    "line_type",
    "channel",
    "sla_id",
    "description",
    "quantity",
    "rate",
    "amount",
    "currency",
    "clause",
];

/// Invoice lines per period: fees, credits (negative), the cap adjustment (positive: it gives
/// back what the cap removes), earn-back applied (positive), then late interest lines. For an
/// invoice, the amounts of all lines but `late_interest` add up to its net amount due.
pub fn write_invoice(f: &AssessmentFile, out: &mut dyn Write) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(INVOICE_COLUMNS)?;
    let dates = |invoice_id: &str| {
        f.assessment
            .late_fees
            .iter()
            .find(|l| l.invoice_id == invoice_id)
            .map(|l| (l.invoice_date.to_string(), l.due_date.to_string()))
            .unwrap_or_default()
    };
    let cur = &f.contract.currency;
    for p in &f.assessment.periods {
        let (inv_date, due) = dates(&p.invoice_id);
        let mut line = |kind: &str,
                        channel: &str,
                        sla: &str,
                        desc: &str,
                        qty: String,
                        rate: String,
                        amount: Decimal,
                        clause: &str| {
            w.write_record([
                f.contract.id.as_str(),
                p.invoice_id.as_str(),
                p.period.as_str(),
                inv_date.as_str(),
                due.as_str(),
                kind,
                channel,
                sla,
                desc,
                qty.as_str(),
                rate.as_str(),
                amount.to_string().as_str(),
                cur.as_str(),
                clause,
            ])
        };
        for l in &p.invoice {
            line("fee", &l.channel, "", &l.item, l.quantity.to_string(), l.rate.to_string(), l.amount, &l.clause)?;
        }
        for s in p.slas.iter().filter(|s| !s.credit.is_zero()) {
            let desc = format!("service credit: {} {}", s.name, s.status.as_str());
            line("credit", "", &s.sla_id, &desc, String::new(), String::new(), -s.credit, &s.clause)?;
        }
        if !p.cap_adjustment.is_zero() {
            line(
                "cap_adjustment",
                "",
                "",
                "credits above the at-risk amount",
                String::new(),
                String::new(),
                -p.cap_adjustment,
                "credits.at_risk_percent",
            )?;
        }
        for adj in &p.adjustments {
            let desc = format!("restatement of {}: {}", adj.restated_period, adj.reason);
            line("restatement", "", "", &desc, String::new(), String::new(), adj.amount, &adj.clause)?;
        }
        if !p.earn_back_applied.is_zero() {
            let from: Vec<String> = p.earn_back.iter().map(|e| format!("{} {}", e.sla_id, e.credit_period)).collect();
            let desc = format!("earn-back of earlier credits ({})", from.join(", "));
            line("earn_back", "", "", &desc, String::new(), String::new(), p.earn_back_applied, "sla.earn_back")?;
        }
    }
    for l in &f.assessment.late_fees {
        if l.interest.is_zero() {
            continue;
        }
        let desc = format!(
            "late payment interest: {} days at {}% a year, {}",
            l.days_late, l.annual_rate_percent, l.day_count
        );
        w.write_record([
            f.contract.id.as_str(),
            l.invoice_id.as_str(),
            l.period.as_str(),
            l.invoice_date.to_string().as_str(),
            l.due_date.to_string().as_str(),
            "late_interest",
            "",
            "",
            desc.as_str(),
            "",
            "",
            l.interest.to_string().as_str(),
            cur.as_str(),
            l.clause.as_str(),
        ])?;
    }
    w.flush()
}
