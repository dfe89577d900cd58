-- Cluster mode (docs/cluster.md): account-wide limits shared by every node. A node takes
-- a grant from an account's budget of a window (cycles of a month, requests of a minute)
-- and admits locally until it is spent; `granted` never passes the plan's limit, so the
-- nodes together never admit more than it. `last_take` is what the newest grant took.
CREATE TABLE account_budget (
    account_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    window_key TEXT NOT NULL,
    granted BIGINT NOT NULL,
    last_take BIGINT NOT NULL,
    PRIMARY KEY (account_id, kind, window_key)
);
