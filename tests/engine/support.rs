//! Shorthands and proptest strategies shared by the engine tests.

use identity_os::engine::{
    Drift, Dt, Engine, EngineState, MODE_COUNT, Mode, Observation, Profile, Unit,
};
use proptest::prelude::*;

pub const ENGINE: Engine = Engine::latest();

pub fn unit(x: f64) -> Unit {
    Unit::new(x).unwrap_or_else(|e| panic!("{e}"))
}

pub fn obs(mode: Mode, signal: f64, confidence: f64) -> Observation {
    Observation::new(mode, unit(signal), unit(confidence))
}

pub fn dt(secs: f64) -> Dt {
    Dt::from_secs(secs)
}

/// A fresh state with these modes (canonical order) and energy.
pub fn state_with(modes: [f64; MODE_COUNT], energy: f64) -> EngineState {
    EngineState::new(Profile {
        modes: modes.map(unit),
        energy: unit(energy),
    })
}

/// Applies `n` identical observations `dt` apart, returning every cycle's drift.
pub fn repeat(state: &mut EngineState, o: Observation, n: usize, gap: Dt) -> Vec<Drift> {
    (0..n).map(|_| ENGINE.step(state, o, gap)).collect()
}

pub fn mode_strategy() -> impl Strategy<Value = Mode> {
    prop::sample::select(Mode::ALL.to_vec())
}

/// Values in [0, 1] with the edges and awkward floats well represented.
pub fn unit_strategy() -> impl Strategy<Value = f64> {
    prop_oneof![
        3 => 0.0..=1.0f64,
        1 => prop::sample::select(vec![
            0.0,
            1.0,
            f64::MIN_POSITIVE,
            5e-324,
            1e-300,
            1.0 - f64::EPSILON,
            0.5,
            0.999_999_999,
        ]),
    ]
}

/// Gaps from none to years, plus clock artifacts (negative, NaN, infinite).
pub fn dt_strategy() -> impl Strategy<Value = Dt> {
    prop_oneof![
        3 => (0.0..5.0f64).prop_map(Dt::from_secs),
        1 => (0.0..1e9f64).prop_map(Dt::from_secs),
        1 => prop::sample::select(vec![
            0.0,
            1.0,
            3600.0,
            86_400.0 * 365.0 * 10.0,
            f64::MAX,
            f64::INFINITY,
            f64::NAN,
            -1.0,
            5e-324,
        ])
        .prop_map(Dt::from_secs),
    ]
}

pub fn observation_strategy() -> impl Strategy<Value = (Observation, Dt)> {
    (
        mode_strategy(),
        unit_strategy(),
        unit_strategy(),
        dt_strategy(),
    )
        .prop_map(|(m, s, c, gap)| (obs(m, s, c), gap))
}

pub fn profile_strategy() -> impl Strategy<Value = Profile> {
    (prop::array::uniform7(unit_strategy()), unit_strategy()).prop_map(|(modes, energy)| Profile {
        modes: modes.map(unit),
        energy: unit(energy),
    })
}

/// A state reached from an arbitrary profile by an arbitrary sequence.
pub fn state_strategy() -> impl Strategy<Value = EngineState> {
    (
        profile_strategy(),
        prop::collection::vec(observation_strategy(), 0..40),
    )
        .prop_map(|(profile, seq)| {
            let mut state = EngineState::new(profile);
            for (o, gap) in seq {
                ENGINE.step(&mut state, o, gap);
            }
            state
        })
}

/// Every float of a state, for bound checks and bit comparisons.
pub fn floats(state: &EngineState) -> Vec<f64> {
    let mut all = Vec::new();
    all.extend(state.modes);
    all.extend(state.baseline);
    all.extend(state.last_stable.modes);
    all.extend([
        state.energy,
        state.load,
        state.volatility,
        state.last_stable.energy,
        state.last_stable.load,
    ]);
    all.extend(state.initial.modes.map(Unit::get));
    all.push(state.initial.energy.get());
    all
}

pub fn bits(state: &EngineState) -> Vec<u64> {
    floats(state).into_iter().map(f64::to_bits).collect()
}
