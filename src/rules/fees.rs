//! Fees: a period's billing volumes priced by the terms in force (minute tiers, per contact,
//! fixed fees, minimum charges), each line rounded once (docs/contract.md, "[[pricing]]").

use rust_decimal::Decimal;

use super::{InvoiceLine, Volume};
use crate::contract::{BillingIncrement, Contract, Terms};
use crate::money::{self, Overflow};

pub(super) fn invoice_lines(
    terms: &Terms,
    contract: &Contract,
    start: i64,
    volumes: &[Volume],
    hours_known: bool,
) -> Result<Vec<InvoiceLine>, Overflow> {
    let r = contract.rounding;
    let mut lines = Vec::new();
    for p in &terms.pricing {
        let v = volumes
            .iter()
            .find(|v| {
                v.period_start == start
                    && v.channel == p.channel
                    && v.direction == p.direction
                    && v.campaign == p.campaign
            })
            .cloned()
            .unwrap_or_default();
        // Outbound rate cards are kept apart from inbound ones: their lines and clauses say so.
        let (clause, prefix) = match (&p.campaign, p.direction.as_str()) {
            (_, "inbound") => (format!("pricing.{}", p.channel), String::new()),
            (Some(c), _) => (format!("pricing.{}.{}.{c}", p.channel, p.direction), format!("outbound {c} ")),
            (None, _) => (format!("pricing.{}.{}", p.channel, p.direction), "outbound ".to_string()),
        };
        let mut ch: Vec<InvoiceLine> = Vec::new();
        let line = |item: String, quantity: Decimal, rate: Decimal, amount: Decimal, clause: String| InvoiceLine {
            channel: p.channel.clone(),
            item: format!("{prefix}{item}"),
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
        // Rates per counted unit: (rate, units, line label, pricing key, what is multiplied).
        let per_unit = [
            (p.per_contact, v.handled, "handled contacts", "per_contact", "contacts × rate"),
            (p.per_connect, v.connects, "connects", "per_connect", "connects × rate"),
            (p.per_resolved, v.resolved, "resolved contacts", "per_resolved", "resolved contacts × rate"),
        ];
        for (rate, units, label, key, what) in per_unit {
            let Some(rate) = rate else { continue };
            let qty = Decimal::from(units);
            ch.push(line(
                label.to_string(),
                qty,
                rate,
                r.apply(money::mul(qty, rate, what)?),
                format!("{clause}.{key}"),
            ));
        }
        // Agent hours: Σ ms / 3,600,000 rounded half-even to 4 decimals (the quantity shown), then
        // hours × rate rounded once, so the line re-derives from what it shows. Without the
        // agent-hours file (optional in `[inputs]`) there is no line at all: a zero quantity
        // would read as measured (the run's assumptions say the hours are not billed).
        let hour_rates = [
            (p.per_logged_in_hour, v.logged_in_ms, "logged-in hours", "per_logged_in_hour"),
            (p.per_productive_hour, v.productive_ms, "productive hours", "per_productive_hour"),
        ];
        for (rate, ms, label, key) in hour_rates.into_iter().filter(|_| hours_known) {
            let Some(rate) = rate else { continue };
            let hours = money::ratio(Decimal::from(ms), Decimal::from(3_600_000), 4).unwrap_or_default();
            ch.push(line(
                label.to_string(),
                hours,
                rate,
                r.apply(money::mul(hours, rate, "hours × rate")?),
                format!("{clause}.{key}"),
            ));
        }
        if let Some(c) = p.volume_commitment {
            let short = c.contacts - Decimal::from(v.handled);
            if short > Decimal::ZERO {
                ch.push(line(
                    format!("volume commitment shortfall ({} committed; {} handled)", c.contacts, v.handled),
                    short,
                    c.shortfall_rate,
                    r.apply(money::mul(short, c.shortfall_rate, "contacts short × rate")?),
                    format!("{clause}.volume_commitment"),
                ));
            }
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
