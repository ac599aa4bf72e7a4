//! Contracts: the TOML contract file → validated terms the rules engine judges with.
//!
//! Two steps: serde into the `raw` structs that mirror the file, then [`Contract::parse`] checks
//! everything in one place (scope, tiers, allocations, dates, amendments) and resolves each
//! amendment into a complete set of [`Terms`]. Every error names the file, the line and the key
//! and says how to fix it. Money, rates and percentages are `Decimal`s read from strings.
//! Documented field by field in docs/contract.md.

mod error;
mod names;
pub mod raw;
mod validate;

pub use error::{ContractError, Problem};
use validate::Validator;

use std::path::Path;

use chrono::NaiveDate;
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::Serialize;

pub use raw::BillingIncrement;
use raw::*;

use crate::metrics::definition::{Component, MetricDef, Unit};
use crate::metrics::period::PeriodKind;
use crate::money::Rounding;

use crate::util::line_of;

/// Whether a run may go without a side input the contract needs (`[inputs]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Need {
    /// The run stops (exit 2) when the input is not given. The default.
    Required,
    /// Without the input, what needs it is not measured (SLAs) or not computed (interest),
    /// with the reason in every output.
    Optional,
}

/// `[inputs]`: the side inputs a run reads for this contract, and whether each may be absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Inputs {
    /// The outage log (`--outages`), for availability SLAs.
    pub outages: Need,
    /// The forecast (`--forecast`), for volume relief.
    pub forecast: Need,
    /// The payments file (`--payments`), for late-payment interest.
    pub payments: Need,
    /// The events log (`--events`), for `[[obligation]]` entries.
    pub events: Need,
    /// The suppression list (`--suppression`), for `suppression_hits` SLAs.
    pub suppression: Need,
    /// Quality evaluations (`--qa`), for QA SLAs.
    pub qa: Need,
    /// Agent hours (`--agent-hours`), for adherence, occupancy, shrinkage and hours SLAs.
    pub agent_hours: Need,
}

/// A channel's prices.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pricing {
    pub channel: String,
    /// `inbound` or `outbound`: the contacts this rate card prices (inbound and outbound rate
    /// cards are kept apart; a contact is never priced at the other direction's rate).
    pub direction: String,
    /// Outbound cards: the campaign this card prices (`None`: every campaign no other outbound
    /// card of the channel names, and attempts without a campaign).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign: Option<String>,
    /// Per-minute rate tiers: (minutes up to, exclusive of later tiers; rate). The last may be open.
    pub minute_tiers: Vec<(Option<Decimal>, Decimal)>,
    pub billing_increment: BillingIncrement,
    pub billable: Vec<Component>,
    pub per_contact: Option<Decimal>,
    /// Per connect (outbound rate cards only): attempts whose disposition is a connect.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_connect: Option<Decimal>,
    /// Per resolved contact: handled contacts with `resolved` true.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_resolved: Option<Decimal>,
    /// Per logged-in hour of the channel's agents (the agent-hours file, `--agent-hours`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_logged_in_hour: Option<Decimal>,
    /// Per productive hour of the channel's agents (the agent-hours file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_productive_hour: Option<Decimal>,
    /// A minimum volume of handled contacts a period, and the rate charged per contact short.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume_commitment: Option<VolumeCommitment>,
    pub monthly_fee: Option<Decimal>,
    pub minimum_charge: Option<Decimal>,
    /// `billable` was left out (talk, hold and wrap by default; listed among the assumptions
    /// when the channel bills time).
    #[serde(skip)]
    pub billable_defaulted: bool,
}

impl Pricing {
    /// The card prices agent hours.
    pub fn prices_hours(&self) -> bool {
        self.per_logged_in_hour.is_some() || self.per_productive_hour.is_some()
    }
}

/// `volume_commitment`: the client commits to `contacts` handled contacts a period; each
/// contact short is charged at `shortfall_rate`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct VolumeCommitment {
    pub contacts: Decimal,
    pub shortfall_rate: Decimal,
}

