//! The `KeyStore` port: API keys, stored as a hash of the secret (a D1 table at the edge;
//! [`SqlStore`] on SQLite or PostgreSQL).

use super::SqlStore;
use super::sql::Engine;
use sqlx::AssertSqlSafe;
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

const COLUMNS: &str = "id, secret_hash, account_id, scopes, label, created_at, revoked_at";

impl KeyStore for SqlStore {
    async fn insert_key(&self, key: &ApiKeyRecord) -> anyhow::Result<()> {
        match &self.engine {
            Engine::Sqlite(db) => {
                let key = key.clone();
                db.write(move |c| {
                    c.prepare_cached(
                        "INSERT INTO api_keys (id, secret_hash, account_id, scopes, label, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    )?
                    .execute((&key.id, &key.secret_hash, &key.account_id, &key.scopes, &key.label, key.created_at))?;
                    Ok(())
                })
                .await
            }
            Engine::Postgres(db) => {
                sqlx::query(
                    "INSERT INTO api_keys (id, secret_hash, account_id, scopes, label, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&key.id)
                .bind(&key.secret_hash)
                .bind(&key.account_id)
                .bind(&key.scopes)
                .bind(&key.label)
                .bind(key.created_at)
                .execute(&db.pool)
                .await?;
                Ok(())
            }
        }
    }

    /// The key whose secret hashes to `secret_hash`, revoked or not.
    async fn key_by_hash(&self, secret_hash: &str) -> anyhow::Result<Option<ApiKeyRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM api_keys WHERE secret_hash = $1");
        Ok(match &self.engine {
            Engine::Sqlite(db) => sqlx::query(AssertSqlSafe(sql.as_str()))
                .bind(secret_hash)
                .fetch_optional(&db.pool)
                .await?
                .map(|r| key_of(&r)),
            Engine::Postgres(db) => sqlx::query(AssertSqlSafe(sql.as_str()))
                .bind(secret_hash)
                .fetch_optional(&db.pool)
                .await?
                .map(|r| key_of(&r)),
        })
    }

    /// Every key, oldest first.
    async fn keys(&self) -> anyhow::Result<Vec<ApiKeyRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM api_keys ORDER BY created_at, id");
        Ok(match &self.engine {
            Engine::Sqlite(db) => {
                sqlx::query(AssertSqlSafe(sql.as_str())).fetch_all(&db.pool).await?.iter().map(key_of).collect()
            }
            Engine::Postgres(db) => {
                sqlx::query(AssertSqlSafe(sql.as_str())).fetch_all(&db.pool).await?.iter().map(key_of).collect()
            }
        })
    }

    /// Revokes the key; returns whether a live key was revoked.
    async fn revoke_key(&self, id: &str, now_ms: i64) -> anyhow::Result<bool> {
        match &self.engine {
            Engine::Sqlite(db) => {
                let id = id.to_string();
                db.write(move |c| {
                    let revoked = c
                        .prepare_cached("UPDATE api_keys SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL")?
                        .execute((now_ms, id))?;
                    Ok(revoked == 1)
                })
                .await
            }
            Engine::Postgres(db) => {
                let revoked = sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                    .bind(now_ms)
                    .bind(id)
                    .execute(&db.pool)
                    .await?;
                Ok(revoked.rows_affected() == 1)
            }
        }
    }
}

/// A key from a row of `COLUMNS`, on either engine.
fn key_of<R: Row>(row: &R) -> ApiKeyRecord
where
    usize: sqlx::ColumnIndex<R>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<i64>: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
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
