-- Cluster mode (docs/cluster.md): PostgreSQL is the coordinator as well as the store.
-- Portable DDL like the rest; a single node (and SQLite) never writes these tables.

-- Who owns each of the 1 024 shards (crc32 of an instance id modulo 1 024, as HAProxy
-- computes it). `epoch` is the fencing token: bumped by every acquisition, so a write
-- stamped with an older one is refused. `lease_until` is PostgreSQL's clock in
-- microseconds since the Unix epoch: one clock for every node's lease.
CREATE TABLE shard_lease (
    shard_id INTEGER PRIMARY KEY,
    node_id TEXT,
    epoch BIGINT NOT NULL DEFAULT 0,
    lease_until BIGINT NOT NULL DEFAULT 0
);
WITH RECURSIVE shards (n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM shards WHERE n < 1023)
INSERT INTO shard_lease (shard_id) SELECT n FROM shards;

-- The live nodes: `node_id` is the configured name with a per-process generation
-- (`n1/3f2a…`), so a restarted node is a new member; `addr` is where other nodes
-- forward to.
CREATE TABLE cluster_node (
    node_id TEXT PRIMARY KEY,
    addr TEXT NOT NULL,
    heartbeat_at BIGINT NOT NULL,
    draining BOOLEAN NOT NULL DEFAULT FALSE
);

-- The epoch of the shard lease the instance was last activated (or written) under:
-- every write concerning the instance requires it unchanged, so a node that lost the
-- shard writes nothing more.
ALTER TABLE instances ADD COLUMN owner_epoch BIGINT NOT NULL DEFAULT 0;
