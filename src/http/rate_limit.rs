//! Per-account request rate limits by plan (`governor`, keyed by account).
//!
//! One keyed limiter per plan, since a keyed limiter has one quota. Every `/v1`
//! response carries `X-RateLimit-Limit` and `X-RateLimit-Remaining`; a request over
//! the limit gets 429 with `Retry-After`. Plans without a limit (`unlimited`) skip the
//! limiter and report the largest value a client can parse, `u32::MAX`.
//!
//! Plans are a live setting: [`RateLimits::reconfigure`] swaps the table, keeping the
//! buckets of plans whose limit did not change.
//!
//! governor never forgets a key by itself: [`RateLimits::forget_idle`] runs periodically
//! (`retain_recent` drops keys whose bucket has refilled, `shrink_to_fit` returns the
//! memory), so the key set stays bounded by the accounts active in the last minute.

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::sync::Arc;

use arc_swap::ArcSwap;
use axum::http::HeaderValue;
use axum::response::Response;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use crate::cluster::{Budgets, Kind, Left};
use crate::config::PlanConfig;
use crate::ids::AccountId;
use crate::store::StoreError;
use crate::timestamp::Timestamp;

use super::auth::Account;
use super::error::ApiError;

type KeyedLimiter = RateLimiter<
    AccountId,
    DefaultKeyedStateStore<AccountId>,
    DefaultClock,
    StateInformationMiddleware,
>;

/// Each limited plan's requests per minute and its accounts' buckets.
type Table = BTreeMap<String, (u32, Arc<KeyedLimiter>)>;

pub struct RateLimits {
    plans: ArcSwap<Table>,
    clock: DefaultClock,
    /// Cluster mode: the limit is shared by every node, per calendar minute
    /// (`cluster/budget.rs`), instead of this node's own buckets.
    shared: Option<Arc<Budgets>>,
}

/// What the headers report after a request was admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateStatus {
    pub limit: u32,
    pub remaining: u32,
}

impl RateLimits {
    pub fn new(plans: &BTreeMap<String, PlanConfig>, shared: Option<Arc<Budgets>>) -> RateLimits {
        RateLimits {
            plans: ArcSwap::from_pointee(table(plans, &Table::new())),
            clock: DefaultClock::default(),
            shared,
        }
    }

    /// New plan limits from the next request on (a reload). A plan whose limit is
    /// unchanged keeps its buckets; a changed one starts with full buckets.
    pub fn reconfigure(&self, plans: &BTreeMap<String, PlanConfig>) {
        self.plans.store(Arc::new(table(plans, &self.plans.load())));
    }

    /// Admits one request of `account`, or answers 429 (with the headers' figures).
    pub async fn check(&self, account: &Account) -> Result<RateStatus, (ApiError, RateStatus)> {
        let plans = self.plans.load();
        let Some((limit, limiter)) = plans.get(&*account.plan) else {
            return Ok(RateStatus {
                limit: u32::MAX,
                remaining: u32::MAX,
            });
        };
        if let Some(shared) = &self.shared {
            return check_shared(shared, account, *limit).await;
        }
        match limiter.check_key(&account.id) {
            Ok(snapshot) => Ok(RateStatus {
                limit: *limit,
                remaining: snapshot.remaining_burst_capacity(),
            }),
            Err(not_until) => {
                metrics::counter!("identity_os_rate_limited_total").increment(1);
                let wait = not_until.wait_time_from(self.clock.now());
                Err((
                    ApiError::rate_limited(wait.as_secs() + u64::from(wait.subsec_nanos() > 0)),
                    RateStatus {
                        limit: *limit,
                        remaining: 0,
                    },
                ))
            }
        }
    }

