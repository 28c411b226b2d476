//! Ownership of accounts across processes: on one PostgreSQL database, each account's
//! session runs in exactly one `coinswarm up`. A process owns an account while it holds a
//! session-scoped advisory lock named after it, on a connection kept for that alone: when the
//! process dies its connection closes and PostgreSQL releases every lock it held, so another
//! process can take the accounts over. On SQLite the data directory's lock file already
//! gives one process the whole store, so every claim succeeds there.
//!
//! Taking an account also raises its fencing token (`account_owners`), and every group commit
//! checks the tokens of the accounts it writes for (see `migrations/postgres/0009`): a process
//! that lost its locks and has not noticed yet (it checks every second) commits nothing more
//! for them.

use super::SqlStore;
use super::sql::Engine;
use anyhow::Context;
use sha2_full::{Digest, Sha256};
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// How long opening the locks' connection, or asking on it, may take before the process
/// counts it as lost.
const OWNERSHIP_TIMEOUT: Duration = Duration::from_secs(5);
/// TCP keepalives the server sends on the locks' connection (idle seconds, interval, probes):
/// a process whose host vanished without closing its connection loses its locks within
/// about 5 + 2 × 3 = 11 s, not the system's default of hours.
const KEEPALIVE: [(&str, &str); 3] =
    [("tcp_keepalives_idle", "5"), ("tcp_keepalives_interval", "2"), ("tcp_keepalives_count", "3")];

/// The accounts this process owns, and the connection holding their locks.
#[derive(Debug, Clone)]
pub(super) struct Owners {
    options: Arc<PgConnectOptions>,
    state: Arc<tokio::sync::Mutex<State>>,
    /// The fencing token this process got for each account it took (read by every commit).
    tokens: Arc<RwLock<HashMap<String, i64>>>,
}

/// Raises an account's fencing token, on the locks' connection, once its lock is taken.
const RAISE_TOKEN: &str = "INSERT INTO account_owners (account_id, token) VALUES ($1, 1)
   ON CONFLICT (account_id) DO UPDATE SET token = account_owners.token + 1 RETURNING token";

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
        Self { options: Arc::new(options.options(KEEPALIVE)), state: Arc::default(), tokens: Arc::default() }
    }

    /// The fencing tokens of those of `accounts` this process took (others are not fenced:
    /// analytics, or a write for an account no session runs), as the group commit binds them.
    pub(super) fn fences<'a>(&self, accounts: impl Iterator<Item = &'a str>) -> (Vec<String>, Vec<i64>) {
        let tokens = self.tokens.read().unwrap_or_else(|p| p.into_inner());
        let mut fenced: Vec<(String, i64)> = Vec::new();
        for account in accounts {
            if let Some(&token) = tokens.get(account)
                && !fenced.iter().any(|(known, _)| known == account)
            {
                fenced.push((account.to_string(), token));
            }
        }
        fenced.into_iter().unzip()
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
            let connection = tokio::time::timeout(OWNERSHIP_TIMEOUT, PgConnection::connect_with(&self.options))
                .await
                .map_err(|_| anyhow::anyhow!("PostgreSQL did not answer within {OWNERSHIP_TIMEOUT:?}"))
                .and_then(|connected| Ok(connected?))
                .context("cannot open the connection that holds account ownership")?;
            state.connection = Some(connection);
        }
        let connection = state.connection.as_mut().expect("connected above");
        let taken = tokio::time::timeout(OWNERSHIP_TIMEOUT, take_with_token(connection, account_id))
            .await
            .unwrap_or_else(|_| Err(format!("no answer within {OWNERSHIP_TIMEOUT:?}")));
        match taken {
            Ok(Some(token)) => {
                state.owned.insert(account_id.to_string());
                self.tokens.write().unwrap_or_else(|p| p.into_inner()).insert(account_id.to_string(), token);
                Ok(true)
            }
            Ok(None) => Ok(false),
            Err(reason) => {
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
        let answered = match tokio::time::timeout(OWNERSHIP_TIMEOUT, connection.ping()).await {
            Ok(answer) => answer.map_err(|e| e.to_string()),
            Err(_) => Err(format!("no answer within {OWNERSHIP_TIMEOUT:?}")),
        };
        if let Err(reason) = answered {
            state.connection = None;
            if !state.owned.is_empty() {
                state.lost = Some(reason.clone());
                anyhow::bail!("lost the connection holding account ownership: {reason}");
            }
        }
        Ok(())
    }

    /// Releases every account: unlocks them (so another process can take them at once, not
    /// once the server has noticed the connection close) and closes the locks' connection.
    pub(super) async fn release_all(&self) {
        let mut state = self.state.lock().await;
        state.owned.clear();
        if let Some(mut connection) = state.connection.take() {
            let unlock = sqlx::query("SELECT pg_advisory_unlock_all()").execute(&mut connection);
            let _ = tokio::time::timeout(OWNERSHIP_TIMEOUT, unlock).await;
            let _ = connection.close().await;
        }
    }
}

