//! The paged audit reads: history and drift events, newest first.

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

    /// Drift events (D1–D3) of an instance, newest first.
    pub async fn drift_page(
        &self,
        id: &InstanceId,
        page: Page,
    ) -> Result<Paged<DriftEvent>, StoreError> {
        let (rows, total): (Vec<DriftRow>, i64) = with_pool!(self.backend(), |pool| {
            let rows = sqlx::query_as(
                "SELECT seq, cycle, level, deviation, affected_modes, rolled_back, recorded_at \
                 FROM drift_events WHERE instance_id = $1 ORDER BY seq DESC LIMIT $2 OFFSET $3",
            )
            .bind(id.as_str())
            .bind(i64::from(page.limit))
            .bind(signed(page.offset))
            .fetch_all(pool)
            .await?;
            let total =
                sqlx::query_scalar("SELECT COUNT(*) FROM drift_events WHERE instance_id = $1")
                    .bind(id.as_str())
                    .fetch_one(pool)
                    .await?;
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
