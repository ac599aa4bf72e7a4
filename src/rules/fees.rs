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
) -> Result<Vec<InvoiceLine>, Overflow> {
    let r = contract.rounding;
    let mut lines = Vec::new();
    for p in &terms.pricing {
        let v = volumes
            .iter()
            .find(|v| v.period_start == start && v.channel == p.channel && v.direction == p.direction)
            .cloned()
            .unwrap_or_default();
        // Outbound rate cards are kept apart from inbound ones: their lines and clauses say so.
        let (clause, prefix) = if p.direction == "inbound" {
            (format!("pricing.{}", p.channel), "")
        } else {
            (format!("pricing.{}.{}", p.channel, p.direction), "outbound ")
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
