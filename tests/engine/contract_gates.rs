//! Every rule of contract derivation, one snapshot at a time.

use identity_os::engine::{
    Action, ActionSet, Commitment, Contract, Expressiveness, MODE_COUNT, Mode, RecoveryPath, Risk,
    Snapshot, StressState, Tempo,
};

use super::support::ENGINE;
use Action::*;

/// Modes at `level`, except the given ones.
fn modes(level: f64, set: &[(Mode, f64)]) -> [f64; MODE_COUNT] {
    let mut m = [level; MODE_COUNT];
    for (mode, v) in set {
        m[mode.index()] = *v;
    }
    m
}

fn contract(m: [f64; MODE_COUNT], energy: f64, stress: StressState) -> Contract {
    ENGINE.contract(&Snapshot {
        instance_id: "inst_0000000000000000".into(),
        cycle: 1,
        mode_strengths: m.into(),
        energy_level: energy,
        stress_state: stress,
        stability_index: 0.5,
    })
}

fn set(actions: &[Action]) -> ActionSet {
    ActionSet::of(actions)
}

#[test]
fn no_dominant_mode_allows_the_neutral_set() {
    let c = contract(modes(0.5, &[]), 0.8, StressState::Low);
    assert!(c.dominant_modes.is_empty() && c.suppressed_modes.is_empty());
    assert_eq!(
        c.allowed_actions,
        set(&[Question, Clarify, Suggest, Elaborate, Execute])
    );
    assert!(c.forbidden_actions.is_empty());
}

#[test]
fn dominant_modes_allow_their_signature_plus_clarify_and_suggest() {
    let c = contract(
        modes(0.5, &[(Mode::Order, 0.8), (Mode::Identity, 0.7)]),
        0.8,
        StressState::Low,
    );
    assert_eq!(c.dominant_modes.as_slice(), &[Mode::Order, Mode::Identity]);
    assert_eq!(
        c.allowed_actions,
        set(&[Stabilize, Clarify, Execute, Defer, Withdraw, Suggest])
    );
}

#[test]
fn at_most_three_dominant_strongest_first_and_suppressed_weakest_first() {
    let m = modes(
        0.5,
        &[
            (Mode::Perception, 0.61),
            (Mode::Exploration, 0.9),
            (Mode::Order, 0.7),
            (Mode::Assertion, 0.65),
            (Mode::Connection, 0.3),
            (Mode::StressResponse, 0.1),
        ],
    );
    let c = contract(m, 0.8, StressState::Low);
    assert_eq!(
        c.dominant_modes.as_slice(),
        &[Mode::Exploration, Mode::Order, Mode::Assertion]
    );
    assert_eq!(
        c.suppressed_modes.as_slice(),
        &[Mode::StressResponse, Mode::Connection]
    );
}

#[test]
fn suppressed_actions_are_forbidden_unless_a_dominant_mode_carries_them() {
    // Order dominant carries clarify; Perception suppressed forbids question, elaborate.
    let c = contract(
        modes(0.5, &[(Mode::Order, 0.8), (Mode::Perception, 0.2)]),
        0.8,
        StressState::Low,
    );
    assert_eq!(c.forbidden_actions, set(&[Question, Elaborate]));
    assert!(c.allowed_actions.contains(Clarify));
}

#[test]
fn forbidden_wins_over_the_generic_base_actions() {
    // Suppressed Assertion forbids suggest although suggest is a base action.
    let c = contract(
        modes(0.5, &[(Mode::Perception, 0.8), (Mode::Assertion, 0.2)]),
        0.8,
        StressState::Low,
    );
    assert!(c.forbidden_actions.contains(Suggest));
    assert!(!c.allowed_actions.contains(Suggest));
    assert_eq!(c.allowed_actions, set(&[Question, Clarify, Elaborate]));
    // Without dominant modes the neutral set gives way the same way.
    let c = contract(
        modes(0.5, &[(Mode::Perception, 0.2)]),
        0.8,
        StressState::Low,
    );
    assert_eq!(c.allowed_actions, set(&[Suggest, Execute]));
    assert_eq!(c.forbidden_actions, set(&[Question, Clarify, Elaborate]));
}

#[test]
fn low_energy_gate_forbids_spending_and_allows_stepping_back() {
    let m = modes(0.5, &[(Mode::Exploration, 0.8), (Mode::Connection, 0.7)]);
    let rested = contract(m, 0.5, StressState::Low);
    assert!(rested.allowed_actions.contains(Explore));
    let c = contract(m, 0.19, StressState::Low);
    for a in [Explore, Pivot, Elaborate] {
        assert!(
            c.forbidden_actions.contains(a) && !c.allowed_actions.contains(a),
            "{a}"
        );
    }
    for a in [Defer, Withdraw] {
        assert!(c.allowed_actions.contains(a), "{a}");
    }
    assert!(c.allowed_actions.contains(Question) && c.allowed_actions.contains(Comfort));
    assert!(c.recovery_profile.cooldown_required);
    // The gate starts strictly below 0.2.
    assert!(
        contract(m, 0.2, StressState::Low)
            .allowed_actions
            .contains(Explore)
    );
}

