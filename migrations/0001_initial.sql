-- Identity OS schema, portable between PostgreSQL and SQLite (one file for both).
-- Times are BIGINT microseconds since the Unix epoch (UTC); JSON is TEXT; floats are
-- DOUBLE PRECISION (8-byte IEEE on both, so replay reads back the exact bits it wrote).

-- An account owns keys and instances and has a plan (its limits live in config).
CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    plan TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- API keys, stored only as the SHA-256 of the secret. `id` is public (lists, revoke).
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    secret_hash TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

-- Instance metadata. Engine state lives in `snapshots` + `history`.
CREATE TABLE instances (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    user_tag TEXT,
    metadata TEXT NOT NULL,
    cycle_cap BIGINT,
    stopped BOOLEAN NOT NULL,
    persona TEXT,
    engine_version INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);
-- The list endpoint: by account, sorted by creation time or name, filtered by user tag
-- or stopped status; deleted instances never listed.
CREATE INDEX instances_by_created ON instances (account_id, created_at, id)
    WHERE deleted_at IS NULL;
CREATE INDEX instances_by_name ON instances (account_id, name, id)
    WHERE deleted_at IS NULL;
CREATE INDEX instances_by_user ON instances (account_id, user_tag, created_at, id)
    WHERE deleted_at IS NULL;
CREATE INDEX instances_by_stopped ON instances (account_id, stopped, created_at, id)
    WHERE deleted_at IS NULL;
-- The purge of expired soft-deleted instances.
CREATE INDEX instances_deleted ON instances (deleted_at)
    WHERE deleted_at IS NOT NULL;

-- The newest full snapshot of each instance: recovery starts here and replays the
-- history rows after `seq`. Written at creation, reset, passivation, shutdown and every
-- N cycles. The summary columns serve lists without decoding `state`.
CREATE TABLE snapshots (
    instance_id TEXT PRIMARY KEY REFERENCES instances (id),
    id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    state TEXT NOT NULL,
    last_cycle_at BIGINT,
    energy_level DOUBLE PRECISION NOT NULL,
    stress_state TEXT NOT NULL,
    stability_index DOUBLE PRECISION NOT NULL,
    written_at BIGINT NOT NULL
);

-- The audit trail, which is also the write-ahead log: one row per processed observation,
-- committed before the reply. `dt` is the gap the engine was stepped with, so replay is
-- exact. The summary columns are the state after the cycle (for lists). No foreign key:
-- appends are the hot path, and the (instance_id, seq) key already refuses a duplicate
-- or a second writer.
CREATE TABLE history (
    instance_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    cycle BIGINT NOT NULL,
    mode TEXT NOT NULL,
    signal DOUBLE PRECISION NOT NULL,
    confidence DOUBLE PRECISION NOT NULL,
    dt DOUBLE PRECISION NOT NULL,
    context TEXT NOT NULL,
    observed_at BIGINT,
    recorded_at BIGINT NOT NULL,
    energy_level DOUBLE PRECISION NOT NULL,
    stress_state TEXT NOT NULL,
    stability_index DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (instance_id, seq)
);

-- D1–D3 classifications, keyed by the history entry that caused them.
CREATE TABLE drift_events (
    instance_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    cycle BIGINT NOT NULL,
    level TEXT NOT NULL,
    deviation TEXT NOT NULL,
    affected_modes TEXT NOT NULL,
    rolled_back BOOLEAN NOT NULL,
    recorded_at BIGINT NOT NULL,
    PRIMARY KEY (instance_id, seq)
);

-- Cycles billed per account and calendar month (UTC, 'YYYY-MM').
CREATE TABLE monthly_usage (
    account_id TEXT NOT NULL,
    period TEXT NOT NULL,
    cycles BIGINT NOT NULL,
    PRIMARY KEY (account_id, period)
);
