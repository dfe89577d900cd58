-- The counts of migration 0005, kept by row triggers, in slot 0 (SQLite has one writer
-- at a time: no row lock to spread). (PostgreSQL's flavour: migrations/postgres/0006.)

-- A live row counts once for its account and once for its tag; `stopped` is 0 or 1.
CREATE TRIGGER instances_counted_insert AFTER INSERT ON instances
WHEN NEW.deleted_at IS NULL
BEGIN
    INSERT INTO account_counts (account_id, slot, live, stopped)
    VALUES (NEW.account_id, 0, 1, NEW.stopped)
    ON CONFLICT (account_id, slot) DO UPDATE
        SET live = live + excluded.live, stopped = stopped + excluded.stopped;
    INSERT INTO user_counts (account_id, user_tag, live, stopped)
    SELECT NEW.account_id, NEW.user_tag, 1, NEW.stopped WHERE NEW.user_tag IS NOT NULL
    ON CONFLICT (account_id, user_tag) DO UPDATE
        SET live = live + excluded.live, stopped = stopped + excluded.stopped;
END;

-- Only updates that move a count: a delete or restore, stop or start, a new user tag.
CREATE TRIGGER instances_counted_update AFTER UPDATE ON instances
WHEN (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL)
    OR OLD.stopped <> NEW.stopped
    OR OLD.user_tag IS NOT NEW.user_tag
BEGIN
    INSERT INTO account_counts (account_id, slot, live, stopped)
    SELECT OLD.account_id, 0,
           (NEW.deleted_at IS NULL) - (OLD.deleted_at IS NULL),
           (NEW.deleted_at IS NULL AND NEW.stopped) - (OLD.deleted_at IS NULL AND OLD.stopped)
    WHERE true
    ON CONFLICT (account_id, slot) DO UPDATE
        SET live = live + excluded.live, stopped = stopped + excluded.stopped;
    INSERT INTO user_counts (account_id, user_tag, live, stopped)
    SELECT OLD.account_id, OLD.user_tag, -1, -OLD.stopped
    WHERE OLD.user_tag IS NOT NULL AND OLD.deleted_at IS NULL
    ON CONFLICT (account_id, user_tag) DO UPDATE
        SET live = live + excluded.live, stopped = stopped + excluded.stopped;
    INSERT INTO user_counts (account_id, user_tag, live, stopped)
    SELECT NEW.account_id, NEW.user_tag, 1, NEW.stopped
    WHERE NEW.user_tag IS NOT NULL AND NEW.deleted_at IS NULL
    ON CONFLICT (account_id, user_tag) DO UPDATE
        SET live = live + excluded.live, stopped = stopped + excluded.stopped;
END;

CREATE TRIGGER instances_counted_delete AFTER DELETE ON instances
WHEN OLD.deleted_at IS NULL
BEGIN
    INSERT INTO account_counts (account_id, slot, live, stopped)
    VALUES (OLD.account_id, 0, -1, -OLD.stopped)
    ON CONFLICT (account_id, slot) DO UPDATE
        SET live = live + excluded.live, stopped = stopped + excluded.stopped;
    INSERT INTO user_counts (account_id, user_tag, live, stopped)
    SELECT OLD.account_id, OLD.user_tag, -1, -OLD.stopped WHERE OLD.user_tag IS NOT NULL
    ON CONFLICT (account_id, user_tag) DO UPDATE
        SET live = live + excluded.live, stopped = stopped + excluded.stopped;
END;

-- The counts of an existing database, in place.
INSERT INTO account_counts (account_id, slot, live, stopped)
SELECT account_id, 0, COUNT(*), SUM(stopped)
FROM instances WHERE deleted_at IS NULL GROUP BY account_id;
INSERT INTO user_counts (account_id, user_tag, live, stopped)
SELECT account_id, user_tag, COUNT(*), SUM(stopped)
FROM instances WHERE deleted_at IS NULL AND user_tag IS NOT NULL
GROUP BY account_id, user_tag;
