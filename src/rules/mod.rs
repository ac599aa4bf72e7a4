//! Rules: validated contract + measured figures → an assessment in exact decimals.
//!
//! A pure function ([`assess`]) of the contract, the metric table, billing volumes and the
//! optional forecast and earlier periods' results. For every SLA and period it records the
//! achieved figure (as the exact numerator and denominator), the status, the credit before and
//! after escalation and caps, and the clause that produced it; per period the fees, the cap
//! adjustment, earn-back and the net amount the performance asks for; and termination events.
//! Documents, payments and late interest are the billing stage's (`crate::billing`).
//! Rounding happens only where docs/contract.md says: each invoice line, each credit line and
//! each earn-back line. Totals are sums of lines.

mod forecast;

use std::cmp::Ordering;
use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub use forecast::{forecast_for, load_forecast, Forecast, ForecastFile};

use crate::contract::{BillingIncrement, Contract, CreditShape, Direction, EarnBack, Sla, SlaKind, Terms};
use crate::metrics::definition::{MetricDef, Scope, Unit};
use crate::metrics::{period, MetricRow, MetricTable, ALL};
use crate::money::{self, Overflow};

/// Version of the assessment's JSON layout (docs/assessment.md).
pub const SCHEMA_VERSION: u32 = 1;

/// Errors of the rules stage.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    #[error(transparent)]
    Overflow(#[from] Overflow),
    #[error("forecast {path}:{line}: {message}")]
    Forecast { path: String, line: u64, message: String },
}

/// Billing volumes of one channel in one period (handled contacts and billable time).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Volume {
    pub period_start: i64,
    pub channel: String,
    pub handled: u64,
    /// Σ billable milliseconds (the pricing's `billable` components of handled contacts).
    pub billable_ms: i64,
    /// Σ per contact of billable time rounded up to whole minutes.
    pub started_minutes: i64,
}

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
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Met => "met",
            Status::Missed => "missed",
            Status::BelowMinimum => "below_minimum",
            Status::NotMeasured => "not_measured",
            Status::Excluded => "excluded",
            Status::Waived => "waived",
        }
    }

    pub fn is_miss(self) -> bool {
        matches!(self, Status::Missed | Status::BelowMinimum)
    }
}

/// One SLA in one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlaResult {
    pub sla_id: String,
    pub name: String,
    pub kind: String,
    pub metric: String,
    pub definition: String,
    pub queue: String,
    pub unit: String,
    pub direction: String,
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
    pub credit_shape: String,
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
    /// Plain-language steps from counts to money.
    pub explanation: Vec<String>,
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
    /// fees − net credit: what the period's own performance asks to be paid. The invoice
    /// document adds what it carries for others (restatements, late interest) and taxes.
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
    /// Every documented default and every missing optional input that affected a result, in
    /// words (docs/reliability.md, "Nothing silent").
    #[serde(default)]
    pub assumptions: Vec<String>,
}

/// What the rules judge.
#[derive(Debug, Clone)]
pub struct RulesInput<'a> {
    pub contract: &'a Contract,
    /// Metric table over in-scope contacts, grouped by queue (with the all-queues roll-up),
    /// holding every SLA's definition and [`volume_def`].
    pub metrics: &'a MetricTable,
    /// Period starts to assess, in order.
    pub periods: Vec<i64>,
    pub volumes: Vec<Volume>,
    /// The forecast; `None` when none was given (allowed only when the contract marks it
    /// optional: then SLAs volume relief could waive are not measured).
    pub forecast: Option<ForecastFile>,
    /// An outage log was given (without one, allowed only when the contract marks it optional,
    /// availability SLAs are not measured).
    pub outages_given: bool,
    /// Assumptions the caller made (the default `as_of`, the profile's defaults), listed first.
    pub assumptions: Vec<String>,
    /// Earlier periods' assessments (from the ledger), oldest first.
    pub history: Vec<PeriodAssessment>,
}

/// The offered-contacts definition the run adds for volume relief (all contract channels).
pub fn volume_def(contract: &Contract) -> MetricDef {
    MetricDef::Offered(Scope { channels: Some(contract.channels.clone()) })
}

/// The offered-contacts definition of one channel, for volume relief per channel.
pub fn channel_volume_def(channel: &str) -> MetricDef {
    MetricDef::Offered(Scope { channels: Some(vec![channel.to_string()]) })
}

/// Every definition volume relief reads: all contract channels, and each channel alone.
pub fn volume_defs(contract: &Contract) -> Vec<MetricDef> {
    let mut v = vec![volume_def(contract)];
    v.extend(contract.channels.iter().map(|c| channel_volume_def(c)));
    v
}

fn dir_str(d: Direction) -> &'static str {
    match d {
        Direction::AtLeast => "at_least",
        Direction::AtMost => "at_most",
    }
}

