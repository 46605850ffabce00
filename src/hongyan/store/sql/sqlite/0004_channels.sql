-- Channel bind leases and controls (roles as processes, operator console).
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
