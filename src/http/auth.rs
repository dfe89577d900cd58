//! Authentication: `Authorization: Bearer idos_sk_…` resolved to its account.
//!
//! Keys are looked up by the SHA-256 of the secret. Resolved keys are cached for a few
//! seconds, so the hot path does not query the database per request while a key
//! revoked by `identity-os keys revoke` (another process) stops working within that
//! time. Unknown keys are not cached: a flood of made-up keys costs one indexed lookup
//! each and fills no memory.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use dashmap::DashMap;

use crate::api_key;
use crate::ids::AccountId;
use crate::store::Store;

use super::AppState;
use super::error::ApiError;

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: AccountId,
    /// Shared: the account is cloned into every request's extensions.
    pub plan: Arc<str>,
}

/// How long a resolved key is trusted before it is looked up again.
const CACHE_TTL: Duration = Duration::from_secs(5);
/// Bound on cached keys; beyond it the cache is cleared (it refills from the database).
const CACHE_MAX: usize = 100_000;

pub struct Authenticator {
    store: Store,
    cache: DashMap<String, (Account, Instant)>,
}

impl Authenticator {
    pub fn new(store: Store) -> Authenticator {
        Authenticator {
            store,
            cache: DashMap::new(),
        }
    }

    /// The account of a bearer token, or 401.
    pub async fn authenticate(&self, authorization: Option<&str>) -> Result<Account, ApiError> {
        let key = authorization
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|k| api_key::is_well_formed(k))
            .ok_or_else(ApiError::unauthorized)?;
        let hash = api_key::hash(key);
        if let Some(hit) = self.cache.get(&hash)
            && hit.1.elapsed() < CACHE_TTL
        {
            return Ok(hit.0.clone());
        }
        let record = self
            .store
            .find_key(&hash)
            .await?
            .ok_or_else(ApiError::unauthorized)?;
        let account = Account {
            id: record.account_id,
            plan: record.plan.into(),
        };
        if self.cache.len() >= CACHE_MAX {
            self.cache.clear();
        }
        self.cache.insert(hash, (account.clone(), Instant::now()));
        Ok(account)
    }
}

/// Middleware of every API route (both dialects): authenticates, attaches the
/// [`Account`], admits the request under the account's rate limit, and adds the
/// rate-limit headers to the answer. One middleware, not two: each `from_fn` layer costs
/// a service clone and a boxed future per request.
pub async fn admit(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let account = state.auth.authenticate(authorization).await?;
    let admitted = state.rate_limits.check(&account);
    req.extensions_mut().insert(account);
    match admitted {
        Ok(status) => {
            let mut response = next.run(req).await;
            status.set_headers(&mut response);
            Ok(response)
        }
        Err((e, status)) => {
            let mut response = e.into_response();
            status.set_headers(&mut response);
            Ok(response)
        }
    }
}
