//! Reading the ledger without changing it: the stored periods, the termination rights on
//! record and the whole ledger as JSON (`history`, `ledger export`).

use super::*;

impl Ledger {
    /// Periods with state and money, for `callsla history`.
    pub(crate) fn periods(&self, contract: Option<&str>) -> Result<Vec<StoredPeriod>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT p.contract_id, p.period, p.state, p.fees, p.credits, p.net_due, p.closed_by, p.closed_at,
                        (SELECT COUNT(*) FROM restatements r WHERE r.contract_id = p.contract_id AND r.period = p.period),
                        (SELECT COUNT(*) FROM termination_events t WHERE t.contract_id = p.contract_id AND t.period = p.period),
                        p.provisional, p.provisional_accepted,
                        (SELECT d.total FROM documents d WHERE d.contract_id = p.contract_id AND d.kind = 'invoice' AND d.period = p.period),
                        p.stale
                 FROM periods p WHERE ?1 IS NULL OR p.contract_id = ?1 ORDER BY p.contract_id, p.period_start",
            )
            .map_err(|e| self.db_err(e))?;
        let rows = stmt
            .query_map(params![contract], |r| {
                Ok(StoredPeriod {
                    contract_id: r.get(0)?,
                    period: r.get(1)?,
                    state: r.get(2)?,
                    fees: r.get(3)?,
                    credits: r.get(4)?,
                    net_due: r.get(5)?,
                    closed_by: r.get(6)?,
                    closed_at: r.get(7)?,
                    restatements: r.get(8)?,
                    termination_events: r.get(9)?,
                    provisional: match (r.get::<_, bool>(10)?, r.get::<_, bool>(11)?) {
                        (_, true) => "accepted",
                        (true, false) => "yes",
                        (false, false) => "no",
                    }
                    .to_string(),
                    invoice_total: r.get::<_, Option<String>>(12)?.unwrap_or_default(),
                    stale: r.get::<_, Option<String>>(13)?.unwrap_or_default(),
                })
            })
            .map_err(|e| self.db_err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.db_err(e))
    }

    /// Termination events recorded for a contract.
    pub(crate) fn termination_events(
        &self,
        contract: Option<&str>,
    ) -> Result<Vec<(String, TerminationEvent)>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare("SELECT contract_id, period, sla_id, trigger, periods, clause, standing FROM termination_events WHERE ?1 IS NULL OR contract_id = ?1 ORDER BY contract_id, period, sla_id")
            .map_err(|e| self.db_err(e))?;
        let rows = stmt
            .query_map(params![contract], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    TerminationEvent {
                        period: r.get(1)?,
                        sla_id: r.get(2)?,
                        trigger: r.get(3)?,
                        periods: r.get::<_, String>(4)?.split(',').map(str::to_string).collect(),
                        clause: r.get(5)?,
                        right: serde_json::from_str(&r.get::<_, String>(6)?).ok(),
                    },
                ))
            })
            .map_err(|e| self.db_err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.db_err(e))
    }

    /// Everything in the ledger as JSON: periods (with state, assessment and manifest),
    /// restatements and termination events.
    pub(crate) fn export(&self) -> Result<serde_json::Value, LedgerError> {
        let mut stmt = self
            .conn
            .prepare("SELECT contract_id, period, state, closed_by, closed_at, assessment, manifest, provisional_accepted FROM periods ORDER BY contract_id, period_start")
            .map_err(|e| self.db_err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, bool>(7)?,
                ))
            })
            .map_err(|e| self.db_err(e))?;
        let mut periods = Vec::new();
        for row in rows {
            let (c, p, state, by, at, a, m, accepted) = row.map_err(|e| self.db_err(e))?;
            periods.push(serde_json::json!({
                "contract_id": c, "period": p, "state": state, "closed_by": by, "closed_at": at,
                "provisional_accepted": accepted,
                "assessment": serde_json::from_str::<serde_json::Value>(&a).map_err(|e| self.db_err(e))?,
                "manifest": serde_json::from_str::<serde_json::Value>(&m).unwrap_or(serde_json::Value::Null),
            }));
        }
        let mut stmt = self
            .conn
            .prepare("SELECT id, contract_id, period, old_net_due, new_net_due, difference, reason, restated_by, restated_at, applied_in_period FROM restatements ORDER BY id")
            .map_err(|e| self.db_err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(serde_json::json!({
                    "id": r.get::<_, i64>(0)?, "contract_id": r.get::<_, String>(1)?, "period": r.get::<_, String>(2)?,
                    "old_net_due": r.get::<_, String>(3)?, "new_net_due": r.get::<_, String>(4)?, "difference": r.get::<_, String>(5)?,
                    "reason": r.get::<_, String>(6)?, "restated_by": r.get::<_, String>(7)?, "restated_at": r.get::<_, String>(8)?,
                    "applied_in_period": r.get::<_, Option<String>>(9)?,
                }))
            })
            .map_err(|e| self.db_err(e))?;
        let restatements = rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.db_err(e))?;
        let events: Vec<serde_json::Value> = self
            .termination_events(None)?
            .into_iter()
            .map(|(c, e)| serde_json::json!({"contract_id": c, "event": e}))
            .collect();
        Ok(
            serde_json::json!({ "schema_version": SCHEMA_VERSION, "periods": periods, "restatements": restatements, "termination_events": events }),
        )
    }
}
