//! One test (or proptest) per binding property P1–P11 of ENGINE.md.

use identity_os::engine::personas;
use identity_os::engine::questionnaire::{self, Response, TestVersion};
use identity_os::engine::{
    Action, ActionSet, DriftLevel, Dt, EngineState, MODE_COUNT, Mode, Observation, StressState,
};
use proptest::prelude::*;

use super::support::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// P1: same start and sequence → bit-identical state, contract and drift, also when
    /// the run is cut in two by a serialised snapshot (how recovery rebuilds an actor).
    #[test]
    fn p1_determinism(
        profile in profile_strategy(),
        seq in prop::collection::vec(observation_strategy(), 1..60),
        cut in 0usize..60,
    ) {
        let run = |state: &mut EngineState, part: &[(Observation, Dt)]| -> Vec<String> {
            part.iter()
                .map(|(o, gap)| {
                    let drift = ENGINE.step(state, *o, *gap);
                    let snapshot = ENGINE.snapshot(state, "inst_0000000000000001");
                    let contract = ENGINE.contract(&snapshot);
                    format!("{:?}|{:?}|{:?}", bits(state), drift, contract)
                })
                .collect()
        };
        let mut a = EngineState::new(profile);
        let mut b = EngineState::new(profile);
        let trace_a = run(&mut a, &seq);
        prop_assert_eq!(&trace_a, &run(&mut b, &seq));

        let cut = cut.min(seq.len());
        let mut c = EngineState::new(profile);
        let mut trace_c = run(&mut c, &seq[..cut]);
        let json = serde_json::to_string(&c).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut restored: EngineState =
            serde_json::from_str(&json).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(bits(&restored), bits(&c));
        trace_c.extend(run(&mut restored, &seq[cut..]));
        prop_assert_eq!(trace_a, trace_c);
        prop_assert_eq!(bits(&a), bits(&restored));
    }

    /// P2: every float stays finite and in [0, 1], whatever the sequence.
    #[test]
    fn p2_bounds(
        profile in profile_strategy(),
        seq in prop::collection::vec(observation_strategy(), 1..80),
    ) {
        let mut state = EngineState::new(profile);
        for (o, gap) in seq {
            ENGINE.step(&mut state, o, gap);
            for x in floats(&state) {
                prop_assert!(x.is_finite() && (0.0..=1.0).contains(&x), "{x} in {state:?}");
            }
            let snapshot = ENGINE.snapshot(&state, "i");
            prop_assert!((0.0..=1.0).contains(&snapshot.stability_index));
            let contract = ENGINE.contract(&snapshot);
            prop_assert!((0.0..=1.0).contains(&contract.energy_level));
        }
    }

    /// P3: a signal raises its mode (at dt = 0 against the state before, at dt = 1 s
    /// against the same gap without the signal), more for a larger s·c; s = 0 or c = 0
    /// leaves the observation's mode without influence.
    #[test]
    fn p3_response(
        start in state_strategy(),
        mode in mode_strategy(),
        (s1, c1, s2, c2) in (unit_strategy(), unit_strategy(), unit_strategy(), unit_strategy()),
    ) {
        let k = mode.index();
        for gap in [dt(0.0), dt(1.0)] {
            let mut quiet = start;
            let quiet_drift = ENGINE.step(&mut quiet, obs(mode, 0.0, 1.0), gap);
            let mut weak = start;
            let weak_drift = ENGINE.step(&mut weak, obs(mode, s1, c1), gap);
            let mut strong = start;
            let strong_drift = ENGINE.step(&mut strong, obs(mode, s2, c2), gap);
            let (weak, strong) = if s1 * c1 <= s2 * c2 {
                ((weak, weak_drift, s1 * c1), (strong, strong_drift, s2 * c2))
            } else {
                ((strong, strong_drift, s2 * c2), (weak, weak_drift, s1 * c1))
            };
            if quiet_drift.rolled_back() || weak.1.rolled_back() || strong.1.rolled_back() {
                continue;
            }
            let base = quiet.modes[k];
            prop_assert!(weak.0.modes[k] >= base && strong.0.modes[k] >= weak.0.modes[k]);
            // Strictly more wherever the rise is far above rounding.
            let room = 1.0 - base;
            if strong.2 > 1e-6 && room > 1e-6 {
                prop_assert!(strong.0.modes[k] > base, "no rise: {base} with s·c {}", strong.2);
            }
            if strong.2 - weak.2 > 1e-3 && room > 1e-3 {
                prop_assert!(strong.0.modes[k] > weak.0.modes[k]);
            }
            if gap.secs() == 0.0 {
                prop_assert_eq!(bits(&quiet)[..MODE_COUNT].to_vec(), bits(&start)[..MODE_COUNT].to_vec());
            }
        }
        // No influence of the mode when s = 0 or c = 0: any other mode gives the same.
        for (s, c) in [(0.0, c1), (s1, 0.0)] {
            let mut a = start;
            let mut b = start;
            ENGINE.step(&mut a, obs(mode, s, c), dt(1.0));
            let other = Mode::ALL[(k + 1) % MODE_COUNT];
            ENGINE.step(&mut b, obs(other, s, c), dt(1.0));
            prop_assert_eq!(a.modes.map(f64::to_bits), b.modes.map(f64::to_bits));
        }
    }

    /// P8: the contract is a pure function of the snapshot and keeps its invariants.
    #[test]
    fn p8_contract_invariants(state in state_strategy()) {
        let snapshot = ENGINE.snapshot(&state, "i");
        let contract = ENGINE.contract(&snapshot);
        let json = serde_json::to_string(&snapshot).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let reparsed = serde_json::from_str(&json).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&ENGINE.contract(&reparsed), &contract);

        let (allowed, forbidden) = (contract.allowed_actions, contract.forbidden_actions);
        prop_assert!(allowed.intersection(forbidden).is_empty());
        prop_assert!(allowed.union(forbidden).is_subset(ActionSet::ALL));
        let gated = match contract.stress_state {
            StressState::Over => ActionSet::ALL.minus(ActionSet::of(&[
                Action::Stabilize, Action::Clarify, Action::Defer, Action::Withdraw,
            ])),
            StressState::High => ActionSet::of(&[
                Action::Execute, Action::Explore, Action::Pivot, Action::Challenge,
            ]),
            StressState::Low | StressState::Med => ActionSet::EMPTY,
        }
        .union(if contract.energy_level < 0.2 {
            ActionSet::of(&[Action::Explore, Action::Pivot, Action::Elaborate])
        } else {
            ActionSet::EMPTY
        });
        for mode in contract.dominant_modes.iter() {
            prop_assert!(ActionSet::signature(mode).minus(gated).is_subset(allowed), "{mode}");
        }
        if contract.stress_state == StressState::Over {
            prop_assert_eq!(allowed, ActionSet::of(&[
                Action::Stabilize, Action::Clarify, Action::Defer, Action::Withdraw,
            ]));
            prop_assert_eq!(forbidden.len(), 8);
            prop_assert!(contract.recovery_profile.cooldown_required);
        }
        if contract.stress_state.is_high() {
            prop_assert!(contract.recovery_profile.support_required);
            for a in [Action::Execute, Action::Explore, Action::Pivot, Action::Challenge] {
                prop_assert!(forbidden.contains(a), "{a} not forbidden");
            }
        }
    }
}

