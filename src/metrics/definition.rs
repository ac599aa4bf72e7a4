//! Metric definitions as data: each metric with its named parameters, as a serde type that
//! metric files and contracts share. `docs/metrics.md` states the formula of every variant.
//!
//! One file on purpose (above 500 lines): the catalogue of definitions, their parameters,
//! defaults and checks, which docs/metrics.md mirrors section by section.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::schema::CHANNELS;

/// Channels answered in real time (a queue with waits and abandons).
pub const REALTIME: &[&str] = &["voice", "chat"];
/// Channels answered later (a first response within hours).
pub const DEFERRED: &[&str] = &["email", "social"];
/// The channel outbound metrics look at by default (outbound calling).
pub const OUTBOUND_DEFAULT: &[&str] = &["voice"];

fn d5() -> u32 {
    5
}
fn d_true() -> bool {
    true
}
fn d_day() -> u32 {
    86_400
}
fn d7() -> u32 {
    7
}
fn d30() -> u32 {
    30
}
fn d1() -> u32 {
    1
}
fn d_components() -> Vec<Component> {
    vec![Component::Talk, Component::Hold, Component::Wrap]
}

/// Contacts the metric looks at: channels (default depends on the metric).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scope {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channels: Option<Vec<String>>,
    /// Service calendar (`[[calendar]]` id): see docs/metrics.md, "Calendars".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<String>,
}

/// How abandoned contacts enter the service level. Names follow the industry variants.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AbandonTreatment {
    /// A≤T / (A + AB)
    CountAgainst,
    /// A≤T / (A + AB − AB≤T)
    IgnoreBeforeT,
    /// (A≤T + AB≤T) / (A + AB)
    MetBeforeT,
    /// A≤T / A
    AnsweredOnly,
    /// A≤T / (A + AB − SA) — the default.
    #[default]
    ExcludeShort,
    /// (A≤T + SA) / (A + AB)
    ShortMet,
}

/// Whether short abandons stay in the abandonment rate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShortAbandons {
    /// (AB − SA) / (offered − SA) — the default.
    #[default]
    Exclude,
    /// AB / offered.
    Include,
}

/// Parts of handle time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Component {
    Talk,
    Hold,
    Wrap,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FcrMethod {
    #[default]
    RepeatContact,
    Disposition,
}