/// How a missed critical SLA turns into money.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "shape", rename_all = "snake_case")]
pub enum CreditShape {
    /// allocation% × pool% × at-risk amount.
    Allocation {
        allocation_percent: Decimal,
    },
    Fixed {
        amount: Decimal,
    },
    /// percent × the period's fees.
    PercentOfFees {
        percent: Decimal,
    },
    /// The tier containing the achieved value: `[from, to)`.
    Tiers {
        tiers: Vec<CreditTier>,
    },
    /// per_point × shortfall in the metric's unit (percentage points or seconds).
    Linear {
        per_point: Decimal,
    },
}

impl CreditShape {
    /// The shape's name as written in the contract (`shape = "…"`).
    pub(crate) fn name(&self) -> ShapeName {
        match self {
            CreditShape::Allocation { .. } => ShapeName::Allocation,
            CreditShape::Fixed { .. } => ShapeName::Fixed,
            CreditShape::PercentOfFees { .. } => ShapeName::PercentOfFees,
            CreditShape::Tiers { .. } => ShapeName::Tiers,
            CreditShape::Linear { .. } => ShapeName::Linear,
        }
    }
}

/// The name of a credit shape as recorded in a result; `None` (written `""`) for an SLA
/// that carries no credit (a KPI, or a critical SLA without a `credit` table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShapeName {
    #[default]
    #[serde(rename = "")]
    None,
    Allocation,
    Fixed,
    PercentOfFees,
    Tiers,
    Linear,
}

impl ShapeName {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ShapeName::None => "",
            ShapeName::Allocation => "allocation",
            ShapeName::Fixed => "fixed",
            ShapeName::PercentOfFees => "percent_of_fees",
            ShapeName::Tiers => "tiers",
            ShapeName::Linear => "linear",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CreditTier {
    pub from: Decimal,
    pub to: Option<Decimal>,
    pub amount: Option<Decimal>,
    pub percent_of_at_risk: Option<Decimal>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    AtLeast,
    AtMost,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaKind {
    Critical,
    Key,
}

impl SlaKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            SlaKind::Critical => "critical",
            SlaKind::Key => "key",
        }
    }
}

impl Direction {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Direction::AtLeast => "at_least",
            Direction::AtMost => "at_most",
        }
    }

    /// The comparison the target is met by: `≥` or `≤`.
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            Direction::AtLeast => "≥",
            Direction::AtMost => "≤",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Escalation {
    pub factor: Decimal,
    /// Applies when the SLA was also missed in this many periods just before (default 1).
    pub after_consecutive_misses: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum EarnBack {
    /// Returned when the SLA is met in each of the next N periods.
    NextPeriods(u32),
    /// Returned at the end of the contract year when the year's pooled figure meets the target.
    YearAverage,
}

/// One service level.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sla {
    pub id: String,
    pub name: String,
    /// The metric definition, its channels set to the SLA's scope.
    pub metric: MetricDef,
    /// Queue measured, or `None` for all in-scope queues pooled.
    pub queue: Option<String>,
    pub target: Decimal,
    pub direction: Direction,
    pub minimum: Option<Decimal>,
    pub min_sample: u64,
    pub kind: SlaKind,
    pub credit: Option<CreditShape>,
    pub cap: Option<Decimal>,
    pub escalation: Option<Escalation>,
    pub earn_back: Option<EarnBack>,
    /// Where the contract states it, for people (`clause = "Schedule 3, §4.2"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clause: Option<String>,
}

impl Sla {
    pub(crate) fn unit(&self) -> Unit {
        self.metric.unit()
    }
}

/// Credit pool settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Credits {
    pub at_risk_percent: Decimal,
    pub pool_percent: Decimal,
    /// `pool_percent` was left out (100 by default; an assumption when allocations use it).
    #[serde(skip)]
    pub pool_defaulted: bool,
}

