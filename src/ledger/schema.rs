//! The ledger's SQLite schema: the version this build writes and the migrations that bring an
//! older ledger up to it, in order (docs/ledger.md documents the tables).

/// The schema version this build writes.
pub(crate) const SCHEMA_VERSION: i64 = 5;

pub(super) const MIGRATIONS: [&str; 5] = [
    "
CREATE TABLE periods (
    contract_id    TEXT    NOT NULL,
    period         TEXT    NOT NULL,
    period_start   INTEGER NOT NULL,
    state          TEXT    NOT NULL CHECK (state IN ('open', 'closed')),
    content_sha256 TEXT    NOT NULL,
    assessment     TEXT    NOT NULL,
    manifest       TEXT    NOT NULL,
    fees           TEXT    NOT NULL,
    credits        TEXT    NOT NULL,
    net_due        TEXT    NOT NULL,
    closed_by      TEXT,
    closed_at      TEXT,
    PRIMARY KEY (contract_id, period)
);
CREATE TABLE sla_results (
    contract_id TEXT NOT NULL,
    period      TEXT NOT NULL,
    sla_id      TEXT NOT NULL,
    status      TEXT NOT NULL,
    numerator   TEXT,
    denominator TEXT,
    credit      TEXT NOT NULL,
    earn_back   TEXT NOT NULL,
    PRIMARY KEY (contract_id, period, sla_id)
);
CREATE TABLE termination_events (
    contract_id TEXT NOT NULL,
    period      TEXT NOT NULL,
    sla_id      TEXT NOT NULL,
    trigger     TEXT NOT NULL,
    periods     TEXT NOT NULL,
    clause      TEXT NOT NULL
);
CREATE TABLE restatements (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_id       TEXT NOT NULL,
    period            TEXT NOT NULL,
    old_assessment    TEXT NOT NULL,
    new_assessment    TEXT NOT NULL,
    old_net_due       TEXT NOT NULL,
    new_net_due       TEXT NOT NULL,
    difference        TEXT NOT NULL,
    reason            TEXT NOT NULL,
    restated_by       TEXT NOT NULL,
    restated_at       TEXT NOT NULL,
    applied_in_period TEXT
);
",
    "
ALTER TABLE periods ADD COLUMN provisional INTEGER NOT NULL DEFAULT 0;
ALTER TABLE periods ADD COLUMN provisional_accepted INTEGER NOT NULL DEFAULT 0;
",
    "
CREATE TABLE accounts (
    contract_id TEXT PRIMARY KEY,
    terms       TEXT NOT NULL
);
CREATE TABLE documents (
    contract_id TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('invoice', 'credit_note', 'debit_note')),
    period      TEXT    NOT NULL,
    issue_date  TEXT    NOT NULL,
    due_date    TEXT    NOT NULL,
    total       TEXT    NOT NULL,
    final       INTEGER NOT NULL,
    body        TEXT    NOT NULL,
    PRIMARY KEY (contract_id, id)
);
CREATE TABLE payments (
    contract_id TEXT NOT NULL,
    payment_id  TEXT NOT NULL,
    document_id TEXT NOT NULL,
    paid_date   TEXT NOT NULL,
    amount      TEXT NOT NULL,
    PRIMARY KEY (contract_id, payment_id)
);
CREATE TABLE interest_charges (
    contract_id TEXT NOT NULL,
    document_id TEXT NOT NULL,
    from_date   TEXT NOT NULL,
    to_date     TEXT NOT NULL,
    amount      TEXT NOT NULL,
    charged_on  TEXT NOT NULL,
    body        TEXT NOT NULL
);
",
    "
CREATE TABLE disputes (
    contract_id TEXT    NOT NULL,
    id          INTEGER NOT NULL,
    document_id TEXT    NOT NULL,
    state       TEXT    NOT NULL CHECK (state IN ('open', 'resolved')),
    body        TEXT    NOT NULL,
    PRIMARY KEY (contract_id, id)
);
ALTER TABLE termination_events ADD COLUMN standing TEXT NOT NULL DEFAULT '';
",
    "
ALTER TABLE periods ADD COLUMN stale TEXT;
",
];
