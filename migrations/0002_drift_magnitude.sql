-- The distance each drift event was classified by (the largest offset of any mode from
-- its baseline), which the SDK dialect reports as `magnitude`. Rows written before this
-- column are NULL; readers recover the value from `deviation` (see store/rows.rs).
ALTER TABLE drift_events ADD COLUMN magnitude DOUBLE PRECISION;
