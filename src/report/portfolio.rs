//! The portfolio page (`callsla report`): one self-contained HTML page across contracts and
//! months, from the ledger — per contract an SLA × month heat map, fees, credits and net due
//! over time, chronic failures, termination rights and open disputes, and a link to each
//! period's audit page when its output folder is known. No script, no external resource;
//! every text from the ledger is escaped.

use maud::{html, Markup, PreEscaped, DOCTYPE};
use rust_decimal::Decimal;

use super::chart;
use crate::billing::dispute::Dispute;
use crate::rules::{PeriodAssessment, TerminationEvent};

/// One recorded period of a contract.
pub struct PeriodView {
    pub assessment: PeriodAssessment,
    /// `open` or `closed`.
    pub state: String,
    pub closed_by: Option<String>,
    pub closed_at: Option<String>,
    /// The period's audit page, when the folder the run wrote still holds it.
    pub audit_page: Option<String>,
}

/// One contract as the ledger holds it.
pub struct ContractView {
    pub id: String,
    pub currency: String,
    /// Oldest first.
    pub periods: Vec<PeriodView>,
    pub termination_events: Vec<TerminationEvent>,
    /// Disputes open on the page's date, as they stand then.
    pub open_disputes: Vec<Dispute>,
}

/// How many periods in a row, up to the latest, an SLA has been missed (or below minimum).
fn current_streak(periods: &[PeriodView], sla_id: &str) -> usize {
    periods
        .iter()
        .rev()
        .map_while(|p| p.assessment.slas.iter().find(|s| s.sla_id == sla_id).filter(|s| s.status.is_miss()).map(|_| ()))
        .count()
}

