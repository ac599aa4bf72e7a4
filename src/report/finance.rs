//! Finance files: `sla_results.csv` (one row per SLA and period) and `invoice.csv` (the lines
//! of every document the run issues, which a finance system imports without editing: ISO
//! dates, a decimal point, no thousands separators, a currency column, credits negative,
//! quantities at their documented precision).

use std::io::{self, Write};

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::assessment::AssessmentFile;
use crate::metrics::period::rfc3339;

/// One typed cell of a finance file: the CSV writes its text, the workbook a typed cell.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Text(String),
    /// A decimal figure; `None` is an empty cell.
    Number(Option<Decimal>),
    Date(NaiveDate),
    Count(u64),
}

impl Cell {
    /// The cell as the CSV holds it.
    pub(crate) fn text(&self) -> String {
        match self {
            Cell::Text(t) => t.clone(),
            Cell::Number(d) => d.map(|v| v.to_string()).unwrap_or_default(),
            Cell::Date(d) => d.to_string(),
            Cell::Count(n) => n.to_string(),
        }
    }
}

fn text(s: &str) -> Cell {
    Cell::Text(s.to_string())
}

fn num(d: Decimal) -> Cell {
    Cell::Number(Some(d))
}

pub(crate) fn write_rows<const N: usize>(
    columns: [&str; N],
    rows: &[[Cell; N]],
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut w = crate::util::SafeCsv::from_writer(out);
    w.write_record(columns)?;
    for row in rows {
        w.write_record(row.iter().map(Cell::text))?;
    }
    w.flush()
}

pub(crate) fn zone(f: &AssessmentFile) -> chrono_tz::Tz {
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
    write_rows(SLA_COLUMNS, &sla_rows(f), out)
}

/// The rows of `sla_results.csv` (and of the workbook's "SLA results" sheet).
pub(crate) fn sla_rows(f: &AssessmentFile) -> Vec<[Cell; 30]> {
    let tz = zone(f);
    let mut rows = Vec::new();
    for p in &f.assessment.periods {
        for s in &p.slas {
            rows.push([
                text(&f.contract.id),
                text(&p.period),
                Cell::Text(rfc3339(tz, p.period_start)),
                Cell::Text(rfc3339(tz, p.period_end)),
                text(&p.terms_version),
                text(&s.sla_id),
                text(&s.name),
                text(s.kind.as_str()),
                text(&s.metric),
                text(&s.definition),
                text(&s.queue),
                Cell::Number(s.numerator),
                Cell::Number(s.denominator),
                Cell::Number(s.achieved),
                text(s.unit.as_str()),
                text(s.direction.as_str()),
                num(s.target),
                Cell::Number(s.minimum),
                Cell::Count(s.sample_size),
                Cell::Count(s.min_sample),
                Cell::Text(s.provisional.to_string()),
                text(s.status.as_str()),
                Cell::Number(s.shortfall),
                num(s.credit_base),
                num(s.escalation_factor),
                num(s.credit),
                num(s.earn_back),
                num(s.earn_back_forfeited),
                text(&f.contract.currency),
                text(&s.clause),
            ]);
        }
        // Obligations, one row each: kind `obligation`, the breaches as the achieved figure
        // (late events, events over the limit, or 1 without a valid certificate) against 0.
        for o in &p.obligations {
            let measured = o.status != "not_measured";
            let n = |v: u64| Cell::Number(measured.then(|| Decimal::from(v)));
            rows.push([
                text(&f.contract.id),
                text(&p.period),
                Cell::Text(rfc3339(tz, p.period_start)),
                Cell::Text(rfc3339(tz, p.period_end)),
                text(&p.terms_version),
                text(&o.obligation_id),
                text(&o.name),
                text("obligation"),
                text(&o.kind),
                Cell::Text(format!("event_type={}", o.event_type)),
                text(""),
                n(o.breaches),
                n(o.events.len() as u64),
                n(o.breaches),
                text("events"),
                text("at_most"),
                num(Decimal::ZERO),
                Cell::Number(None),
                Cell::Count(o.events.len() as u64),
                Cell::Count(0),
                text("false"),
                text(&o.status),
                n(o.breaches),
                num(o.credit_base),
                num(Decimal::ONE),
                num(o.credit),
                num(Decimal::new(0, 2)),
                num(Decimal::new(0, 2)),
                text(&f.contract.currency),
                text(&o.clause),
            ]);
        }
    }
    rows
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
    let rows: Vec<[Cell; 20]> = f.billing.documents.iter().flat_map(invoice_rows).collect();
    write_rows(INVOICE_COLUMNS, &rows, out)
}

/// The rows of one document in `invoice.csv` (and on its sheet of the workbook).
pub(crate) fn invoice_rows(d: &crate::billing::Document) -> Vec<[Cell; 20]> {
    d.lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            [
                text(&d.contract_id),
                text(&d.id),
                text(d.kind.as_str()),
                text(&d.period),
                Cell::Date(d.issue_date),
                Cell::Date(d.due_date),
                text(&d.references),
                Cell::Count(i as u64 + 1),
                text(l.line_type.as_str()),
                text(&l.channel),
                text(&l.sla_id),
                text(&l.description),
                text(&l.quantity),
                text(&l.unit),
                Cell::Number(l.rate),
                num(l.amount),
                text(&l.reference),
                num(d.total),
                text(&d.currency),
                text(&l.clause),
            ]
        })
        .collect()
}
