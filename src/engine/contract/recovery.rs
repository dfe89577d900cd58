//! Recovery profile: what the agent needs to get back to a calm, rested state.

use serde::{Deserialize, Serialize};

use crate::engine::params::ContractParams;
use crate::engine::stress::StressState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RecoveryProfile {
    pub preferred_path: RecoveryPath,
    pub support_required: bool,
    pub cooldown_required: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RecoveryPath {
    None,
    Gradual,
    Rest,
    Support,
    Reset,
}

impl RecoveryProfile {
    /// First match wins: `reset` at OVER, `support` at HIGH, `rest` when tired, `none`
    /// at LOW stress with rested energy, `gradual` otherwise. Support is required at
    /// HIGH/OVER; cooldown at OVER or with depleted energy.
    pub(crate) fn derive(p: &ContractParams, energy: f64, stress: StressState) -> RecoveryProfile {
        let preferred_path = match stress {
            StressState::Over => RecoveryPath::Reset,
            StressState::High => RecoveryPath::Support,
            StressState::Low | StressState::Med if energy < p.tired_energy => RecoveryPath::Rest,
            StressState::Low if energy >= p.rested_energy => RecoveryPath::None,
            StressState::Low | StressState::Med => RecoveryPath::Gradual,
        };
        RecoveryProfile {
            preferred_path,
            support_required: stress.is_high(),
            cooldown_required: stress == StressState::Over || energy < p.depleted_energy,
        }
    }
}
