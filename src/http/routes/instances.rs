//! `/v1/instances`: create, list, get, patch, delete, restore.

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::engine::EngineVersion;
use crate::http::AppState;
use crate::http::auth::Account;
use crate::http::body::{Data, Listed, Pagination};
use crate::http::cursor::{self, Kind, Scope};
use crate::http::dto::instance::{
    CreateInstance, InstanceBody, ListQuery, NewInstanceRequest, PatchInstance, Residency, Status,
    user,
};
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, ApiQuery, PathId, instance_id};
use crate::http::json::Json;
use crate::http::openapi::Failures;
use crate::ids::InstanceId;
use crate::instance::Command;
use crate::store::{
    Fence, InstanceFilter, InstanceRecord, NewInstance, Page, Paged, Position, SortKey, StoreError,
};
use crate::timestamp::Timestamp;

use super::calls::call;

#[utoipa::path(
    post,
    path = "/v1/instances",
    operation_id = "create_instance",
    tag = "instances",
    summary = "Create an instance",
    request_body = CreateInstance,
    responses(
        (status = 201, description = "Created", body = Data<InstanceBody>),
        Failures,
    )
)]
pub async fn create(
    State(state): State<AppState>,
    Extension(account): Extension<Account>,
    ApiJson(body): ApiJson<CreateInstance>,
) -> Result<
    (
        StatusCode,
        Option<Extension<Fence>>,
        Json<Data<InstanceBody>>,
    ),
    ApiError,
> {
    let request = body.validate()?;
    let (record, fence) = create_instance(&state, &account, request).await?;
    Ok((
        StatusCode::CREATED,
        fence.map(Extension),
        Json(Data {
            data: InstanceBody::new(record, Residency::Stored),
        }),
    ))
}

/// Stores a new instance of `account` (not yet resident: its first call activates it).
/// In cluster mode its id falls in a shard this node serves, and the fence it was
/// written under comes back (the answer is checked against it on its way out).
pub async fn create_instance(
    state: &AppState,
    account: &Account,
    request: NewInstanceRequest,
) -> Result<(InstanceRecord, Option<Fence>), ApiError> {
    let mut new = NewInstance {
        id: InstanceId::generate(),
        account_id: account.id.clone(),
        meta: request.meta,
        persona: request.persona,
        engine_version: EngineVersion::LATEST,
        profile: request.profile,
        created_at: Timestamp::now(),
    };
    let Some(cluster) = &state.cluster else {
        return Ok((state.store.create_instance(&new, None).await?, None));
    };
    // A shard picked here may be handed over before the insert (which then writes
    // nothing): pick again, in a shard this node still serves.
    for _ in 0..3 {
        let (id, fence) = cluster
            .new_instance_id()
            .ok_or_else(|| ApiError::unavailable("this node serves no shard yet; retry shortly"))?;
        new.id = id;
        match state.store.create_instance(&new, Some(&fence)).await {
            Ok(record) => return Ok((record, Some(fence))),
            Err(StoreError::Fenced) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(StoreError::Fenced.into())
}

/// Residency is known only to the runtime: a residency page walks the list's keys in
/// keyset chunks, at least this many when it reads a whole tag or gives up.
const SCAN_PAGE: u32 = 500;

#[utoipa::path(
    get,
    path = "/v1/instances",
    operation_id = "list_instances",
    tag = "instances",
    summary = "List the account's instances",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of instances", body = Listed<InstanceBody>),
        Failures,
    )
)]
pub async fn list(
    State(state): State<AppState>,
    Extension(account): Extension<Account>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<Listed<InstanceBody>>, ApiError> {
    let (data, pagination) = list_page(&state, &account, &query).await?;
    Ok(Json(Listed { data, pagination }))
}

/// One page of the account's instances as `query` asks.
pub async fn list_page(
    state: &AppState,
    account: &Account,
    query: &ListQuery,
) -> Result<(Vec<InstanceBody>, Pagination), ApiError> {
    let limit = query.limit()?;
    let filter = InstanceFilter {
        user: user(query.user.clone())?,
        // A failed instance is failed whether its owner stopped it or not.
        stopped: match query.status {
            Some(Status::Stopped) => Some(true),
            Some(Status::Active | Status::Passivated) => Some(false),
            Some(Status::Failed) | None => None,
        },
        // The failed ones, few, are the runtime's to name; the resident ones are read by
        // `Listing::active`.
        ids: match query.status {
            Some(Status::Failed) => Some(state.instances.failed_ids()),
            _ => None,
        },
    };
    let (sort, descending) = (query.sort(), query.descending());
    let status = match query.status {
        Some(Status::Active) => "active",
        Some(Status::Passivated) => "passivated",
        Some(Status::Stopped) => "stopped",
        Some(Status::Failed) => "failed",
        None => "",
    };
    let scope = Scope::instances(
        &account.id,
        sort,
        descending,
        &[filter.user.as_deref().unwrap_or(""), status],
    );
    let kind = match sort {
        SortKey::CreatedAt => Kind::Created,
        SortKey::Name => Kind::Name,
    };
    let page = cursor::page(limit, query.offset, query.cursor.as_deref(), scope, kind)?;
    let listing = Listing {
        state,
        account,
        filter: &filter,
        sort,
        descending,
    };
    let listed = match query.status {
        Some(Status::Active) => listing.active(&page).await?,
        Some(Status::Passivated) => listing.passivated(&page).await?,
        _ => listing.stored(&filter, page.clone()).await?,
    };
    let next = cursor::after(scope, &listed, |r| position(sort, r));
    let pagination = Pagination::new(&page, listed.total, next);
    let data = listed
        .items
        .into_iter()
        .map(|r| {
            let residency = state.residency(&r.id);
            InstanceBody::new(r, residency)
        })
        .collect();
    Ok((data, pagination))
}

/// Where `record` sits in a list sorted by `sort`.
fn position(sort: SortKey, record: &InstanceRecord) -> Position {
    let id = record.id.to_string();
    match sort {
        SortKey::CreatedAt => Position::Created {
            at: record.created_at.as_micros(),
            id,
        },
        SortKey::Name => Position::Name {
            name: record.meta.name.clone(),
            id,
        },
    }
}

/// An account's instances in one order, under the filters the store applies.
struct Listing<'a> {
    state: &'a AppState,
    account: &'a Account,
    filter: &'a InstanceFilter,
    sort: SortKey,
    descending: bool,
}

