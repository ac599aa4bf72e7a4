//! Contracts: the TOML contract file → validated terms the rules engine judges with.
//!
//! Two steps: serde into the `raw` structs that mirror the file, then [`Contract::parse`] checks
//! everything in one place (scope, tiers, allocations, dates, amendments) and resolves each
//! amendment into a complete set of [`Terms`]. Every error names the file, the line and the key
//! and says how to fix it. Money, rates and percentages are `Decimal`s read from strings.
//! Documented field by field in docs/contract.md.

pub mod raw;

use std::collections::BTreeSet;
use std::path::Path;

use chrono::NaiveDate;
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::Serialize;
use toml::Spanned;

pub use raw::BillingIncrement;
use raw::*;

use crate::metrics::definition::{Component, MetricDef, Unit};
use crate::metrics::period::{self, PeriodKind};
use crate::money::{Dec, Rounding, RoundingStrategy};
use crate::schema::CHANNELS;
use crate::util::{did_you_mean, line_of};

/// A contract that cannot be read or makes no sense.
#[derive(Debug, thiserror::Error)]
pub enum ContractError {
    #[error("cannot read contract {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Syntax { path: String, line: usize, message: String },
    #[error("{path}:{line}: {key}: {problem}")]
    Invalid { path: String, line: usize, key: String, problem: Box<Problem> },
}

/// What is wrong with one key of a contract, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("unknown time zone \"{0}\"; use an IANA name such as \"America/New_York\"")]
    UnknownZone(String),
    #[error("\"{0}\" is not an ISO 4217 currency code (three capital letters, e.g. \"USD\")")]
    BadCurrency(String),
    #[error("\"{0}\" is not a measurement period; use \"month\" or \"quarter\"")]
    BadPeriod(String),
    #[error("\"{0}\" is not a date; write YYYY-MM-DD")]
    BadDate(String),
    #[error("\"{0}\" is not a timestamp; write RFC 3339 such as 2026-09-14T08:00:00-04:00")]
    BadTimestamp(String),
    #[error("{what} ({later}) is before {earlier_what} ({earlier})")]
    DatesOutOfOrder { what: &'static str, later: String, earlier_what: &'static str, earlier: String },
    #[error("must start a measurement period (the first day of a {period}), got {date}")]
    NotPeriodStart { period: &'static str, date: String },
    #[error("\"{value}\" is not in [scope] {what} ({allowed}){hint}")]
    NotInScope { what: &'static str, value: String, allowed: String, hint: String },
    #[error("\"{0}\" is not a channel; use voice, email, chat or social")]
    UnknownChannel(String),
    #[error("the id \"{0}\" is used twice; every {1} needs its own id")]
    DuplicateId(String, &'static str),
    #[error("{0} is priced twice; give each channel one [[pricing]] entry")]
    DuplicatePricing(String),
    #[error("{what} must be between 0 and {max}, got {got}")]
    OutOfRange { what: &'static str, max: &'static str, got: String },
    #[error("must not be negative, got {0}")]
    Negative(String),
    #[error("tiers must be in ascending order without overlaps: tier {index} starts at {start}, before the previous tier ends at {previous_end}")]
    TiersOverlap { index: usize, start: String, previous_end: String },
    #[error("only the last tier may be open-ended (no `{0}`)")]
    OpenTierNotLast(&'static str),
    #[error("allocations add up to {total}% of the pool, more than 100%; lower the allocation_percent of the SLAs")]
    AllocationsExceedPool { total: String },
    #[error("the minimum level {minimum} is stricter than the target {target}; for direction \"{direction}\" the minimum must be {side} the target")]
    MinimumBeyondTarget { minimum: String, target: String, direction: &'static str, side: &'static str },
    #[error("\"{0}\" is not a direction; use \"at_least\" (higher is better) or \"at_most\" (lower is better)")]
    BadDirection(String),
    #[error("\"{0}\" is not an SLA kind; use \"critical\" (credit-bearing) or \"key\" (reported only)")]
    BadKind(String),
    #[error("a critical SLA needs a [sla.credit] telling how the credit is computed")]
    CriticalWithoutCredit,
    #[error(
        "a key measurement is reported only; remove its credit, cap, escalation and earn-back or make it critical"
    )]
    KeyWithCredit,
    #[error("the metric is invalid: {0}")]
    Metric(String),
    #[error("an availability SLA measures outages, not contacts; it cannot take channels or a queue")]
    AvailabilityScope,
    #[error("give either `per_minute` or `minute_tiers`, not both")]
    MinuteRateTwice,
    #[error("earn-back needs `periods = N` (N ≥ 1) or `year_average = true`")]
    EarnBackEmpty,
    #[error("escalation factor must be at least 1, got {0}")]
    EscalationBelowOne(String),
    #[error("\"{0}\" is not a day-count convention; use \"actual_365\", \"actual_360\" or \"thirty_360\"")]
    BadDayCount(String),
    #[error("\"{0}\" is not how restatements are billed; use \"next_invoice\" (a referenced line on the next invoice) or \"notes\" (a credit or debit note of its own)")]
    BadRestatements(String),
    #[error("\"{0}\" is not an invoice line type; use {1}")]
    BadLineType(String, &'static str),
    #[error("\"{0}\" is not a tax rounding; use \"line\" (each taxed line rounded) or \"document\" (the document's base rounded once)")]
    BadTaxRounding(String),
    #[error("the tax \"{0}\" is declared twice; give each tax one [[tax]] entry")]
    DuplicateTax(String),
    #[error("two amendments take effect on {0}; merge them into one")]
    AmendmentsOverlap(String),
    #[error("\"{0}\" is not an SLA of the terms being amended{1}")]
    UnknownSla(String, String),
    #[error("a window needs 1 ≤ count ≤ window, got {count} of {window}")]
    BadWindow { count: u32, window: u32 },
    #[error("a credit tier needs exactly one of `amount` or `percent_of_at_risk`")]
    TierCreditNotOne,
    #[error("a contract needs at least one SLA")]
    NoSla,
    #[error(
        "achieved values in {range} would be missed without falling in any tier, so they would earn no credit; {fix}"
    )]
    TiersLeaveGap { range: String, fix: String },
    #[error("\"{0}\" is not how an input may be needed; use \"required\" (the run stops without it) or \"optional\" (without it the SLAs that need it are not measured)")]
    BadNeed(String),
    #[error("the contract has no {needs}, so it never reads the {input}; remove this key")]
    InputNotNeeded { input: &'static str, needs: &'static str },
    #[error("must be at least 1, got 0; to have no such rule, leave the key out")]
    ZeroCount,
    #[error("tier {tier} reaches {value}, past the target {target}, where the SLA is met; {fix}")]
    TierCoversMet { tier: usize, value: String, target: String, fix: &'static str },
}

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
}

