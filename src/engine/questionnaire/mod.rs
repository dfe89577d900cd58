//! The forced-choice personality test: its questions, scoring and persona matching
//! (ENGINE.md B, "The questionnaire").
//!
//! Scoring: a mode's strength is its share of the picks among the questions that offered
//! it, scaled into [0.2, 0.9]. Matching happens in the same space: a persona's implied
//! answers (in each question, the option whose mode is strongest in its profile; ties go
//! to the mode first in canonical order) are scored the same way, and
//! `match_score = 1 − L1 / 7` between the two score vectors. Comparing against the raw
//! persona numbers instead cannot tell apart the pairs that share their dominant modes.

mod items;

use serde::{Deserialize, Serialize};

use super::mode::{MODE_COUNT, Mode};
use super::personas::{self, Persona};
use super::state::Profile;
use super::unit::Unit;

/// One question of the set: a situation and four options, each for a different mode.
pub(crate) struct Item {
    pub(crate) text: &'static str,
    pub(crate) options: [(Mode, &'static str); 4],
}

/// Option ids, by position.
pub const OPTION_IDS: [&str; 4] = ["a", "b", "c", "d"];
/// Scores span [FLOOR, FLOOR + SPAN]: no mode reads as absent or saturated from a test.
const FLOOR: f64 = 0.2;
const SPAN: f64 = 0.7;

/// A questionnaire version. Only `v1` ships.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TestVersion {
    #[serde(rename = "v1")]
    V1,
}

/// A version name this server does not ship.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown test version {0:?}: expected \"v1\"")]
pub struct UnknownTestVersion(pub String);

impl TestVersion {
    /// Every version this server ships.
    pub const ALL: [TestVersion; 1] = [TestVersion::V1];

    pub fn parse(name: &str) -> Result<TestVersion, UnknownTestVersion> {
        match name {
            "v1" => Ok(TestVersion::V1),
            _ => Err(UnknownTestVersion(name.to_owned())),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            TestVersion::V1 => "v1",
        }
    }

    fn items(self) -> &'static [Item] {
        match self {
            TestVersion::V1 => &items::ITEMS,
        }
    }

    /// The questions, ids from 1.
    pub fn questions(self) -> impl ExactSizeIterator<Item = Question> {
        self.items().iter().enumerate().map(|(i, item)| Question {
            id: u32::try_from(i + 1).unwrap_or(u32::MAX),
            text: item.text,
            options: std::array::from_fn(|o| QuestionOption {
                id: OPTION_IDS[o],
                text: item.options[o].1,
                mode: item.options[o].0,
            }),
        })
    }
}

/// A question as clients see it (`GET /test/questions`).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Question {
    pub id: u32,
    pub text: &'static str,
    pub options: [QuestionOption; 4],
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct QuestionOption {
    pub id: &'static str,
    pub text: &'static str,
    pub mode: Mode,
}

/// One answer as submitted: which option was picked in which question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Response<'a> {
    pub question_id: u64,
    pub option_id: &'a str,
}

/// Why a submission cannot be scored. `index` is the position in `responses`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TestError {
    #[error("responses[{index}].question_id: no question has this id")]
    UnknownQuestion { index: usize },
    #[error("responses[{index}].selected_option_id: the question has no such option")]
    UnknownOption { index: usize },
    #[error("responses[{index}].question_id: the question was already answered")]
    DuplicateQuestion { index: usize },
    #[error("responses: questions {missing:?} are not answered")]
    Incomplete { missing: Vec<u32> },
}

impl TestError {
    /// The request field at fault, as the error envelope names it.
    pub fn field(&self) -> String {
        match self {
            TestError::UnknownQuestion { index } | TestError::DuplicateQuestion { index } => {
                format!("responses[{index}].question_id")
            }
            TestError::UnknownOption { index } => format!("responses[{index}].selected_option_id"),
            TestError::Incomplete { .. } => "responses".to_owned(),
        }
    }
}

