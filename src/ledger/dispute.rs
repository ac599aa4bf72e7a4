//! The dispute register in the ledger (schema version 4): each dispute as recorded, with every
//! step, and the note its resolution issues, written in one transaction.

use rusqlite::{params, OptionalExtension};

use super::{Ledger, LedgerError};
use crate::billing::dispute::Dispute;
use crate::billing::Document;

impl Ledger {
    /// A recorded document of the contract.
    pub(crate) fn document(&self, contract: &str, id: &str) -> Result<Option<Document>, LedgerError> {
        let body: Option<String> = self
            .conn
            .query_row("SELECT body FROM documents WHERE contract_id = ?1 AND id = ?2", params![contract, id], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| self.db_err(e))?;
        body.map(|b| serde_json::from_str(&b).map_err(|e| self.db_err(e))).transpose()
    }

    /// How many recorded documents correct `id` (to number a new note).
    pub(crate) fn notes_on(&self, contract: &str, id: &str) -> Result<usize, LedgerError> {
        let mut stmt =
            self.conn.prepare("SELECT body FROM documents WHERE contract_id = ?1").map_err(|e| self.db_err(e))?;
        let rows = stmt.query_map(params![contract], |r| r.get::<_, String>(0)).map_err(|e| self.db_err(e))?;
        let mut n = 0;
        for row in rows {
            let d: Document = serde_json::from_str(&row.map_err(|e| self.db_err(e))?).map_err(|e| self.db_err(e))?;
            n += usize::from(d.references == id);
        }
        Ok(n)
    }

    /// The next dispute id of the contract (1, 2, …).
    pub(crate) fn next_dispute_id(&self, contract: &str) -> Result<i64, LedgerError> {
        self.conn
            .query_row("SELECT COALESCE(MAX(id), 0) + 1 FROM disputes WHERE contract_id = ?1", params![contract], |r| {
                r.get(0)
            })
            .map_err(|e| self.db_err(e))
    }

    /// The disputes of a contract (or of every contract), by contract and id.
    pub(crate) fn disputes(&self, contract: Option<&str>) -> Result<Vec<Dispute>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare("SELECT body FROM disputes WHERE ?1 IS NULL OR contract_id = ?1 ORDER BY contract_id, id")
            .map_err(|e| self.db_err(e))?;
        let rows = stmt.query_map(params![contract], |r| r.get::<_, String>(0)).map_err(|e| self.db_err(e))?;
        let mut out = Vec::new();
        for row in rows {
            out.push(serde_json::from_str(&row.map_err(|e| self.db_err(e))?).map_err(|e| self.db_err(e))?);
        }
        Ok(out)
    }

    /// Records a dispute as it now stands and, when its resolution issues one, the note (final
    /// from the start, as every note), then commits.
    pub(crate) fn record_dispute(self, d: &Dispute, note: Option<&Document>) -> Result<(), LedgerError> {
        let body = serde_json::to_string(d).map_err(|e| self.db_err(e))?;
        let state = if d.resolved_at.is_some() { "resolved" } else { "open" };
        self.conn
            .execute(
                "INSERT OR REPLACE INTO disputes (contract_id, id, document_id, state, body) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![d.contract_id, d.id, d.document_id, state, body],
            )
            .map_err(|e| self.db_err(e))?;
        if let Some(n) = note {
            let body = serde_json::to_string(n).map_err(|e| self.db_err(e))?;
            self.conn
                .execute(
                    "INSERT INTO documents (contract_id, id, kind, period, issue_date, due_date, total, final, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8)",
                    params![
                        n.contract_id,
                        n.id,
                        n.kind.as_str(),
                        n.period,
                        n.issue_date.to_string(),
                        n.due_date.to_string(),
                        n.total.to_string(),
                        body
                    ],
                )
                .map_err(|e| self.db_err(e))?;
        }
        self.finish()
    }
}
