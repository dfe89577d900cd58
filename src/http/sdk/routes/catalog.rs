//! `/sdk/v1/personas` and `/sdk/v1/test`: the catalogue and the questionnaire.

use axum::Extension;
use axum::extract::State;

use crate::engine::personas;
use crate::http::AppState;
use crate::http::auth::Account;
use crate::http::dto::test_submission::SubmitTest;
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, ApiQuery, PathId};
use crate::http::json::Json;
use crate::http::openapi::SdkFailures;
use crate::http::routes::questionnaire::{QuestionsQuery, apply_submission, test_version};
use crate::http::sdk::catalog::{PersonaList, SdkPersona, SdkTestResult, TestQuestions};
use crate::http::sdk::state::{SdkContract, SdkSnapshot};
use crate::timestamp::Timestamp;

#[utoipa::path(
    get,
    path = "/sdk/v1/personas",
    operation_id = "sdk_list_personas",
    tag = "sdk",
    summary = "The twelve personas (SDK: personas.list)",
    responses((status = 200, description = "Every persona", body = PersonaList), SdkFailures)
)]
pub async fn list_personas() -> Json<PersonaList> {
    Json(PersonaList::new(
        personas::all().iter().map(SdkPersona::from).collect(),
    ))
}

#[utoipa::path(
    get,
    path = "/sdk/v1/personas/{id}",
    operation_id = "sdk_get_persona",
    tag = "sdk",
    summary = "One persona (SDK: personas.get)",
    params(("id" = String, Path, description = "Persona id (`persona_analytical` …)")),
    responses((status = 200, description = "The persona", body = SdkPersona), SdkFailures)
)]
pub async fn get_persona(PathId(id): PathId) -> Result<Json<SdkPersona>, ApiError> {
    personas::get(&id)
        .map(|p| Json(p.into()))
        .ok_or_else(|| ApiError::not_found("persona"))
}

#[utoipa::path(
    get,
    path = "/sdk/v1/test/questions",
    operation_id = "sdk_test_questions",
    tag = "sdk",
    summary = "The forced-choice questionnaire (SDK: test.questions)",
    params(QuestionsQuery),
    responses((status = 200, description = "The questions", body = TestQuestions), SdkFailures)
)]
pub async fn questions(
    ApiQuery(query): ApiQuery<QuestionsQuery>,
) -> Result<Json<TestQuestions>, ApiError> {
    let version = test_version(query.version.as_deref())?;
    Ok(Json(TestQuestions::new(version)))
}

#[utoipa::path(
    post,
    path = "/sdk/v1/test/submit",
    operation_id = "sdk_test_submit",
    tag = "sdk",
    summary = "Score a completed questionnaire; optionally apply it or create an instance (SDK: test.submit)",
    description = "Each response is `{question_id, selected_option_id: a|b|c|d}`.",
    request_body = SubmitTest,
    responses((status = 200, description = "The tested profile's state", body = SdkTestResult), SdkFailures)
)]
pub async fn submit(
    State(state): State<AppState>,
    Extension(account): Extension<Account>,
    ApiJson(body): ApiJson<SubmitTest>,
) -> Result<Json<SdkTestResult>, ApiError> {
    let submission = body.validate()?;
    let applied = apply_submission(&state, &account, &submission).await?;
    Ok(Json(SdkTestResult {
        instance_id: applied.snapshot.instance_id.clone(),
        contract: SdkContract::new(applied.contract, &applied.snapshot),
        snapshot: SdkSnapshot::new(applied.snapshot, applied.cycle_count, Timestamp::now()),
    }))
}