fn scale(unit: Unit) -> Decimal {
    if unit == Unit::Percent {
        Decimal::ONE_HUNDRED
    } else {
        Decimal::ONE
    }
}

/// Compares the achieved num/den (× 100 for percentages) with a threshold, exactly:
/// `num × scale` against `threshold × den`.
pub fn compare(num: Decimal, den: Decimal, unit: Unit, threshold: Decimal) -> Result<Ordering, Overflow> {
    if unit == Unit::Count {
        return Ok(num.cmp(&threshold));
    }
    let lhs = money::mul(num, scale(unit), "the achieved value")?;
    let rhs = money::mul(threshold, den, "the target times the denominator")?;
    Ok(lhs.cmp(&rhs))
}

/// The achieved value at full precision (for shortfalls and tiers).
fn achieved_exact(num: Decimal, den: Decimal, unit: Unit) -> Result<Decimal, Overflow> {
    if unit == Unit::Count {
        return Ok(num);
    }
    money::div(money::mul(num, scale(unit), "the achieved value")?, den, "the achieved value")
}

fn meets(direction: Direction, ord: Ordering) -> bool {
    match direction {
        Direction::AtLeast => ord != Ordering::Less,
        Direction::AtMost => ord != Ordering::Greater,
    }
}

/// The all-channel rows of the metric table by (period start, queue, metric name), built once
/// per assessment so finding an SLA's figure does not scan the whole table.
struct RowIndex<'m>(std::collections::HashMap<(i64, &'m str, &'m str), Vec<&'m MetricRow>>);

impl<'m> RowIndex<'m> {
    fn new(t: &'m MetricTable) -> RowIndex<'m> {
        let mut m: std::collections::HashMap<(i64, &'m str, &'m str), Vec<&'m MetricRow>> =
            std::collections::HashMap::new();
        for r in t.rows.iter().filter(|r| r.channel == ALL && r.agent == ALL) {
            m.entry((r.period_start, r.queue.as_str(), r.metric.as_str())).or_default().push(r);
        }
        RowIndex(m)
    }

    fn find(&self, start: i64, queue: &str, def: &MetricDef) -> Option<&'m MetricRow> {
        let definition = def.definition();
        self.0.get(&(start, queue, def.name()))?.iter().find(|r| r.definition == definition).copied()
    }
}

fn invoice_lines(
    terms: &Terms,
    contract: &Contract,
    start: i64,
    volumes: &[Volume],
) -> Result<Vec<InvoiceLine>, Overflow> {
    let r = contract.rounding;
    let mut lines = Vec::new();
    for p in &terms.pricing {
        let v = volumes.iter().find(|v| v.period_start == start && v.channel == p.channel).cloned().unwrap_or_default();
        let clause = format!("pricing.{}", p.channel);
        let mut ch: Vec<InvoiceLine> = Vec::new();
        let line = |item: String, quantity: Decimal, rate: Decimal, amount: Decimal, clause: String| InvoiceLine {
            channel: p.channel.clone(),
            item,
            quantity,
            rate,
            amount,
            clause,
        };
        if !p.minute_tiers.is_empty() {
            let minutes = match p.billing_increment {
                BillingIncrement::Second => {
                    money::div(Decimal::new(v.billable_ms, 3), Decimal::from(60), "billable minutes")?
                }
                BillingIncrement::StartedMinute => Decimal::from(v.started_minutes),
            };
            let mut done = Decimal::ZERO;
            for (i, (up_to, rate)) in p.minute_tiers.iter().enumerate() {
                let limit = up_to.unwrap_or(Decimal::MAX);
                let qty = minutes.min(limit) - done;
                if qty <= Decimal::ZERO {
                    break;
                }
                let amount = r.apply(money::mul(qty, *rate, "minutes × rate")?);
                let label = match up_to {
                    Some(u) if p.minute_tiers.len() > 1 => format!("handled minutes up to {u}"),
                    _ if i > 0 => "handled minutes beyond the tiers".to_string(),
                    _ => "handled minutes".to_string(),
                };
                ch.push(line(label, qty, *rate, amount, format!("{clause}.minute_tiers[{}]", i + 1)));
                done += qty;
            }
        }
        if let Some(rate) = p.per_contact {
            let qty = Decimal::from(v.handled);
            ch.push(line(
                "handled contacts".to_string(),
                qty,
                rate,
                r.apply(money::mul(qty, rate, "contacts × rate")?),
                format!("{clause}.per_contact"),
            ));
        }
        if let Some(fee) = p.monthly_fee {
            ch.push(line("fixed fee".to_string(), Decimal::ONE, fee, r.apply(fee), format!("{clause}.monthly_fee")));
        }
        let channel_total = ch.iter().try_fold(Decimal::ZERO, |a, l| money::add(a, l.amount, "the channel total"))?;
        if let Some(min) = p.minimum_charge {
            if channel_total < min {
                let top_up = r.apply(min - channel_total);
                ch.push(line(
                    "minimum charge top-up".to_string(),
                    Decimal::ONE,
                    top_up,
                    top_up,
                    format!("{clause}.minimum_charge"),
                ));
            }
        }
        lines.extend(ch);
    }
    Ok(lines)
}

