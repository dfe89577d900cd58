//! `GET /v1/personas`, `GET /v1/personas/{id}`: the twelve reference personas.

use axum::Json;
use axum::extract::Path;
use serde::Serialize;

use crate::engine::personas::{self, Persona};
use crate::engine::{Contract, Engine, ModeList, ModeStrengths, display_names};

use crate::http::body::{Data, Listed, Pagination};
use crate::http::error::ApiError;

#[derive(Serialize)]
pub struct PersonaBody {
    id: &'static str,
    name: &'static str,
    summary: &'static str,
    #[serde(with = "display_names")]
    dominant_modes: ModeList,
    mode_strengths: ModeStrengths,
    energy_level: f64,
    expressions: Vec<ExpressionBody>,
    typical_contract: Contract,
}

#[derive(Serialize)]
struct ExpressionBody {
    context: &'static str,
    behavior: &'static str,
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
            expressions: p
                .expressions
                .iter()
                .map(|e| ExpressionBody {
                    context: e.context,
                    behavior: e.behavior,
                })
                .collect(),
            typical_contract: p.typical_contract(Engine::latest()),
        }
    }
}

pub async fn list() -> Json<Listed<PersonaBody>> {
    let all = personas::all();
    let total = all.len() as u64;
    Json(Listed {
        data: all.iter().map(PersonaBody::from).collect(),
        pagination: Pagination::whole(total),
    })
}

pub async fn get(Path(id): Path<String>) -> Result<Json<Data<PersonaBody>>, ApiError> {
    personas::get(&id)
        .map(|p| Json(Data { data: p.into() }))
        .ok_or_else(|| ApiError::not_found("persona"))
}
