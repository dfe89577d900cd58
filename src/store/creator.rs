//! Group-committed creation: concurrent creates share one transaction and one commit,
//! as cycles do in the writer. PostgreSQL takes a batch as one array-bound statement;
//! SQLite as one transaction of single-row statements (one fsync either way). An
//! instance is one row: its creation profile stands for its state until its first
//! snapshot (`profile.rs`). Each create is answered
//! after the commit that holds it. A batch that fails for a reason other than the
//! database being unreachable is retried one create at a time, so one bad row fails
//! only its own request. Under a fence (cluster mode) a row is inserted only while this
//! node holds its shard's lease at the fence's epoch, read `FOR SHARE` in the same
//! statement; a row refused so is answered [`StoreError::Fenced`].

use std::collections::HashSet;

use sqlx::{PgPool, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use super::fence::Fence;
use super::records::NewInstance;
use super::rows::{corrupt, signed};
use super::{Backend, StoreError, batches, profile};

/// Largest batch (PostgreSQL binds arrays; SQLite runs a statement pair per row).
const MAX_BATCH: usize = 512;
/// Batches committing at once; the rest of the pool serves reads and the writer.
const BATCHES_IN_FLIGHT: usize = 4;

/// One create: the instance, the fence it is written under, and who waits.
struct Create {
    new: Box<NewInstance>,
    fence: Option<Fence>,
    done: oneshot::Sender<Result<(), StoreError>>,
}

#[derive(Clone)]
pub(crate) struct CreatorHandle {
    tx: mpsc::UnboundedSender<Create>,
}

impl CreatorHandle {
    pub(crate) fn spawn(backend: Backend) -> CreatorHandle {
        let tx = batches::spawn(MAX_BATCH, BATCHES_IN_FLIGHT, move |batch| {
            create_and_reply(backend.clone(), batch)
        });
        CreatorHandle { tx }
    }

    /// Stores `new`; returns once committed.
    pub(crate) async fn create(
        &self,
        new: NewInstance,
        fence: Option<Fence>,
    ) -> Result<(), StoreError> {
        let (done, wait) = oneshot::channel();
        let create = Create {
            new: Box::new(new),
            fence,
            done,
        };
        self.tx.send(create).map_err(|_| StoreError::TasksStopped)?;
        wait.await.map_err(|_| StoreError::TasksStopped)?
    }
}

async fn create_and_reply(backend: Backend, batch: Vec<Create>) {
    let rows: Result<Vec<Row<'_>>, StoreError> = batch.iter().map(Row::of).collect();
    let result = match rows {
        Ok(rows) => insert(&backend, &rows).await,
        Err(e) => Err(e),
    };
    metrics::histogram!("identity_os_storage_create_batch").record(batch.len() as f64);
    match result {
        Ok(inserted) => {
            for create in batch {
                let outcome = if inserted.contains(create.new.id.as_str()) {
                    Ok(())
                } else {
                    Err(StoreError::Fenced)
                };
                let _ = create.done.send(outcome);
            }
        }
        Err(e) if batch.len() > 1 && !e.is_unavailable() => {
            tracing::warn!(error = %e, creates = batch.len(), "group creation failed; retrying its creates one by one");
            for create in batch {
                let alone = match Row::of(&create) {
                    Ok(row) => insert(&backend, std::slice::from_ref(&row)).await,
                    Err(e) => Err(e),
                };
                let outcome = match alone {
                    Ok(inserted) if inserted.is_empty() => Err(StoreError::Fenced),
                    Ok(_) => Ok(()),
                    Err(e) => {
                        tracing::error!(instance = %create.new.id, error = %e, "instance creation failed");
                        Err(e)
                    }
                };
                let _ = create.done.send(outcome);
            }
        }
        Err(e) => {
            tracing::error!(error = %e, creates = batch.len(), "group creation failed");
            for create in batch {
                let _ = create.done.send(Err(e.clone()));
            }
        }
    }
}

/// A create as bound: the instance's columns.
struct Row<'a> {
    new: &'a NewInstance,
    fence: Option<&'a Fence>,
    metadata: String,
    profile: Vec<u8>,
}

