-- The counts of migration 0005, kept by statement triggers over transition tables: one
-- upsert per statement, however many rows a group-committed creation inserts. (SQLite's
-- flavour: migrations/sqlite/0006.)

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

CREATE FUNCTION instance_counts_updated() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    PERFORM instance_counts_add(array_agg(account_id), array_agg(user_tag),
                                array_agg(sign), array_agg(stopped))
    FROM (SELECT account_id, user_tag, -1 AS sign, stopped FROM old_rows
          WHERE deleted_at IS NULL
          UNION ALL
          SELECT account_id, user_tag, 1, stopped FROM new_rows
          WHERE deleted_at IS NULL) AS d
    HAVING COUNT(*) > 0;
    RETURN NULL;
END $$;

CREATE FUNCTION instance_counts_deleted() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    PERFORM instance_counts_add(array_agg(account_id), array_agg(user_tag),
                                array_agg(-1), array_agg(stopped))
    FROM old_rows WHERE deleted_at IS NULL
    HAVING COUNT(*) > 0;
    RETURN NULL;
END $$;

-- Creating the triggers locks `instances` against writes until this migration commits,
-- so the counts taken below miss nothing a node still running the previous version
-- writes meanwhile (a rolling upgrade).
CREATE TRIGGER instances_counted_insert AFTER INSERT ON instances
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION instance_counts_inserted();
CREATE TRIGGER instances_counted_update AFTER UPDATE ON instances
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION instance_counts_updated();
CREATE TRIGGER instances_counted_delete AFTER DELETE ON instances
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION instance_counts_deleted();

-- The counts of an existing database, in place.
INSERT INTO account_counts (account_id, slot, live, stopped)
SELECT account_id, 0, COUNT(*), COUNT(*) FILTER (WHERE stopped)
FROM instances WHERE deleted_at IS NULL GROUP BY account_id;
INSERT INTO user_counts (account_id, user_tag, live, stopped)
SELECT account_id, user_tag, COUNT(*), COUNT(*) FILTER (WHERE stopped)
FROM instances WHERE deleted_at IS NULL AND user_tag IS NOT NULL
GROUP BY account_id, user_tag;
