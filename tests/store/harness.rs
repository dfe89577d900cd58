//! A fresh, isolated database per test: a temporary SQLite file, or a PostgreSQL schema
//! of its own (so tests run in parallel against one server).

use identity_os::ids::InstanceId;
use identity_os::store::{Store, StoreOptions};

use crate::sql::run_sql;

pub struct TestDb {
    pub store: Store,
    cleanup: Cleanup,
}

enum Cleanup {
    File(std::path::PathBuf),
    Schema { admin_url: String, schema: String },
}

impl TestDb {
    /// Runs `sql` in this test's database beside the store (e.g. moving a shard lease as
    /// another node would), on a connection of its own.
    pub async fn execute(&self, sql: &str) {
        match &self.cleanup {
            Cleanup::Schema { admin_url, schema } => {
                run_sql(admin_url, &format!("SET search_path = {schema}; {sql}")).await;
            }
            Cleanup::File(dir) => {
                run_sql(&format!("sqlite://{}/store.db", dir.display()), sql).await;
            }
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.cleanup, Cleanup::Schema { .. })
    }
}

fn unique_suffix() -> String {
    // An instance id is 16 random hex digits: unique enough for a test's name.
    InstanceId::generate().as_str()["inst_".len()..].to_owned()
}

pub fn options() -> StoreOptions {
    StoreOptions {
        max_connections: 4,
        ..StoreOptions::default()
    }
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        TestDb::sqlite_with(&options()).await
    }

    pub async fn sqlite_with(options: &StoreOptions) -> TestDb {
        let dir = std::env::temp_dir().join(format!("identity-os-test-{}", unique_suffix()));
        let url = format!("sqlite://{}/store.db", dir.display());
        let store = Store::open(&url, options)
            .await
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
        TestDb {
            store,
            cleanup: Cleanup::File(dir),
        }
    }

    pub async fn postgres() -> TestDb {
        TestDb::postgres_with(&options()).await
    }

    pub async fn postgres_with(options: &StoreOptions) -> TestDb {
        let admin_url = postgres_admin_url();
        let schema = format!("idos_test_{}", unique_suffix());
        run_sql(&admin_url, &format!("CREATE SCHEMA {schema}")).await;
        let url = schema_url(&admin_url, &schema);
        let store = Store::open(&url, options)
            .await
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
        TestDb {
            store,
            cleanup: Cleanup::Schema { admin_url, schema },
        }
    }

    /// A PostgreSQL schema migrated only through `version`, `seed` run in it (the
    /// database an older release left), then the store opened, which upgrades it.
    pub async fn postgres_upgraded_from(version: i64, seed: &str) -> TestDb {
        let admin_url = postgres_admin_url();
        let schema = format!("idos_test_{}", unique_suffix());
        run_sql(&admin_url, &format!("CREATE SCHEMA {schema}")).await;
        let url = schema_url(&admin_url, &schema);
        let pool = sqlx::PgPool::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("connect {url}: {e}"));
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        for dir in [root.clone(), root.join("postgres")] {
            let mut older = sqlx::migrate::Migrator::new(dir.as_path())
                .await
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
            older.migrations = older
                .migrations
                .iter()
                .filter(|m| m.version <= version)
                .cloned()
                .collect::<Vec<_>>()
                .into();
            older.set_ignore_missing(true);
            older
                .run(&pool)
                .await
                .unwrap_or_else(|e| panic!("migrate {}: {e}", dir.display()));
        }
        sqlx::raw_sql(seed)
            .execute(&pool)
            .await
            .unwrap_or_else(|e| panic!("{seed}: {e}"));
        pool.close().await;
        let store = Store::open(&url, &options())
            .await
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
        TestDb {
            store,
            cleanup: Cleanup::Schema { admin_url, schema },
        }
    }

    pub async fn drop(self) {
        self.store.close().await;
        match self.cleanup {
            Cleanup::File(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Schema { admin_url, schema } => {
                run_sql(&admin_url, &format!("DROP SCHEMA {schema} CASCADE")).await;
            }
        }
    }
}

fn postgres_admin_url() -> String {
    std::env::var("IDOS_TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!(
            "IDOS_TEST_POSTGRES_URL is not set: the PostgreSQL conformance tests \
             need a server (run .ci/run, which provides one)"
        )
    })
}

/// The URL of `schema` in the database of `admin_url` (its search path).
fn schema_url(admin_url: &str, schema: &str) -> String {
    let separator = if admin_url.contains('?') { '&' } else { '?' };
    format!("{admin_url}{separator}options=-c%20search_path%3D{schema}")
}