/// Which later contacts count as a repeat.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RepeatScope {
    #[default]
    AnyChannel,
    SameChannel,
    SameQueue,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FcrDenominator {
    #[default]
    Handled,
    Offered,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CsatMeasure {
    /// Share of responses in the top two scores — the default.
    #[default]
    Top2Box,
    TopBox,
    Mean,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShortAbandonedDef {
    #[serde(default = "d5")]
    pub short_abandon_s: u32,
    #[serde(default)]
    pub short_inclusive: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channels: Option<Vec<String>>,
    /// Service calendar (`[[calendar]]` id): see docs/metrics.md, "Calendars".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AbandonmentDef {
    #[serde(default)]
    pub short_abandons: ShortAbandons,
    #[serde(default = "d5")]
    pub short_abandon_s: u32,
    #[serde(default)]
    pub short_inclusive: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channels: Option<Vec<String>>,
    /// Service calendar (`[[calendar]]` id): see docs/metrics.md, "Calendars".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceLevelDef {
    pub threshold_s: u32,
    #[serde(default)]
    pub abandons: AbandonTreatment,
    /// Answered at exactly T counts as within T.
    #[serde(default = "d_true")]
    pub inclusive: bool,
    #[serde(default = "d5")]
    pub short_abandon_s: u32,
    #[serde(default)]
    pub short_inclusive: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channels: Option<Vec<String>>,
    /// Service calendar (`[[calendar]]` id): see docs/metrics.md, "Calendars".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AhtDef {
    #[serde(default = "d_components")]
    pub components: Vec<Component>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channels: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FcrDef {
    #[serde(default)]
    pub method: FcrMethod,
    #[serde(default = "d7")]
    pub window_days: u32,
    #[serde(default)]
    pub scope: RepeatScope,
    #[serde(default)]
    pub denominator: FcrDenominator,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channels: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsatDef {
    #[serde(default)]
    pub measure: CsatMeasure,
    /// The score scale. The data's scale is declared once, in the ingest profile
    /// (`source.csat_scale`); a definition may repeat it, but naming another scale is an error
    /// ([`bind_csat_scale`]). `None` until bound to the profile's scale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<[i64; 2]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channels: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeferredDef {
    #[serde(default = "d_day")]
    pub threshold_s: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channels: Option<Vec<String>>,
    /// Service calendar (`[[calendar]]` id): see docs/metrics.md, "Calendars".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PercentileDef {
    pub percentile: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channels: Option<Vec<String>>,
    /// Service calendar (`[[calendar]]` id): see docs/metrics.md, "Calendars".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityDef {
    /// e.g. "Mon-Fri 08:00-20:00"; absent = all hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_hours: Option<String>,
    /// Outage scopes that count: "*" (all) by default, or a queue or channel name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Service calendar (`[[calendar]]` id): see docs/metrics.md, "Calendars".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntervalComplianceDef {
    #[serde(default = "d30")]
    pub interval_minutes: u32,
    /// Service-level target of each interval, in percent (a decimal string, e.g. "80").
    #[serde(with = "crate::money::decimal_string")]
    pub target_percent: Decimal,
    /// Intervals with fewer offered contacts are ignored.
    #[serde(default = "d1")]
    pub min_offered: u32,
    pub threshold_s: u32,
    #[serde(default)]
    pub abandons: AbandonTreatment,
    #[serde(default = "d_true")]
    pub inclusive: bool,
    #[serde(default = "d5")]
    pub short_abandon_s: u32,
    #[serde(default)]
    pub short_inclusive: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channels: Option<Vec<String>>,
    /// Service calendar (`[[calendar]]` id): see docs/metrics.md, "Calendars".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<String>,
}

/// Outbound attempts the metric looks at: channels (default voice) and campaigns (default all).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboundScope {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channels: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaigns: Option<Vec<String>>,
}

/// The window a dialler abandonment rate is measured over, per campaign.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AbandonWindow {
    /// Each campaign's each day (the contract's zone): Ofcom's 24-hour measure — the default.
    #[default]
    Day,
    /// Each campaign's rolling 30 days ending on each day of the period (the US
    /// Telemarketing Sales Rule's measure).
    #[serde(rename = "30_days")]
    Days30,
    /// The whole period, all campaigns pooled.
    Period,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiallerAbandonDef {
    #[serde(default)]
    pub window: AbandonWindow,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channels: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaigns: Option<Vec<String>>,
}

fn d_calling_hours() -> String {
    "Mon-Sun 08:00-21:00".to_string()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallingWindowDef {
    /// When attempts may be made, in the called party's local time.
    #[serde(default = "d_calling_hours")]
    pub hours: String,
    /// The zone of attempts without a `party_zone` (an IANA name); absent: such attempts stop
    /// the run (they cannot be shown to be inside the window).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unknown_zone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channels: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaigns: Option<Vec<String>>,
}

/// A metric read from a side table (quality evaluations, agent hours): no parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

fn d_pass() -> Decimal {
    Decimal::from(80)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QaPassDef {
    /// An evaluation passes at this share of its maximum score or more (percent), without a
    /// critical fail.
    #[serde(default = "d_pass", with = "crate::money::decimal_string")]
    pub pass_percent: Decimal,
}

/// An optional list of names (channels, campaigns): `None` for the default.
type Names = Option<Vec<String>>;

/// A metric with its parameters, e.g. `{ metric = "service_level", threshold_s = 20 }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "metric", rename_all = "snake_case")]
pub enum MetricDef {
    Offered(Scope),
    Answered(Scope),
    Abandoned(Scope),
    ShortAbandoned(ShortAbandonedDef),
    AbandonmentRate(AbandonmentDef),
    ServiceLevel(ServiceLevelDef),
    Asa(Scope),
    Aht(AhtDef),
    Fcr(FcrDef),
    Csat(CsatDef),
    ResponseTime(DeferredDef),
    ResponseTimeMean(Scope),
    ResponseTimePercentile(PercentileDef),
    ResolutionTime(DeferredDef),
    ResolutionTimeMean(Scope),
    ResolutionTimePercentile(PercentileDef),
    Availability(AvailabilityDef),
    IntervalCompliance(IntervalComplianceDef),
    OutboundAttempts(OutboundScope),
    OutboundConnects(OutboundScope),
    ContactRate(OutboundScope),
    RightPartyContactRate(OutboundScope),
    ConversionRate(OutboundScope),
    DiallerAbandonmentRate(DiallerAbandonDef),
    CallingWindowViolations(CallingWindowDef),
    SuppressionHits(OutboundScope),
    QaScore(NoParams),
    QaPassRate(QaPassDef),
    CriticalErrorRate(NoParams),
    ScheduleAdherence(NoParams),
    Occupancy(NoParams),
    Shrinkage(NoParams),
    LoggedInHours(NoParams),
    ProductiveHours(NoParams),
}

/// Every metric name callsla implements, in catalogue order (docs/metrics.md documents each).
pub const METRIC_NAMES: [&str; 34] = [
    "offered",
    "answered",
    "abandoned",
    "short_abandoned",
    "abandonment_rate",
    "service_level",
    "asa",
    "aht",
    "fcr",
    "csat",
    "response_time",
    "response_time_mean",
    "response_time_percentile",
    "resolution_time",
    "resolution_time_mean",
    "resolution_time_percentile",
    "availability",
    "interval_compliance",
    "outbound_attempts",
    "outbound_connects",
    "contact_rate",
    "right_party_contact_rate",
    "conversion_rate",
    "dialler_abandonment_rate",
    "calling_window_violations",
    "suppression_hits",
    "qa_score",
    "qa_pass_rate",
    "critical_error_rate",
    "schedule_adherence",
    "occupancy",
    "shrinkage",
    "logged_in_hours",
    "productive_hours",
];

/// One sentence per metric, in [`METRIC_NAMES`] order: what the figure is (docs/metrics.md has
/// every rule). The audit page's glossary is made of these.
pub const METRIC_MEANINGS: [(&str, &str); 34] = [
    ("offered", "Contacts offered: a count."),
    ("answered", "Contacts answered: a count."),
    ("abandoned", "Contacts not answered: a count."),
    ("short_abandoned", "Contacts abandoned within short_abandon_s of arrival (not short at exactly the limit unless short_inclusive)."),
    ("abandonment_rate", "Abandoned ÷ offered, in percent; by default short abandons are left out of both."),
    ("service_level", "Contacts answered within threshold_s of arrival ÷ contacts offered (abandons as the definition says), in percent."),
    ("asa", "Average speed of answer: Σ wait of answered contacts ÷ answered, in seconds."),
    ("aht", "Average handle time: Σ (talk + hold + wrap) of answered contacts ÷ answered, in seconds."),
    ("fcr", "First contact resolution: contacts not followed by another from the same customer within window_days (or marked resolved), in percent of settled contacts."),
    ("csat", "Customer satisfaction: top-box share (or mean) of survey responses on the data's scale."),
    ("response_time", "Deferred contacts (email, social) first answered within threshold_s of arrival, in percent; in business time with a calendar."),
    ("response_time_mean", "Mean time from arrival to first response of deferred contacts, in seconds."),
    ("response_time_percentile", "The nearest-rank percentile of first-response times of deferred contacts, in seconds."),
    ("resolution_time", "Deferred contacts resolved (ended) within threshold_s of arrival, in percent."),
    ("resolution_time_mean", "Mean time from arrival to resolution of deferred contacts, in seconds."),
    ("resolution_time_percentile", "The nearest-rank percentile of resolution times of deferred contacts, in seconds."),
    ("availability", "(Covered time − outage time) ÷ covered time, in percent, from the outage log; covered time is the service hours when given."),
    ("interval_compliance", "Intervals of the period meeting their service-level target ÷ intervals with enough contacts, in percent."),
    ("outbound_attempts", "Outbound dial attempts: a count."),
    ("outbound_connects", "Outbound attempts that reached a conversation (connected, right party or converted): a count."),
    ("contact_rate", "Connects ÷ attempts, in percent."),
    ("right_party_contact_rate", "Right-party contacts ÷ connects, in percent."),
    ("conversion_rate", "Converted ÷ right-party contacts, in percent."),
    ("dialler_abandonment_rate", "Dialler-abandoned ÷ live answers, in percent: the worst campaign-day (or rolling 30 days) of the period, as regulators measure it."),
    ("calling_window_violations", "Attempts dialled outside the permitted hours in the called party's own time zone: a count."),
    ("suppression_hits", "Attempts to numbers on the suppression list (matched by keyed hash): a count."),
    ("qa_score", "Σ points scored ÷ Σ points possible of quality evaluations, in percent."),
    ("qa_pass_rate", "Evaluations scoring at least pass_percent of the maximum with no critical fail ÷ evaluations, in percent."),
    ("critical_error_rate", "Evaluations with a critical fail ÷ evaluations, in percent."),
    ("schedule_adherence", "Σ adherent time ÷ Σ scheduled time of the agent hours, in percent."),
    ("occupancy", "Σ productive time ÷ Σ logged-in time, in percent."),
    ("shrinkage", "(Σ scheduled − Σ logged-in time) ÷ Σ scheduled time, in percent."),
    ("logged_in_hours", "Σ logged-in time of the agent hours, in hours."),
    ("productive_hours", "Σ productive time of the agent hours, in hours."),
];

/// The one-sentence meaning of a metric, for the glossary.
pub fn meaning(name: &str) -> Option<&'static str> {
    METRIC_MEANINGS.iter().find(|(n, _)| *n == name).map(|(_, m)| *m)
}

/// The side tables metrics read besides the contacts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SideInput {
    /// Quality evaluations (`--qa`).
    Qa,
    /// Agent hours (`--agent-hours`).
    AgentHours,
}

impl SideInput {
    /// The option that gives the table.
    pub fn option(self) -> &'static str {
        match self {
            SideInput::Qa => "--qa",
            SideInput::AgentHours => "--agent-hours",
        }
    }
}

/// What a metric's value measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Count,
    Percent,
    Seconds,
    Score,
    Hours,
}

impl Unit {
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "count",
            Unit::Percent => "percent",
            Unit::Seconds => "seconds",
            Unit::Score => "score",
            Unit::Hours => "hours",
        }
    }
}

