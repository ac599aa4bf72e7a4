//! The ledger: month after month in an embedded SQLite database.
//!
//! Stores, per contract and period, the assessment results, the run's manifest and the
//! period's state (open or closed), so that later runs read earlier periods' results for
//! earn-back, escalation and chronic failure instead of re-reading old logs, closed periods stay
//! as invoiced, and restatements are kept on the record. A run holds one write transaction
//! from start to end (`BEGIN IMMEDIATE`), so a second run against the same ledger gets a clear
//! "ledger busy" error and a crash leaves the ledger as it was. The schema is versioned
//! (`meta.schema_version`) and migrated on open; docs/ledger.md documents it.
//!
//! Here: opening, migrating and the write transaction (record, plan, close, restate). The
//! schema and its migrations are in `schema.rs`, read-only queries in `query.rs`, the account
//! tables (documents, payments) in `account.rs`.

mod account;
mod dispute;
mod query;
mod schema;

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::billing::{AccountTerms, AdjustmentLine, Billing};
use crate::rules::{PeriodAssessment, TerminationEvent};

use schema::MIGRATIONS;
pub(crate) use schema::SCHEMA_VERSION;

/// Errors of the ledger.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("ledger busy: another callsla command is writing {0}; wait for it to finish and try again")]
    Busy(String),
    #[error("ledger {path}: {message}")]
    Db { path: String, message: String },
    #[error("ledger {path} has schema version {found}, newer than this callsla understands ({SCHEMA_VERSION}); upgrade callsla")]
    TooNew { path: String, found: i64 },
    #[error("period {period} of contract {contract} is closed and its results would change (net due {old} → {new}); to restate it pass --restate --reason \"...\" (and --by, --at)")]
    ClosedChanged { contract: String, period: String, old: String, new: String },
    #[error("period {period} of contract {contract} is not in the ledger; run it first")]
    UnknownPeriod { contract: String, period: String },
    #[error("period {period} of contract {contract} has provisional results ({slas}: windows or deadlines still open at the data's as-of instant); re-run it once the data covers them, or close it with --accept-provisional (recorded in the ledger)")]
    Provisional { contract: String, period: String, slas: String },
    #[error("cannot read {path}: {message}")]
    Read { path: String, message: String },
    #[error("period {period} of contract {contract} is stale: {reason}; re-run {period} (its escalation, earn-back and termination counts depend on the earlier period) and close it then")]
    Stale { contract: String, period: String, reason: String },
}

/// What recording a run did: each period's change, and the later periods already in the
/// ledger that were assessed without this run's periods (now marked stale).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Committed {
    pub changes: Vec<(String, Change)>,
    /// (period, why it is stale): a period assessed before an earlier one was added or
    /// changed; `close` refuses it until it is run again.
    pub stale: Vec<(String, String)>,
}

/// What a run did to one period in the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Change {
    /// Recorded for the first time.
    Added,
    /// Same results as recorded: nothing changed.
    Unchanged,
    /// An open period's results were replaced.
    Replaced { old_net_due: String, new_net_due: String },
    /// A closed period was restated: both versions are kept.
    Restated { id: i64, difference: String },
    /// The period's results stand, but its open invoice was re-issued with other lines.
    InvoiceReplaced { old_total: String, new_total: String },
}

/// Who restates, why and when (from options, never the clock unless asked).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Restatement {
    pub reason: String,
    pub by: String,
    pub at: String,
}

/// A period as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct StoredPeriod {
    pub contract_id: String,
    pub period: String,
    pub state: String,
    pub fees: String,
    pub credits: String,
    pub net_due: String,
    pub restatements: i64,
    pub termination_events: i64,
    pub closed_by: Option<String>,
    pub closed_at: Option<String>,
    /// `no`, `yes` (some results provisional), or `accepted` (closed with
    /// `--accept-provisional`).
    pub provisional: String,
    /// The total of the period's invoice as issued (net due plus what it carries for other
    /// documents, plus tax); empty when no invoice is recorded.
    pub invoice_total: String,
    /// Empty, or why the period's results are stale (an earlier period was added or changed
    /// after it was assessed); `close` refuses a stale period.
    pub stale: String,
}

