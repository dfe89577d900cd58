//! An instance's state in the SDK's shapes: `Snapshot`, `Contract`, `DriftEvent`,
//! `ProcessResult`; and the fields the SDK expects that our core does not have, derived
//! from the state the same way on every route (docs/sdk-dialect.md §5.8).

use serde::Serialize;

use crate::engine::personas;
use crate::engine::{
    Action, ActionSet, Contract, DecisionStyle, Drift, DriftLevel, Mode, ModeList, ModeStrengths,
    RecoveryProfile, Snapshot, StressState,
};
use crate::instance::Reply;
use crate::timestamp::Timestamp;

/// The SDK's models say `schema_version: "1.0"`.
const SCHEMA_VERSION: &str = "1.0";

/// Forbidden in every SDK contract besides the engine's own: the SDK's enum has these
/// two "always blocked" actions, which no state of ours ever allows.
const ALWAYS_FORBIDDEN: [&str; 2] = ["emotional_manipulation", "identity_override"];

/// The SDK's `SystemState`. `stress` while the stress state is HIGH or OVER, else
/// `baseline`: a function of the state alone, so every route agrees. (The SDK's third
/// value, `growth`, belongs to a state machine the vendor never published; never sent.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SystemState {
    Baseline,
    Stress,
}

impl SystemState {
    fn of(stress: StressState) -> SystemState {
        match stress {
            StressState::High | StressState::Over => SystemState::Stress,
            StressState::Low | StressState::Med => SystemState::Baseline,
        }
    }
}

/// The drift level as the SDK spells it.
pub fn drift_level_name(level: DriftLevel) -> &'static str {
    match level {
        DriftLevel::D0 => "D0_noise",
        DriftLevel::D1 => "D1_context",
        DriftLevel::D2 => "D2_adaptive",
        DriftLevel::D3 => "D3_corrupt",
    }
}

/// A drift level in either spelling (`D3_corrupt` or `D3`).
pub fn parse_drift_level(name: &str) -> Option<DriftLevel> {
    let short = name.split('_').next().unwrap_or(name);
    DriftLevel::from_name(short).filter(|l| name == short || name == drift_level_name(*l))
}

/// Modes in the SDK's lowercase spelling (the `/v1` contract uses display names).
fn lowercase(list: &ModeList) -> Vec<Mode> {
    list.iter().collect()
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SdkSnapshot {
    schema_version: &'static str,
    instance_id: String,
    mode_strengths: ModeStrengths,
    stress_level: StressState,
    system_state: SystemState,
    energy_level: f64,
    stability_index: f64,
    /// Lifetime cycles (what history's `cycle_number` counts); `cycle` is the engine's,
    /// which a reset sets back to 0.
    cycle_count: u64,
    cycle: u64,
    /// The catalogue persona whose profile is nearest to the current modes (L1), and
    /// the next one.
    #[schema(required = true)]
    persona_primary: Option<&'static str>,
    #[schema(required = true)]
    persona_secondary: Option<&'static str>,
    /// Always empty: the engine has no composite modes.
    active_composites: Vec<String>,
    /// When the snapshot was taken (the answer's time).
    #[schema(format = DateTime)]
    timestamp: String,
}

impl SdkSnapshot {
    pub fn new(snapshot: Snapshot, cycle_count: u64, at: Timestamp) -> SdkSnapshot {
        let ranked = personas::nearest(&snapshot.mode_strengths.into());
        SdkSnapshot {
            schema_version: SCHEMA_VERSION,
            system_state: SystemState::of(snapshot.stress_state),
            stress_level: snapshot.stress_state,
            instance_id: snapshot.instance_id,
            mode_strengths: snapshot.mode_strengths,
            energy_level: snapshot.energy_level,
            stability_index: snapshot.stability_index,
            cycle_count,
            cycle: snapshot.cycle,
            persona_primary: ranked.first().map(|p| p.id),
            persona_secondary: ranked.get(1).map(|p| p.id),
            active_composites: Vec::new(),
            timestamp: at.to_rfc3339(),
        }
    }
}

/// The SDK's `HardLocks`: set only at OVER stress, where our contract is narrowest
/// (four actions, nothing novel: explore and pivot are forbidden); `{}` otherwise.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct HardLocks {
    #[serde(skip_serializing_if = "Option::is_none")]
    option_set_max: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    novelty_rate: Option<f64>,
}

