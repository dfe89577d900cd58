//! Revoked keys told to the servers running on the database at once.
//!
//! PostgreSQL: `keys revoke` notifies the channel [`CHANNEL`] in the statement that
//! revokes, so the notice goes out exactly when the revocation commits; each server
//! listens on a connection of its own. SQLite has no such channel (the revoking command
//! is another process writing the file), so servers on it do not cache keys at all.

use sqlx::postgres::PgListener;

use crate::ids::KeyId;
use crate::timestamp::Timestamp;

use super::{Backend, Store, StoreError};

/// The notification channel of revoked keys; the payload is the key's id.
pub const CHANNEL: &str = "identity_os_revoked_keys";

/// A live subscription to revocations.
pub struct Revocations {
    listener: PgListener,
}

impl Store {
    /// Subscribes to revocations: `None` on a backend that cannot tell them (SQLite).
    pub async fn listen_revocations(&self) -> Result<Option<Revocations>, StoreError> {
        match self.backend() {
            Backend::Postgres(pool) => {
                let mut listener = PgListener::connect_with(pool).await?;
                listener.listen(CHANNEL).await?;
                Ok(Some(Revocations { listener }))
            }
            Backend::Sqlite(_) => Ok(None),
        }
    }
}

impl Revocations {
    /// The next revoked key. An error means the subscription is lost: notices may have
    /// been missed, so whatever was learnt from it must be forgotten.
    pub async fn next(&mut self) -> Result<String, StoreError> {
        match self.listener.try_recv().await? {
            Some(notice) => Ok(notice.payload().to_owned()),
            None => Err(StoreError::Unavailable(std::sync::Arc::new(
                sqlx::Error::Protocol("the revocation listener lost its connection".into()),
            ))),
        }
    }
}

impl Store {
    /// Revokes a key; on PostgreSQL the listeners are told in the same statement.
    pub(super) async fn revoke_and_tell(
        &self,
        id: &KeyId,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        const REVOKE: &str =
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2";
        match self.backend() {
            Backend::Postgres(pool) => {
                let sql =
                    format!("WITH r AS ({REVOKE} RETURNING id) SELECT pg_notify($3, r.id) FROM r");
                sqlx::query(&sql)
                    .bind(at.as_micros())
                    .bind(id.as_str())
                    .bind(CHANNEL)
                    .execute(pool)
                    .await?;
            }
            Backend::Sqlite(pool) => {
                sqlx::query(REVOKE)
                    .bind(at.as_micros())
                    .bind(id.as_str())
                    .execute(pool)
                    .await?;
            }
        }
        Ok(())
    }
}