/// P4: ten strong observations of a mode from the default state make it the strongest
/// dominant mode, with real gaps and inside a batch.
#[test]
fn p4_dominance() {
    for gap in [dt(1.0), Dt::ZERO] {
        for mode in Mode::ALL {
            let mut state = EngineState::default();
            repeat(&mut state, obs(mode, 0.9, 1.0), 10, gap);
            let contract = ENGINE.contract(&ENGINE.snapshot(&state, "i"));
            assert_eq!(
                contract.dominant_modes.as_slice().first(),
                Some(&mode),
                "{mode} at dt {gap:?}: {contract:?}"
            );
        }
    }
}

/// P5: sustained input lowers the opposite mode; ten ORDER observations suppress
/// Exploration and forbid `explore` and `pivot`.
#[test]
fn p5_opposition() {
    for mode in Mode::ALL {
        let Some(opposite) = mode.opposite() else {
            continue;
        };
        let mut state = EngineState::default();
        repeat(&mut state, obs(mode, 0.9, 1.0), 10, dt(1.0));
        assert!(
            state.modes[opposite.index()] < 0.5,
            "{mode} did not lower {opposite}"
        );
    }
    let mut state = EngineState::default();
    repeat(&mut state, obs(Mode::Order, 0.9, 1.0), 10, dt(1.0));
    let contract = ENGINE.contract(&ENGINE.snapshot(&state, "i"));
    assert!(contract.suppressed_modes.contains(Mode::Exploration));
    assert!(contract.forbidden_actions.contains(Action::Explore));
    assert!(contract.forbidden_actions.contains(Action::Pivot));
}

