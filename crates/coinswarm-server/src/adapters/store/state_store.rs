//! The `StateStore` port: small named values the server resumes from, such as the replay
//! feed's position (KV or D1 at the edge; [`SqlStore`] embedded).

use super::SqlStore;
use sqlx::Row;
use std::future::Future;

pub trait StateStore: Clone + Send + Sync + 'static {
    /// The value stored under `name`, if any.
    fn state(&self, name: &str) -> impl Future<Output = anyhow::Result<Option<String>>> + Send;
    /// Durably stores `value` under `name`, replacing what was there.
    fn set_state(&self, name: &str, value: &str) -> impl Future<Output = anyhow::Result<()>> + Send;
}

impl StateStore for SqlStore {
    async fn state(&self, name: &str) -> anyhow::Result<Option<String>> {
        let row =
            sqlx::query("SELECT value FROM server_state WHERE name = ?").bind(name).fetch_optional(self.pool()).await?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn set_state(&self, name: &str, value: &str) -> anyhow::Result<()> {
        let (name, value) = (name.to_string(), value.to_string());
        self.write(move |c| {
            c.prepare_cached(
                "INSERT INTO server_state (name, value) VALUES (?1, ?2) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            )?
            .execute((name, value))?;
            Ok(())
        })
        .await
    }
}
