//! `audit.html`: one self-contained page (no scripts, fonts or images from outside) that lets a
//! sceptical reader re-derive every credit: per SLA a chart of achieved against target and
//! minimum, the evidence behind each figure, the credit waterfall from fees to net due, the
//! input files and contract with their SHA-256, the row reconciliation and the parameters.
//! Every value that came from an input is HTML-escaped.

use std::fmt::Write as _;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use crate::assessment::AssessmentFile;
use crate::manifest::{FileHash, Manifest};

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn opt(d: Option<Decimal>) -> String {
    d.map(|v| v.to_string()).unwrap_or_else(|| "–".to_string())
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:72rem;color:#1d2330;line-height:1.4}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.25rem;margin-top:2.2rem;border-bottom:1px solid #ccd;padding-bottom:.2rem}h3{font-size:1.05rem;margin-top:1.6rem}
table{border-collapse:collapse;margin:.6rem 0;font-size:.86rem}th,td{border:1px solid #d5d8e0;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f1f3f8}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.met{color:#17652f}.missed,.below_minimum{color:#b3261e;font-weight:600}.not_measured,.excluded,.waived{color:#6b6f7b}
.muted{color:#6b6f7b;font-size:.85rem}code{font-size:.85em;background:#f4f5f8;padding:0 .2em}svg{background:#fbfbfd;border:1px solid #e3e5ec}
ol.expl{margin:.2rem 0 .2rem 1.1rem;padding:0}";

/// Renders the page.
pub fn render(f: &AssessmentFile, m: &Manifest) -> String {
    let a = &f.assessment;
    let c = &f.contract;
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>SLA assessment {id}</title><style>{STYLE}</style></head><body>\n",
        id = esc(&c.id)
    );
    let periods: Vec<&str> = a.periods.iter().map(|p| p.period.as_str()).collect();
    let _ = writeln!(
        h,
        "<h1>SLA assessment — {name}</h1><p class=\"muted\">Contract <code>{id}</code> between {client} (client) and {provider} (provider). Periods: {periods}. Currency {cur}; times in {tz}; rounding {rounding}. Produced by {engine}.</p>",
        name = esc(if c.name.is_empty() { &c.id } else { &c.name }),
        id = esc(&c.id),
        client = esc(&c.client),
        provider = esc(&c.provider),
        periods = esc(&periods.join(", ")),
        cur = esc(&c.currency),
        tz = esc(&c.time_zone),
        rounding = esc(&c.rounding),
        engine = esc(&f.engine),
    );

    // What the figures rest on besides the inputs: every default and missing optional input.
    h += "<h2 id=\"assumptions\">Assumptions</h2>";
    if a.assumptions.is_empty() {
        h += "<p class=\"muted\">None: every value came from the inputs as declared.</p>\n";
    } else {
        h += "<ul id=\"assumption-list\">";
        for line in &a.assumptions {
            let _ = write!(h, "<li>assumed: {}</li>", esc(line));
        }
        h += "</ul>\n";
    }

    // Summary per period.
    h += "<h2 id=\"summary\">Summary</h2><table id=\"period-table\"><tr><th>Period</th><th>Terms</th><th>Invoice</th><th>Fees</th><th>At risk</th><th>Credits before cap</th><th>Cap adjustment</th><th>Earn-back applied</th><th>Net credit</th><th>Net due</th><th>Provisional</th></tr>\n";
    for p in &a.periods {
        let provisional: Vec<&str> = p.slas.iter().filter(|s| s.provisional).map(|s| s.sla_id.as_str()).collect();
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            esc(&p.period),
            esc(&p.terms_version),
            esc(&p.invoice_id),
            p.fees,
            p.at_risk_amount,
            p.credits_before_cap,
            p.cap_adjustment,
            p.earn_back_applied,
            p.net_credit,
            p.net_due,
            if provisional.is_empty() { "no".to_string() } else { esc(&provisional.join(", ")) }
        );
    }
    h += "</table>\n";
    if a.periods.iter().any(|p| p.slas.iter().any(|s| s.provisional)) {
        h += "<p class=\"muted\" id=\"provisional-note\">Provisional: some contacts' FCR windows or response deadlines had not ended at the data's as-of instant; they are left out of numerator and denominator until they have. Re-run the period when the data covers them; `callsla close` refuses a provisional period unless <code>--accept-provisional</code>.</p>\n";
    }
    for cov in f.data.coverage.iter().filter(|c| !c.partial.is_empty()) {
        let _ = writeln!(
            h,
            "<p class=\"missed partial\">Partial period {}: {} ({} contacts).</p>",
            esc(&cov.period),
            esc(&cov.partial),
            cov.contacts
        );
    }
    let forfeits: Vec<(&str, &crate::rules::ForfeitLine)> =
        a.periods.iter().flat_map(|p| p.earn_back_forfeited.iter().map(move |f| (p.period.as_str(), f))).collect();
    if !forfeits.is_empty() {
        h += "<h3 id=\"forfeited\">Earn-back forfeited</h3><table id=\"forfeit-table\"><tr><th>Period</th><th>SLA</th><th>Credit of</th><th>Amount</th><th>Why</th><th>Clause</th></tr>\n";
        for (period, f) in forfeits {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td><td><code>{}</code></td></tr>",
                esc(period),
                esc(&f.sla_id),
                esc(&f.credit_period),
                f.amount,
                esc(&f.reason),
                esc(&f.clause)
            );
        }
        h += "</table>\n";
    }

    // SLA table: every SLA and period.
    h += "<h2 id=\"slas\">Service levels</h2><table id=\"sla-table\"><tr><th>Period</th><th>SLA</th><th>Kind</th><th>Queue</th><th>Achieved</th><th>Numerator / denominator</th><th>Target</th><th>Minimum</th><th>Sample</th><th>Status</th><th>Credit</th><th>Earn-back</th></tr>\n";
    for p in &a.periods {
        for s in &p.slas {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td><a href=\"#sla-{}\" title=\"{}\">{}</a></td><td>{}</td><td>{}</td><td class=\"n\">{} {}</td><td class=\"n\">{} / {}</td><td class=\"n\">{} {}</td><td class=\"n\">{}</td><td class=\"n\">{}{}</td><td class=\"{st}\">{st}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(&p.period),
                esc(&s.sla_id),
                esc(&s.name),
                esc(&s.sla_id),
                s.kind.as_str(),
                esc(&s.queue),
                opt(s.achieved),
                unit_symbol(s.unit.as_str()),
                opt(s.numerator),
                opt(s.denominator),
                s.direction.symbol(),
                s.target,
                opt(s.minimum),
                s.sample_size,
                if s.provisional { " (provisional)" } else { "" },
                s.credit,
                s.earn_back,
                st = s.status.as_str(),
            );
        }
    }
    h += "</table>\n";

    // Per SLA: chart and evidence.
    h += "<h2 id=\"evidence\">Evidence per SLA</h2>\n";
    let mut ids: Vec<(String, String)> = Vec::new();
    for p in &a.periods {
        for s in &p.slas {
            if !ids.iter().any(|(id, _)| *id == s.sla_id) {
                ids.push((s.sla_id.clone(), s.name.clone()));
            }
        }
    }
    for (id, name) in &ids {
        let rows: Vec<(&str, &crate::rules::SlaResult)> = a
            .periods
            .iter()
            .flat_map(|p| p.slas.iter().filter(|s| s.sla_id == *id).map(move |s| (p.period.as_str(), s)))
            .collect();
        let _ = write!(h, "<section class=\"sla\" id=\"sla-{}\"><h3>{} — {}</h3>", esc(id), esc(id), esc(name));
        if let Some((_, first)) = rows.first() {
            let _ = write!(
                h,
                "<p class=\"muted\">Metric <code>{}</code> with <code>{}</code>.</p>",
                esc(&first.metric),
                esc(&first.definition)
            );
        }
        h += &chart(id, &rows);
        h += "<table class=\"evidence\"><tr><th>Period</th><th>How the figure and the credit came about</th><th>Credit shape</th><th>Base</th><th>Escalation</th><th>Credit</th><th>Clause</th></tr>";
        for (period, s) in &rows {
            let steps: String = s.explanation.iter().map(|e| format!("<li>{}</li>", esc(e))).collect();
            let _ = write!(
                h,
                "<tr><td>{}</td><td><ol class=\"expl\">{}</ol></td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">× {}</td><td class=\"n\">{}</td><td><code>{}</code></td></tr>",
                esc(period),
                steps,
                esc(s.credit_shape.as_str()),
                s.credit_base,
                s.escalation_factor,
                s.credit,
                esc(&s.clause)
            );
        }
        h += "</table></section>\n";
    }

    // Waterfall.
    h += "<h2 id=\"waterfall\">From fees to net due</h2>\n";
    for p in &a.periods {
        h += &waterfall(p);
    }

    // Documents: every line of every document the run issues.
    h += "<h2 id=\"invoice\">Documents</h2>\n";
    for d in &f.billing.documents {
        let _ = writeln!(
            h,
            "<h3 id=\"doc-{id}\">{kind} {id}</h3><p class=\"muted\">Period {period}; issued {issue}, due {due}{refs}. Subtotal {sub}, tax {tax}, total <strong>{total} {cur}</strong>.</p>",
            kind = esc(&d.kind.as_str().replace('_', " ")),
            id = esc(&d.id),
            period = esc(&d.period),
            issue = d.issue_date,
            due = d.due_date,
            refs = if d.references.is_empty() { String::new() } else { format!("; corrects {} ({})", esc(&d.references), esc(&d.reason)) },
            sub = d.subtotal,
            tax = d.tax,
            total = d.total,
            cur = esc(&d.currency),
        );
        h += "<table class=\"doc-lines\"><tr><th>#</th><th>Type</th><th>Channel</th><th>SLA</th><th>Description</th><th>Quantity</th><th>Unit</th><th>Rate</th><th>Amount</th><th>Refers to</th><th>Clause</th></tr>\n";
        for (i, l) in d.lines.iter().enumerate() {
            let _ = writeln!(
                h,
                "<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td><code>{}</code></td></tr>",
                i + 1,
                l.line_type.as_str(),
                esc(&l.channel),
                esc(&l.sla_id),
                esc(&l.description),
                esc(&l.quantity),
                esc(&l.unit),
                opt(l.rate),
                l.amount,
                esc(&l.reference),
                esc(&l.clause)
            );
        }
        h += "</table>\n";
    }

    for d in &f.billing.final_documents {
        let _ = writeln!(
            h,
            "<p class=\"muted final-doc\">Invoice {} for {} is final (its period is closed): issued {} for {} {}, and not issued again by this run.</p>",
            esc(&d.id),
            esc(&d.period),
            d.issue_date,
            d.total,
            esc(&d.currency)
        );
    }

    // Termination and payments.
    h += "<h2 id=\"termination\">Termination rights</h2>";
    if a.termination_events.is_empty() {
        h += "<p>No termination right arose in these periods.</p>\n";
    } else {
        h += "<table id=\"termination-table\"><tr><th>Period</th><th>SLA</th><th>Trigger</th><th>Periods</th><th>Clause</th></tr>";
        for e in &a.termination_events {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
                esc(&e.period),
                esc(&e.sla_id),
                esc(&e.trigger),
                esc(&e.periods.join(", ")),
                esc(&e.clause)
            );
        }
        h += "</table>\n";
    }
    h += "<h2 id=\"payments\">Payments and late interest</h2>";
    let b = &f.billing;
    if b.payments.is_empty() {
        h += "<p>No payment is known (none recorded in the ledger, and no payments file, or an empty one).</p>\n";
    } else {
        h += "<table id=\"payments-table\"><tr><th>Payment</th><th>Date</th><th>Names</th><th>Amount</th><th>Applied to</th></tr>";
        for p in &b.payments {
            let applied: Vec<String> = b
                .applications
                .iter()
                .filter(|a| a.payment_id == p.payment_id)
                .map(|a| format!("{} {}", esc(&a.document_id), a.amount))
                .collect();
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                esc(&p.payment_id),
                p.paid_date,
                esc(&p.document_id),
                p.amount,
                applied.join("; ")
            );
        }
        h += "</table>\n";
    }
    for i in &b.payment_issues {
        let _ = writeln!(
            h,
            "<p class=\"missed\">Payment {} of {}: {} ({} unapplied).</p>",
            esc(&i.payment_id),
            i.paid_date,
            esc(&i.message),
            i.amount
        );
    }
    if !b.interest.is_empty() {
        h += "<table id=\"interest-table\"><tr><th>Late document</th><th>From</th><th>To</th><th>Days</th><th>Balance</th><th>Rate</th><th>Interest</th><th>Charged on</th></tr>";
        for ch in &b.interest {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}% ({})</td><td class=\"n\">{}</td><td>{}</td></tr>",
                esc(&ch.document_id),
                ch.from,
                ch.to,
                ch.days,
                ch.balance,
                ch.annual_rate_percent,
                esc(&ch.day_count),
                ch.amount,
                if ch.charged_on.is_empty() { "accrued, not yet charged".to_string() } else { esc(&ch.charged_on) }
            );
        }
        h += "</table><p class=\"muted\">Simple interest per document on its open balance from the due date (plus grace days); each span is charged once, on the first invoice issued on or after the day it was fixed.</p>\n";
    }

    // Inputs and reconciliation.
    let d = &f.data;
    h += "<h2 id=\"inputs\">Inputs</h2><table id=\"inputs-table\"><tr><th>Role</th><th>File</th><th>Bytes</th><th>SHA-256</th></tr>\n";
    let mut file_row = |role: &str, fh: &FileHash| {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td><code>{}</code></td></tr>",
            esc(role),
            esc(&fh.path),
            fh.size,
            esc(&fh.sha256)
        );
    };
    file_row("contract", &m.contract);
    if let Some(p) = &m.profile {
        file_row("profile", p);
    }
    for i in &m.inputs {
        file_row("interaction log", i);
    }
    for (role, fh) in [("forecast", &m.forecast), ("outages", &m.outages), ("payments", &m.payments)] {
        if let Some(fh) = fh {
            file_row(role, fh);
        }
    }
    h += "</table>\n";
    let r = &d.reconciliation;
    h += "<h2 id=\"reconciliation\">Row reconciliation</h2><table id=\"reconciliation-table\"><tr><th>File</th><th>Read</th><th>Accepted</th><th>Rejected</th><th>Excluded by rule</th></tr>\n";
    for fr in &r.files {
        let _ = writeln!(h, "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>", esc(&fr.path), fr.read, fr.accepted, fr.rejected, fr.excluded);
    }
    let _ = writeln!(
        h,
        "<tr><th>Total</th><th class=\"n\">{}</th><th class=\"n\">{}</th><th class=\"n\">{}</th><th class=\"n\">{}</th></tr></table>",
        r.read, r.accepted, r.rejected, r.excluded
    );
    let _ = write!(
        h,
        "<p>read = accepted + rejected + excluded: {} = {} + {} + {}.</p>",
        r.read, r.accepted, r.rejected, r.excluded
    );
    if !d.reject_reasons.is_empty() {
        h += "<h3>Reject reasons</h3><table id=\"reject-table\"><tr><th>Reason</th><th>Rows</th></tr>";
        for (k, v) in &d.reject_reasons {
            let _ = write!(h, "<tr><td>{}</td><td class=\"n\">{}</td></tr>", esc(k), v);
        }
        h += "</table>";
    }
    if !r.excluded_by_rule.is_empty() {
        h += "<h3>Excluded by profile rule</h3><table><tr><th>Rule</th><th>Rows</th></tr>";
        for (k, v) in &r.excluded_by_rule {
            let _ = write!(h, "<tr><td>{}</td><td class=\"n\">{}</td></tr>", esc(k), v);
        }
        h += "</table>";
    }
    h += "<h3>Not judged</h3><table id=\"scope-table\"><tr><th>Why</th><th>Detail</th><th>Contacts</th></tr>";
    for s in &d.out_of_scope {
        let _ = write!(
            h,
            "<tr><td>outside the contract's scope</td><td>{} / {}</td><td class=\"n\">{}</td></tr>",
            esc(&s.channel),
            esc(&s.queue),
            s.contacts
        );
    }
    for e in &d.exclusions {
        let _ = write!(
            h,
            "<tr><td>exclusion {}</td><td>{} ({})</td><td class=\"n\">{}</td></tr>",
            esc(&e.id),
            esc(&e.reason),
            esc(&e.reference),
            e.contacts
        );
    }
    let _ = writeln!(
        h,
        "</table><p>{} contacts were judged; the data is complete up to {}.</p>",
        d.judged_contacts,
        esc(&d.as_of)
    );

    // Parameters.
    let o = &m.options;
    h += "<h2 id=\"parameters\">Parameters</h2><table id=\"parameters-table\">";
    let mut param = |k: &str, v: String| {
        let _ = write!(h, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(&v));
    };
    param("engine", m.engine.clone());
    param("period", o.period.clone().unwrap_or_default());
    param("from", o.from.clone().unwrap_or_default());
    param("to", o.to.clone().unwrap_or_default());
    param("max reject rate", o.max_reject_rate.to_string());
    param("strict", o.strict.to_string());
    param("statement date", o.statement_date.map(|d| d.to_string()).unwrap_or_default());
    param("as of", o.as_of.clone().unwrap_or_else(|| format!("(latest arrival) {}", d.as_of)));
    h += "</table>\n<p class=\"muted\">Re-derive every figure with <code>callsla verify</code> on this folder.</p>\n</body></html>\n";
    h
}

