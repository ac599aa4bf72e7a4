//! The errors of a run, each with its exit code, and the fault-injection points the fault
//! tests use.

use super::*;

/// Errors of a run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Contract(#[from] ContractError),
    #[error(transparent)]
    Metrics(#[from] MetricsError),
    #[error(transparent)]
    Rules(#[from] RulesError),
    #[error(transparent)]
    Billing(#[from] BillingError),
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}; the previous output (if any) is untouched")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0} already holds output; pass --force to replace it")]
    OutputExists(String),
    #[error("--force will not replace {path}: {why}; callsla replaces only output folders it wrote. Choose another --out, or move the folder yourself")]
    NotOurs { path: String, why: String },
    #[error(
        "--force will not replace {out}: it holds {inside}, which the run reads or keeps; choose an --out outside it"
    )]
    Protected { out: String, inside: String },
    #[error(
        "cannot move the new output into {out}: {source}; the previous output is kept at {old} (move it back to {out})"
    )]
    SwapFailed {
        out: String,
        old: String,
        #[source]
        source: std::io::Error,
    },
    #[error("another callsla run is writing {0}; wait for it to finish (its lock on {0}.lock ends with it)")]
    Busy(String),
    #[error("\"{label}\" is not a {kind} like {example}")]
    BadPeriod { label: String, kind: &'static str, example: &'static str },
    #[error("give --period P, or both --from P and --to P")]
    PeriodOptions,
    #[error("no period to assess: the data and the options name no period within the contract's effective dates")]
    NoPeriod,
    #[error("--as-of \"{0}\" is not an RFC 3339 timestamp")]
    BadAsOf(String),
    #[error("{path} is not a callsla manifest: {message}")]
    NotAManifest { path: String, message: String },
    #[error("ledger_input.json is unreadable: {0}")]
    BadLedgerInput(String),
    #[error(transparent)]
    Ledger(#[from] crate::ledger::LedgerError),
    #[error("stopped on purpose after {0} (CALLSLA_FAIL_AT, for crash tests)")]
    Injected(String),
    #[error("internal error: {0}; this is a bug in callsla, please report it")]
    Internal(String),
    #[error("the contract needs {what} ({why}) and none was given; pass {option} FILE, or mark it optional in the contract ([inputs] {key} = \"optional\") to leave what needs it not measured")]
    MissingInput { what: &'static str, why: &'static str, option: &'static str, key: &'static str },
    /// Too many rows were rejected; the rejects travel with the error so `run` can write them.
    #[error("{}", .0.error)]
    RejectLimit(Box<RejectStop>),
    #[error("{0}")]
    Verify(String),
    /// A counts file (`run --counts`) that is not what the contract's emitted SQL returns.
    #[error("{0}")]
    Counts(String),
    #[error("the new output is in {out}, but making its folder entry durable failed: {source}; the ledger was not updated: run again to record it")]
    NotDurable { out: String, source: std::io::Error },
    #[error("period {period} has no contacts in the contract's scope ({found}); an invoice for it would bill fixed fees and minimum charges on no data. Check --period and the inputs, or pass --allow-empty-period to invoice it anyway")]
    EmptyPeriod { period: String, found: String },
    #[error("stray dates: {periods} — fewer than 1% of a typical period's contacts, outside the periods the data covers ({range}); invoicing them would bill fixed fees and minimum charges on stray rows. Fix the dates in the data, choose the periods with --period or --from/--to, or pass --max-stray-rows {contacts} to leave them out")]
    StrayPeriods { periods: String, contacts: u64, range: String },
}

/// A run stopped on rejected rows: the error and the rows, to be written by [`run`].
#[derive(Debug)]
pub struct RejectStop {
    pub error: IngestError,
    pub rejects: Vec<ingest::Reject>,
    /// Write personal values as they are (`--raw-rejects`).
    pub raw: bool,
}

impl RunError {
    /// The exit code: wrapped errors answer for themselves; a stop on rejected rows is 3.
    pub(crate) fn exit_code(&self) -> crate::exit::Exit {
        match self {
            RunError::Ingest(e) => e.exit_code(),
            RunError::RejectLimit(stop) => stop.error.exit_code(),
            RunError::EmptyPeriod { .. } | RunError::StrayPeriods { .. } => crate::exit::Exit::DataQuality,
            _ => crate::exit::Exit::BadInput,
        }
    }
}

/// Fails on purpose at a named step when `CALLSLA_FAIL_AT` names it, so tests can show that a
/// crash between the steps of a run leaves outputs and ledger consistent.
pub(super) fn fail_point(step: &str) -> Result<(), RunError> {
    match std::env::var("CALLSLA_FAIL_AT") {
        Ok(v) if v == step => Err(RunError::Injected(step.to_string())),
        _ => Ok(()),
    }
}

impl From<PolarsError> for RunError {
    fn from(e: PolarsError) -> Self {
        RunError::Internal(e.to_string())
    }
}