/// Everything that can change by amendment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Terms {
    /// "original" or the amendment id.
    pub version: String,
    /// Why the amendment was made (empty for the original terms).
    pub reason: String,
    /// First day the terms apply.
    pub from: NaiveDate,
    pub pricing: Vec<Pricing>,
    pub credits: Credits,
    pub slas: Vec<Sla>,
}

/// An agreed exclusion window (the type lives with the scope masks it feeds).
pub use crate::metrics::scope::Exclusion;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    pub count: u32,
    pub window: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Termination {
    pub consecutive_misses: Option<u32>,
    pub misses_in_window: Option<Window>,
    pub cap_hits_in_window: Option<Window>,
    /// Days between a termination notice and the earliest day it takes effect.
    pub notice_days: u32,
    /// When set, a right for breach arises only if the breach is not cured within this many
    /// days of a breach notice (`breach_notice` and `cure` events referencing it).
    pub cure_days: Option<u32>,
    /// Termination for convenience, when the contract allows it.
    pub for_convenience: Option<Convenience>,
    /// The provider may terminate when a document stays unpaid this many days after its due
    /// date.
    pub unpaid_days: Option<u32>,
}

/// `[termination] for_convenience`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Convenience {
    /// `client` or `provider`.
    pub party: String,
    pub notice_days: u32,
    /// The fee by contract year (year 1 from the contract's effective date); the last one
    /// applies to every later year.
    pub fees: Vec<Decimal>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayCount {
    Actual365,
    Actual360,
    /// 30/360 (bond basis): every month counts 30 days.
    Thirty360,
}

impl DayCount {
    pub(crate) fn basis(self) -> Decimal {
        match self {
            DayCount::Actual365 => Decimal::from(365),
            DayCount::Actual360 | DayCount::Thirty360 => Decimal::from(360),
        }
    }

    /// Days from `a` to `b` under the convention (docs/contract.md, "[payment]"): actual days,
    /// or 30/360 bond basis: 360 × Δyears + 30 × Δmonths + Δdays, with day 31 read as 30
    /// (and the end's 31 as 30 when the start is on a 30th or 31st).
    pub fn days(self, a: NaiveDate, b: NaiveDate) -> i64 {
        use chrono::Datelike;
        match self {
            DayCount::Actual365 | DayCount::Actual360 => (b - a).num_days(),
            DayCount::Thirty360 => {
                let d1 = a.day().min(30);
                let d2 = if d1 == 30 { b.day().min(30) } else { b.day() };
                360 * i64::from(b.year() - a.year())
                    + 30 * (i64::from(b.month()) - i64::from(a.month()))
                    + (i64::from(d2) - i64::from(d1))
            }
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            DayCount::Actual365 => "actual/365",
            DayCount::Actual360 => "actual/360",
            DayCount::Thirty360 => "30/360",
        }
    }
}

/// How the difference of a restated closed period is billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Restatements {
    /// A `restatement` line on the next invoice, referencing the restated one.
    NextInvoice,
    /// A credit note (or debit note) of its own, dated the restatement.
    Notes,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Payment {
    pub net_days: u32,
    pub invoice_lag_days: u32,
    pub late_interest_annual_percent: Decimal,
    pub day_count: DayCount,
    /// Interest accrues from the due date plus this many days.
    pub grace_days: u32,
    pub restatements: Restatements,
}

/// `[disputes]`: how a party disputes an invoice or a credit (docs/contract.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Disputes {
    /// A dispute must be opened within this many days of the document's issue date.
    pub notice_days: u32,
    /// Whether a disputed amount accrues no late interest while the dispute is open.
    pub hold: bool,
    /// The stages in order, each with the days it may take from when the dispute enters it.
    pub stages: Vec<DisputeStage>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct DisputeStage {
    pub name: String,
    pub days: u32,
}

