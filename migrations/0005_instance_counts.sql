-- Exact list totals in constant time (issue 16, docs/storage.md): how many live and how
-- many stopped instances each account has, and each (account, user tag). A list's
-- `pagination.total` is the sum of a few of these rows instead of a COUNT over the
-- account's instances. Kept by triggers (migration 0006, one flavour per backend), in the
-- transaction of every statement that writes `instances`, so no write path can leave them
-- behind.

-- An account's counts are spread over slots (on PostgreSQL the writing connection's
-- backend pid modulo 8; SQLite has one writer and uses slot 0), so concurrent creations
-- and deletions do not queue on one row lock; the total is the sum of an account's slots.
CREATE TABLE account_counts (
    account_id TEXT NOT NULL,
    slot SMALLINT NOT NULL,
    live BIGINT NOT NULL,
    stopped BIGINT NOT NULL,
    PRIMARY KEY (account_id, slot)
);

-- One row per user tag in use (a tag is typically one end user's few instances, and a
-- row per tag and slot would multiply them).
CREATE TABLE user_counts (
    account_id TEXT NOT NULL,
    user_tag TEXT NOT NULL,
    live BIGINT NOT NULL,
    stopped BIGINT NOT NULL,
    PRIMARY KEY (account_id, user_tag)
);
