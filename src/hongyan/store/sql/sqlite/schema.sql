-- The declared SQLite schema: what every migration applied in order must produce.
-- tests/store/test_migrations.py compares the two.

CREATE TABLE IF NOT EXISTS schema_migrations (
    name TEXT PRIMARY KEY,
    applied_at TEXT NOT NULL
) WITHOUT ROWID;

-- Counters that must never go back, even when rows are deleted (message ids).
CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO counters (name, value) VALUES ('message_id', 0);

CREATE TABLE accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    balance INTEGER NOT NULL DEFAULT 0 CHECK (balance >= 0),
    service_code TEXT NOT NULL DEFAULT '',
    short_name TEXT NOT NULL DEFAULT '',
    allowed_networks TEXT NOT NULL DEFAULT '[]',
    report_url TEXT,
    inbound_url TEXT,
    limits TEXT NOT NULL DEFAULT '{}',
    registered_extensions TEXT NOT NULL DEFAULT '[]',
    allow_long INTEGER NOT NULL DEFAULT 1,
    push_secret_version INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);

CREATE INDEX accounts_service_code ON accounts (service_code) WHERE service_code <> '';

CREATE TABLE ledger (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    delta INTEGER NOT NULL,
    balance_after INTEGER NOT NULL,
    note TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE INDEX ledger_account ON ledger (account_id, id);

-- account_id NULL = global; one row per (number, scope).
CREATE TABLE blacklist (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    number TEXT NOT NULL,
    account_id INTEGER REFERENCES accounts (id),
    created_at TEXT NOT NULL
);

CREATE UNIQUE INDEX blacklist_entry ON blacklist (number, coalesce(account_id, 0));

CREATE TABLE banned_words (
    word TEXT PRIMARY KEY,
    created_at TEXT NOT NULL
) WITHOUT ROWID;

-- The queue. id comes from counters('message_id'); claim_until/claim_owner lease a
-- 'submitting' message to one dispatcher.
CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    state TEXT NOT NULL,
    recipient TEXT NOT NULL,
    recipient_input TEXT NOT NULL,
    source_addr TEXT NOT NULL,
    text TEXT NOT NULL,
    segments INTEGER NOT NULL,
    price INTEGER NOT NULL,
    due_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    client_ref TEXT,
    dialect TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    claim_until TEXT,
    claim_owner TEXT,
    last_error TEXT,
    channel TEXT,
    stat TEXT,
    error_code TEXT,
    done_at TEXT
);

CREATE INDEX messages_due ON messages (due_at, id) WHERE state IN ('queued', 'submitting');
CREATE INDEX messages_expiry ON messages (expires_at) WHERE state IN ('queued', 'submitting');
CREATE INDEX messages_account ON messages (account_id, id);
CREATE INDEX messages_recipient ON messages (recipient, id);

-- One row per segment sent; carrier_id normalised (core.receipts.normalize_carrier_id).
CREATE TABLE segments (
    message_id INTEGER NOT NULL REFERENCES messages (id),
    seq INTEGER NOT NULL,
    channel TEXT NOT NULL,
    carrier_id TEXT NOT NULL,
    outcome TEXT,
    stat TEXT,
    error_code TEXT,
    done_at TEXT,
    PRIMARY KEY (message_id, seq)
) WITHOUT ROWID;

CREATE INDEX segments_carrier ON segments (channel, carrier_id);

-- Receipts that arrived before the submit_sm_resp that names their carrier id.
CREATE TABLE pending_receipts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL,
    carrier_id TEXT NOT NULL,
    stat TEXT NOT NULL,
    error_code TEXT NOT NULL,
    done_at TEXT NOT NULL,
    received_at TEXT NOT NULL
);

CREATE INDEX pending_receipts_carrier ON pending_receipts (channel, carrier_id);
CREATE INDEX pending_receipts_age ON pending_receipts (received_at);

-- A status report per finished message, for partners that pull them (readreport).
CREATE TABLE reports (
    message_id INTEGER PRIMARY KEY REFERENCES messages (id),
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    read INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

CREATE INDEX reports_unread ON reports (account_id, message_id) WHERE read = 0;

CREATE TABLE inbound (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER REFERENCES accounts (id),
    channel TEXT NOT NULL,
    source TEXT NOT NULL,
    destination TEXT NOT NULL,
    extension TEXT NOT NULL,
    text TEXT NOT NULL,
    received_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    read INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX inbound_unread ON inbound (account_id, id) WHERE read = 0;

-- Pushes to partners; state pending → delivered | abandoned. lease_until leases a row to one
-- notifier.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    ref_id INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    created_at TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    lease_until TEXT,
    done_at TEXT
);

CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state = 'pending';

-- 0002_operators

-- Operators sign in to the console; they are not partner accounts and cannot use the APIs.
CREATE TABLE operators (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);

-- One row per operator action: who (name, kept as text so history outlives the operator),
-- what, on what target, and the changed fields before and after (JSON objects or NULL).
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    operator TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    before TEXT,
    after TEXT,
    created_at TEXT NOT NULL
);

CREATE INDEX audit_log_operator ON audit_log (operator, id);

-- NULL for segments sent before this migration.
ALTER TABLE segments ADD COLUMN submitted_at TEXT;

-- REST API (/api/v1): API keys and Idempotency-Key records; an index for message detail.

-- The key itself is never stored: only its digest (core/api_keys.py). prefix is the public
-- part of the key that finds its row.
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    label TEXT NOT NULL,
    prefix TEXT NOT NULL UNIQUE,
    key_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    last_used_at TEXT
);

CREATE INDEX api_keys_account ON api_keys (account_id, id);

-- One row per (account, Idempotency-Key). token names the request holding the claim; status
-- and body are its answer, NULL while it runs (written in the same transaction as the admit).
CREATE TABLE idempotency_keys (
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    token TEXT NOT NULL,
    claimed_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    status INTEGER,
    body TEXT,
    PRIMARY KEY (account_id, key)
) WITHOUT ROWID;

CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);

-- A message's status-report pushes (message detail).
CREATE INDEX outbox_ref ON outbox (ref_id) WHERE kind = 'report';

-- One row per (channel, bind slot): the dispatcher holding the slot runs that bind while
-- lease_until is ahead, renews it every few seconds and writes its live bind state with it.
CREATE TABLE channel_leases (
    channel TEXT NOT NULL,
    slot INTEGER NOT NULL,
    owner TEXT,
    lease_until TEXT,
    bound INTEGER NOT NULL DEFAULT 0,
    window_in_use INTEGER NOT NULL DEFAULT 0,
    submits INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    throttles INTEGER NOT NULL DEFAULT 0,
    sends_per_second REAL NOT NULL DEFAULT 0,
    queue_depth INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    updated_at TEXT,
    PRIMARY KEY (channel, slot)
) WITHOUT ROWID;

-- Operator switches per channel: a paused channel submits nothing (its binds stay up).
CREATE TABLE channel_controls (
    channel TEXT PRIMARY KEY,
    paused INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
) WITHOUT ROWID;

-- Back office (0005): figures since a time, inbound lists.
CREATE INDEX messages_account_created ON messages (account_id, created_at);
CREATE INDEX messages_created ON messages (created_at);
CREATE INDEX inbound_account ON inbound (account_id, id);

-- Submitted messages whose receipt never came (0006).
CREATE INDEX messages_unreported ON messages (expires_at) WHERE state = 'submitted';
