//! Authentication: `Authorization: Bearer idos_sk_…` resolved to its account.
//!
//! Keys are looked up by the SHA-256 of the secret. A revoked key must stop working on
//! the next request, though `identity-os keys revoke` is another process, so resolved
//! keys are cached only while the server hears of revocations as they commit
//! (PostgreSQL's LISTEN, `store/revocations.rs`): a notice evicts the key, and a lost
//! subscription stops the cache from answering until it is back (on SQLite, which
//! cannot notify, every request looks its key up). While the database cannot be reached
//! no key can be revoked either, so a cached key is still accepted then. Unknown keys are
//! not cached: a flood of made-up keys costs one indexed lookup each and fills no memory.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use dashmap::DashMap;

use crate::api_key;
use crate::ids::{AccountId, KeyId};
use crate::store::{Store, StoreError};

use super::AppState;
use super::error::ApiError;
use super::shutdown::Shutdown;

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: AccountId,
    /// Shared: the account is cloned into every request's extensions.
    pub plan: Arc<str>,
}

/// A cached key is looked up again after this long anyway: it bounds what a
/// subscription that died without an error (a silent network) could let through.
const CACHE_TTL: Duration = Duration::from_secs(60);
/// Bound on cached keys; beyond it the cache is cleared (it refills from the database).
const CACHE_MAX: usize = 100_000;
/// Wait before subscribing again after the subscription was lost.
const RESUBSCRIBE_AFTER: Duration = Duration::from_secs(1);

struct Cached {
    account: Account,
    key: KeyId,
    at: Instant,
}

pub struct Authenticator {
    store: Store,
    cache: DashMap<String, Cached>,
    /// Whether revocations are being heard, so that the cache may answer.
    listening: AtomicBool,
    /// Counts evictions and subscription changes: a lookup that saw it change while it
    /// ran may have read a key revoked meanwhile, so it does not cache what it read.
    changes: AtomicU64,
}

impl Authenticator {
    pub fn new(store: Store) -> Authenticator {
        Authenticator {
            store,
            cache: DashMap::new(),
            listening: AtomicBool::new(false),
            changes: AtomicU64::new(0),
        }
    }

    /// The account of an `Authorization` header, or 401.
    pub async fn authenticate(&self, authorization: Option<&str>) -> Result<Account, ApiError> {
        let key = authorization
            .and_then(bearer_token)
            .filter(|k| api_key::is_well_formed(k))
            .ok_or_else(ApiError::unauthorized)?;
        let hash = api_key::hash(key);
        let listening = self.listening.load(Ordering::Acquire);
        let cached = self
            .cache
            .get(&hash)
            .filter(|hit| hit.at.elapsed() < CACHE_TTL)
            .map(|hit| hit.account.clone());
        if listening && let Some(account) = cached {
            return Ok(account);
        }
        let changes = self.changes.load(Ordering::Acquire);
        let record = match self.store.find_key(&hash).await {
            Ok(record) => record.ok_or_else(ApiError::unauthorized)?,
            // Unreachable: nobody can revoke a key now either.
            Err(e) if e.is_unavailable() => return cached.ok_or_else(|| ApiError::from(e)),
            Err(e) => return Err(e.into()),
        };
        let account = Account {
            id: record.account_id,
            plan: record.plan.into(),
        };
        if self.listening.load(Ordering::Acquire) && self.changes.load(Ordering::Acquire) == changes
        {
            if self.cache.len() >= CACHE_MAX {
                self.cache.clear();
            }
            let entry = Cached {
                account: account.clone(),
                key: record.id,
                at: Instant::now(),
            };
            self.cache.insert(hash, entry);
        }
        Ok(account)
    }

    /// Hears revocations until shutdown, subscribing again whenever the subscription is
    /// lost. Returns at once on a backend that cannot tell revocations.
    pub async fn listen(self: Arc<Self>, shutdown: Shutdown) {
        loop {
            let subscribed = tokio::select! {
                s = self.store.listen_revocations() => s,
                () = shutdown.wait() => return,
            };
            match subscribed {
                Ok(None) => return,
                Ok(Some(mut revocations)) => {
                    // What was cached before may have been revoked unheard.
                    self.forget_all();
                    self.listening.store(true, Ordering::Release);
                    tracing::debug!("listening for revoked keys");
                    let lost = loop {
                        tokio::select! {
                            next = revocations.next() => match next {
                                Ok(key) => self.evict(&key),
                                Err(e) => break e,
                            },
                            () = shutdown.wait() => return,
                        }
                    };
                    self.listening.store(false, Ordering::Release);
                    self.changes.fetch_add(1, Ordering::AcqRel);
                    tracing::warn!(error = %lost, "revoked keys unheard: keys are looked up per request until the subscription is back");
                }
                Err(e) => warn_unsubscribed(&e),
            }
            tokio::select! {
                () = tokio::time::sleep(RESUBSCRIBE_AFTER) => {}
                () = shutdown.wait() => return,
            }
        }
    }

    fn evict(&self, key: &str) {
        self.changes.fetch_add(1, Ordering::AcqRel);
        self.cache.retain(|_, cached| cached.key.as_str() != key);
    }

    fn forget_all(&self) {
        self.changes.fetch_add(1, Ordering::AcqRel);
        self.cache.clear();
    }
}

fn warn_unsubscribed(e: &StoreError) {
    tracing::warn!(error = %e, "cannot listen for revoked keys; retrying");
}

/// The token of `Bearer <token>`; the scheme is case-insensitive (RFC 9110 §11.1).
fn bearer_token(authorization: &str) -> Option<&str> {
    let (scheme, token) = authorization.trim_start().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Middleware of every API route (both dialects): see [`admitted`]. One middleware,
/// not two: each `from_fn` layer costs a service clone and a boxed future per request.
pub async fn admit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    admitted(&state, req, |req| next.run(req)).await
}

/// Authenticates `req`, attaches the [`Account`], admits it under the account's rate
/// limit, and answers it with `answer` with the rate-limit headers added; a request
/// that fails either check gets its error instead.
pub async fn admitted<F, A>(state: &AppState, mut req: Request, answer: A) -> Response
where
    A: FnOnce(Request) -> F,
    F: Future<Output = Response>,
{
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let account = match state.auth.authenticate(authorization).await {
        Ok(account) => account,
        Err(e) => return e.into_response(),
    };
    let admitted = state.rate_limits.check(&account).await;
    req.extensions_mut().insert(account);
    let (mut response, status) = match admitted {
        Ok(status) => (answer(req).await, status),
        Err((e, status)) => (e.into_response(), status),
    };
    status.set_headers(&mut response);
    response
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn the_scheme_is_case_insensitive() {
        for header in [
            "Bearer k",
            "bearer k",
            "BEARER k",
            "Bearer   k ",
            " bEaReR k",
        ] {
            assert_eq!(bearer_token(header), Some("k"), "{header:?}");
        }
        for header in ["Basic k", "Bearerk", "Bearer", "k"] {
            assert_eq!(
                bearer_token(header).filter(|t| !t.is_empty()),
                None,
                "{header:?}"
            );
        }
    }
}