/// One SLA's result in one period, as the rules remember it.
#[derive(Debug, Clone)]
struct Entry {
    period: String,
    status: Status,
    num: Option<Decimal>,
    den: Option<Decimal>,
}

/// Per-SLA history the rules need, oldest first.
#[derive(Debug, Clone, Default)]
struct Track {
    entries: Vec<Entry>,
    /// Credits not yet earned back: (period label, amount).
    open_credits: Vec<(String, Decimal)>,
}

/// Assesses the periods. The rules stage's one entry point.
pub fn assess(input: &RulesInput<'_>) -> Result<Assessment, RulesError> {
    let c = input.contract;
    let mut tracks: BTreeMap<String, Track> = BTreeMap::new();
    let mut cap_hits: Vec<(String, bool)> = Vec::new();
    // What each period's credits can still return: credits after the cap, less earn-back paid.
    let mut returnable: BTreeMap<String, Decimal> = BTreeMap::new();
    // Replay history: statuses, credits and what was already earned back.
    for h in &input.history {
        cap_hits.push((h.period.clone(), h.cap_adjustment < Decimal::ZERO));
        returnable.insert(h.period.clone(), h.credits_after_cap);
        for s in &h.slas {
            let t = tracks.entry(s.sla_id.clone()).or_default();
            t.entries.push(Entry { period: h.period.clone(), status: s.status, num: s.numerator, den: s.denominator });
            if s.credit > Decimal::ZERO {
                t.open_credits.push((h.period.clone(), s.credit));
            }
        }
        for e in &h.earn_back {
            if let Some(t) = tracks.get_mut(&e.sla_id) {
                close_credit(t, &e.credit_period);
            }
            if let Some(left) = returnable.get_mut(&e.credit_period) {
                *left -= e.amount;
            }
        }
        for f in &h.earn_back_forfeited {
            if let Some(t) = tracks.get_mut(&f.sla_id) {
                close_credit(t, &f.credit_period);
            }
        }
    }
    let mut periods = Vec::new();
    let mut events = Vec::new();
    let index = RowIndex::new(input.metrics);
    for &start in &input.periods {
        let pa = assess_period(input, &index, start, &mut tracks, &mut cap_hits, &mut returnable, &mut events)?;
        periods.push(pa);
    }
    let mut assumptions = input.assumptions.clone();
    assumptions.extend(c.defaults.iter().cloned());
    if c.needs_outages() && !input.outages_given {
        assumptions.push(
            "no outage log (--outages), which [inputs] marks optional: availability SLAs are not measured".to_string(),
        );
    }
    match &input.forecast {
        None if c.needs_forecast() => assumptions.push(
            "no forecast (--forecast), which [inputs] marks optional: SLAs volume relief could waive are not measured"
                .to_string(),
        ),
        Some(f) if f.without_channel && c.needs_forecast() => assumptions.push(
            "the forecast has no channel column: each row is read as all channels (channel *), so volume relief compares every channel's offered contacts"
                .to_string(),
        ),
        _ => {}
    }
    for p in &periods {
        for s in &p.slas {
            for line in s.explanation.iter().filter(|l| l.starts_with(NO_FORECAST_ROW)) {
                let a = format!("{} {}: {line}", p.period, s.sla_id);
                if !assumptions.contains(&a) {
                    assumptions.push(a);
                }
            }
        }
    }
    Ok(Assessment {
        schema_version: SCHEMA_VERSION,
        contract_id: c.id.clone(),
        currency: c.currency.clone(),
        time_zone: c.zone.name().to_string(),
        periods,
        termination_events: events,
        assumptions,
    })
}

/// How an explanation line starts when no forecast row covers an SLA's scope (the SLA is
/// judged without volume relief, and the run lists it among its assumptions).
const NO_FORECAST_ROW: &str = "no forecast row covers";

