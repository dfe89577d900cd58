//! Storage errors, classified by what the caller should do about them.

use std::sync::Arc;

/// A storage failure. Cloneable, because one failed group commit fails every request
/// that shared it.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached or is overloaded: retry later (503).
    #[error("storage unavailable: {0}")]
    Unavailable(#[source] Arc<sqlx::Error>),
    /// No such row (for this account).
    #[error("not found")]
    NotFound,
    /// The write contradicts stored state; the reason is machine-readable.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// A stored value does not decode: a bug or tampering, never the client's fault.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[source] Arc<sqlx::Error>),
    #[error("migration failed: {0}")]
    Migrate(#[source] Arc<sqlx::migrate::MigrateError>),
    /// Cluster mode: the instance's shard is no longer held by this node at the epoch
    /// the write was made under (another node took it); nothing was written (503).
    #[error("fenced: the instance's shard has moved to another node")]
    Fenced,
    /// Cluster mode: the node activates no more instances this second (a takeover's
    /// burst); retry shortly (503).
    #[error("too many activations at once")]
    Busy,
    /// The group-commit writer or the activation loader has shut down (server
    /// shutting down).
    #[error("the storage tasks have stopped")]
    TasksStopped,
}

impl StoreError {
    /// True for failures that go away when the database comes back.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_) | StoreError::TasksStopped)
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(Arc::new(e)),
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) => {
                let code = db.code().unwrap_or_default();
                // PostgreSQL: connection exceptions (08…), shutdown (57P…), too many
                // connections (53300). SQLite: busy (5, and its extended codes such as
                // 517, a stale snapshot) and locked (6).
                let sqlite_busy = code.parse::<u32>().is_ok_and(|n| matches!(n & 0xff, 5 | 6));
                if code.starts_with("08")
                    || code.starts_with("57P")
                    || code == "53300"
                    || sqlite_busy
                {
                    StoreError::Unavailable(Arc::new(e))
                } else if db.is_unique_violation() {
                    StoreError::Conflict("duplicate")
                } else {
                    StoreError::Database(Arc::new(e))
                }
            }
            _ => StoreError::Database(Arc::new(e)),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        StoreError::Migrate(Arc::new(e))
    }
}
