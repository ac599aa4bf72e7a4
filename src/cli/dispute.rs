//! `callsla dispute open|advance|resolve|list`: the dispute register (docs/ledger.md,
//! "Disputes"). Each step names who and when; nothing is read from the clock.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{CliError, HistoryFormat, Outcome};
use crate::billing::dispute::{self, Dispute, DisputeError, OpenRequest, Party};
use crate::contract::Contract;
use crate::ledger::Ledger;
use crate::run::RunError;

/// The ledger and contract every dispute command names.
#[derive(Debug, Clone, clap::Args)]
pub struct Where {
    /// The contract (TOML) whose `[disputes]` clause governs; its id keys the ledger.
    #[arg(long)]
    pub contract: PathBuf,
    #[command(flatten)]
    pub ledger: super::LedgerArg,
}

/// What `callsla dispute` does.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum DisputeAction {
    /// Open a dispute on a recorded document (within the contract's notice window).
    #[command(after_help = super::examples::DISPUTE_OPEN)]
    Open {
        #[command(flatten)]
        place: Where,
        /// The document disputed (an invoice or note id, as in invoice.csv).
        #[arg(long)]
        document: String,
        /// The SLA whose credit is disputed, when the dispute is about one credit.
        #[arg(long)]
        sla: Option<String>,
        /// The period of that credit (e.g. 2026-08).
        #[arg(long, requires = "sla")]
        period: Option<String>,
        /// Who disputes: the client (what it is asked to pay) or the provider (a credit).
        #[arg(long, value_enum, default_value = "client")]
        party: Party,
        /// The amount disputed (at most the document's total).
        #[arg(long)]
        amount: Decimal,
        /// Why (kept in the register; shown escaped).
        #[arg(long)]
        reason: String,
        /// Who opens it (recorded).
        #[arg(long)]
        by: String,
        /// The day the notice was given (YYYY-MM-DD; recorded as given).
        #[arg(long)]
        at: NaiveDate,
    },
    /// Move an open dispute to a later stage of the clause.
    #[command(after_help = super::examples::DISPUTE_ADVANCE)]
    Advance {
        #[command(flatten)]
        place: Where,
        /// The dispute's number in the register.
        #[arg(long)]
        id: i64,
        /// The stage it enters (a later one of `[disputes] stages`).
        #[arg(long)]
        to: String,
        /// Who records the step.
        #[arg(long)]
        by: String,
        /// The day it entered the stage (YYYY-MM-DD).
        #[arg(long)]
        at: NaiveDate,
    },
    /// End a dispute; an upheld or settled one issues its credit or debit note.
    #[command(after_help = super::examples::DISPUTE_RESOLVE)]
    Resolve {
        #[command(flatten)]
        place: Where,
        /// The dispute's number in the register.
        #[arg(long)]
        id: i64,
        /// How it ended.
        #[arg(long, value_enum)]
        outcome: dispute::Outcome,
        /// The agreed amount (with `settled` only).
        #[arg(long)]
        amount: Option<Decimal>,
        /// Who records the resolution.
        #[arg(long)]
        by: String,
        /// The day it was resolved (the note's issue date).
        #[arg(long)]
        at: NaiveDate,
    },
    /// The register: every dispute with its stage, deadline and outcome.
    #[command(after_help = super::examples::DISPUTE_LIST)]
    List {
        #[command(flatten)]
        place: Where,
        /// Only the disputes open on --as-of (or now open).
        #[arg(long)]
        open: bool,
        /// Judge deadlines on this day (YYYY-MM-DD): open disputes past their stage's deadline
        /// are marked overdue. Default: the latest day recorded in the register.
        #[arg(long)]
        as_of: Option<NaiveDate>,
        /// The output format.
        #[arg(long, value_enum, default_value = "table")]
        format: HistoryFormat,
    },
}