/// A termination right in words: whose, its standing and its dates.
fn right_text(r: &crate::rules::Right) -> String {
    let mut s = format!("the {}'s right: {}", r.party, r.status.replace('_', " "));
    if let Some(d) = r.arises_on {
        s += &format!(", from {d}");
    }
    if let Some(d) = r.effective_from {
        s += &format!(", effective at the earliest {d}");
    }
    s
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:74rem;padding:0 1rem;color:#1d2330;line-height:1.4}
h1{font-size:1.6rem}h2{font-size:1.3rem;margin-top:2.4rem;border-bottom:1px solid #ccd;padding-bottom:.2rem}h3{font-size:1.05rem;margin-top:1.4rem}
table{border-collapse:collapse;margin:.6rem 0;font-size:.86rem}th,td{border:1px solid #d5d8e0;padding:.25rem .5rem;text-align:left;white-space:nowrap}
th{background:#f1f3f8}td.n{text-align:right;font-variant-numeric:tabular-nums}
td.heat{text-align:center;min-width:5.5rem}td.met{background:#dcefe1}td.missed{background:#f6d2cf}td.below_minimum{background:#eba59f;font-weight:600}
td.waived,td.excluded,td.not_measured{background:#eceef3;color:#6b6f7b}td.none{background:#fff;color:#aab}
.muted{color:#6b6f7b;font-size:.85rem}svg{max-width:100%;height:auto;display:block}
@media print{body{max-width:none;margin:0 1cm;font-size:10pt}section.contract{break-before:page}table,svg{break-inside:avoid}
td,th{-webkit-print-color-adjust:exact;print-color-adjust:exact}}";

/// Renders the page. `as_of` dates the open disputes (`None`: the register is empty and no
/// day was given).
pub fn render(contracts: &[ContractView], as_of: Option<&str>) -> String {
    let months: Vec<&str> = {
        let mut m: Vec<&str> =
            contracts.iter().flat_map(|c| c.periods.iter().map(|p| p.assessment.period.as_str())).collect();
        m.sort_unstable();
        m.dedup();
        m
    };
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { "SLA portfolio" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                h1 { "SLA portfolio" }
                p.muted {
                    (contracts.len()) " contract(s), "
                    @if let (Some(a), Some(b)) = (months.first(), months.last()) { "periods " (a) " to " (b) }
                    "; from the ledger"
                    @match as_of { Some(d) => { ", disputes as of " (d) }, None => { ", no dispute recorded" } }
                    ". Each period links to its audit page when the folder its run wrote is known."
                }
                table #portfolio-table {
                    tr {
                        th { "Contract" } th { "Periods" } th { "Closed" } th { "SLA misses" } th { "Fees" }
                        th { "Credits" } th { "Net due" } th { "Open disputes" } th { "Termination rights" }
                    }
                    @for c in contracts {
                        @let sum = |f: fn(&PeriodAssessment) -> Decimal| c.periods.iter().map(|p| f(&p.assessment)).sum::<Decimal>();
                        tr {
                            td { a href={ "#contract-" (c.id) } { (c.id) } }
                            td.n { (c.periods.len()) }
                            td.n { (c.periods.iter().filter(|p| p.state == "closed").count()) }
                            td.n { (c.periods.iter().flat_map(|p| &p.assessment.slas).filter(|s| s.status.is_miss()).count()) }
                            td.n { (chart::amount(sum(|a| a.fees))) " " (c.currency) }
                            td.n { (chart::amount(sum(|a| a.credits_after_cap + a.obligation_credits))) }
                            td.n { (chart::amount(sum(|a| a.net_due))) }
                            td.n { (c.open_disputes.len()) }
                            td.n { (c.termination_events.iter().filter(|e| e.right.as_ref().is_some_and(|r| r.status == "arisen")).count()) }
                        }
                    }
                }
                @for c in contracts { (contract(c)) }
            }
        }
    };
    crate::util::term_safe(&page.into_string()).into_owned()
}

fn contract(c: &ContractView) -> Markup {
    let mut slas: Vec<(&str, &str)> = Vec::new();
    for s in c.periods.iter().flat_map(|p| &p.assessment.slas) {
        if !slas.iter().any(|(id, _)| *id == s.sla_id) {
            slas.push((&s.sla_id, &s.name));
        }
    }
    let chronic: Vec<(&str, usize)> =
        slas.iter().map(|(id, _)| (*id, current_streak(&c.periods, id))).filter(|(_, n)| *n >= 2).collect();
    let money: Vec<(&str, Decimal, Decimal)> = c
        .periods
        .iter()
        .map(|p| {
            (
                p.assessment.period.as_str(),
                p.assessment.net_due,
                p.assessment.credits_after_cap + p.assessment.obligation_credits,
            )
        })
        .collect();
    html! {
        section.contract id={ "contract-" (c.id) } {
            h2 { (c.id) }
            h3 { "Service levels by month" }
            table.heatmap data-contract=(c.id) {
                tr {
                    th { "SLA" }
                    @for p in &c.periods {
                        th {
                            @match &p.audit_page {
                                Some(href) => a href=(href) title="the period's audit page" { (p.assessment.period) },
                                None => (p.assessment.period),
                            }
                            br;
                            span.muted { (p.state) }
                        }
                    }
                }
                @for (id, name) in &slas {
                    tr {
                        td title=(name) { (id) }
                        @for p in &c.periods {
                            @match p.assessment.slas.iter().find(|s| s.sla_id == *id) {
                                Some(s) => td class={ "heat " (s.status.as_str()) }
                                    title={ (id) " " (p.assessment.period) ": " (s.status.as_str()) ", credit " (s.credit) } {
                                    (s.achieved.map(|a| a.to_string()).unwrap_or_else(|| "–".to_string()))
                                    " " (chart::unit_symbol(s.unit.as_str()))
                                },
                                None => td.heat.none { "" },
                            }
                        }
                    }
                }
            }
            p.muted { "Green met, red missed (dark: below the minimum), grey waived, excluded or not measured." }
            h3 { "Fees, credits and net due" }
            (chart::money_chart(&c.id, &c.currency, &money))
            table.money {
                tr { th { "Period" } th { "Fees" } th { "SLA credits" } th { "Obligation credits" } th { "Earn-back" } th { "Net due" } th { "Signed off" } }
                @for p in &c.periods {
                    @let a = &p.assessment;
                    tr {
                        td { (a.period) }
                        td.n { (chart::amount(a.fees)) }
                        td.n { (chart::amount(a.credits_after_cap)) }
                        td.n { (chart::amount(a.obligation_credits)) }
                        td.n { (chart::amount(a.earn_back_applied)) }
                        td.n { (chart::amount(a.net_due)) }
                        td {
                            @match (&p.closed_by, &p.closed_at) {
                                (Some(by), Some(at)) => { (by) ", " (at) }
                                _ => "open",
                            }
                        }
                    }
                }
            }
            h3 { "Chronic failures" }
            @if chronic.is_empty() {
                p.muted.chronic { "No SLA missed in the last two periods or more in a row." }
            } @else {
                ul.chronic {
                    @for (id, n) in &chronic { li { (id) ": missed in each of the last " (n) " periods" } }
                }
            }
            h3 { "Termination rights" }
            @if c.termination_events.is_empty() {
                p.muted { "None recorded." }
            } @else {
                ul.termination {
                    @for e in &c.termination_events {
                        li {
                            (e.period) ": " (e.sla_id) " " (e.trigger) " (periods " (e.periods.join(", ")) "; " (e.clause) ")"
                            @if let Some(r) = &e.right { " — " (right_text(r)) }
                        }
                    }
                }
            }
            h3 { "Open disputes" }
            @if c.open_disputes.is_empty() {
                p.muted { "None." }
            } @else {
                table.disputes {
                    tr { th { "#" } th { "Document" } th { "SLA" } th { "Amount" } th { "Opened" } th { "Stage" } th { "Deadline" } }
                    @for d in &c.open_disputes {
                        tr {
                            td.n { (d.id) } td { (d.document_id) } td { (d.sla_id) " " (d.period) }
                            td.n { (d.amount) } td { (d.opened_at) } td { (d.stage) }
                            td { (d.deadline().map(|x| x.to_string()).unwrap_or_default()) }
                        }
                    }
                }
            }
        }
    }
}
