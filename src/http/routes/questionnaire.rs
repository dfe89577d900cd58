//! `GET /v1/test/questions`: the forced-choice questionnaire.

use axum::Json;
use serde::{Deserialize, Serialize};

use crate::engine::questionnaire::{Question, TestVersion};
use crate::http::body::Data;
use crate::http::error::ApiError;
use crate::http::extract::ApiQuery;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionsQuery {
    version: Option<String>,
}

#[derive(Serialize)]
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
