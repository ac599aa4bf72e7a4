//! `audit.html`: one self-contained page (no scripts, fonts or images from outside) that lets a
//! sceptical reader re-derive every credit: per SLA a chart of achieved against target and
//! minimum, the evidence behind each figure, the credit waterfall from fees to net due, the
//! input files and contract with their SHA-256, the row reconciliation and the parameters.
//!
//! Written with maud: every interpolated value is HTML-escaped unless wrapped in `PreEscaped`,
//! which only the fixed style sheet is. The finished page then goes through
//! [`crate::util::term_safe`]: control characters and bidirectional overrides from inputs
//! (which HTML escaping leaves as they are, and which can reorder what a reader sees) are
//! written as visible `\uXXXX`.

use maud::{html, Markup, PreEscaped, DOCTYPE};
use rust_decimal::Decimal;

use super::chart;
use crate::assessment::{AssessmentFile, LedgerView};
use crate::manifest::{FileHash, Manifest};
use crate::rules::{PeriodAssessment, SlaResult};

fn opt(d: Option<Decimal>) -> String {
    d.map(|v| v.to_string()).unwrap_or_else(|| "–".to_string())
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:72rem;color:#1d2330;line-height:1.4}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.25rem;margin-top:2.2rem;border-bottom:1px solid #ccd;padding-bottom:.2rem}h3{font-size:1.05rem;margin-top:1.6rem}
table{border-collapse:collapse;margin:.6rem 0;font-size:.86rem}th,td{border:1px solid #d5d8e0;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f1f3f8}td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.met{color:#17652f}.missed,.below_minimum{color:#b3261e;font-weight:600}.not_measured,.excluded,.waived{color:#6b6f7b}
.muted{color:#6b6f7b;font-size:.85rem}code{font-size:.85em;background:#f4f5f8;padding:0 .2em}svg{background:#fbfbfd;border:1px solid #e3e5ec}
ol.expl{margin:.2rem 0 .2rem 1.1rem;padding:0}
td.id,th.id,#sla-table td,table td:first-child{white-space:nowrap}svg{max-width:100%;height:auto;display:block;margin:.6rem 0}
dl.glossary dt{font-weight:600;margin-top:.6rem}dl.glossary dd{margin:.1rem 0 0 1.2rem}
@media print{body{max-width:none;margin:0 1cm;font-size:10pt;color:#000}a{color:inherit;text-decoration:none}
h2{break-after:avoid}section.sla,figure,tr,svg,dl.glossary dt{break-inside:avoid}
th{background:#eee !important;-webkit-print-color-adjust:exact;print-color-adjust:exact}
table{font-size:8.5pt}.muted{color:#333}}";

/// Renders the page.
pub(crate) fn render(f: &AssessmentFile, m: &Manifest, ledger: &LedgerView<'_>) -> String {
    let a = &f.assessment;
    let c = &f.contract;
    let periods: Vec<&str> = a.periods.iter().map(|p| p.period.as_str()).collect();
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { "SLA assessment " (c.id) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                h1 { "SLA assessment — " (if c.name.is_empty() { &c.id } else { &c.name }) }
                p.muted {
                    "Contract " code { (c.id) } " between " (c.client) " (client) and " (c.provider)
                    " (provider). Periods: " (periods.join(", ")) ". Currency " (c.currency) "; times in "
                    (c.time_zone) "; rounding " (c.rounding) ". Produced by " (f.engine) "."
                }
                (assumptions(f))
                (summary(f))
                (sla_table(f))
                (evidence(f, ledger))
                (obligations(f))
                h2 #waterfall { "From fees to net due" }
                @for p in &a.periods { (waterfall(p)) }
                (ledger_state(f, ledger))
                (documents(f))
                (termination(f))
                (payments(f))
                (disputes(f))
                (glossary(f))
                (inputs(f, m))
                (reconciliation(f))
                (parameters(f, m))
                p.muted { "Re-derive every figure with " code { "callsla verify" } " on this folder." }
            }
        }
    };
    crate::util::term_safe(&page.into_string()).into_owned()
}

/// What the figures rest on besides the inputs: every default and missing optional input.
fn assumptions(f: &AssessmentFile) -> Markup {
    let a = &f.assessment;
    html! {
        h2 #assumptions { "Assumptions" }
        @if a.assumptions.is_empty() {
            p.muted { "None: every value came from the inputs as declared." }
        } @else {
            ul #assumption-list { @for line in &a.assumptions { li { "assumed: " (line) } } }
        }
    }
}

/// Per period: fees, credits and net due; partial periods and forfeited earn-back.
fn summary(f: &AssessmentFile) -> Markup {
    let a = &f.assessment;
    let forfeits: Vec<(&str, &crate::rules::ForfeitLine)> =
        a.periods.iter().flat_map(|p| p.earn_back_forfeited.iter().map(move |f| (p.period.as_str(), f))).collect();
    html! {
        h2 #summary { "Summary" }
        table #period-table {
            tr {
                th { "Period" } th { "Terms" } th { "Invoice" } th { "Fees" } th { "At risk" }
                th { "Credits before cap" } th { "Cap adjustment" } th { "Earn-back applied" }
                th { "Net credit" } th { "Net due" } th { "Provisional" }
            }
            @for p in &a.periods {
                @let provisional: Vec<&str> = p.slas.iter().filter(|s| s.provisional).map(|s| s.sla_id.as_str()).collect();
                tr {
                    td { (p.period) } td { (p.terms_version) } td { (p.invoice_id) }
                    td.n { (p.fees) } td.n { (p.at_risk_amount) } td.n { (p.credits_before_cap) }
                    td.n { (p.cap_adjustment) } td.n { (p.earn_back_applied) } td.n { (p.net_credit) }
                    td.n { (p.net_due) }
                    td { @if provisional.is_empty() { "no" } @else { (provisional.join(", ")) } }
                }
            }
        }
        @if a.periods.iter().any(|p| p.slas.iter().any(|s| s.provisional)) {
            p.muted #provisional-note {
                "Provisional: some contacts' FCR windows or response deadlines had not ended at the data's as-of instant; they are left out of numerator and denominator until they have. Re-run the period when the data covers them; `callsla close` refuses a provisional period unless "
                code { "--accept-provisional" } "."
            }
        }
        @for cov in f.data.coverage.iter().filter(|c| !c.partial.is_empty()) {
            p.missed.partial { "Partial period " (cov.period) ": " (cov.partial) " (" (cov.contacts) " contacts)." }
        }
        @if !forfeits.is_empty() {
            h3 #forfeited { "Earn-back forfeited" }
            table #forfeit-table {
                tr { th { "Period" } th { "SLA" } th { "Credit of" } th { "Amount" } th { "Why" } th { "Clause" } }
                @for (period, f) in &forfeits {
                    tr {
                        td { (period) } td { (f.sla_id) } td { (f.credit_period) } td.n { (f.amount) }
                        td { (f.reason) } td { code { (f.clause) } }
                    }
                }
            }
        }
    }
}

/// Every SLA and period in one table.
fn sla_table(f: &AssessmentFile) -> Markup {
    html! {
        h2 #slas { "Service levels" }
        table #sla-table {
            tr {
                th { "Period" } th.id { "SLA" } th { "Kind" } th { "Queue" } th { "Achieved" }
                th { "Numerator / denominator" } th { "Target" } th { "Minimum" } th { "Sample" }
                th { "Status" } th { "Credit" } th { "Earn-back" }
            }
            @for p in &f.assessment.periods {
                @for s in &p.slas {
                    tr {
                        td { (p.period) }
                        td.id { a href={ "#sla-" (s.sla_id) } title=(s.name) { (s.sla_id) } }
                        td { (s.kind.as_str()) }
                        td { (queue_label(&s.queue)) }
                        td.n { (opt(s.achieved)) " " (chart::unit_symbol(s.unit.as_str())) }
                        td.n { (opt(s.numerator)) " / " (opt(s.denominator)) }
                        td.n { (s.direction.symbol()) " " (s.target) }
                        td.n { (opt(s.minimum)) }
                        td.n { (s.sample_size) @if s.provisional { " (provisional)" } }
                        td class=(s.status.as_str()) { (s.status.as_str()) }
                        td.n { (s.credit) }
                        td.n { (s.earn_back) }
                    }
                }
            }
        }
    }
}

/// Per SLA: the chart and, per period, how the figure and the credit came about.
fn evidence(f: &AssessmentFile, ledger: &LedgerView<'_>) -> Markup {
    let a = &f.assessment;
    let mut ids: Vec<(&str, &str)> = Vec::new();
    for s in a.periods.iter().flat_map(|p| &p.slas) {
        if !ids.iter().any(|(id, _)| *id == s.sla_id) {
            ids.push((&s.sla_id, &s.name));
        }
    }
    html! {
        h2 #evidence { "Evidence per SLA" }
        @for (id, name) in &ids {
            @let rows: Vec<(&str, &SlaResult)> = a
                .periods
                .iter()
                .flat_map(|p| p.slas.iter().filter(|s| s.sla_id == *id).map(move |s| (p.period.as_str(), s)))
                .collect();
            section.sla id={ "sla-" (id) } {
                h3 { (id) " — " (name) }
                @if let Some((_, first)) = rows.first() {
                    p.muted {
                        @if !first.clause_label.is_empty() { (first.clause_label) ". " }
                        "Metric " a href={ "#metric-" (first.metric) } { code { (first.metric) } }
                        @if !first.definition.is_empty() { " with " code { (first.definition) } }
                        ", " (queue_label(&first.queue)) "."
                    }
                }
                @if let Some((_, first)) = rows.first() {
                    (chart::sla_chart(&chart::SlaChart {
                        sla_id: id,
                        unit: first.unit.as_str(),
                        target: first.target,
                        minimum: first.minimum,
                        higher_is_better: first.direction.symbol() == "≥",
                        points: ledger
                            .history
                            .iter()
                            .flat_map(|p| p.slas.iter().filter(|s| s.sla_id == *id).map(move |s| (p.period.as_str(), s, true)))
                            .chain(rows.iter().map(|(period, s)| (*period, *s, false)))
                            .map(|(period, s, earlier)| chart::Point {
                                period,
                                achieved: s.achieved,
                                status: s.status.as_str(),
                                earlier,
                            })
                            .collect(),
                    }))
                }
                (by_queue(id, &rows))
                table.evidence {
                    tr {
                        th { "Period" } th { "How the figure and the credit came about" } th { "Credit shape" }
                        th { "Base" } th { "Escalation" } th { "Credit" } th { "Clause" }
                    }
                    @for (period, s) in &rows {
                        tr {
                            td { (period) }
                            td { ol.expl { @for e in &s.explanation { li { (e) } } } }
                            td { (s.credit_shape.as_str()) }
                            td.n { (s.credit_base) }
                            td.n { "× " (s.escalation_factor) }
                            td.n { (s.credit) }
                            td { (clause(s)) }
                        }
                    }
                }
            }
        }
    }
}

/// Obligations per period: the events judged, their timestamps and deadlines, and the credit.
fn obligations(f: &AssessmentFile) -> Markup {
    let rows: Vec<(&str, &crate::rules::obligation::ObligationResult)> =
        f.assessment.periods.iter().flat_map(|p| p.obligations.iter().map(move |o| (p.period.as_str(), o))).collect();
    html! {
        @if !rows.is_empty() {
            h2 #obligations { "Obligations" }
            table #obligation-table {
                tr {
                    th { "Period" } th { "Obligation" } th { "Kind" } th { "Event type" } th { "Status" }
                    th { "Events judged" } th { "Breaches" } th { "Credit" } th { "Clause" }
                }
                @for (period, o) in &rows {
                    tr {
                        td { (period) } td { (o.obligation_id) " — " (o.name) } td { (o.kind) } td { (o.event_type) }
                        td class=(o.status) { (o.status) @if o.material_breach { " (material breach)" } }
                        td {
                            ol.expl {
                                @for e in &o.events {
                                    li {
                                        (e.event_id) ": " (e.from)
                                        @if !e.deadline.is_empty() { ", deadline " (e.deadline) }
                                        @if !e.to.is_empty() { ", then " (e.to) }
                                        @if e.late { ", " (e.hours_late) " h late" }
                                        @if !e.note.is_empty() { " (" (e.note) ")" }
                                    }
                                }
                            }
                            @for x in &o.explanation { p.muted { (x) } }
                        }
                        td.n { (o.breaches) } td.n { (o.credit) } td { code { (o.clause) } }
                    }
                }
            }
        }
    }
}

