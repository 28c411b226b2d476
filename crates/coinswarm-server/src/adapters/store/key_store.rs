//! The `KeyStore` port: API keys, stored as a hash of the secret (a D1 table at the edge,
//! PostgreSQL later; [`SqlStore`] embedded).

use super::SqlStore;
use sqlx::Row;
use std::future::Future;

/// A stored API key (never the secret itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    pub id: String,
    pub secret_hash: String,
    pub account_id: String,
    /// Comma-separated scopes: `read`, `trade`, `admin`.
    pub scopes: String,
    pub label: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

pub trait KeyStore: Clone + Send + Sync + 'static {
    fn insert_key(&self, key: &ApiKeyRecord) -> impl Future<Output = anyhow::Result<()>> + Send;
    /// The key whose secret hashes to `secret_hash`, revoked or not.
    fn key_by_hash(&self, secret_hash: &str) -> impl Future<Output = anyhow::Result<Option<ApiKeyRecord>>> + Send;
    /// Every key, oldest first.
    fn keys(&self) -> impl Future<Output = anyhow::Result<Vec<ApiKeyRecord>>> + Send;
    /// Revokes the key; returns whether a live key was revoked.
    fn revoke_key(&self, id: &str, now_ms: i64) -> impl Future<Output = anyhow::Result<bool>> + Send;
}

impl KeyStore for SqlStore {
    async fn insert_key(&self, key: &ApiKeyRecord) -> anyhow::Result<()> {
        let key = key.clone();
        self.write(move |c| {
            c.prepare_cached(
                "INSERT INTO api_keys (id, secret_hash, account_id, scopes, label, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute((&key.id, &key.secret_hash, &key.account_id, &key.scopes, &key.label, key.created_at))?;
            Ok(())
        })
        .await
    }

    /// The key whose secret hashes to `secret_hash`, revoked or not.
    async fn key_by_hash(&self, secret_hash: &str) -> anyhow::Result<Option<ApiKeyRecord>> {
        let row = sqlx::query(
            "SELECT id, secret_hash, account_id, scopes, label, created_at, revoked_at FROM api_keys WHERE secret_hash = ?",
        )
        .bind(secret_hash)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| key_of(&r)))
    }

    /// Every key, oldest first.
    async fn keys(&self) -> anyhow::Result<Vec<ApiKeyRecord>> {
        let rows = sqlx::query(
            "SELECT id, secret_hash, account_id, scopes, label, created_at, revoked_at FROM api_keys ORDER BY created_at, id",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows.iter().map(key_of).collect())
    }

    /// Revokes the key; returns whether a live key was revoked.
    async fn revoke_key(&self, id: &str, now_ms: i64) -> anyhow::Result<bool> {
        let id = id.to_string();
        self.write(move |c| {
            let revoked = c
                .prepare_cached("UPDATE api_keys SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL")?
                .execute((now_ms, id))?;
            Ok(revoked == 1)
        })
        .await
    }
}

fn key_of(row: &sqlx::sqlite::SqliteRow) -> ApiKeyRecord {
    ApiKeyRecord {
        id: row.get(0),
        secret_hash: row.get(1),
        account_id: row.get(2),
        scopes: row.get(3),
        label: row.get(4),
        created_at: row.get(5),
        revoked_at: row.get(6),
    }
}
