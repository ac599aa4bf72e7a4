//! `assessment.json`: the complete assessment of a run — contract facts, where the judged
//! contacts came from, the rules' judgement and the documents billed. The type below the
//! reports and the ledger that read it, and the run that writes it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::billing;
use crate::ingest::Reconciliation;
use crate::rules::Assessment;

pub use crate::metrics::scope::{ExclusionCount, PeriodCoverage, ScopeCount};

/// Where the judged contacts came from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DataSummary {
    pub reconciliation: Reconciliation,
    pub reject_reasons: BTreeMap<String, u64>,
    pub out_of_scope: Vec<ScopeCount>,
    pub exclusions: Vec<ExclusionCount>,
    pub judged_contacts: u64,
    pub as_of: String,
    /// Per assessed period: how much of it the data covers.
    #[serde(default)]
    pub coverage: Vec<PeriodCoverage>,
}

/// Contract facts repeated in the output for readers.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ContractSummary {
    pub id: String,
    pub name: String,
    pub client: String,
    pub provider: String,
    pub currency: String,
    pub time_zone: String,
    pub measurement_period: String,
    pub rounding: String,
}

/// `assessment.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AssessmentFile {
    pub output_version: u32,
    pub engine: String,
    pub contract: ContractSummary,
    pub data: DataSummary,
    pub assessment: Assessment,
    /// The documents this run issues, payments, applications and late interest.
    pub billing: billing::Billing,
}

/// A period as the ledger knew it when the run was made: open or closed, and who signed it off.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodState {
    pub period: String,
    /// `open` or `closed`.
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<String>,
}

/// What the audit page shows of the ledger: the earlier periods' results (the trend before
/// this run's periods) and every recorded period's state and sign-off. Empty without a ledger.
#[derive(Debug, Clone, Copy, Default)]
pub struct LedgerView<'a> {
    pub history: &'a [crate::rules::PeriodAssessment],
    pub periods: &'a [PeriodState],
}
