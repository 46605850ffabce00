-- Channel bind leases and controls (roles as processes, operator console).
-- One row per (channel, bind slot): the dispatcher holding the slot runs that bind while
-- lease_until is ahead, renews it every few seconds and writes its live bind state with it.
CREATE TABLE channel_leases (
    channel text NOT NULL,
    slot integer NOT NULL,
    owner text,
    lease_until timestamptz,
    bound boolean NOT NULL DEFAULT false,
    window_in_use integer NOT NULL DEFAULT 0,
    submits bigint NOT NULL DEFAULT 0,
    errors bigint NOT NULL DEFAULT 0,
    throttles bigint NOT NULL DEFAULT 0,
    sends_per_second double precision NOT NULL DEFAULT 0,
    queue_depth integer NOT NULL DEFAULT 0,
    last_error text,
    updated_at timestamptz,
    PRIMARY KEY (channel, slot)
);

-- Operator switches per channel: a paused channel submits nothing (its binds stay up).
CREATE TABLE channel_controls (
    channel text PRIMARY KEY,
    paused boolean NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL
);
