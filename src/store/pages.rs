//! The paged audit reads: history and drift events, newest first, by offset or after a
//! `seq` (keyset: an index range, however deep).

use crate::engine::DriftLevel;
use crate::ids::InstanceId;

use super::records::{DriftEvent, HistoryEntry, Page, Paged, Position};
use super::rows::{DriftRow, HISTORY_COLUMNS, HistoryRow, signed, unsigned};
use super::{Store, StoreError, with_pool};

/// The `seq` a keyset page of history or drift continues below, if any (`i64::MAX`:
/// from the newest); an instance's position is not one of these lists'.
fn below(page: &Page) -> Result<i64, StoreError> {
    match &page.after {
        None => Ok(i64::MAX),
        Some(Position::Seq(seq)) => Ok(signed(*seq)),
        Some(_) => Err(StoreError::Corrupt(
            "a history page continues after a seq".into(),
        )),
    }
}

impl Store {
    /// History entries of an instance, newest first. The caller has checked ownership.
    pub async fn history_page(
        &self,
        id: &InstanceId,
        page: Page,
    ) -> Result<Paged<HistoryEntry>, StoreError> {
        let sql = format!(
            "SELECT {HISTORY_COLUMNS} FROM history WHERE instance_id = $1 AND seq < $2 \
             ORDER BY seq DESC LIMIT $3 OFFSET $4"
        );
        let below = below(&page)?;
        let (rows, total): (Vec<HistoryRow>, Option<i64>) = with_pool!(self.backend(), |pool| {
            let rows = sqlx::query_as(&sql)
                .bind(id.as_str())
                .bind(below)
                .bind(i64::from(page.limit) + 1)
                .bind(signed(page.offset))
                .fetch_all(pool)
                .await?;
            // `seq` runs 1, 2, 3… without gaps, from the first kept (retention drops the
            // oldest), so two index lookups count it instead of a scan of a long history.
            let total = sqlx::query_scalar(
                "SELECT MAX(seq) - MIN(seq) + 1 FROM history WHERE instance_id = $1",
            )
            .bind(id.as_str())
            .fetch_one(pool)
            .await?;
            Ok::<_, StoreError>((rows, total))
        })?;
        Paged::cut(rows, page.limit, unsigned(total.unwrap_or(0))?).try_map(HistoryEntry::try_from)
    }

    /// Drift events (D1–D3) of an instance, newest first; only those of `level` if given.
    pub async fn drift_page(
        &self,
        id: &InstanceId,
        page: Page,
        level: Option<DriftLevel>,
    ) -> Result<Paged<DriftEvent>, StoreError> {
        let (rows_filter, count_filter) = match level {
            Some(_) => (" AND level = $5", " AND level = $2"),
            None => ("", ""),
        };
        let rows_sql = format!(
            "SELECT seq, cycle, level, magnitude, deviation, affected_modes, rolled_back, \
             recorded_at FROM drift_events WHERE instance_id = $1 AND seq < $2{rows_filter} \
             ORDER BY seq DESC LIMIT $3 OFFSET $4"
        );
        let count_sql =
            format!("SELECT COUNT(*) FROM drift_events WHERE instance_id = $1{count_filter}");
        let level = level.map(DriftLevel::as_str);
        let below = below(&page)?;
        let (rows, total): (Vec<DriftRow>, i64) = with_pool!(self.backend(), |pool| {
            let mut rows = sqlx::query_as(&rows_sql)
                .bind(id.as_str())
                .bind(below)
                .bind(i64::from(page.limit) + 1)
                .bind(signed(page.offset));
            let mut total = sqlx::query_scalar(&count_sql).bind(id.as_str());
            if let Some(level) = level {
                rows = rows.bind(level);
                total = total.bind(level);
            }
            let rows = rows.fetch_all(pool).await?;
            let total = total.fetch_one(pool).await?;
            Ok::<_, StoreError>((rows, total))
        })?;
        Paged::cut(rows, page.limit, unsigned(total)?).try_map(DriftEvent::try_from)
    }
}
