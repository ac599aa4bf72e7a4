//! Earn-back: returning earlier credits when the SLA is met in the next periods or over the
//! contract year, and forfeiting those whose window broke (docs/contract.md, "Earn-back").

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::{compare, meets, ForfeitLine, Status, Track};
use crate::contract::{Contract, EarnBack, Sla};
use crate::metrics::definition::Unit;
use crate::metrics::period;
use crate::money::{self, Overflow};

/// Credits whose earn-back can no longer happen after this period's results: for "the next N
/// periods met", a period inside the window that was not met (missed, not measured, waived or
/// excluded); for the year average, the year ended without its pooled figure meeting the
/// target. Each is closed (never returned later) and listed with its reason.
pub(super) fn forfeit_earn_back(
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
        if t.entries.is_empty() {
            continue;
        }
        let broken: Vec<(String, Decimal, String)> = match eb {
            EarnBack::NextPeriods(n) => {
                let n = *n as usize;
                let len = t.entries.len();
                t.open_credits
                    .iter()
                    .filter_map(|(p, a)| {
                        let i = t.entries.iter().position(|e| &e.period == p)?;
                        // The current period is inside the credit's window, and a period of the
                        // window so far was not met (a calendar period with no assessment
                        // included: history counts calendar periods).
                        if len - 1 <= i || len - 1 > i + n {
                            return None;
                        }
                        let bad = t.entries[i + 1..].iter().find(|e| e.status != Status::Met)?;
                        let what = if bad.gap { "not assessed".to_string() } else { bad.status.as_str().to_string() };
                        Some((
                            p.clone(),
                            *a,
                            format!("{} was {what} (earn-back needs the next {n} period(s) met)", bad.period),
                        ))
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

pub(super) fn close_credit(t: &mut Track, period: &str) {
    t.open_credits.retain(|(p, _)| p != period);
}

/// The period ending at `end` is the last of a contract year (its end is an anniversary of
/// the effective date).
pub(super) fn is_contract_year_end(c: &Contract, end: i64) -> bool {
    use chrono::Datelike;
    let end_date = crate::contract::period_date(c, end);
    end_date.month() == c.effective_from.month()
        && end_date.day() == c.effective_from.day()
        && end_date > c.effective_from
}

/// The label of the first period of the contract year that ends at `end`.
pub(super) fn year_start_label(c: &Contract, end: i64) -> String {
    use chrono::Datelike;
    let end_date = crate::contract::period_date(c, end);
    let year_start = end_date.with_year(end_date.year() - 1).unwrap_or(c.effective_from);
    period::label(c.period, c.zone, period::local_midnight(c.zone, year_start))
}

/// Year-average earn-back: at the last period of a contract year, when the year's pooled
/// figure meets the target, every open credit of that year is returned.
pub(super) fn year_average_grant(
    c: &Contract,
    sla: &Sla,
    end: i64,
    t: &Track,
) -> Result<Vec<(String, Decimal)>, Overflow> {
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
