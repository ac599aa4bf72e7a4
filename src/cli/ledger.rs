//! The ledger's commands: closing a period, the history, the statement of account, and
//! exporting or rebuilding a ledger.

use std::path::PathBuf;

use super::{write_err, CliError, HistoryFormat, Outcome, StatementFormat};
use crate::report;
use crate::util::write_atomic;

/// `callsla close`: signs a period off.
pub fn close(
    ledger: &std::path::Path,
    contract_id: &str,
    period: &str,
    by: &str,
    at: &str,
    accept_provisional: bool,
) -> Result<Outcome, CliError> {
    let l = crate::ledger::Ledger::open(ledger).map_err(crate::run::RunError::from)?;
    l.close(contract_id, period, by, at, accept_provisional).map_err(crate::run::RunError::from)?;
    Ok(Outcome::ok(format!("closed {period} of {contract_id} in {} (by {by}, {at})\n", ledger.display())))
}

/// `callsla history`: periods with state, money, restatements and termination events.
pub fn history(
    ledger: &std::path::Path,
    contract: Option<&str>,
    format: HistoryFormat,
    as_of: Option<chrono::NaiveDate>,
) -> Result<Outcome, CliError> {
    if !ledger.is_file() {
        return Err(CliError::NoLedger(ledger.display().to_string()));
    }
    let l = crate::ledger::Ledger::open_read(ledger).map_err(crate::run::RunError::from)?;
    let periods = l.periods(contract).map_err(crate::run::RunError::from)?;
    let events = l.termination_events(contract).map_err(crate::run::RunError::from)?;
    let disputes = l.disputes(contract).map_err(crate::run::RunError::from)?;
    l.release().map_err(crate::run::RunError::from)?;
    let day = as_of.or_else(|| disputes.iter().flat_map(|d| d.steps.iter().map(|s| s.at)).max()).unwrap_or_default();
    let open: Vec<crate::billing::dispute::Dispute> =
        disputes.iter().filter_map(|d| d.as_of(day)).filter(|d| d.is_open_on(day)).collect();
    let mut out = String::new();
    match format {
        HistoryFormat::Json => {
            let open_disputes: Vec<serde_json::Value> = open
                .iter()
                .map(|d| {
                    serde_json::json!({
                        "contract_id": d.contract_id, "id": d.id, "document_id": d.document_id, "amount": d.amount.to_string(),
                        "stage": d.stage, "deadline": d.deadline().map(|x| x.to_string()), "overdue": d.overdue(day),
                    })
                })
                .collect();
            let v = serde_json::json!({
                "periods": periods,
                "termination_events": events.iter().map(|(c, e)| serde_json::json!({"contract_id": c, "event": e})).collect::<Vec<_>>(),
                "open_disputes": open_disputes,
                "disputes_as_of": day.to_string(),
            });
            out = serde_json::to_string_pretty(&v).unwrap_or_default() + "\n";
        }
        HistoryFormat::Csv => {
            // Through the CSV writer: a name such as "Doe, Jane" in closed_by is quoted.
            let mut w = crate::util::SafeCsv::from_writer(Vec::new());
            let io = |e: csv::Error| CliError::Render { what: "history as CSV", message: e.to_string() };
            w.write_record([
                "contract_id",
                "period",
                "state",
                "fees",
                "net_credit",
                "net_due",
                "restatements",
                "termination_events",
                "closed_by",
                "closed_at",
                "provisional",
                "invoice_total",
                "stale",
            ])
            .map_err(io)?;
            for p in &periods {
                w.write_record([
                    p.contract_id.clone(),
                    p.period.clone(),
                    p.state.to_string(),
                    p.fees.to_string(),
                    p.credits.to_string(),
                    p.net_due.to_string(),
                    p.restatements.to_string(),
                    p.termination_events.to_string(),
                    p.closed_by.clone().unwrap_or_default(),
                    p.closed_at.clone().unwrap_or_default(),
                    p.provisional.clone(),
                    p.invoice_total.clone(),
                    p.stale.clone(),
                ])
                .map_err(io)?;
            }
            let bytes =
                w.into_inner().map_err(|e| CliError::Render { what: "history as CSV", message: e.to_string() })?;
            out += &String::from_utf8_lossy(&bytes);
        }
        HistoryFormat::Table => {
            let head = [
                "contract",
                "period",
                "state",
                "fees",
                "net credit",
                "net due",
                "invoice total",
                "restatements",
                "termination",
                "provisional",
            ];
            let rows: Vec<Vec<String>> = periods
                .iter()
                .map(|p| {
                    vec![
                        p.contract_id.clone(),
                        p.period.clone(),
                        p.state.clone(),
                        p.fees.clone(),
                        p.credits.clone(),
                        p.net_due.clone(),
                        p.invoice_total.clone(),
                        p.restatements.to_string(),
                        p.termination_events.to_string(),
                        p.provisional.clone(),
                    ]
                })
                .collect();
            // The amounts and counts are aligned right.
            out += &crate::report::table(&head, &rows, &[3, 4, 5, 6, 7, 8]);
            for p in periods.iter().filter(|p| !p.stale.is_empty()) {
                out += &format!("stale: {} {}: {}; re-run it before closing it\n", p.contract_id, p.period, p.stale);
            }
            for (c, e) in &events {
                out += &format!(
                    "termination right: {c} {} {} {} (periods {}; {}){}\n",
                    e.period,
                    e.sla_id,
                    e.trigger,
                    e.periods.join(", "),
                    e.clause,
                    e.right.as_ref().map(crate::report::summary::standing).unwrap_or_default()
                );
            }
            for d in &open {
                out += &format!(
                    "open dispute: {} #{} on {}: {}, stage {} until {}{}\n",
                    d.contract_id,
                    d.id,
                    d.document_id,
                    d.amount,
                    d.stage,
                    d.deadline().map(|x| x.to_string()).unwrap_or_default(),
                    if d.overdue(day) { format!(" (overdue on {day})") } else { String::new() }
                );
            }
        }
    }
    Ok(Outcome::ok(out))
}

