//! The SDK's lists: instances, an instance's observation history and drift events.
//! No envelope: the items and the page numbers side by side.

use serde::Serialize;
use serde_json::value::RawValue;

use crate::engine::Mode;
use crate::http::body::Pagination;
use crate::http::dto::audit::stored_context;
use crate::http::dto::instance::InstanceBody;
use crate::http::error::ApiError;
use crate::store::{DriftEvent, HistoryEntry};

use super::state::drift_level_name;

/// `InstanceList`, `ObservationHistory`, `DriftHistory`: a page of `T`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SdkPage<T> {
    /// The instance the list belongs to (history and drift only).
    #[serde(skip_serializing_if = "Option::is_none")]
    instance_id: Option<String>,
    items: Vec<T>,
    total: u64,
    limit: u64,
    offset: u64,
    has_more: bool,
}

impl<T> SdkPage<T> {
    pub fn new(instance_id: Option<String>, items: Vec<T>, page: Pagination) -> SdkPage<T> {
        SdkPage {
            instance_id,
            items,
            total: page.total,
            limit: page.limit,
            offset: page.offset,
            has_more: page.has_more,
        }
    }
}

/// The instance object is `/v1`'s, unwrapped: the SDK reads `id`, `name`, `description`
/// and the two times, and ignores the rest.
pub type InstanceList = SdkPage<InstanceBody>;

/// The SDK's `ObservationRecord`, with `/v1`'s other fields beside.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ObservationRecord {
    mode_target: Mode,
    signal_strength: f64,
    confidence: f64,
    /// When the server processed it.
    #[schema(format = DateTime)]
    timestamp: String,
    /// The lifetime cycle number (`/v1`'s `seq`).
    cycle_number: u64,
    cycle: u64,
    #[schema(value_type = crate::http::dto::context::Context)]
    context: Box<RawValue>,
    #[schema(required = true, format = DateTime)]
    observed_at: Option<String>,
}

impl TryFrom<HistoryEntry> for ObservationRecord {
    type Error = ApiError;

    fn try_from(e: HistoryEntry) -> Result<Self, ApiError> {
        let context = stored_context(e.context, e.seq)?;
        Ok(ObservationRecord {
            mode_target: e.observation.mode,
            signal_strength: e.observation.signal.get(),
            confidence: e.observation.confidence.get(),
            timestamp: e.recorded_at.to_rfc3339(),
            cycle_number: e.seq,
            cycle: e.cycle,
            context,
            observed_at: e.observed_at.map(|t| t.to_rfc3339()),
        })
    }
}

/// The SDK's `DriftEventRecord`, with `/v1`'s other fields beside.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DriftEventRecord {
    /// `D1_context`, `D2_adaptive` or `D3_corrupt` (D0 is not recorded).
    level: &'static str,
    magnitude: f64,
    #[schema(format = DateTime)]
    timestamp: String,
    cycle_number: u64,
    cycle: u64,
    deviation: String,
    affected_modes: Vec<Mode>,
    rolled_back: bool,
}

impl From<DriftEvent> for DriftEventRecord {
    fn from(e: DriftEvent) -> DriftEventRecord {
        DriftEventRecord {
            level: drift_level_name(e.drift.level),
            magnitude: e.drift.magnitude,
            timestamp: e.recorded_at.to_rfc3339(),
            cycle_number: e.seq,
            cycle: e.cycle,
            deviation: e.drift.deviation,
            affected_modes: e.drift.affected_modes,
            rolled_back: e.drift.rolled_back,
        }
    }
}