impl Listing<'_> {
    /// A page of the account's instances under `filter`, as the store reads it.
    async fn stored(
        &self,
        filter: &InstanceFilter,
        page: Page,
    ) -> Result<Paged<InstanceRecord>, ApiError> {
        Ok(self
            .state
            .store
            .list_instances(&self.account.id, filter, self.sort, self.descending, page)
            .await?)
    }

    /// How many instances `filter` covers (read from the counts the store keeps, or
    /// among the filter's ids).
    async fn total(&self, filter: &InstanceFilter) -> Result<u64, ApiError> {
        Ok(self.stored(filter, Page::first(0)).await?.total)
    }

    /// The resident instances among the filter, in the list's order.
    ///
    /// Without a user tag, the total is the runtime's count for the account and the page is
    /// the list read in order, keeping the resident ones: about `rows / resident` rows
    /// read per row kept, whatever the account's size. Where those are few or lie at the
    /// far end of the list, the walk stops after reading as many rows as the account has
    /// resident instances, and the page is read among the runtime's resident ids instead
    /// (a walk over the registry and one probe per resident id). With a user tag (the
    /// runtime counts per account only), whichever reads fewer rows: the tag's list walked
    /// whole, counting, while it holds no more instances than the runtime holds resident
    /// (a tag is usually one end user's few), else among the resident ids.
    async fn active(&self, page: &Page) -> Result<Paged<InstanceRecord>, ApiError> {
        let instances = &self.state.instances;
        let here = instances.resident_in(&self.account.id) as u64;
        if here == 0 {
            return Ok(Paged::cut(Vec::new(), page.limit, 0));
        }
        let all = self.total(self.filter).await?;
        let resident = |id: &InstanceId| instances.is_resident(id);
        let walked = match self.filter.user {
            None => {
                let plan = Plan {
                    budget: here.max(u64::from(SCAN_PAGE)),
                    share: here as f64 / all.max(1) as f64,
                    to_end: false,
                };
                self.walk(page, plan, resident)
                    .await?
                    .map(|w| w.total(here))
            }
            Some(_) if all <= instances.resident_count() as u64 => self
                .walk(page, Plan::whole(), resident)
                .await?
                .map(|w| w.total(0)),
            Some(_) => None,
        };
        if let Some(paged) = walked {
            return Ok(paged);
        }
        let among_resident = InstanceFilter {
            ids: Some(instances.resident_ids()),
            ..self.filter.clone()
        };
        self.stored(&among_resident, page.clone()).await
    }

    /// The page of the instances in storage only, and how many there are: the filter's
    /// total less the resident and failed ones among it (without a user tag, the
    /// resident ones from the runtime's count for the account; with one, counted by
    /// walking the tag's list whole or over the resident ids, as for `active`).
    /// The page is the list read in order, skipping those, so its cost grows with the
    /// share of resident ones and the depth, not with the account.
    async fn passivated(&self, page: &Page) -> Result<Paged<InstanceRecord>, ApiError> {
        let instances = &self.state.instances;
        let all = self.total(self.filter).await?;
        let in_storage = |id: &InstanceId| !instances.is_resident(id) && !instances.is_failed(id);
        if self.filter.user.is_some() && all <= instances.resident_count() as u64 {
            let walked = self.walk(page, Plan::whole(), in_storage).await?;
            return Ok(unbounded(walked, page, 0));
        }
        let failed = instances.failed_ids();
        let failed = if failed.is_empty() {
            0
        } else {
            self.total(&InstanceFilter {
                ids: Some(failed),
                ..self.filter.clone()
            })
            .await?
        };
        let resident = match self.filter.user {
            None => instances.resident_in(&self.account.id) as u64,
            Some(_) => {
                self.total(&InstanceFilter {
                    ids: Some(instances.resident_ids()),
                    ..self.filter.clone()
                })
                .await?
            }
        };
        let stored = all.saturating_sub(resident + failed);
        let plan = Plan {
            budget: u64::MAX,
            share: stored as f64 / all.max(1) as f64,
            to_end: false,
        };
        let walked = self.walk(page, plan, in_storage).await?;
        Ok(unbounded(walked, page, stored))
    }

    /// The page's rows among those `keep` keeps, read in the list's order from the page's
    /// position (skipping its offset), and whether more follow; `None` if that took more
    /// than the plan's budget of rows. The walk reads the list's keys alone, in chunks
    /// sized by the share of rows it expects to keep; only the rows kept are read whole.
    async fn walk(
        &self,
        page: &Page,
        plan: Plan,
        keep: impl Fn(&InstanceId) -> bool,
    ) -> Result<Option<Walked>, ApiError> {
        let wanted = page.limit as usize + 1;
        let (mut skip, mut kept, mut read, mut counted) = (page.offset, Vec::new(), 0u64, 0u64);
        let mut after = page.after.clone();
        // The size of the last chunk if it kept nothing, else 0.
        let mut barren = 0u32;
        loop {
            let chunk_size = if plan.to_end {
                SCAN_PAGE
            } else {
                // Twice a chunk that kept nothing: a stretch with none to keep (the
                // newest instances all resident, say) costs a few round trips, not one
                // per chunk of the expected size.
                plan.chunk(skip + (wanted - kept.len()) as u64)
                    .max(barren.saturating_mul(2).min(MOST_KEYS))
            };
            let counted_before = counted;
            let chunk = self
                .state
                .store
                .list_instance_keys(
                    &self.account.id,
                    self.filter,
                    self.sort,
                    self.descending,
                    after.as_ref(),
                    chunk_size,
                )
                .await?;
            let last = chunk.ids.len() < chunk_size as usize;
            for id in chunk.ids {
                read += 1;
                if !keep(&id) {
                    continue;
                }
                counted += 1;
                if skip > 0 {
                    skip -= 1;
                } else if kept.len() < wanted {
                    kept.push(id);
                    if kept.len() == wanted && !plan.to_end {
                        break;
                    }
                }
            }
            // Read to its end unless the page filled (and the walk ends).
            after = chunk.last.or(after);
            barren = if counted == counted_before {
                chunk_size
            } else {
                0
            };
            if last || (kept.len() == wanted && !plan.to_end) {
                break;
            }
            if read >= plan.budget {
                return Ok(None);
            }
        }
        let more = kept.len() == wanted;
        kept.truncate(page.limit as usize);
        let items = if kept.is_empty() {
            Vec::new()
        } else {
            self.state
                .store
                .instances_in_order(
                    &self.account.id,
                    self.filter,
                    kept,
                    self.sort,
                    self.descending,
                )
                .await?
        };
        Ok(Some(Walked {
            items,
            more,
            counted: plan.to_end.then_some(counted),
        }))
    }
}

