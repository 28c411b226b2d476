//! Pattern memory's persistence: the episodes and pattern changes a batch produced are
//! stored with it, and the approximate index is flushed at the end.

use super::Session;
use crate::adapters::store::{AccountLog, EpisodeStore};
use coinswarm_core::memory::EpisodeChange;
use coinswarm_core::swarm::Swarm;

impl<L: AccountLog + EpisodeStore> Session<L> {
    /// Stores what pattern memory changed in this batch: new episodes, realised outcomes,
    /// audit records and patterns. A failure is logged and the session goes on: the SQL
    /// store stays the source of truth, and the index is rebuilt from it at the next start
    /// when the two differ.
    pub(super) async fn persist_memory(&mut self) {
        let Some(recall) = self.swarm.as_mut().and_then(Swarm::recall_mut) else { return };
        if let Some(err) = recall.take_index_error() {
            tracing::error!(account = %self.account_id, "pattern memory's index refused episodes (they stay in the store): {err}");
        }
        let (changes, audit, patterns) = recall.take_changes();
        let mut recorded = Vec::new();
        let mut resolved = Vec::new();
        for change in changes {
            match change {
                EpisodeChange::Recorded(episode) => recorded.push(episode),
                EpisodeChange::Resolved { id, outcome } => resolved.push((id, outcome)),
            }
        }
        let result: anyhow::Result<()> = async {
            if !recorded.is_empty() {
                self.store.record_episodes(&recorded).await?;
            }
            for (id, outcome) in resolved {
                self.store.set_outcome(&id, outcome).await?;
            }
            if !audit.is_empty() {
                self.store.append_audit(&audit).await?;
            }
            if let Some(patterns) = patterns {
                self.store.save_patterns(&patterns).await?;
            }
            Ok(())
        }
        .await;
        if let Err(err) = result {
            tracing::error!(account = %self.account_id, "pattern memory not stored: {err:#}");
        }
    }

    /// Saves the vector index to its folder (at shutdown).
    pub(super) fn flush_memory(&mut self) {
        if let Some(recall) = self.swarm.as_mut().and_then(Swarm::recall_mut)
            && let Err(err) = recall.memory_mut().index_mut().flush()
        {
            tracing::warn!(account = %self.account_id, "the pattern memory index was not saved (it is rebuilt at the next start): {err}");
        }
    }
}
