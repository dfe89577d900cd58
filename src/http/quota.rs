//! Monthly cycle quotas: a cycle is one processed observation (a batch of n bills n, a
//! throttled call nothing).
//!
//! Usage is counted in memory per account and month, seeded from the database the first
//! time an account is seen in a month; the durable count is written by the group-commit
//! writer with the cycles themselves. A call reserves its cycles before it runs and
//! gives back what it did not use (throttled, refused, failed), so concurrent calls
//! cannot overshoot the quota together.

use std::collections::BTreeMap;
use std::sync::Arc;

use arc_swap::ArcSwap;
use dashmap::DashMap;

use crate::cluster::{Budgets, Kind};
use crate::config::PlanConfig;
use crate::ids::AccountId;
use crate::store::{Store, StoreError};
use crate::timestamp::Timestamp;

use super::auth::Account;
use super::error::ApiError;

pub struct Quotas {
    store: Store,
    /// Plan → cycles a month; a live setting ([`Quotas::reconfigure`]).
    limits: ArcSwap<BTreeMap<String, u64>>,
    /// Account → (month, cycles billed or reserved).
    used: DashMap<AccountId, (String, u64)>,
    /// Cluster mode: the quota is shared by every node (`cluster/budget.rs`) instead of
    /// counted here.
    shared: Option<Arc<Budgets>>,
}

/// An account's monthly quota now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub limit: u64,
    pub remaining: u64,
}

/// Cycles held for one call; give back what was not processed.
#[derive(Debug)]
pub struct Reservation {
    account: AccountId,
    month: String,
    cycles: u64,
}

fn limits(plans: &BTreeMap<String, PlanConfig>) -> BTreeMap<String, u64> {
    plans
        .iter()
        .filter_map(|(name, plan)| Some((name.clone(), plan.monthly_cycles?)))
        .collect()
}

impl Quotas {
    pub fn new(
        store: Store,
        plans: &BTreeMap<String, PlanConfig>,
        shared: Option<Arc<Budgets>>,
    ) -> Quotas {
        Quotas {
            store,
            limits: ArcSwap::from_pointee(limits(plans)),
            used: DashMap::new(),
            shared,
        }
    }

    /// New monthly limits from the next call on (a reload); what accounts used stays.
    pub fn reconfigure(&self, plans: &BTreeMap<String, PlanConfig>) {
        self.limits.store(Arc::new(limits(plans)));
    }

    /// Reserves `cycles` for `account` in the month of `now`, or answers 429 with the
    /// seconds until the next month.
    pub async fn reserve(
        &self,
        account: &Account,
        cycles: u64,
        now: Timestamp,
    ) -> Result<Option<Reservation>, ApiError> {
        let Some(&limit) = self.limits.load().get(&*account.plan) else {
            return Ok(None);
        };
        let month = now.month();
        if let Some(shared) = &self.shared {
            let taken = shared
                .take(&account.id, Kind::Cycles, &month, limit, cycles)
                .await
                .map_err(StoreError::from)?;
            if taken.is_none() {
                return Err(ApiError::quota_exceeded(now.secs_until_next_month()));
            }
            return Ok(Some(Reservation {
                account: account.id.clone(),
                month,
                cycles,
            }));
        }
        self.seed(account, &month).await?;
        let mut entry = self
            .used
            .entry(account.id.clone())
            .or_insert((month.clone(), 0));
        if entry.1 + cycles > limit {
            return Err(ApiError::quota_exceeded(now.secs_until_next_month()));
        }
        entry.1 += cycles;
        Ok(Some(Reservation {
            account: account.id.clone(),
            month,
            cycles,
        }))
    }

    /// The plan's monthly cycles and how many are left in the month of `now`, for
    /// plans with a quota.
    pub async fn standing(
        &self,
        account: &Account,
        now: Timestamp,
    ) -> Result<Option<Standing>, ApiError> {
        let Some(&limit) = self.limits.load().get(&*account.plan) else {
            return Ok(None);
        };
        let month = now.month();
        if let Some(shared) = &self.shared {
            return Ok(Some(Standing {
                limit,
                remaining: shared.left(&account.id, Kind::Cycles, &month, limit),
            }));
        }
        self.seed(account, &month).await?;
        let used = self
            .used
            .get(&account.id)
            .filter(|u| u.0 == month)
            .map_or(0, |u| u.1);
        Ok(Some(Standing {
            limit,
            remaining: limit.saturating_sub(used),
        }))
    }

    /// Loads the account's billed cycles of `month` the first time it is seen in it.
    async fn seed(&self, account: &Account, month: &str) -> Result<(), ApiError> {
        if self.used.get(&account.id).is_some_and(|u| u.0 == month) {
            return Ok(());
        }
        let billed = self.store.monthly_usage(&account.id, month).await?;
        // Another request may have seeded it meanwhile: keep the larger count.
        let mut entry = self
            .used
            .entry(account.id.clone())
            .or_insert((month.to_owned(), 0));
        if entry.0 != month {
            *entry = (month.to_owned(), billed);
        } else {
            entry.1 = entry.1.max(billed);
        }
        Ok(())
    }

    /// Gives back `unused` cycles of a reservation.
    pub fn release(&self, reservation: Reservation, unused: u64) {
        if let Some(shared) = &self.shared {
            let unused = unused.min(reservation.cycles);
            shared.give_back(
                &reservation.account,
                Kind::Cycles,
                &reservation.month,
                unused,
            );
            return;
        }
        if let Some(mut entry) = self.used.get_mut(&reservation.account)
            && entry.0 == reservation.month
        {
            entry.1 = entry.1.saturating_sub(unused.min(reservation.cycles));
        }
    }
}