/// The event types of the events log (docs/schema.md, "Events").
pub const EVENT_TYPES: [&str; 8] = [
    "security_incident",
    "data_breach",
    "audit_finding",
    "certification",
    "training",
    "breach_notice",
    "cure",
    "other",
];

/// One of an event's timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventTime {
    OccurredAt,
    DetectedAt,
    NotifiedAt,
    ResolvedAt,
}

impl EventTime {
    pub fn as_str(self) -> &'static str {
        match self {
            EventTime::OccurredAt => "occurred_at",
            EventTime::DetectedAt => "detected_at",
            EventTime::NotifiedAt => "notified_at",
            EventTime::ResolvedAt => "resolved_at",
        }
    }
}

/// What an obligation requires of the events of its type in a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ObligationKind {
    /// Each event's `to` no later than its `from` plus `within_hours` (exactly on time is met).
    Deadline { from: EventTime, to: EventTime, within_hours: u32 },
    /// No more than `max_count` events (of the severity, when given) occur in the period.
    CountLimit { max_count: u32, severity: Option<u8> },
    /// At least `min_count` events occur in the period (training sessions, drills, reviews).
    CountMinimum { min_count: u32, severity: Option<u8> },
    /// A certificate (an event: valid from `occurred_at` until `resolved_at`, open-ended when
    /// empty) covers the whole period.
    Certification { reference: Option<String> },
}

impl ObligationKind {
    pub fn name(&self) -> &'static str {
        match self {
            ObligationKind::Deadline { .. } => "deadline",
            ObligationKind::CountLimit { .. } => "count_limit",
            ObligationKind::CountMinimum { .. } => "count_minimum",
            ObligationKind::Certification { .. } => "certification",
        }
    }
}

/// How a missed obligation is credited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObligationCredit {
    /// Per late event, or per event over the limit.
    PerEvent(Decimal),
    /// Per hour (or part of an hour) late, summed over the late events (deadlines only).
    PerHourLate(Decimal),
    /// Once per period in which the obligation is missed.
    Fixed(Decimal),
    /// By the period's measure — hours late (deadline) or events over the limit
    /// (count_limit): the first tier whose `up_to` is at least the measure (the last may be
    /// open-ended).
    Tiers(Vec<(Option<u32>, Decimal)>),
}

/// `[[obligation]]`: a duty judged from the events log each period (docs/contract.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Obligation {
    pub id: String,
    pub name: String,
    pub event_type: String,
    pub kind: ObligationKind,
    pub credit: ObligationCredit,
    /// The most the obligation credits in one period.
    pub cap: Option<Decimal>,
    /// A miss is a material breach (a termination right for the client, docs/contract.md).
    pub material_breach: bool,
    /// The contract clause, as people cite it; default `obligation.ID`.
    pub clause: String,
}

/// The longest notice window or stage a contract may set (ten years), so every date derived
/// from them stays representable.
pub const MAX_DISPUTE_DAYS: u32 = 3650;

/// The invoice line types a tax may apply to.
pub(crate) const LINE_TYPES: [&str; 7] =
    ["fee", "credit", "cap_adjustment", "earn_back", "restatement", "late_interest", "dispute_settlement"];

/// How a tax is rounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaxRounding {
    /// Each taxed line's tax is rounded, then summed.
    Line,
    /// The document's taxable base is taxed and rounded once.
    Document,
}

/// `[[tax]]`: a tax on invoice and note lines.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tax {
    pub name: String,
    pub rate_percent: Decimal,
    /// Line types in the taxable base (credits reduce it when `credit` is listed).
    pub applies_to: Vec<String>,
    pub rounding: TaxRounding,
}

