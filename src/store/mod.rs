//! Storage: PostgreSQL or an embedded SQLite file, behind one `Store`.
//!
//! The two backends share every statement but one: SQL is written once in portable form
//! (`$n` placeholders, BIGINT times, TEXT JSON) and [`with_pool!`] compiles each query
//! for the concrete pool of the backend in use, so there is no second copy of a query to
//! drift apart, and no `sqlx::Any` type erasure. The exception is the hot path's group
//! commit, which PostgreSQL takes as one array-bound statement (`commit.rs`); the
//! conformance suite runs it on both backends like everything else. What differs between the backends (connection
//! options, SQLite's pragmas) lives in `backend.rs`. The shared conformance suite in
//! `tests/store/` runs every behaviour against both.
//!
//! Durability (ARCHITECTURE.md invariant 3): cycles are appended to `history` by the
//! group-commit writer (`writer.rs`) and a caller's `append` returns only after the
//! transaction holding its rows has committed. Activation reads the newest snapshot plus
//! the history after it, in batches across concurrent activations (`loader.rs`).

mod backend;
mod batches;
mod commit;
mod creator;
mod error;
mod fence;
mod instance_list;
mod instances;
mod keys;
mod loader;
mod pages;
mod partitions;
mod profile;
mod records;
mod retention;
mod revocations;
mod rows;
mod writer;

use std::time::Duration;

use sqlx::migrate::Migrator;

pub use backend::Backend;
pub use error::StoreError;
pub use fence::Fence;
pub use partitions::HistoryPartition;
pub use records::{
    CycleRecord, DriftEvent, DriftRecord, HistoryEntry, InstanceFilter, InstanceMeta,
    InstanceRecord, KeyRecord, Keys, NewInstance, Page, Paged, Position, SnapshotRecord, SortKey,
    StoredInstance, Summary,
};
pub use retention::Dropped;
pub use revocations::Revocations;
pub use writer::Append;

use creator::CreatorHandle;
use loader::LoaderHandle;
use writer::WriterHandle;

/// Runs `$body` with `$pool` bound to the concrete pool of the backend in use: one
/// source, compiled once per backend.
macro_rules! with_pool {
    ($backend:expr, |$pool:ident| $body:expr) => {
        match $backend {
            $crate::store::Backend::Postgres($pool) => $body,
            $crate::store::Backend::Sqlite($pool) => $body,
        }
    };
}
pub(crate) use with_pool;

/// When [`Store::append`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Durability {
    /// Once committed: an acknowledged cycle survives a crash (the default).
    #[default]
    Durable,
    /// Cycle-only appends return once queued for the writer; a crash loses what was
    /// queued and not yet committed (at most `writer_queue` appends, in practice one
    /// commit's worth). Appends carrying a snapshot (passivation, shutdown, reset,
    /// every `snapshot_every` cycles) still wait, so an instance passivated and loaded
    /// again never reads older state than it wrote. For benchmarks; off by default.
    WriteBehind,
}

/// Tuning of the storage layer (`[storage]` in config).
#[derive(Debug, Clone, PartialEq)]
pub struct StoreOptions {
    /// Connections in the pool (SQLite: readers; it has one writer at a time anyway).
    pub max_connections: u32,
    /// How long a request waits for a connection before the store reports itself
    /// unavailable (503) instead of queueing forever.
    pub acquire_timeout: Duration,
    /// Group commit: a batch is flushed when it holds this many cycles…
    pub group_commit_max_rows: usize,
    /// …or when its first job has waited this long.
    pub group_commit_linger: Duration,
    /// Batches committing at once (PostgreSQL; SQLite always one).
    pub group_commits_in_flight: usize,
    /// Jobs the writer queues before `append` callers wait (bounded memory).
    pub writer_queue: usize,
    /// When an append counts as done (`durable` unless asked otherwise).
    pub durability: Durability,
    /// SQLite: how long a statement waits for the write lock.
    pub sqlite_busy_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(3),
            group_commit_max_rows: 1000,
            group_commit_linger: Duration::from_millis(1),
            group_commits_in_flight: 2,
            writer_queue: 16_384,
            durability: Durability::Durable,
            sqlite_busy_timeout: Duration::from_secs(5),
        }
    }
}

/// The storage of one server: a connection pool, its group-commit writer and its
/// batching activation loader.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
    writer: WriterHandle,
    loader: LoaderHandle,
    creator: CreatorHandle,
    /// [`Store::kept_since`], in microseconds.
    horizon: std::sync::Arc<std::sync::atomic::AtomicI64>,
}

/// The schema: `migrations/` for both backends, then the backend's own directory for
/// what cannot be written portably (triggers). Versions are unique across the three
/// directories; each migrator skips the versions the others applied.
static SHARED: Migrator = Migrator {
    ignore_missing: true,
    ..sqlx::migrate!("./migrations")
};
static POSTGRES: Migrator = Migrator {
    ignore_missing: true,
    ..sqlx::migrate!("./migrations/postgres")
};
static SQLITE: Migrator = Migrator {
    ignore_missing: true,
    ..sqlx::migrate!("./migrations/sqlite")
};

impl Store {
    /// Connects to `url` (`postgres://…` or `sqlite://…`), applies pending migrations
    /// and starts the group-commit writer.
    pub async fn open(url: &str, options: &StoreOptions) -> Result<Store, StoreError> {
        let backend = Backend::connect(url, options).await?;
        let store = Store {
            writer: WriterHandle::spawn(backend.clone(), options),
            loader: LoaderHandle::spawn(backend.clone()),
            creator: CreatorHandle::spawn(backend.clone()),
            horizon: retention::unknown_horizon(),
            backend,
        };
        store.migrate().await?;
        store.refresh_history_horizon().await?;
        Ok(store)
    }

    /// Applies pending migrations (idempotent).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Postgres(pool) => {
                SHARED.run(pool).await?;
                POSTGRES.run(pool).await?;
            }
            Backend::Sqlite(pool) => {
                SHARED.run(pool).await?;
                SQLITE.run(pool).await?;
            }
        }
        Ok(())
    }

    /// A round trip to the database: `/readyz`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        with_pool!(&self.backend, |pool| sqlx::query("SELECT 1")
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// Appends cycles (and optionally a snapshot) through the group-commit writer;
    /// returns once they are committed (or, write-behind, queued: see [`Durability`]).
    pub async fn append(&self, append: Append) -> Result<(), StoreError> {
        self.writer.submit(append).await
    }

    /// New group-commit bounds (`database.group_commit_*`), from the next batch on.
    pub fn set_group_commit(&self, max_rows: usize, linger: Duration) {
        self.writer.set_group_commit(max_rows, linger);
    }

    /// Flushes the writer and closes the pool.
    pub async fn close(&self) {
        self.writer.shutdown().await;
        with_pool!(&self.backend, |pool| pool.close().await);
    }

    pub(crate) fn backend(&self) -> &Backend {
        &self.backend
    }
}

/// How long a duration is in whole microseconds, for `Timestamp` arithmetic in SQL.
pub(crate) fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}
