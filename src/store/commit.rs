//! One group commit: many actors' appends written in one transaction — history rows,
//! drift events, usage counters and snapshots.
//!
//! PostgreSQL gets the whole batch as one statement: every column travels as an array
//! and data-modifying CTEs unnest them into the four tables, so a batch is one round trip
//! and one prepared statement whatever its size, and a single statement commits
//! atomically without `BEGIN`/`COMMIT` round trips. (Multi-row `VALUES` lists are a new
//! statement text for every distinct row count: parsed and planned again, and a round
//! trip each.) SQLite has no arrays and no round trips to save (it runs in-process), so
//! it gets portable multi-row `INSERT`s inside a transaction.
//!
//! In cluster mode the statement is fenced (`fence.rs`): it first locks `FOR SHARE` the
//! rows of the batch's instances that still carry the epoch their append was made
//! under, writes the rows of those instances only, and returns their ids; the others
//! were taken over by another node and their appends fail, nothing of them written.

use std::collections::{BTreeMap, HashSet};
use std::sync::LazyLock;

use sqlx::{PgPool, QueryBuilder, SqlitePool};

use crate::ids::{AccountId, InstanceId, SnapshotId};
use crate::timestamp::Timestamp;

use super::records::{CycleRecord, DriftRecord, SnapshotRecord};
use super::rows::{corrupt, signed};
use super::writer::Append;
use super::{Backend, StoreError};

/// Writes `appends` in one transaction; returns the instances whose appends the fence
/// refused (none on a single node).
pub(super) async fn commit(
    backend: &Backend,
    appends: &[&Append],
) -> Result<HashSet<InstanceId>, StoreError> {
    let rows = Rows::of(appends)?;
    match backend {
        Backend::Postgres(pool) => postgres(pool, &rows, appends).await,
        // Cluster mode needs PostgreSQL (config.rs): SQLite appends carry no epoch.
        Backend::Sqlite(pool) => sqlite(pool, &rows).await.map(|()| HashSet::new()),
    }
}

/// A batch as rows of its four tables.
struct Rows<'a> {
    cycles: Vec<(&'a InstanceId, &'a CycleRecord)>,
    /// With the affected modes as JSON text.
    drifts: Vec<(&'a InstanceId, &'a CycleRecord, &'a DriftRecord, String)>,
    /// Cycles billed per instance, with its account and month (PostgreSQL adds them
    /// up per account and month, after the fence).
    usage: Vec<(&'a InstanceId, &'a AccountId, String, i64)>,
    /// The newest snapshot per instance (an upsert may touch a row only once per
    /// statement), with its state as JSON text, a fresh snapshot id and whether it
    /// closes the instance's tail (see [`Closes`]).
    snapshots: Vec<(
        &'a InstanceId,
        &'a SnapshotRecord,
        String,
        SnapshotId,
        Closes,
    )>,
    written_at: i64,
}

