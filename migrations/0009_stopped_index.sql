-- Issue 16 (docs/storage.md, BENCHMARKS.md): the index of `status=stopped` lists held
-- every live instance (account, stopped flag, creation time, id: 74 bytes per instance at
-- 1 M) to serve the few that are stopped. Now only those: lists of running instances
-- (status=active|passivated|failed) read the creation-time index and skip the stopped.
DROP INDEX instances_by_stopped;
CREATE INDEX instances_stopped ON instances (account_id, created_at, id)
    WHERE deleted_at IS NULL AND stopped;
