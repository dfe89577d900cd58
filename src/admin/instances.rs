//! `POST /admin/instances/{id}/passivate` and `/restart`: one instance's actor on this
//! node, whatever its account. Passivate writes its snapshot and stops it (the next call
//! activates it again); restart recreates it from stored state, also out of `failed`.

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use super::Admin;
use super::actors::Data;
use crate::http::error::ApiError;
use crate::http::extract::{PathId, instance_id};
use crate::http::routes::calls::call_error;

#[derive(Serialize)]
pub struct Residency {
    id: String,
    resident: bool,
}

pub async fn passivate(
    State(admin): State<Admin>,
    PathId(id): PathId,
) -> Result<Json<Data<Residency>>, ApiError> {
    let id = instance_id(&id)?;
    let instances = &admin.app.instances;
    instances.passivate(&id).await;
    Ok(Json(Data::of(Residency {
        resident: instances.is_resident(&id),
        id: id.to_string(),
    })))
}

pub async fn restart(
    State(admin): State<Admin>,
    PathId(id): PathId,
) -> Result<Json<Data<Residency>>, ApiError> {
    let id = instance_id(&id)?;
    let instances = &admin.app.instances;
    instances.restart(&id).await.map_err(call_error)?;
    Ok(Json(Data::of(Residency {
        resident: instances.is_resident(&id),
        id: id.to_string(),
    })))
}
