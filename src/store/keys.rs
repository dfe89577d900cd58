//! Accounts and their API keys. Keys are looked up by the SHA-256 of the secret; the
//! secret itself is never stored.

use crate::ids::{AccountId, KeyId};
use crate::timestamp::Timestamp;

use super::records::KeyRecord;
use super::rows::KeyRow;
use super::{Store, StoreError, with_pool};

const KEY_SELECT: &str = "\
SELECT k.id, k.account_id, a.plan, k.label, k.created_at, k.revoked_at
FROM api_keys k JOIN accounts a ON a.id = k.account_id";

impl Store {
    pub async fn create_account(
        &self,
        id: &AccountId,
        plan: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        with_pool!(self.backend(), |pool| {
            sqlx::query("INSERT INTO accounts (id, plan, created_at) VALUES ($1, $2, $3)")
                .bind(id.as_str())
                .bind(plan)
                .bind(at.as_micros())
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Creates an account with one key, in one transaction.
    pub async fn create_account_with_key(
        &self,
        account: &AccountId,
        plan: &str,
        key: &KeyId,
        secret_hash: &str,
        label: &str,
        at: Timestamp,
    ) -> Result<KeyRecord, StoreError> {
        with_pool!(self.backend(), |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("INSERT INTO accounts (id, plan, created_at) VALUES ($1, $2, $3)")
                .bind(account.as_str())
                .bind(plan)
                .bind(at.as_micros())
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO api_keys (id, account_id, secret_hash, label, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(key.as_str())
            .bind(account.as_str())
            .bind(secret_hash)
            .bind(label)
            .bind(at.as_micros())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })?;
        self.keys(Some(key))
            .await?
            .pop()
            .ok_or(StoreError::NotFound)
    }

    /// True when a key with this hash was ever stored, revoked or not.
    pub async fn key_exists(&self, secret_hash: &str) -> Result<bool, StoreError> {
        let found: Option<String> = with_pool!(self.backend(), |pool| {
            sqlx::query_scalar("SELECT id FROM api_keys WHERE secret_hash = $1")
                .bind(secret_hash)
                .fetch_optional(pool)
                .await
        })?;
        Ok(found.is_some())
    }

    /// Stores a key of `account` under the hash of its secret.
    pub async fn create_key(
        &self,
        id: &KeyId,
        account: &AccountId,
        secret_hash: &str,
        label: &str,
        at: Timestamp,
    ) -> Result<KeyRecord, StoreError> {
        with_pool!(self.backend(), |pool| {
            sqlx::query(
                "INSERT INTO api_keys (id, account_id, secret_hash, label, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id.as_str())
            .bind(account.as_str())
            .bind(secret_hash)
            .bind(label)
            .bind(at.as_micros())
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
        })?;
        self.keys(Some(id)).await?.pop().ok_or(StoreError::NotFound)
    }

    /// Every key, oldest first.
    pub async fn list_keys(&self) -> Result<Vec<KeyRecord>, StoreError> {
        self.keys(None).await
    }

    async fn keys(&self, only: Option<&KeyId>) -> Result<Vec<KeyRecord>, StoreError> {
        let sql = match only {
            Some(_) => format!("{KEY_SELECT} WHERE k.id = $1"),
            None => format!("{KEY_SELECT} ORDER BY k.created_at, k.id"),
        };
        let rows: Vec<KeyRow> = with_pool!(self.backend(), |pool| {
            let mut q = sqlx::query_as(&sql);
            if let Some(id) = only {
                q = q.bind(id.as_str());
            }
            q.fetch_all(pool).await
        })?;
        rows.into_iter().map(KeyRecord::try_from).collect()
    }

    /// The live (unrevoked) key whose secret hashes to `secret_hash`.
    pub async fn find_key(&self, secret_hash: &str) -> Result<Option<KeyRecord>, StoreError> {
        let sql = format!("{KEY_SELECT} WHERE k.secret_hash = $1 AND k.revoked_at IS NULL");
        let row: Option<KeyRow> = with_pool!(self.backend(), |pool| {
            sqlx::query_as(&sql)
                .bind(secret_hash)
                .fetch_optional(pool)
                .await
        })?;
        row.map(KeyRecord::try_from).transpose()
    }

    /// Revokes a key; revoking twice keeps the first time. Unknown id → not found.
    /// Running servers stop accepting it at once (`revocations.rs`).
    pub async fn revoke_key(&self, id: &KeyId, at: Timestamp) -> Result<KeyRecord, StoreError> {
        self.revoke_and_tell(id, at).await?;
        self.keys(Some(id)).await?.pop().ok_or(StoreError::NotFound)
    }

    /// Cycles billed to `account` in `period` (`YYYY-MM`).
    pub async fn monthly_usage(
        &self,
        account: &AccountId,
        period: &str,
    ) -> Result<u64, StoreError> {
        let cycles: Option<i64> = with_pool!(self.backend(), |pool| {
            sqlx::query_scalar(
                "SELECT cycles FROM monthly_usage WHERE account_id = $1 AND period = $2",
            )
            .bind(account.as_str())
            .bind(period)
            .fetch_optional(pool)
            .await
        })?;
        super::rows::unsigned(cycles.unwrap_or(0))
    }
}