/// Every line of every document the run issues, and the final invoices it does not reissue.
fn documents(f: &AssessmentFile) -> Markup {
    html! {
        h2 #invoice { "Documents" }
        @for d in &f.billing.documents {
            h3 id={ "doc-" (d.id) } { (d.kind.as_str().replace('_', " ")) " " (d.id) }
            p.muted {
                "Period " (d.period) "; issued " (d.issue_date) ", due " (d.due_date)
                @if !d.references.is_empty() { "; corrects " (d.references) " (" (d.reason) ")" }
                ". Subtotal " (d.subtotal) ", tax " (d.tax) ", total " strong { (d.total) " " (d.currency) } "."
            }
            table.doc-lines {
                tr {
                    th { "#" } th { "Type" } th { "Channel" } th { "SLA" } th { "Description" } th { "Quantity" }
                    th { "Unit" } th { "Rate" } th { "Amount" } th { "Refers to" } th { "Clause" }
                }
                @for (i, l) in d.lines.iter().enumerate() {
                    tr {
                        td.n { (i + 1) } td { (l.line_type.as_str()) } td { (l.channel) } td { (l.sla_id) }
                        td { (l.description) } td.n { (l.quantity) } td { (l.unit) } td.n { (opt(l.rate)) }
                        td.n { (l.amount) } td { (l.reference) } td { code { (l.clause) } }
                    }
                }
            }
        }
        @for d in &f.billing.final_documents {
            p.muted.final-doc {
                "Invoice " (d.id) " for " (d.period) " is final (its period is closed): issued " (d.issue_date)
                " for " (d.total) " " (d.currency) ", and not issued again by this run."
            }
        }
    }
}