/// A validated contract.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contract {
    pub id: String,
    pub name: String,
    pub client: String,
    pub provider: String,
    pub currency: String,
    #[serde(serialize_with = "ser_tz")]
    pub zone: Tz,
    pub period: PeriodKind,
    pub effective_from: NaiveDate,
    pub effective_to: Option<NaiveDate>,
    pub rounding: Rounding,
    pub channels: Vec<String>,
    pub queues: Vec<String>,
    /// `[scope] directions`: `inbound` (the default), `outbound`, or both.
    pub directions: Vec<String>,
    /// `[scope] directions` was left out (inbound only): a run that meets outbound contacts
    /// lists the default.
    pub directions_defaulted: bool,
    /// `[scope.outbound]`: which outbound attempts are in scope (`None`: all of the scope's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outbound_scope: Option<crate::metrics::scope::OutboundScope>,
    /// The original terms then each amendment, by date.
    pub terms: Vec<Terms>,
    pub exclusions: Vec<Exclusion>,
    pub volume_relief_tolerance_percent: Option<Decimal>,
    pub termination: Termination,
    pub payment: Option<Payment>,
    pub taxes: Vec<Tax>,
    pub inputs: Inputs,
    /// `[disputes]`, when the contract has one.
    pub disputes: Option<Disputes>,
    /// `[[obligation]]` entries, judged from the events log.
    pub obligations: Vec<Obligation>,
    /// How history rules read a calendar period with no assessment (`contract.not_assessed`).
    pub not_assessed: NotAssessed,
    /// `contract.not_assessed` was left out: a run that meets a gap lists the default.
    pub not_assessed_defaulted: bool,
    /// `[[calendar]]` entries: service hours that metrics name with `calendar = "ID"`.
    #[serde(skip)]
    pub calendars: Vec<crate::time::calendar::Calendar>,
    /// The documented defaults this contract relies on (keys it leaves out that change
    /// money), in words; every run lists them among its assumptions.
    pub defaults: Vec<String>,
}

/// `contract.not_assessed`: what a calendar period with no assessment (a month missing from
/// the data, or never run) counts as in escalation, earn-back and the termination triggers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotAssessed {
    /// No miss and no cap hit; it breaks a run of misses and forfeits an earn-back window
    /// (the default).
    #[default]
    BreaksRun,
    /// A miss of every SLA: it continues a run of misses, counts in m-of-n windows (never as a
    /// cap hit) and forfeits an earn-back window.
    Missed,
    /// Met by every SLA: it breaks a run of misses and counts as met in an earn-back window.
    Met,
}

impl NotAssessed {
    pub fn as_str(self) -> &'static str {
        match self {
            NotAssessed::BreaksRun => "breaks_run",
            NotAssessed::Missed => "missed",
            NotAssessed::Met => "met",
        }
    }
}

impl Contract {
    /// Some terms hold an availability SLA (measured from the outage log).
    pub(crate) fn needs_outages(&self) -> bool {
        self.terms.iter().any(|t| t.slas.iter().any(|s| matches!(s.metric, MetricDef::Availability(_))))
    }

    /// Some terms hold a suppression-list SLA (measured against `--suppression`).
    pub(crate) fn needs_suppression(&self) -> bool {
        self.terms.iter().any(|t| t.slas.iter().any(|s| matches!(s.metric, MetricDef::SuppressionHits(_))))
    }

    /// Some terms hold an SLA on a metric of this side table, or (agent hours) price hours.
    pub(crate) fn needs_side(&self, side: crate::metrics::definition::SideInput) -> bool {
        self.terms.iter().any(|t| t.slas.iter().any(|s| s.metric.side_table() == Some(side)))
            || (side == crate::metrics::definition::SideInput::AgentHours && self.prices_hours())
    }

    /// Some terms price agent hours (`per_logged_in_hour`, `per_productive_hour`).
    pub(crate) fn prices_hours(&self) -> bool {
        self.terms.iter().any(|t| t.pricing.iter().any(Pricing::prices_hours))
    }

    /// The contract grants volume relief (judged against the forecast).
    pub(crate) fn needs_forecast(&self) -> bool {
        self.volume_relief_tolerance_percent.is_some()
    }