#[test]
fn high_stress_gate_forbids_risky_actions_even_of_dominant_modes() {
    let m = modes(0.5, &[(Mode::Assertion, 0.9), (Mode::Exploration, 0.7)]);
    let c = contract(m, 0.8, StressState::High);
    for a in [Execute, Explore, Pivot, Challenge] {
        assert!(
            c.forbidden_actions.contains(a) && !c.allowed_actions.contains(a),
            "{a}"
        );
    }
    assert_eq!(c.allowed_actions, set(&[Suggest, Question, Clarify]));
    assert!(c.recovery_profile.support_required);
    assert!(!c.recovery_profile.cooldown_required);
    assert!(
        contract(m, 0.8, StressState::Med)
            .allowed_actions
            .contains(Execute)
    );
}

#[test]
fn gates_apply_in_order_energy_then_high() {
    let m = modes(0.5, &[(Mode::Assertion, 0.9)]);
    let c = contract(m, 0.1, StressState::High);
    assert!(c.allowed_actions.contains(Defer) && c.allowed_actions.contains(Withdraw));
    for a in [Execute, Explore, Pivot, Challenge, Elaborate] {
        assert!(c.forbidden_actions.contains(a), "{a}");
    }
}

#[test]
fn over_allows_exactly_four_and_forbids_the_other_eight() {
    for energy in [0.05, 0.9] {
        let m = modes(0.5, &[(Mode::Connection, 0.9), (Mode::Order, 0.2)]);
        let c = contract(m, energy, StressState::Over);
        assert_eq!(
            c.allowed_actions,
            set(&[Stabilize, Clarify, Defer, Withdraw])
        );
        assert_eq!(c.forbidden_actions, ActionSet::ALL.minus(c.allowed_actions));
        assert!(c.recovery_profile.cooldown_required && c.recovery_profile.support_required);
        assert_eq!(c.recovery_profile.preferred_path, RecoveryPath::Reset);
    }
}

#[test]
fn recovery_paths() {
    let m = modes(0.5, &[]);
    let path = |energy, stress| contract(m, energy, stress).recovery_profile.preferred_path;
    assert_eq!(path(0.8, StressState::Low), RecoveryPath::None);
    assert_eq!(path(0.6, StressState::Low), RecoveryPath::None);
    assert_eq!(path(0.5, StressState::Low), RecoveryPath::Gradual);
    assert_eq!(path(0.9, StressState::Med), RecoveryPath::Gradual);
    assert_eq!(path(0.29, StressState::Med), RecoveryPath::Rest);
    assert_eq!(path(0.1, StressState::High), RecoveryPath::Support);
    assert_eq!(path(0.1, StressState::Over), RecoveryPath::Reset);
    let calm = contract(m, 0.8, StressState::Med).recovery_profile;
    assert!(!calm.support_required && !calm.cooldown_required);
}

#[test]
fn decision_style_rules() {
    let style = |set: &[(Mode, f64)], energy, stress| {
        contract(modes(0.5, set), energy, stress).decision_style
    };
    // The seed's example: Order and Identity dominant.
    let s = style(
        &[
            (Mode::Order, 0.8),
            (Mode::Identity, 0.7),
            (Mode::Exploration, 0.3),
        ],
        0.8,
        StressState::Low,
    );
    assert_eq!(
        (s.tempo, s.risk, s.expressiveness, s.commitment_threshold),
        (
            Tempo::Decisive,
            Risk::Bounded,
            Expressiveness::Medium,
            Commitment::Medium
        )
    );
    let s = style(
        &[(Mode::Exploration, 0.8), (Mode::Connection, 0.7)],
        0.8,
        StressState::Low,
    );
    assert_eq!(
        (s.tempo, s.risk, s.expressiveness),
        (Tempo::Measured, Risk::Open, Expressiveness::High)
    );
    let s = style(&[(Mode::Perception, 0.8)], 0.8, StressState::Low);
    assert_eq!(
        (s.tempo, s.commitment_threshold),
        (Tempo::Deliberate, Commitment::High)
    );
    let s = style(&[(Mode::Assertion, 0.8)], 0.8, StressState::Med);
    assert_eq!(
        (s.tempo, s.commitment_threshold),
        (Tempo::Decisive, Commitment::Low)
    );
    let s = style(&[(Mode::Assertion, 0.8)], 0.25, StressState::Low);
    assert_eq!(s.tempo, Tempo::Deliberate);
    let s = style(&[(Mode::Exploration, 0.9)], 0.8, StressState::High);
    assert_eq!(
        (s.tempo, s.risk, s.commitment_threshold),
        (Tempo::Urgent, Risk::Averse, Commitment::High)
    );
    let s = style(
        &[(Mode::Connection, 0.3), (Mode::Assertion, 0.3)],
        0.8,
        StressState::Low,
    );
    assert_eq!(s.expressiveness, Expressiveness::Low);
    let s = style(&[(Mode::Connection, 0.9)], 0.8, StressState::Over);
    assert_eq!(s.expressiveness, Expressiveness::Low);
    let s = style(&[(Mode::Exploration, 0.9)], 0.1, StressState::Low);
    assert_eq!(s.risk, Risk::Averse);
}