fn termination(f: &AssessmentFile) -> Markup {
    let all: Vec<crate::rules::TerminationEvent> =
        f.assessment.termination_events.iter().chain(&f.billing.provider_rights).cloned().collect();
    let events = &all;
    let convenience = &f.assessment.convenience;
    html! {
        h2 #termination { "Termination rights" }
        @if let Some(fc) = convenience {
            p #convenience {
                "Termination for convenience: the " (fc.party) " may end the contract on " (fc.notice_days)
                " days' notice; the fee in contract year " (fc.contract_year) " is " (fc.fee) " (" code { (fc.clause) } ")."
            }
        }
        @if events.is_empty() {
            p { "No termination right arose in these periods." }
        } @else {
            table #termination-table {
                tr {
                    th { "Period" } th { "SLA or obligation" } th { "Trigger" } th { "Periods" } th { "Party" } th { "Status" }
                    th { "Arises" } th { "Cure deadline" } th { "Effective from" } th { "Evidence" } th { "Clause" }
                }
                @for e in events {
                    @let r = e.right.as_ref();
                    @let d = |x: Option<chrono::NaiveDate>| x.map(|v| v.to_string()).unwrap_or_default();
                    tr {
                        td { (e.period) } td { (e.sla_id) } td { (e.trigger) } td { (e.periods.join(", ")) }
                        td { (r.map(|r| r.party.as_str()).unwrap_or("client")) }
                        td { (r.map(|r| r.status.as_str()).unwrap_or("arisen")) }
                        td { (d(r.and_then(|r| r.arises_on))) }
                        td { (d(r.and_then(|r| r.cure_deadline))) }
                        td { (d(r.and_then(|r| r.effective_from))) }
                        td { @if let Some(r) = r { ol.expl { @for x in &r.evidence { li { (x) } } } } }
                        td { code { (e.clause) } }
                    }
                }
            }
        }
    }
}

