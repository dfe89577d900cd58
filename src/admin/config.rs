//! `GET /admin/config`: the settings in force, each with its origin (as `identity-os
//! config show`); `POST /admin/reload`: as SIGHUP, answering what changed or, refused,
//! 400 naming the key.

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use super::Admin;
use super::actors::Data;
use crate::config::{Change, ConfigError, Setting};
use crate::http::error::ApiError;

#[derive(Serialize)]
pub struct Settings {
    settings: Vec<Setting>,
}

#[derive(Serialize)]
pub struct Reloaded {
    changes: Vec<Change>,
}

pub async fn show(State(admin): State<Admin>) -> Json<Data<Settings>> {
    Json(Data::of(Settings {
        settings: admin.reloader.settings(),
    }))
}

pub async fn reload(State(admin): State<Admin>) -> Result<Json<Data<Reloaded>>, ApiError> {
    match admin.reloader.reload().await {
        Ok(changes) => Ok(Json(Data::of(Reloaded { changes }))),
        Err(e) => Err(refused(&e)),
    }
}

/// 400 naming the setting at fault (`config` when the file itself does not parse).
fn refused(e: &ConfigError) -> ApiError {
    let (field, reason) = match e {
        ConfigError::Parse(_) => ("config".to_owned(), "unparsable"),
        ConfigError::Invalid { key, .. } => ((*key).to_owned(), "invalid"),
        ConfigError::NotLive { key } => (key.clone(), "not_live"),
    };
    ApiError::invalid(
        field,
        reason,
        format!("reload refused, nothing changed: {e}"),
    )
}
