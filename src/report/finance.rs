//! Finance files: `sla_results.csv` (one row per SLA and period) and `invoice.csv` (the lines
//! of every document the run issues, which a finance system imports without editing: ISO
//! dates, a decimal point, no thousands separators, a currency column, credits negative,
//! quantities at their documented precision).

use std::io::{self, Write};

use rust_decimal::Decimal;

use crate::assessment::AssessmentFile;
use crate::metrics::period::rfc3339;

fn opt(d: Option<Decimal>) -> String {
    d.map(|v| v.to_string()).unwrap_or_default()
}

fn zone(f: &AssessmentFile) -> chrono_tz::Tz {
    f.contract.time_zone.parse().unwrap_or(chrono_tz::UTC)
}

/// Columns of `sla_results.csv`.
pub(crate) const SLA_COLUMNS: [&str; 30] = [
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

pub(crate) fn write_sla_results(f: &AssessmentFile, out: &mut dyn Write) -> io::Result<()> {
    let tz = zone(f);
    let mut w = crate::util::SafeCsv::from_writer(out);
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
                s.kind.as_str().to_string(),
                s.metric.clone(),
                s.definition.clone(),
                s.queue.clone(),
                opt(s.numerator),
                opt(s.denominator),
                opt(s.achieved),
                s.unit.as_str().to_string(),
                s.direction.as_str().to_string(),
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
        // Obligations, one row each: kind `obligation`, the breaches as the achieved figure
        // (late events, events over the limit, or 1 without a valid certificate) against 0.
        for o in &p.obligations {
            let measured = o.status != "not_measured";
            let n = |v: String| if measured { v } else { String::new() };
            w.write_record([
                f.contract.id.clone(),
                p.period.clone(),
                rfc3339(tz, p.period_start),
                rfc3339(tz, p.period_end),
                p.terms_version.clone(),
                o.obligation_id.clone(),
                o.name.clone(),
                "obligation".to_string(),
                o.kind.clone(),
                format!("event_type={}", o.event_type),
                String::new(),
                n(o.breaches.to_string()),
                n(o.events.len().to_string()),
                n(o.breaches.to_string()),
                "events".to_string(),
                "at_most".to_string(),
                "0".to_string(),
                String::new(),
                o.events.len().to_string(),
                "0".to_string(),
                "false".to_string(),
                o.status.clone(),
                n(o.breaches.to_string()),
                o.credit_base.to_string(),
                "1".to_string(),
                o.credit.to_string(),
                "0.00".to_string(),
                "0.00".to_string(),
                f.contract.currency.clone(),
                o.clause.clone(),
            ])?;
        }
    }
    w.flush()
}

/// Columns of `invoice.csv`.
pub(crate) const INVOICE_COLUMNS: [&str; 20] = [
    "contract_id",
    "document_id",
    "document_type",
    "period",
    "issue_date",
    "due_date",
    "references",
    "line_no",
    "line_type",
    "channel",
    "sla_id",
    "description",
    "quantity",
    "unit",
    "rate",
    "amount",
    "line_reference",
    "document_total",
    "currency",
    "clause",
];

/// One row per line of every document the run issues (the assessed periods' invoices, as
/// issued — a closed period's stays as it was — and the notes), in issue order. A document
/// id always comes with the same lines, so an import keyed by document id books each amount
/// once; the amounts of a document's lines add up to its `document_total`.
pub(crate) fn write_invoice(f: &AssessmentFile, out: &mut dyn Write) -> io::Result<()> {
    let mut w = crate::util::SafeCsv::from_writer(out);
    w.write_record(INVOICE_COLUMNS)?;
    for d in &f.billing.documents {
        for (i, l) in d.lines.iter().enumerate() {
            w.write_record([
                d.contract_id.clone(),
                d.id.clone(),
                d.kind.as_str().to_string(),
                d.period.clone(),
                d.issue_date.to_string(),
                d.due_date.to_string(),
                d.references.clone(),
                (i + 1).to_string(),
                l.line_type.as_str().to_string(),
                l.channel.clone(),
                l.sla_id.clone(),
                l.description.clone(),
                l.quantity.clone(),
                l.unit.clone(),
                opt(l.rate),
                l.amount.to_string(),
                l.reference.clone(),
                d.total.to_string(),
                d.currency.clone(),
                l.clause.clone(),
            ])?;
        }
    }
    w.flush()
}