fn payments(f: &AssessmentFile) -> Markup {
    let b = &f.billing;
    html! {
        h2 #payments { "Payments and late interest" }
        @if b.payments.is_empty() {
            p { "No payment is known (none recorded in the ledger, and no payments file, or an empty one)." }
        } @else {
            table #payments-table {
                tr { th { "Payment" } th { "Date" } th { "Names" } th { "Amount" } th { "Applied to" } }
                @for p in &b.payments {
                    @let applied: Vec<String> = b
                        .applications
                        .iter()
                        .filter(|a| a.payment_id == p.payment_id)
                        .map(|a| format!("{} {}", a.document_id, a.amount))
                        .collect();
                    tr {
                        td { (p.payment_id) } td { (p.paid_date) } td { (p.document_id) } td.n { (p.amount) }
                        td { (applied.join("; ")) }
                    }
                }
            }
        }
        @for i in &b.payment_issues {
            p.missed { "Payment " (i.payment_id) " of " (i.paid_date) ": " (i.message) " (" (i.amount) " unapplied)." }
        }
        @if !b.interest.is_empty() {
            table #interest-table {
                tr {
                    th { "Late document" } th { "From" } th { "To" } th { "Days" } th { "Balance" } th { "Rate" }
                    th { "Interest" } th { "Charged on" }
                }
                @for ch in &b.interest {
                    tr {
                        td { (ch.document_id) } td { (ch.from) } td { (ch.to) } td.n { (ch.days) } td.n { (ch.balance) }
                        td.n { (ch.annual_rate_percent) "% (" (ch.day_count) ")" }
                        td.n { (ch.amount) }
                        td { @if ch.charged_on.is_empty() { "accrued, not yet charged" } @else { (ch.charged_on) } }
                    }
                }
            }
            p.muted {
                "Simple interest per document on its open balance from the due date (plus grace days); each span is charged once, on the first invoice issued on or after the day it was fixed."
            }
        }
    }
}