/// A metric definition that makes no sense.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DefinitionError {
    #[error("{metric}: unknown channel \"{channel}\" in channels; use voice, email, chat or social")]
    UnknownChannel { metric: String, channel: String },
    #[error("{metric}: {param} must be {rule}, got {got}")]
    OutOfRange { metric: String, param: &'static str, rule: &'static str, got: String },
    #[error("{metric}: no calendar \"{calendar}\" (defined: {known}); add a [[calendar]] with that id")]
    UnknownCalendar { metric: String, calendar: String, known: String },
    #[error("{metric}: components must name at least one of talk, hold, wrap")]
    NoComponents { metric: String },
    #[error("{metric}: scale = [{}, {}] differs from the scale the profile declares for the data ({profile}: csat_scale = [{}, {}]); remove the metric's `scale` (the profile's is used) or correct the one that is wrong", named[0], named[1], declared[0], declared[1])]
    ScaleMismatch { metric: String, named: [i64; 2], declared: [i64; 2], profile: String },
}

/// Binds a CSAT definition to the scale the profile declares for the data: an unset scale
/// takes it, the same scale is kept, another scale is an error. Other metrics are unchanged.
pub fn bind_csat_scale(def: &mut MetricDef, declared: [i64; 2], profile: &str) -> Result<(), DefinitionError> {
    if let MetricDef::Csat(c) = def {
        match c.scale {
            None => c.scale = Some(declared),
            Some(named) if named == declared => {}
            Some(named) => {
                return Err(DefinitionError::ScaleMismatch {
                    metric: "csat".to_string(),
                    named,
                    declared,
                    profile: profile.to_string(),
                })
            }
        }
    }
    Ok(())
}

