//! The account in the ledger: the documents issued, the payments received and the interest
//! charged (schema version 3), recorded by each run and read back for the next run's billing
//! and for `statement`.

use rusqlite::{params, OptionalExtension};

use super::{Ledger, LedgerError};
use crate::billing::{AccountTerms, Billing, Document, PaymentRecord, Receivables};

impl Ledger {
    /// What the ledger knows of the contract's account: documents, payments, charged interest
    /// and pending restatements (from `first_period` on, see [`Ledger::pending_adjustments`]).
    pub(crate) fn receivables(&self, contract: &str, first_period: &str) -> Result<Receivables, LedgerError> {
        let mut out = Receivables {
            adjustments: self.pending_adjustments(contract, first_period)?,
            disputes: self.disputes(Some(contract))?,
            ..Default::default()
        };
        let mut stmt = self
            .conn
            .prepare("SELECT body, final FROM documents WHERE contract_id = ?1 ORDER BY issue_date, id")
            .map_err(|e| self.db_err(e))?;
        let rows = stmt
            .query_map(params![contract], |r| Ok((r.get::<_, String>(0)?, r.get::<_, bool>(1)?)))
            .map_err(|e| self.db_err(e))?;
        for row in rows {
            let (body, fin) = row.map_err(|e| self.db_err(e))?;
            let d: Document = serde_json::from_str(&body).map_err(|e| self.db_err(e))?;
            if fin {
                out.final_ids.push(d.id.clone());
            }
            out.documents.push(d);
        }
        let mut stmt = self
            .conn
            .prepare("SELECT body FROM interest_charges WHERE contract_id = ?1 ORDER BY to_date, document_id")
            .map_err(|e| self.db_err(e))?;
        let rows = stmt.query_map(params![contract], |r| r.get::<_, String>(0)).map_err(|e| self.db_err(e))?;
        for row in rows {
            out.interest.push(serde_json::from_str(&row.map_err(|e| self.db_err(e))?).map_err(|e| self.db_err(e))?);
        }
        let mut stmt = self
            .conn
            .prepare("SELECT payment_id, document_id, paid_date, amount FROM payments WHERE contract_id = ?1 ORDER BY paid_date, payment_id")
            .map_err(|e| self.db_err(e))?;
        let rows = stmt
            .query_map(params![contract], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
            })
            .map_err(|e| self.db_err(e))?;
        for row in rows {
            let (payment_id, document_id, date, amount) = row.map_err(|e| self.db_err(e))?;
            out.payments.push(PaymentRecord {
                payment_id,
                document_id,
                paid_date: date.parse().map_err(|e| self.db_err(e))?,
                amount: amount.parse().map_err(|e| self.db_err(e))?,
            });
        }
        Ok(out)
    }

    /// The account terms recorded for a contract (for `statement`).
    pub(crate) fn account_terms(&self, contract: &str) -> Result<Option<AccountTerms>, LedgerError> {
        let text: Option<String> = self
            .conn
            .query_row("SELECT terms FROM accounts WHERE contract_id = ?1", params![contract], |r| r.get(0))
            .optional()
            .map_err(|e| self.db_err(e))?;
        text.map(|t| serde_json::from_str(&t).map_err(|e| self.db_err(e))).transpose()
    }

    /// Contract ids with an account.
    pub(crate) fn contracts(&self) -> Result<Vec<String>, LedgerError> {
        let mut stmt =
            self.conn.prepare("SELECT contract_id FROM accounts ORDER BY contract_id").map_err(|e| self.db_err(e))?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(|e| self.db_err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.db_err(e))
    }

    /// Records what billing issued: the account terms, the documents (an open period's
    /// invoice is replaced; final documents never are), the interest they charge, and new
    /// payments; marks restatements as carried by the invoice that settles them.
    /// Returns the invoices whose content changed: (period, old total, new total).
    pub(super) fn record_billing(
        &self,
        terms: &AccountTerms,
        billing: &Billing,
    ) -> Result<Vec<(String, String, String)>, LedgerError> {
        let mut changed = Vec::new();
        let contract = terms.contract_id.as_str();
        let terms_json = serde_json::to_string(terms).map_err(|e| self.db_err(e))?;
        self.conn
            .execute(
                "INSERT OR REPLACE INTO accounts (contract_id, terms) VALUES (?1, ?2)",
                params![contract, terms_json],
            )
            .map_err(|e| self.db_err(e))?;
        for d in &billing.documents {
            let before: Option<(bool, String, String)> = self
                .conn
                .query_row(
                    "SELECT final, body, total FROM documents WHERE contract_id = ?1 AND id = ?2",
                    params![contract, d.id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()
                .map_err(|e| self.db_err(e))?;
            if before.as_ref().is_some_and(|b| b.0) {
                continue;
            }
            let body = serde_json::to_string(d).map_err(|e| self.db_err(e))?;
            if let Some((_, old_body, old_total)) = &before {
                if *old_body != body && d.kind == crate::billing::DocKind::Invoice {
                    changed.push((d.period.clone(), old_total.clone(), d.total.to_string()));
                }
            }
            // A note is final when issued; an invoice once its period is closed (a ledger from
            // before documents were kept may hold a closed period whose invoice is first
            // recorded now).
            let closed: bool = self
                .conn
                .query_row(
                    "SELECT COUNT(*) FROM periods WHERE contract_id = ?1 AND period = ?2 AND state = 'closed'",
                    params![contract, d.period],
                    |r| r.get::<_, i64>(0),
                )
                .map_err(|e| self.db_err(e))?
                > 0;
            let note = d.kind != crate::billing::DocKind::Invoice || closed;
            self.conn
                .execute(
                    "INSERT OR REPLACE INTO documents (contract_id, id, kind, period, issue_date, due_date, total, final, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    params![contract, d.id, d.kind.as_str(), d.period, d.issue_date.to_string(), d.due_date.to_string(), d.total.to_string(), note, body],
                )
                .map_err(|e| self.db_err(e))?;
            self.conn
                .execute(
                    "DELETE FROM interest_charges WHERE contract_id = ?1 AND charged_on = ?2",
                    params![contract, d.id],
                )
                .map_err(|e| self.db_err(e))?;
            for l in &d.lines {
                if let Some(id) = l.clause.strip_prefix("restatement #").and_then(|i| i.parse::<i64>().ok()) {
                    self.conn
                        .execute("UPDATE restatements SET applied_in_period = ?1 WHERE id = ?2", params![d.period, id])
                        .map_err(|e| self.db_err(e))?;
                }
            }
        }
        for ch in billing.interest.iter().filter(|ch| !ch.charged_on.is_empty()) {
            let body = serde_json::to_string(ch).map_err(|e| self.db_err(e))?;
            self.conn
                .execute(
                    "INSERT INTO interest_charges (contract_id, document_id, from_date, to_date, amount, charged_on, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![contract, ch.document_id, ch.from.to_string(), ch.to.to_string(), ch.amount.to_string(), ch.charged_on, body],
                )
                .map_err(|e| self.db_err(e))?;
        }
        for p in &billing.payments {
            self.conn
                .execute(
                    "INSERT OR IGNORE INTO payments (contract_id, payment_id, document_id, paid_date, amount) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![contract, p.payment_id, p.document_id, p.paid_date.to_string(), p.amount.to_string()],
                )
                .map_err(|e| self.db_err(e))?;
        }
        Ok(changed)
    }
}
