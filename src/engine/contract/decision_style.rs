//! Decision style: how the agent should decide, derived from modes, energy and stress.
//!
//! The rules, first match wins in each dimension ("strong" = at or above the dominant
//! threshold, 0.6 in version 1):
//! - tempo: `urgent` at HIGH/OVER stress; `deliberate` when tired (energy below the rest
//!   threshold); `decisive` when Order or Assertion is strong and above Perception;
//!   `deliberate` when Perception or Identity is strong; else `measured`.
//! - risk: `averse` at HIGH/OVER stress or depleted energy; `open` when Exploration is
//!   strong and above Order; else `bounded`.
//! - expressiveness: `low` at OVER stress, depleted energy, or when neither Connection
//!   nor Assertion rises above the suppressed threshold; `high` when one of them is strong
//!   (and stress is below HIGH); else `medium`.
//! - commitment_threshold (evidence needed before committing): `high` at HIGH/OVER
//!   stress; `low` when Assertion is strong and at least Perception; `high` when
//!   Perception is strong; else `medium`.

use serde::{Deserialize, Serialize};

use crate::engine::mode::{MODE_COUNT, Mode};
use crate::engine::params::ContractParams;
use crate::engine::stress::StressState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DecisionStyle {
    pub tempo: Tempo,
    pub risk: Risk,
    pub expressiveness: Expressiveness,
    pub commitment_threshold: Commitment,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Tempo {
    Deliberate,
    Measured,
    Decisive,
    Urgent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Risk {
    Averse,
    Bounded,
    Open,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Expressiveness {
    Low,
    Medium,
    High,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Commitment {
    Low,
    Medium,
    High,
}

impl DecisionStyle {
    pub(crate) fn derive(
        p: &ContractParams,
        modes: &[f64; MODE_COUNT],
        energy: f64,
        stress: StressState,
    ) -> DecisionStyle {
        let m = |mode: Mode| modes[mode.index()];
        let strong = |mode: Mode| m(mode) >= p.dominant_min;
        let stressed = stress.is_high();
        let depleted = energy < p.depleted_energy;
        let driving = m(Mode::Order).max(m(Mode::Assertion));
        let voice = m(Mode::Connection).max(m(Mode::Assertion));

        let tempo = if stressed {
            Tempo::Urgent
        } else if energy < p.tired_energy {
            Tempo::Deliberate
        } else if driving >= p.dominant_min && driving > m(Mode::Perception) {
            Tempo::Decisive
        } else if strong(Mode::Perception) || strong(Mode::Identity) {
            Tempo::Deliberate
        } else {
            Tempo::Measured
        };

        let risk = if stressed || depleted {
            Risk::Averse
        } else if strong(Mode::Exploration) && m(Mode::Exploration) > m(Mode::Order) {
            Risk::Open
        } else {
            Risk::Bounded
        };

        let expressiveness = if stress == StressState::Over || depleted || voice <= p.suppressed_max
        {
            Expressiveness::Low
        } else if voice >= p.dominant_min && !stressed {
            Expressiveness::High
        } else {
            Expressiveness::Medium
        };

        let commitment_threshold = if stressed {
            Commitment::High
        } else if strong(Mode::Assertion) && m(Mode::Assertion) >= m(Mode::Perception) {
            Commitment::Low
        } else if strong(Mode::Perception) {
            Commitment::High
        } else {
            Commitment::Medium
        };

        DecisionStyle {
            tempo,
            risk,
            expressiveness,
            commitment_threshold,
        }
    }
}
