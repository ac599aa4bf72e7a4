//! What the rules produce: per SLA and period a result with its evidence, per period the
//! invoice, earn-back and forfeit lines and the totals, and the termination events — the
//! assessment that reports format and the ledger stores (docs/assessment.md).

use super::*;

pub use crate::metrics::scope::Volume;

/// Status of an SLA in a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Met,
    Missed,
    BelowMinimum,
    NotMeasured,
    Excluded,
    Waived,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Met => "met",
            Status::Missed => "missed",
            Status::BelowMinimum => "below_minimum",
            Status::NotMeasured => "not_measured",
            Status::Excluded => "excluded",
            Status::Waived => "waived",
        }
    }

    pub(crate) fn is_miss(self) -> bool {
        matches!(self, Status::Missed | Status::BelowMinimum)
    }
}

/// One SLA in one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlaResult {
    pub sla_id: String,
    pub name: String,
    pub kind: SlaKind,
    pub metric: String,
    pub definition: String,
    pub queue: String,
    pub unit: Unit,
    pub direction: Direction,
    pub numerator: Option<Decimal>,
    pub denominator: Option<Decimal>,
    /// The achieved value as displayed (rounded, see docs/metrics.md); judged from num/den.
    pub achieved: Option<Decimal>,
    pub target: Decimal,
    pub minimum: Option<Decimal>,
    pub sample_size: u64,
    pub min_sample: u64,
    pub provisional: bool,
    pub status: Status,
    /// How far from target, in the metric's unit (0 when met), rounded to 4 places for display.
    pub shortfall: Option<Decimal>,
    pub credit_shape: crate::contract::ShapeName,
    /// The credit by its shape, before escalation and the SLA's cap.
    pub credit_base: Decimal,
    pub escalation_factor: Decimal,
    /// After escalation and the SLA's cap, rounded: the credit line.
    pub credit: Decimal,
    /// The earn-back this SLA's credits produced in this period.
    pub earn_back: Decimal,
    /// Earlier credits of this SLA whose earn-back became impossible in this period.
    #[serde(default)]
    pub earn_back_forfeited: Decimal,
    /// The contract clause(s) behind the figure.
    pub clause: String,
    /// The SLA's clause as the contract states it for people (`[[sla]] clause`), when given.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub clause_label: String,
    /// For an SLA pooling all queues: the same figure per queue of the scope that has data (the
    /// drill-down; the pooled figure is judged, these are not).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub by_queue: Vec<QueueFigure>,
    /// Plain-language steps from counts to money.
    pub explanation: Vec<String>,
}

/// An SLA's figure in one queue (the drill-down of a pooled SLA).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueFigure {
    pub queue: String,
    pub achieved: Option<Decimal>,
    pub numerator: Option<Decimal>,
    pub denominator: Option<Decimal>,
    pub sample_size: u64,
}

/// One invoice line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvoiceLine {
    pub channel: String,
    pub item: String,
    pub quantity: Decimal,
    pub rate: Decimal,
    pub amount: Decimal,
    pub clause: String,
}

/// An earn-back granted in a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EarnBackLine {
    pub sla_id: String,
    /// The period whose credit is returned.
    pub credit_period: String,
    pub amount: Decimal,
    pub clause: String,
}

/// An earlier credit whose earn-back can no longer happen: the window it needed broke.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForfeitLine {
    pub sla_id: String,
    /// The period whose credit stays with the client.
    pub credit_period: String,
    pub amount: Decimal,
    /// Why, in words (e.g. "2026-09 was not measured").
    pub reason: String,
    pub clause: String,
}

/// A termination right that arose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TerminationEvent {
    pub period: String,
    pub trigger: String,
    pub sla_id: String,
    pub periods: Vec<String>,
    pub clause: String,
    /// Who holds the right, whether it stands (cure), and when it can take effect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub right: Option<Right>,
}

/// The standing of a termination right under `[termination]` notice and cure terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Right {
    /// `client` (rights for breach are the client's).
    pub party: String,
    /// `arisen`; with `cure_days`: `awaiting_notice` (no breach notice yet), `in_cure` (the
    /// cure period runs past the events log), `cured` (no right), or `arisen` (not cured).
    pub status: String,
    /// The day the right arises (the day after the period, or after the cure deadline).
    pub arises_on: Option<chrono::NaiveDate>,
    /// The last day of the cure period, when a notice started one.
    pub cure_deadline: Option<chrono::NaiveDate>,
    /// The earliest day a termination can take effect: arises_on + notice_days.
    pub effective_from: Option<chrono::NaiveDate>,
    /// The events and terms behind it, in words.
    pub evidence: Vec<String>,
}

/// Termination for convenience as the contract allows it, at the end of the assessed periods.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConvenienceRight {
    pub party: String,
    pub notice_days: u32,
    /// The contract year of the day after the last assessed period (1 from the effective date).
    pub contract_year: u32,
    /// The fee of that year.
    pub fee: Decimal,
    pub clause: String,
}

/// Everything decided for one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeriodAssessment {
    pub period: String,
    pub period_start: i64,
    pub period_end: i64,
    pub terms_version: String,
    pub invoice_id: String,
    pub invoice: Vec<InvoiceLine>,
    pub fees: Decimal,
    pub at_risk_amount: Decimal,
    pub slas: Vec<SlaResult>,
    pub credits_before_cap: Decimal,
    /// ≤ 0: what the monthly cap removes.
    pub cap_adjustment: Decimal,
    pub credits_after_cap: Decimal,
    pub earn_back: Vec<EarnBackLine>,
    /// Earn-back granted in this period: credits of earlier periods returned (Σ earn-back lines).
    pub earn_back_applied: Decimal,
    /// Credits of earlier periods whose earn-back became impossible in this period.
    #[serde(default)]
    pub earn_back_forfeited: Vec<ForfeitLine>,
    pub net_credit: Decimal,
    /// `[[obligation]]` entries judged in the period, with their evidence.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub obligations: Vec<super::obligation::ObligationResult>,
    /// Σ obligation credits (outside the SLA pool and cap).
    #[serde(default, skip_serializing_if = "Decimal::is_zero")]
    pub obligation_credits: Decimal,
    /// fees − net credit − obligation credits: what the period's own performance asks to be
    /// paid. The invoice document adds what it carries for others (restatements, late
    /// interest) and taxes.
    pub net_due: Decimal,
}

/// The rules stage's output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    pub schema_version: u32,
    pub contract_id: String,
    pub currency: String,
    pub time_zone: String,
    pub periods: Vec<PeriodAssessment>,
    pub termination_events: Vec<TerminationEvent>,
    /// `[termination] for_convenience`, when the contract allows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub convenience: Option<ConvenienceRight>,
    /// Every documented default and every missing optional input that affected a result, in
    /// words (docs/reliability.md, "Nothing silent").
    #[serde(default)]
    pub assumptions: Vec<String>,
}
