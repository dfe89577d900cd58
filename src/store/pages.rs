//! The paged audit reads: history and drift events, newest first.

use crate::engine::DriftLevel;
use crate::ids::InstanceId;

use super::records::{DriftEvent, HistoryEntry, Page, Paged};
use super::rows::{DriftRow, HISTORY_COLUMNS, HistoryRow, signed, unsigned};
use super::{Store, StoreError, with_pool};

impl Store {
    /// History entries of an instance, newest first. The caller has checked ownership.
    pub async fn history_page(
        &self,
        id: &InstanceId,
        page: Page,
    ) -> Result<Paged<HistoryEntry>, StoreError> {
        let sql = format!(
            "SELECT {HISTORY_COLUMNS} FROM history WHERE instance_id = $1 \
             ORDER BY seq DESC LIMIT $2 OFFSET $3"
        );
        let (rows, total): (Vec<HistoryRow>, Option<i64>) = with_pool!(self.backend(), |pool| {
            let rows = sqlx::query_as(&sql)
                .bind(id.as_str())
                .bind(i64::from(page.limit))
                .bind(signed(page.offset))
                .fetch_all(pool)
                .await?;
            // `seq` runs 1, 2, 3… without gaps, so the newest one is the count: an index
            // lookup instead of a scan of a long history.
            let total = sqlx::query_scalar("SELECT MAX(seq) FROM history WHERE instance_id = $1")
                .bind(id.as_str())
                .fetch_one(pool)
                .await?;
            Ok::<_, StoreError>((rows, total))
        })?;
        Ok(Paged {
            items: rows
                .into_iter()
                .map(HistoryEntry::try_from)
                .collect::<Result<_, _>>()?,
            total: unsigned(total.unwrap_or(0))?,
        })
    }

    /// Drift events (D1–D3) of an instance, newest first; only those of `level` if given.
    pub async fn drift_page(
        &self,
        id: &InstanceId,
        page: Page,
        level: Option<DriftLevel>,
    ) -> Result<Paged<DriftEvent>, StoreError> {
        let (rows_filter, count_filter) = match level {
            Some(_) => (" AND level = $4", " AND level = $2"),
            None => ("", ""),
        };
        let rows_sql = format!(
            "SELECT seq, cycle, level, magnitude, deviation, affected_modes, rolled_back, \
             recorded_at FROM drift_events WHERE instance_id = $1{rows_filter} \
             ORDER BY seq DESC LIMIT $2 OFFSET $3"
        );
        let count_sql =
            format!("SELECT COUNT(*) FROM drift_events WHERE instance_id = $1{count_filter}");
        let level = level.map(DriftLevel::as_str);
        let (rows, total): (Vec<DriftRow>, i64) = with_pool!(self.backend(), |pool| {
            let mut rows = sqlx::query_as(&rows_sql)
                .bind(id.as_str())
                .bind(i64::from(page.limit))
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
        Ok(Paged {
            items: rows
                .into_iter()
                .map(DriftEvent::try_from)
                .collect::<Result<_, _>>()?,
            total: unsigned(total)?,
        })
    }
}