impl MetricDef {
    /// The metric's name, as in output rows and definition files.
    pub fn name(&self) -> &'static str {
        match self {
            MetricDef::Offered(_) => "offered",
            MetricDef::Answered(_) => "answered",
            MetricDef::Abandoned(_) => "abandoned",
            MetricDef::ShortAbandoned(_) => "short_abandoned",
            MetricDef::AbandonmentRate(_) => "abandonment_rate",
            MetricDef::ServiceLevel(_) => "service_level",
            MetricDef::Asa(_) => "asa",
            MetricDef::Aht(_) => "aht",
            MetricDef::Fcr(_) => "fcr",
            MetricDef::Csat(_) => "csat",
            MetricDef::ResponseTime(_) => "response_time",
            MetricDef::ResponseTimeMean(_) => "response_time_mean",
            MetricDef::ResponseTimePercentile(_) => "response_time_percentile",
            MetricDef::ResolutionTime(_) => "resolution_time",
            MetricDef::ResolutionTimeMean(_) => "resolution_time_mean",
            MetricDef::ResolutionTimePercentile(_) => "resolution_time_percentile",
            MetricDef::Availability(_) => "availability",
            MetricDef::IntervalCompliance(_) => "interval_compliance",
            MetricDef::OutboundAttempts(_) => "outbound_attempts",
            MetricDef::OutboundConnects(_) => "outbound_connects",
            MetricDef::ContactRate(_) => "contact_rate",
            MetricDef::RightPartyContactRate(_) => "right_party_contact_rate",
            MetricDef::ConversionRate(_) => "conversion_rate",
            MetricDef::DiallerAbandonmentRate(_) => "dialler_abandonment_rate",
            MetricDef::CallingWindowViolations(_) => "calling_window_violations",
            MetricDef::SuppressionHits(_) => "suppression_hits",
            MetricDef::QaScore(_) => "qa_score",
            MetricDef::QaPassRate(_) => "qa_pass_rate",
            MetricDef::CriticalErrorRate(_) => "critical_error_rate",
            MetricDef::ScheduleAdherence(_) => "schedule_adherence",
            MetricDef::Occupancy(_) => "occupancy",
            MetricDef::Shrinkage(_) => "shrinkage",
            MetricDef::LoggedInHours(_) => "logged_in_hours",
            MetricDef::ProductiveHours(_) => "productive_hours",
        }
    }

    pub fn unit(&self) -> Unit {
        match self {
            MetricDef::Offered(_)
            | MetricDef::Answered(_)
            | MetricDef::Abandoned(_)
            | MetricDef::ShortAbandoned(_)
            | MetricDef::OutboundAttempts(_)
            | MetricDef::OutboundConnects(_)
            | MetricDef::CallingWindowViolations(_)
            | MetricDef::SuppressionHits(_) => Unit::Count,
            MetricDef::Asa(_)
            | MetricDef::Aht(_)
            | MetricDef::ResponseTimeMean(_)
            | MetricDef::ResponseTimePercentile(_)
            | MetricDef::ResolutionTimeMean(_)
            | MetricDef::ResolutionTimePercentile(_) => Unit::Seconds,
            MetricDef::Csat(c) if c.measure == CsatMeasure::Mean => Unit::Score,
            MetricDef::LoggedInHours(_) | MetricDef::ProductiveHours(_) => Unit::Hours,
            _ => Unit::Percent,
        }
    }

    /// The channels the metric looks at when the definition names none.
    fn default_channels(&self) -> &'static [&'static str] {
        match self {
            MetricDef::Offered(_)
            | MetricDef::Answered(_)
            | MetricDef::Abandoned(_)
            | MetricDef::ShortAbandoned(_)
            | MetricDef::AbandonmentRate(_)
            | MetricDef::ServiceLevel(_)
            | MetricDef::Asa(_)
            | MetricDef::IntervalCompliance(_) => REALTIME,
            MetricDef::ResponseTime(_)
            | MetricDef::ResponseTimeMean(_)
            | MetricDef::ResponseTimePercentile(_)
            | MetricDef::ResolutionTime(_)
            | MetricDef::ResolutionTimeMean(_)
            | MetricDef::ResolutionTimePercentile(_) => DEFERRED,
            MetricDef::Aht(_) | MetricDef::Fcr(_) | MetricDef::Csat(_) | MetricDef::Availability(_) => CHANNELS,
            _ if self.side_table().is_some() => CHANNELS,
            // The outbound metrics (`outbound_scope`).
            _ => OUTBOUND_DEFAULT,
        }
    }

    fn channels_field(&self) -> Option<&Option<Vec<String>>> {
        match self {
            MetricDef::Offered(s)
            | MetricDef::Answered(s)
            | MetricDef::Abandoned(s)
            | MetricDef::Asa(s)
            | MetricDef::ResponseTimeMean(s)
            | MetricDef::ResolutionTimeMean(s) => Some(&s.channels),
            MetricDef::ShortAbandoned(d) => Some(&d.channels),
            MetricDef::AbandonmentRate(d) => Some(&d.channels),
            MetricDef::ServiceLevel(d) => Some(&d.channels),
            MetricDef::Aht(d) => Some(&d.channels),
            MetricDef::Fcr(d) => Some(&d.channels),
            MetricDef::Csat(d) => Some(&d.channels),
            MetricDef::ResponseTime(d) | MetricDef::ResolutionTime(d) => Some(&d.channels),
            MetricDef::ResponseTimePercentile(d) | MetricDef::ResolutionTimePercentile(d) => Some(&d.channels),
            MetricDef::IntervalCompliance(d) => Some(&d.channels),
            MetricDef::Availability(_) => None,
            _ if self.side_table().is_some() => None,
            _ => self.outbound_scope().map(|(channels, _)| channels),
        }
    }

    /// An outbound metric's channels and campaigns (`None` for the inbound metrics): the one
    /// place that lists the outbound metrics with their parameters.
    fn outbound_scope(&self) -> Option<(&Names, &Names)> {
        match self {
            MetricDef::OutboundAttempts(o)
            | MetricDef::OutboundConnects(o)
            | MetricDef::ContactRate(o)
            | MetricDef::RightPartyContactRate(o)
            | MetricDef::ConversionRate(o)
            | MetricDef::SuppressionHits(o) => Some((&o.channels, &o.campaigns)),
            MetricDef::DiallerAbandonmentRate(d) => Some((&d.channels, &d.campaigns)),
            MetricDef::CallingWindowViolations(d) => Some((&d.channels, &d.campaigns)),
            _ => None,
        }
    }

    /// The definition's own channel list, to set (`None` for availability, which has none).
    pub(crate) fn channels_mut(&mut self) -> Option<&mut Option<Vec<String>>> {
        use MetricDef::*;
        Some(match self {
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
            Availability(_) | QaScore(_) | QaPassRate(_) | CriticalErrorRate(_) | ScheduleAdherence(_)
            | Occupancy(_) | Shrinkage(_) | LoggedInHours(_) | ProductiveHours(_) => return None,
            OutboundAttempts(o)
            | OutboundConnects(o)
            | ContactRate(o)
            | RightPartyContactRate(o)
            | ConversionRate(o)
            | SuppressionHits(o) => &mut o.channels,
            DiallerAbandonmentRate(d) => &mut d.channels,
            CallingWindowViolations(d) => &mut d.channels,
        })
    }

    /// The service calendar the definition is measured in, if any.
    pub fn calendar(&self) -> Option<&str> {
        match self {
            MetricDef::Offered(s)
            | MetricDef::Answered(s)
            | MetricDef::Abandoned(s)
            | MetricDef::Asa(s)
            | MetricDef::ResponseTimeMean(s)
            | MetricDef::ResolutionTimeMean(s) => s.calendar.as_deref(),
            MetricDef::ShortAbandoned(d) => d.calendar.as_deref(),
            MetricDef::AbandonmentRate(d) => d.calendar.as_deref(),
            MetricDef::ServiceLevel(d) => d.calendar.as_deref(),
            MetricDef::ResponseTime(d) | MetricDef::ResolutionTime(d) => d.calendar.as_deref(),
            MetricDef::ResponseTimePercentile(d) | MetricDef::ResolutionTimePercentile(d) => d.calendar.as_deref(),
            MetricDef::IntervalCompliance(d) => d.calendar.as_deref(),
            MetricDef::Availability(d) => d.calendar.as_deref(),
            MetricDef::Aht(_) | MetricDef::Fcr(_) | MetricDef::Csat(_) => None,
            // Outbound attempts are not measured in a service calendar (calling windows are
            // the called party's hours, `calling_window_violations`).
            _ => None,
        }
    }

    /// Whether the metric measures outbound attempts (every other metric measures inbound
    /// contacts only).
    pub fn outbound(&self) -> bool {
        self.outbound_scope().is_some()
    }

    /// The side table a metric reads (`--qa` or `--agent-hours`), or `None` for the metrics of
    /// contacts and outages.
    pub fn side_table(&self) -> Option<SideInput> {
        match self {
            MetricDef::QaScore(_) | MetricDef::QaPassRate(_) | MetricDef::CriticalErrorRate(_) => Some(SideInput::Qa),
            MetricDef::ScheduleAdherence(_)
            | MetricDef::Occupancy(_)
            | MetricDef::Shrinkage(_)
            | MetricDef::LoggedInHours(_)
            | MetricDef::ProductiveHours(_) => Some(SideInput::AgentHours),
            _ => None,
        }
    }

    /// The campaigns an outbound metric looks at (`None`: all).
    pub fn campaigns(&self) -> Option<&[String]> {
        self.outbound_scope().and_then(|(_, campaigns)| campaigns.as_deref())
    }

    /// Whether the metric reads the attempts' `disposition`.
    pub fn reads_disposition(&self) -> bool {
        matches!(
            self,
            MetricDef::OutboundConnects(_)
                | MetricDef::ContactRate(_)
                | MetricDef::RightPartyContactRate(_)
                | MetricDef::ConversionRate(_)
                | MetricDef::DiallerAbandonmentRate(_)
        )
    }

    /// Whether the calendar measures elapsed business time (deferred channels) rather than
    /// selecting the contacts that arrive inside hours (real-time channels).
    pub fn elapsed_in_calendar(&self) -> bool {
        matches!(
            self,
            MetricDef::ResponseTime(_)
                | MetricDef::ResolutionTime(_)
                | MetricDef::ResponseTimeMean(_)
                | MetricDef::ResolutionTimeMean(_)
                | MetricDef::ResponseTimePercentile(_)
                | MetricDef::ResolutionTimePercentile(_)
        )
    }

    /// The channels this definition measures.
    pub fn channels(&self) -> Vec<String> {
        match self.channels_field() {
            Some(Some(c)) => c.clone(),
            _ => self.default_channels().iter().map(|s| s.to_string()).collect(),
        }
    }

    /// Checks parameter ranges and channel names.
    pub fn validate(&self) -> Result<(), DefinitionError> {
        let metric = self.name().to_string();
        for c in self.channels() {
            if !CHANNELS.contains(&c.as_str()) {
                return Err(DefinitionError::UnknownChannel { metric, channel: c });
            }
        }
        let range = |param: &'static str, rule: &'static str, got: String| DefinitionError::OutOfRange {
            metric: metric.clone(),
            param,
            rule,
            got,
        };
        match self {
            MetricDef::ResponseTimePercentile(p) | MetricDef::ResolutionTimePercentile(p)
                if p.percentile == 0 || p.percentile > 100 =>
            {
                Err(range("percentile", "between 1 and 100", p.percentile.to_string()))
            }
            MetricDef::Aht(a) if a.components.is_empty() => Err(DefinitionError::NoComponents { metric }),
            MetricDef::Fcr(f) if f.window_days == 0 || f.window_days > 366 => {
                Err(range("window_days", "between 1 and 366", f.window_days.to_string()))
            }
            MetricDef::Csat(CsatDef { scale: Some(sc), .. }) if sc[0] >= sc[1] => {
                Err(range("scale", "[low, high] with low < high", format!("{sc:?}")))
            }
            MetricDef::IntervalCompliance(i)
                if i.interval_minutes == 0 || 1440 % i.interval_minutes != 0 || i.interval_minutes < 5 =>
            {
                Err(range("interval_minutes", "a divisor of 1440 of at least 5", i.interval_minutes.to_string()))
            }
            MetricDef::IntervalCompliance(i)
                if i.target_percent < Decimal::ZERO || i.target_percent > Decimal::ONE_HUNDRED =>
            {
                Err(range("target_percent", "between 0 and 100", i.target_percent.to_string()))
            }
            MetricDef::CallingWindowViolations(w) if crate::time::calendar::WeeklyHours::parse(&w.hours).is_err() => {
                Err(range("hours", "weekly hours such as \"Mon-Sat 08:00-21:00\"", format!("{:?}", w.hours)))
            }
            MetricDef::CallingWindowViolations(CallingWindowDef { unknown_zone: Some(z), .. })
                if z.parse::<chrono_tz::Tz>().is_err() =>
            {
                Err(range("unknown_zone", "an IANA time zone such as Europe/London", format!("{z:?}")))
            }
            _ if self.campaigns().is_some_and(|c| c.is_empty()) => {
                Err(range("campaigns", "at least one campaign (leave it out for all)", "[]".into()))
            }
            MetricDef::Availability(a) if a.service_hours.is_some() && a.calendar.is_some() => Err(range(
                "service_hours",
                "absent when a calendar is given (the calendar holds the hours)",
                "both".into(),
            )),
            _ => Ok(()),
        }
    }

    /// Checks that the calendar the definition names is one of `known`.
    pub fn check_calendar(&self, known: &[&str]) -> Result<(), DefinitionError> {
        match self.calendar() {
            Some(c) if !known.contains(&c) => Err(DefinitionError::UnknownCalendar {
                metric: self.name().to_string(),
                calendar: c.to_string(),
                known: if known.is_empty() { "none is defined".into() } else { known.join(", ") },
            }),
            _ => Ok(()),
        }
    }

    /// The parameters in a compact, stable form: `key=value` pairs sorted by key, joined with
    /// `;`, every default spelled out, lists joined with `|`.
    pub fn definition(&self) -> String {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        let mut pairs: BTreeMap<String, String> = BTreeMap::new();
        if let Some(map) = v.as_object_mut() {
            map.remove("metric");
            for (k, val) in map.iter() {
                pairs.insert(k.clone(), flat(val));
            }
        }
        if self.channels_field().is_some() {
            pairs.insert("channels".to_string(), self.channels().join("|"));
        }
        pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(";")
    }
}

