//! `GET /v1/personas`, `GET /v1/personas/{id}`: the twelve reference personas.

use serde::Serialize;

use crate::engine::personas::{self, Expression, Persona};
use crate::engine::{Contract, Engine, ModeList, ModeStrengths, display_names};

use crate::http::body::{Data, Listed, Pagination};
use crate::http::error::ApiError;
use crate::http::extract::PathId;
use crate::http::json::Json;
use crate::http::openapi::Failures;

#[derive(Serialize, utoipa::ToSchema)]
pub struct PersonaBody {
    id: &'static str,
    name: &'static str,
    summary: &'static str,
    #[serde(with = "display_names")]
    #[schema(value_type = Vec<String>)]
    dominant_modes: ModeList,
    mode_strengths: ModeStrengths,
    energy_level: f64,
    expressions: &'static [Expression],
    typical_contract: Contract,
}

impl From<&'static Persona> for PersonaBody {
    fn from(p: &'static Persona) -> PersonaBody {
        PersonaBody {
            id: p.id,
            name: p.name,
            summary: p.summary,
            dominant_modes: p.dominant.iter().copied().collect::<ModeList>(),
            mode_strengths: p.profile.into(),
            energy_level: p.energy,
            expressions: p.expressions,
            typical_contract: p.typical_contract(Engine::latest()),
        }
    }
}

#[utoipa::path(
    get,
    path = "/v1/personas",
    operation_id = "list_personas",
    tag = "personas",
    summary = "The twelve personas",
    responses(
        (status = 200, description = "Every persona", body = Listed<PersonaBody>),
        Failures,
    )
)]
pub async fn list() -> Json<Listed<PersonaBody>> {
    let all = personas::all();
    let total = all.len() as u64;
    Json(Listed {
        data: all.iter().map(PersonaBody::from).collect(),
        pagination: Pagination::whole(total),
    })
}

#[utoipa::path(
    get,
    path = "/v1/personas/{id}",
    operation_id = "get_persona",
    tag = "personas",
    summary = "One persona",
    params(("id" = String, Path, description = "Persona id (`persona_analytical` …)")),
    responses(
        (status = 200, description = "The persona", body = Data<PersonaBody>),
        Failures,
    )
)]
pub async fn get(PathId(id): PathId) -> Result<Json<Data<PersonaBody>>, ApiError> {
    personas::get(&id)
        .map(|p| Json(Data { data: p.into() }))
        .ok_or_else(|| ApiError::not_found("persona"))
}