fn unit_symbol(unit: &str) -> &'static str {
    match unit {
        "percent" => "%",
        "seconds" => "s",
        "score" => "pts",
        _ => "",
    }
}

fn num(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

/// An inline SVG: achieved per period (points coloured by status) against target and minimum.
fn chart(id: &str, rows: &[(&str, &crate::rules::SlaResult)]) -> String {
    let (w, hgt, left, top, bottom) = (560.0, 200.0, 56.0, 14.0, 34.0);
    let mut values: Vec<f64> = rows.iter().filter_map(|(_, s)| s.achieved.map(num)).collect();
    if let Some((_, s)) = rows.first() {
        values.push(num(s.target));
        if let Some(m) = s.minimum {
            values.push(num(m));
        }
    }
    let (mut lo, mut hi) = values.iter().fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(*v), b.max(*v)));
    if !lo.is_finite() || !hi.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.15).max(1.0);
    let (lo, hi) = (lo - pad, hi + pad);
    let plot_h = hgt - top - bottom;
    let y = |v: f64| top + (hi - v) / (hi - lo) * plot_h;
    let n = rows.len().max(1) as f64;
    let x = |i: usize| left + (i as f64 + 0.5) * (w - left - 10.0) / n;
    let mut s = format!(
        "<svg class=\"sla-chart\" data-sla=\"{}\" role=\"img\" aria-label=\"{} achieved against target\" width=\"{w}\" height=\"{hgt}\" viewBox=\"0 0 {w} {hgt}\" xmlns=\"http://www.w3.org/2000/svg\">",
        esc(id),
        esc(id)
    );
    let _ = write!(s, "<text x=\"4\" y=\"{:.1}\" font-size=\"10\">{:.1}</text><text x=\"4\" y=\"{:.1}\" font-size=\"10\">{:.1}</text>", y(hi - pad) + 3.0, hi - pad, y(lo + pad) + 3.0, lo + pad);
    if let Some((_, first)) = rows.first() {
        let t = y(num(first.target));
        let _ = write!(s, "<line class=\"target\" x1=\"{left}\" x2=\"{}\" y1=\"{t:.1}\" y2=\"{t:.1}\" stroke=\"#17652f\" stroke-dasharray=\"6 3\"/><text x=\"{}\" y=\"{:.1}\" font-size=\"10\" fill=\"#17652f\">target {}</text>", w - 10.0, w - 90.0, t - 3.0, first.target);
        if let Some(m) = first.minimum {
            let ym = y(num(m));
            let _ = write!(s, "<line class=\"minimum\" x1=\"{left}\" x2=\"{}\" y1=\"{ym:.1}\" y2=\"{ym:.1}\" stroke=\"#b3261e\" stroke-dasharray=\"2 3\"/><text x=\"{}\" y=\"{:.1}\" font-size=\"10\" fill=\"#b3261e\">minimum {m}</text>", w - 10.0, w - 90.0, ym - 3.0);
        }
    }
    let pts: Vec<(usize, f64)> =
        rows.iter().enumerate().filter_map(|(i, (_, r))| r.achieved.map(|a| (i, num(a)))).collect();
    if pts.len() > 1 {
        let path: Vec<String> = pts.iter().map(|(i, v)| format!("{:.1},{:.1}", x(*i), y(*v))).collect();
        let _ = write!(
            s,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"#3b5bdb\" stroke-width=\"1.5\"/>",
            path.join(" ")
        );
    }
    for (i, (period, r)) in rows.iter().enumerate() {
        let colour = match r.status.as_str() {
            "met" => "#17652f",
            "missed" | "below_minimum" => "#b3261e",
            _ => "#8a8f9c",
        };
        if let Some(a) = r.achieved {
            let _ = write!(
                s,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"{colour}\"><title>{}: {} ({})</title></circle>",
                x(i),
                y(num(a)),
                esc(period),
                a,
                r.status.as_str()
            );
        }
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\">{}</text>",
            x(i),
            hgt - 12.0,
            esc(period)
        );
    }
    s += "</svg>";
    s
}

