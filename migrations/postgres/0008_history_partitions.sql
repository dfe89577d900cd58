-- History retention (issue 16, docs/storage.md): `history` and `drift_events` become
-- tables partitioned by `recorded_at`, so that `retention.history_days` drops whole
-- partitions instead of deleting rows. In place: each existing table becomes the first
-- partition (`_p0`), covering everything recorded before the next midnight (UTC), with
-- its primary key as it was; the server creates the next partitions ahead of time
-- (src/store/partitions.rs) and lists them in `history_partitions`.
--
-- The bound is checked by one scan of each existing table (a CHECK constraint, which
-- ATTACH then trusts instead of scanning again), under the lock of the renames: on a
-- large database the upgrade holds writes to history for that scan.
--
-- Partitions have their own primary keys `(instance_id, seq)`; PostgreSQL cannot have
-- one on the parent without the partition key, so a seq is unique within a partition.

CREATE TABLE history_partitions (
    suffix TEXT PRIMARY KEY,
    from_at BIGINT NOT NULL,
    until_at BIGINT NOT NULL
);

DO $$
DECLARE
    day CONSTANT BIGINT := 86400000000;
    bound BIGINT := (FLOOR(EXTRACT(EPOCH FROM now()))::BIGINT * 1000000 / day + 1) * day;
BEGIN
    ALTER TABLE history RENAME TO history_p0;
    ALTER TABLE drift_events RENAME TO drift_events_p0;
    CREATE TABLE history (LIKE history_p0) PARTITION BY RANGE (recorded_at);
    CREATE TABLE drift_events (LIKE drift_events_p0) PARTITION BY RANGE (recorded_at);
    EXECUTE format('ALTER TABLE history_p0 ADD CONSTRAINT history_p0_bound '
                   'CHECK (recorded_at < %s)', bound);
    EXECUTE format('ALTER TABLE drift_events_p0 ADD CONSTRAINT drift_events_p0_bound '
                   'CHECK (recorded_at < %s)', bound);
    EXECUTE format('ALTER TABLE history ATTACH PARTITION history_p0 '
                   'FOR VALUES FROM (MINVALUE) TO (%s)', bound);
    EXECUTE format('ALTER TABLE drift_events ATTACH PARTITION drift_events_p0 '
                   'FOR VALUES FROM (MINVALUE) TO (%s)', bound);
    ALTER TABLE history_p0 DROP CONSTRAINT history_p0_bound;
    ALTER TABLE drift_events_p0 DROP CONSTRAINT drift_events_p0_bound;
    INSERT INTO history_partitions (suffix, from_at, until_at)
    VALUES ('p0', -9223372036854775808, bound);
END $$;
