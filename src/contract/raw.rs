//! The contract file as written: serde structs that mirror the TOML, nothing checked yet.

use serde::Deserialize;
use toml::Spanned;

use crate::metrics::definition::{Component, MetricDef};
use crate::money::Dec;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawContract {
    pub contract: Spanned<RawHeader>,
    #[serde(default)]
    pub rounding: Option<Spanned<RawRounding>>,
    pub scope: Spanned<RawScope>,
    #[serde(default)]
    pub pricing: Vec<Spanned<RawPricing>>,
    pub credits: Spanned<RawCredits>,
    #[serde(default)]
    pub sla: Vec<Spanned<RawSla>>,
    #[serde(default)]
    pub exclusion: Vec<Spanned<RawExclusion>>,
    #[serde(default)]
    pub volume_relief: Option<Spanned<RawVolumeRelief>>,
    #[serde(default)]
    pub termination: Option<Spanned<RawTermination>>,
    #[serde(default)]
    pub payment: Option<Spanned<RawPayment>>,
    #[serde(default)]
    pub amendment: Vec<Spanned<RawAmendment>>,
    #[serde(default)]
    pub inputs: Option<Spanned<RawInputs>>,
    #[serde(default)]
    pub tax: Vec<Spanned<RawTax>>,
    #[serde(default)]
    pub disputes: Option<Spanned<RawDisputes>>,
    #[serde(default)]
    pub obligation: Vec<Spanned<RawObligation>>,
    #[serde(default)]
    pub calendar: Vec<Spanned<crate::time::calendar::CalendarSpec>>,
}

/// `[[obligation]]`: a duty judged from the events log (docs/contract.md).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawObligation {
    pub id: String,
    pub name: String,
    pub kind: Spanned<String>,
    pub event_type: Spanned<String>,
    #[serde(default)]
    pub from: Option<Spanned<String>>,
    #[serde(default)]
    pub to: Option<Spanned<String>>,
    #[serde(default)]
    pub within_hours: Option<Spanned<u32>>,
    #[serde(default)]
    pub max_count: Option<u32>,
    #[serde(default)]
    pub min_count: Option<u32>,
    #[serde(default)]
    pub severity: Option<Spanned<u8>>,
    #[serde(default)]
    pub reference: Option<String>,
    pub credit: Spanned<RawObligationCredit>,
    #[serde(default)]
    pub cap: Option<Spanned<Dec>>,
    #[serde(default)]
    pub material_breach: Option<bool>,
    #[serde(default)]
    pub clause: Option<String>,
}

/// How a missed obligation is credited: exactly one of the keys.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawObligationCredit {
    #[serde(default)]
    pub per_event: Option<Spanned<Dec>>,
    #[serde(default)]
    pub per_hour_late: Option<Spanned<Dec>>,
    #[serde(default)]
    pub fixed: Option<Spanned<Dec>>,
    #[serde(default)]
    pub tiers: Option<Spanned<Vec<RawObligationTier>>>,
}

/// One tier of an obligation's credit: up to (and including) a measure, an amount.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawObligationTier {
    #[serde(default)]
    pub up_to: Option<u32>,
    pub amount: Dec,
}

/// `[disputes]`: how a party disputes a document, the stages and their deadlines.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDisputes {
    pub notice_days: Spanned<u32>,
    #[serde(default)]
    pub hold_disputed_amounts: Option<bool>,
    pub stages: Spanned<Vec<RawStage>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStage {
    pub name: String,
    pub days: u32,
}

