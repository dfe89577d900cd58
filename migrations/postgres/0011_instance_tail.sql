-- Whether `history` may hold rows of the instance after its snapshot (after seq 0
-- without one): only then do a load and a list read the history. Reads of an instance
-- whose snapshot (or creation profile) is its newest state, nearly every stored one,
-- skip one index probe per partition (BENCHMARKS.md, 2026-12-07 third session).
--
-- Set by the trigger below in the transaction of every history insert, whoever the
-- writer (a node of the previous version in a rolling upgrade included); cleared by the
-- group commit that writes a snapshot with no cycles (passivation, stop, start, a new
-- engine version: a snapshot of everything the actor did), and written FALSE by
-- creation. TRUE is always safe, so existing rows start there: adding a column with a
-- constant default rewrites nothing.
ALTER TABLE instances ADD COLUMN has_tail BOOLEAN NOT NULL DEFAULT TRUE;

-- One statement per group commit: the batch's instances once each, updated only when
-- the flag moves (the first cycle after a clean state), so most batches write nothing.
CREATE FUNCTION history_marks_tail() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    UPDATE instances i SET has_tail = TRUE
    FROM (SELECT DISTINCT instance_id FROM new_rows) n
    WHERE i.id = n.instance_id AND NOT i.has_tail;
    RETURN NULL;
END $$;

CREATE TRIGGER history_marks_tail AFTER INSERT ON history
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION history_marks_tail();
