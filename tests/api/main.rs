//! Black-box tests: the real server binary on a free port, on SQLite and on PostgreSQL.

mod cases;
mod server;

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

on_both_backends!(
    operations_routes_answer,
    every_failure_uses_the_envelope,
    personas_are_the_documented_twelve,
    the_questionnaire_is_served,
    keys_are_managed_from_the_command_line,
    shutdown_on_sigterm_is_graceful,
);