/// P6: cycles cost energy (more for stronger signals and under load); rest restores it.
#[test]
fn p6_energy() {
    let mut state = EngineState::default();
    repeat(&mut state, obs(Mode::Perception, 1.0, 1.0), 30, dt(1.0));
    assert!(
        state.energy < 0.3,
        "energy {} after 30 strong cycles",
        state.energy
    );
    ENGINE.step(&mut state, obs(Mode::Perception, 0.1, 1.0), dt(3600.0));
    assert!(state.energy > 0.7, "energy {} after an hour", state.energy);

    let spend = |mut state: EngineState, signal: f64| {
        let before = state.energy;
        ENGINE.step(&mut state, obs(Mode::Order, signal, 1.0), Dt::ZERO);
        before - state.energy
    };
    let calm = EngineState::default();
    assert!(spend(calm, 0.9) > spend(calm, 0.3));
    let mut loaded = calm;
    loaded.load = 0.8;
    assert!(spend(loaded, 0.5) > spend(calm, 0.5));
}

/// P7: sustained stress input climbs LOW → MED → HIGH → OVER without stepping back,
/// reaches OVER within 20 cycles, and falls back with time.
#[test]
fn p7_stress() {
    for gap in [dt(1.0), Dt::ZERO] {
        let mut state = EngineState::default();
        let mut seen = vec![ENGINE.stress_state(&state)];
        for _ in 0..20 {
            ENGINE.step(&mut state, obs(Mode::StressResponse, 1.0, 1.0), gap);
            seen.push(ENGINE.stress_state(&state));
        }
        assert!(
            seen.windows(2).all(|w| w[0] <= w[1]),
            "stepped back: {seen:?}"
        );
        for level in [
            StressState::Low,
            StressState::Med,
            StressState::High,
            StressState::Over,
        ] {
            assert!(seen.contains(&level), "{level:?} skipped: {seen:?}");
        }
        ENGINE.step(&mut state, obs(Mode::Perception, 0.1, 1.0), dt(3600.0));
        assert!(ENGINE.stress_state(&state) < StressState::Over);
    }
}

/// P9: alternating opposite modes leave a less stable instance than a steady input.
#[test]
fn p9_stability() {
    let mut alternating = EngineState::default();
    let mut steady = EngineState::default();
    for i in 0..20 {
        let mode = if i % 2 == 0 {
            Mode::Exploration
        } else {
            Mode::Order
        };
        ENGINE.step(&mut alternating, obs(mode, 0.9, 1.0), dt(1.0));
        ENGINE.step(&mut steady, obs(Mode::Exploration, 0.9, 1.0), dt(1.0));
    }
    assert!(ENGINE.stability_index(&alternating) < ENGINE.stability_index(&steady));
}

/// P10: drift grows with distance from the baseline; a gradual sustained change is
/// accepted; a D3 cycle is rolled back in the same cycle; a strong identity resists.
#[test]
fn p10_drift_levels_grow_then_a_gradual_change_is_accepted() {
    let mut state = EngineState::default();
    let drifts = repeat(&mut state, obs(Mode::Exploration, 0.3, 1.0), 400, dt(1.0));
    assert!(drifts.iter().all(|d| !d.rolled_back()));
    let levels: Vec<_> = drifts.iter().map(|d| d.level()).collect();
    let peak = levels
        .iter()
        .position(|l| *l == DriftLevel::D1)
        .unwrap_or(usize::MAX);
    assert!(peak < 100, "never left D0: {levels:?}");
    assert_eq!(
        levels.last(),
        Some(&DriftLevel::D0),
        "change never accepted"
    );
    assert!(state.modes[Mode::Exploration.index()] > 0.9);
    for d in &drifts {
        let dist = Mode::ALL
            .iter()
            .map(|m| d.offset(*m).abs())
            .fold(0.0, f64::max);
        let expected = match dist {
            x if x >= 0.45 => DriftLevel::D3,
            x if x >= 0.30 => DriftLevel::D2,
            x if x >= 0.15 => DriftLevel::D1,
            _ => DriftLevel::D0,
        };
        assert_eq!(d.level(), expected);
    }
}

