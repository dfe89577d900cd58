//! Batched activation loads: the read-side twin of the group-commit writer.
//!
//! An activation needs an instance's record, its snapshot and the history after it.
//! Done one instance at a time that is three round trips each, and a storm of
//! activations (a restart, a burst of traffic to passivated instances) is bound by
//! round trips, not by the database. So loads are queued to one task that drains the
//! queue into batches and runs two queries once per batch (instances joined with their
//! snapshots, then the history after each snapshot), with a few batches in flight at
//! once; while they run, the queue fills the next batch. PostgreSQL takes a batch's ids
//! as arrays: one prepared statement whatever the batch size. SQLite has no arrays: it
//! gets `IN (…)` lists padded to a power of two (repeating an id is harmless in `IN`),
//! so its statement cache sees a handful of shapes, not one per size.

use std::collections::HashMap;

use tokio::sync::{mpsc, oneshot};

use crate::ids::InstanceId;

use super::batches;
use super::rows::{HISTORY_COLUMNS, KeyedHistoryRow, LOAD_SELECT, LoadRow};
use super::{Backend, HistoryEntry, StoreError, StoredInstance};

/// Largest batch (bind parameters stay far below both backends' limits).
const MAX_BATCH: usize = 256;
/// Batches loading at once; the rest of the pool stays free for requests and the writer.
const BATCHES_IN_FLIGHT: usize = 2;

type Reply = oneshot::Sender<Result<StoredInstance, StoreError>>;

#[derive(Clone)]
pub(crate) struct LoaderHandle {
    tx: mpsc::UnboundedSender<(InstanceId, Reply)>,
}

impl LoaderHandle {
    pub(crate) fn spawn(backend: Backend) -> LoaderHandle {
        let tx = batches::spawn(MAX_BATCH, BATCHES_IN_FLIGHT, move |batch| {
            load_and_reply(backend.clone(), batch)
        });
        LoaderHandle { tx }
    }

    pub(crate) async fn load(&self, id: InstanceId) -> Result<StoredInstance, StoreError> {
        let (reply, wait) = oneshot::channel();
        self.tx
            .send((id, reply))
            .map_err(|_| StoreError::TasksStopped)?;
        wait.await.map_err(|_| StoreError::TasksStopped)?
    }
}

async fn load_and_reply(backend: Backend, batch: Vec<(InstanceId, Reply)>) {
    let ids: Vec<&InstanceId> = batch.iter().map(|(id, _)| id).collect();
    match load_batch(&backend, &ids).await {
        Ok(mut loaded) => {
            for (id, reply) in batch {
                let result = loaded
                    .remove(id.as_str())
                    .unwrap_or(Err(StoreError::NotFound));
                let _ = reply.send(result);
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, instances = batch.len(), "activation load failed");
            for (_, reply) in batch {
                let _ = reply.send(Err(e.clone()));
            }
        }
    }
}

/// Outcomes by instance id.
type Loaded = HashMap<String, Result<StoredInstance, StoreError>>;