/// The page of a walk without a budget, which always ends: `total` unless it counted.
fn unbounded(walked: Option<Walked>, page: &Page, total: u64) -> Paged<InstanceRecord> {
    match walked {
        Some(walked) => walked.total(total),
        None => Paged::cut(Vec::new(), page.limit, total),
    }
}

/// The most keys a residency walk reads at once.
const MOST_KEYS: u32 = 2_000;

/// How a residency page walks the list.
#[derive(Clone, Copy)]
struct Plan {
    /// The rows it may read before giving up.
    budget: u64,
    /// The share of rows it expects to keep, which sizes its chunks.
    share: f64,
    /// Whether it reads the whole list, counting what it keeps.
    to_end: bool,
}

impl Plan {
    fn whole() -> Plan {
        Plan {
            budget: u64::MAX,
            share: 1.0,
            to_end: true,
        }
    }

    /// Keys to read for `rows` more kept: as many as the share says, a quarter more,
    /// between one small chunk and [`MOST_KEYS`].
    fn chunk(&self, rows: u64) -> u32 {
        let expected = rows as f64 / self.share.max(1e-6) * 1.25 + 16.0;
        expected.clamp(64.0, f64::from(MOST_KEYS)) as u32
    }
}

/// What a residency walk found: the page, whether more follow and, for a whole walk,
/// how many it kept in all.
struct Walked {
    items: Vec<InstanceRecord>,
    more: bool,
    counted: Option<u64>,
}