/// The dispute register as the run found it: each dispute with its stage or outcome, the note
/// that settles it, and every step with who and when.
fn disputes(f: &AssessmentFile) -> Markup {
    let ds = &f.billing.disputes;
    html! {
        @if !ds.is_empty() {
            h2 #disputes { "Disputes" }
            table #dispute-table {
                tr {
                    th { "#" } th { "Document" } th { "SLA / period" } th { "Party" } th { "Amount" } th { "Opened" }
                    th { "Stage or outcome" } th { "Deadline" } th { "Settled" } th { "Note" } th { "Steps" }
                }
                @for d in ds {
                    tr {
                        td.n { (d.id) } td { (d.document_id) } td { (d.sla_id) " " (d.period) } td { (d.party.as_str()) }
                        td.n { (d.amount) } td { (d.opened_at) }
                        td { @match d.outcome { Some(o) => { (o.as_str()) }, None => { "open: " (d.stage) } } }
                        td { @if d.outcome.is_none() { (d.deadline().map(|x| x.to_string()).unwrap_or_default()) } }
                        td.n { (d.settled_amount.map(|a| a.to_string()).unwrap_or_default()) }
                        td { (d.note_id) }
                        td { ol.expl { @for st in &d.steps { li { (st.at) " " (st.action) " by " (st.by) ": " (st.detail) } } } }
                    }
                }
            }
            p.muted {
                "A client's open disputed amount accrues no late interest while the clause holds disputed amounts; a resolution is settled on the note shown, dated the day it was resolved."
            }
        }
    }
}

/// The contract, profile and every input with its size and SHA-256.
fn inputs(_f: &AssessmentFile, m: &Manifest) -> Markup {
    let mut files: Vec<(&str, &FileHash)> = vec![("contract", &m.contract)];
    if let Some(p) = &m.profile {
        files.push(("profile", p));
    }
    files.extend(m.inputs.iter().map(|i| ("interaction log", i)));
    files.extend(m.counts.iter().map(|i| ("counts", i)));
    for (role, fh) in [
        ("forecast", &m.forecast),
        ("outages", &m.outages),
        ("payments", &m.payments),
        ("events", &m.events),
        ("events profile", &m.events_profile),
    ] {
        if let Some(fh) = fh {
            files.push((role, fh));
        }
    }
    html! {
        h2 #inputs { "Inputs" }
        table #inputs-table {
            tr { th { "Role" } th { "File" } th { "Bytes" } th { "SHA-256" } }
            @for (role, fh) in &files {
                tr { td { (role) } td { (fh.path) } td.n { (fh.size) } td { code { (fh.sha256) } } }
            }
        }
    }
}