/// Loads every live instance of `ids`; ids that are missing or deleted are absent from
/// the map, and a row that does not decode fails its own instance only.
async fn load_batch(backend: &Backend, ids: &[&InstanceId]) -> Result<Loaded, StoreError> {
    let instances: Vec<LoadRow> = match backend {
        Backend::Postgres(pool) => {
            let sql = format!("{LOAD_SELECT} WHERE i.id = ANY($1::TEXT[])");
            let ids: Vec<&str> = ids.iter().map(|id| id.as_str()).collect();
            sqlx::query_as(&sql).bind(ids).fetch_all(pool).await?
        }
        Backend::Sqlite(pool) => {
            let padded = ids.len().next_power_of_two();
            let list = numbered(padded, ", ", |n| format!("${n}"));
            let sql = format!("{LOAD_SELECT} WHERE i.id IN ({list})");
            let mut q = sqlx::query_as(&sql);
            for id in ids.iter().cycle().take(padded) {
                q = q.bind(id.as_str());
            }
            q.fetch_all(pool).await?
        }
    };
    // The history after each snapshot, as one index range per instance: a condition on
    // `instance_id` alone would read every row the instance ever had. Only where history
    // may hold such rows: after a clean passivation, or before any cycle, none does.
    let after: Vec<(&str, i64)> = instances
        .iter()
        .filter(|row| row.is_live())
        .filter_map(|row| Some((row.id(), row.replay_after()?)))
        .collect();
    if after.is_empty() {
        return Ok(assemble(instances, Vec::new()));
    }
    let tails: Vec<KeyedHistoryRow> = match backend {
        Backend::Postgres(pool) => {
            // LATERAL with its own ORDER BY: PostgreSQL cannot flatten that subquery
            // into a plain join, so it runs one index range per id. Flattened, with no
            // idea how many ids the array holds, it chose a parallel scan of the whole
            // history table and a hash join (measured with 1 M rows: 100 ms instead of
            // 1 ms for a batch of 64).
            let sql = format!(
                "SELECT a.id AS instance_id, h.* \
                 FROM UNNEST($1::TEXT[], $2::BIGINT[]) AS a (id, after_seq) \
                 CROSS JOIN LATERAL (SELECT {HISTORY_COLUMNS} FROM history \
                     WHERE instance_id = a.id AND seq > a.after_seq ORDER BY seq) h \
                 ORDER BY a.id, h.seq"
            );
            let (ids, seqs): (Vec<&str>, Vec<i64>) = after.into_iter().unzip();
            sqlx::query_as(&sql)
                .bind(ids)
                .bind(seqs)
                .fetch_all(pool)
                .await?
        }
        Backend::Sqlite(pool) => {
            let padded = after.len().next_power_of_two();
            let ranges = numbered(padded, " OR ", |n| {
                format!("(instance_id = ${} AND seq > ${})", 2 * n - 1, 2 * n)
            });
            let sql = format!(
                "SELECT instance_id, {HISTORY_COLUMNS} FROM history WHERE {ranges} \
                 ORDER BY instance_id, seq"
            );
            let mut q = sqlx::query_as(&sql);
            for (id, seq) in after.iter().cycle().take(padded) {
                q = q.bind(*id).bind(*seq);
            }
            q.fetch_all(pool).await?
        }
    };
    Ok(assemble(instances, tails))
}

/// `count` numbered items (from 1) joined by `separator`.
fn numbered(count: usize, separator: &str, item: impl Fn(usize) -> String) -> String {
    (1..=count).map(item).collect::<Vec<_>>().join(separator)
}

fn assemble(instances: Vec<LoadRow>, tails: Vec<KeyedHistoryRow>) -> Loaded {
    let mut tails_by_id: HashMap<String, Result<Vec<HistoryEntry>, StoreError>> = HashMap::new();
    for row in tails {
        let (key, row) = row.split();
        let entry = tails_by_id.entry(key).or_insert_with(|| Ok(Vec::new()));
        if let Ok(tail) = entry {
            match HistoryEntry::try_from(row) {
                Ok(h) => tail.push(h),
                Err(e) => *entry = Err(e),
            }
        }
    }
    let mut loaded = Loaded::new();
    for row in instances.into_iter().filter(LoadRow::is_live) {
        let key = row.id().to_owned();
        let tail = tails_by_id.remove(&key).unwrap_or(Ok(Vec::new()));
        let result = (|| {
            let (mut record, snapshot) = row.decode()?;
            let tail = tail?;
            if let Some(newest) = tail.last() {
                record.cycle_count = newest.seq;
                record.summary = newest.summary;
            }
            Ok(StoredInstance {
                record,
                snapshot,
                tail,
            })
        })();
        loaded.insert(key, result);
    }
    loaded
}
