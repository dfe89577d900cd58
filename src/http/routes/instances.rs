//! `/v1/instances`: create, list, get, patch, delete, restore.

use std::collections::HashSet;

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

/// Residency is known only to the runtime: a `status=passivated` page is read in keyset
/// chunks of this many, skipping the resident and failed ones.
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
        // Those the runtime holds: as many as are resident, whatever the account's size.
        ids: match query.status {
            Some(Status::Active) => Some(state.instances.resident_ids()),
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
        Some(Status::Passivated) => listing.passivated(&page).await?,
        _ => {
            state
                .store
                .list_instances(&account.id, &filter, sort, descending, page.clone())
                .await?
        }
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
    /// The page of the instances in storage only, and how many there are: the filter's
    /// total less the resident and failed ones among it (counted over those ids); the
    /// page read in order, skipping those, so its cost grows with the resident set and
    /// the depth, not with the account.
    async fn passivated(&self, page: &Page) -> Result<Paged<InstanceRecord>, ApiError> {
        let mut held = self.state.instances.resident_ids();
        held.extend(self.state.instances.failed_ids());
        let count_only = Page {
            limit: 0,
            offset: 0,
            after: None,
        };
        let store = &self.state.store;
        let (sort, descending) = (self.sort, self.descending);
        let all = store
            .list_instances(
                &self.account.id,
                self.filter,
                sort,
                descending,
                count_only.clone(),
            )
            .await?
            .total;
        let among_held = InstanceFilter {
            ids: Some(held),
            ..self.filter.clone()
        };
        let not_stored = store
            .list_instances(&self.account.id, &among_held, sort, descending, count_only)
            .await?
            .total;
        let held: HashSet<InstanceId> = among_held.ids.unwrap_or_default().into_iter().collect();
        let wanted = page.limit as usize + 1;
        let (mut skip, mut items) = (page.offset, Vec::new());
        self.scan(page.after.clone(), |r| {
            if !held.contains(&r.id) {
                if skip > 0 {
                    skip -= 1;
                } else {
                    items.push(r);
                }
            }
            items.len() < wanted
        })
        .await?;
        Ok(Paged::cut(
            items,
            page.limit,
            all.saturating_sub(not_stored),
        ))
    }

    /// Shows `visit` every instance of the list after `from` (or from its start), in
    /// order, until it answers false.
    async fn scan(
        &self,
        from: Option<Position>,
        mut visit: impl FnMut(InstanceRecord) -> bool,
    ) -> Result<(), ApiError> {
        let mut after = from;
        loop {
            let chunk = self
                .state
                .store
                .list_instances(
                    &self.account.id,
                    self.filter,
                    self.sort,
                    self.descending,
                    Page {
                        limit: SCAN_PAGE,
                        offset: 0,
                        after: after.clone(),
                    },
                )
                .await?;
            after = chunk.items.last().map(|r| position(self.sort, r));
            for record in chunk.items {
                if !visit(record) {
                    return Ok(());
                }
            }
            if !chunk.more {
                return Ok(());
            }
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