impl HardLocks {
    fn of(contract: &Contract) -> HardLocks {
        if contract.stress_state != StressState::Over {
            return HardLocks::default();
        }
        HardLocks {
            option_set_max: Some(contract.allowed_actions.len()),
            novelty_rate: Some(0.0),
        }
    }
}

/// The engine's forbidden actions followed by the two always forbidden.
#[derive(Debug)]
struct Forbidden(ActionSet);

impl Serialize for Forbidden {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let names = self.0.iter().map(Action::name).chain(ALWAYS_FORBIDDEN);
        serializer.collect_seq(names)
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SdkContract {
    schema_version: &'static str,
    instance_id: String,
    dominant_modes: Vec<Mode>,
    suppressed_modes: Vec<Mode>,
    #[schema(value_type = Vec<Action>)]
    allowed_actions: ActionSet,
    /// The engine's forbidden actions plus `emotional_manipulation` and
    /// `identity_override`, always.
    #[schema(value_type = Vec<String>)]
    forbidden_actions: Forbidden,
    decision_style: DecisionStyle,
    recovery_profile: RecoveryProfile,
    current_stress_level: StressState,
    current_system_state: SystemState,
    energy_level: f64,
    stability_index: f64,
    hard_locks: HardLocks,
}

impl SdkContract {
    pub fn new(contract: Contract, snapshot: &Snapshot) -> SdkContract {
        SdkContract {
            schema_version: SCHEMA_VERSION,
            instance_id: snapshot.instance_id.clone(),
            dominant_modes: lowercase(&contract.dominant_modes),
            suppressed_modes: lowercase(&contract.suppressed_modes),
            hard_locks: HardLocks::of(&contract),
            allowed_actions: contract.allowed_actions,
            forbidden_actions: Forbidden(contract.forbidden_actions),
            decision_style: contract.decision_style,
            recovery_profile: contract.recovery_profile,
            current_stress_level: contract.stress_state,
            current_system_state: SystemState::of(contract.stress_state),
            energy_level: contract.energy_level,
            stability_index: snapshot.stability_index,
        }
    }
}

/// The SDK's `DriftEvent`: one cycle's drift.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SdkDrift {
    /// `D0_noise`, `D1_context`, `D2_adaptive`, `D3_corrupt`.
    level: &'static str,
    /// The largest offset of any mode from its baseline: what `level` classified.
    magnitude: f64,
    /// When the cycle was recorded (its history entry's `timestamp`).
    #[schema(format = DateTime)]
    timestamp: String,
    #[serde(flatten)]
    #[schema(inline)]
    detail: DriftDetail,
}

/// `/v1`'s drift fields, kept beside the SDK's.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct DriftDetail {
    deviation: String,
    affected_modes: Vec<Mode>,
    rolled_back: bool,
}

impl SdkDrift {
    fn new(drift: &Drift, at: Timestamp) -> SdkDrift {
        SdkDrift {
            level: drift_level_name(drift.level()),
            magnitude: drift.magnitude(),
            timestamp: at.to_rfc3339(),
            detail: DriftDetail {
                deviation: drift.deviation().to_string(),
                affected_modes: drift.affected_modes().iter().collect(),
                rolled_back: drift.rolled_back(),
            },
        }
    }
}

/// The SDK's `ProcessResult`; `throttled` is ours (the SDK ignores it).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProcessResult {
    snapshot: SdkSnapshot,
    contract: SdkContract,
    /// The cycle's drift; `null` when no cycle ran (throttled).
    #[schema(required = true)]
    drift: Option<SdkDrift>,
    throttled: bool,
}

impl ProcessResult {
    /// One result per state a processing call answered (every cycle of a batch with
    /// `include_intermediate`, else the last), each with its own cycle's drift and
    /// lifetime count. A throttled call ran no cycle: its one result has no drift.
    pub fn all(reply: Reply, at: Timestamp) -> Vec<ProcessResult> {
        let n = reply.views.len() as u64;
        let recorded = reply.last_cycle_at.unwrap_or(at);
        let throttled = reply.throttled;
        (1..=n)
            .rev()
            .zip(reply.views)
            .map(|(from_end, view)| {
                let cycle_count = reply.cycle_count.saturating_sub(from_end - 1);
                let drift = (!throttled).then(|| SdkDrift::new(&view.drift, recorded));
                ProcessResult {
                    contract: SdkContract::new(view.contract, &view.snapshot),
                    snapshot: SdkSnapshot::new(view.snapshot, cycle_count, at),
                    drift,
                    throttled,
                }
            })
            .collect()
    }
}