fn ledger_at(place: &Where) -> Result<(Contract, PathBuf), CliError> {
    let contract = Contract::load(&place.contract)?;
    let path = place.ledger.ledger.clone();
    if !path.is_file() {
        return Err(CliError::NoLedger(path.display().to_string()));
    }
    Ok((contract, path))
}

fn open_ledger(path: &Path) -> Result<Ledger, CliError> {
    Ledger::open(path).map_err(|e| CliError::Run(RunError::from(e)))
}

fn ledger_err(e: crate::ledger::LedgerError) -> CliError {
    CliError::Run(RunError::from(e))
}

fn find(l: &Ledger, contract: &str, id: i64) -> Result<Dispute, CliError> {
    l.disputes(Some(contract))
        .map_err(ledger_err)?
        .into_iter()
        .find(|d| d.id == id)
        .ok_or_else(|| CliError::Dispute(DisputeError::UnknownDispute { id, contract: contract.to_string() }))
}

/// `callsla dispute …`.
pub fn dispute(action: &DisputeAction) -> Result<Outcome, CliError> {
    match action {
        DisputeAction::Open { place, document, sla, period, party, amount, reason, by, at } => {
            let (c, path) = ledger_at(place)?;
            let l = open_ledger(&path)?;
            let doc = l.document(&c.id, document).map_err(ledger_err)?.ok_or_else(|| {
                CliError::Dispute(DisputeError::UnknownDocument { document: document.clone(), contract: c.id.clone() })
            })?;
            let id = l.next_dispute_id(&c.id).map_err(ledger_err)?;
            let req = OpenRequest {
                document_id: document.clone(),
                sla_id: sla.clone().unwrap_or_default(),
                period: period.clone().unwrap_or_default(),
                party: *party,
                amount: *amount,
                reason: reason.clone(),
                by: by.clone(),
                at: *at,
            };
            let d = dispute::open(&c, &doc, id, &req)?;
            l.record_dispute(&d, None).map_err(ledger_err)?;
            Ok(Outcome::ok(format!(
                "dispute #{} opened on {} ({} {}): stage {} until {}{}\n",
                d.id,
                d.document_id,
                d.amount,
                doc.currency,
                d.stage,
                d.deadline().map(|x| x.to_string()).unwrap_or_default(),
                if d.terms.hold && d.party == Party::Client { "; the amount is held from late interest" } else { "" }
            )))
        }
        DisputeAction::Advance { place, id, to, by, at } => {
            let (c, path) = ledger_at(place)?;
            let l = open_ledger(&path)?;
            let mut d = find(&l, &c.id, *id)?;
            dispute::advance(&mut d, to, by, *at)?;
            l.record_dispute(&d, None).map_err(ledger_err)?;
            Ok(Outcome::ok(format!(
                "dispute #{} is in stage {} from {} until {}\n",
                d.id,
                d.stage,
                d.stage_since,
                d.deadline().map(|x| x.to_string()).unwrap_or_default()
            )))
        }
        DisputeAction::Resolve { place, id, outcome, amount, by, at } => {
            let (c, path) = ledger_at(place)?;
            let l = open_ledger(&path)?;
            let mut d = find(&l, &c.id, *id)?;
            let doc = l.document(&c.id, &d.document_id).map_err(ledger_err)?.ok_or_else(|| {
                CliError::Dispute(DisputeError::UnknownDocument {
                    document: d.document_id.clone(),
                    contract: c.id.clone(),
                })
            })?;
            let n = l.notes_on(&c.id, &doc.id).map_err(ledger_err)? + 1;
            let note = dispute::resolve(&c, &mut d, &doc, *outcome, *amount, (by, *at), n)?;
            l.record_dispute(&d, note.as_ref()).map_err(ledger_err)?;
            Ok(Outcome::ok(match &note {
                Some(n) => format!(
                    "dispute #{} {}: {} {} issued {}, total {} {}, due {}\n",
                    d.id,
                    outcome.as_str(),
                    n.kind.as_str().replace('_', " "),
                    n.id,
                    n.issue_date,
                    n.total,
                    n.currency,
                    n.due_date
                ),
                None => format!("dispute #{} {}: nothing is settled; {} stands\n", d.id, outcome.as_str(), doc.id),
            }))
        }
        DisputeAction::List { place, open, as_of, format } => {
            let (c, path) = ledger_at(place)?;
            let l = Ledger::open_read(&path).map_err(ledger_err)?;
            let all = l.disputes(Some(&c.id)).map_err(ledger_err)?;
            l.release().map_err(ledger_err)?;
            let latest = all.iter().flat_map(|d| d.steps.iter().map(|s| s.at)).max();
            let day = as_of.or(latest).unwrap_or_default();
            // The register as it stood on that day.
            let then: Vec<Dispute> = all.iter().filter_map(|d| d.as_of(day)).collect();
            let shown: Vec<&Dispute> = then.iter().filter(|d| !*open || d.is_open_on(day)).collect();
            Ok(Outcome::ok(render(&shown, day, *format)?))
        }
    }
}

