//! `/sdk/v1/instances`: create, list, get, update, delete.

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;

use crate::http::AppState;
use crate::http::auth::Account;
use crate::http::dto::instance::{
    CreateInstance, InstanceBody, ListQuery, PatchInstance, Residency,
};
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, ApiQuery, PathId, instance_id};
use crate::http::json::Json;
use crate::http::openapi::SdkFailures;
use crate::http::routes::instances::{
    self, DeleteQuery, create_instance, delete_instance, list_page, patch_instance,
};
use crate::http::sdk::records::InstanceList;
use crate::store::Fence;

#[utoipa::path(
    post,
    path = "/sdk/v1/instances",
    operation_id = "sdk_create_instance",
    tag = "sdk",
    summary = "Create an instance (SDK: instances.create)",
    request_body = CreateInstance,
    responses((status = 201, description = "Created", body = InstanceBody), SdkFailures)
)]
pub async fn create(
    State(state): State<AppState>,
    Extension(account): Extension<Account>,
    ApiJson(body): ApiJson<CreateInstance>,
) -> Result<(StatusCode, Option<Extension<Fence>>, Json<InstanceBody>), ApiError> {
    let (record, fence) = create_instance(&state, &account, body.validate()?).await?;
    Ok((
        StatusCode::CREATED,
        fence.map(Extension),
        Json(InstanceBody::new(record, Residency::Stored)),
    ))
}

#[utoipa::path(
    get,
    path = "/sdk/v1/instances",
    operation_id = "sdk_list_instances",
    tag = "sdk",
    summary = "List the account's instances (SDK: instances.list)",
    params(ListQuery),
    responses((status = 200, description = "A page of instances", body = InstanceList), SdkFailures)
)]
pub async fn list(
    State(state): State<AppState>,
    Extension(account): Extension<Account>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<InstanceList>, ApiError> {
    let (items, page) = list_page(&state, &account, &query).await?;
    Ok(Json(InstanceList::new(None, items, page)))
}

#[utoipa::path(
    get,
    path = "/sdk/v1/instances/{id}",
    operation_id = "sdk_get_instance",
    tag = "sdk",
    summary = "Get an instance (SDK: instances.get)",
    params(("id" = String, Path, description = "Instance id (`inst_…`)")),
    responses((status = 200, description = "The instance", body = InstanceBody), SdkFailures)
)]
pub async fn get(
    State(state): State<AppState>,
    Extension(account): Extension<Account>,
    PathId(id): PathId,
) -> Result<Json<InstanceBody>, ApiError> {
    let id = instance_id(&id)?;
    Ok(Json(instances::body(&state, &account, &id).await?))
}

#[utoipa::path(
    patch,
    path = "/sdk/v1/instances/{id}",
    operation_id = "sdk_update_instance",
    tag = "sdk",
    summary = "Change name or description (SDK: instances.update; `{}` changes nothing)",
    request_body = PatchInstance,
    params(("id" = String, Path, description = "Instance id (`inst_…`)")),
    responses((status = 200, description = "The instance", body = InstanceBody), SdkFailures)
)]
pub async fn update(
    State(state): State<AppState>,
    Extension(account): Extension<Account>,
    PathId(id): PathId,
    ApiJson(patch): ApiJson<PatchInstance>,
) -> Result<Json<InstanceBody>, ApiError> {
    let id = instance_id(&id)?;
    Ok(Json(patch_instance(&state, &account, &id, patch).await?))
}

#[utoipa::path(
    delete,
    path = "/sdk/v1/instances/{id}",
    operation_id = "sdk_delete_instance",
    tag = "sdk",
    summary = "Soft-delete an instance (SDK: instances.delete)",
    params(("id" = String, Path, description = "Instance id (`inst_…`)"), DeleteQuery),
    responses((status = 204, description = "Deleted; restorable through `/v1` for the retention window"), SdkFailures)
)]
pub async fn delete(
    State(state): State<AppState>,
    Extension(account): Extension<Account>,
    PathId(id): PathId,
    ApiQuery(query): ApiQuery<DeleteQuery>,
) -> Result<StatusCode, ApiError> {
    let id = instance_id(&id)?;
    delete_instance(&state, &account, &id, query.purge).await?;
    Ok(StatusCode::NO_CONTENT)
}