impl Walked {
    /// The page with its total: the walk's count if it read the whole list, else `total`.
    fn total(self, total: u64) -> Paged<InstanceRecord> {
        Paged {
            items: self.items,
            total: self.counted.unwrap_or(total),
            more: self.more,
        }
    }
}

#[utoipa::path(
    get,
    path = "/v1/instances/{id}",
    operation_id = "get_instance",
    tag = "instances",
    summary = "Get an instance",
    params(("id" = String, Path, description = "Instance id (`inst_…`)")),
    responses(
        (status = 200, description = "The instance", body = Data<InstanceBody>),
        Failures,
    )
)]
pub async fn get(
    State(state): State<AppState>,
    Extension(account): Extension<Account>,
    PathId(id): PathId,
) -> Result<Json<Data<InstanceBody>>, ApiError> {
    let id = instance_id(&id)?;
    Ok(Json(Data {
        data: body(&state, &account, &id).await?,
    }))
}

/// The instance object as it is now.
pub async fn body(
    state: &AppState,
    account: &Account,
    id: &InstanceId,
) -> Result<InstanceBody, ApiError> {
    let record = state.store.get_instance(&account.id, id).await?;
    Ok(InstanceBody::new(record, state.residency(id)))
}

#[utoipa::path(
    patch,
    path = "/v1/instances/{id}",
    operation_id = "patch_instance",
    tag = "instances",
    summary = "Change name, description, user, metadata or cycle cap",
    request_body = PatchInstance,
    params(("id" = String, Path, description = "Instance id (`inst_…`)")),
    responses(
        (status = 200, description = "The changed instance", body = Data<InstanceBody>),
        Failures,
    )
)]
pub async fn patch(
    State(state): State<AppState>,
    Extension(account): Extension<Account>,
    PathId(id): PathId,
    ApiJson(patch): ApiJson<PatchInstance>,
) -> Result<Json<Data<InstanceBody>>, ApiError> {
    let id = instance_id(&id)?;
    Ok(Json(Data {
        data: patch_instance(&state, &account, &id, patch).await?,
    }))
}