/// A scored test.
#[derive(Debug, Clone, PartialEq)]
pub struct TestResult {
    /// The tested profile: the scored modes, and the default energy (v1 asks nothing
    /// about energy).
    pub profile: Profile,
    /// Every persona, best match first (ties in catalogue order).
    pub matches: Vec<PersonaMatch>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PersonaMatch {
    pub persona: &'static Persona,
    /// `1 − L1/7` in score space, in [0, 1]; 1.0 means the same answers' scores.
    pub score: f64,
}

/// Scores a complete submission and ranks the personas against it.
pub fn score(version: TestVersion, responses: &[Response<'_>]) -> Result<TestResult, TestError> {
    let items = version.items();
    let mut picked: Vec<Option<usize>> = vec![None; items.len()];
    for (index, response) in responses.iter().enumerate() {
        let q = usize::try_from(response.question_id)
            .ok()
            .and_then(|id| id.checked_sub(1))
            .filter(|q| *q < items.len())
            .ok_or(TestError::UnknownQuestion { index })?;
        let option = OPTION_IDS
            .iter()
            .position(|id| *id == response.option_id)
            .ok_or(TestError::UnknownOption { index })?;
        if picked[q].replace(option).is_some() {
            return Err(TestError::DuplicateQuestion { index });
        }
    }
    let missing: Vec<u32> = (1..)
        .zip(&picked)
        .filter_map(|(id, pick)| pick.is_none().then_some(id))
        .collect();
    if !missing.is_empty() {
        return Err(TestError::Incomplete { missing });
    }
    let scores = scores_of(items, picked.iter().flatten().copied());
    Ok(TestResult {
        profile: Profile {
            modes: scores.map(Unit::saturating),
            energy: Profile::DEFAULT.energy,
        },
        matches: rank_personas(version, &scores),
    })
}

/// The option a persona picks in each question, in question order.
pub fn implied_answers(version: TestVersion, persona: &Persona) -> Vec<&'static str> {
    implied_picks(version.items(), persona)
        .map(|option| OPTION_IDS[option])
        .collect()
}

fn implied_picks<'a>(items: &'a [Item], persona: &'a Persona) -> impl Iterator<Item = usize> + 'a {
    items.iter().map(|item| {
        let mut best = 0;
        for (i, (mode, _)) in item.options.iter().enumerate() {
            let (value, best_mode) = (persona.profile[mode.index()], item.options[best].0);
            let best_value = persona.profile[best_mode.index()];
            if value > best_value || (value == best_value && *mode < best_mode) {
                best = i;
            }
        }
        best
    })
}

/// Per mode, `FLOOR + SPAN · picks / offers`, given the chosen option of every item.
fn scores_of(items: &[Item], picks: impl Iterator<Item = usize>) -> [f64; MODE_COUNT] {
    let mut offered = [0u32; MODE_COUNT];
    let mut chosen = [0u32; MODE_COUNT];
    for (item, pick) in items.iter().zip(picks) {
        for (mode, _) in &item.options {
            offered[mode.index()] += 1;
        }
        chosen[item.options[pick].0.index()] += 1;
    }
    std::array::from_fn(|k| match offered[k] {
        0 => FLOOR,
        n => FLOOR + SPAN * f64::from(chosen[k]) / f64::from(n),
    })
}

fn rank_personas(version: TestVersion, scores: &[f64; MODE_COUNT]) -> Vec<PersonaMatch> {
    let items = version.items();
    let mut matches: Vec<PersonaMatch> = personas::all()
        .iter()
        .map(|persona| {
            let implied = scores_of(items, implied_picks(items, persona));
            let l1: f64 = (0..MODE_COUNT)
                .map(|k| (scores[k] - implied[k]).abs())
                .sum();
            PersonaMatch {
                persona,
                score: (1.0 - l1 / MODE_COUNT as f64).clamp(0.0, 1.0),
            }
        })
        .collect();
    // Stable: equal scores keep catalogue order.
    matches.sort_by(|a, b| b.score.total_cmp(&a.score));
    matches
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(answers: &[&'static str]) -> Vec<Response<'static>> {
        (1..)
            .zip(answers)
            .map(|(q, a)| Response {
                question_id: q,
                option_id: a,
            })
            .collect()
    }

    #[test]
    fn the_v1_set_is_balanced() {
        let questions: Vec<_> = TestVersion::V1.questions().collect();
        assert_eq!(questions.len(), 28);
        let mut offered = [0; MODE_COUNT];
        for (q, id) in questions.iter().zip(1..) {
            assert_eq!(q.id, id);
            let ids: Vec<_> = q.options.iter().map(|o| o.id).collect();
            assert_eq!(ids, ["a", "b", "c", "d"]);
            let mut modes: Vec<_> = q.options.iter().map(|o| o.mode).collect();
            modes.sort();
            modes.dedup();
            assert_eq!(modes.len(), 4, "question {id} repeats a mode");
            for o in &q.options {
                offered[o.mode.index()] += 1;
            }
        }
        assert_eq!(offered, [16; MODE_COUNT]);
    }

    #[test]
    fn scores_are_pick_shares_scaled_into_the_score_range() {
        // Always the first option: every mode is picked in 4 of its 16 questions (the
        // set rotates each mode through the four positions).
        let result = score(TestVersion::V1, &complete(&["a"; 28]));
        let Ok(result) = result else {
            panic!("{result:?}")
        };
        for m in result.profile.modes {
            assert!((0.2..=0.9).contains(&m.get()));
        }
        assert!((result.profile.energy.get() - 0.8).abs() < 1e-12);
        assert_eq!(result.matches.len(), 12);
        assert!(result.matches.windows(2).all(|w| w[0].score >= w[1].score));
    }

    #[test]
    fn refusals_name_the_response_at_fault() {
        let mut answers = complete(&["a"; 28]);
        answers[3].question_id = 99;
        assert_eq!(
            score(TestVersion::V1, &answers).map(|_| ()),
            Err(TestError::UnknownQuestion { index: 3 })
        );
        let mut answers = complete(&["a"; 28]);
        answers[5].option_id = "e";
        let err = score(TestVersion::V1, &answers).map(|_| ());
        assert_eq!(err, Err(TestError::UnknownOption { index: 5 }));
        assert_eq!(
            TestError::UnknownOption { index: 5 }.field(),
            "responses[5].selected_option_id"
        );
        let mut answers = complete(&["a"; 28]);
        answers[7].question_id = 1;
        assert_eq!(
            score(TestVersion::V1, &answers).map(|_| ()),
            Err(TestError::DuplicateQuestion { index: 7 })
        );
        let answers: Vec<_> = complete(&["b"; 28]).into_iter().take(24).collect();
        assert_eq!(
            score(TestVersion::V1, &answers).map(|_| ()),
            Err(TestError::Incomplete {
                missing: vec![25, 26, 27, 28]
            })
        );
        assert_eq!(
            score(TestVersion::V1, &[]).map(|_| ()),
            Err(TestError::Incomplete {
                missing: (1..=28).collect()
            })
        );
    }

    #[test]
    fn only_v1_ships() {
        assert_eq!(TestVersion::parse("v1"), Ok(TestVersion::V1));
        assert!(TestVersion::parse("v2").is_err());
        assert!(TestVersion::parse("V1").is_err());
    }
}