/// Credits whose earn-back can no longer happen after this period's results: for "the next N
/// periods met", a period inside the window that was not met (missed, not measured, waived or
/// excluded); for the year average, the year ended without its pooled figure meeting the
/// target. Each is closed (never returned later) and listed with its reason.
fn forfeit_earn_back(
    slas: &[Sla],
    tracks: &mut BTreeMap<String, Track>,
    label: &str,
    end: i64,
    c: &Contract,
) -> Result<Vec<ForfeitLine>, Overflow> {
    let mut out = Vec::new();
    for sla in slas {
        let Some(eb) = &sla.earn_back else { continue };
        let Some(t) = tracks.get_mut(&sla.id) else { continue };
        let Some(now) = t.entries.last().cloned() else { continue };
        let broken: Vec<(String, Decimal, String)> = match eb {
            EarnBack::NextPeriods(n) => {
                let n = *n as usize;
                let len = t.entries.len();
                t.open_credits
                    .iter()
                    .filter(|(p, _)| {
                        t.entries.iter().position(|e| &e.period == p).is_some_and(|i| {
                            // The current period is inside the credit's window and not met.
                            len - 1 > i && len - 1 <= i + n && now.status != Status::Met
                        })
                    })
                    .map(|(p, a)| {
                        (
                            p.clone(),
                            *a,
                            format!("{label} was {} (earn-back needs the next {n} period(s) met)", now.status.as_str()),
                        )
                    })
                    .collect()
            }
            EarnBack::YearAverage => {
                if !is_contract_year_end(c, end) {
                    continue;
                }
                let granted = year_average_grant(c, sla, end, t)?;
                let year_start = year_start_label(c, end);
                t.open_credits
                    .iter()
                    .filter(|(p, _)| *p >= year_start && !granted.iter().any(|(g, _)| g == p))
                    .map(|(p, a)| {
                        (p.clone(), *a, format!("the contract year ending {label} did not meet the target on average"))
                    })
                    .collect()
            }
        };
        for (p, amount, reason) in broken {
            close_credit(t, &p);
            out.push(ForfeitLine {
                sla_id: sla.id.clone(),
                credit_period: p,
                amount,
                reason,
                clause: format!("sla.{}.earn_back", sla.id),
            });
        }
    }
    Ok(out)
}

fn close_credit(t: &mut Track, period: &str) {
    t.open_credits.retain(|(p, _)| p != period);
}

/// The invoice id of a period.
pub fn invoice_id(contract: &Contract, label: &str) -> String {
    format!("{}-{label}", contract.id)
}

