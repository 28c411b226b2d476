//! Ownership of accounts across processes: on one PostgreSQL database, each account's
//! session runs in exactly one `coinswarm up`. A process owns an account while it holds a
//! session-scoped advisory lock named after it, on a connection kept for that alone: when the
//! process dies its connection closes and PostgreSQL releases every lock it held, so another
//! process can take the accounts over. On SQLite the data directory's lock file already
//! gives one process the whole store, so every claim succeeds there.

use super::SqlStore;
use super::sql::Engine;
use anyhow::Context;
use sha2_full::{Digest, Sha256};
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use std::collections::BTreeSet;
use std::sync::Arc;

/// The accounts this process owns, and the connection holding their locks.
#[derive(Debug, Clone)]
pub(super) struct Owners {
    options: PgConnectOptions,
    state: Arc<tokio::sync::Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    connection: Option<PgConnection>,
    owned: BTreeSet<String>,
    /// Set once the locks' connection failed after owning something: the locks may be gone,
    /// so this process must not go on as owner.
    lost: Option<String>,
}

/// The advisory lock key of `account_id`: the first 8 bytes of SHA-256 of a fixed prefix and
/// the id (the prefix keeps Coinswarm's keys apart from other users of advisory locks).
pub fn lock_key(account_id: &str) -> i64 {
    let digest = Sha256::new().chain_update(b"coinswarm account owner\0").chain_update(account_id).finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_le_bytes(first)
}

impl Owners {
    pub(super) fn new(options: PgConnectOptions) -> Self {
        Self { options, state: Arc::default() }
    }

    /// Takes `account_id` for this process unless another process holds it; returns whether
    /// this process owns it now. Fails once the locks' connection has been lost.
    pub(super) async fn claim(&self, account_id: &str) -> anyhow::Result<bool> {
        let mut state = self.state.lock().await;
        if let Some(reason) = &state.lost {
            anyhow::bail!("this process lost its hold on its accounts ({reason}): restart it");
        }
        if state.owned.contains(account_id) {
            return Ok(true);
        }
        if state.connection.is_none() {
            let connection = PgConnection::connect_with(&self.options)
                .await
                .context("cannot open the connection that holds account ownership")?;
            state.connection = Some(connection);
        }
        let connection = state.connection.as_mut().expect("connected above");
        let taken = sqlx::query_scalar::<_, bool>("SELECT pg_try_advisory_lock($1)")
            .bind(lock_key(account_id))
            .fetch_one(connection)
            .await;
        match taken {
            Ok(true) => {
                state.owned.insert(account_id.to_string());
                Ok(true)
            }
            Ok(false) => Ok(false),
            Err(e) => {
                let reason = format!("{e}");
                state.connection = None;
                if !state.owned.is_empty() {
                    state.lost = Some(reason.clone());
                }
                Err(anyhow::anyhow!("cannot claim account {account_id}: {reason}"))
            }
        }
    }

    /// Whether this process still holds its locks: asks the server on the locks' connection.
    /// An error means they may be gone (the process must stop serving the accounts it owned).
    pub(super) async fn check(&self) -> anyhow::Result<()> {
        let mut state = self.state.lock().await;
        if let Some(reason) = &state.lost {
            anyhow::bail!("lost the connection holding account ownership: {reason}");
        }
        let Some(connection) = state.connection.as_mut() else { return Ok(()) };
        if let Err(e) = connection.ping().await {
            let reason = format!("{e}");
            state.connection = None;
            if !state.owned.is_empty() {
                state.lost = Some(reason.clone());
                anyhow::bail!("lost the connection holding account ownership: {reason}");
            }
        }
        Ok(())
    }

    /// The accounts this process owns.
    pub(super) async fn owned(&self) -> Vec<String> {
        self.state.lock().await.owned.iter().cloned().collect()
    }

    /// Releases every account (closes the locks' connection).
    pub(super) async fn release_all(&self) {
        let mut state = self.state.lock().await;
        state.owned.clear();
        if let Some(connection) = state.connection.take() {
            let _ = connection.close().await;
        }
    }
}

impl SqlStore {
    /// Takes `account_id` for this process unless another process on the same database runs
    /// its session; returns whether this process owns it (always, on SQLite).
    pub async fn claim_account(&self, account_id: &str) -> anyhow::Result<bool> {
        match &self.engine {
            Engine::Sqlite(_) => Ok(true),
            Engine::Postgres(db) => db.owners.claim(account_id).await,
        }
    }

    /// Fails when this process may no longer own the accounts it claimed (the connection
    /// holding them was lost): it must then stop serving them.
    pub async fn check_ownership(&self) -> anyhow::Result<()> {
        match &self.engine {
            Engine::Sqlite(_) => Ok(()),
            Engine::Postgres(db) => db.owners.check().await,
        }
    }

    /// The accounts this process has claimed (on PostgreSQL; empty on SQLite, where the
    /// process owns the whole store).
    pub async fn owned_accounts(&self) -> Vec<String> {
        match &self.engine {
            Engine::Sqlite(_) => Vec::new(),
            Engine::Postgres(db) => db.owners.owned().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_account_has_its_own_stable_lock_key() {
        assert_eq!(lock_key("alice"), lock_key("alice"));
        assert_ne!(lock_key("alice"), lock_key("bob"));
    }
}
