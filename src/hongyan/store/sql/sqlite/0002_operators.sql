-- 0002_operators: console operators, the audit log of their actions, and when each segment's
-- submit_sm_resp was recorded (receipt latency per channel).

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
