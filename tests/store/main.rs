//! The storage conformance suite: every case runs against SQLite and against
//! PostgreSQL (`IDOS_TEST_POSTGRES_URL`, set by `.ci/run`; without it the
//! PostgreSQL cases fail rather than skip).

mod cases;
mod harness;
#[path = "../common/sql.rs"]
mod sql;

macro_rules! conformance {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let db = super::harness::TestDb::sqlite().await;
                    super::cases::$case(&db.store).await;
                    db.drop().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let db = super::harness::TestDb::postgres().await;
                    super::cases::$case(&db.store).await;
                    db.drop().await;
                }
            )*
        }
    };
}

conformance!(
    created_instances_read_back_per_account,
    lists_sort_filter_and_page,
    appended_cycles_replay_after_the_newest_snapshot,
    engine_state_survives_storage_bit_for_bit,
    instance_summary_follows_the_newest_write,
    a_duplicate_seq_fails_only_its_own_append,
    concurrent_appends_leave_no_gaps,
    concurrent_loads_get_their_own_instance,
    drift_events_and_history_page_newest_first,
    cycles_are_billed_per_account_and_month,
    metadata_and_lifecycle_updates,
    soft_delete_restore_and_purge,
    expired_deletions_are_purged,
    keys_are_found_by_hash_until_revoked,
    migrations_are_idempotent,
    list_totals_stay_exact_under_concurrent_writes,
    history_retention_keeps_what_replay_needs,
);

/// Cases that reach around the store into its database.
macro_rules! conformance_with_db {
    ($($case:ident),* $(,)?) => {
        mod with_db {
            $(
                mod $case {
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn sqlite() {
                        let db = crate::harness::TestDb::sqlite().await;
                        crate::cases::$case(&db).await;
                        db.drop().await;
                    }

                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn postgres() {
                        let db = crate::harness::TestDb::postgres().await;
                        crate::cases::$case(&db).await;
                        db.drop().await;
                    }
                }
            )*
        }
    };
}

conformance_with_db!(
    the_count_migration_counts_an_existing_database,
    a_tail_is_read_only_where_history_may_hold_one,
);

/// Cluster mode's fencing needs PostgreSQL (a cluster refuses SQLite at start).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_fences_writes_of_a_node_that_lost_its_shard() {
    let db = harness::TestDb::postgres().await;
    cases::writes_of_a_node_that_lost_its_shard_are_fenced(&db).await;
    db.drop().await;
}

/// Migration 0008 partitions the history of a database written before it, in place.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_history_partitioning_upgrades_an_existing_database() {
    let old = cases::OldDatabase::new();
    let db = harness::TestDb::postgres_upgraded_from(7, &old.seed()).await;
    old.check(&db.store).await;
    db.drop().await;
}

/// Write-behind mode (benchmarks only): answers before the commit, loses nothing that a
/// later snapshot-carrying append or `close` waited for.
mod write_behind {
    use identity_os::store::{Durability, StoreOptions};

    fn options() -> StoreOptions {
        StoreOptions {
            durability: Durability::WriteBehind,
            ..super::harness::options()
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        let db = super::harness::TestDb::sqlite_with(&options()).await;
        super::cases::write_behind_keeps_order_and_a_snapshot_waits_for_all_before(&db.store).await;
        db.drop().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        let db = super::harness::TestDb::postgres_with(&options()).await;
        super::cases::write_behind_keeps_order_and_a_snapshot_waits_for_all_before(&db.store).await;
        db.drop().await;
    }
}