/// An inline SVG waterfall for one period: fees, credits, cap adjustment, earn-back, net due.
fn waterfall(p: &crate::rules::PeriodAssessment) -> String {
    let steps = [
        ("fees", p.fees, true),
        ("credits", -p.credits_before_cap, false),
        ("cap", -p.cap_adjustment, false),
        ("earn-back", p.earn_back_applied, false),
        ("net due", p.net_due, true),
    ];
    let (w, h, base_y) = (560.0, 170.0, 140.0);
    let max = num(p.fees).max(1.0);
    let scale = |v: f64| v / max * 120.0;
    let mut s = format!(
        "<figure><figcaption>{}: fees {} → net due {}</figcaption><svg class=\"waterfall\" data-period=\"{}\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" xmlns=\"http://www.w3.org/2000/svg\">",
        esc(&p.period),
        p.fees,
        p.net_due,
        esc(&p.period)
    );
    let mut level = 0.0;
    for (i, (label, amount, total)) in steps.iter().enumerate() {
        let v = num(*amount);
        let (from, to) = if *total { (0.0, v) } else { (level, level + v) };
        if *total {
            level = v;
        } else {
            level += v;
        }
        let (y0, y1) = (base_y - scale(from.max(to)), base_y - scale(from.min(to)));
        let x = 20.0 + i as f64 * 105.0;
        let colour = if *total {
            "#3b5bdb"
        } else if v < 0.0 {
            "#b3261e"
        } else {
            "#17652f"
        };
        let _ = write!(
            s,
            "<rect x=\"{x:.1}\" y=\"{y0:.1}\" width=\"80\" height=\"{:.1}\" fill=\"{colour}\"><title>{label}: {amount}</title></rect><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\">{label} {amount}</text>",
            (y1 - y0).max(1.0),
            x + 40.0,
            base_y + 18.0
        );
    }
    s += "</svg></figure>\n";
    s
}
