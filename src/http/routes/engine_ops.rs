//! The engine routes of an instance: process, batch, snapshot, contract, reset, history,
//! drift.

use axum::Extension;
use axum::extract::State;
use serde::Deserialize;

use crate::engine::{Contract, DriftLevel, ResetTarget};
use crate::http::AppState;
use crate::http::auth::Account;
use crate::http::body::{Data, Pagination, Trail};
use crate::http::cursor::{self, Scope};
use crate::http::dto::audit::{DriftEventBody, HistoryEntryBody, PageQuery};
use crate::http::dto::cycle::{
    BatchBody, BatchFinal, BatchStates, CycleBody, ProcessBody, ResetBody, SnapshotBody,
};
use crate::http::dto::observation::{BatchIn, ObservationIn, Offsets};
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, ApiQuery, PathId, instance_id};
use crate::http::json::Json;
use crate::http::openapi::Failures;
use crate::ids::InstanceId;
use crate::instance::{Command, CycleView, Input, Reply};
use crate::store::{DriftEvent, HistoryEntry, Paged, Position};
use crate::timestamp::Timestamp;

use super::calls::{call, read};

/// Runs `inputs` as one processing call: the account's monthly quota is reserved for
/// them first, and what the call did not process (throttled, refused) is given back.
pub(crate) async fn process_inputs(
    state: &AppState,
    account: &Account,
    id: &InstanceId,
    inputs: Vec<Input>,
    keep_intermediate: bool,
) -> Result<Reply, ApiError> {
    let cycles = inputs.len() as u64;
    let reservation = state
        .quotas
        .reserve(account, cycles, Timestamp::now())
        .await?;
    // A cadence beyond `u32::MAX` cycles is never reached anyway.
    let every = state.config.load().engine.snapshot_every;
    let command = Command::Process {
        account: account.id.clone(),
        inputs,
        keep_intermediate,
        snapshot_every: u32::try_from(every).unwrap_or(u32::MAX),
    };
    let result = call(state, id, command).await;
    if let Some(reservation) = reservation {
        let used = match &result {
            Ok(reply) if !reply.throttled => cycles,
            _ => 0,
        };
        state.quotas.release(reservation, cycles - used);
    }
    result
}

pub(crate) fn first(mut views: Vec<CycleView>) -> Result<CycleView, ApiError> {
    views.pop().ok_or_else(no_state)
}

/// An instance's reply without a state: a bug.
pub(crate) fn no_state() -> ApiError {
    tracing::error!("an instance answered without a state");
    ApiError::internal()
}

#[utoipa::path(
    post,
    path = "/v1/instances/{id}/process",
    tag = "engine",
    summary = "Process one observation",
    request_body = ObservationIn,
    params(("id" = String, Path, description = "Instance id (`inst_…`)")),
    responses(
        (status = 200, description = "The new state and contract (or the unchanged one, `throttled: true`)", body = Data<ProcessBody>),
        Failures,
    )
)]
pub async fn process(
    State(state): State<AppState>,
    Extension(account): Extension<Account>,
    PathId(id): PathId,
    ApiJson(body): ApiJson<ObservationIn>,
) -> Result<Json<Data<ProcessBody>>, ApiError> {
    let id = instance_id(&id)?;
    let input = body.into_input("", Offsets::Required)?;
    let reply = process_inputs(&state, &account, &id, vec![input], false).await?;
    let throttled = reply.throttled;
    Ok(Json(Data {
        data: ProcessBody {
            cycle: first(reply.views)?.into(),
            throttled,
        },
    }))
}

#[utoipa::path(
    post,
    path = "/v1/instances/{id}/process/batch",
    tag = "engine",
    summary = "Process 1–100 observations as one all-or-nothing turn",
    request_body = BatchIn,
    params(("id" = String, Path, description = "Instance id (`inst_…`)")),
    responses(
        (status = 200, description = "The final state, or every state with `include_intermediate`", body = Data<BatchBody>),
        Failures,
    )
)]
pub async fn batch(
    State(state): State<AppState>,
    Extension(account): Extension<Account>,
    PathId(id): PathId,
    ApiJson(body): ApiJson<BatchIn>,
) -> Result<Json<Data<BatchBody>>, ApiError> {
    let id = instance_id(&id)?;
    let (inputs, keep) =
        body.into_inputs(state.config.load().engine.batch_max, Offsets::Required)?;
    let n = inputs.len();
    let reply = process_inputs(&state, &account, &id, inputs, keep).await?;
    let (throttled, processed_count) = (reply.throttled, if reply.throttled { 0 } else { n });
    let data = if keep && !throttled {
        BatchBody::Intermediate(BatchStates {
            states: reply.views.into_iter().map(CycleBody::from).collect(),
            processed_count,
            throttled,
        })
    } else {
        BatchBody::Final(BatchFinal {
            cycle: first(reply.views)?.into(),
            processed_count,
            throttled,
        })
    };
    Ok(Json(Data { data }))
}

#[utoipa::path(
    get,
    path = "/v1/instances/{id}/snapshot",
    tag = "engine",
    summary = "The current state",
    params(("id" = String, Path, description = "Instance id (`inst_…`)")),
    responses(
        (status = 200, description = "The snapshot", body = Data<SnapshotBody>),
        Failures,
    )
)]
pub async fn snapshot(
    State(state): State<AppState>,
    Extension(account): Extension<Account>,
    PathId(id): PathId,
) -> Result<Json<Data<SnapshotBody>>, ApiError> {
    let id = instance_id(&id)?;
    // All from the actor, times included: a resident instance is read without a query.
    let reply = call(&state, &id, read(&account)).await?;
    let (cycle_count, created_at, updated_at) =
        (reply.cycle_count, reply.created_at, reply.updated_at);
    Ok(Json(Data {
        data: SnapshotBody {
            snapshot: first(reply.views)?.snapshot,
            cycle_count,
            created_at: created_at.to_rfc3339(),
            updated_at: updated_at.to_rfc3339(),
        },
    }))
}

