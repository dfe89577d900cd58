//! Account-wide limits in cluster mode: each account's monthly cycles and requests per
//! minute are shared by every node through PostgreSQL, so they hold for the cluster
//! however the account's traffic is spread (`docs/cluster.md`).
//!
//! A node admits from grants it took from the account's budget of the current window
//! (`account_budget`); when its grant is spent it takes another, at most what the limit
//! leaves, in one statement. The nodes together can therefore never admit more than the
//! limit. A grant is a slice of the limit (`limit / 32`, at least what the call needs),
//! so an account's traffic costs one round trip per slice; what a node was granted and
//! did not use stays with it until the window ends (or it gives it back when it leaves),
//! so the others may refuse up to (nodes − 1) slices early.

use dashmap::DashMap;
use sqlx::PgPool;

use crate::ids::AccountId;

/// What a budget limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Processed observations per calendar month (`YYYY-MM`).
    Cycles,
    /// Requests per minute (the window is the minute's number since the Unix epoch).
    Requests,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Cycles => "cycles",
            Kind::Requests => "requests",
        }
    }
}

/// This node's share of one account's budget of one window.
#[derive(Debug, Default)]
struct Share {
    window: String,
    granted: u64,
    used: u64,
    /// What all nodes had been granted at this node's newest grant.
    cluster_granted: u64,
}

/// An admission: how much of the limit is left (as far as this node knows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Left(pub u64);

pub struct Budgets {
    pool: PgPool,
    shares: DashMap<(AccountId, Kind), Share>,
}

impl Budgets {
    pub fn new(pool: PgPool) -> Budgets {
        Budgets {
            pool,
            shares: DashMap::new(),
        }
    }

    /// Takes `n` from `account`'s budget of `kind` in `window` (at most `limit` per
    /// window across the cluster). `Ok(None)`: the limit is reached.
    pub async fn take(
        &self,
        account: &AccountId,
        kind: Kind,
        window: &str,
        limit: u64,
        n: u64,
    ) -> Result<Option<Left>, sqlx::Error> {
        if let Some(left) = self.take_local(account, kind, window, limit, n) {
            return Ok(Some(left));
        }
        let want = n.max(limit / 32).max(1);
        let (took, cluster_granted) = self.grant(account, kind, window, limit, want).await?;
        {
            let mut share = self.share(account, kind, window);
            share.granted += took;
            share.cluster_granted = share.cluster_granted.max(cluster_granted);
        }
        Ok(self.take_local(account, kind, window, limit, n))
    }

    /// Gives back `n` of what a call took and did not use.
    pub fn give_back(&self, account: &AccountId, kind: Kind, window: &str, n: u64) {
        if let Some(mut share) = self.shares.get_mut(&(account.clone(), kind))
            && share.window == window
        {
            share.used = share.used.saturating_sub(n);
        }
    }

    /// What is left of `limit` in `window`, as far as this node knows.
    pub fn left(&self, account: &AccountId, kind: Kind, window: &str, limit: u64) -> u64 {
        self.shares
            .get(&(account.clone(), kind))
            .filter(|s| s.window == window)
            .map_or(limit, |s| left(&s, limit))
    }

    fn take_local(
        &self,
        account: &AccountId,
        kind: Kind,
        window: &str,
        limit: u64,
        n: u64,
    ) -> Option<Left> {
        let mut share = self.share(account, kind, window);
        (share.granted - share.used >= n).then(|| {
            share.used += n;
            Left(left(&share, limit))
        })
    }

    /// The account's share, reset when its window has passed.
    fn share(
        &self,
        account: &AccountId,
        kind: Kind,
        window: &str,
    ) -> dashmap::mapref::one::RefMut<'_, (AccountId, Kind), Share> {
        let mut share = self.shares.entry((account.clone(), kind)).or_default();
        if share.window != window {
            *share = Share {
                window: window.to_owned(),
                ..Share::default()
            };
        }
        share
    }

    /// Takes up to `want` from the budget in PostgreSQL; returns what it took and what
    /// all nodes have been granted since. A month's budget starts from the cycles already
    /// billed in it.
    async fn grant(
        &self,
        account: &AccountId,
        kind: Kind,
        window: &str,
        limit: u64,
        want: u64,
    ) -> Result<(u64, u64), sqlx::Error> {
        let (limit, want) = (signed(limit), signed(want));
        let (took, granted): (i64, i64) = sqlx::query_as(
            "WITH base AS (
                 SELECT COALESCE((SELECT cycles FROM monthly_usage
                                  WHERE account_id = $1 AND period = $3 AND $2 = 'cycles'), 0) AS b
             )
             INSERT INTO account_budget AS a (account_id, kind, window_key, granted, last_take)
             SELECT $1, $2, $3, LEAST(b + $4, GREATEST($5, b)), LEAST($4, GREATEST($5 - b, 0))
             FROM base
             ON CONFLICT (account_id, kind, window_key) DO UPDATE
             SET last_take = LEAST($4, GREATEST($5 - a.granted, 0)),
                 granted = a.granted + LEAST($4, GREATEST($5 - a.granted, 0))
             RETURNING last_take, granted",
        )
        .bind(account.as_str())
        .bind(kind.as_str())
        .bind(window)
        .bind(want)
        .bind(limit)
        .fetch_one(&self.pool)
        .await?;
        Ok((unsigned(took), unsigned(granted)))
    }

    /// Gives every unused grant back (the node is leaving), so that the other nodes
    /// can admit it.
    pub async fn return_unused(&self) {
        let unused: Vec<((AccountId, Kind), String, u64)> = self
            .shares
            .iter()
            .filter(|s| s.granted > s.used)
            .map(|s| (s.key().clone(), s.window.clone(), s.granted - s.used))
            .collect();
        for ((account, kind), window, n) in unused {
            let returned = sqlx::query(
                "UPDATE account_budget SET granted = GREATEST(granted - $4, 0)
                 WHERE account_id = $1 AND kind = $2 AND window_key = $3",
            )
            .bind(account.as_str())
            .bind(kind.as_str())
            .bind(&window)
            .bind(signed(n))
            .execute(&self.pool)
            .await;
            if let Err(e) = returned {
                tracing::warn!(error = %e, "returning an unused grant failed");
            }
        }
    }

    /// Forgets budgets of windows long past (requests: older than ten minutes; cycles:
    /// older than the previous month are kept forever by `monthly_usage` anyway).
    pub async fn forget_past(&self, current_minute: u64) -> Result<(), sqlx::Error> {
        sqlx::query(
            // CASE: the cast must never see a month's key.
            "DELETE FROM account_budget
             WHERE CASE WHEN kind = 'requests' THEN window_key::BIGINT < $1 ELSE FALSE END",
        )
        .bind(signed(current_minute.saturating_sub(10)))
        .execute(&self.pool)
        .await?;
        let now = current_minute.to_string();
        self.shares
            .retain(|(_, kind), share| *kind == Kind::Cycles || share.window == now);
        Ok(())
    }
}

fn left(share: &Share, limit: u64) -> u64 {
    limit.saturating_sub(share.cluster_granted) + (share.granted - share.used)
}

fn signed(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn unsigned(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}
