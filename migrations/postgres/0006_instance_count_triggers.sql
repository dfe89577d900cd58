-- The counts of migration 0005, kept by triggers: inserts by a statement trigger over its
-- transition table (one upsert per statement, however many rows a group-committed
-- creation inserts), updates and deletes by row triggers that fire only when a count
-- moves. (SQLite's flavour: migrations/sqlite/0006.)

-- Adds signed contributions (one element per instance row entering, +1, or leaving, −1,
-- the counts) to both tables, grouped, skipping groups that add up to nothing (an
-- update that changed no count).
CREATE FUNCTION instance_counts_add(accounts TEXT[], tags TEXT[], signs INTEGER[],
                                    stopped BOOLEAN[]) RETURNS VOID
LANGUAGE SQL AS $$
    INSERT INTO account_counts AS c (account_id, slot, live, stopped)
    SELECT d.account_id, pg_backend_pid() % 8, SUM(d.sign),
           SUM(CASE WHEN d.stopped THEN d.sign ELSE 0 END)
    FROM UNNEST(accounts, signs, stopped) AS d (account_id, sign, stopped)
    GROUP BY d.account_id
    HAVING SUM(d.sign) <> 0 OR SUM(CASE WHEN d.stopped THEN d.sign ELSE 0 END) <> 0
    ORDER BY d.account_id
    ON CONFLICT (account_id, slot) DO UPDATE
        SET live = c.live + EXCLUDED.live, stopped = c.stopped + EXCLUDED.stopped;
    INSERT INTO user_counts AS c (account_id, user_tag, live, stopped)
    SELECT d.account_id, d.user_tag, SUM(d.sign),
           SUM(CASE WHEN d.stopped THEN d.sign ELSE 0 END)
    FROM UNNEST(accounts, tags, signs, stopped) AS d (account_id, user_tag, sign, stopped)
    WHERE d.user_tag IS NOT NULL
    GROUP BY d.account_id, d.user_tag
    HAVING SUM(d.sign) <> 0 OR SUM(CASE WHEN d.stopped THEN d.sign ELSE 0 END) <> 0
    ORDER BY d.account_id, d.user_tag
    ON CONFLICT (account_id, user_tag) DO UPDATE
        SET live = c.live + EXCLUDED.live, stopped = c.stopped + EXCLUDED.stopped;
$$;

CREATE FUNCTION instance_counts_inserted() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    PERFORM instance_counts_add(array_agg(account_id), array_agg(user_tag),
                                array_agg(1), array_agg(stopped))
    FROM new_rows WHERE deleted_at IS NULL
    HAVING COUNT(*) > 0;
    RETURN NULL;
END $$;

-- Updates and deletes move counts one row at a time (by primary key), so they are row
-- triggers, fired only when a count moves (the WHEN clauses): the frequent updates that
-- move none — a cluster node's claim of an instance on activation, a metadata change —
-- do not call it at all. A soft-deleted row counts 0 before and after.
CREATE FUNCTION instance_counts_row_changed() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM instance_counts_add(ARRAY[OLD.account_id], ARRAY[OLD.user_tag], ARRAY[-1],
                                    ARRAY[OLD.stopped]);
    ELSE
        PERFORM instance_counts_add(
            ARRAY[OLD.account_id, NEW.account_id], ARRAY[OLD.user_tag, NEW.user_tag],
            ARRAY[CASE WHEN OLD.deleted_at IS NULL THEN -1 ELSE 0 END,
                  CASE WHEN NEW.deleted_at IS NULL THEN 1 ELSE 0 END],
            ARRAY[OLD.stopped, NEW.stopped]);
    END IF;
    RETURN NULL;
END $$;

-- Creating the triggers locks `instances` against writes until this migration commits,
-- so the counts taken below miss nothing a node still running the previous version
-- writes meanwhile (a rolling upgrade).
CREATE TRIGGER instances_counted_insert AFTER INSERT ON instances
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION instance_counts_inserted();
CREATE TRIGGER instances_counted_update AFTER UPDATE ON instances
    FOR EACH ROW
    WHEN ((OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL)
          OR OLD.stopped <> NEW.stopped
          OR OLD.user_tag IS DISTINCT FROM NEW.user_tag)
    EXECUTE FUNCTION instance_counts_row_changed();
CREATE TRIGGER instances_counted_delete AFTER DELETE ON instances
    FOR EACH ROW WHEN (OLD.deleted_at IS NULL)
    EXECUTE FUNCTION instance_counts_row_changed();

-- The counts of an existing database, in place.
INSERT INTO account_counts (account_id, slot, live, stopped)
SELECT account_id, 0, COUNT(*), COUNT(*) FILTER (WHERE stopped)
FROM instances WHERE deleted_at IS NULL GROUP BY account_id;
INSERT INTO user_counts (account_id, user_tag, live, stopped)
SELECT account_id, user_tag, COUNT(*), COUNT(*) FILTER (WHERE stopped)
FROM instances WHERE deleted_at IS NULL AND user_tag IS NOT NULL
GROUP BY account_id, user_tag;
