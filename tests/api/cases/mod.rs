//! Test cases, by endpoint group.

mod admin;
mod cluster;
mod durability;
mod engine;
mod errors;
mod hostile;
mod instances;
mod keys;
mod limits;
mod loadtest;
mod openapi;
mod ops;
mod pages;
mod personas;
mod retention;
mod sdk;
mod support;

pub use admin::{
    a_failing_instance_reads_as_failed_until_restarted,
    a_public_admin_listener_without_a_token_refuses_to_start,
    a_reload_under_load_lowers_the_cap_and_fails_no_request,
    live_settings_apply_to_the_next_calls_and_bad_reloads_change_nothing,
    the_admin_listener_needs_its_token_and_stays_off_the_data_api,
};
pub use cluster::{
    a_killed_nodes_instances_are_served_again_with_their_history,
    a_paused_node_neither_answers_nor_writes_when_it_resumes, a_stopped_node_hands_its_shards_over,
    account_limits_hold_across_nodes, activations_beyond_the_nodes_rate_wait,
    any_node_answers_for_any_instance_through_its_owner,
    the_python_sdk_runs_through_haproxy_against_three_nodes,
    three_nodes_behind_haproxy_route_each_instance_to_its_owner,
};
pub use durability::{
    nothing_acknowledged_is_lost_when_the_server_is_killed,
    state_survives_a_graceful_restart_and_passivation, the_server_rides_out_a_database_outage,
};
pub use engine::{
    a_bad_batch_item_applies_nothing, a_stopped_instance_refuses_processing_until_started,
    concurrent_calls_inside_the_interval_make_one_cycle, process_and_batch_answer_the_spec_shapes,
    reset_restarts_the_cycle_and_keeps_the_record,
};
pub use errors::every_failure_uses_the_envelope;
pub use hostile::{
    api_routes_answer_only_after_authentication, context_is_json_every_client_reads_back,
    every_v1_answer_is_an_envelope_naming_its_field, hostile_clients_cannot_hold_the_server,
    integers_are_refused_never_clamped, null_is_refused_where_a_field_cannot_be_null,
    purges_wait_for_concurrent_writers, stored_text_with_a_nul_is_refused_alike,
};
pub use instances::{
    another_accounts_instances_are_invisible, instances_are_created_read_listed_changed_and_deleted,
};
pub use keys::keys_are_managed_from_the_command_line;
pub use limits::{bad_input_is_refused_with_the_field_named, rate_limits_and_quotas_answer_429};
pub use loadtest::{
    durable_and_write_behind_compare_back_to_back, the_load_scenarios_pass_their_checks,
};
pub use openapi::the_openapi_document_lists_every_route;
pub use ops::{
    operations_routes_answer, shutdown_on_sigterm_is_graceful,
    the_server_keeps_serving_past_its_shutdown_deadline,
};
pub use pages::{
    a_resident_instance_far_down_a_long_list_is_listed, lists_page_by_cursor_as_they_do_by_offset,
    residency_filters_list_and_count_what_is_resident,
};
pub use personas::{
    a_submitted_test_is_scored_applied_and_created_from, personas_are_the_documented_twelve,
    the_questionnaire_is_served,
};
pub use retention::history_older_than_the_window_is_dropped_and_pages_say_where_it_begins;
pub use sdk::{sdk_failures_use_the_sdk_error_shape, the_python_sdk_runs_unmodified};
