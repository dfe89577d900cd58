//! The identity engine: a pure, deterministic state machine
//! `(state, observation, dt) → (state, contract, drift)` (ENGINE.md).
//!
//! No async, no I/O, no clock, no randomness: time enters only as [`Dt`], recorded with
//! each history entry, so that crash recovery can rebuild any instance by replaying its
//! history through the same [`EngineVersion`] and land on the same bits.

mod action;
mod contract;
mod drift;
mod dynamics;
mod mode;
mod observation;
mod params;
pub mod personas;
pub mod questionnaire;
mod schema;
mod snapshot;
mod state;
mod stress;
mod unit;
mod version;

pub use action::{Action, ActionSet};
pub use contract::{
    Commitment, Contract, DecisionStyle, Expressiveness, RecoveryPath, RecoveryProfile, Risk, Tempo,
};
pub use drift::{Deviation, Drift, DriftLevel};
pub use mode::{MODE_COUNT, Mode, ModeList, ModeStrengths, UnknownMode, display_names};
pub use observation::{Dt, Observation};
pub use snapshot::Snapshot;
pub use state::{EngineState, Profile, ResetTarget, StablePoint};
pub use stress::StressState;
pub use unit::{OutOfUnitRange, Unit};
pub use version::{EngineVersion, UnknownEngineVersion};

use params::Params;

/// The engine of one version: every operation on an [`EngineState`] goes through it, so
/// an instance is always stepped, classified and contracted by the numbers of the
/// version it runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Engine {
    version: EngineVersion,
}

impl Engine {
    pub const fn new(version: EngineVersion) -> Engine {
        Engine { version }
    }

    /// The engine new instances start on.
    pub const fn latest() -> Engine {
        Engine::new(EngineVersion::LATEST)
    }

    pub const fn version(&self) -> EngineVersion {
        self.version
    }

    fn params(&self) -> &'static Params {
        self.version.params()
    }

    /// One cycle: applies `obs` after `dt` has passed and returns the cycle's drift.
    /// Inside a batch, every cycle after the first has `dt` = [`Dt::ZERO`].
    pub fn step(&self, state: &mut EngineState, obs: Observation, dt: Dt) -> Drift {
        let p = self.params();
        dynamics::step(&p.dynamics, &p.classes, state, obs, dt)
    }

    pub fn stress_state(&self, state: &EngineState) -> StressState {
        StressState::classify(
            &self.params().classes,
            state.modes[Mode::StressResponse.index()],
            state.load,
            state.energy,
        )
    }

    /// `0.5·m_identity + 0.5·(1 − min(1, 5v))`: a strong identity and calm cycles make a
    /// stable instance.
    pub fn stability_index(&self, state: &EngineState) -> f64 {
        let scale = self.params().classes.stability_volatility_scale;
        let identity = state.modes[Mode::Identity.index()];
        (0.5 * identity + 0.5 * (1.0 - (scale * state.volatility).min(1.0))).clamp(0.0, 1.0)
    }

    pub fn snapshot(&self, state: &EngineState, instance_id: &str) -> Snapshot {
        Snapshot {
            instance_id: instance_id.to_owned(),
            cycle: state.cycle,
            mode_strengths: state.modes.into(),
            energy_level: state.energy,
            stress_state: self.stress_state(state),
            stability_index: self.stability_index(state),
        }
    }

    /// The contract of a snapshot: a pure function of it (P8).
    pub fn contract(&self, snapshot: &Snapshot) -> Contract {
        contract::derive(&self.params().contract, snapshot)
    }

    /// Moves `state` to `target` with its engine cycle back at 0. The creation state is
    /// remembered across resets. `last_stable` restores the modes, energy and load of
    /// the newest D0 state and re-anchors the baseline there (a reset is a deliberate new
    /// start, so it is not itself drift).
    pub fn reset(&self, state: &mut EngineState, target: ResetTarget) {
        let initial = state.initial;
        *state = match target {
            ResetTarget::Initial => EngineState::new(initial),
            ResetTarget::Default => EngineState::starting_at(Profile::DEFAULT, initial),
            ResetTarget::LastStable => {
                let stable = state.last_stable;
                EngineState {
                    cycle: 0,
                    modes: stable.modes,
                    energy: stable.energy,
                    load: stable.load,
                    baseline: stable.modes,
                    volatility: 0.0,
                    last_stable: stable,
                    initial,
                }
            }
        };
    }

    /// Moves `state` to `profile` with its engine cycle back at 0, as a reset does (the
    /// creation state stays remembered): a personality test's result applied to a
    /// running instance.
    pub fn adopt(&self, state: &mut EngineState, profile: Profile) {
        *state = EngineState::starting_at(profile, state.initial);
    }
}
