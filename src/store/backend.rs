//! The two backends and what differs between them: connecting.

use std::path::Path;
use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::{StoreError, StoreOptions};

/// The database in use. Cloning shares the pool.
#[derive(Clone, Debug)]
pub enum Backend {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

impl Backend {
    pub(crate) async fn connect(url: &str, o: &StoreOptions) -> Result<Backend, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            // No JIT: our statements are short OLTP queries, and when the planner's
            // estimates run high (statistics lagging a bulk insert) PostgreSQL spent
            // ≈ 165 ms JIT-compiling an activation query that then ran in 2 ms.
            let options = PgConnectOptions::from_str(url)?.options([("jit", "off")]);
            let pool = PgPoolOptions::new()
                .max_connections(o.max_connections)
                .acquire_timeout(o.acquire_timeout)
                .connect_with(options)
                .await?;
            Ok(Backend::Postgres(pool))
        } else if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                // WAL: readers never block the writer; FULL: a commit survives power loss,
                // not only a process crash.
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(o.sqlite_busy_timeout)
                .foreign_keys(true);
            if let Some(dir) = Path::new(options.get_filename()).parent()
                && !dir.as_os_str().is_empty()
            {
                std::fs::create_dir_all(dir).map_err(|e| StoreError::from(sqlx::Error::Io(e)))?;
            }
            let pool = SqlitePoolOptions::new()
                .max_connections(o.max_connections)
                .acquire_timeout(o.acquire_timeout)
                .connect_with(options)
                .await?;
            Ok(Backend::Sqlite(pool))
        } else {
            Err(StoreError::from(sqlx::Error::Configuration(
                format!("unsupported database URL {url:?}: expected postgres://… or sqlite://…")
                    .into(),
            )))
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Backend::Postgres(_) => "postgres",
            Backend::Sqlite(_) => "sqlite",
        }
    }
}