impl<'a> Row<'a> {
    fn of(create: &'a Create) -> Result<Row<'a>, StoreError> {
        let new = create.new.as_ref();
        Ok(Row {
            new,
            fence: create.fence.as_ref(),
            metadata: serde_json::to_string(&new.meta.metadata).map_err(corrupt)?,
            profile: profile::encode(&new.profile),
        })
    }

    fn at(&self) -> i64 {
        self.new.created_at.as_micros()
    }
}

/// Inserts the rows in one transaction; the ids inserted (all, without fences).
async fn insert(backend: &Backend, rows: &[Row<'_>]) -> Result<HashSet<String>, StoreError> {
    match backend {
        Backend::Postgres(pool) => postgres(pool, rows).await,
        Backend::Sqlite(pool) => sqlite(pool, rows).await,
    }
}

/// A batch's instances in one statement (one round trip and the commit of its own
/// transaction); a fenced row (`epoch` not null) only while its shard's lease is held at
/// that epoch. Answers the ids inserted.
const POSTGRES_CREATE: &str = "\
INSERT INTO instances (id, account_id, name, description, user_tag, metadata, cycle_cap,
                       stopped, persona, engine_version, profile, created_at, updated_at,
                       owner_epoch, has_tail)
SELECT n.id, n.account_id, n.name, n.description, n.user_tag, n.metadata, n.cycle_cap,
       FALSE, n.persona, n.engine_version, n.profile, n.created_at, n.created_at,
       COALESCE(n.epoch, 0), FALSE
FROM UNNEST($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::TEXT[], $6::TEXT[],
            $7::BIGINT[], $8::TEXT[], $9::INTEGER[], $10::BYTEA[], $11::BIGINT[],
            $12::BIGINT[], $13::INTEGER[], $14::TEXT[])
    AS n (id, account_id, name, description, user_tag, metadata, cycle_cap, persona,
          engine_version, profile, created_at, epoch, shard, node)
WHERE n.epoch IS NULL OR EXISTS (
    SELECT 1 FROM shard_lease l
    WHERE l.shard_id = n.shard AND l.node_id = n.node AND l.epoch = n.epoch FOR SHARE)
RETURNING id";

/// One column of the batch, as the array a statement binds.
fn column<'a, T>(rows: &'a [Row<'a>], value: impl Fn(&'a Row<'a>) -> T) -> Vec<T> {
    rows.iter().map(value).collect()
}

async fn postgres(pool: &PgPool, rows: &[Row<'_>]) -> Result<HashSet<String>, StoreError> {
    let inserted: Vec<String> = sqlx::query_scalar(POSTGRES_CREATE)
        .bind(column(rows, |r| r.new.id.as_str()))
        .bind(column(rows, |r| r.new.account_id.as_str()))
        .bind(column(rows, |r| r.new.meta.name.as_str()))
        .bind(column(rows, |r| r.new.meta.description.as_str()))
        .bind(column(rows, |r| r.new.meta.user.as_deref()))
        .bind(column(rows, |r| r.metadata.as_str()))
        .bind(column(rows, |r| r.new.meta.cycle_cap.map(signed)))
        .bind(column(rows, |r| r.new.persona.as_deref()))
        .bind(column(rows, |r| i32::from(r.new.engine_version.number())))
        .bind(column(rows, |r| r.profile.as_slice()))
        .bind(column(rows, Row::at))
        .bind(column(rows, |r| r.fence.map(Fence::epoch_value)))
        .bind(column(rows, |r| r.fence.map(|f| i32::from(f.shard))))
        .bind(column(rows, |r| r.fence.map(|f| &*f.node)))
        .fetch_all(pool)
        .await?;
    Ok(inserted.into_iter().collect())
}

/// A single node's insert of one instance (cluster mode, and so fences, need PostgreSQL).
const SQLITE_INSTANCE: &str = "\
INSERT INTO instances (id, account_id, name, description, user_tag, metadata, cycle_cap,
                       stopped, persona, engine_version, profile, created_at, updated_at,
                       has_tail)
VALUES ($1, $2, $3, $4, $5, $6, $7, FALSE, $8, $9, $10, $11, $11, FALSE)";

async fn sqlite(pool: &SqlitePool, rows: &[Row<'_>]) -> Result<HashSet<String>, StoreError> {
    if rows.iter().any(|r| r.fence.is_some()) {
        return Err(StoreError::Corrupt(
            "a fenced creation on SQLite (cluster mode needs PostgreSQL)".into(),
        ));
    }
    let mut tx = pool.begin().await?;
    for row in rows {
        let new = row.new;
        sqlx::query(SQLITE_INSTANCE)
            .bind(new.id.as_str())
            .bind(new.account_id.as_str())
            .bind(new.meta.name.as_str())
            .bind(new.meta.description.as_str())
            .bind(new.meta.user.as_deref())
            .bind(row.metadata.as_str())
            .bind(new.meta.cycle_cap.map(signed))
            .bind(new.persona.as_deref())
            .bind(i32::from(new.engine_version.number()))
            .bind(row.profile.as_slice())
            .bind(row.at())
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(rows.iter().map(|r| r.new.id.to_string()).collect())
}
