//! What can be wrong with a contract: the error a run or `check` ends with, and the problem
//! with one key, each saying how to fix it (the word-for-word messages of
//! tests/bad_contracts/).

/// A contract that could not be read or makes no sense: names the file, the line and the key,
/// and says how to fix it.
pub type ContractError = crate::config_error::ConfigError<Box<Problem>>;

/// What is wrong with one key of a contract, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("unknown time zone \"{0}\"; use an IANA name such as \"America/New_York\"")]
    UnknownZone(String),
    #[error("{0}")]
    Calendar(String),
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
    #[error("\"{value}\" is not in [scope] {what} ({allowed}){hint}; name one of them, or add it to [scope] {what}")]
    NotInScope { what: &'static str, value: String, allowed: String, hint: String },
    #[error("\"{0}\" is not a channel; use voice, email, chat or social")]
    UnknownChannel(String),
    #[error("the id \"{0}\" is used twice; every {1} needs its own id: rename one")]
    DuplicateId(String, &'static str),
    #[error("{0} is priced twice; give each channel and direction (and outbound campaign) one [[pricing]] entry")]
    DuplicatePricing(String),
    #[error("\"{0}\" is not a direction; use inbound or outbound")]
    UnknownDirection(String),
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
    #[error("a QA or workforce SLA measures evaluations or agent hours, not contacts; it cannot take channels (a queue, yes, when the file has a queue column)")]
    SideScope,
    #[error("give either `per_minute` or `minute_tiers`, not both")]
    MinuteRateTwice,
    #[error(
        "per_connect prices outbound connects; add direction = \"outbound\" to this rate card, or use per_contact"
    )]
    ConnectOnInbound,
    #[error("a campaign rate card prices outbound attempts; add direction = \"outbound\" to this rate card, or remove campaign")]
    CampaignOnInbound,
    #[error("[scope.outbound] chooses the outbound attempts in scope, but [scope] directions leaves outbound out; add \"outbound\" to directions, or remove [scope.outbound]")]
    OutboundScopeWithoutOutbound,
    #[error("agent hours of channel {0} are priced on two rate cards; put per_logged_in_hour and per_productive_hour on one card of the channel")]
    HoursPricedTwice(String),
    #[error("volume_commitment.contacts must be a whole number of at least 1, got {0}")]
    BadCommitment(String),
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
    #[error("a dispute needs at least one stage, e.g. stages = [{{ name = \"operational_review\", days = 10 }}]")]
    NoDisputeStages,
    #[error(
        "\"{0}\" is not a stage name; use lower-case letters, digits and underscores (e.g. \"executive_escalation\")"
    )]
    BadStageName(String),
    #[error("must be between 1 and {max} days, got {got}")]
    DaysOutOfRange { max: u32, got: u32 },
    #[error("\"{0}\" is not an obligation kind; use \"deadline\" (between two timestamps of an event), \"count_limit\" (at most so many events per period), \"count_minimum\" (at least so many) or \"certification\" (valid through the period)")]
    BadObligationKind(String),
    #[error("\"{0}\" is not an event type; use {1}")]
    BadEventType(String, &'static str),
    #[error("\"{0}\" is not an event timestamp; use occurred_at, detected_at, notified_at or resolved_at")]
    BadEventTimestamp(String),
    #[error("a {kind} obligation {what}")]
    ObligationKeys { kind: &'static str, what: &'static str },
    #[error("give exactly one of per_event, per_hour_late, fixed or tiers (at least one tier)")]
    ObligationCreditNotOne,
    #[error("per_hour_late applies to deadline obligations only; use per_event or fixed")]
    PerHourNotDeadline,
    #[error("severity must be between 1 and 5, got {0}")]
    BadSeverity(u8),
    #[error("\"{0}\" is not a party; use \"client\" or \"provider\"")]
    BadParty(String),
    #[error(
        "give the fee of each contract year, e.g. fees = [\"60000\", \"40000\"] (the last applies to later years)"
    )]
    NoFees,
}

impl Problem {
    /// `value` is not among the contract's `allowed` channels or queues (`what`), with a
    /// "did you mean" for a near miss.
    pub(crate) fn not_in_scope(what: &'static str, value: &str, allowed: &[String]) -> Problem {
        Problem::NotInScope {
            what,
            value: value.to_string(),
            allowed: allowed.join(", "),
            hint: crate::util::did_you_mean(value, allowed.iter().map(String::as_str)),
        }
    }
}