/// An open ledger holding the write lock until [`Ledger::commit`] or drop.
pub(crate) struct Ledger {
    conn: Connection,
    path: PathBuf,
}

fn sha(text: &str) -> String {
    crate::util::sha256_hex(text.as_bytes())
}

impl Ledger {
    fn db_err(&self, e: impl std::fmt::Display) -> LedgerError {
        LedgerError::Db { path: self.path.display().to_string(), message: e.to_string() }
    }

    /// Opens (creating and migrating if needed) and takes the write lock.
    pub(crate) fn open(path: &Path) -> Result<Ledger, LedgerError> {
        let shown = path.display().to_string();
        let conn =
            Connection::open(path).map_err(|e| LedgerError::Db { path: shown.clone(), message: e.to_string() })?;
        conn.busy_timeout(std::time::Duration::from_millis(500))
            .map_err(|e| LedgerError::Db { path: shown.clone(), message: e.to_string() })?;
        let ledger = Ledger { conn, path: path.to_path_buf() };
        ledger.wal()?;
        ledger.begin()?;
        ledger.migrate()?;
        Ok(ledger)
    }

    /// Opens for reading only (`history`, `statement`, `ledger export`, the dispute list): a
    /// read transaction on a snapshot, so a reader never waits for a run that is writing
    /// (write-ahead log) and never takes the write lock. A ledger of an older schema is opened
    /// for writing instead, once, to migrate it.
    pub(crate) fn open_read(path: &Path) -> Result<Ledger, LedgerError> {
        let shown = path.display().to_string();
        let db = |e: rusqlite::Error| LedgerError::Db { path: shown.clone(), message: e.to_string() };
        let conn = Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(db)?;
        conn.busy_timeout(std::time::Duration::from_millis(2000)).map_err(db)?;
        let version: Option<String> = conn
            .query_row("SELECT value FROM meta WHERE key = 'schema_version'", [], |r| r.get(0))
            .optional()
            .or_else(|e| match e {
                // A ledger created before `meta` existed: migrate it.
                rusqlite::Error::SqliteFailure(_, Some(ref m)) if m.contains("no such table") => Ok(None),
                e => Err(e),
            })
            .map_err(db)?;
        let version: i64 = version.and_then(|v| v.parse().ok()).unwrap_or(0);
        if version > SCHEMA_VERSION {
            return Err(LedgerError::TooNew { path: shown, found: version });
        }
        if version < SCHEMA_VERSION {
            drop(conn);
            return Ledger::open(path);
        }
        conn.execute_batch("BEGIN").map_err(db)?;
        Ok(Ledger { conn, path: path.to_path_buf() })
    }

