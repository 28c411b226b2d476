//! The `StateStore` port: small named values the server resumes from, such as the replay
//! feed's position (KV or D1 at the edge; [`SqlStore`] on SQLite or PostgreSQL).

use super::SqlStore;
use super::sql::Engine;
use sqlx::AssertSqlSafe;
use std::future::Future;

pub trait StateStore: Clone + Send + Sync + 'static {
    /// The value stored under `name`, if any.
    fn state(&self, name: &str) -> impl Future<Output = anyhow::Result<Option<String>>> + Send;
    /// Durably stores `value` under `name`, replacing what was there.
    fn set_state(&self, name: &str, value: &str) -> impl Future<Output = anyhow::Result<()>> + Send;
    /// Stores `value` under `name` unless a value is there already; returns the value stored
    /// (the first writer's, when two processes race).
    fn init_state(&self, name: &str, value: &str) -> impl Future<Output = anyhow::Result<String>> + Send;
}

impl StateStore for SqlStore {
    async fn state(&self, name: &str) -> anyhow::Result<Option<String>> {
        const SQL: &str = "SELECT value FROM server_state WHERE name = $1";
        Ok(match &self.engine {
            Engine::Sqlite(db) => sqlx::query_scalar(SQL).bind(name).fetch_optional(&db.pool).await?,
            Engine::Postgres(db) => sqlx::query_scalar(SQL).bind(name).fetch_optional(&db.pool).await?,
        })
    }

    async fn set_state(&self, name: &str, value: &str) -> anyhow::Result<()> {
        self.put_state(name, value, "UPDATE SET value = excluded.value").await
    }

    async fn init_state(&self, name: &str, value: &str) -> anyhow::Result<String> {
        self.put_state(name, value, "NOTHING").await?;
        self.state(name).await?.ok_or_else(|| anyhow::anyhow!("server state {name} vanished as it was written"))
    }
}

impl SqlStore {
    /// Inserts `name` = `value`, doing `on_conflict` when `name` is there.
    async fn put_state(&self, name: &str, value: &str, on_conflict: &'static str) -> anyhow::Result<()> {
        match &self.engine {
            Engine::Sqlite(db) => {
                let (name, value) = (name.to_string(), value.to_string());
                db.write(move |c| {
                    c.prepare_cached(&format!(
                        "INSERT INTO server_state (name, value) VALUES (?1, ?2) ON CONFLICT(name) DO {on_conflict}"
                    ))?
                    .execute((name, value))?;
                    Ok(())
                })
                .await
            }
            Engine::Postgres(db) => {
                sqlx::query(AssertSqlSafe(format!(
                    "INSERT INTO server_state (name, value) VALUES ($1, $2) ON CONFLICT(name) DO {on_conflict}"
                )))
                .bind(name)
                .bind(value)
                .execute(&db.pool)
                .await?;
                Ok(())
            }
        }
    }
}