    /// Forgets accounts whose bucket has refilled and returns the memory (in cluster
    /// mode: the budgets of past minutes).
    pub async fn forget_idle(&self) {
        for (_, limiter) in self.plans.load().values() {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        if let Some(shared) = &self.shared {
            let minute = Timestamp::now().as_micros().div_euclid(60_000_000);
            if let Err(e) = shared.forget_past(u64::try_from(minute).unwrap_or(0)).await {
                tracing::warn!(error = %e, "forgetting past rate budgets failed");
            }
        }
    }
}

/// The limiters of `plans`, reusing those of `old` whose limit is the same.
fn table(plans: &BTreeMap<String, PlanConfig>, old: &Table) -> Table {
    plans
        .iter()
        .filter_map(|(name, plan)| {
            let per_minute = NonZeroU32::new(plan.requests_per_minute?)?;
            let limiter = match old.get(name) {
                Some((limit, limiter)) if *limit == per_minute.get() => limiter.clone(),
                _ => Arc::new(
                    RateLimiter::keyed(Quota::per_minute(per_minute))
                        .with_middleware::<StateInformationMiddleware>(),
                ),
            };
            Some((name.clone(), (per_minute.get(), limiter)))
        })
        .collect()
}

/// Cluster mode: one request from the account's budget of the current minute, shared
/// by every node; 429 until the next minute once it is spent.
async fn check_shared(
    shared: &Budgets,
    account: &Account,
    limit: u32,
) -> Result<RateStatus, (ApiError, RateStatus)> {
    let secs = Timestamp::now().as_micros().div_euclid(1_000_000);
    let minute = secs.div_euclid(60).to_string();
    let refused = RateStatus {
        limit,
        remaining: 0,
    };
    match shared
        .take(&account.id, Kind::Requests, &minute, u64::from(limit), 1)
        .await
    {
        Ok(Some(Left(left))) => Ok(RateStatus {
            limit,
            remaining: u32::try_from(left).unwrap_or(u32::MAX),
        }),
        Ok(None) => {
            metrics::counter!("identity_os_rate_limited_total").increment(1);
            let wait = u64::try_from(60 - secs.rem_euclid(60)).unwrap_or(60);
            Err((ApiError::rate_limited(wait), refused))
        }
        Err(e) => Err((StoreError::from(e).into(), refused)),
    }
}

impl RateStatus {
    /// `X-RateLimit-Limit` and `X-RateLimit-Remaining`.
    pub fn set_headers(self, response: &mut Response) {
        let headers = response.headers_mut();
        headers.insert("x-ratelimit-limit", HeaderValue::from(self.limit));
        headers.insert("x-ratelimit-remaining", HeaderValue::from(self.remaining));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(plan: &str) -> Account {
        Account {
            id: AccountId::generate(),
            plan: plan.into(),
        }
    }

    fn plans() -> BTreeMap<String, PlanConfig> {
        BTreeMap::from([
            (
                "free".to_owned(),
                PlanConfig {
                    requests_per_minute: Some(3),
                    monthly_cycles: None,
                },
            ),
            ("unlimited".to_owned(), PlanConfig::default()),
        ])
    }

    #[tokio::test]
    async fn each_account_has_its_plans_budget() {
        let limits = RateLimits::new(&plans(), None);
        let (a, b) = (account("free"), account("free"));
        let mut remaining = Vec::new();
        for _ in 0..3 {
            remaining.push(limits.check(&a).await.map(|s| s.remaining));
        }
        assert_eq!(remaining, [Ok(2), Ok(1), Ok(0)]);
        let refused = limits
            .check(&a)
            .await
            .map(|_| ())
            .err()
            .map_or_else(ApiError::internal, |(e, _)| e);
        assert_eq!(
            refused.code,
            crate::http::error::ErrorCode::RateLimitExceeded
        );
        assert!(matches!(refused.retry_after, Some(1..=60)));
        assert_eq!(
            limits.check(&b).await.map(|s| (s.limit, s.remaining)),
            Ok((3, 2))
        );
        limits.forget_idle().await;
        assert!(
            limits.check(&a).await.is_err(),
            "forgetting must not reset a drained bucket"
        );
    }

    #[tokio::test]
    async fn unlimited_plans_are_never_limited() {
        let limits = RateLimits::new(&plans(), None);
        let a = account("unlimited");
        for _ in 0..1000 {
            assert_eq!(limits.check(&a).await.map(|s| s.limit), Ok(u32::MAX));
        }
    }
}
