//! Answers of the engine routes: process, batch, snapshot, reset.

use serde::Serialize;

use crate::engine::{Contract, Drift, ResetTarget, Snapshot, StressState};
use crate::instance::CycleView;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CycleBody {
    pub snapshot: Snapshot,
    pub contract: Contract,
    pub drift: Drift,
}

impl From<CycleView> for CycleBody {
    fn from(v: CycleView) -> CycleBody {
        CycleBody {
            snapshot: v.snapshot,
            contract: v.contract,
            drift: v.drift,
        }
    }
}

/// `POST /process`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProcessBody {
    #[serde(flatten)]
    pub cycle: CycleBody,
    pub throttled: bool,
}

/// `POST /process/batch`: the final state, or every state with `include_intermediate`.
/// `throttled` (not in the seed documents) tells a batch refused by the throttle, which
/// answers the unchanged state with `processed_count: 0`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum BatchBody {
    Final(BatchFinal),
    Intermediate(BatchStates),
}

/// A batch's answer without `include_intermediate`: its final state. (Each answer its
/// own named schema: client generators could not read an unnamed branch.)
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BatchFinal {
    #[serde(flatten)]
    pub cycle: CycleBody,
    pub processed_count: usize,
    pub throttled: bool,
}

/// A batch's answer with `include_intermediate`: the state after each observation.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BatchStates {
    pub states: Vec<CycleBody>,
    pub processed_count: usize,
    pub throttled: bool,
}

/// `GET /snapshot`: the snapshot plus instance times and the lifetime count.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SnapshotBody {
    #[serde(flatten)]
    pub snapshot: Snapshot,
    pub cycle_count: u64,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// `POST /reset`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ResetBody {
    pub id: String,
    pub reset_to: ResetTarget,
    pub cycle: u64,
    pub energy_level: f64,
    pub stress_state: StressState,
}
