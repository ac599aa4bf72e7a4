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

mod credit;
mod earn_back;
pub mod event_profile;
mod fees;
mod forecast;
mod judge;
pub mod obligation;
mod result;
mod termination;

use std::cmp::Ordering;
use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use earn_back::{close_credit, forfeit_earn_back, year_average_grant};
use fees::invoice_lines;
pub use forecast::{forecast_for, load_forecast, Forecast, ForecastFile};
use judge::judge;
pub use result::*;

use crate::contract::{Contract, Direction, EarnBack, NotAssessed, SlaKind};
use crate::metrics::definition::{MetricDef, Scope, Unit};
use crate::metrics::{period, MetricRow, MetricTable, ALL};
use crate::money::{self, Overflow};

/// Version of the assessment's JSON layout (docs/assessment.md).
pub(crate) const SCHEMA_VERSION: u32 = 1;

/// Errors of the rules stage.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    #[error(transparent)]
    Overflow(#[from] Overflow),
    #[error("forecast {path}:{line}: {message}")]
    Forecast { path: String, line: u64, message: String },
    #[error("events {path}:{line}: {message}")]
    Events { path: String, line: u64, message: String },
    #[error("events profile {path}: {message}")]
    EventProfile { path: String, message: String },
    #[error("event {event} (line {line} of the events log) has no {column}, which obligation {obligation} measures from; fill it in, or correct the event's type")]
    EventMissing { line: u64, event: String, column: &'static str, obligation: String },
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
    /// A suppression list was given (without one, allowed only when the contract marks it
    /// optional, suppression-hit SLAs are not measured).
    pub suppression_given: bool,
    /// Quality evaluations were given (`--qa`).
    pub qa_given: bool,
    /// Agent hours were given (`--agent-hours`).
    pub agent_hours_given: bool,
    /// Assumptions the caller made (the default `as_of`, the profile's defaults), listed first.
    pub assumptions: Vec<String>,
    /// Earlier periods' assessments (from the ledger), oldest first.
    pub history: Vec<PeriodAssessment>,
    /// The events log; `None` when none was given (allowed only when the contract marks it
    /// optional: then obligations are not measured).
    pub events: Option<Vec<obligation::Event>>,
}

/// The offered-contacts definition the run adds for volume relief (all contract channels).
pub fn volume_def(contract: &Contract) -> MetricDef {
    MetricDef::Offered(Scope { channels: Some(contract.channels.clone()), calendar: None })
}

/// The offered-contacts definition of one channel, for volume relief per channel.
pub fn channel_volume_def(channel: &str) -> MetricDef {
    MetricDef::Offered(Scope { channels: Some(vec![channel.to_string()]), calendar: None })
}

/// Every definition volume relief reads: all contract channels, and each channel alone.
pub(crate) fn volume_defs(contract: &Contract) -> Vec<MetricDef> {
    let mut v = vec![volume_def(contract)];
    v.extend(contract.channels.iter().map(|c| channel_volume_def(c)));
    v
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
pub(crate) fn compare(num: Decimal, den: Decimal, unit: Unit, threshold: Decimal) -> Result<Ordering, Overflow> {
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

/// One SLA's result in one period, as the rules remember it.
#[derive(Debug, Clone)]
struct Entry {
    period: String,
    status: Status,
    num: Option<Decimal>,
    den: Option<Decimal>,
    /// A calendar period with no assessment (a gap in the history): `not_measured`, so it
    /// breaks a run of misses and is no miss in a window (docs/contract.md, "History").
    gap: bool,
}

/// The labels of the calendar periods strictly between the period labelled `last` and the
/// one starting at `start`, oldest first (at most 120): the periods nobody assessed.
fn periods_between(c: &Contract, last: &str, start: i64) -> Vec<String> {
    let Some(last_start) = period::parse_label(c.period, c.zone, last) else { return Vec::new() };
    let mut out = Vec::new();
    let mut s = period::period_end(c.period, c.zone, last_start);
    while s < start && out.len() < 120 {
        out.push(period::label(c.period, c.zone, s));
        s = period::period_end(c.period, c.zone, s);
    }
    out
}

/// History counts calendar periods, not assessed ones: before judging the period at `start`,
/// every track and the cap hits get a gap entry for each period between their last entry and
/// this one (a month missing from the data is not "the previous period").
/// The entry's status follows `contract.not_assessed`. Returns the periods filled.
fn fill_gaps(
    c: &Contract,
    start: i64,
    tracks: &mut BTreeMap<String, Track>,
    cap_hits: &mut Vec<(String, bool)>,
) -> Vec<String> {
    let status = match c.not_assessed {
        NotAssessed::BreaksRun => Status::NotMeasured,
        NotAssessed::Missed => Status::Missed,
        NotAssessed::Met => Status::Met,
    };
    let mut filled = Vec::new();
    for t in tracks.values_mut() {
        let Some(last) = t.entries.last() else { continue };
        for period in periods_between(c, &last.period.clone(), start) {
            if !filled.contains(&period) {
                filled.push(period.clone());
            }
            t.entries.push(Entry { period, status, num: None, den: None, gap: true });
        }
    }
    if let Some((last, _)) = cap_hits.last() {
        for period in periods_between(c, &last.clone(), start) {
            cap_hits.push((period, false));
        }
    }
    filled.sort();
    filled
}

/// What later periods read of a period when it is their history (see the replay in
/// [`assess`]): each SLA's status, figures and credit, the cap, the earn-back returned and
/// forfeited. Two versions of a period with the same key judge every later period alike; the
/// ledger marks later periods stale only when it changes.
pub(crate) fn history_key(p: &PeriodAssessment) -> String {
    let mut key = format!("{}|{}|{}", p.period, p.cap_adjustment < Decimal::ZERO, p.credits_after_cap);
    for s in &p.slas {
        key += &format!(
            "|{} {} {:?} {:?} {}",
            s.sla_id,
            s.status.as_str(),
            s.numerator.map(|d| d.normalize()),
            s.denominator.map(|d| d.normalize()),
            s.credit.normalize()
        );
    }
    for e in &p.earn_back {
        key += &format!("|eb {} {} {}", e.sla_id, e.credit_period, e.amount.normalize());
    }
    for f in &p.earn_back_forfeited {
        key += &format!("|ff {} {}", f.sla_id, f.credit_period);
    }
    key
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
            t.entries.push(Entry {
                period: h.period.clone(),
                status: s.status,
                num: s.numerator,
                den: s.denominator,
                gap: false,
            });
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
    let mut gaps = Vec::new();
    for &start in &input.periods {
        gaps.extend(fill_gaps(c, start, &mut tracks, &mut cap_hits));
        let pa = assess_period(input, &index, start, &mut tracks, &mut cap_hits, &mut returnable, &mut events)?;
        periods.push(pa);
    }
    let mut assumptions = input.assumptions.clone();
    assumptions.extend(c.defaults.iter().cloned());
    if !gaps.is_empty() && c.not_assessed_defaulted {
        assumptions.push(format!(
            "{} not assessed (no data, or never run): a period without an assessment breaks a run of misses, is no miss in a window and forfeits an earn-back window (contract.not_assessed: breaks_run, the key is left out)",
            gaps.join(", ")
        ));
    }
    if c.needs_outages() && !input.outages_given {
        assumptions.push(
            "no outage log (--outages), which [inputs] marks optional: availability SLAs are not measured".to_string(),
        );
    }
    use crate::metrics::definition::SideInput;
    for (side, given, what) in [
        (SideInput::Qa, input.qa_given, "quality evaluations (--qa)"),
        (SideInput::AgentHours, input.agent_hours_given, "agent hours (--agent-hours)"),
    ] {
        if c.needs_side(side) && !given {
            assumptions.push(format!("no {what}, which [inputs] marks optional: the SLAs on them are not measured"));
        }
    }
    if c.needs_suppression() && !input.suppression_given {
        assumptions.push(
            "no suppression list (--suppression), which [inputs] marks optional: suppression-hit SLAs are not measured"
                .to_string(),
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
    for e in &mut events {
        // Every right is raised in an assessed period, whose bounds it is judged against.
        let bounds = periods.iter().find(|p| p.period == e.period).map(|p| (p.period_start, p.period_end));
        e.right = bounds.map(|b| termination::settle(c, input.events.as_deref(), e, b));
    }
    Ok(Assessment {
        schema_version: SCHEMA_VERSION,
        contract_id: c.id.clone(),
        currency: c.currency.clone(),
        time_zone: c.zone.name().to_string(),
        convenience: termination::convenience(c, periods.last().map(|p| p.period_end)),
        periods,
        termination_events: events,
        assumptions,
    })
}

/// How an explanation line starts when no forecast row covers an SLA's scope (the SLA is
/// judged without volume relief, and the run lists it among its assumptions).
const NO_FORECAST_ROW: &str = "no forecast row covers";

/// The invoice id of a period.
pub(crate) fn invoice_id(contract: &Contract, label: &str) -> String {
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
    let invoice = invoice_lines(terms, c, start, &input.volumes, input.agent_hours_given)?;
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
    // Obligations: credits of their own (outside the SLA pool and cap), each capped.
    let obligations = obligation::judge(c, input.events.as_deref(), start, end)?;
    let obligation_credits =
        r.apply(obligations.iter().try_fold(Decimal::ZERO, |a, o| money::add(a, o.credit, "the obligation credits"))?);
    let net_due =
        r.apply(money::add(money::add(fees, -net_credit, "the net due")?, -obligation_credits, "the net due")?);
    let fees = r.apply(fees);
    for o in obligations.iter().filter(|o| o.material_breach) {
        events.push(TerminationEvent {
            period: label.clone(),
            trigger: "material_breach".to_string(),
            sla_id: o.obligation_id.clone(),
            periods: vec![label.clone()],
            clause: o.clause.clone(),
            right: None,
        });
    }

    // Termination rights.
    cap_hits.push((label.clone(), cap_adjustment < Decimal::ZERO));
    termination::events(c, terms, &label, tracks, cap_hits, events);

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
        obligations,
        obligation_credits,
        net_due,
    })
}
