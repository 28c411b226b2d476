//! The embedded SQL store: one SQLite file under the data directory.

use anyhow::Context;
use coinswarm_core::ledger::AccountEvent;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, Sqlite, Transaction};
use std::path::Path;
use std::time::Duration;

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

/// SQLite store shared by every component of one server (and by `coinswarm keys`).
#[derive(Debug, Clone)]
pub struct SqlStore {
    pool: SqlitePool,
}

impl SqlStore {
    /// Opens (creating if needed) `data_dir/coinswarm.sqlite` and applies pending migrations.
    pub async fn open(data_dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
        let path = data_dir.join("coinswarm.sqlite");
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .with_context(|| format!("cannot open {}", path.display()))?;
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .with_context(|| format!("cannot migrate {}", path.display()))?;
        Ok(Self { pool })
    }

    /// Creates the account if it does not exist; returns whether it was created.
    pub async fn create_account(&self, account_id: &str, now_ms: i64) -> anyhow::Result<bool> {
        let done = sqlx::query("INSERT OR IGNORE INTO accounts (id, created_at) VALUES (?, ?)")
            .bind(account_id)
            .bind(now_ms)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Every account id, oldest first.
    pub async fn accounts(&self) -> anyhow::Result<Vec<String>> {
        let rows = sqlx::query("SELECT id FROM accounts ORDER BY created_at, id").fetch_all(&self.pool).await?;
        Ok(rows.iter().map(|r| r.get::<String, _>(0)).collect())
    }

    /// Appends `events` to the account's log in one durable transaction (all or none).
    pub async fn append_events(&self, account_id: &str, events: &[AccountEvent]) -> anyhow::Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let mut tx: Transaction<'_, Sqlite> = self.pool.begin().await?;
        for event in events {
            let json = serde_json::to_string(event)?;
            sqlx::query("INSERT INTO account_events (account_id, seq, time, event) VALUES (?, ?, ?, ?)")
                .bind(account_id)
                .bind(event.seq as i64)
                .bind(event.time.millis())
                .bind(json)
                .execute(&mut *tx)
                .await
                .with_context(|| format!("cannot append event {} of {account_id}", event.seq))?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The account's whole event log, in sequence order.
    pub async fn load_events(&self, account_id: &str) -> anyhow::Result<Vec<AccountEvent>> {
        let rows = sqlx::query("SELECT event FROM account_events WHERE account_id = ? ORDER BY seq")
            .bind(account_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                let text: String = row.get(0);
                serde_json::from_str(&text).with_context(|| format!("a stored event of {account_id} is unreadable"))
            })
            .collect()
    }

    /// Appends decision records (JSON lines) of an account.
    pub async fn append_decisions(&self, account_id: &str, lines: &str) -> anyhow::Result<()> {
        if lines.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        for line in lines.lines() {
            let time = serde_json::from_str::<serde_json::Value>(line)
                .ok()
                .and_then(|v| v.get("time").and_then(serde_json::Value::as_i64))
                .unwrap_or(0);
            sqlx::query("INSERT INTO decisions (account_id, time, record) VALUES (?, ?, ?)")
                .bind(account_id)
                .bind(time)
                .bind(line)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The latest `limit` decision records of an account, newest first.
    pub async fn recent_decisions(&self, account_id: &str, limit: u32) -> anyhow::Result<Vec<String>> {
        let rows = sqlx::query("SELECT record FROM decisions WHERE account_id = ? ORDER BY id DESC LIMIT ?")
            .bind(account_id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(|r| r.get::<String, _>(0)).collect())
    }

    pub async fn insert_key(&self, key: &ApiKeyRecord) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO api_keys (id, secret_hash, account_id, scopes, label, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&key.id)
        .bind(&key.secret_hash)
        .bind(&key.account_id)
        .bind(&key.scopes)
        .bind(&key.label)
        .bind(key.created_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The key whose secret hashes to `secret_hash`, revoked or not.
    pub async fn key_by_hash(&self, secret_hash: &str) -> anyhow::Result<Option<ApiKeyRecord>> {
        let row = sqlx::query(
            "SELECT id, secret_hash, account_id, scopes, label, created_at, revoked_at FROM api_keys WHERE secret_hash = ?",
        )
        .bind(secret_hash)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| key_of(&r)))
    }

    /// Every key, oldest first.
    pub async fn keys(&self) -> anyhow::Result<Vec<ApiKeyRecord>> {
        let rows = sqlx::query(
            "SELECT id, secret_hash, account_id, scopes, label, created_at, revoked_at FROM api_keys ORDER BY created_at, id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(key_of).collect())
    }

    /// Revokes the key; returns whether a live key was revoked.
    pub async fn revoke_key(&self, id: &str, now_ms: i64) -> anyhow::Result<bool> {
        let done = sqlx::query("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
            .bind(now_ms)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn state(&self, name: &str) -> anyhow::Result<Option<String>> {
        let row =
            sqlx::query("SELECT value FROM server_state WHERE name = ?").bind(name).fetch_optional(&self.pool).await?;
        Ok(row.map(|r| r.get(0)))
    }

    pub async fn set_state(&self, name: &str, value: &str) -> anyhow::Result<()> {
        sqlx::query("INSERT INTO server_state (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value")
            .bind(name)
            .bind(value)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Waits for in-flight statements and closes the connections.
    pub async fn close(&self) {
        self.pool.close().await;
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