/// `[inputs]`: which of the side inputs the contract needs may be absent from a run.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawInputs {
    #[serde(default)]
    pub outages: Option<Spanned<String>>,
    #[serde(default)]
    pub forecast: Option<Spanned<String>>,
    #[serde(default)]
    pub payments: Option<Spanned<String>>,
    #[serde(default)]
    pub events: Option<Spanned<String>>,
    #[serde(default)]
    pub suppression: Option<Spanned<String>>,
    #[serde(default)]
    pub qa: Option<Spanned<String>>,
    #[serde(default)]
    pub agent_hours: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawHeader {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    pub client: String,
    pub provider: String,
    pub currency: Spanned<String>,
    pub time_zone: Spanned<String>,
    pub measurement_period: Spanned<String>,
    pub effective_from: Spanned<String>,
    #[serde(default)]
    pub effective_to: Option<Spanned<String>>,
    #[serde(default)]
    pub not_assessed: Option<super::NotAssessed>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRounding {
    pub minor_units: u32,
    pub strategy: crate::money::RoundingStrategy,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawScope {
    pub channels: Vec<Spanned<String>>,
    pub queues: Vec<Spanned<String>>,
    /// `inbound`, `outbound` or both; left out: inbound only.
    #[serde(default)]
    pub directions: Option<Vec<Spanned<String>>>,
    /// `[scope.outbound]`: which outbound attempts are in scope.
    #[serde(default)]
    pub outbound: Option<Spanned<RawOutboundScope>>,
}

/// `[scope.outbound]`: each list left out stands for all.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawOutboundScope {
    #[serde(default)]
    pub channels: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    pub queues: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    pub campaigns: Option<Vec<Spanned<String>>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTier {
    #[serde(default)]
    pub up_to: Option<Dec>,
    pub rate: Dec,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BillingIncrement {
    /// Exact seconds: minutes = seconds / 60.
    #[default]
    Second,
    /// Each contact's billable time rounded up to whole minutes.
    StartedMinute,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPricing {
    pub channel: Spanned<String>,
    /// Which contacts of the channel this rate card prices; left out: inbound.
    #[serde(default)]
    pub direction: Option<Spanned<String>>,
    /// Outbound cards only: the campaign whose attempts this card prices.
    #[serde(default)]
    pub campaign: Option<Spanned<String>>,
    #[serde(default)]
    pub per_minute: Option<Dec>,
    #[serde(default)]
    pub minute_tiers: Option<Spanned<Vec<RawTier>>>,
    #[serde(default)]
    pub billing_increment: BillingIncrement,
    #[serde(default)]
    pub billable: Option<Vec<Component>>,
    #[serde(default)]
    pub per_contact: Option<Dec>,
    #[serde(default)]
    pub per_connect: Option<Dec>,
    #[serde(default)]
    pub per_resolved: Option<Dec>,
    #[serde(default)]
    pub per_logged_in_hour: Option<Dec>,
    #[serde(default)]
    pub per_productive_hour: Option<Dec>,
    #[serde(default)]
    pub volume_commitment: Option<RawCommitment>,
    #[serde(default)]
    pub monthly_fee: Option<Dec>,
    #[serde(default)]
    pub minimum_charge: Option<Dec>,
}

/// `volume_commitment = { contacts = "10000", shortfall_rate = "0.50" }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCommitment {
    pub contacts: Dec,
    pub shortfall_rate: Dec,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCredits {
    pub at_risk_percent: Spanned<Dec>,
    #[serde(default)]
    pub pool_percent: Option<Spanned<Dec>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCreditTier {
    pub from: Dec,
    #[serde(default)]
    pub to: Option<Dec>,
    #[serde(default)]
    pub amount: Option<Dec>,
    #[serde(default)]
    pub percent_of_at_risk: Option<Dec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "shape", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum RawCredit {
    Allocation { allocation_percent: Dec },
    Fixed { amount: Dec },
    PercentOfFees { percent: Dec },
    Tiers { tiers: Vec<RawCreditTier> },
    Linear { per_point: Dec },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawEscalation {
    pub factor: Dec,
    #[serde(default)]
    pub after_consecutive_misses: Option<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawEarnBack {
    #[serde(default)]
    pub periods: Option<u32>,
    #[serde(default)]
    pub year_average: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSla {
    pub id: String,
    pub name: String,
    pub metric: MetricDef,
    /// Where the contract states it, for people: `"Schedule 3, §4.2"`.
    #[serde(default)]
    pub clause: Option<String>,
    #[serde(default)]
    pub channels: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    pub queue: Option<Spanned<String>>,
    pub target: Spanned<Dec>,
    pub direction: Spanned<String>,
    #[serde(default)]
    pub minimum: Option<Spanned<Dec>>,
    #[serde(default)]
    pub min_sample: Option<u64>,
    pub kind: Spanned<String>,
    #[serde(default)]
    pub credit: Option<Spanned<RawCredit>>,
    #[serde(default)]
    pub cap: Option<Spanned<Dec>>,
    #[serde(default)]
    pub escalation: Option<Spanned<RawEscalation>>,
    #[serde(default)]
    pub earn_back: Option<Spanned<RawEarnBack>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawExclusion {
    pub id: String,
    pub start: Spanned<String>,
    pub end: Spanned<String>,
    pub reason: String,
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(default)]
    pub channels: Option<Vec<String>>,
    #[serde(default)]
    pub queues: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawVolumeRelief {
    pub tolerance_percent: Spanned<Dec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawWindow {
    pub count: u32,
    pub window: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTermination {
    #[serde(default)]
    pub consecutive_misses: Option<u32>,
    #[serde(default)]
    pub misses_in_window: Option<RawWindow>,
    #[serde(default)]
    pub cap_hits_in_window: Option<RawWindow>,
    #[serde(default)]
    pub notice_days: Option<u32>,
    #[serde(default)]
    pub cure_days: Option<u32>,
    #[serde(default)]
    pub for_convenience: Option<RawConvenience>,
    #[serde(default)]
    pub unpaid_days: Option<u32>,
}

/// `[termination] for_convenience`: who may end the contract without cause, on what notice,
/// for what fee by contract year.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConvenience {
    pub party: String,
    pub notice_days: u32,
    pub fees: Vec<Dec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPayment {
    pub net_days: u32,
    #[serde(default)]
    pub invoice_lag_days: Option<u32>,
    pub late_interest_annual_percent: Spanned<Dec>,
    pub day_count: Spanned<String>,
    #[serde(default)]
    pub grace_days: Option<u32>,
    #[serde(default)]
    pub restatements: Option<Spanned<String>>,
}

/// `[[tax]]`: a tax on invoice and note lines.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTax {
    pub name: String,
    pub rate_percent: Spanned<Dec>,
    pub applies_to: Spanned<Vec<String>>,
    pub rounding: Spanned<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAmendment {
    pub id: String,
    pub effective_from: Spanned<String>,
    pub reason: String,
    #[serde(default)]
    pub sla: Vec<Spanned<RawSla>>,
    #[serde(default)]
    pub remove_sla: Vec<String>,
    #[serde(default)]
    pub pricing: Vec<Spanned<RawPricing>>,
    #[serde(default)]
    pub credits: Option<Spanned<RawCredits>>,
}