#[allow(clippy::too_many_lines)] // reason: one period's judgement, read top to bottom like the contract
fn assess_period(
    input: &RulesInput<'_>,
    index: &RowIndex<'_>,
    start: i64,
    tracks: &mut BTreeMap<String, Track>,
    cap_hits: &mut Vec<(String, bool)>,
    returnable: &mut BTreeMap<String, Decimal>,
    events: &mut Vec<TerminationEvent>,
) -> Result<PeriodAssessment, RulesError> {
    let c = input.contract;
    let r = c.rounding;
    let label = period::label(c.period, c.zone, start);
    let end = period::period_end(c.period, c.zone, start);
    let terms = c.terms_for(crate::contract::period_date(c, start));
    let invoice = invoice_lines(terms, c, start, &input.volumes)?;
    let fees = invoice.iter().try_fold(Decimal::ZERO, |a, l| money::add(a, l.amount, "the fees"))?;
    let at_risk =
        r.apply(money::mul(fees, terms.credits.at_risk_percent, "the at-risk amount")? / Decimal::ONE_HUNDRED);

    let mut slas = Vec::new();
    for sla in &terms.slas {
        slas.push(judge(input, index, terms, sla, start, &label, fees, at_risk, tracks)?);
    }
    let credits_before_cap = slas.iter().try_fold(Decimal::ZERO, |a, s| money::add(a, s.credit, "the credits"))?;
    // Sums of rounded lines are exact; `apply` only fixes their scale for display.
    let credits_before_cap = r.apply(credits_before_cap);
    let cap_adjustment = r.apply((at_risk - credits_before_cap).min(Decimal::ZERO));
    let credits_after_cap = r.apply(credits_before_cap + cap_adjustment);

    // Earn-back: return earlier credits whose condition is fulfilled now, never more than the
    // credit period actually charged after its cap (so cumulative net credits stay ≥ 0).
    let mut earn_back = Vec::new();
    for sla in &terms.slas {
        let Some(eb) = &sla.earn_back else { continue };
        let t = tracks.entry(sla.id.clone()).or_default();
        let granted: Vec<(String, Decimal)> = match eb {
            EarnBack::NextPeriods(n) => {
                let n = *n as usize;
                let len = t.entries.len();
                t.open_credits
                    .iter()
                    .filter(|(p, _)| {
                        // The credit period is n periods back and every period since was met.
                        t.entries.iter().position(|e| &e.period == p).is_some_and(|i| {
                            i + n == len - 1 && t.entries[i + 1..].iter().all(|e| e.status == Status::Met)
                        })
                    })
                    .cloned()
                    .collect()
            }
            EarnBack::YearAverage => year_average_grant(c, sla, end, t)?,
        };
        for (p, amount) in granted {
            close_credit(t, &p);
            let left = returnable.entry(p.clone()).or_insert(Decimal::ZERO);
            let amount = r.apply(amount.min(*left));
            *left -= amount;
            if amount > Decimal::ZERO {
                earn_back.push(EarnBackLine {
                    sla_id: sla.id.clone(),
                    credit_period: p,
                    amount,
                    clause: format!("sla.{}.earn_back", sla.id),
                });
            }
        }
    }
    let earn_back_forfeited = forfeit_earn_back(&terms.slas, tracks, &label, end, c)?;
    let earn_back_applied =
        r.apply(earn_back.iter().try_fold(Decimal::ZERO, |a, e| money::add(a, e.amount, "the earn-back"))?);
    returnable.insert(label.clone(), credits_after_cap);
    for s in &mut slas {
        s.earn_back = r.apply(earn_back.iter().filter(|e| e.sla_id == s.sla_id).map(|e| e.amount).sum());
        s.earn_back_forfeited =
            r.apply(earn_back_forfeited.iter().filter(|f| f.sla_id == s.sla_id).map(|f| f.amount).sum());
        for f in earn_back_forfeited.iter().filter(|f| f.sla_id == s.sla_id) {
            s.explanation
                .push(format!("earn-back of the {} credit of {} forfeited: {}", f.credit_period, f.amount, f.reason));
        }
    }
    let net_credit = r.apply(credits_after_cap - earn_back_applied);
    let net_due = r.apply(money::add(fees, -net_credit, "the net due")?);
    let fees = r.apply(fees);

    // Termination rights.
    cap_hits.push((label.clone(), cap_adjustment < Decimal::ZERO));
    for sla in terms.slas.iter().filter(|s| s.kind == SlaKind::Critical) {
        let Some(t) = tracks.get(&sla.id) else { continue };
        let misses: Vec<(&String, bool)> = t.entries.iter().map(|e| (&e.period, e.status.is_miss())).collect();
        if let Some(k) = c.termination.consecutive_misses {
            let k = k as usize;
            let streak = misses.iter().rev().take_while(|m| m.1).count();
            if streak == k {
                events.push(TerminationEvent {
                    period: label.clone(),
                    trigger: format!("missed {k} periods in a row"),
                    sla_id: sla.id.clone(),
                    periods: misses[misses.len() - k..].iter().map(|m| m.0.clone()).collect(),
                    clause: "termination.consecutive_misses".to_string(),
                });
            }
        }
        if let Some(w) = c.termination.misses_in_window {
            if let Some(ev) = window_event(&misses, w.count, w.window, &label) {
                events.push(TerminationEvent {
                    trigger: format!("missed {} of the last {} periods", w.count, w.window),
                    sla_id: sla.id.clone(),
                    clause: "termination.misses_in_window".to_string(),
                    ..ev
                });
            }
        }
    }
    if let Some(w) = c.termination.cap_hits_in_window {
        let hits: Vec<(&String, bool)> = cap_hits.iter().map(|(p, h)| (p, *h)).collect();
        if let Some(ev) = window_event(&hits, w.count, w.window, &label) {
            events.push(TerminationEvent {
                trigger: format!("credits reached the cap in {} of the last {} periods", w.count, w.window),
                sla_id: ALL.to_string(),
                clause: "termination.cap_hits_in_window".to_string(),
                ..ev
            });
        }
    }

    Ok(PeriodAssessment {
        period: label.clone(),
        period_start: start,
        period_end: end,
        terms_version: terms.version.clone(),
        invoice_id: invoice_id(c, &label),
        invoice,
        fees,
        at_risk_amount: at_risk,
        slas,
        credits_before_cap,
        cap_adjustment,
        credits_after_cap,
        earn_back,
        earn_back_applied,
        earn_back_forfeited,
        net_credit,
        net_due,
    })
}

/// An event when the current period is a hit and the last `window` periods hold `count`
/// hits for the first time (the previous window held fewer).
fn window_event(hits: &[(&String, bool)], count: u32, window: u32, label: &str) -> Option<TerminationEvent> {
    let (count, window) = (count as usize, window as usize);
    let last = hits.last()?;
    if !last.1 {
        return None;
    }
    let recent = &hits[hits.len().saturating_sub(window)..];
    let n = recent.iter().filter(|h| h.1).count();
    if n < count {
        return None;
    }
    let prev = &hits[..hits.len() - 1];
    let prev_n = prev[prev.len().saturating_sub(window)..].iter().filter(|h| h.1).count();
    if prev_n >= count {
        return None;
    }
    Some(TerminationEvent {
        period: label.to_string(),
        trigger: String::new(),
        sla_id: String::new(),
        periods: recent.iter().filter(|h| h.1).map(|h| h.0.clone()).collect(),
        clause: String::new(),
    })
}

/// The period ending at `end` is the last of a contract year (its end is an anniversary of
/// the effective date).
fn is_contract_year_end(c: &Contract, end: i64) -> bool {
    use chrono::Datelike;
    let end_date = crate::contract::period_date(c, end);
    end_date.month() == c.effective_from.month()
        && end_date.day() == c.effective_from.day()
        && end_date > c.effective_from
}

