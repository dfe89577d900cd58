//! Personas, the questionnaire and a test result in the SDK's shapes.

use serde::Serialize;

use crate::engine::Mode;
use crate::engine::personas::{Expression, Persona};
use crate::engine::questionnaire::{Question, QuestionOption, TestVersion};

use super::state::{SdkContract, SdkSnapshot};

/// The SDK's `Persona`: `mode_a`/`mode_b` are the documented dominant pair.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SdkPersona {
    id: &'static str,
    name: &'static str,
    summary: &'static str,
    mode_a: Mode,
    mode_b: Mode,
    expressions: &'static [Expression],
}

impl From<&'static Persona> for SdkPersona {
    fn from(p: &'static Persona) -> SdkPersona {
        let [mode_a, mode_b] = p.dominant;
        SdkPersona {
            id: p.id,
            name: p.name,
            summary: p.summary,
            mode_a,
            mode_b,
            expressions: p.expressions,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PersonaList {
    personas: Vec<SdkPersona>,
    total: usize,
}

impl PersonaList {
    pub fn new(personas: Vec<SdkPersona>) -> PersonaList {
        PersonaList {
            total: personas.len(),
            personas,
        }
    }
}

/// The SDK's `TestQuestion` has one `mode_target` per question; ours offer four
/// options, one per mode. `mode_target` is the first option's mode; `options` (ignored
/// by the SDK) carries all four, and answers name an option.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SdkQuestion {
    id: u32,
    text: &'static str,
    mode_target: Mode,
    options: [QuestionOption; 4],
}

impl From<Question> for SdkQuestion {
    fn from(q: Question) -> SdkQuestion {
        SdkQuestion {
            id: q.id,
            text: q.text,
            mode_target: q.options[0].mode,
            options: q.options,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TestQuestions {
    version: &'static str,
    questions: Vec<SdkQuestion>,
    total: usize,
}

impl TestQuestions {
    pub fn new(version: TestVersion) -> TestQuestions {
        let questions: Vec<SdkQuestion> = version.questions().map(SdkQuestion::from).collect();
        TestQuestions {
            version: version.name(),
            total: questions.len(),
            questions,
        }
    }
}

/// The SDK's `TestResult`: `instance_id` is `""` when the result was not applied to an
/// instance (the SDK's field is a required string).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SdkTestResult {
    pub instance_id: String,
    pub snapshot: SdkSnapshot,
    pub contract: SdkContract,
}