/// A channel's prices.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pricing {
    pub channel: String,
    /// Per-minute rate tiers: (minutes up to, exclusive of later tiers; rate). The last may be open.
    pub minute_tiers: Vec<(Option<Decimal>, Decimal)>,
    pub billing_increment: BillingIncrement,
    pub billable: Vec<Component>,
    pub per_contact: Option<Decimal>,
    pub monthly_fee: Option<Decimal>,
    pub minimum_charge: Option<Decimal>,
    /// `billable` was left out (talk, hold and wrap by default; listed among the assumptions
    /// when the channel bills time).
    #[serde(skip)]
    pub billable_defaulted: bool,
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

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CreditTier {
    pub from: Decimal,
    pub to: Option<Decimal>,
    pub amount: Option<Decimal>,
    pub percent_of_at_risk: Option<Decimal>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    AtLeast,
    AtMost,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaKind {
    Critical,
    Key,
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
}

impl Sla {
    pub fn unit(&self) -> Unit {
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

/// An agreed window removed from measurement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Exclusion {
    pub id: String,
    pub start: i64,
    pub end: i64,
    pub reason: String,
    pub reference: String,
    /// Channels and queues it applies to (`None` = all).
    pub channels: Option<Vec<String>>,
    pub queues: Option<Vec<String>>,
}

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
    pub fn basis(self) -> Decimal {
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

    pub fn as_str(self) -> &'static str {
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

/// The invoice line types a tax may apply to.
pub const LINE_TYPES: [&str; 6] = ["fee", "credit", "cap_adjustment", "earn_back", "restatement", "late_interest"];

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
    /// The original terms then each amendment, by date.
    pub terms: Vec<Terms>,
    pub exclusions: Vec<Exclusion>,
    pub volume_relief_tolerance_percent: Option<Decimal>,
    pub termination: Termination,
    pub payment: Option<Payment>,
    pub taxes: Vec<Tax>,
    pub inputs: Inputs,
    /// The documented defaults this contract relies on (keys it leaves out that change
    /// money), in words; every run lists them among its assumptions.
    pub defaults: Vec<String>,
}

impl Contract {
    /// Some terms hold an availability SLA (measured from the outage log).
    pub fn needs_outages(&self) -> bool {
        self.terms.iter().any(|t| t.slas.iter().any(|s| matches!(s.metric, MetricDef::Availability(_))))
    }

    /// The contract grants volume relief (judged against the forecast).
    pub fn needs_forecast(&self) -> bool {
        self.volume_relief_tolerance_percent.is_some()
    }

    /// The contract charges late-payment interest (from the payments file).
    pub fn needs_payments(&self) -> bool {
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
        let text = std::fs::read_to_string(path).map_err(|source| ContractError::Io { path: shown.clone(), source })?;
        Contract::parse(&text, &shown)
    }

    /// The terms in force during the period that starts on `date` (local).
    pub fn terms_for(&self, date: NaiveDate) -> &Terms {
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
        let raw: RawContract = toml::from_str(text).map_err(|e| ContractError::Syntax {
            path: path.to_string(),
            line: e.span().map_or(1, |s| line_of(text, s.start)),
            message: crate::util::suggest_in_message(e.message().trim_end()),
        })?;
        Validator { text, path, noted: std::cell::RefCell::new(Vec::new()) }.contract(raw)
    }
}

struct Validator<'a> {
    text: &'a str,
    path: &'a str,
    /// Documented defaults applied so far, in words (see [`Contract::defaults`]).
    noted: std::cell::RefCell<Vec<String>>,
}

type R<T> = Result<T, ContractError>;

impl Validator<'_> {
    /// Records a documented default the contract relies on (once).
    fn default_used(&self, line: String) {
        let mut noted = self.noted.borrow_mut();
        if !noted.contains(&line) {
            noted.push(line);
        }
    }

    fn err(&self, span: std::ops::Range<usize>, key: impl Into<String>, problem: Problem) -> ContractError {
        ContractError::Invalid {
            path: self.path.to_string(),
            line: line_of(self.text, span.start),
            key: key.into(),
            problem: Box::new(problem),
        }
    }

    fn date(&self, s: &Spanned<String>, key: &str) -> R<NaiveDate> {
        NaiveDate::parse_from_str(s.get_ref().trim(), "%Y-%m-%d")
            .map_err(|_| self.err(s.span(), key, Problem::BadDate(s.get_ref().clone())))
    }

    fn percent(&self, v: &Spanned<Dec>, key: &str, max: &'static str) -> R<Decimal> {
        let d = v.get_ref().0;
        let limit: Decimal = max.parse().unwrap_or(Decimal::ONE_HUNDRED);
        if d < Decimal::ZERO || d > limit {
            return Err(self.err(v.span(), key, Problem::OutOfRange { what: "a percentage", max, got: d.to_string() }));
        }
        Ok(d)
    }

    fn non_negative(&self, v: Decimal, span: std::ops::Range<usize>, key: &str) -> R<Decimal> {
        if v < Decimal::ZERO {
            return Err(self.err(span, key, Problem::Negative(v.to_string())));
        }
        Ok(v)
    }

    fn contract(&self, raw: RawContract) -> R<Contract> {
        let mut defaults: Vec<String> = Vec::new();
        let h = raw.contract.get_ref();
        let hs = raw.contract.span();
        let zone: Tz = h.time_zone.get_ref().parse().map_err(|_| {
            self.err(h.time_zone.span(), "contract.time_zone", Problem::UnknownZone(h.time_zone.get_ref().clone()))
        })?;
        let cur = h.currency.get_ref();
        if cur.len() != 3 || !cur.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(self.err(h.currency.span(), "contract.currency", Problem::BadCurrency(cur.clone())));
        }
        let period = match h.measurement_period.get_ref().as_str() {
            "month" => PeriodKind::Month,
            "quarter" => PeriodKind::Quarter,
            other => {
                return Err(self.err(
                    h.measurement_period.span(),
                    "contract.measurement_period",
                    Problem::BadPeriod(other.to_string()),
                ))
            }
        };
        let period_name = if period == PeriodKind::Month { "month" } else { "quarter" };
        let effective_from = self.date(&h.effective_from, "contract.effective_from")?;
        let effective_to = h.effective_to.as_ref().map(|d| self.date(d, "contract.effective_to")).transpose()?;
        if let (Some(to), Some(span)) = (effective_to, h.effective_to.as_ref().map(|s| s.span())) {
            if to < effective_from {
                return Err(self.err(
                    span,
                    "contract.effective_to",
                    Problem::DatesOutOfOrder {
                        what: "effective_to",
                        later: to.to_string(),
                        earlier_what: "effective_from",
                        earlier: effective_from.to_string(),
                    },
                ));
            }
        }
        let is_period_start = |d: NaiveDate| {
            use chrono::Datelike;
            d.day() == 1 && (period == PeriodKind::Month || d.month0().is_multiple_of(3))
        };
        if !is_period_start(effective_from) {
            return Err(self.err(
                h.effective_from.span(),
                "contract.effective_from",
                Problem::NotPeriodStart { period: period_name, date: effective_from.to_string() },
            ));
        }
        let rounding = match &raw.rounding {
            Some(r) => {
                let rr = r.get_ref();
                if rr.minor_units > 4 {
                    return Err(self.err(
                        r.span(),
                        "rounding.minor_units",
                        Problem::OutOfRange { what: "minor units", max: "4", got: rr.minor_units.to_string() },
                    ));
                }
                Rounding { minor_units: rr.minor_units, strategy: rr.strategy }
            }
            None => {
                defaults.push("rounding: 2 minor units, half_even (the contract has no [rounding])".to_string());
                Rounding { minor_units: 2, strategy: RoundingStrategy::HalfEven }
            }
        };

        let scope = raw.scope.get_ref();
        let mut channels = Vec::new();
        for c in &scope.channels {
            if !CHANNELS.contains(&c.get_ref().as_str()) {
                return Err(self.err(c.span(), "scope.channels", Problem::UnknownChannel(c.get_ref().clone())));
            }
            channels.push(c.get_ref().clone());
        }
        let queues: Vec<String> = scope.queues.iter().map(|q| q.get_ref().clone()).collect();

        let ctx = Ctx { channels: &channels, queues: &queues };
        let pricing = self.pricing(&raw.pricing, &ctx)?;
        let credits = self.credits(&raw.credits)?;
        if raw.sla.is_empty() {
            return Err(self.err(hs.clone(), "sla", Problem::NoSla));
        }
        let slas = raw.sla.iter().map(|s| self.sla(s, &ctx)).collect::<R<Vec<_>>>()?;
        self.check_slas(&slas, &raw.sla)?;
        let mut terms = vec![Terms {
            version: "original".to_string(),
            reason: String::new(),
            from: effective_from,
            pricing,
            credits,
            slas,
        }];

        let mut seen_dates = BTreeSet::new();
        let mut amendments: Vec<&Spanned<RawAmendment>> = raw.amendment.iter().collect();
        amendments.sort_by(|a, b| a.get_ref().effective_from.get_ref().cmp(b.get_ref().effective_from.get_ref()));
        for a in amendments {
            let ar = a.get_ref();
            let from = self.date(&ar.effective_from, "amendment.effective_from")?;
            if from <= effective_from {
                return Err(self.err(
                    ar.effective_from.span(),
                    "amendment.effective_from",
                    Problem::DatesOutOfOrder {
                        what: "the amendment",
                        later: effective_from.to_string(),
                        earlier_what: "a date after effective_from",
                        earlier: from.to_string(),
                    },
                ));
            }
            if !is_period_start(from) {
                return Err(self.err(
                    ar.effective_from.span(),
                    "amendment.effective_from",
                    Problem::NotPeriodStart { period: period_name, date: from.to_string() },
                ));
            }
            if !seen_dates.insert(from) {
                return Err(self.err(
                    ar.effective_from.span(),
                    "amendment.effective_from",
                    Problem::AmendmentsOverlap(from.to_string()),
                ));
            }
            let prev = terms.last().cloned().unwrap_or_else(|| terms[0].clone());
            let mut next = Terms { version: ar.id.clone(), reason: ar.reason.clone(), from, ..prev };
            for id in &ar.remove_sla {
                let before = next.slas.len();
                next.slas.retain(|s| &s.id != id);
                if next.slas.len() == before {
                    let hint = did_you_mean(id, next.slas.iter().map(|s| s.id.as_str()));
                    return Err(self.err(a.span(), "amendment.remove_sla", Problem::UnknownSla(id.clone(), hint)));
                }
            }
            for s in &ar.sla {
                let sla = self.sla(s, &ctx)?;
                match next.slas.iter_mut().find(|x| x.id == sla.id) {
                    Some(x) => *x = sla,
                    None => next.slas.push(sla),
                }
            }
            for p in self.pricing(&ar.pricing, &ctx)? {
                match next.pricing.iter_mut().find(|x| x.channel == p.channel) {
                    Some(x) => *x = p,
                    None => next.pricing.push(p),
                }
            }
            if let Some(c) = &ar.credits {
                next.credits = self.credits(c)?;
            }
            self.check_slas(&next.slas, &ar.sla)?;
            terms.push(next);
        }

        let exclusions = raw
            .exclusion
            .iter()
            .map(|e| {
                let er = e.get_ref();
                let ts = |s: &Spanned<String>, key: &str| {
                    crate::time::timestamp::rfc3339(
                        s.get_ref().trim(),
                        Some((zone, crate::time::timestamp::DstAmbiguous::Earliest)),
                    )
                    .map_err(|_| self.err(s.span(), key, Problem::BadTimestamp(s.get_ref().clone())))
                };
                let (start, end) = (ts(&er.start, "exclusion.start")?, ts(&er.end, "exclusion.end")?);
                if end <= start {
                    return Err(self.err(
                        er.end.span(),
                        "exclusion.end",
                        Problem::DatesOutOfOrder {
                            what: "end",
                            later: er.end.get_ref().clone(),
                            earlier_what: "start",
                            earlier: er.start.get_ref().clone(),
                        },
                    ));
                }
                // A channel or queue outside the scope would never match: a typo, refused.
                for (values, allowed, what, key) in [
                    (&er.channels, &channels, "channels", "exclusion.channels"),
                    (&er.queues, &queues, "queues", "exclusion.queues"),
                ] {
                    for v in values.iter().flatten() {
                        if !allowed.contains(v) {
                            return Err(self.err(
                                e.span(),
                                key,
                                Problem::NotInScope {
                                    what,
                                    value: v.clone(),
                                    allowed: allowed.join(", "),
                                    hint: did_you_mean(v, allowed.iter().map(String::as_str)),
                                },
                            ));
                        }
                    }
                }
                Ok(Exclusion {
                    id: er.id.clone(),
                    start,
                    end,
                    reason: er.reason.clone(),
                    reference: er.reference.clone().unwrap_or_default(),
                    channels: er.channels.clone(),
                    queues: er.queues.clone(),
                })
            })
            .collect::<R<Vec<_>>>()?;
        let mut ids = BTreeSet::new();
        for (e, raw_e) in exclusions.iter().zip(&raw.exclusion) {
            if !ids.insert(e.id.clone()) {
                return Err(self.err(raw_e.span(), "exclusion.id", Problem::DuplicateId(e.id.clone(), "exclusion")));
            }
        }
        let volume_relief_tolerance_percent = raw
            .volume_relief
            .as_ref()
            .map(|v| self.percent(&v.get_ref().tolerance_percent, "volume_relief.tolerance_percent", "1000"))
            .transpose()?;
        let termination = match &raw.termination {
            None => Termination::default(),
            Some(t) => {
                let tr = t.get_ref();
                let window = |w: &Option<RawWindow>, key: &str| -> R<Option<Window>> {
                    match w {
                        None => Ok(None),
                        Some(w) if w.count >= 1 && w.count <= w.window => {
                            Ok(Some(Window { count: w.count, window: w.window }))
                        }
                        Some(w) => {
                            Err(self.err(t.span(), key, Problem::BadWindow { count: w.count, window: w.window }))
                        }
                    }
                };
                if tr.consecutive_misses == Some(0) {
                    return Err(self.err(t.span(), "termination.consecutive_misses", Problem::ZeroCount));
                }
                Termination {
                    consecutive_misses: tr.consecutive_misses,
                    misses_in_window: window(&tr.misses_in_window, "termination.misses_in_window")?,
                    cap_hits_in_window: window(&tr.cap_hits_in_window, "termination.cap_hits_in_window")?,
                }
            }
        };
        let payment = raw
            .payment
            .as_ref()
            .map(|p| {
                let pr = p.get_ref();
                let day_count = match pr.day_count.get_ref().as_str() {
                    "actual_365" => DayCount::Actual365,
                    "actual_360" => DayCount::Actual360,
                    "thirty_360" => DayCount::Thirty360,
                    other => {
                        return Err(self.err(
                            pr.day_count.span(),
                            "payment.day_count",
                            Problem::BadDayCount(other.to_string()),
                        ))
                    }
                };
                Ok(Payment {
                    net_days: pr.net_days,
                    invoice_lag_days: pr.invoice_lag_days.unwrap_or_else(|| {
                        self.default_used(
                            "payment.invoice_lag_days: 0, invoices dated the day after the period (the key is left out)"
                                .to_string(),
                        );
                        0
                    }),
                    late_interest_annual_percent: self.percent(
                        &pr.late_interest_annual_percent,
                        "payment.late_interest_annual_percent",
                        "100",
                    )?,
                    day_count,
                    grace_days: pr.grace_days.unwrap_or_else(|| {
                        self.default_used(
                            "payment.grace_days: 0, interest from the due date (the key is left out)".to_string(),
                        );
                        0
                    }),
                    restatements: match pr.restatements.as_ref().map(|r| (r, r.get_ref().as_str())) {
                        None => {
                            self.default_used("payment.restatements: next_invoice (the key is left out)".to_string());
                            Restatements::NextInvoice
                        }
                        Some((_, "next_invoice")) => Restatements::NextInvoice,
                        Some((_, "notes")) => Restatements::Notes,
                        Some((r, other)) => {
                            return Err(self.err(
                                r.span(),
                                "payment.restatements",
                                Problem::BadRestatements(other.to_string()),
                            ))
                        }
                    },
                })
            })
            .transpose()?;
        let mut taxes: Vec<Tax> = Vec::new();
        for t in &raw.tax {
            let tr = t.get_ref();
            if taxes.iter().any(|x| x.name == tr.name) {
                return Err(self.err(t.span(), "tax.name", Problem::DuplicateTax(tr.name.clone())));
            }
            for lt in tr.applies_to.get_ref() {
                if !LINE_TYPES.contains(&lt.as_str()) {
                    return Err(self.err(
                        tr.applies_to.span(),
                        "tax.applies_to",
                        Problem::BadLineType(
                            lt.clone(),
                            "fee, credit, cap_adjustment, earn_back, restatement or late_interest",
                        ),
                    ));
                }
            }
            taxes.push(Tax {
                name: tr.name.clone(),
                rate_percent: self.percent(&tr.rate_percent, "tax.rate_percent", "100")?,
                applies_to: tr.applies_to.get_ref().clone(),
                rounding: match tr.rounding.get_ref().as_str() {
                    "line" => TaxRounding::Line,
                    "document" => TaxRounding::Document,
                    other => {
                        return Err(self.err(
                            tr.rounding.span(),
                            "tax.rounding",
                            Problem::BadTaxRounding(other.to_string()),
                        ))
                    }
                },
            });
        }

        let mut contract = Contract {
            id: h.id.clone(),
            name: h.name.clone().unwrap_or_default(),
            client: h.client.clone(),
            provider: h.provider.clone(),
            currency: cur.clone(),
            zone,
            period,
            effective_from,
            effective_to,
            rounding,
            channels,
            queues,
            terms,
            exclusions,
            volume_relief_tolerance_percent,
            termination,
            payment,
            taxes,
            inputs: Inputs { outages: Need::Required, forecast: Need::Required, payments: Need::Required },
            defaults,
        };
        contract.inputs = self.inputs(raw.inputs.as_ref(), &contract)?;
        contract.defaults.extend(self.noted.borrow().iter().cloned());
        let allocates = |t: &Terms| t.slas.iter().any(|s| matches!(s.credit, Some(CreditShape::Allocation { .. })));
        if contract.terms.iter().any(|t| t.credits.pool_defaulted && allocates(t)) {
            contract.defaults.push("credits.pool_percent: 100 (the key is left out)".to_string());
        }
        for t in &contract.terms {
            for p in &t.pricing {
                if p.billable_defaulted {
                    let line =
                        format!("pricing[{}].billable: talk, hold and wrap time (the key is left out)", p.channel);
                    if !contract.defaults.contains(&line) {
                        contract.defaults.push(line);
                    }
                }
            }
        }
        Ok(contract)
    }

    /// `[inputs]`: each key must name an input the contract needs.
    fn inputs(&self, raw: Option<&Spanned<RawInputs>>, c: &Contract) -> R<Inputs> {
        let mut out = Inputs { outages: Need::Required, forecast: Need::Required, payments: Need::Required };
        let Some(raw) = raw else { return Ok(out) };
        let r = raw.get_ref();
        type Check<'c> = (&'c Option<Spanned<String>>, &'c mut Need, bool, &'static str, &'static str, &'static str);
        let checks: [Check<'_>; 3] = [
            (&r.outages, &mut out.outages, c.needs_outages(), "inputs.outages", "outage log", "availability SLA"),
            (&r.forecast, &mut out.forecast, c.needs_forecast(), "inputs.forecast", "forecast", "[volume_relief]"),
            (&r.payments, &mut out.payments, c.needs_payments(), "inputs.payments", "payments file", "[payment] terms"),
        ];
        for (value, slot, needed, key, input, needs) in checks {
            let Some(v) = value else { continue };
            if !needed {
                return Err(self.err(v.span(), key, Problem::InputNotNeeded { input, needs }));
            }
            *slot = match v.get_ref().as_str() {
                "required" => Need::Required,
                "optional" => Need::Optional,
                other => return Err(self.err(v.span(), key, Problem::BadNeed(other.to_string()))),
            };
        }
        Ok(out)
    }

    fn credits(&self, c: &Spanned<RawCredits>) -> R<Credits> {
        let cr = c.get_ref();
        Ok(Credits {
            pool_defaulted: cr.pool_percent.is_none(),
            at_risk_percent: self.percent(&cr.at_risk_percent, "credits.at_risk_percent", "100")?,
            pool_percent: match &cr.pool_percent {
                Some(p) => self.percent(p, "credits.pool_percent", "1000")?,
                None => Decimal::ONE_HUNDRED,
            },
        })
    }

    fn pricing(&self, raw: &[Spanned<RawPricing>], ctx: &Ctx<'_>) -> R<Vec<Pricing>> {
        let mut out: Vec<Pricing> = Vec::new();
        for p in raw {
            let pr = p.get_ref();
            let ch = pr.channel.get_ref();
            if !ctx.channels.contains(ch) {
                return Err(self.err(
                    pr.channel.span(),
                    "pricing.channel",
                    Problem::NotInScope {
                        what: "channels",
                        value: ch.clone(),
                        allowed: ctx.channels.join(", "),
                        hint: did_you_mean(ch, ctx.channels.iter().map(String::as_str)),
                    },
                ));
            }
            if out.iter().any(|x| &x.channel == ch) {
                return Err(self.err(pr.channel.span(), "pricing.channel", Problem::DuplicatePricing(ch.clone())));
            }
            let key = format!("pricing[{ch}]");
            let nn = |v: Option<Dec>, k: &str| {
                v.map(|d| self.non_negative(d.0, p.span(), &format!("{key}.{k}"))).transpose()
            };
            let minute_tiers = match (&pr.per_minute, &pr.minute_tiers) {
                (Some(_), Some(_)) => return Err(self.err(p.span(), &key, Problem::MinuteRateTwice)),
                (Some(r), None) => vec![(None, self.non_negative(r.0, p.span(), &format!("{key}.per_minute"))?)],
                (None, Some(tiers)) => {
                    let mut v = Vec::new();
                    let mut prev_end = Decimal::ZERO;
                    for (i, t) in tiers.get_ref().iter().enumerate() {
                        let rate = self.non_negative(t.rate.0, tiers.span(), &format!("{key}.minute_tiers"))?;
                        match t.up_to {
                            Some(u) if u.0 <= prev_end => {
                                return Err(self.err(
                                    tiers.span(),
                                    format!("{key}.minute_tiers"),
                                    Problem::TiersOverlap {
                                        index: i + 1,
                                        start: u.0.to_string(),
                                        previous_end: prev_end.to_string(),
                                    },
                                ))
                            }
                            Some(u) => prev_end = u.0,
                            None if i + 1 != tiers.get_ref().len() => {
                                return Err(self.err(
                                    tiers.span(),
                                    format!("{key}.minute_tiers"),
                                    Problem::OpenTierNotLast("up_to"),
                                ))
                            }
                            None => {}
                        }
                        v.push((t.up_to.map(|u| u.0), rate));
                    }
                    v
                }
                (None, None) => Vec::new(),
            };
            let bills_time = !minute_tiers.is_empty();
            out.push(Pricing {
                channel: ch.clone(),
                minute_tiers,
                billing_increment: pr.billing_increment,
                billable: pr
                    .billable
                    .clone()
                    .unwrap_or_else(|| vec![Component::Talk, Component::Hold, Component::Wrap]),
                billable_defaulted: pr.billable.is_none() && bills_time,
                per_contact: nn(pr.per_contact, "per_contact")?,
                monthly_fee: nn(pr.monthly_fee, "monthly_fee")?,
                minimum_charge: nn(pr.minimum_charge, "minimum_charge")?,
            });
        }
        Ok(out)
    }

    fn sla(&self, s: &Spanned<RawSla>, ctx: &Ctx<'_>) -> R<Sla> {
        let r = s.get_ref();
        let key = |k: &str| format!("sla[{}].{k}", r.id);
        let is_availability = matches!(r.metric, MetricDef::Availability(_));
        if is_availability && (r.channels.is_some() || r.queue.is_some()) {
            return Err(self.err(s.span(), key("metric"), Problem::AvailabilityScope));
        }
        let mut metric = r.metric.clone();
        if let Some(chs) = &r.channels {
            for c in chs {
                if !ctx.channels.contains(c.get_ref()) {
                    return Err(self.err(
                        c.span(),
                        key("channels"),
                        Problem::NotInScope {
                            what: "channels",
                            value: c.get_ref().clone(),
                            allowed: ctx.channels.join(", "),
                            hint: did_you_mean(c.get_ref(), ctx.channels.iter().map(String::as_str)),
                        },
                    ));
                }
            }
            set_channels(&mut metric, chs.iter().map(|c| c.get_ref().clone()).collect());
        } else if !is_availability {
            // Without channels, the metric's default channels that are in scope.
            let chs: Vec<String> = metric.channels().into_iter().filter(|c| ctx.channels.contains(c)).collect();
            set_channels(&mut metric, chs);
        }
        metric.validate().map_err(|e| self.err(s.span(), key("metric"), Problem::Metric(e.to_string())))?;
        let queue = match &r.queue {
            Some(q) if q.get_ref() == "*" => None,
            Some(q) if !ctx.queues.contains(q.get_ref()) => {
                return Err(self.err(
                    q.span(),
                    key("queue"),
                    Problem::NotInScope {
                        what: "queues",
                        value: q.get_ref().clone(),
                        allowed: ctx.queues.join(", "),
                        hint: did_you_mean(q.get_ref(), ctx.queues.iter().map(String::as_str)),
                    },
                ))
            }
            Some(q) => Some(q.get_ref().clone()),
            None => None,
        };
        let direction = match r.direction.get_ref().as_str() {
            "at_least" => Direction::AtLeast,
            "at_most" => Direction::AtMost,
            other => {
                return Err(self.err(r.direction.span(), key("direction"), Problem::BadDirection(other.to_string())))
            }
        };
        let kind = match r.kind.get_ref().as_str() {
            "critical" => SlaKind::Critical,
            "key" => SlaKind::Key,
            other => return Err(self.err(r.kind.span(), key("kind"), Problem::BadKind(other.to_string()))),
        };
        let target = r.target.get_ref().0;
        if metric.unit() == Unit::Percent {
            self.percent(&r.target, &key("target"), "100")?;
        } else {
            self.non_negative(target, r.target.span(), &key("target"))?;
        }
        let minimum = match &r.minimum {
            None => None,
            Some(m) => {
                let v = m.get_ref().0;
                let wrong = match direction {
                    Direction::AtLeast => v > target,
                    Direction::AtMost => v < target,
                };
                if wrong {
                    let (dir, side) = match direction {
                        Direction::AtLeast => ("at_least", "at or below"),
                        Direction::AtMost => ("at_most", "at or above"),
                    };
                    return Err(self.err(
                        m.span(),
                        key("minimum"),
                        Problem::MinimumBeyondTarget {
                            minimum: v.to_string(),
                            target: target.to_string(),
                            direction: dir,
                            side,
                        },
                    ));
                }
                Some(v)
            }
        };
        let credit = match &r.credit {
            None => None,
            Some(c) => Some(self.credit(c, &key("credit"))?),
        };
        if let (Some(CreditShape::Tiers { tiers }), Some(c)) = (&credit, &r.credit) {
            self.tiers_cover_misses(tiers, direction, target, minimum)
                .map_err(|p| self.err(c.span(), key("credit.tiers"), p))?;
        }
        match kind {
            SlaKind::Critical if credit.is_none() => {
                return Err(self.err(s.span(), key("credit"), Problem::CriticalWithoutCredit))
            }
            SlaKind::Key if credit.is_some() || r.cap.is_some() || r.escalation.is_some() || r.earn_back.is_some() => {
                return Err(self.err(s.span(), key("credit"), Problem::KeyWithCredit))
            }
            _ => {}
        }
        let cap = r.cap.as_ref().map(|c| self.non_negative(c.get_ref().0, c.span(), &key("cap"))).transpose()?;
        let escalation = r
            .escalation
            .as_ref()
            .map(|e| {
                let er = e.get_ref();
                if er.factor.0 < Decimal::ONE {
                    return Err(self.err(
                        e.span(),
                        key("escalation.factor"),
                        Problem::EscalationBelowOne(er.factor.0.to_string()),
                    ));
                }
                if er.after_consecutive_misses == Some(0) {
                    return Err(self.err(e.span(), key("escalation.after_consecutive_misses"), Problem::ZeroCount));
                }
                Ok(Escalation {
                    factor: er.factor.0,
                    after_consecutive_misses: er.after_consecutive_misses.unwrap_or_else(|| {
                        self.default_used(format!(
                            "sla[{}].escalation.after_consecutive_misses: 1 (the key is left out)",
                            r.id
                        ));
                        1
                    }),
                })
            })
            .transpose()?;
        let earn_back = r
            .earn_back
            .as_ref()
            .map(|e| match (e.get_ref().periods, e.get_ref().year_average) {
                (Some(n), false) if n >= 1 => Ok(EarnBack::NextPeriods(n)),
                (None, true) => Ok(EarnBack::YearAverage),
                _ => Err(self.err(e.span(), key("earn_back"), Problem::EarnBackEmpty)),
            })
            .transpose()?;
        Ok(Sla {
            id: r.id.clone(),
            name: r.name.clone(),
            metric,
            queue,
            target,
            direction,
            minimum,
            min_sample: r.min_sample.unwrap_or_else(|| {
                if kind == SlaKind::Critical && !is_availability {
                    self.default_used(format!(
                        "sla[{}].min_sample: 0, judged at any sample size (the key is left out)",
                        r.id
                    ));
                }
                0
            }),
            kind,
            credit,
            cap,
            escalation,
            earn_back,
        })
    }

    fn credit(&self, c: &Spanned<RawCredit>, key: &str) -> R<CreditShape> {
        let span = c.span();
        Ok(match c.get_ref() {
            RawCredit::Allocation { allocation_percent } => CreditShape::Allocation {
                allocation_percent: self.percent(
                    &Spanned::new(span.clone(), *allocation_percent),
                    &format!("{key}.allocation_percent"),
                    "100",
                )?,
            },
            RawCredit::Fixed { amount } => {
                CreditShape::Fixed { amount: self.non_negative(amount.0, span, &format!("{key}.amount"))? }
            }
            RawCredit::PercentOfFees { percent } => CreditShape::PercentOfFees {
                percent: self.percent(&Spanned::new(span, *percent), &format!("{key}.percent"), "100")?,
            },
            RawCredit::Linear { per_point } => {
                CreditShape::Linear { per_point: self.non_negative(per_point.0, span, &format!("{key}.per_point"))? }
            }
            RawCredit::Tiers { tiers } => {
                let mut out: Vec<CreditTier> = Vec::new();
                for (i, t) in tiers.iter().enumerate() {
                    if t.amount.is_some() == t.percent_of_at_risk.is_some() {
                        return Err(self.err(span, format!("{key}.tiers"), Problem::TierCreditNotOne));
                    }
                    if let Some(prev) = out.last() {
                        match prev.to {
                            None => return Err(self.err(span, format!("{key}.tiers"), Problem::OpenTierNotLast("to"))),
                            Some(end) if t.from.0 < end => {
                                return Err(self.err(
                                    span,
                                    format!("{key}.tiers"),
                                    Problem::TiersOverlap {
                                        index: i + 1,
                                        start: t.from.0.to_string(),
                                        previous_end: end.to_string(),
                                    },
                                ))
                            }
                            _ => {}
                        }
                    }
                    if let Some(to) = t.to {
                        if to.0 <= t.from.0 {
                            return Err(self.err(
                                span,
                                format!("{key}.tiers"),
                                Problem::TiersOverlap {
                                    index: i + 1,
                                    start: t.from.0.to_string(),
                                    previous_end: to.0.to_string(),
                                },
                            ));
                        }
                    }
                    if let Some(p) = t.percent_of_at_risk {
                        self.percent(
                            &Spanned::new(span.clone(), p),
                            &format!("{key}.tiers.percent_of_at_risk"),
                            "100",
                        )?;
                    }
                    out.push(CreditTier {
                        from: t.from.0,
                        to: t.to.map(|d| d.0),
                        amount: t
                            .amount
                            .map(|d| self.non_negative(d.0, span.clone(), &format!("{key}.tiers.amount")))
                            .transpose()?,
                        percent_of_at_risk: t.percent_of_at_risk.map(|d| d.0),
                    });
                }
                CreditShape::Tiers { tiers: out }
            }
        })
    }

    /// Credit tiers must leave no missed value without a tier: every achieved value from the
    /// target (or the minimum, when the tiers credit only below it) to the worst possible
    /// value falls in exactly one tier. Tiers are `[from, to)`, ascending (checked in
    /// [`Validator::credit`]); achieved values are never negative.
    fn tiers_cover_misses(
        &self,
        tiers: &[CreditTier],
        direction: Direction,
        target: Decimal,
        minimum: Option<Decimal>,
    ) -> Result<(), Problem> {
        let (Some(first), Some(last)) = (tiers.first(), tiers.last()) else { return Ok(()) };
        let starts = |v: Decimal| v == target || minimum == Some(v);
        for w in tiers.windows(2) {
            if let (Some(end), next) = (w[0].to, &w[1]) {
                if next.from > end {
                    return Err(Problem::TiersLeaveGap {
                        range: format!("[{end}, {})", next.from),
                        fix: format!("start the next tier at {end}, where the one before ends"),
                    });
                }
            }
        }
        match direction {
            // Missed above the target: the tiers run from the target (or minimum) up, open-ended.
            Direction::AtMost => {
                if first.from > target && !starts(first.from) {
                    return Err(Problem::TiersLeaveGap {
                        range: format!("({target}, {})", first.from),
                        fix: format!(
                            "start the first tier at the target ({target}){}",
                            minimum.map_or(String::new(), |m| format!(" or the minimum ({m})"))
                        ),
                    });
                }
                if first.from < target {
                    return Err(Problem::TierCoversMet {
                        tier: 1,
                        value: first.from.to_string(),
                        target: target.to_string(),
                        fix: "start the first tier at the target",
                    });
                }
                if let Some(to) = last.to {
                    return Err(Problem::TiersLeaveGap {
                        range: format!("[{to}, ∞)"),
                        fix: "leave the last tier open-ended (no `to`)".to_string(),
                    });
                }
            }
            // Missed below the target: the tiers run from 0 up to the target (or minimum).
            Direction::AtLeast => {
                if first.from > Decimal::ZERO {
                    return Err(Problem::TiersLeaveGap {
                        range: format!("[0, {})", first.from),
                        fix: "start the first tier at 0".to_string(),
                    });
                }
                match last.to {
                    Some(to) if to < target && !starts(to) => {
                        return Err(Problem::TiersLeaveGap {
                            range: format!("[{to}, {target})"),
                            fix: format!(
                                "end the last tier at the target ({target}){}",
                                minimum.map_or(String::new(), |m| format!(" or the minimum ({m})"))
                            ),
                        })
                    }
                    Some(to) if to > target => {
                        return Err(Problem::TierCoversMet {
                            tier: tiers.len(),
                            value: to.to_string(),
                            target: target.to_string(),
                            fix: "end the last tier at the target",
                        })
                    }
                    None => {
                        return Err(Problem::TierCoversMet {
                            tier: tiers.len(),
                            value: "∞".to_string(),
                            target: target.to_string(),
                            fix: "end the last tier at the target",
                        })
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }

    fn check_slas(&self, slas: &[Sla], raw: &[Spanned<RawSla>]) -> R<()> {
        let span_of = |id: &str| raw.iter().find(|r| r.get_ref().id == id).map(|r| r.span()).unwrap_or(0..0);
        let mut ids = BTreeSet::new();
        for s in slas {
            if !ids.insert(s.id.as_str()) {
                return Err(self.err(
                    span_of(&s.id),
                    format!("sla[{}].id", s.id),
                    Problem::DuplicateId(s.id.clone(), "SLA"),
                ));
            }
        }
        let total: Decimal = slas
            .iter()
            .filter_map(|s| match &s.credit {
                Some(CreditShape::Allocation { allocation_percent }) => Some(*allocation_percent),
                _ => None,
            })
            .sum();
        if total > Decimal::ONE_HUNDRED {
            let last = slas.iter().rev().find(|s| matches!(s.credit, Some(CreditShape::Allocation { .. })));
            let span = last.map(|s| span_of(&s.id)).unwrap_or(0..0);
            return Err(self.err(
                span,
                "sla.credit.allocation_percent",
                Problem::AllocationsExceedPool { total: total.normalize().to_string() },
            ));
        }
        Ok(())
    }
}

struct Ctx<'a> {
    channels: &'a [String],
    queues: &'a [String],
}

/// Sets a metric definition's channels (the SLA's scope overrides the metric's default).
fn set_channels(m: &mut MetricDef, chs: Vec<String>) {
    use MetricDef::*;
    let slot = match m {
        Offered(s) | Answered(s) | Abandoned(s) | Asa(s) | ResponseTimeMean(s) | ResolutionTimeMean(s) => {
            &mut s.channels
        }
        ShortAbandoned(d) => &mut d.channels,
        AbandonmentRate(d) => &mut d.channels,
        ServiceLevel(d) => &mut d.channels,
        Aht(d) => &mut d.channels,
        Fcr(d) => &mut d.channels,
        Csat(d) => &mut d.channels,
        ResponseTime(d) | ResolutionTime(d) => &mut d.channels,
        ResponseTimePercentile(d) | ResolutionTimePercentile(d) => &mut d.channels,
        IntervalCompliance(d) => &mut d.channels,
        Availability(_) => return,
    };
    *slot = Some(chs);
}

/// The local date a period starts on.
pub fn period_date(contract: &Contract, period_start: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp_micros(period_start)
        .map(|t| t.with_timezone(&contract.zone).date_naive())
        .unwrap_or_default()
}

/// The start instant of the period labelled `label` (e.g. `2026-10`).
pub fn period_start_of(contract: &Contract, label: &str) -> Option<i64> {
    period::parse_label(contract.period, contract.zone, label)
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
        assert_eq!(c.terms[0].slas.len(), 8);
        let oct = c.terms_for(NaiveDate::from_ymd_opt(2026, 10, 1).unwrap_or_default());
        assert_eq!(oct.version, "AMD-1");
        assert_eq!(oct.slas.iter().find(|s| s.id == "SL-3").map(|s| s.target.to_string()), Some("92".to_string()));
    }
}
