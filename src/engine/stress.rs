//! Stress states and the score that classifies them.

use serde::{Deserialize, Serialize};

use super::params::ClassParams;

/// How stressed an instance is, from its stress score σ.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum StressState {
    Low,
    Med,
    High,
    Over,
}

impl StressState {
    /// `σ = w_mode·m_stress + w_load·L + w_fatigue·(1 − e)`, then the thresholds.
    pub(crate) fn classify(p: &ClassParams, stress_mode: f64, load: f64, energy: f64) -> Self {
        let sigma = p.stress_weight_mode * stress_mode
            + p.stress_weight_load * load
            + p.stress_weight_fatigue * (1.0 - energy);
        let [med, high, over] = p.stress_thresholds;
        if sigma >= over {
            StressState::Over
        } else if sigma >= high {
            StressState::High
        } else if sigma >= med {
            StressState::Med
        } else {
            StressState::Low
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StressState::Low => "LOW",
            StressState::Med => "MED",
            StressState::High => "HIGH",
            StressState::Over => "OVER",
        }
    }

    pub fn from_name(name: &str) -> Option<StressState> {
        [
            StressState::Low,
            StressState::Med,
            StressState::High,
            StressState::Over,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
    }

    /// HIGH or OVER: the states that require support and close risky actions.
    pub fn is_high(self) -> bool {
        self >= StressState::High
    }
}
