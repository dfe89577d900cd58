//! Statements run beside the server or store under test, on a connection of their own
//! (shared by the test crates through `#[path]`).

/// Runs `sql` (statements separated by `;`) on the database at `url`: PostgreSQL, or an
/// SQLite file (`sqlite:…`).
pub async fn run_sql(url: &str, sql: &str) {
    if url.starts_with("sqlite:") {
        on::<sqlx::Sqlite>(url, sql).await;
    } else {
        on::<sqlx::Postgres>(url, sql).await;
    }
}

async fn on<DB: sqlx::Database>(url: &str, sql: &str)
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    let pool = sqlx::Pool::<DB>::connect(url)
        .await
        .unwrap_or_else(|e| panic!("connect {url}: {e}"));
    sqlx::raw_sql(sql)
        .execute(&pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    pool.close().await;
}
