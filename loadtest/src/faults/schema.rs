//! A PostgreSQL schema of a run's own, so that its cluster starts on empty tables and
//! leaves nothing behind.

use sqlx::PgPool;

pub struct Schema {
    name: String,
    /// The database URL with this schema as its search path.
    pub url: String,
}

impl Schema {
    /// Creates schema `name` in the database `admin` is connected to (at `admin_url`).
    pub async fn create(admin: &PgPool, admin_url: &str, name: String) -> Result<Schema, String> {
        sqlx::query(&format!("CREATE SCHEMA {name}"))
            .execute(admin)
            .await
            .map_err(|e| format!("creating schema {name}: {e}"))?;
        let separator = if admin_url.contains('?') { '&' } else { '?' };
        let url = format!("{admin_url}{separator}options=-c%20search_path%3D{name}");
        Ok(Schema { name, url })
    }

    /// Drops it with everything in it.
    pub async fn drop(self, admin: &PgPool) {
        let _ = sqlx::query(&format!("DROP SCHEMA {} CASCADE", self.name))
            .execute(admin)
            .await;
    }
}