/// The label of the first period of the contract year that ends at `end`.
fn year_start_label(c: &Contract, end: i64) -> String {
    use chrono::Datelike;
    let end_date = crate::contract::period_date(c, end);
    let year_start = end_date.with_year(end_date.year() - 1).unwrap_or(c.effective_from);
    period::label(c.period, c.zone, period::local_midnight(c.zone, year_start))
}

/// Year-average earn-back: at the last period of a contract year, when the year's pooled
/// figure meets the target, every open credit of that year is returned.
fn year_average_grant(c: &Contract, sla: &Sla, end: i64, t: &Track) -> Result<Vec<(String, Decimal)>, Overflow> {
    if !is_contract_year_end(c, end) {
        return Ok(Vec::new());
    }
    let year_start_label = year_start_label(c, end);
    let in_year: Vec<_> = t.entries.iter().filter(|e| e.period >= year_start_label).collect();
    let (mut num, mut den) = (Decimal::ZERO, Decimal::ZERO);
    for e in &in_year {
        if let (Some(n), Some(d)) = (e.num, e.den) {
            num = money::add(num, n, "the year's numerator")?;
            den = money::add(den, d, "the year's denominator")?;
        }
    }
    if den.is_zero() && sla.unit() != Unit::Count {
        return Ok(Vec::new());
    }
    if !meets(sla.direction, compare(num, den, sla.unit(), sla.target)?) {
        return Ok(Vec::new());
    }
    Ok(t.open_credits.iter().filter(|(p, _)| *p >= year_start_label).cloned().collect())
}

