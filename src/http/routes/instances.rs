//! `/v1/instances`: create, list, get, patch, delete, restore.

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::engine::{EngineState, EngineVersion};
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
        state: EngineState::new(request.profile),
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

/// Residency is known only to the runtime: a residency page is read in keyset chunks of
/// this many, keeping the resident (or the passivated) ones.
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
    /// (a walk over the registry and one probe per resident id, as a user tag always
    /// costs: the runtime counts residents per account only).
    async fn active(&self, page: &Page) -> Result<Paged<InstanceRecord>, ApiError> {
        let instances = &self.state.instances;
        if self.filter.user.is_none() {
            let resident = instances.resident_in(&self.account.id) as u64;
            if resident == 0 {
                return Ok(Paged::cut(Vec::new(), page.limit, 0));
            }
            let budget = resident.max(u64::from(SCAN_PAGE));
            if let Some((items, more)) = self
                .walk(page, budget, |id| instances.is_resident(id))
                .await?
            {
                return Ok(Paged {
                    items,
                    total: resident,
                    more,
                });
            }
        }
        let among_resident = InstanceFilter {
            ids: Some(instances.resident_ids()),
            ..self.filter.clone()
        };
        self.stored(&among_resident, page.clone()).await
    }

    /// The page of the instances in storage only, and how many there are: the filter's
    /// total less the resident and failed ones among it (without a user tag, the
    /// resident ones from the runtime's count for the account; else counted over their
    /// ids). The page is the list read in order, skipping those, so its cost grows with
    /// the share of resident ones and the depth, not with the account.
    async fn passivated(&self, page: &Page) -> Result<Paged<InstanceRecord>, ApiError> {
        let instances = &self.state.instances;
        let all = self.total(self.filter).await?;
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
        let (items, more) = self
            .walk(page, u64::MAX, |id| {
                !instances.is_resident(id) && !instances.is_failed(id)
            })
            .await?
            .unwrap_or_default();
        Ok(Paged {
            items,
            total: all.saturating_sub(resident + failed),
            more,
        })
    }

    /// The page's rows among those `keep` keeps, read in the list's order from the page's
    /// position (skipping its offset), and whether more follow; `None` if that took more
    /// than `budget` rows. The walk reads the list's keys alone; only the rows kept are
    /// read whole.
    async fn walk(
        &self,
        page: &Page,
        budget: u64,
        keep: impl Fn(&InstanceId) -> bool,
    ) -> Result<Option<(Vec<InstanceRecord>, bool)>, ApiError> {
        let wanted = page.limit as usize + 1;
        let (mut skip, mut kept, mut read) = (page.offset, Vec::new(), 0u64);
        let mut after = page.after.clone();
        let ended = loop {
            let chunk = self
                .state
                .store
                .list_instance_keys(
                    &self.account.id,
                    self.filter,
                    self.sort,
                    self.descending,
                    after.as_ref(),
                    SCAN_PAGE,
                )
                .await?;
            let last = chunk.len() < SCAN_PAGE as usize;
            for (id, position) in chunk {
                read += 1;
                after = Some(position);
                if !keep(&id) {
                    continue;
                }
                if skip > 0 {
                    skip -= 1;
                } else {
                    kept.push(id);
                    if kept.len() == wanted {
                        break;
                    }
                }
            }
            if last || kept.len() == wanted {
                break true;
            }
            if read >= budget {
                break false;
            }
        };
        if !ended {
            return Ok(None);
        }
        let more = kept.len() == wanted;
        kept.truncate(page.limit as usize);
        if kept.is_empty() {
            return Ok(Some((Vec::new(), more)));
        }
        let among_kept = InstanceFilter {
            ids: Some(kept),
            ..self.filter.clone()
        };
        let items = self
            .state
            .store
            .instances_in_order(&self.account.id, &among_kept, self.sort, self.descending)
            .await?;
        Ok(Some((items, more)))
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