#[utoipa::path(
    get,
    path = "/v1/instances/{id}/contract",
    tag = "engine",
    summary = "The current execution contract",
    params(("id" = String, Path, description = "Instance id (`inst_…`)")),
    responses(
        (status = 200, description = "The contract", body = Data<Contract>),
        Failures,
    )
)]
pub async fn contract(
    State(state): State<AppState>,
    Extension(account): Extension<Account>,
    PathId(id): PathId,
) -> Result<Json<Data<Contract>>, ApiError> {
    let id = instance_id(&id)?;
    let reply = call(&state, &id, read(&account)).await?;
    Ok(Json(Data {
        data: first(reply.views)?.contract,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"mode": "default"}))]
pub struct ResetIn {
    pub mode: ResetTarget,
}

#[utoipa::path(
    post,
    path = "/v1/instances/{id}/reset",
    tag = "engine",
    summary = "Reset the state (initial, default or last_stable)",
    request_body = ResetIn,
    params(("id" = String, Path, description = "Instance id (`inst_…`)")),
    responses(
        (status = 200, description = "Reset", body = Data<ResetBody>),
        Failures,
    )
)]
pub async fn reset(
    State(state): State<AppState>,
    Extension(account): Extension<Account>,
    PathId(id): PathId,
    ApiJson(body): ApiJson<ResetIn>,
) -> Result<Json<Data<ResetBody>>, ApiError> {
    let id = instance_id(&id)?;
    let view = first(
        reset_instance(&state, &account, &id, body.mode)
            .await?
            .views,
    )?;
    Ok(Json(Data {
        data: ResetBody {
            id: id.to_string(),
            reset_to: body.mode,
            cycle: view.snapshot.cycle,
            energy_level: view.snapshot.energy_level,
            stress_state: view.snapshot.stress_state,
        },
    }))
}

pub(crate) async fn reset_instance(
    state: &AppState,
    account: &Account,
    id: &InstanceId,
    target: ResetTarget,
) -> Result<Reply, ApiError> {
    let command = Command::Reset {
        account: account.id.clone(),
        target,
    };
    call(state, id, command).await
}

#[utoipa::path(
    get,
    path = "/v1/instances/{id}/history",
    tag = "engine",
    summary = "Processed observations, newest first",
    params(("id" = String, Path, description = "Instance id (`inst_…`)"), PageQuery),
    responses(
        (status = 200, description = "A page of history", body = Trail<HistoryEntryBody>),
        Failures,
    )
)]
pub async fn history(
    State(state): State<AppState>,
    Extension(account): Extension<Account>,
    PathId(id): PathId,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Json<Trail<HistoryEntryBody>>, ApiError> {
    let id = instance_id(&id)?;
    let (listed, pagination) = history_of(&state, &account, &id, &query).await?;
    let data = listed
        .items
        .into_iter()
        .map(HistoryEntryBody::try_from)
        .collect::<Result<_, _>>()?;
    Ok(Json(Trail::new(data, pagination, state.store.kept_since())))
}

#[utoipa::path(
    get,
    path = "/v1/instances/{id}/drift",
    tag = "engine",
    summary = "Drift events (D1–D3), newest first",
    params(("id" = String, Path, description = "Instance id (`inst_…`)"), PageQuery),
    responses(
        (status = 200, description = "A page of drift events", body = Trail<DriftEventBody>),
        Failures,
    )
)]
pub async fn drift(
    State(state): State<AppState>,
    Extension(account): Extension<Account>,
    PathId(id): PathId,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Json<Trail<DriftEventBody>>, ApiError> {
    let id = instance_id(&id)?;
    let (listed, pagination) = drift_of(&state, &account, &id, &query, None).await?;
    let data = listed.items.into_iter().map(DriftEventBody::from).collect();
    Ok(Json(Trail::new(data, pagination, state.store.kept_since())))
}

/// The page `query` asks for of the history of one of the account's instances.
pub(crate) async fn history_of(
    state: &AppState,
    account: &Account,
    id: &InstanceId,
    query: &PageQuery,
) -> Result<(Paged<HistoryEntry>, Pagination), ApiError> {
    let scope = Scope::history(id);
    let page = query.page(scope)?;
    // Ownership only: the primary-key lookup, not the instance query with its summary.
    state.store.ensure_live(&account.id, id).await?;
    let listed = state.store.history_page(id, page.clone()).await?;
    let next = cursor::after(scope, &listed, |e| Position::Seq(e.seq));
    let pagination = Pagination::new(&page, listed.total, next);
    Ok((listed, pagination))
}

/// The page `query` asks for of the drift events (of `level`, or all) of one of the
/// account's instances.
pub(crate) async fn drift_of(
    state: &AppState,
    account: &Account,
    id: &InstanceId,
    query: &PageQuery,
    level: Option<DriftLevel>,
) -> Result<(Paged<DriftEvent>, Pagination), ApiError> {
    let scope = Scope::drift(id, level);
    let page = query.page(scope)?;
    // Ownership only: the primary-key lookup, not the instance query with its summary.
    state.store.ensure_live(&account.id, id).await?;
    let listed = state.store.drift_page(id, page.clone(), level).await?;
    let next = cursor::after(scope, &listed, |e| Position::Seq(e.seq));
    let pagination = Pagination::new(&page, listed.total, next);
    Ok((listed, pagination))
}
