//! One cycle of the reference model (ENGINE.md B, steps 1–7).
//!
//! Only `+ − × ÷`, `abs`, `min`/`max` and `libm::exp` are used. The first four are exact
//! IEEE operations, and `libm` is a pure-Rust port of musl's `exp`, so the result does not
//! depend on the platform's C library: determinism (P1) holds on every platform we ship.

use super::drift::{Drift, DriftLevel};
use super::mode::{MODE_COUNT, Mode};
use super::observation::{Dt, Observation};
use super::params::{ClassParams, DynamicsParams};
use super::state::{EngineState, StablePoint};

/// Applies one observation after `dt` and returns the cycle's drift.
pub(crate) fn step(
    p: &DynamicsParams,
    classes: &ClassParams,
    state: &mut EngineState,
    obs: Observation,
    dt: Dt,
) -> Drift {
    let dt = dt.secs().min(p.max_dt_secs);
    let (s, c) = (obs.signal.get(), obs.confidence.get());

    // 1. Recover over dt: energy toward 1, load toward 0, modes toward their baseline.
    state.energy += (1.0 - state.energy) * (1.0 - libm::exp(-dt / p.energy_recovery_tau));
    state.load *= libm::exp(-dt / p.load_decay_tau);
    let reversion = 1.0 - libm::exp(-dt / p.mode_reversion_tau);
    for k in 0..MODE_COUNT {
        state.modes[k] = unit(state.modes[k] + (state.baseline[k] - state.modes[k]) * reversion);
    }

    // 2–3. Plasticity, damped by a strong identity and by fatigue; push M, pull its
    // opposite down.
    let identity = state.modes[Mode::Identity.index()];
    let plasticity = p.plasticity_gain
        * s
        * c
        * (1.0 - p.identity_damping * identity)
        * (1.0 - p.fatigue + p.fatigue * state.energy);
    let before_push = state.modes;
    let target = obs.mode.index();
    state.modes[target] = unit(state.modes[target] + plasticity * (1.0 - state.modes[target]));
    if let Some(opposite) = obs.mode.opposite() {
        let o = opposite.index();
        state.modes[o] = unit(state.modes[o] - p.opposite_push * plasticity * state.modes[o]);
    }

    // 4. Energy cost, heavier under load; load from stress input and from exhaustion.
    state.energy = unit(state.energy - p.energy_cost * s * (1.0 + state.load));
    if obs.mode == Mode::StressResponse {
        state.load += p.stress_load_gain * s * c;
    }
    state.load =
        unit(state.load + p.exhaustion_load_gain * (p.exhaustion_energy - state.energy).max(0.0));

    // 5. Volatility tracks how far the observation itself moved the modes (not the
    // reversion of step 1, so a long rest does not read as instability).
    let moved: f64 = (0..MODE_COUNT)
        .map(|k| (state.modes[k] - before_push[k]).abs())
        .sum();
    state.volatility =
        unit(p.volatility_keep * state.volatility + (1.0 - p.volatility_keep) * moved);

    // 7. Drift against the baseline, which then follows the modes; D3 rolls the modes
    // back to the last stable point (energy and load stay), D0 makes this the new one.
    let drift = Drift::measure(classes, &state.modes, &state.baseline);
    for k in 0..MODE_COUNT {
        state.baseline[k] =
            unit(state.baseline[k] + p.baseline_rate * (state.modes[k] - state.baseline[k]));
    }
    match drift.level() {
        DriftLevel::D3 => state.modes = state.last_stable.modes,
        DriftLevel::D0 => {
            state.last_stable = StablePoint {
                modes: state.modes,
                energy: state.energy,
                load: state.load,
            }
        }
        DriftLevel::D1 | DriftLevel::D2 => {}
    }
    state.cycle += 1;
    drift
}

/// Clamps into [0, 1]. The formulas keep every value there in exact arithmetic; this
/// absorbs rounding so that P2 holds for any input sequence.
fn unit(x: f64) -> f64 {
    x.clamp(0.0, 1.0)
}
