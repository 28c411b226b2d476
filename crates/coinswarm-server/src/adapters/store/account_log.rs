//! The `AccountLog` port: where account sessions keep their append-only event logs (a
//! Durable Object's storage at the edge; [`SqlStore`] on SQLite or PostgreSQL).

use super::SqlStore;
use coinswarm_core::ledger::AccountEvent;
use std::future::Future;

pub trait AccountLog: Clone + Send + Sync + 'static {
    /// Creates the account if it does not exist; returns whether it was created.
    fn create_account(&self, account_id: &str, now_ms: i64) -> impl Future<Output = anyhow::Result<bool>> + Send;
    /// The account's whole event log, in sequence order.
    fn load_events(&self, account_id: &str) -> impl Future<Output = anyhow::Result<Vec<AccountEvent>>> + Send;
    /// The latest `limit` decision records of an account, newest first.
    fn recent_decisions(
        &self,
        account_id: &str,
        limit: u32,
    ) -> impl Future<Output = anyhow::Result<Vec<String>>> + Send;
    /// Durably appends events and decision records ((time, JSON line)): returns once committed.
    /// `published`: the swarm's decisions as the public may see them, for the edge's stream
    /// (empty without an edge).
    fn commit(
        &self,
        account_id: &str,
        events: &[AccountEvent],
        decisions: &[(i64, &str)],
        published: &[String],
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
}

impl AccountLog for SqlStore {
    fn create_account(&self, account_id: &str, now_ms: i64) -> impl Future<Output = anyhow::Result<bool>> + Send {
        SqlStore::create_account(self, account_id, now_ms)
    }

    fn load_events(&self, account_id: &str) -> impl Future<Output = anyhow::Result<Vec<AccountEvent>>> + Send {
        SqlStore::load_events(self, account_id)
    }

    fn recent_decisions(
        &self,
        account_id: &str,
        limit: u32,
    ) -> impl Future<Output = anyhow::Result<Vec<String>>> + Send {
        SqlStore::recent_decisions(self, account_id, limit)
    }

    fn commit(
        &self,
        account_id: &str,
        events: &[AccountEvent],
        decisions: &[(i64, &str)],
        published: &[String],
    ) -> impl Future<Output = anyhow::Result<()>> + Send {
        SqlStore::commit(self, account_id, events, decisions, published)
    }
}
