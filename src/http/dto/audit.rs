//! History entries and drift events as listed.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::engine::{DriftLevel, Mode};
use crate::http::cursor::{self, Kind, Scope};
use crate::http::error::ApiError;
use crate::store::{DriftEvent, HistoryEntry, Page};

use super::instance::checked_limit;

pub const MAX_HISTORY_LIMIT: u32 = 1000;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// Entries per page (default 100).
    pub limit: Option<u32>,
    /// Entries to skip, newest first (default 0; not with `cursor`).
    #[serde(default, deserialize_with = "super::storable::optional_query_int")]
    pub offset: Option<u64>,
    /// The `pagination.next_cursor` of the page before: the next page, without skipping
    /// entries one by one.
    pub cursor: Option<String>,
}

impl PageQuery {
    /// The page asked for of the list `scope` names.
    pub fn page(&self, scope: Scope) -> Result<Page, ApiError> {
        cursor::page(
            checked_limit(self.limit, 100, MAX_HISTORY_LIMIT)?,
            self.offset,
            self.cursor.as_deref(),
            scope,
            Kind::Seq,
        )
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HistoryEntryBody {
    seq: u64,
    cycle: u64,
    mode_target: &'static str,
    signal_strength: f64,
    confidence: f64,
    #[schema(value_type = super::context::Context)]
    context: Box<RawValue>,
    /// When the server processed it.
    #[schema(format = DateTime)]
    timestamp: String,
    /// When the client says it observed it (the observation's `timestamp`), if given.
    #[schema(required = true, format = DateTime)]
    observed_at: Option<String>,
}

impl TryFrom<HistoryEntry> for HistoryEntryBody {
    type Error = ApiError;

    fn try_from(e: HistoryEntry) -> Result<Self, ApiError> {
        let context = stored_context(e.context, e.seq)?;
        Ok(HistoryEntryBody {
            seq: e.seq,
            cycle: e.cycle,
            mode_target: e.observation.mode.upper_name(),
            signal_strength: e.observation.signal.get(),
            confidence: e.observation.confidence.get(),
            context,
            timestamp: e.recorded_at.to_rfc3339(),
            observed_at: e.observed_at.map(|t| t.to_rfc3339()),
        })
    }
}

/// A history entry's stored context as JSON to send on (it was checked on the way in).
pub fn stored_context(text: String, seq: u64) -> Result<Box<RawValue>, ApiError> {
    RawValue::from_string(text).map_err(|err| {
        tracing::error!(error = %err, seq, "stored context is not JSON");
        ApiError::internal()
    })
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DriftEventBody {
    seq: u64,
    cycle: u64,
    drift_level: DriftLevel,
    deviation: String,
    affected_modes: Vec<Mode>,
    rolled_back: bool,
    #[schema(format = DateTime)]
    timestamp: String,
}

impl From<DriftEvent> for DriftEventBody {
    fn from(e: DriftEvent) -> DriftEventBody {
        DriftEventBody {
            seq: e.seq,
            cycle: e.cycle,
            drift_level: e.drift.level,
            deviation: e.drift.deviation,
            affected_modes: e.drift.affected_modes,
            rolled_back: e.drift.rolled_back,
            timestamp: e.recorded_at.to_rfc3339(),
        }
    }
}
