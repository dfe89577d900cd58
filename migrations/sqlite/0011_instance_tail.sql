-- Whether `history` may hold rows of the instance after its snapshot (after seq 0
-- without one): only then do a load and a list read the history (the PostgreSQL twin
-- of this migration says more). Set on every history insert, cleared by the commit of a
-- snapshot with no cycles, written FALSE by creation; TRUE is always safe.
ALTER TABLE instances ADD COLUMN has_tail BOOLEAN NOT NULL DEFAULT TRUE;

CREATE TRIGGER history_marks_tail AFTER INSERT ON history
BEGIN
    UPDATE instances SET has_tail = TRUE WHERE id = NEW.instance_id AND NOT has_tail;
END;
