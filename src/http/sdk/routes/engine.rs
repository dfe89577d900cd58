//! `/sdk/v1/instances/{id}/…`: process, batch, snapshot, contract, reset, history, drift.

use axum::Extension;
use axum::extract::State;
use serde::Deserialize;

use crate::http::AppState;
use crate::http::auth::Account;
use crate::http::dto::audit::PageQuery;
use crate::http::dto::observation::{BatchIn, ObservationIn, Offsets};
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, ApiQuery, PathId, instance_id};
use crate::http::json::Json;
use crate::http::openapi::SdkFailures;
use crate::http::routes::calls::{call, read};
use crate::http::routes::engine_ops::{
    ResetIn, drift_of, first, history_of, no_state, process_inputs, reset_instance,
};
use crate::http::sdk::records::{DriftEventRecord, ObservationRecord, SdkPage};
use crate::http::sdk::state::{ProcessResult, SdkContract, SdkSnapshot, parse_drift_level};
use crate::instance::Reply;
use crate::timestamp::Timestamp;

#[utoipa::path(
    post,
    path = "/sdk/v1/instances/{id}/process",
    operation_id = "sdk_process",
    tag = "sdk",
    summary = "Process one observation (SDK: engine.process)",
    description = "As `/v1`; a `timestamp` without an offset is read as UTC.",
    request_body = ObservationIn,
    params(("id" = String, Path, description = "Instance id (`inst_…`)")),
    responses((status = 200, description = "The new state (or the unchanged one, `throttled: true`, `drift: null`)", body = ProcessResult), SdkFailures)
)]
pub async fn process(
    State(state): State<AppState>,
    Extension(account): Extension<Account>,
    PathId(id): PathId,
    ApiJson(body): ApiJson<ObservationIn>,
) -> Result<Json<ProcessResult>, ApiError> {
    let id = instance_id(&id)?;
    let input = body.into_input("", Offsets::UtcIfMissing)?;
    let reply = process_inputs(&state, &account, &id, vec![input], false).await?;
    let result = ProcessResult::all(reply, Timestamp::now()).pop();
    result.map(Json).ok_or_else(no_state)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct BatchQuery {
    /// Answer every intermediate state, not only the last.
    #[serde(default)]
    include_intermediate: bool,
}

#[utoipa::path(
    post,
    path = "/sdk/v1/instances/{id}/process/batch",
    operation_id = "sdk_batch_process",
    tag = "sdk",
    summary = "Process 1–100 observations as one all-or-nothing turn (SDK: engine.batch_process)",
    description = "Answers a JSON array: the final state, or every state with `include_intermediate=true`.",
    request_body = BatchIn,
    params(("id" = String, Path, description = "Instance id (`inst_…`)"), BatchQuery),
    responses((status = 200, description = "The states, in order", body = Vec<ProcessResult>), SdkFailures)
)]
pub async fn batch(
    State(state): State<AppState>,
    Extension(account): Extension<Account>,
    PathId(id): PathId,
    ApiQuery(query): ApiQuery<BatchQuery>,
    ApiJson(body): ApiJson<BatchIn>,
) -> Result<Json<Vec<ProcessResult>>, ApiError> {
    let id = instance_id(&id)?;
    let max = state.config.load().engine.batch_max;
    let (inputs, in_body) = body.into_inputs(max, Offsets::UtcIfMissing)?;
    let keep = in_body || query.include_intermediate;
    let reply = process_inputs(&state, &account, &id, inputs, keep).await?;
    Ok(Json(ProcessResult::all(reply, Timestamp::now())))
}

#[utoipa::path(
    get,
    path = "/sdk/v1/instances/{id}/snapshot",
    operation_id = "sdk_snapshot",
    tag = "sdk",
    summary = "The current state (SDK: engine.snapshot)",
    params(("id" = String, Path, description = "Instance id (`inst_…`)")),
    responses((status = 200, description = "The snapshot", body = SdkSnapshot), SdkFailures)
)]
pub async fn snapshot(
    State(state): State<AppState>,
    Extension(account): Extension<Account>,
    PathId(id): PathId,
) -> Result<Json<SdkSnapshot>, ApiError> {
    let id = instance_id(&id)?;
    snapshot_of(call(&state, &id, read(&account)).await?).map(Json)
}

/// The state an instance answered, as the SDK's snapshot taken now.
fn snapshot_of(reply: Reply) -> Result<SdkSnapshot, ApiError> {
    let cycle_count = reply.cycle_count;
    let view = first(reply.views)?;
    Ok(SdkSnapshot::new(
        view.snapshot,
        cycle_count,
        Timestamp::now(),
    ))
}

