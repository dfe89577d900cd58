//! `POST /v1/test/submit`: a completed questionnaire in, the tested profile out.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::engine::questionnaire::{self, Response, TestError, TestResult, TestVersion};
use crate::engine::{Contract, Mode, ModeStrengths, Profile, Snapshot};
use crate::http::error::ApiError;
use crate::http::routes::questionnaire::test_version;
use crate::ids::InstanceId;

use super::instance::{InstanceBody, instance_name};

/// A complete submission (every question answered with its first option) that creates
/// an instance from the result: the document's example, which succeeds as it stands.
fn submission_example() -> serde_json::Value {
    let responses: Vec<serde_json::Value> = TestVersion::V1
        .questions()
        .map(|q| serde_json::json!({"question_id": q.id, "selected_option_id": q.options[0].id}))
        .collect();
    serde_json::json!({
        "version": "v1",
        "responses": responses,
        "create_instance": true,
        "instance_name": "Tested",
    })
}

/// Personas listed in a result, best first.
const MATCHES_SHOWN: usize = 3;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = submission_example)]
pub struct SubmitTest {
    version: Option<String>,
    responses: Vec<ResponseIn>,
    instance_id: Option<String>,
    #[serde(default)]
    create_instance: bool,
    instance_name: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ResponseIn {
    #[serde(deserialize_with = "super::storable::int")]
    question_id: u64,
    selected_option_id: String,
}

/// What to do with the result besides returning it.
pub enum Target {
    Nothing,
    Apply(InstanceId),
    Create { name: String },
}

/// A scored, checked submission.
pub struct Submission {
    pub version: TestVersion,
    pub result: TestResult,
    pub target: Target,
}

impl SubmitTest {
    pub fn validate(self) -> Result<Submission, ApiError> {
        let version = test_version(self.version.as_deref())?;
        let target = match (self.instance_id, self.create_instance, self.instance_name) {
            (Some(_), true, _) => {
                return Err(ApiError::invalid(
                    "create_instance",
                    "conflicting_fields",
                    "give either instance_id or create_instance, not both",
                ));
            }
            (Some(id), false, None) => Target::Apply(
                InstanceId::parse(&id)
                    .map_err(|e| ApiError::invalid("instance_id", "malformed", e.to_string()))?,
            ),
            (None, true, Some(name)) => Target::Create {
                name: instance_name(&name, "instance_name")?,
            },
            (None, true, None) => {
                return Err(ApiError::invalid(
                    "instance_name",
                    "required",
                    "create_instance needs an instance_name",
                ));
            }
            (_, false, Some(_)) => {
                return Err(ApiError::invalid(
                    "instance_name",
                    "requires_create_instance",
                    "instance_name is only used with create_instance: true",
                ));
            }
            (None, false, None) => Target::Nothing,
        };
        let responses: Vec<Response<'_>> = self
            .responses
            .iter()
            .map(|r| Response {
                question_id: r.question_id,
                option_id: &r.selected_option_id,
            })
            .collect();
        let result = questionnaire::score(version, &responses).map_err(test_error)?;
        Ok(Submission {
            version,
            result,
            target,
        })
    }
}

fn test_error(e: TestError) -> ApiError {
    let reason = match &e {
        TestError::UnknownQuestion { .. } => "unknown_question",
        TestError::UnknownOption { .. } => "unknown_option",
        TestError::DuplicateQuestion { .. } => "duplicate_question",
        TestError::Incomplete { .. } => "incomplete_test",
    };
    let mut error = ApiError::invalid(e.field(), reason, e.to_string());
    if let (TestError::Incomplete { missing }, Some(details)) = (e, error.details.as_mut()) {
        details.missing = Some(missing);
    }
    error
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TestResultBody {
    pub version: &'static str,
    pub mode_strengths: ModeStrengths,
    pub energy_level: f64,
    pub matched_personas: Vec<PersonaMatchBody>,
    /// Documented as the very schema `POST /instances` takes, so that a client passes it
    /// through as it came.
    #[schema(value_type = super::instance::InitialConfig)]
    pub initial_config: InitialConfigBody,
    #[schema(required = true)]
    pub instance: Option<InstanceBody>,
    pub snapshot: Snapshot,
    pub contract: Contract,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PersonaMatchBody {
    id: &'static str,
    name: &'static str,
    match_score: f64,
}

/// The body of `POST /instances`' `initial_config` that starts an instance here.
#[derive(Debug, Serialize)]
pub struct InitialConfigBody {
    mode_strengths: BTreeMap<&'static str, f64>,
    energy_level: f64,
}

impl TestResultBody {
    /// `snapshot` and `contract` are those of the tested profile: of the instance it was
    /// applied to or created as, else of the profile itself (`instance_id` empty).
    pub fn new(
        version: TestVersion,
        result: &TestResult,
        instance: Option<InstanceBody>,
        snapshot: Snapshot,
        contract: Contract,
    ) -> TestResultBody {
        let Profile { modes, energy } = result.profile;
        TestResultBody {
            version: version.name(),
            mode_strengths: modes.map(|m| m.get()).into(),
            energy_level: energy.get(),
            matched_personas: result
                .matches
                .iter()
                .take(MATCHES_SHOWN)
                .map(|m| PersonaMatchBody {
                    id: m.persona.id,
                    name: m.persona.name,
                    match_score: m.score,
                })
                .collect(),
            initial_config: InitialConfigBody {
                mode_strengths: Mode::ALL
                    .into_iter()
                    .map(|mode| (mode.lower_name(), modes[mode.index()].get()))
                    .collect(),
                energy_level: energy.get(),
            },
            instance,
            snapshot,
            contract,
        }
    }
}