#[test]
fn p10_a_d3_cycle_returns_the_rolled_back_snapshot() {
    let mut modes = [0.5; MODE_COUNT];
    modes[Mode::Assertion.index()] = 0.1;
    let mut state = state_with(modes, 0.8);
    let mut rolled = None;
    for _ in 0..40 {
        let stable = state.last_stable.modes;
        let drift = ENGINE.step(&mut state, obs(Mode::Assertion, 1.0, 1.0), Dt::ZERO);
        if drift.level() == DriftLevel::D3 {
            rolled = Some((drift, stable));
            break;
        }
    }
    let Some((drift, stable)) = rolled else {
        panic!("no D3 in 40 strong cycles from a low start")
    };
    assert!(drift.rolled_back());
    assert!(drift.affected_modes().contains(Mode::Assertion));
    assert_eq!(state.modes, stable, "snapshot is not the last stable one");
    let snapshot = ENGINE.snapshot(&state, "i");
    assert_eq!(<[f64; MODE_COUNT]>::from(snapshot.mode_strengths), stable);
}

#[test]
fn p10_a_strong_identity_resists() {
    let mut modes = [0.5; MODE_COUNT];
    modes[Mode::Order.index()] = 0.9;
    modes[Mode::Exploration.index()] = 0.1;
    modes[Mode::Identity.index()] = 0.9;
    let mut state = state_with(modes, 0.8);
    let x = Mode::Exploration.index();
    let mut rollbacks = 0;
    for _ in 0..20 {
        let drift = ENGINE.step(&mut state, obs(Mode::Exploration, 1.0, 1.0), dt(1.0));
        if drift.rolled_back() {
            assert_eq!(drift.level(), DriftLevel::D3);
            rollbacks += 1;
        }
        assert!(
            state.modes[x] - state.baseline[x] < 0.45,
            "exploration broke through"
        );
    }
    assert!(rollbacks >= 1);
}

/// P11: typical contracts are the engine's own; each persona's implied answers rank it
/// first with a perfect match; no two personas answer alike.
#[test]
fn p11_personas_and_test() {
    let mut seen_answers = Vec::new();
    for persona in personas::all() {
        let fresh = EngineState::new(persona.starting_profile());
        let derived = ENGINE.contract(&ENGINE.snapshot(&fresh, "inst_0000000000000000"));
        let typical = persona.typical_contract(ENGINE);
        assert_eq!(typical, derived, "{}", persona.id);
        assert_eq!(&typical.dominant_modes.as_slice()[..2], &persona.dominant);

        let answers = questionnaire::implied_answers(TestVersion::V1, persona);
        for (question, answer) in TestVersion::V1.questions().zip(&answers) {
            let strongest = question
                .options
                .iter()
                .map(|o| persona.profile[o.mode.index()])
                .fold(f64::MIN, f64::max);
            let picked = question.options.iter().find(|o| o.id == *answer);
            assert_eq!(
                picked.map(|o| persona.profile[o.mode.index()]),
                Some(strongest)
            );
        }
        let responses: Vec<_> = (1..)
            .zip(&answers)
            .map(|(q, a)| Response {
                question_id: q,
                option_id: a,
            })
            .collect();
        let result = questionnaire::score(TestVersion::V1, &responses);
        let Ok(result) = result else {
            panic!("{result:?}")
        };
        assert_eq!(result.matches[0].persona.id, persona.id);
        assert_eq!(result.matches[0].score, 1.0);
        assert!(result.matches[1].score < 1.0, "{} tied", persona.id);
        assert!(
            !seen_answers.contains(&answers),
            "{} answers like another",
            persona.id
        );
        seen_answers.push(answers);
    }
}

/// P1 across builds: a long fixed run lands on the same bits as when version 1 was
/// released. If this fails, version 1 changed and stored histories would replay to other
/// states: make a new engine version instead.
#[test]
fn p1_version_1_replays_to_its_released_bits() {
    let mut state = EngineState::default();
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    for i in 0..5000u32 {
        let mode = Mode::ALL[(i * 3 % 7) as usize];
        let o = obs(mode, f64::from(i % 13) / 12.0, f64::from(i % 5 + 1) / 5.0);
        let drift = ENGINE.step(&mut state, o, dt(f64::from(i % 9) * 0.75));
        for word in bits(&state).into_iter().chain([drift.level() as u64]) {
            hash = (hash ^ word).wrapping_mul(0x0100_0000_01b3);
        }
    }
    assert_eq!(hash, GOLDEN, "got {hash:#x}");
}

const GOLDEN: u64 = 0x0ae2_95da_4d86_16ce;
