-- History retention (issue 16, docs/storage.md): the time before which
-- `retention.history_days` has dropped history and drift events, which history and drift
-- pages report as `kept_since`. No row: nothing was ever dropped.
CREATE TABLE history_horizon (
    id SMALLINT PRIMARY KEY CHECK (id = 1),
    dropped_before BIGINT NOT NULL
);
