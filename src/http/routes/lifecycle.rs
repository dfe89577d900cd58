//! `POST /v1/instances/{id}/stop | start | restart | update`.

use axum::Extension;
use axum::extract::State;

use crate::engine::EngineVersion;
use crate::http::AppState;
use crate::http::auth::Account;
use crate::http::body::Data;
use crate::http::dto::instance::InstanceBody;
use crate::http::error::ApiError;
use crate::http::extract::{PathId, instance_id};
use crate::http::json::Json;
use crate::http::openapi::Failures;
use crate::instance::Command;
use crate::timestamp::Timestamp;

use super::calls::{call, call_error};
use super::instances::body;

/// Stops the instance: the flag is stored, the live actor (if any) writes its snapshot
/// and passivates. Processing answers 409 `instance_stopped` until `start`.
#[utoipa::path(
    post,
    path = "/v1/instances/{id}/stop",
    tag = "lifecycle",
    summary = "Stop an instance: processing answers 409 until started",
    params(("id" = String, Path, description = "Instance id (`inst_…`)")),
    responses(
        (status = 200, description = "Stopped", body = Data<InstanceBody>),
        Failures,
    )
)]
pub async fn stop(
    State(state): State<AppState>,
    Extension(account): Extension<Account>,
    PathId(id): PathId,
) -> Result<Json<Data<InstanceBody>>, ApiError> {
    let id = instance_id(&id)?;
    set_stopped(&state, &account, &id, true).await?;
    state.instances.passivate(&id).await;
    Ok(Json(Data {
        data: body(&state, &account, &id).await?,
    }))
}

#[utoipa::path(
    post,
    path = "/v1/instances/{id}/start",
    tag = "lifecycle",
    summary = "Start a stopped instance",
    params(("id" = String, Path, description = "Instance id (`inst_…`)")),
    responses(
        (status = 200, description = "Started", body = Data<InstanceBody>),
        Failures,
    )
)]
pub async fn start(
    State(state): State<AppState>,
    Extension(account): Extension<Account>,
    PathId(id): PathId,
) -> Result<Json<Data<InstanceBody>>, ApiError> {
    let id = instance_id(&id)?;
    set_stopped(&state, &account, &id, false).await?;
    // Resident while stopped (a refused call activated it), it counted as no account's
    // resident instance: activated anew, it does (`Entity::group`).
    state.instances.passivate(&id).await;
    Ok(Json(Data {
        data: body(&state, &account, &id).await?,
    }))
}

async fn set_stopped(
    state: &AppState,
    account: &Account,
    id: &crate::ids::InstanceId,
    stopped: bool,
) -> Result<(), ApiError> {
    let fence = state.fence_for(id)?;
    let record = state
        .store
        .set_stopped(&account.id, id, stopped, Timestamp::now(), fence.as_ref())
        .await?;
    if state.instances.is_resident(id) {
        let command = Command::SetStopped {
            account: account.id.clone(),
            stopped,
            updated_at: record.updated_at,
        };
        call(state, id, command).await?;
    }
    Ok(())
}

/// Recreates the actor from stored state (recovers a wedged or failed instance).
#[utoipa::path(
    post,
    path = "/v1/instances/{id}/restart",
    tag = "lifecycle",
    summary = "Recreate the instance's actor from stored state",
    params(("id" = String, Path, description = "Instance id (`inst_…`)")),
    responses(
        (status = 200, description = "Restarted", body = Data<InstanceBody>),
        Failures,
    )
)]
pub async fn restart(
    State(state): State<AppState>,
    Extension(account): Extension<Account>,
    PathId(id): PathId,
) -> Result<Json<Data<InstanceBody>>, ApiError> {
    let id = instance_id(&id)?;
    state.store.get_instance(&account.id, &id).await?;
    state.instances.restart(&id).await.map_err(call_error)?;
    Ok(Json(Data {
        data: body(&state, &account, &id).await?,
    }))
}

/// Moves the instance to the newest engine version, keeping its state.
#[utoipa::path(
    post,
    path = "/v1/instances/{id}/update",
    tag = "lifecycle",
    summary = "Move the instance to the newest engine version",
    params(("id" = String, Path, description = "Instance id (`inst_…`)")),
    responses(
        (status = 200, description = "Updated", body = Data<InstanceBody>),
        Failures,
    )
)]
pub async fn update(
    State(state): State<AppState>,
    Extension(account): Extension<Account>,
    PathId(id): PathId,
) -> Result<Json<Data<InstanceBody>>, ApiError> {
    let id = instance_id(&id)?;
    let version = EngineVersion::LATEST;
    let fence = state.fence_for(&id)?;
    let record = state
        .store
        .set_engine_version(&account.id, &id, version, Timestamp::now(), fence.as_ref())
        .await?;
    if state.instances.is_resident(&id) {
        let command = Command::SetEngineVersion {
            account: account.id.clone(),
            version,
            updated_at: record.updated_at,
        };
        call(&state, &id, command).await?;
    }
    Ok(Json(Data {
        data: body(&state, &account, &id).await?,
    }))
}
