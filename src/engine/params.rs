//! Every number of an engine version, in one place.
//!
//! Changing any of them changes how history replays, so a change is a new
//! [`EngineVersion`](super::EngineVersion) with its own `Params`, never an edit of an
//! existing one. The formulas they feed are in `dynamics.rs` and `contract/`.

/// The numbers of one engine version.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    pub dynamics: DynamicsParams,
    pub classes: ClassParams,
    pub contract: ContractParams,
}

/// The state update of one cycle (ENGINE.md B, steps 1–7).
#[derive(Debug, Clone, PartialEq)]
pub struct DynamicsParams {
    /// Largest `dt` a cycle accounts for, in seconds (longer gaps recover no further).
    pub max_dt_secs: f64,
    /// Time constants (s) of energy recovery, stress-load decay and the modes'
    /// reversion to their baseline.
    pub energy_recovery_tau: f64,
    pub load_decay_tau: f64,
    pub mode_reversion_tau: f64,
    /// Plasticity `p = gain · s · c · (1 − identity_damping·m_identity) ·
    /// (1 − fatigue + fatigue·e)`.
    pub plasticity_gain: f64,
    pub identity_damping: f64,
    pub fatigue: f64,
    /// Share of `p` by which the opposite mode falls.
    pub opposite_push: f64,
    /// Energy cost per cycle: `energy_cost · s · (1 + L)`.
    pub energy_cost: f64,
    /// Stress load added by a STRESS_RESPONSE observation, per unit of `s·c`.
    pub stress_load_gain: f64,
    /// Load added when energy is below `exhaustion_energy`: `gain · (threshold − e)`.
    pub exhaustion_load_gain: f64,
    pub exhaustion_energy: f64,
    /// Volatility `v = keep·v + (1 − keep)·Σ|Δm|`.
    pub volatility_keep: f64,
    /// How fast the baseline follows the modes, per cycle.
    pub baseline_rate: f64,
}

/// Thresholds that classify a state: stress, drift, stability.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassParams {
    /// Stress score `σ = w_mode·m_stress + w_load·L + w_fatigue·(1 − e)`.
    pub stress_weight_mode: f64,
    pub stress_weight_load: f64,
    pub stress_weight_fatigue: f64,
    /// σ at which MED, HIGH and OVER begin.
    pub stress_thresholds: [f64; 3],
    /// Distance from baseline at which D1, D2 and D3 begin.
    pub drift_thresholds: [f64; 3],
    /// Stability `0.5·m_identity + 0.5·(1 − min(1, scale·v))`.
    pub stability_volatility_scale: f64,
}

/// Thresholds of contract derivation.
#[derive(Debug, Clone, PartialEq)]
pub struct ContractParams {
    /// A mode at or above this is dominant; at most `max_dominant` are listed.
    pub dominant_min: f64,
    pub max_dominant: usize,
    /// A mode at or below this is suppressed.
    pub suppressed_max: f64,
    /// Below this energy the low-energy gate applies and cooldown is required.
    pub depleted_energy: f64,
    /// Below this energy the preferred recovery is `rest` and tempo turns deliberate.
    pub tired_energy: f64,
    /// At or above this energy (and LOW stress) no recovery is needed.
    pub rested_energy: f64,
}

/// Engine version 1: the reference model of ENGINE.md B.
pub const V1: Params = Params {
    dynamics: DynamicsParams {
        max_dt_secs: 30.0 * 86_400.0,
        energy_recovery_tau: 60.0,
        load_decay_tau: 120.0,
        mode_reversion_tau: 600.0,
        plasticity_gain: 0.25,
        identity_damping: 0.5,
        fatigue: 0.5,
        opposite_push: 0.5,
        energy_cost: 0.03,
        stress_load_gain: 0.2,
        exhaustion_load_gain: 0.05,
        exhaustion_energy: 0.3,
        volatility_keep: 0.8,
        baseline_rate: 0.02,
    },
    classes: ClassParams {
        stress_weight_mode: 0.5,
        stress_weight_load: 0.3,
        stress_weight_fatigue: 0.2,
        stress_thresholds: [0.4, 0.6, 0.8],
        drift_thresholds: [0.15, 0.30, 0.45],
        stability_volatility_scale: 5.0,
    },
    contract: ContractParams {
        dominant_min: 0.6,
        max_dominant: 3,
        suppressed_max: 0.35,
        depleted_energy: 0.2,
        tired_energy: 0.3,
        rested_energy: 0.6,
    },
};