/// Takes `account_id`'s lock if nobody holds it, then raises its fencing token: the token, or
/// `None` when another process holds the account.
async fn take_with_token(connection: &mut PgConnection, account_id: &str) -> Result<Option<i64>, String> {
    let asked = sqlx::query_scalar::<_, bool>("SELECT pg_try_advisory_lock($1)").bind(lock_key(account_id));
    if !asked.fetch_one(&mut *connection).await.map_err(|e| e.to_string())? {
        return Ok(None);
    }
    let raised = sqlx::query_scalar::<_, i64>(RAISE_TOKEN).bind(account_id).fetch_one(&mut *connection).await;
    raised.map(Some).map_err(|e| format!("cannot raise the fencing token of {account_id}: {e}"))
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

    /// Whether this process is the store's only user (SQLite: the data directory's lock
    /// says so), or may share it with other processes (PostgreSQL).
    pub fn serves_alone(&self) -> bool {
        matches!(self.engine, Engine::Sqlite(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::store::testing;
    use crate::adapters::store::{Database, SqlStore};
    use sqlx::migrate::MigrateDatabase;

    #[tokio::test]
    async fn one_process_owns_an_account_until_it_closes_or_loses_its_connection() {
        let first = testing::postgres("owners").await;
        let second = SqlStore::connect(&first.database, crate::clock::SystemClock::shared()).await.unwrap();
        assert!(first.store.claim_account("alice").await.unwrap());
        assert!(first.store.claim_account("alice").await.unwrap(), "a claim is kept: asking again is a yes");
        assert!(!second.claim_account("alice").await.unwrap(), "the other store is refused");
        assert!(second.claim_account("bob").await.unwrap());
        assert!(!first.store.claim_account("bob").await.unwrap());

        // The first closes: its accounts pass to the second.
        let database = first.database.clone();
        first.store.close().await;
        assert!(second.claim_account("alice").await.unwrap());

        // The second's lock connection is cut by the server: it knows it may no longer own
        // its accounts, and claims nothing more.
        let Database::Postgres(url) = &database else { unreachable!() };
        let admin = sqlx::PgPool::connect(url).await.unwrap();
        let cut: i64 = sqlx::query_scalar(
            "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' AND granted
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        )
        .fetch_one(&admin)
        .await
        .unwrap();
        assert!(cut >= 1, "the holder of the locks was found");
        let lost = second.check_ownership().await.unwrap_err().to_string();
        assert!(lost.contains("lost the connection holding account ownership"), "{lost}");
        let refused = second.claim_account("carol").await.unwrap_err().to_string();
        assert!(refused.contains("restart"), "{refused}");
        admin.close().await;
        second.close().await;
        sqlx::Postgres::force_drop_database(url).await.unwrap();
    }

    #[tokio::test]
    async fn a_process_that_lost_an_account_unnoticed_commits_nothing_more_for_it() {
        let old = testing::postgres("fenced").await;
        let Database::Postgres(url) = &old.database else { unreachable!() };
        let new = SqlStore::connect(&old.database, crate::clock::SystemClock::shared()).await.unwrap();
        old.store.create_account("alice", 0).await.unwrap();
        assert!(old.store.claim_account("alice").await.unwrap());
        old.store.commit("alice", &[], &[(1, r#"{"n":1}"#)], &[]).await.unwrap();

        // The old owner's lock connection is cut and it has not checked since; the new owner
        // takes the account.
        let admin = sqlx::PgPool::connect(url).await.unwrap();
        sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        )
        .execute(&admin)
        .await
        .unwrap();
        assert!(new.claim_account("alice").await.unwrap());

        let refused = old.store.commit("alice", &[], &[(2, r#"{"n":2}"#)], &[]).await.unwrap_err();
        let refused = format!("{refused:#}");
        assert!(refused.contains("alice is now served by another coinswarm process"), "{refused}");
        assert_eq!(new.recent_decisions("alice", 10).await.unwrap(), vec![r#"{"n":1}"#.to_string()]);
        new.commit("alice", &[], &[(3, r#"{"n":3}"#)], &[]).await.unwrap();
        let kept = new.recent_decisions("alice", 10).await.unwrap();
        assert_eq!(kept, vec![r#"{"n":3}"#.to_string(), r#"{"n":1}"#.to_string()], "the new owner writes on");

        admin.close().await;
        old.store.close().await;
        new.close().await;
        sqlx::Postgres::force_drop_database(url).await.unwrap();
    }

    #[test]
    fn each_account_has_its_own_stable_lock_key() {
        assert_eq!(lock_key("alice"), lock_key("alice"));
        assert_ne!(lock_key("alice"), lock_key("bob"));
    }
}
