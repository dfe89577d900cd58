//! The engine state of one instance, and the profiles it can start or reset from.

use serde::{Deserialize, Serialize};

use super::mode::MODE_COUNT;
use super::unit::Unit;

/// A starting point: mode strengths and energy (a creation config, a persona, a test
/// result).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub modes: [Unit; MODE_COUNT],
    pub energy: Unit,
}

impl Profile {
    /// Neutral: every mode 0.5, energy 0.8.
    pub const DEFAULT: Profile = Profile {
        modes: [Unit::HALF; MODE_COUNT],
        energy: Unit::DEFAULT_ENERGY,
    };
}

impl Default for Profile {
    fn default() -> Self {
        Profile::DEFAULT
    }
}

/// The newest state whose drift level was D0: where a D3 cycle rolls the modes back to,
/// and where `reset` with `last_stable` goes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StablePoint {
    pub modes: [f64; MODE_COUNT],
    pub energy: f64,
    pub load: f64,
}

/// Everything the engine knows about one instance. Plain data: the formulas live in the
/// engine version that steps it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EngineState {
    /// Engine cycle: cycles since creation or the last reset.
    pub cycle: u64,
    /// Mode strengths `m`, in canonical mode order.
    pub modes: [f64; MODE_COUNT],
    /// Energy `e`.
    pub energy: f64,
    /// Stress load `L`: accumulated pressure, decaying with time.
    pub load: f64,
    /// Identity baseline `b`: where the modes rest, following them slowly.
    pub baseline: [f64; MODE_COUNT],
    /// Volatility `v`: a moving average of how much each cycle moved the modes.
    pub volatility: f64,
    /// The last stable point `m*`.
    pub last_stable: StablePoint,
    /// The creation state, for `reset` with `initial`.
    pub initial: Profile,
}

impl EngineState {
    /// A fresh state at `profile`: no load, no volatility, the baseline at the modes.
    pub fn new(profile: Profile) -> EngineState {
        EngineState::starting_at(profile, profile)
    }

    /// A fresh state at `profile` that remembers `initial` as its creation state.
    pub(crate) fn starting_at(profile: Profile, initial: Profile) -> EngineState {
        let modes = profile.modes.map(Unit::get);
        let energy = profile.energy.get();
        EngineState {
            cycle: 0,
            modes,
            energy,
            load: 0.0,
            baseline: modes,
            volatility: 0.0,
            last_stable: StablePoint {
                modes,
                energy,
                load: 0.0,
            },
            initial,
        }
    }
}

impl Default for EngineState {
    fn default() -> Self {
        EngineState::new(Profile::DEFAULT)
    }
}

/// Where `reset` takes an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResetTarget {
    /// The instance's creation state.
    Initial,
    /// Neutral modes 0.5, energy 0.8.
    Default,
    /// The newest state whose drift level was D0.
    LastStable,
}