    /// Puts the ledger in write-ahead-log mode (kept in the file): readers then read a
    /// snapshot while a run writes. A ledger another process holds is already in it, or will
    /// be switched by the next writer; the mode changes no data.
    fn wal(&self) -> Result<(), LedgerError> {
        match self.conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get::<_, String>(0)) {
            Ok(_) => Ok(()),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if matches!(e.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) =>
            {
                Ok(())
            }
            Err(e) => Err(self.db_err(e)),
        }
    }

    fn begin(&self) -> Result<(), LedgerError> {
        match self.conn.execute_batch("BEGIN IMMEDIATE") {
            Ok(()) => Ok(()),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if matches!(e.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) =>
            {
                Err(LedgerError::Busy(self.path.display().to_string()))
            }
            Err(e) => Err(self.db_err(e)),
        }
    }

    fn migrate(&self) -> Result<(), LedgerError> {
        self.conn
            .execute_batch("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            .map_err(|e| self.db_err(e))?;
        let version: i64 = self
            .conn
            .query_row("SELECT value FROM meta WHERE key = 'schema_version'", [], |r| r.get::<_, String>(0))
            .optional()
            .map_err(|e| self.db_err(e))?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        if version > SCHEMA_VERSION {
            return Err(LedgerError::TooNew { path: self.path.display().to_string(), found: version });
        }
        for (i, m) in MIGRATIONS.iter().enumerate().skip(usize::try_from(version).unwrap_or(0)) {
            self.conn.execute_batch(m).map_err(|e| self.db_err(e))?;
            self.conn
                .execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?1)",
                    params![(i + 1).to_string()],
                )
                .map_err(|e| self.db_err(e))?;
        }
        Ok(())
    }

    /// Every stored period of the contract that starts before `before`, oldest first.
    pub(crate) fn history_before(&self, contract: &str, before: i64) -> Result<Vec<PeriodAssessment>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT assessment FROM periods WHERE contract_id = ?1 AND period_start < ?2 ORDER BY period_start",
            )
            .map_err(|e| self.db_err(e))?;
        let rows = stmt.query_map(params![contract, before], |r| r.get::<_, String>(0)).map_err(|e| self.db_err(e))?;
        let mut out = Vec::new();
        for text in rows {
            let text = text.map_err(|e| self.db_err(e))?;
            out.push(serde_json::from_str(&text).map_err(|e| self.db_err(e))?);
        }
        Ok(out)
    }

    /// Restatement differences not yet on an invoice, or on the invoice of `period` or a later
    /// one (a run re-issuing those places them again; billing skips those on final documents).
    pub(crate) fn pending_adjustments(&self, contract: &str, period: &str) -> Result<Vec<AdjustmentLine>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, period, difference, reason FROM restatements
                 WHERE contract_id = ?1 AND (applied_in_period IS NULL OR (applied_in_period >= ?2 AND applied_in_period NOT LIKE 'note:%'))
                 ORDER BY id",
            )
            .map_err(|e| self.db_err(e))?;
        let rows = stmt
            .query_map(params![contract, period], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
            })
            .map_err(|e| self.db_err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, restated, diff, reason) = row.map_err(|e| self.db_err(e))?;
            out.push(AdjustmentLine {
                restated_period: restated,
                amount: diff.parse().unwrap_or(Decimal::ZERO),
                reason,
                clause: format!("restatement #{id}"),
            });
        }
        Ok(out)
    }

    fn stored(&self, contract: &str, period: &str) -> Result<Option<(String, String, String, String)>, LedgerError> {
        self.conn
            .query_row(
                "SELECT state, content_sha256, assessment, net_due FROM periods WHERE contract_id = ?1 AND period = ?2",
                params![contract, period],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()
            .map_err(|e| self.db_err(e))
    }

    /// What recording these periods would do; refuses to change a closed period without a
    /// restatement. Call before writing any output.
    pub(crate) fn plan(
        &self,
        contract: &str,
        periods: &[PeriodAssessment],
        restate: Option<&Restatement>,
    ) -> Result<Vec<(String, Change)>, LedgerError> {
        let mut out = Vec::new();
        for p in periods {
            let text = serde_json::to_string(p).map_err(|e| self.db_err(e))?;
            let change = match self.stored(contract, &p.period)? {
                None => Change::Added,
                Some((_, hash, _, _)) if hash == sha(&text) => Change::Unchanged,
                Some((state, _, _, old_due)) if state == "open" => {
                    Change::Replaced { old_net_due: old_due, new_net_due: p.net_due.to_string() }
                }
                Some((_, _, _, old_due)) => match restate {
                    Some(_) => {
                        let old: Decimal = old_due.parse().unwrap_or(Decimal::ZERO);
                        Change::Restated { id: 0, difference: (p.net_due - old).to_string() }
                    }
                    None => {
                        return Err(LedgerError::ClosedChanged {
                            contract: contract.to_string(),
                            period: p.period.clone(),
                            old: old_due,
                            new: p.net_due.to_string(),
                        })
                    }
                },
            };
            out.push((p.period.clone(), change));
        }
        Ok(out)
    }

    /// Records the periods (as planned), their termination events and the manifest, then
    /// commits the transaction. Nothing is written before this.
    #[allow(clippy::too_many_arguments)] // reason: the parts of one run's record, named
    pub(crate) fn commit(
        self,
        contract: &str,
        periods: &[PeriodAssessment],
        events: &[TerminationEvent],
        billing: Option<(&AccountTerms, &Billing)>,
        manifest_json: &str,
        restate: Option<&Restatement>,
    ) -> Result<Committed, LedgerError> {
        let plan = self.plan(contract, periods, restate)?;
        let mut done = Vec::new();
        // The first period whose history (what later periods read of it) is new or changed.
        let mut history_changed: Option<String> = None;
        for (p, (_, change)) in periods.iter().zip(plan) {
            let text = serde_json::to_string(p).map_err(|e| self.db_err(e))?;
            if history_changed.is_none() {
                history_changed = match &change {
                    Change::Added => Some(format!("assessed before {} was added", p.period)),
                    Change::Replaced { .. } | Change::Restated { .. } => {
                        let (_, _, old_text, _) = self.stored(contract, &p.period)?.unwrap_or_default();
                        let old: Option<PeriodAssessment> = serde_json::from_str(&old_text).ok();
                        (old.map(|o| crate::rules::history_key(&o)) != Some(crate::rules::history_key(p)))
                            .then(|| format!("assessed before {} was changed", p.period))
                    }
                    _ => None,
                };
            }
            let change = match change {
                Change::Unchanged => Change::Unchanged,
                Change::Restated { difference, .. } => {
                    let (_, _, old_text, old_due) = self.stored(contract, &p.period)?.unwrap_or_default();
                    let r = restate.cloned().unwrap_or_default();
                    self.conn
                        .execute(
                            "INSERT INTO restatements (contract_id, period, old_assessment, new_assessment, old_net_due, new_net_due, difference, reason, restated_by, restated_at)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                            params![contract, p.period, old_text, text, old_due, p.net_due.to_string(), difference, r.reason, r.by, r.at],
                        )
                        .map_err(|e| self.db_err(e))?;
                    let id = self.conn.last_insert_rowid();
                    self.write_period(contract, p, &text, manifest_json, "closed")?;
                    // Settled by a note of this run (`restatements = "notes"`): not pending.
                    let note = billing.and_then(|(_, b)| {
                        b.documents
                            .iter()
                            .find(|d| d.references == p.invoice_id && d.kind != crate::billing::DocKind::Invoice)
                    });
                    if let Some(note) = note {
                        self.conn
                            .execute(
                                "UPDATE restatements SET applied_in_period = ?1 WHERE id = ?2",
                                params![format!("note:{}", note.id), id],
                            )
                            .map_err(|e| self.db_err(e))?;
                    }
                    Change::Restated { id, difference }
                }
                other => {
                    self.write_period(contract, p, &text, manifest_json, "open")?;
                    other
                }
            };
            done.push((p.period.clone(), change));
        }
        if let Some((terms, b)) = billing {
            // An open period whose results stand but whose invoice now carries more (a
            // restatement, late interest) is reported as replaced, with the invoice totals.
            for (period, old, new) in self.record_billing(terms, b)? {
                if let Some(entry) = done.iter_mut().find(|(p, c)| *p == period && *c == Change::Unchanged) {
                    entry.1 = Change::InvoiceReplaced { old_total: old, new_total: new };
                }
            }
        }
        // The client's rights from the rules and the provider's from billing.
        let provider = billing.map(|(_, b)| b.provider_rights.as_slice()).unwrap_or_default();
        for e in events.iter().chain(provider) {
            self.conn
                .execute("DELETE FROM termination_events WHERE contract_id = ?1 AND period = ?2 AND sla_id = ?3 AND clause = ?4", params![contract, e.period, e.sla_id, e.clause])
                .map_err(|e| self.db_err(e))?;
            // A breach cured within its cure period gives no right: kept in the period's
            // assessment (with its evidence), not among the rights.
            if e.right.as_ref().is_some_and(|r| r.status == "cured") {
                continue;
            }
            self.conn
                .execute(
                    "INSERT INTO termination_events (contract_id, period, sla_id, trigger, periods, clause, standing) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![
                        contract,
                        e.period,
                        e.sla_id,
                        e.trigger,
                        e.periods.join(","),
                        e.clause,
                        e.right.as_ref().and_then(|r| serde_json::to_string(r).ok()).unwrap_or_default()
                    ],
                )
                .map_err(|e| self.db_err(e))?;
        }
        let stale = self.mark_stale(contract, periods, history_changed)?;
        // Dropped without COMMIT, the transaction rolls back (fault tests inject this).
        crate::util::fail_io("ledger").map_err(|e| self.db_err(e))?;
        self.conn.execute_batch("COMMIT").map_err(|e| self.db_err(e))?;
        Ok(Committed { changes: done, stale })
    }

    /// History counts calendar periods (escalation, earn-back, termination windows): a period
    /// already in the ledger after one this run added, or changed in what later periods read of
    /// it ([`crate::rules::history_key`]), was judged without it. Marks
    /// those later periods stale (keeping the first reason) and clears the mark of every period
    /// this run assessed. Returns the periods marked.
    fn mark_stale(
        &self,
        contract: &str,
        periods: &[PeriodAssessment],
        history_changed: Option<String>,
    ) -> Result<Vec<(String, String)>, LedgerError> {
        for p in periods {
            self.conn
                .execute(
                    "UPDATE periods SET stale = NULL WHERE contract_id = ?1 AND period = ?2",
                    params![contract, p.period],
                )
                .map_err(|e| self.db_err(e))?;
        }
        let Some(reason) = history_changed else { return Ok(Vec::new()) };
        let Some(last) = periods.iter().map(|p| p.period_start).max() else { return Ok(Vec::new()) };
        let mut stmt = self
            .conn
            .prepare("SELECT period FROM periods WHERE contract_id = ?1 AND period_start > ?2 ORDER BY period_start")
            .map_err(|e| self.db_err(e))?;
        let later = stmt
            .query_map(params![contract, last], |r| r.get::<_, String>(0))
            .map_err(|e| self.db_err(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.db_err(e))?;
        let mut out = Vec::new();
        for period in later {
            self.conn
                .execute(
                    "UPDATE periods SET stale = COALESCE(stale, ?3) WHERE contract_id = ?1 AND period = ?2",
                    params![contract, period, reason],
                )
                .map_err(|e| self.db_err(e))?;
            let now = self.stale_reason(contract, &period)?.unwrap_or_default();
            out.push((period, now));
        }
        Ok(out)
    }

    /// Why a stored period is stale, if it is.
    fn stale_reason(&self, contract: &str, period: &str) -> Result<Option<String>, LedgerError> {
        self.conn
            .query_row(
                "SELECT stale FROM periods WHERE contract_id = ?1 AND period = ?2",
                params![contract, period],
                |r| r.get(0),
            )
            .optional()
            .map(Option::flatten)
            .map_err(|e| self.db_err(e))
    }

    fn write_period(
        &self,
        contract: &str,
        p: &PeriodAssessment,
        text: &str,
        manifest: &str,
        state: &str,
    ) -> Result<(), LedgerError> {
        let closed: Option<(Option<String>, Option<String>, bool)> = self
            .conn
            .query_row(
                "SELECT closed_by, closed_at, provisional_accepted FROM periods WHERE contract_id = ?1 AND period = ?2",
                params![contract, p.period],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(|e| self.db_err(e))?;
        let (by, at, accepted) = closed.unwrap_or((None, None, false));
        self.conn
            .execute(
                "INSERT OR REPLACE INTO periods (contract_id, period, period_start, state, content_sha256, assessment, manifest, fees, credits, net_due, closed_by, closed_at, provisional, provisional_accepted)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                params![
                    contract,
                    p.period,
                    p.period_start,
                    state,
                    sha(text),
                    text,
                    manifest,
                    p.fees.to_string(),
                    p.net_credit.to_string(),
                    p.net_due.to_string(),
                    by,
                    at,
                    p.slas.iter().any(|s| s.provisional),
                    accepted
                ],
            )
            .map_err(|e| self.db_err(e))?;
        self.conn
            .execute("DELETE FROM sla_results WHERE contract_id = ?1 AND period = ?2", params![contract, p.period])
            .map_err(|e| self.db_err(e))?;
        for s in &p.slas {
            self.conn
                .execute(
                    "INSERT INTO sla_results (contract_id, period, sla_id, status, numerator, denominator, credit, earn_back) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![
                        contract,
                        p.period,
                        s.sla_id,
                        s.status.as_str(),
                        s.numerator.map(|d| d.to_string()),
                        s.denominator.map(|d| d.to_string()),
                        s.credit.to_string(),
                        s.earn_back.to_string()
                    ],
                )
                .map_err(|e| self.db_err(e))?;
        }
        Ok(())
    }

    /// Signs a period off: later runs may not change it without a restatement. A period with
    /// provisional results is refused unless `accept_provisional`, which is recorded.
    pub fn close(
        self,
        contract: &str,
        period: &str,
        by: &str,
        at: &str,
        accept_provisional: bool,
    ) -> Result<(), LedgerError> {
        let Some((_, _, text, _)) = self.stored(contract, period)? else {
            return Err(LedgerError::UnknownPeriod { contract: contract.to_string(), period: period.to_string() });
        };
        let stored: PeriodAssessment = serde_json::from_str(&text).map_err(|e| self.db_err(e))?;
        if let Some(reason) = self.stale_reason(contract, period)? {
            return Err(LedgerError::Stale { contract: contract.to_string(), period: period.to_string(), reason });
        }
        let provisional: Vec<&str> = stored.slas.iter().filter(|s| s.provisional).map(|s| s.sla_id.as_str()).collect();
        if !provisional.is_empty() && !accept_provisional {
            return Err(LedgerError::Provisional {
                contract: contract.to_string(),
                period: period.to_string(),
                slas: provisional.join(", "),
            });
        }
        self.conn
            .execute(
                "UPDATE periods SET state = 'closed', closed_by = ?3, closed_at = ?4, provisional_accepted = ?5 WHERE contract_id = ?1 AND period = ?2",
                params![contract, period, by, at, !provisional.is_empty()],
            )
            .map_err(|e| self.db_err(e))?;
        // Its invoice is final from now on: a later change is a note or a restatement line.
        self.conn
            .execute(
                "UPDATE documents SET final = 1 WHERE contract_id = ?1 AND id = ?2",
                params![contract, stored.invoice_id],
            )
            .map_err(|e| self.db_err(e))?;
        self.conn.execute_batch("COMMIT").map_err(|e| self.db_err(e))
    }

    /// Commits the transaction (the dispute register's writes).
    fn finish(self) -> Result<(), LedgerError> {
        self.conn.execute_batch("COMMIT").map_err(|e| self.db_err(e))
    }

    /// Ends the transaction without changes (read-only use).
    pub(crate) fn release(self) -> Result<(), LedgerError> {
        self.conn.execute_batch("ROLLBACK").map_err(|e| self.db_err(e))
    }
}