fn flat(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(a) => a.iter().map(flat).collect::<Vec<_>>().join("|"),
        other => other.to_string(),
    }
}

/// The default catalogue: what `callsla metrics` computes without `--metrics`.
pub fn default_catalogue() -> Vec<MetricDef> {
    let sl = |t| {
        MetricDef::ServiceLevel(ServiceLevelDef {
            threshold_s: t,
            abandons: AbandonTreatment::ExcludeShort,
            inclusive: true,
            short_abandon_s: 5,
            short_inclusive: false,
            channels: None,
            calendar: None,
        })
    };
    vec![
        MetricDef::Offered(Scope::default()),
        MetricDef::Answered(Scope::default()),
        MetricDef::Abandoned(Scope::default()),
        MetricDef::ShortAbandoned(ShortAbandonedDef {
            short_abandon_s: 5,
            short_inclusive: false,
            channels: None,
            calendar: None,
        }),
        MetricDef::AbandonmentRate(AbandonmentDef {
            short_abandons: ShortAbandons::Exclude,
            short_abandon_s: 5,
            short_inclusive: false,
            channels: None,
            calendar: None,
        }),
        sl(20),
        MetricDef::Asa(Scope::default()),
        MetricDef::Aht(AhtDef { components: d_components(), channels: None }),
        MetricDef::Fcr(FcrDef {
            method: FcrMethod::RepeatContact,
            window_days: 7,
            scope: RepeatScope::AnyChannel,
            denominator: FcrDenominator::Handled,
            channels: None,
        }),
        MetricDef::Csat(CsatDef { measure: CsatMeasure::Top2Box, scale: None, channels: None }),
        MetricDef::ResponseTime(DeferredDef { threshold_s: 86_400, channels: None, calendar: None }),
        MetricDef::ResponseTimeMean(Scope::default()),
        MetricDef::ResponseTimePercentile(PercentileDef { percentile: 90, channels: None, calendar: None }),
    ]
}