/// Rows read, accepted, rejected and excluded; what was not judged and why.
fn reconciliation(f: &AssessmentFile) -> Markup {
    let d = &f.data;
    let r = &d.reconciliation;
    html! {
        h2 #reconciliation { "Row reconciliation" }
        table #reconciliation-table {
            tr { th { "File" } th { "Read" } th { "Accepted" } th { "Rejected" } th { "Excluded by rule" } }
            @for fr in &r.files {
                tr { td { (fr.path) } td.n { (fr.read) } td.n { (fr.accepted) } td.n { (fr.rejected) } td.n { (fr.excluded) } }
            }
            tr { th { "Total" } th.n { (r.read) } th.n { (r.accepted) } th.n { (r.rejected) } th.n { (r.excluded) } }
        }
        p { "read = accepted + rejected + excluded: " (r.read) " = " (r.accepted) " + " (r.rejected) " + " (r.excluded) "." }
        @if !d.reject_reasons.is_empty() {
            h3 { "Reject reasons" }
            table #reject-table {
                tr { th { "Reason" } th { "Rows" } }
                @for (k, v) in &d.reject_reasons { tr { td { (k) } td.n { (v) } } }
            }
        }
        @if !r.excluded_by_rule.is_empty() {
            h3 { "Excluded by profile rule" }
            table {
                tr { th { "Rule" } th { "Rows" } }
                @for (k, v) in &r.excluded_by_rule { tr { td { (k) } td.n { (v) } } }
            }
        }
        h3 { "Not judged" }
        table #scope-table {
            tr { th { "Why" } th { "Detail" } th { "Contacts" } }
            @for s in &d.out_of_scope {
                tr { td { "outside the contract's scope" } td {
                    (s.channel) " / " (s.queue)
                    @if s.direction != "inbound" { " (" (s.direction) ")" }
                    @if let Some(c) = &s.campaign { ", campaign " (c) }
                    @if let Some(like) = &s.looks_like {
                        " — looks like the contract's queue " (crate::lookalike::spelled(like)) ": the same queue misspelled?"
                    }
                } td.n { (s.contacts) } }
            }
            @for e in &d.exclusions {
                tr { td { "exclusion " (e.id) } td { (e.reason) " (" (e.reference) ")" } td.n { (e.contacts) } }
            }
        }
        p { (d.judged_contacts) " contacts were judged; the data is complete up to " (d.as_of) "." }
    }
}

/// The run's options, as recorded in the manifest.
fn parameters(f: &AssessmentFile, m: &Manifest) -> Markup {
    let o = &m.options;
    let params = [
        ("engine", m.engine.clone()),
        ("period", o.period.clone().unwrap_or_default()),
        ("from", o.from.clone().unwrap_or_default()),
        ("to", o.to.clone().unwrap_or_default()),
        ("max reject rate", o.max_reject_rate.to_string()),
        ("strict", o.strict.to_string()),
        ("statement date", o.statement_date.map(|d| d.to_string()).unwrap_or_default()),
        ("as of", o.as_of.clone().unwrap_or_else(|| format!("(latest arrival) {}", f.data.as_of))),
    ];
    html! {
        h2 #parameters { "Parameters" }
        table #parameters-table { @for (k, v) in &params { tr { th { (k) } td { (v) } } } }
    }
}

/// A period's waterfall: fees, credits, cap adjustment, earn-back, net due.
fn waterfall(p: &PeriodAssessment) -> Markup {
    let steps = [
        ("fees", p.fees, true),
        ("credits", -p.credits_before_cap, false),
        ("cap", -p.cap_adjustment, false),
        ("earn-back", p.earn_back_applied, false),
        ("net due", p.net_due, true),
    ];
    html! {
        figure {
            figcaption { (p.period) ": fees " (chart::amount(p.fees)) " → net due " (chart::amount(p.net_due)) }
            (chart::waterfall(&p.period, &steps))
        }
    }
}

/// `*` (every queue of the scope, pooled) in words.
fn queue_label(q: &str) -> &str {
    if q == "*" {
        "all queues"
    } else {
        q
    }
}

