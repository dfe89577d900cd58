//! `/v1/test`: the forced-choice questionnaire and its submission.

use axum::Extension;
use axum::extract::State;
use serde::{Deserialize, Serialize};

use crate::engine::questionnaire::{Question, TestVersion};
use crate::engine::{Contract, Engine, EngineState, Snapshot};
use crate::http::AppState;
use crate::http::auth::Account;
use crate::http::body::Data;
use crate::http::dto::instance::{InstanceBody, NewInstanceRequest, Residency};
use crate::http::dto::test_submission::{Submission, SubmitTest, Target, TestResultBody};
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, ApiQuery};
use crate::http::json::Json;
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
    /// The questionnaire's version (default the newest).
    pub version: Option<String>,
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
    path = "/v1/test/questions",
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
    path = "/v1/test/submit",
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
    let submission = body.validate()?;
    let applied = apply_submission(&state, &account, &submission).await?;
    Ok(Json(Data {
        data: TestResultBody::new(
            submission.version,
            &submission.result,
            applied.instance,
            applied.snapshot,
            applied.contract,
        ),
    }))
}

/// What a submission did: the instance it was applied to or created as (if any) and
/// the tested profile's state there.
pub(crate) struct Applied {
    pub instance: Option<InstanceBody>,
    pub snapshot: Snapshot,
    pub contract: Contract,
    /// Lifetime cycles of that instance (0 without one).
    pub cycle_count: u64,
}

/// Applies a scored submission to its target.
pub(crate) async fn apply_submission(
    state: &AppState,
    account: &Account,
    submission: &Submission,
) -> Result<Applied, ApiError> {
    let profile = submission.result.profile;
    // A fresh state at the tested profile, as `id` on `engine` would show it.
    let fresh = |engine: Engine, id: &str| {
        let snapshot = engine.snapshot(&EngineState::new(profile), id);
        let contract = engine.contract(&snapshot);
        (snapshot, contract)
    };
    Ok(match &submission.target {
        Target::Nothing => {
            let (snapshot, contract) = fresh(Engine::latest(), "");
            Applied {
                instance: None,
                snapshot,
                contract,
                cycle_count: 0,
            }
        }
        Target::Apply(id) => {
            let command = Command::Adopt {
                account: account.id.clone(),
                profile: Box::new(profile),
            };
            let reply = call(state, id, command).await?;
            let cycle_count = reply.cycle_count;
            let view = first(reply.views)?;
            Applied {
                instance: Some(instances::body(state, account, id).await?),
                snapshot: view.snapshot,
                contract: view.contract,
                cycle_count,
            }
        }
        Target::Create { name } => {
            let request = NewInstanceRequest {
                meta: InstanceMeta {
                    name: name.clone(),
                    ..InstanceMeta::default()
                },
                persona: None,
                profile,
            };
            // (A fenced creation failed whole; the answer is not rechecked here.)
            let (record, _) = create_instance(state, account, request).await?;
            let (snapshot, contract) =
                fresh(Engine::new(record.engine_version), record.id.as_str());
            Applied {
                instance: Some(InstanceBody::new(record, Residency::Stored)),
                snapshot,
                contract,
                cycle_count: 0,
            }
        }
    })
}