#[allow(clippy::too_many_arguments)] // reason: the parts of one judgement, named
fn judge(
    input: &RulesInput<'_>,
    index: &RowIndex<'_>,
    terms: &Terms,
    sla: &Sla,
    start: i64,
    label: &str,
    fees: Decimal,
    at_risk: Decimal,
    tracks: &mut BTreeMap<String, Track>,
) -> Result<SlaResult, RulesError> {
    let c = input.contract;
    let r = c.rounding;
    let unit = sla.unit();
    let queue = sla.queue.clone().unwrap_or_else(|| ALL.to_string());
    let row = index.find(start, &queue, &sla.metric);
    let clause = format!("sla.{}", sla.id);
    let mut explanation = Vec::new();
    let (num, den) = row.map_or((None, None), |r| (r.numerator, r.denominator));
    let sample = row.map_or(0, |r| r.sample_size);
    explanation.push(match row {
        Some(r) => format!(
            "{} for {} ({}): {} = {} / {} from {} contacts",
            sla.metric.name(),
            label,
            if queue == ALL { "all in-scope queues".to_string() } else { format!("queue {queue}") },
            r.value.map(|v| v.to_string()).unwrap_or_else(|| "no data".to_string()),
            r.numerator.map(|v| v.to_string()).unwrap_or_default(),
            r.denominator.map(|v| v.to_string()).unwrap_or_else(|| "-".to_string()),
            r.sample_size
        ),
        None => format!("{} for {label}: no contacts measured", sla.metric.name()),
    });

    // Status.
    let excluded_window = c.exclusions.iter().any(|e| {
        e.start <= start
            && e.end >= period::period_end(c.period, c.zone, start)
            && e.queues.as_ref().is_none_or(|q| sla.queue.as_ref().is_none_or(|s| q.contains(s)))
    });
    let is_availability = matches!(sla.metric, MetricDef::Availability(_));
    let missing_input = if is_availability && !input.outages_given {
        Some("no outage log was given (--outages) and [inputs] marks it optional: not measured, no credit")
    } else if !is_availability && c.needs_forecast() && input.forecast.is_none() {
        Some("no forecast was given (--forecast) and [inputs] marks it optional, so volume relief cannot be judged: not measured, no credit")
    } else {
        None
    };
    let waived = missing_input.is_none()
        && !is_availability
        && volume_relief(input, index, sla, start, label, &queue, &mut explanation);
    let value_known = match (num, den, unit) {
        (Some(_), _, Unit::Count) => true,
        (Some(_), Some(d), _) => !d.is_zero(),
        _ => false,
    };
    let status = if excluded_window {
        explanation.push("the whole period lies in an agreed exclusion window".to_string());
        Status::Excluded
    } else if let Some(why) = missing_input {
        explanation.push(why.to_string());
        Status::NotMeasured
    } else if waived {
        Status::Waived
    } else if !value_known || sample < sla.min_sample {
        explanation.push(format!(
            "sample {sample} is below the minimum of {} (or no data): not measured, no credit",
            sla.min_sample
        ));
        Status::NotMeasured
    } else {
        let (n, d) = (num.unwrap_or_default(), den.unwrap_or(Decimal::ONE));
        if meets(sla.direction, compare(n, d, unit, sla.target)?) {
            explanation.push(format!(
                "target {} {}: met",
                if sla.direction == Direction::AtLeast { "≥" } else { "≤" },
                sla.target
            ));
            Status::Met
        } else if sla.minimum.is_some_and(|m| !meets(sla.direction, compare(n, d, unit, m).unwrap_or(Ordering::Equal)))
        {
            explanation.push(format!("below the minimum level {}", sla.minimum.unwrap_or_default()));
            Status::BelowMinimum
        } else {
            explanation.push(format!(
                "target {} {}: missed",
                if sla.direction == Direction::AtLeast { "≥" } else { "≤" },
                sla.target
            ));
            Status::Missed
        }
    };
    let achieved_full = match (num, den) {
        (Some(n), Some(d)) if value_known => Some(achieved_exact(n, d, unit)?),
        (Some(n), None) if unit == Unit::Count => Some(n),
        _ => None,
    };
    let shortfall = match (status, achieved_full) {
        (Status::Met, Some(_)) => Some(Decimal::ZERO),
        (s, Some(a)) if s.is_miss() => Some(match sla.direction {
            Direction::AtLeast => sla.target - a,
            Direction::AtMost => a - sla.target,
        }),
        _ => None,
    };

    // Credit.
    let mut credit_base = Decimal::ZERO;
    let mut factor = Decimal::ONE;
    let mut credit = r.apply(Decimal::ZERO);
    let mut shape_name = String::new();
    let mut clause_detail = clause.clone();
    let track = tracks.entry(sla.id.clone()).or_default();
    if let (SlaKind::Critical, Some(shape)) = (sla.kind, &sla.credit) {
        shape_name =
            serde_json::to_value(shape).ok().and_then(|v| v["shape"].as_str().map(str::to_string)).unwrap_or_default();
        if status.is_miss() {
            let (base, detail, text) = credit_by_shape(
                shape,
                sla,
                terms,
                fees,
                at_risk,
                achieved_full.unwrap_or_default(),
                shortfall.unwrap_or_default(),
            )?;
            credit_base = base;
            clause_detail = format!("{clause}.credit{detail}");
            explanation.push(text);
            if let Some(esc) = &sla.escalation {
                let k = esc.after_consecutive_misses as usize;
                let prior = track.entries.iter().rev().take(k).filter(|e| e.status.is_miss()).count();
                if track.entries.len() >= k && prior == k {
                    factor = esc.factor;
                    explanation.push(format!("also missed in the previous {k} period(s): escalated × {}", esc.factor));
                    clause_detail += &format!(", {clause}.escalation");
                }
            }
            let mut amount = money::mul(credit_base, factor, "the escalated credit")?;
            if let Some(cap) = sla.cap {
                if amount > cap {
                    explanation.push(format!("capped at the SLA's cap of {cap}"));
                    amount = cap;
                    clause_detail += &format!(", {clause}.cap");
                }
            }
            credit = r.apply(amount);
            explanation.push(format!(
                "credit {} {} (rounded {} to {} places)",
                credit,
                c.currency,
                r.strategy.as_str(),
                r.minor_units
            ));
        }
    }
    track.entries.push(Entry { period: label.to_string(), status, num, den });
    if credit > Decimal::ZERO && sla.earn_back.is_some() {
        track.open_credits.push((label.to_string(), credit));
    }

    let achieved = row.and_then(|r| r.value);
    Ok(SlaResult {
        sla_id: sla.id.clone(),
        name: sla.name.clone(),
        kind: if sla.kind == SlaKind::Critical { "critical" } else { "key" }.to_string(),
        metric: sla.metric.name().to_string(),
        definition: sla.metric.definition(),
        queue,
        unit: unit.as_str().to_string(),
        direction: dir_str(sla.direction).to_string(),
        numerator: num,
        denominator: den,
        achieved,
        target: sla.target,
        minimum: sla.minimum,
        sample_size: sample,
        min_sample: sla.min_sample,
        provisional: row.is_some_and(|r| r.provisional),
        status,
        shortfall: shortfall.map(|s| s.round_dp(4)),
        credit_shape: shape_name,
        credit_base: r.apply(credit_base),
        escalation_factor: factor,
        credit,
        earn_back: Decimal::ZERO,
        earn_back_forfeited: Decimal::ZERO,
        clause: clause_detail,
        explanation,
    })
}