/// An SLA's clause: the contract's words when it gives them, then the key the credit came from.
fn clause(s: &SlaResult) -> Markup {
    html! {
        @if !s.clause_label.is_empty() { (s.clause_label) br; }
        code.muted { (s.clause) }
    }
}

/// What each metric the SLAs use means, with the parameters this contract gives it.
fn glossary(f: &AssessmentFile) -> Markup {
    let mut used: Vec<(&str, Vec<&str>, &str)> = Vec::new();
    for s in f.assessment.periods.iter().flat_map(|p| &p.slas) {
        match used.iter_mut().find(|(m, ..)| *m == s.metric) {
            Some((_, defs, _)) => {
                if !defs.contains(&s.definition.as_str()) {
                    defs.push(&s.definition);
                }
            }
            None => used.push((&s.metric, vec![&s.definition], s.unit.as_str())),
        }
    }
    used.sort_by_key(|(m, ..)| *m);
    html! {
        h2 #glossary { "Glossary of the metrics" }
        p.muted { "Each figure above is one of these, with the parameters shown. docs/metrics.md gives every rule (boundaries, roll-ups, provisional figures)." }
        dl.glossary {
            @for (metric, defs, unit) in &used {
                dt id={ "metric-" (metric) } { code { (metric) } @if !chart::unit_symbol(unit).is_empty() { " (" (chart::unit_symbol(unit)) ")" } }
                dd { (crate::metrics::definition::meaning(metric).unwrap_or("")) }
                @for d in defs.iter().filter(|d| !d.is_empty()) {
                    dd.muted { "as " code { (d) } }
                }
            }
        }
    }
}

/// A pooled SLA's figure per queue and period (the drill-down): achieved, and the counts.
fn by_queue(id: &str, rows: &[(&str, &SlaResult)]) -> Markup {
    let mut queues: Vec<&str> = Vec::new();
    for q in rows.iter().flat_map(|(_, s)| &s.by_queue) {
        if !queues.contains(&q.queue.as_str()) {
            queues.push(&q.queue);
        }
    }
    let sym = rows.first().map_or("", |(_, s)| chart::unit_symbol(s.unit.as_str()));
    html! {
        @if !queues.is_empty() {
            details.by-queue data-sla=(id) open {
                summary { "By queue (the pooled figure above is the one judged)" }
                table.by-queue {
                    tr { th { "Queue" } @for (period, _) in rows { th { (period) } } }
                    @for q in &queues {
                        tr {
                            td { (q) }
                            @for (_, s) in rows {
                                @let f = s.by_queue.iter().find(|f| f.queue == *q);
                                td.n {
                                    @match f {
                                        Some(f) => {
                                            (opt(f.achieved)) " " (sym)
                                            br;
                                            span.muted { (opt(f.numerator)) " / " (opt(f.denominator)) }
                                        }
                                        None => { "–" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Each period's state in the ledger when the run was made: open, or closed and by whom.
fn ledger_state(f: &AssessmentFile, ledger: &LedgerView<'_>) -> Markup {
    let mut periods: Vec<&str> = ledger.periods.iter().map(|p| p.period.as_str()).collect();
    for p in &f.assessment.periods {
        if !periods.contains(&p.period.as_str()) {
            periods.push(&p.period);
        }
    }
    periods.sort_unstable();
    html! {
        h2 #ledger { "Ledger state and sign-off" }
        @if ledger.periods.is_empty() {
            p.muted { "No period of this contract was in a ledger when this run was made (a first run, or " code { "--no-ledger" } "): every period below is open until " code { "callsla close" } " signs it off." }
        }
        table #ledger-table {
            tr { th { "Period" } th { "State" } th { "Signed off by" } th { "On" } th { "In this run" } }
            @for period in &periods {
                @let stored = ledger.periods.iter().find(|p| p.period == *period);
                @let here = f.assessment.periods.iter().any(|p| p.period == *period);
                tr {
                    td { (period) }
                    td { (stored.map_or("open", |p| p.state.as_str())) }
                    td { (stored.and_then(|p| p.closed_by.as_deref()).unwrap_or("–")) }
                    td { (stored.and_then(|p| p.closed_at.as_deref()).unwrap_or("–")) }
                    td { @if here { "assessed" } @else { "earlier, from the ledger" } }
                }
            }
        }
    }
}
