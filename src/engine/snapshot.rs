//! The snapshot: an instance's state as clients see it.

use serde::{Deserialize, Serialize};

use super::mode::ModeStrengths;
use super::stress::StressState;

/// `snapshot` of API.md §3. Every float is in [0, 1].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Snapshot {
    pub instance_id: String,
    pub cycle: u64,
    pub mode_strengths: ModeStrengths,
    pub energy_level: f64,
    pub stress_state: StressState,
    pub stability_index: f64,
}
