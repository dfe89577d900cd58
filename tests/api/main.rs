//! Black-box tests: the real server binary on a free port, on SQLite and on PostgreSQL.

mod cases;
// The load tool's proxy: one copy for its PostgreSQL-cut round and these tests.
#[path = "../../loadtest/src/proxy.rs"]
mod proxy;
mod raw;
mod server;
#[path = "../common/sql.rs"]
mod sql;

macro_rules! on_both_backends {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::cases::$case(super::server::Db::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::cases::$case(super::server::Db::Postgres).await;
                }
            )*
        }
    };
}

/// PostgreSQL only: SQLite has no server to lose.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_outage_is_ridden_out() {
    cases::the_server_rides_out_a_database_outage().await;
}

/// Cluster mode: nodes on one PostgreSQL (SQLite is a single node).
mod cluster {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_any_node_answers_for_any_instance_through_its_owner() {
        super::cases::any_node_answers_for_any_instance_through_its_owner().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_a_killed_nodes_instances_are_served_again_with_their_history() {
        super::cases::a_killed_nodes_instances_are_served_again_with_their_history().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_a_paused_node_neither_answers_nor_writes_when_it_resumes() {
        super::cases::a_paused_node_neither_answers_nor_writes_when_it_resumes().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_three_nodes_behind_haproxy_route_each_instance_to_its_owner() {
        super::cases::three_nodes_behind_haproxy_route_each_instance_to_its_owner().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_the_python_sdk_runs_through_haproxy_against_three_nodes() {
        super::cases::the_python_sdk_runs_through_haproxy_against_three_nodes().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_activations_beyond_the_nodes_rate_wait() {
        super::cases::activations_beyond_the_nodes_rate_wait().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_account_limits_hold_across_nodes() {
        super::cases::account_limits_hold_across_nodes().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_a_stopped_node_hands_its_shards_over() {
        super::cases::a_stopped_node_hands_its_shards_over().await;
    }
}

/// History retention end to end: SQLite only (see the case).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_history_older_than_the_window_is_dropped_and_pages_say_where_it_begins() {
    cases::history_older_than_the_window_is_dropped_and_pages_say_where_it_begins().await;
}

/// Connection handling is the same whatever the backend: SQLite only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_clients_cannot_hold_the_server() {
    cases::hostile_clients_cannot_hold_the_server().await;
}

on_both_backends!(
    instances_are_created_read_listed_changed_and_deleted,
    lists_page_by_cursor_as_they_do_by_offset,
    residency_filters_list_and_count_what_is_resident,
    a_resident_instance_far_down_a_long_list_is_listed,
    another_accounts_instances_are_invisible,
    process_and_batch_answer_the_spec_shapes,
    a_bad_batch_item_applies_nothing,
    concurrent_calls_inside_the_interval_make_one_cycle,
    reset_restarts_the_cycle_and_keeps_the_record,
    a_stopped_instance_refuses_processing_until_started,
    bad_input_is_refused_with_the_field_named,
    rate_limits_and_quotas_answer_429,
    state_survives_a_graceful_restart_and_passivation,
    nothing_acknowledged_is_lost_when_the_server_is_killed,
    operations_routes_answer,
    every_failure_uses_the_envelope,
    personas_are_the_documented_twelve,
    the_questionnaire_is_served,
    a_submitted_test_is_scored_applied_and_created_from,
    the_openapi_document_lists_every_route,
    the_load_scenarios_pass_their_checks,
    durable_and_write_behind_compare_back_to_back,
    keys_are_managed_from_the_command_line,
    shutdown_on_sigterm_is_graceful,
    the_server_keeps_serving_past_its_shutdown_deadline,
    the_python_sdk_runs_unmodified,
    sdk_failures_use_the_sdk_error_shape,
    stored_text_with_a_nul_is_refused_alike,
    context_is_json_every_client_reads_back,
    integers_are_refused_never_clamped,
    every_v1_answer_is_an_envelope_naming_its_field,
    api_routes_answer_only_after_authentication,
    null_is_refused_where_a_field_cannot_be_null,
    purges_wait_for_concurrent_writers,
    live_settings_apply_to_the_next_calls_and_bad_reloads_change_nothing,
    the_admin_listener_needs_its_token_and_stays_off_the_data_api,
);

/// The reload under load on PostgreSQL, the production backend.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_reload_under_load_lowers_the_cap_and_fails_no_request() {
    cases::a_reload_under_load_lowers_the_cap_and_fails_no_request(server::Db::Postgres).await;
}

/// PostgreSQL: a trigger makes the instance's writes fail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_failing_instance_reads_as_failed_until_restarted() {
    cases::a_failing_instance_reads_as_failed_until_restarted().await;
}

/// Start-up and `config check` need no database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_admin_listener_without_a_token_refuses_to_start() {
    cases::a_public_admin_listener_without_a_token_refuses_to_start().await;
}