impl<'a> Rows<'a> {
    fn of(appends: &[&'a Append]) -> Result<Rows<'a>, StoreError> {
        let cycles: Vec<(&InstanceId, &CycleRecord)> = appends
            .iter()
            .flat_map(|a| a.cycles.iter().map(move |c| (&a.instance_id, c)))
            .collect();
        let drifts = cycles
            .iter()
            .filter_map(|(id, c)| c.drift.as_ref().map(|d| (*id, *c, d)))
            .map(|(id, c, d)| {
                let affected = serde_json::to_string(&d.affected_modes).map_err(corrupt)?;
                Ok((id, c, d, affected))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let usage = appends
            .iter()
            .filter_map(|a| {
                let first = a.cycles.first()?;
                let billed = i64::try_from(a.cycles.len()).unwrap_or(i64::MAX);
                Some((
                    &a.instance_id,
                    &a.account_id,
                    first.entry.recorded_at.month(),
                    billed,
                ))
            })
            .collect();
        let mut newest: BTreeMap<&InstanceId, (&SnapshotRecord, Closes)> = BTreeMap::new();
        for a in appends {
            if let Some(s) = &a.snapshot {
                newest.insert(&a.instance_id, (s, Closes(a.cycles.is_empty())));
            }
        }
        let snapshots = newest
            .into_iter()
            .map(|(id, (s, closes))| {
                let state = serde_json::to_string(&s.state).map_err(corrupt)?;
                Ok((id, s, state, SnapshotId::generate(), closes))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Rows {
            cycles,
            drifts,
            usage,
            snapshots,
            written_at: Timestamp::now().as_micros(),
        })
    }
}

/// Whether a snapshot is of everything its actor did, so that history holds no row after
/// it (`instances.has_tail`, migration 0011): one written without cycles (passivation,
/// stop, start, a new engine version) is. A row of the same instance committed later by
/// another batch in flight is older than it and marks the tail again: only needlessly.
#[derive(Clone, Copy)]
struct Closes(bool);

/// The batch as one statement; `$1`… are the columns of each table in turn. `{kept}`,
/// `{only …}` and `{result}` are filled in by [`batch_statement`].
const POSTGRES_BATCH: &str = "\
WITH {kept}history_rows AS (
    INSERT INTO history (instance_id, seq, cycle, mode, signal, confidence, dt, context,
                         observed_at, recorded_at, energy_level, stress_state, stability_index)
    SELECT h.* FROM UNNEST($1::TEXT[], $2::BIGINT[], $3::BIGINT[], $4::TEXT[],
                           $5::DOUBLE PRECISION[], $6::DOUBLE PRECISION[],
                           $7::DOUBLE PRECISION[], $8::TEXT[], $9::BIGINT[], $10::BIGINT[],
                           $11::DOUBLE PRECISION[], $12::TEXT[], $13::DOUBLE PRECISION[])
        AS h(i, s, c, m, sg, cf, dt, cx, o, r, e, st, si){only h}
), drift_rows AS (
    INSERT INTO drift_events (instance_id, seq, cycle, level, magnitude, deviation,
                              affected_modes, rolled_back, recorded_at)
    SELECT d.* FROM UNNEST($14::TEXT[], $15::BIGINT[], $16::BIGINT[], $17::TEXT[],
                           $18::DOUBLE PRECISION[], $19::TEXT[], $20::TEXT[], $21::BOOLEAN[],
                           $22::BIGINT[])
        AS d(i, s, c, l, mg, dv, am, rb, r){only d}
), usage_rows AS (
    -- Summed per account and month, inserted in that order: concurrent batches take the
    -- counters' row locks in the same order, so they cannot deadlock.
    INSERT INTO monthly_usage (account_id, period, cycles)
    SELECT u.a, u.p, sum(u.c) FROM UNNEST($23::TEXT[], $24::TEXT[], $25::TEXT[], $26::BIGINT[])
        AS u(i, a, p, c){only u}
    GROUP BY u.a, u.p ORDER BY u.a, u.p
    ON CONFLICT (account_id, period)
    DO UPDATE SET cycles = monthly_usage.cycles + excluded.cycles
), snapshot_rows AS (
    INSERT INTO snapshots (instance_id, id, seq, state, last_cycle_at, energy_level,
                           stress_state, stability_index, written_at)
    SELECT n.*, $35::BIGINT FROM UNNEST($27::TEXT[], $28::TEXT[], $29::BIGINT[], $30::TEXT[],
                                        $31::BIGINT[], $32::DOUBLE PRECISION[], $33::TEXT[],
                                        $34::DOUBLE PRECISION[])
        AS n(i, id, s, st, l, e, ss, si){only n}
    ON CONFLICT (instance_id) DO UPDATE SET
        id = excluded.id, seq = excluded.seq, state = excluded.state,
        last_cycle_at = excluded.last_cycle_at, energy_level = excluded.energy_level,
        stress_state = excluded.stress_state, stability_index = excluded.stability_index,
        written_at = excluded.written_at
), cleared AS (
    UPDATE instances i SET has_tail = FALSE
    FROM (SELECT c.i, c.closes FROM UNNEST($27::TEXT[], $36::BOOLEAN[]) AS c(i, closes){only c}) c
    WHERE c.closes AND i.id = c.i AND i.has_tail
)
SELECT {result}";

/// The instances of a fenced batch that still carry their append's epoch, locked
/// until the commit: `$37` ids, `$38` epochs.
const KEPT: &str = "kept AS MATERIALIZED (
    SELECT i.id FROM instances i
    JOIN UNNEST($37::TEXT[], $38::BIGINT[]) AS f(id, epoch) ON i.id = f.id
    WHERE i.owner_epoch = f.epoch
    FOR SHARE OF i
), ";

/// The statement for a single node (every row written) or a fenced one.
fn batch_statement(fenced: bool) -> String {
    let mut sql = POSTGRES_BATCH.replace("{kept}", if fenced { KEPT } else { "" });
    for table in ["h", "d", "u", "n", "c"] {
        let only = if fenced {
            format!("\n        WHERE {table}.i IN (SELECT id FROM kept)")
        } else {
            String::new()
        };
        sql = sql.replace(&format!("{{only {table}}}"), &only);
    }
    sql.replace(
        "{result}",
        if fenced {
            "id FROM kept"
        } else {
            "NULL::TEXT WHERE FALSE"
        },
    )
}

static SINGLE_NODE_BATCH: LazyLock<String> = LazyLock::new(|| batch_statement(false));
static FENCED_BATCH: LazyLock<String> = LazyLock::new(|| batch_statement(true));

async fn postgres(
    pool: &PgPool,
    rows: &Rows<'_>,
    appends: &[&Append],
) -> Result<HashSet<InstanceId>, StoreError> {
    let cycles = &rows.cycles;
    let entries = || cycles.iter().map(|(_, c)| &c.entry);
    let drifts = &rows.drifts;
    let snapshots = &rows.snapshots;
    // Every append of a cluster node carries its epoch; one without (a bug) is fenced
    // rather than written unchecked.
    let fenced = appends.iter().any(|a| a.epoch.is_some());
    let statement = if fenced {
        FENCED_BATCH.as_str()
    } else {
        SINGLE_NODE_BATCH.as_str()
    };
    let query = sqlx::query_scalar(statement)
        .bind(cycles.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>())
        .bind(entries().map(|e| signed(e.seq)).collect::<Vec<_>>())
        .bind(entries().map(|e| signed(e.cycle)).collect::<Vec<_>>())
        .bind(
            entries()
                .map(|e| e.observation.mode.upper_name())
                .collect::<Vec<_>>(),
        )
        .bind(
            entries()
                .map(|e| e.observation.signal.get())
                .collect::<Vec<_>>(),
        )
        .bind(
            entries()
                .map(|e| e.observation.confidence.get())
                .collect::<Vec<_>>(),
        )
        .bind(entries().map(|e| e.dt).collect::<Vec<_>>())
        .bind(entries().map(|e| e.context.as_str()).collect::<Vec<_>>())
        .bind(
            entries()
                .map(|e| e.observed_at.map(Timestamp::as_micros))
                .collect::<Vec<_>>(),
        )
        .bind(
            entries()
                .map(|e| e.recorded_at.as_micros())
                .collect::<Vec<_>>(),
        )
        .bind(
            entries()
                .map(|e| e.summary.energy_level)
                .collect::<Vec<_>>(),
        )
        .bind(
            entries()
                .map(|e| e.summary.stress_state.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            entries()
                .map(|e| e.summary.stability_index)
                .collect::<Vec<_>>(),
        )
        .bind(
            drifts
                .iter()
                .map(|(id, ..)| id.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            drifts
                .iter()
                .map(|(_, c, ..)| signed(c.entry.seq))
                .collect::<Vec<_>>(),
        )
        .bind(
            drifts
                .iter()
                .map(|(_, c, ..)| signed(c.entry.cycle))
                .collect::<Vec<_>>(),
        )
        .bind(
            drifts
                .iter()
                .map(|(_, _, d, _)| d.level.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            drifts
                .iter()
                .map(|(_, _, d, _)| d.magnitude)
                .collect::<Vec<_>>(),
        )
        .bind(
            drifts
                .iter()
                .map(|(_, _, d, _)| d.deviation.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            drifts
                .iter()
                .map(|(.., affected)| affected.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            drifts
                .iter()
                .map(|(_, _, d, _)| d.rolled_back)
                .collect::<Vec<_>>(),
        )
        .bind(
            drifts
                .iter()
                .map(|(_, c, ..)| c.entry.recorded_at.as_micros())
                .collect::<Vec<_>>(),
        )
        .bind(
            rows.usage
                .iter()
                .map(|(i, ..)| i.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            rows.usage
                .iter()
                .map(|(_, a, ..)| a.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            rows.usage
                .iter()
                .map(|(_, _, period, _)| period.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            rows.usage
                .iter()
                .map(|(.., cycles)| *cycles)
                .collect::<Vec<_>>(),
        )
        .bind(
            snapshots
                .iter()
                .map(|(id, ..)| id.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            snapshots
                .iter()
                .map(|(_, _, _, sid, _)| sid.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            snapshots
                .iter()
                .map(|(_, s, ..)| signed(s.seq))
                .collect::<Vec<_>>(),
        )
        .bind(
            snapshots
                .iter()
                .map(|(_, _, state, ..)| state.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            snapshots
                .iter()
                .map(|(_, s, ..)| s.last_cycle_at.map(Timestamp::as_micros))
                .collect::<Vec<_>>(),
        )
        .bind(
            snapshots
                .iter()
                .map(|(_, s, ..)| s.summary.energy_level)
                .collect::<Vec<_>>(),
        )
        .bind(
            snapshots
                .iter()
                .map(|(_, s, ..)| s.summary.stress_state.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            snapshots
                .iter()
                .map(|(_, s, ..)| s.summary.stability_index)
                .collect::<Vec<_>>(),
        )
        .bind(rows.written_at)
        .bind(snapshots.iter().map(|(.., c)| c.0).collect::<Vec<_>>());
    let query = if fenced {
        query
            .bind(
                appends
                    .iter()
                    .filter(|a| a.epoch.is_some())
                    .map(|a| a.instance_id.as_str())
                    .collect::<Vec<_>>(),
            )
            .bind(
                appends
                    .iter()
                    .filter_map(|a| a.epoch)
                    .map(|e| i64::try_from(e.get()).unwrap_or(i64::MAX))
                    .collect::<Vec<_>>(),
            )
    } else {
        query
    };
    let kept: Vec<String> = query.fetch_all(pool).await?;
    if !fenced {
        return Ok(HashSet::new());
    }
    let kept: HashSet<&str> = kept.iter().map(String::as_str).collect();
    Ok(appends
        .iter()
        .filter(|a| !kept.contains(a.instance_id.as_str()))
        .map(|a| a.instance_id.clone())
        .collect())
}

/// Rows per `INSERT` statement: well under SQLite's bind-parameter limit (13 columns ×
/// 1 000 = 13 000 of 32 766).
const ROWS_PER_STATEMENT: usize = 1000;

async fn sqlite(pool: &SqlitePool, rows: &Rows<'_>) -> Result<(), StoreError> {
    let mut tx = pool.begin().await?;
    for chunk in rows.cycles.chunks(ROWS_PER_STATEMENT) {
        let mut q = QueryBuilder::new(
            "INSERT INTO history (instance_id, seq, cycle, mode, signal, confidence, dt, \
             context, observed_at, recorded_at, energy_level, stress_state, stability_index) ",
        );
        q.push_values(chunk, |mut b, (id, c)| {
            let e = &c.entry;
            b.push_bind(id.as_str())
                .push_bind(signed(e.seq))
                .push_bind(signed(e.cycle))
                .push_bind(e.observation.mode.upper_name())
                .push_bind(e.observation.signal.get())
                .push_bind(e.observation.confidence.get())
                .push_bind(e.dt)
                .push_bind(e.context.as_str())
                .push_bind(e.observed_at.map(Timestamp::as_micros))
                .push_bind(e.recorded_at.as_micros())
                .push_bind(e.summary.energy_level)
                .push_bind(e.summary.stress_state.as_str())
                .push_bind(e.summary.stability_index);
        });
        q.build().execute(&mut *tx).await?;
    }
    for chunk in rows.drifts.chunks(ROWS_PER_STATEMENT) {
        let mut q = QueryBuilder::new(
            "INSERT INTO drift_events (instance_id, seq, cycle, level, magnitude, \
             deviation, affected_modes, rolled_back, recorded_at) ",
        );
        q.push_values(chunk, |mut b, (id, c, d, affected)| {
            b.push_bind(id.as_str())
                .push_bind(signed(c.entry.seq))
                .push_bind(signed(c.entry.cycle))
                .push_bind(d.level.as_str())
                .push_bind(d.magnitude)
                .push_bind(d.deviation.as_str())
                .push_bind(affected.as_str())
                .push_bind(d.rolled_back)
                .push_bind(c.entry.recorded_at.as_micros());
        });
        q.build().execute(&mut *tx).await?;
    }
    let mut usage: BTreeMap<(&AccountId, &str), i64> = BTreeMap::new();
    for (_, account, period, cycles) in &rows.usage {
        *usage.entry((account, period.as_str())).or_default() += cycles;
    }
    // In account order, like PostgreSQL's (one writer here, but the same rule).
    for ((account, period), cycles) in &usage {
        sqlx::query(
            "INSERT INTO monthly_usage (account_id, period, cycles) VALUES ($1, $2, $3) \
             ON CONFLICT (account_id, period) \
             DO UPDATE SET cycles = monthly_usage.cycles + excluded.cycles",
        )
        .bind(account.as_str())
        .bind(*period)
        .bind(*cycles)
        .execute(&mut *tx)
        .await?;
    }
    for (id, s, state, snapshot_id, closes) in &rows.snapshots {
        let upsert = sqlx::query(UPSERT_SNAPSHOT);
        bind_snapshot!(
            upsert,
            id.as_str(),
            snapshot_id.as_str(),
            s,
            state.as_str(),
            rows.written_at
        )
        .execute(&mut *tx)
        .await?;
        // After the batch's history rows (whose trigger marked the tail): the snapshot
        // covers them.
        if closes.0 {
            sqlx::query("UPDATE instances SET has_tail = FALSE WHERE id = $1 AND has_tail")
                .bind(id.as_str())
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Binds one snapshot to a statement over the snapshots row, `$1`…`$9` in
/// [`UPSERT_SNAPSHOT`]'s order (instance, snapshot id, seq, state, last cycle, energy,
/// stress, stability, written at), for either pool.
macro_rules! bind_snapshot {
    ($query:expr, $id:expr, $snapshot_id:expr, $snapshot:expr, $state:expr, $written_at:expr) => {
        $query
            .bind($id)
            .bind($snapshot_id)
            .bind($crate::store::rows::signed($snapshot.seq))
            .bind($state)
            .bind(
                $snapshot
                    .last_cycle_at
                    .map($crate::timestamp::Timestamp::as_micros),
            )
            .bind($snapshot.summary.energy_level)
            .bind($snapshot.summary.stress_state.as_str())
            .bind($snapshot.summary.stability_index)
            .bind($written_at)
    };
}
pub(super) use bind_snapshot;

/// The upsert of an instance's snapshot row (at most one per instance), as a literal
/// that retention's guarded variant extends.
macro_rules! upsert_snapshot_sql {
    () => {
        "\
INSERT INTO snapshots (instance_id, id, seq, state, last_cycle_at, energy_level, stress_state,
                       stability_index, written_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (instance_id) DO UPDATE SET
    id = excluded.id, seq = excluded.seq, state = excluded.state,
    last_cycle_at = excluded.last_cycle_at, energy_level = excluded.energy_level,
    stress_state = excluded.stress_state, stability_index = excluded.stability_index,
    written_at = excluded.written_at"
    };
}
pub(super) use upsert_snapshot_sql;

/// Writes the newest snapshot of an instance.
const UPSERT_SNAPSHOT: &str = upsert_snapshot_sql!();