#[utoipa::path(
    get,
    path = "/sdk/v1/instances/{id}/contract",
    operation_id = "sdk_contract",
    tag = "sdk",
    summary = "The current execution contract (SDK: engine.contract)",
    params(("id" = String, Path, description = "Instance id (`inst_…`)")),
    responses((status = 200, description = "The contract", body = SdkContract), SdkFailures)
)]
pub async fn contract(
    State(state): State<AppState>,
    Extension(account): Extension<Account>,
    PathId(id): PathId,
) -> Result<Json<SdkContract>, ApiError> {
    let id = instance_id(&id)?;
    let view = first(call(&state, &id, read(&account)).await?.views)?;
    Ok(Json(SdkContract::new(view.contract, &view.snapshot)))
}

#[utoipa::path(
    post,
    path = "/sdk/v1/instances/{id}/reset",
    operation_id = "sdk_reset",
    tag = "sdk",
    summary = "Reset the state (SDK: engine.reset): the snapshot after it",
    request_body = ResetIn,
    params(("id" = String, Path, description = "Instance id (`inst_…`)")),
    responses((status = 200, description = "The state after the reset", body = SdkSnapshot), SdkFailures)
)]
pub async fn reset(
    State(state): State<AppState>,
    Extension(account): Extension<Account>,
    PathId(id): PathId,
    ApiJson(body): ApiJson<ResetIn>,
) -> Result<Json<SdkSnapshot>, ApiError> {
    let id = instance_id(&id)?;
    snapshot_of(reset_instance(&state, &account, &id, body.mode).await?).map(Json)
}

#[utoipa::path(
    get,
    path = "/sdk/v1/instances/{id}/history",
    operation_id = "sdk_history",
    tag = "sdk",
    summary = "Processed observations, newest first (SDK: engine.history)",
    params(("id" = String, Path, description = "Instance id (`inst_…`)"), PageQuery),
    responses((status = 200, description = "A page of history", body = SdkPage<ObservationRecord>), SdkFailures)
)]
pub async fn history(
    State(state): State<AppState>,
    Extension(account): Extension<Account>,
    PathId(id): PathId,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Json<SdkPage<ObservationRecord>>, ApiError> {
    let id = instance_id(&id)?;
    let (listed, pagination) = history_of(&state, &account, &id, &query).await?;
    let items = listed
        .items
        .into_iter()
        .map(ObservationRecord::try_from)
        .collect::<Result<_, _>>()?;
    Ok(Json(SdkPage::new(Some(id.to_string()), items, pagination)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DriftQuery {
    /// Events per page (default 100).
    limit: Option<u32>,
    /// Events to skip, newest first.
    #[serde(default, deserialize_with = "crate::http::dto::storable::query_int")]
    offset: u64,
    /// Only events of this level: `D1_context`/`D1`, `D2_adaptive`/`D2`, `D3_corrupt`/`D3`.
    #[serde(rename = "type")]
    level: Option<String>,
}

#[utoipa::path(
    get,
    path = "/sdk/v1/instances/{id}/drift",
    operation_id = "sdk_drift",
    tag = "sdk",
    summary = "Drift events (D1–D3), newest first (SDK: engine.drift)",
    params(("id" = String, Path, description = "Instance id (`inst_…`)"), DriftQuery),
    responses((status = 200, description = "A page of drift events", body = SdkPage<DriftEventRecord>), SdkFailures)
)]
pub async fn drift(
    State(state): State<AppState>,
    Extension(account): Extension<Account>,
    PathId(id): PathId,
    ApiQuery(query): ApiQuery<DriftQuery>,
) -> Result<Json<SdkPage<DriftEventRecord>>, ApiError> {
    let id = instance_id(&id)?;
    let page = PageQuery {
        limit: query.limit,
        offset: Some(query.offset),
        cursor: None,
    };
    let level = match query.level.as_deref() {
        None => None,
        Some(name) => Some(parse_drift_level(name).ok_or_else(|| {
            ApiError::invalid(
                "type",
                "invalid_value",
                format!(
                    "type must be a drift level (D1_context, D2_adaptive, D3_corrupt), got {name:?}"
                ),
            )
        })?),
    };
    let (listed, pagination) = drift_of(&state, &account, &id, &page, level).await?;
    let items = listed
        .items
        .into_iter()
        .map(DriftEventRecord::from)
        .collect();
    Ok(Json(SdkPage::new(Some(id.to_string()), items, pagination)))
}