    /// The contract has obligations (judged from the events log).
    pub(crate) fn needs_events(&self) -> bool {
        !self.obligations.is_empty()
    }

    /// The contract charges late-payment interest (from the payments file).
    pub(crate) fn needs_payments(&self) -> bool {
        self.payment.is_some()
    }
}

fn ser_tz<S: serde::Serializer>(tz: &Tz, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(tz.name())
}

impl Contract {
    /// Reads and validates a contract file.
    pub fn load(path: &Path) -> Result<Contract, ContractError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ContractError::Io {
            file: "contract",
            path: shown.clone(),
            source,
        })?;
        Contract::parse(&text, &shown)
    }

    /// The terms in force during the period that starts on `date` (local).
    pub(crate) fn terms_for(&self, date: NaiveDate) -> &Terms {
        let mut current = &self.terms[0];
        for t in &self.terms {
            if t.from <= date {
                current = t;
            }
        }
        current
    }

    /// Validates contract text; `path` is used in messages only.
    pub fn parse(text: &str, path: &str) -> Result<Contract, ContractError> {
        let raw: RawContract = toml::from_str(text).map_err(|e| {
            let message = crate::util::suggest_in_message(e.message().trim_end());
            // A value the type refuses ("invalid value: integer `99999999999`, expected u32")
            // names the key it was given for.
            let key = e.span().and_then(|s| crate::util::key_at(text, s.start));
            let message = match key {
                Some(k) if message.starts_with("invalid value") || message.contains("too large") => {
                    format!("{k}: {}", message.replace("expected u32", "expected a whole number from 0 to 4294967295"))
                }
                _ => message,
            };
            ContractError::Syntax {
                path: path.to_string(),
                line: e.span().map_or(1, |s| line_of(text, s.start)),
                message,
            }
        })?;
        Validator { text, path, noted: std::cell::RefCell::new(Vec::new()) }.contract(raw)
    }
}

/// The local date a period starts on.
pub fn period_date(contract: &Contract, period_start: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp_micros(period_start)
        .map(|t| t.with_timezone(&contract.zone).date_naive())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_contract_reads() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/sample-data/contract.toml"))
            .unwrap_or_default();
        let c = Contract::parse(&text, "contract.toml");
        assert!(c.is_ok(), "{c:?}");
        let c = c.unwrap_or_else(|_| unreachable!());
        assert_eq!(c.terms.len(), 2);
        assert_eq!(c.terms[0].slas.len(), 14);
        assert_eq!(c.calendars.len(), 1);
        let oct = c.terms_for(NaiveDate::from_ymd_opt(2026, 10, 1).unwrap_or_default());
        assert_eq!(oct.version, "AMD-1");
        assert_eq!(oct.slas.iter().find(|s| s.id == "SL-3").map(|s| s.target.to_string()), Some("92".to_string()));
    }

    #[test]
    fn shape_names_match_the_contract_spelling() {
        use rust_decimal::Decimal;
        let shapes = [
            CreditShape::Allocation { allocation_percent: Decimal::ONE },
            CreditShape::Fixed { amount: Decimal::ONE },
            CreditShape::PercentOfFees { percent: Decimal::ONE },
            CreditShape::Tiers { tiers: Vec::new() },
            CreditShape::Linear { per_point: Decimal::ONE },
        ];
        for shape in &shapes {
            let tag = serde_json::to_value(shape).ok().and_then(|v| v["shape"].as_str().map(str::to_string));
            assert_eq!(tag.as_deref(), Some(shape.name().as_str()));
            let name = serde_json::to_string(&shape.name()).unwrap_or_default();
            assert_eq!(name, format!("\"{}\"", shape.name().as_str()));
        }
        assert_eq!(serde_json::to_string(&ShapeName::None).unwrap_or_default(), "\"\"");
        let back: Result<ShapeName, _> = serde_json::from_str("\"\"");
        assert_eq!(back.ok(), Some(ShapeName::None));
    }
}