/// Volume relief: waived when the offered contacts in the SLA's scope exceed the forecast for
/// that scope × (1 + tolerance). The scope is the SLA's channels and queue: per-channel
/// forecast rows for every one of its channels, or else a row for all channels (`*`, which
/// is then compared with every channel's offered contacts). With no row covering the scope,
/// the SLA is judged without relief and the run says so.
fn volume_relief(
    input: &RulesInput<'_>,
    index: &RowIndex<'_>,
    sla: &Sla,
    start: i64,
    label: &str,
    queue: &str,
    explanation: &mut Vec<String>,
) -> bool {
    let c = input.contract;
    let (Some(tol), Some(file)) = (c.volume_relief_tolerance_percent, &input.forecast) else { return false };
    let offered = |def: &MetricDef| index.find(start, queue, def).and_then(|r| r.numerator).unwrap_or_default();
    let channels = sla.metric.channels();
    let per_channel: Option<Vec<u64>> =
        channels.iter().map(|ch| forecast_for(file, label, ch, queue, &c.queues)).collect();
    let (forecast, actual, scope) = match per_channel {
        Some(f) if !channels.is_empty() => (
            f.iter().sum::<u64>(),
            channels.iter().map(|ch| offered(&channel_volume_def(ch))).sum::<Decimal>(),
            channels.join(", "),
        ),
        _ => match forecast_for(file, label, "*", queue, &c.queues) {
            Some(f) => (f, offered(&volume_def(c)), "all channels".to_string()),
            None => {
                explanation.push(format!(
                    "{NO_FORECAST_ROW} channel(s) {} in {} for {label}: judged without volume relief",
                    channels.join(", "),
                    if queue == ALL { "all queues".to_string() } else { format!("queue {queue}") }
                ));
                return false;
            }
        },
    };
    let limit = Decimal::from(forecast) * (Decimal::ONE_HUNDRED + tol) / Decimal::ONE_HUNDRED;
    if actual > limit {
        explanation.push(format!(
            "offered {actual} ({scope}) exceeds forecast {forecast} by more than {tol}% (limit {}): waived under volume relief",
            limit.normalize()
        ));
        true
    } else {
        explanation.push(format!(
            "offered {actual} ({scope}) is within forecast {forecast} + {tol}% (limit {}): no volume relief",
            limit.normalize()
        ));
        false
    }
}

/// The credit by its shape: (amount, clause detail, explanation).
fn credit_by_shape(
    shape: &CreditShape,
    sla: &Sla,
    terms: &Terms,
    fees: Decimal,
    at_risk: Decimal,
    achieved: Decimal,
    shortfall: Decimal,
) -> Result<(Decimal, String, String), Overflow> {
    let hundred = Decimal::ONE_HUNDRED;
    Ok(match shape {
        CreditShape::Allocation { allocation_percent } => {
            let pool = terms.credits.pool_percent;
            let amount = money::mul(
                money::mul(*allocation_percent, pool, "allocation × pool")? / hundred / hundred,
                at_risk,
                "the allocation credit",
            )?;
            (
                amount,
                ".allocation_percent".to_string(),
                format!(
                    "allocation {allocation_percent}% × pool {pool}% × at-risk amount {at_risk} = {}",
                    amount.normalize()
                ),
            )
        }
        CreditShape::Fixed { amount } => (*amount, ".amount".to_string(), format!("fixed credit of {amount} per miss")),
        CreditShape::PercentOfFees { percent } => {
            let amount = money::mul(*percent, fees, "percent of fees")? / hundred;
            (amount, ".percent".to_string(), format!("{percent}% of fees {fees} = {}", amount.normalize()))
        }
        CreditShape::Linear { per_point } => {
            let amount = money::mul(*per_point, shortfall, "the linear credit")?;
            (
                amount,
                ".per_point".to_string(),
                format!("shortfall {} × {per_point} per point = {}", shortfall.round_dp(6), amount.round_dp(6)),
            )
        }
        CreditShape::Tiers { tiers } => {
            let hit = tiers.iter().enumerate().find(|(_, t)| achieved >= t.from && t.to.is_none_or(|to| achieved < to));
            match hit {
                Some((i, t)) => {
                    let amount = match (t.amount, t.percent_of_at_risk) {
                        (Some(a), _) => a,
                        (None, Some(p)) => money::mul(p, at_risk, "the tier credit")? / hundred,
                        _ => Decimal::ZERO,
                    };
                    (
                        amount,
                        format!(".tiers[{}]", i + 1),
                        format!(
                            "achieved {} falls in tier {} [{}, {}): credit {}",
                            achieved.round_dp(4),
                            i + 1,
                            t.from,
                            t.to.map(|v| v.to_string()).unwrap_or_else(|| "∞".into()),
                            amount.normalize()
                        ),
                    )
                }
                // `check` refuses tiers that leave a missed value uncovered, except between the
                // target and the minimum when the tiers start at the minimum.
                None => (
                    Decimal::ZERO,
                    ".tiers".to_string(),
                    format!(
                        "achieved {} is missed but not below the minimum {}, where the tiers of {} start: no credit",
                        achieved.round_dp(4),
                        sla.minimum.map(|m| m.to_string()).unwrap_or_else(|| "-".to_string()),
                        sla.id
                    ),
                ),
            }
        }
    })
}