/// Applies `patch` and answers the changed instance.
pub async fn patch_instance(
    state: &AppState,
    account: &Account,
    id: &InstanceId,
    patch: PatchInstance,
) -> Result<InstanceBody, ApiError> {
    let fence = state.fence_for(id)?;
    let current = state.store.get_instance(&account.id, id).await?;
    let meta = patch.apply(current.meta.clone())?;
    let record = state
        .store
        .update_meta(&account.id, id, &meta, Timestamp::now(), fence.as_ref())
        .await?;
    if state.instances.is_resident(id) {
        // The live actor enforces the cap and answers reads with the row's times: tell
        // it (a passivated one reads the row when it comes back).
        let patched = Command::SetMeta {
            account: account.id.clone(),
            cap: meta.cycle_cap,
            updated_at: record.updated_at,
        };
        call(state, id, patched).await?;
    }
    Ok(InstanceBody::new(record, state.residency(id)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeleteQuery {
    /// Erase the instance and its history at once, instead of a restorable soft delete.
    #[serde(default)]
    pub purge: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Deleted {
    id: String,
    deleted: bool,
    #[schema(required = true, format = DateTime)]
    restorable_until: Option<String>,
}

#[utoipa::path(
    delete,
    path = "/v1/instances/{id}",
    operation_id = "delete_instance",
    tag = "instances",
    summary = "Soft-delete an instance (or purge it now)",
    params(("id" = String, Path, description = "Instance id (`inst_…`)"), DeleteQuery),
    responses(
        (status = 200, description = "Deleted", body = Data<Deleted>),
        Failures,
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    Extension(account): Extension<Account>,
    PathId(id): PathId,
    ApiQuery(query): ApiQuery<DeleteQuery>,
) -> Result<Json<Data<Deleted>>, ApiError> {
    let id = instance_id(&id)?;
    Ok(Json(Data {
        data: delete_instance(&state, &account, &id, query.purge).await?,
    }))
}

/// Soft-deletes the instance (restorable for the retention window), or purges it now.
pub async fn delete_instance(
    state: &AppState,
    account: &Account,
    id: &InstanceId,
    purge: bool,
) -> Result<Deleted, ApiError> {
    let now = Timestamp::now();
    let fence = state.fence_for(id)?;
    let restorable_until = if purge {
        // Stop the actor first so that nothing appends to a purged instance.
        state.store.get_instance(&account.id, id).await?;
        state.instances.evict(id).await;
        state.store.purge(&account.id, id, fence.as_ref()).await?;
        None
    } else {
        state
            .store
            .soft_delete(&account.id, id, now, fence.as_ref())
            .await?;
        Some(
            now.saturating_add(state.config.load().retention())
                .to_rfc3339(),
        )
    };
    state.instances.evict(id).await;
    Ok(Deleted {
        id: id.to_string(),
        deleted: true,
        restorable_until,
    })
}

#[utoipa::path(
    post,
    path = "/v1/instances/{id}/restore",
    operation_id = "restore_instance",
    tag = "instances",
    summary = "Restore a soft-deleted instance within the retention window",
    params(("id" = String, Path, description = "Instance id (`inst_…`)")),
    responses(
        (status = 200, description = "Restored", body = Data<InstanceBody>),
        Failures,
    )
)]
pub async fn restore(
    State(state): State<AppState>,
    Extension(account): Extension<Account>,
    PathId(id): PathId,
) -> Result<Json<Data<InstanceBody>>, ApiError> {
    let id = instance_id(&id)?;
    let fence = state.fence_for(&id)?;
    let record = state
        .store
        .restore(
            &account.id,
            &id,
            Timestamp::now(),
            state.config.load().retention(),
            fence.as_ref(),
        )
        .await?;
    Ok(Json(Data {
        data: InstanceBody::new(record, Residency::Stored),
    }))
}