/// `callsla statement`: the statement of account of each contract (or one) from the ledger.
pub fn statement(
    ledger: &std::path::Path,
    contract: Option<&str>,
    as_of: chrono::NaiveDate,
    format: StatementFormat,
    out: Option<&std::path::Path>,
) -> Result<Outcome, CliError> {
    if format == StatementFormat::Xlsx && out.is_none() {
        return Err(CliError::BadValue {
            option: "--format",
            value: "xlsx".to_string(),
            expected: "printable: a workbook is written to a file (give --out FILE.xlsx)",
        });
    }
    if !ledger.is_file() {
        return Err(CliError::NoLedger(ledger.display().to_string()));
    }
    let l = crate::ledger::Ledger::open_read(ledger).map_err(crate::run::RunError::from)?;
    let ids = match contract {
        Some(c) => vec![c.to_string()],
        None => l.contracts().map_err(crate::run::RunError::from)?,
    };
    let mut statements = Vec::new();
    for id in &ids {
        let terms = l
            .account_terms(id)
            .map_err(crate::run::RunError::from)?
            .ok_or_else(|| CliError::NoAccount { ledger: ledger.display().to_string(), contract: id.clone() })?;
        let r = l.receivables(id, "").map_err(crate::run::RunError::from)?;
        let st =
            crate::billing::statement::statement(&terms, &r.documents, &r.payments, &r.interest, &r.disputes, as_of)
                .map_err(crate::run::RunError::from)?;
        statements.push(st);
    }
    l.release().map_err(crate::run::RunError::from)?;
    let bytes = match format {
        StatementFormat::Xlsx => report::workbook::statement(&statements, &crate::manifest::engine())
            .map_err(|e| CliError::Render { what: "statement as a workbook", message: e.to_string() })?,
        StatementFormat::Json => (serde_json::to_string_pretty(&statements)
            .map_err(|e| CliError::Render { what: "statement as JSON", message: e.to_string() })?
            + "\n")
            .into_bytes(),
        StatementFormat::Csv => report::statement::csv(&statements)
            .map_err(|e| CliError::Render { what: "statement as CSV", message: e.to_string() })?
            .into_bytes(),
        StatementFormat::Table => report::statement::table(&statements).into_bytes(),
    };
    match out {
        Some(path) => {
            write_atomic(path, |w| w.write_all(&bytes)).map_err(write_err(path))?;
            Ok(Outcome::ok(format!("wrote the statement of account as of {as_of} to {}\n", path.display())))
        }
        // Text formats only: a workbook without --out was refused above.
        None => Ok(Outcome::ok(String::from_utf8_lossy(&bytes).into_owned())),
    }
}

/// `callsla ledger export`.
pub fn ledger_export(ledger: &std::path::Path, out: &std::path::Path) -> Result<Outcome, CliError> {
    if !ledger.is_file() {
        return Err(CliError::NoLedger(ledger.display().to_string()));
    }
    let l = crate::ledger::Ledger::open_read(ledger).map_err(crate::run::RunError::from)?;
    let v = l.export().map_err(crate::run::RunError::from)?;
    l.release().map_err(crate::run::RunError::from)?;
    write_atomic(out, |w| {
        serde_json::to_writer_pretty(&mut *w, &v).map_err(std::io::Error::other)?;
        writeln!(w)
    })
    .map_err(write_err(out))?;
    Ok(Outcome::ok(format!("exported {} periods to {}\n", v["periods"].as_array().map_or(0, Vec::len), out.display())))
}

