//! Credit shapes: how a missed critical SLA turns into money (docs/contract.md, "Credit
//! shapes"): allocation of the pool, fixed, percent of fees, tiers, linear per point.

use rust_decimal::Decimal;

use crate::contract::{CreditShape, Sla, Terms};
use crate::money::{self, Overflow};

/// The credit by its shape: (amount, clause detail, explanation).
pub(super) fn credit_by_shape(
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