/// A metrics file: `[[metric]]` tables, each a [`MetricDef`].
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsFile {
    pub metric: Vec<MetricDef>,
    /// Service calendars the definitions may name (`calendar = "ID"`).
    #[serde(default)]
    pub calendar: Vec<crate::time::calendar::CalendarSpec>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_read_from_toml_with_defaults_and_print_compactly() {
        let text = r#"
[[metric]]
metric = "service_level"
threshold_s = 20
abandons = "count_against"

[[metric]]
metric = "fcr"
method = "disposition"
"#;
        let f: MetricsFile = toml::from_str(text).unwrap_or(MetricsFile { metric: vec![], calendar: vec![] });
        assert_eq!(f.metric.len(), 2);
        assert_eq!(
            f.metric[0].definition(),
            "abandons=count_against;channels=voice|chat;inclusive=true;short_abandon_s=5;short_inclusive=false;threshold_s=20"
        );
        assert_eq!(
            f.metric[1].definition(),
            "channels=voice|email|chat|social;denominator=handled;method=disposition;scope=any_channel;window_days=7"
        );
    }

    #[test]
    fn unknown_parameters_are_refused() {
        let text = "[[metric]]\nmetric = \"service_level\"\nthreshold_s = 20\nthreshhold = 3\n";
        let err = toml::from_str::<MetricsFile>(text).err().map(|e| e.message().to_string()).unwrap_or_default();
        assert!(err.contains("unknown field `threshhold`"), "{err}");
    }

    #[test]
    fn every_metric_has_a_meaning_in_order() {
        let names: Vec<&str> = METRIC_MEANINGS.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, METRIC_NAMES.to_vec());
        assert!(METRIC_MEANINGS.iter().all(|(_, m)| m.ends_with('.') && m.len() > 20));
    }

    #[test]
    fn every_name_is_listed() {
        for d in default_catalogue() {
            assert!(METRIC_NAMES.contains(&d.name()), "{}", d.name());
        }
    }
}
