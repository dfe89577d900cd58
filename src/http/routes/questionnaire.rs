//! `/v1/test`: the forced-choice questionnaire and its submission.

use axum::extract::State;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

use crate::engine::questionnaire::{Question, TestVersion};
use crate::engine::{Engine, EngineState};
use crate::http::AppState;
use crate::http::auth::Account;
use crate::http::body::Data;
use crate::http::dto::instance::{InstanceBody, NewInstanceRequest};
use crate::http::dto::test_submission::{Submission, SubmitTest, Target, TestResultBody};
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, ApiQuery};
use crate::http::openapi::Failures;
use crate::instance::Command;
use crate::store::InstanceMeta;

use super::calls::call;
use super::engine_ops::first;
use super::instances::{self, create_instance};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct QuestionsQuery {
    version: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct QuestionsBody {
    version: &'static str,
    questions: Vec<Question>,
    total: usize,
}

/// Parses a `version` field (default `v1`), naming it when unknown.
pub fn test_version(version: Option<&str>) -> Result<TestVersion, ApiError> {
    TestVersion::parse(version.unwrap_or("v1"))
        .map_err(|e| ApiError::invalid("version", "unknown_version", e.to_string()))
}

#[utoipa::path(
    get,
    path = "/test/questions",
    tag = "test",
    summary = "The forced-choice questionnaire",
    params(QuestionsQuery),
    responses(
        (status = 200, description = "The questions", body = Data<QuestionsBody>),
        Failures,
    )
)]
pub async fn questions(
    ApiQuery(query): ApiQuery<QuestionsQuery>,
) -> Result<Json<Data<QuestionsBody>>, ApiError> {
    let version = test_version(query.version.as_deref())?;
    let questions: Vec<Question> = version.questions().collect();
    Ok(Json(Data {
        data: QuestionsBody {
            version: version.name(),
            total: questions.len(),
            questions,
        },
    }))
}

/// Scores a submission; applies it to an instance (like a reset) or creates one from it
/// when asked. A failed application leaves the instance as it was.
#[utoipa::path(
    post,
    path = "/test/submit",
    tag = "test",
    summary = "Score a completed questionnaire; optionally apply it to an instance or create one",
    request_body = SubmitTest,
    responses(
        (status = 200, description = "The tested profile and its best-matching personas", body = Data<TestResultBody>),
        Failures,
    )
)]
pub async fn submit(
    State(state): State<AppState>,
    Extension(account): Extension<Account>,
    ApiJson(body): ApiJson<SubmitTest>,
) -> Result<Json<Data<TestResultBody>>, ApiError> {
    let Submission {
        version,
        result,
        target,
    } = body.validate()?;
    // A fresh state at the tested profile, as `id` on `engine` would show it.
    let fresh = |engine: Engine, id: &str| {
        let snapshot = engine.snapshot(&EngineState::new(result.profile), id);
        let contract = engine.contract(&snapshot);
        (snapshot, contract)
    };
    let (instance, snapshot, contract) = match target {
        Target::Nothing => {
            let (snapshot, contract) = fresh(Engine::latest(), "");
            (None, snapshot, contract)
        }
        Target::Apply(id) => {
            let command = Command::Adopt {
                account: account.id.clone(),
                profile: result.profile,
            };
            let view = first(call(&state, &id, command).await?.views)?;
            let instance = instances::body(&state, &account, &id).await?;
            (Some(instance), view.snapshot, view.contract)
        }
        Target::Create { name } => {
            let request = NewInstanceRequest {
                meta: InstanceMeta {
                    name,
                    ..InstanceMeta::default()
                },
                persona: None,
                profile: result.profile,
            };
            let record = create_instance(&state, &account, request).await?;
            let (snapshot, contract) =
                fresh(Engine::new(record.engine_version), record.id.as_str());
            (Some(InstanceBody::new(record, false)), snapshot, contract)
        }
    };
    Ok(Json(Data {
        data: TestResultBody::new(version, &result, instance, snapshot, contract),
    }))
}