/// `callsla ledger rebuild`.
pub fn ledger_rebuild(ledger: &std::path::Path, dirs: &[PathBuf]) -> Result<Outcome, CliError> {
    let done = crate::ledger::rebuild(ledger, dirs).map_err(crate::run::RunError::from)?;
    Ok(Outcome::ok(format!(
        "rebuilt {} from {} output folders: {} periods recorded\n",
        ledger.display(),
        dirs.len(),
        done.len()
    )))
}

/// `callsla report`: the portfolio page across contracts and months, from the ledger; the
/// periods of the output folders in `runs` link to their audit pages.
pub fn report(
    ledger: &std::path::Path,
    contracts: &[String],
    runs: &[PathBuf],
    as_of: Option<chrono::NaiveDate>,
    out: &std::path::Path,
) -> Result<Outcome, CliError> {
    use crate::report::portfolio::{ContractView, PeriodView};
    if !ledger.is_file() {
        return Err(CliError::NoLedger(ledger.display().to_string()));
    }
    // The audit pages the user points at: (contract, period) → link from the page's folder.
    let page_dir = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let page_dir = page_dir.canonicalize().map_err(write_err(out))?;
    let mut links: Vec<(String, String, String)> = Vec::new();
    for dir in runs {
        let file = super::load_assessment(dir)?;
        let page = dir.join("audit.html");
        let Ok(abs) = page.canonicalize() else {
            return Err(CliError::BadValue {
                option: "--runs",
                value: dir.display().to_string(),
                expected: "an output folder of callsla run (with assessment.json and audit.html)",
            });
        };
        let href = crate::util::relative_path(&page_dir, &abs).display().to_string();
        for p in &file.assessment.periods {
            links.push((file.assessment.contract_id.clone(), p.period.clone(), href.clone()));
        }
    }
    let l = crate::ledger::Ledger::open_read(ledger).map_err(crate::run::RunError::from)?;
    let all = l.contracts().map_err(crate::run::RunError::from)?;
    for c in contracts {
        if !all.contains(c) {
            return Err(CliError::BadValue {
                option: "--contract",
                value: c.clone(),
                expected: "a contract the ledger records (callsla history lists them)",
            });
        }
    }
    let ids: Vec<String> = if contracts.is_empty() { all } else { contracts.to_vec() };
    let disputes = l.disputes(None).map_err(crate::run::RunError::from)?;
    let dated = as_of.or_else(|| disputes.iter().flat_map(|d| d.steps.iter().map(|s| s.at)).max());
    let day = dated.unwrap_or_default();
    let mut views = Vec::new();
    for id in &ids {
        let stored = l.periods(Some(id)).map_err(crate::run::RunError::from)?;
        let assessed = l.history_before(id, i64::MAX).map_err(crate::run::RunError::from)?;
        let currency = l.account_terms(id).map_err(crate::run::RunError::from)?.map(|t| t.currency).unwrap_or_default();
        let periods = assessed
            .into_iter()
            .map(|a| {
                let s = stored.iter().find(|s| s.period == a.period);
                let link = links.iter().rev().find(|(c, p, _)| c == id && *p == a.period).map(|(.., h)| h.clone());
                PeriodView {
                    state: s.map_or_else(|| "open".to_string(), |s| s.state.clone()),
                    closed_by: s.and_then(|s| s.closed_by.clone()),
                    closed_at: s.and_then(|s| s.closed_at.clone()),
                    audit_page: link,
                    assessment: a,
                }
            })
            .collect();
        views.push(ContractView {
            id: id.clone(),
            currency,
            periods,
            termination_events: l
                .termination_events(Some(id))
                .map_err(crate::run::RunError::from)?
                .into_iter()
                .map(|(_, e)| e)
                .collect(),
            open_disputes: disputes
                .iter()
                .filter(|d| d.contract_id == *id)
                .filter_map(|d| d.as_of(day))
                .filter(|d| d.is_open_on(day))
                .collect(),
        });
    }
    l.release().map_err(crate::run::RunError::from)?;
    let html = report::portfolio::render(&views, dated.map(|d| d.to_string()).as_deref());
    write_atomic(out, |w| w.write_all(html.as_bytes())).map_err(write_err(out))?;
    Ok(Outcome::info(format!(
        "wrote {}: {} contract(s), {} period(s)\n",
        out.display(),
        views.len(),
        views.iter().map(|v| v.periods.len()).sum::<usize>()
    )))
}
