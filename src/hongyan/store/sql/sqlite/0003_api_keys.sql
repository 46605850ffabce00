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