/// Rebuilds a new ledger from run output folders (each with `assessment.json` and
/// `manifest.json`), in the order given: later folders replace earlier ones' periods. All
/// periods are open afterwards; close them again with `callsla close`.
pub(crate) fn rebuild(path: &Path, dirs: &[PathBuf]) -> Result<Vec<(String, Change)>, LedgerError> {
    if path.exists() {
        return Err(LedgerError::Db {
            path: path.display().to_string(),
            message: "already exists; rebuild writes a new ledger".to_string(),
        });
    }
    let mut done = Vec::new();
    for dir in dirs {
        let read = |name: &str| {
            std::fs::read_to_string(dir.join(name))
                .map_err(|e| LedgerError::Read { path: dir.join(name).display().to_string(), message: e.to_string() })
        };
        let file: crate::assessment::AssessmentFile = serde_json::from_str(&read("assessment.json")?).map_err(|e| {
            LedgerError::Read { path: dir.join("assessment.json").display().to_string(), message: e.to_string() }
        })?;
        let manifest = read("manifest.json")?;
        let l = Ledger::open(path)?;
        let a = &file.assessment;
        done.extend(
            l.commit(
                &a.contract_id,
                &a.periods,
                &a.termination_events,
                Some((&file.billing.terms, &file.billing)),
                &manifest,
                None,
            )?
            .changes,
        );
    }
    Ok(done)
}
