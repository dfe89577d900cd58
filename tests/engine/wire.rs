//! The serde forms of snapshot, contract and drift match API.md to the field and spelling.

use identity_os::engine::{Dt, EngineState, Mode};
use serde_json::{Value, json};

use super::support::*;

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<_> = v
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    k.sort_unstable();
    k
}

#[test]
fn snapshot_fields_and_spellings() {
    let state = EngineState::default();
    let v =
        serde_json::to_value(ENGINE.snapshot(&state, "inst_9f190826e20c49ea")).unwrap_or_default();
    assert_eq!(
        v,
        json!({
            "instance_id": "inst_9f190826e20c49ea",
            "cycle": 0,
            "mode_strengths": {
                "perception": 0.5, "exploration": 0.5, "order": 0.5, "assertion": 0.5,
                "connection": 0.5, "identity": 0.5, "stress_response": 0.5
            },
            "energy_level": 0.8,
            "stress_state": "LOW",
            "stability_index": 0.75
        })
    );
}

#[test]
fn contract_fields_and_spellings() {
    let mut modes = [0.5; 7];
    modes[Mode::StressResponse.index()] = 0.85;
    modes[Mode::Identity.index()] = 0.3;
    modes[Mode::Order.index()] = 0.8;
    let state = state_with(modes, 0.15);
    let v =
        serde_json::to_value(ENGINE.contract(&ENGINE.snapshot(&state, "i"))).unwrap_or_default();
    assert_eq!(
        keys(&v),
        [
            "allowed_actions",
            "decision_style",
            "dominant_modes",
            "energy_level",
            "forbidden_actions",
            "recovery_profile",
            "stress_state",
            "suppressed_modes"
        ]
    );
    assert_eq!(v["dominant_modes"], json!(["Stress Response", "Order"]));
    assert_eq!(v["suppressed_modes"], json!(["Identity"]));
    assert_eq!(v["stress_state"], json!("MED"));
    assert_eq!(
        v["allowed_actions"],
        json!([
            "suggest",
            "execute",
            "clarify",
            "stabilize",
            "defer",
            "withdraw"
        ])
    );
    assert_eq!(
        v["forbidden_actions"],
        json!(["explore", "elaborate", "pivot"])
    );
    assert_eq!(
        keys(&v["decision_style"]),
        ["commitment_threshold", "expressiveness", "risk", "tempo"]
    );
    assert_eq!(
        v["recovery_profile"],
        json!({"preferred_path": "rest", "support_required": false, "cooldown_required": true})
    );
    let round: identity_os::engine::Contract =
        serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(serde_json::to_value(round).unwrap_or_default(), v);
}

#[test]
fn drift_fields_and_spellings() {
    let mut modes = [0.5; 7];
    modes[Mode::Exploration.index()] = 0.1;
    let mut state = state_with(modes, 0.8);
    let first = ENGINE.step(&mut state, obs(Mode::Exploration, 0.2, 1.0), Dt::ZERO);
    assert_eq!(
        serde_json::to_value(first).unwrap_or_default(),
        json!({"level": "D0", "deviation": "all modes near baseline", "affected_modes": [], "rolled_back": false})
    );
    let mut rolled = None;
    for _ in 0..40 {
        let d = ENGINE.step(&mut state, obs(Mode::Exploration, 1.0, 1.0), Dt::ZERO);
        if d.rolled_back() {
            rolled = Some(d);
            break;
        }
    }
    let v = serde_json::to_value(rolled).unwrap_or_default();
    assert_eq!(v["level"], json!("D3"));
    assert_eq!(v["rolled_back"], json!(true));
    assert_eq!(v["affected_modes"][0], json!("exploration"));
    let deviation = v["deviation"].as_str().unwrap_or_default();
    assert!(deviation.starts_with("exploration +0.4"), "{deviation}");
    assert!(deviation.ends_with(" vs baseline"), "{deviation}");
}

#[test]
fn engine_state_round_trips_bit_for_bit() {
    let mut state = EngineState::default();
    for i in 0..50u32 {
        let mode = Mode::ALL[(i % 7) as usize];
        ENGINE.step(&mut state, obs(mode, 0.37, 0.91), dt(0.3 * f64::from(i)));
    }
    let json = serde_json::to_string(&state).unwrap_or_default();
    let back: EngineState = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    assert_eq!(bits(&back), bits(&state));
    assert_eq!(back, state);
}