fn cells(d: &Dispute, day: NaiveDate) -> Vec<String> {
    let open = d.is_open_on(day);
    vec![
        d.id.to_string(),
        d.document_id.clone(),
        if d.sla_id.is_empty() { String::new() } else { format!("{} {}", d.sla_id, d.period) },
        d.party.as_str().to_string(),
        d.amount.to_string(),
        d.opened_at.to_string(),
        if open { d.stage.clone() } else { String::new() },
        if open { d.deadline().map(|x| x.to_string()).unwrap_or_default() } else { String::new() },
        if d.overdue(day) { "overdue".to_string() } else { String::new() },
        d.outcome.map(|o| o.as_str().to_string()).unwrap_or_else(|| "open".to_string()),
        d.settled_amount.map(|a| a.to_string()).unwrap_or_default(),
        d.note_id.clone(),
    ]
}

const HEAD: [&str; 12] =
    ["id", "document", "sla", "party", "amount", "opened", "stage", "deadline", "late", "outcome", "settled", "note"];

fn render(ds: &[&Dispute], day: NaiveDate, format: HistoryFormat) -> Result<String, CliError> {
    let err = |e: String| CliError::Render { what: "dispute register", message: e };
    match format {
        HistoryFormat::Table => {
            let rows: Vec<Vec<String>> = ds.iter().map(|d| cells(d, day)).collect();
            let mut out = format!("disputes as of {day}\n");
            out += &crate::report::table(&HEAD, &rows, &[0, 4, 10]);
            Ok(out)
        }
        HistoryFormat::Csv => {
            let mut w = crate::util::SafeCsv::from_writer(Vec::new());
            w.write_record(HEAD).map_err(|e| err(e.to_string()))?;
            for d in ds {
                w.write_record(cells(d, day)).map_err(|e| err(e.to_string()))?;
            }
            String::from_utf8(w.into_inner().map_err(|e| err(e.to_string()))?).map_err(|e| err(e.to_string()))
        }
        HistoryFormat::Json => {
            let v = ds
                .iter()
                .map(|d| {
                    let mut v = serde_json::to_value(d)?;
                    if let Some(o) = v.as_object_mut() {
                        o.insert("deadline".into(), serde_json::json!(d.deadline().map(|x| x.to_string())));
                        o.insert("overdue".into(), serde_json::json!(d.overdue(day)));
                    }
                    Ok(v)
                })
                .collect::<Result<Vec<serde_json::Value>, serde_json::Error>>()
                .map_err(|e| err(e.to_string()))?;
            serde_json::to_string_pretty(&serde_json::json!({ "as_of": day.to_string(), "disputes": v }))
                .map(|s| s + "\n")
                .map_err(|e| err(e.to_string()))
        }
    }
}
