//! The execution contract: what the agent may and may not do now, and in what style.
//!
//! A pure function of the snapshot (P8): the same snapshot always gives the same
//! contract, so `GET /contract` needs no stored copy.

mod decision_style;
mod recovery;

use serde::{Deserialize, Serialize};

pub use decision_style::{Commitment, DecisionStyle, Expressiveness, Risk, Tempo};
pub use recovery::{RecoveryPath, RecoveryProfile};

use super::action::{Action, ActionSet};
use super::mode::{self, ModeList};
use super::params::ContractParams;
use super::snapshot::Snapshot;
use super::stress::StressState;

/// `contract` of API.md §3.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Contract {
    /// Display names (`"Stress Response"`).
    #[serde(with = "mode::display_names")]
    #[schema(value_type = Vec<String>)]
    pub dominant_modes: ModeList,
    #[serde(with = "mode::display_names")]
    #[schema(value_type = Vec<String>)]
    pub suppressed_modes: ModeList,
    #[schema(value_type = Vec<Action>)]
    pub allowed_actions: ActionSet,
    #[schema(value_type = Vec<Action>)]
    pub forbidden_actions: ActionSet,
    pub decision_style: DecisionStyle,
    pub energy_level: f64,
    pub stress_state: StressState,
    pub recovery_profile: RecoveryProfile,
}

/// Allowed when no mode is dominant: a neutral agent may inquire, help and act.
const NEUTRAL: ActionSet = ActionSet::of(&[
    Action::Question,
    Action::Clarify,
    Action::Suggest,
    Action::Elaborate,
    Action::Execute,
]);
/// Always allowed beside the dominant modes' actions (unless forbidden).
const BASE: ActionSet = ActionSet::of(&[Action::Clarify, Action::Suggest]);
/// Low-energy gate: nothing that spends energy widely; stepping back is allowed.
const DEPLETED_FORBIDS: ActionSet =
    ActionSet::of(&[Action::Explore, Action::Pivot, Action::Elaborate]);
const DEPLETED_ALLOWS: ActionSet = ActionSet::of(&[Action::Defer, Action::Withdraw]);
/// HIGH-stress gate: no risky or forceful action.
const HIGH_FORBIDS: ActionSet = ActionSet::of(&[
    Action::Execute,
    Action::Explore,
    Action::Pivot,
    Action::Challenge,
]);
/// OVER: exactly these are allowed, everything else forbidden.
const OVER_ALLOWS: ActionSet = ActionSet::of(&[
    Action::Stabilize,
    Action::Clarify,
    Action::Defer,
    Action::Withdraw,
]);

/// Derives the contract of `snapshot` (ENGINE.md B, "Contract").
///
/// Base sets first: allowed = the dominant modes' signature actions plus clarify and
/// suggest (or the neutral set when no mode is dominant); forbidden = the suppressed
/// modes' actions that no dominant mode carries. Forbidden wins over the generic base
/// actions (a suppressed Assertion forbids `suggest`) but never over a dominant mode's
/// own actions. Then the gates, in order, move actions between the sets: low energy,
/// HIGH stress, OVER.
pub(crate) fn derive(p: &ContractParams, snapshot: &Snapshot) -> Contract {
    let modes: [f64; mode::MODE_COUNT] = snapshot.mode_strengths.into();
    let dominant =
        ModeList::ranked(&modes, |m| m >= p.dominant_min, true).truncated(p.max_dominant);
    let suppressed = ModeList::ranked(&modes, |m| m <= p.suppressed_max, false);

    let carried = union_of_signatures(&dominant);
    let mut forbidden = union_of_signatures(&suppressed).minus(carried);
    let mut allowed = if dominant.is_empty() {
        NEUTRAL
    } else {
        carried.union(BASE)
    }
    .minus(forbidden);

    let mut gate = |forbid: ActionSet, allow: ActionSet| {
        forbidden = forbidden.minus(allow).union(forbid);
        allowed = allowed.minus(forbid).union(allow);
    };
    let energy = snapshot.energy_level;
    if energy < p.depleted_energy {
        gate(DEPLETED_FORBIDS, DEPLETED_ALLOWS);
    }
    if snapshot.stress_state.is_high() {
        gate(HIGH_FORBIDS, ActionSet::EMPTY);
    }
    if snapshot.stress_state == StressState::Over {
        gate(ActionSet::ALL.minus(OVER_ALLOWS), OVER_ALLOWS);
    }

    Contract {
        dominant_modes: dominant,
        suppressed_modes: suppressed,
        allowed_actions: allowed,
        forbidden_actions: forbidden,
        decision_style: DecisionStyle::derive(p, &modes, energy, snapshot.stress_state),
        energy_level: energy,
        stress_state: snapshot.stress_state,
        recovery_profile: RecoveryProfile::derive(p, energy, snapshot.stress_state),
    }
}

fn union_of_signatures(modes: &ModeList) -> ActionSet {
    modes.iter().fold(ActionSet::EMPTY, |set, m| {
        set.union(ActionSet::signature(m))
    })
}
