//! Pattern memory's vector index on disk: opened from its folder when it is intact and
//! matches the resolved episodes in the SQL store (the index holds an episode once its
//! outcome is known), rebuilt from them otherwise (missing, truncated or edited files, or
//! episodes the saved index does not have), then saved again. A rebuild
//! is deterministic, so it answers queries exactly as the index it replaces.

use crate::adapters::store::EpisodeStore;
use crate::progress::Progress;
use anyhow::Context;
use coinswarm_core::market::Granularity;
use coinswarm_core::memory::{AuditLog, Episode, Metric, Sample, VectorIndex, verify};
use coinswarm_core::swarm::{RecallAgent, SwarmConfig};
use coinswarm_memory::{HnswConfig, HnswError, HnswIndex};
use rust_decimal::prelude::ToPrimitive;
use std::path::Path;

/// The folder of the index, under the data directory.
pub const INDEX_DIR: &str = "memory-index";

/// The swarm's recall agent over the data directory's memory: the HNSW index (opened or
/// rebuilt), the stored patterns of `product_id`, the audit log (refused when its chain is
/// broken: learned memory that may have been tampered with is not used), and the most recent
/// resolved episodes to keep learning from. It reports every change for storage. A rebuild
/// tells `progress` of each episode it indexes.
pub async fn open_recall_agent(
    data_dir: &Path,
    store: &impl EpisodeStore,
    swarm: &SwarmConfig,
    product_id: &str,
    granularity: Granularity,
    expansion_search: usize,
    progress: &dyn Progress,
) -> anyhow::Result<(RecallAgent, IndexOrigin)> {
    let recall = &swarm.recall;
    let config = HnswConfig { expansion_search, ..HnswConfig::default() };
    let max_records = recall.max_indexed_episodes;
    // The store is read once: the index, the learning samples and the pending decisions all
    // come from the same episodes.
    let episodes = store.episodes().await?;
    let indexed = latest_resolved(&episodes, max_records);
    let indexed_ids: Vec<String> = indexed.iter().map(|e| e.id.clone()).collect();
    let (index, origin) = open_or_rebuild_from(
        &data_dir.join(INDEX_DIR),
        indexed,
        Metric::Cosine,
        recall.state.dimensions,
        config,
        progress,
    )?;
    let records = store.audit_log().await?;
    verify(&records).map_err(|broken| {
        anyhow::anyhow!(
            "pattern memory's audit log is broken ({broken}); see `coinswarm memory audit --verify`, or start with memory.enabled = false"
        )
    })?;
    let patterns = store.patterns().await?.into_iter().filter(|p| p.product_id == product_id).collect();
    let fee = 2.0 * swarm.exchange.taker_fee_bps.to_f64().unwrap_or(0.0) / 10_000.0;
    let mut agent = RecallAgent::with_memory(
        recall.clone(),
        product_id,
        granularity.millis(),
        fee,
        Box::new(index),
        patterns,
        AuditLog::from_records(records),
    )
    .context("pattern memory's settings")?;
    agent.memory_mut().restore_indexed(indexed_ids);
    let mut pending = Vec::new();
    let mut samples = Vec::new();
    for e in episodes.into_iter().filter(|e| e.product_id == product_id) {
        match e.outcome {
            Some(outcome) => samples.push(Sample { time_ms: e.time_ms, state: e.state, outcome, regime: e.regime }),
            // Decisions whose horizon had not ended at the last stop resolve as they come due.
            None if e.price > 0.0 => pending.push(e),
            None => {}
        }
    }
    let keep = samples.len().saturating_sub(recall.patterns.max_samples);
    agent.memory_mut().restore_samples(samples.into_iter().skip(keep));
    agent.memory_mut().restore_pending(pending);
    agent.memory_mut().keep_changes(true);
    Ok((agent, origin))
}

/// The latest `max_records` episodes with a known outcome, oldest first: what the index holds.
fn latest_resolved(episodes: &[Episode], max_records: usize) -> Vec<&Episode> {
    let mut resolved: Vec<&Episode> = episodes.iter().filter(|e| e.outcome.is_some()).collect();
    let excess = resolved.len().saturating_sub(max_records);
    resolved.drain(..excess);
    resolved
}

/// How the index came to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexOrigin {
    /// Loaded from its files.
    Loaded,
    /// Built again from the SQL store, for this reason.
    Rebuilt(String),
}

/// Opens the index saved in `dir`, or rebuilds it from `store`'s episodes (see the module
/// documentation), telling `progress` of each episode a rebuild indexes.
pub async fn open_or_rebuild(
    dir: &Path,
    store: &impl EpisodeStore,
    metric: Metric,
    dimensions: usize,
    config: HnswConfig,
    max_records: usize,
    progress: &dyn Progress,
) -> anyhow::Result<(HnswIndex, IndexOrigin)> {
    let episodes = store.episodes().await?;
    open_or_rebuild_from(dir, latest_resolved(&episodes, max_records), metric, dimensions, config, progress)
}

/// The same from the episodes the index must hold (oldest first).
fn open_or_rebuild_from(
    dir: &Path,
    episodes: Vec<&Episode>,
    metric: Metric,
    dimensions: usize,
    config: HnswConfig,
    progress: &dyn Progress,
) -> anyhow::Result<(HnswIndex, IndexOrigin)> {
    let reason = match HnswIndex::open(dir) {
        Ok(index)
            if index.len() == episodes.len()
                && index.metric() == metric
                && index.dimensions() == dimensions
                && episodes.iter().all(|e| index.contains(&e.id)) =>
        {
            // Opening makes `dir` the folder `flush` saves to.
            return Ok((index, IndexOrigin::Loaded));
        }
        Ok(index) => format!(
            "the saved index ({} records, {:?}, {} dimensions) does not match the store ({} resolved episodes, {metric:?}, {dimensions})",
            index.len(),
            index.metric(),
            index.dimensions(),
            episodes.len()
        ),
        Err(HnswError::Missing(_)) => "no saved index".to_string(),
        Err(err) => err.to_string(),
    };
    tracing::info!(%reason, episodes = episodes.len(), "rebuilding the pattern memory index from the SQL store");
    // One thread, episodes in time order: the graph comes out the same on every rebuild
    // (USearch draws node levels from a fixed-seed generator), and the same as an index
    // that took the episodes one by one as they happened.
    // The live index grows one episode at a time with `expansion_insert`; the rebuild uses
    // the same for every episode so that it is that same graph.
    let rebuild = HnswConfig { threads: 1, expansion_add: config.expansion_insert, ..config };
    let mut index = HnswIndex::new(metric, dimensions, rebuild)?;
    progress.start(episodes.len() as u64);
    index.upsert_observed(episodes.iter().map(|e| e.to_record()).collect(), &|added| progress.advance(added as u64))?;
    index.set_threads(config.threads);
    index.save(dir)?;
    index.persist_to(dir);
    Ok((index, IndexOrigin::Rebuilt(reason)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::store::SqlStore;
    use crate::progress::Unwatched;
    use coinswarm_core::memory::workload::clustered;
    use coinswarm_core::memory::{Episode, QueryOptions};

    fn draw(n: usize) -> (Vec<Episode>, Vec<Vec<f32>>) {
        let mut vectors = clustered(n + 20, 16, 10, 3);
        let queries = vectors.split_off(n);
        let episodes = vectors
            .into_iter()
            .enumerate()
            .map(|(i, state)| Episode {
                id: format!("episode-{i:05}"),
                product_id: "BTC-USD".into(),
                time_ms: i as i64 * 3_600_000,
                horizon_end_ms: (i as i64 + 24) * 3_600_000,
                regime: if i % 2 == 0 { "trending" } else { "ranging" }.into(),
                action: "BUY".into(),
                price: 100.0,
                state,
                outcome: (i % 3 != 0).then_some(i as f64 * 1e-4),
            })
            .collect();
        (episodes, queries)
    }

    /// A fresh store in a scratch directory named `name`, holding `n` drawn episodes, and
    /// queries near them.
    async fn store_with(name: &str, n: usize) -> (std::path::PathBuf, SqlStore, Vec<Episode>, Vec<Vec<f32>>) {
        let dir = std::env::temp_dir().join(format!("coinswarm-memory-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = SqlStore::open(&dir, crate::clock::SystemClock::shared()).await.unwrap();
        let (episodes, queries) = draw(n);
        store.record_episodes(&episodes).await.unwrap();
        (dir, store, episodes, queries)
    }

    #[tokio::test]
    async fn deleted_or_damaged_index_files_are_rebuilt_from_sql_with_identical_answers() {
        let (dir, store, _, queries) = store_with("index", 2_000).await;
        let index_dir = dir.join("memory");
        let config = HnswConfig::default();
        let open = || open_or_rebuild(&index_dir, &store, Metric::Cosine, 16, config, 1_000_000, &Unwatched);

        let (first, origin) = open().await.unwrap();
        assert_eq!(origin, IndexOrigin::Rebuilt("no saved index".into()));
        let mut options = QueryOptions::top(10);
        options.return_metadata = true;
        let answers =
            |index: &HnswIndex| -> Vec<_> { queries.iter().map(|q| index.query(q, &options).unwrap()).collect() };
        let expected = answers(&first);

        let (loaded, origin) = open().await.unwrap();
        assert_eq!(origin, IndexOrigin::Loaded);
        assert_eq!(answers(&loaded), expected);

        // Truncated graph file.
        let graph = index_dir.join("graph.usearch");
        let length = std::fs::metadata(&graph).unwrap().len();
        std::fs::OpenOptions::new().write(true).open(&graph).unwrap().set_len(length / 3).unwrap();
        let (rebuilt, origin) = open().await.unwrap();
        assert!(matches!(&origin, IndexOrigin::Rebuilt(reason) if reason.contains("damaged")), "{origin:?}");
        assert_eq!(answers(&rebuilt), expected);

        // Every file deleted.
        std::fs::remove_dir_all(&index_dir).unwrap();
        let (rebuilt, origin) = open().await.unwrap();
        assert_eq!(origin, IndexOrigin::Rebuilt("no saved index".into()));
        assert_eq!(answers(&rebuilt), expected);

        // An episode the saved index lacks (stored after the index was saved).
        let (more, _) = draw(2_001);
        store.record_episodes(&more[2_000..]).await.unwrap();
        let (caught_up, origin) = open().await.unwrap();
        assert!(matches!(origin, IndexOrigin::Rebuilt(_)));
        // Only episodes with a known outcome are indexed: recall may find nothing else.
        assert_eq!(caught_up.len(), more.iter().filter(|e| e.outcome.is_some()).count());
        assert!(caught_up.contains("episode-02000") && !caught_up.contains("episode-01998"));

        // An outcome arrives once the horizon has passed; an unknown episode is reported.
        assert!(store.set_outcome("episode-02000", 0.0125).await.unwrap());
        assert!(!store.set_outcome("no-such-episode", 0.01).await.unwrap());
        assert!(store.set_outcome("episode-02000", f64::NAN).await.is_err());
        let stored = store.episodes().await.unwrap();
        assert_eq!(stored.last().unwrap().outcome, Some(0.0125));

        // A capped index holds only the latest resolved episodes.
        let capped_dir = dir.join("capped");
        let (capped, _) =
            open_or_rebuild(&capped_dir, &store, Metric::Cosine, 16, config, 100, &Unwatched).await.unwrap();
        assert_eq!(capped.len(), 100);
        assert!(capped.contains("episode-02000") && !capped.contains("episode-00001"));

        // A repeated episode id is refused and nothing of its batch is written.
        assert!(store.record_episodes(&more[1_999..]).await.is_err());
        assert_eq!(store.episodes().await.unwrap().len(), 2_001);
        store.close().await;
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// What a rebuild told its watcher: the totals it started with and the units it advanced.
    #[derive(Default)]
    struct Counted {
        totals: std::sync::Mutex<Vec<u64>>,
        done: std::sync::atomic::AtomicU64,
    }

    impl Progress for Counted {
        fn start(&self, total: u64) {
            self.totals.lock().unwrap().push(total);
        }
        fn advance(&self, units: u64) {
            self.done.fetch_add(units, std::sync::atomic::Ordering::Relaxed);
        }
        fn note(&self, _: &str) {}
    }

    #[tokio::test]
    async fn a_rebuild_counts_every_episode_it_indexes_and_a_load_counts_nothing() {
        let (dir, store, episodes, _) = store_with("progress", 3_000).await;
        let resolved = episodes.iter().filter(|e| e.outcome.is_some()).count() as u64;
        let index_dir = dir.join("memory");
        let config = HnswConfig { threads: 2, ..HnswConfig::default() };

        let rebuilt = Counted::default();
        let (_, origin) =
            open_or_rebuild(&index_dir, &store, Metric::Cosine, 16, config, 1_000_000, &rebuilt).await.unwrap();
        assert!(matches!(origin, IndexOrigin::Rebuilt(_)));
        assert_eq!(*rebuilt.totals.lock().unwrap(), [resolved]);
        assert_eq!(rebuilt.done.into_inner(), resolved);

        let loaded = Counted::default();
        let (_, origin) =
            open_or_rebuild(&index_dir, &store, Metric::Cosine, 16, config, 1_000_000, &loaded).await.unwrap();
        assert_eq!(origin, IndexOrigin::Loaded);
        assert!(loaded.totals.lock().unwrap().is_empty());
        assert_eq!(loaded.done.into_inner(), 0);
        store.close().await;
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn the_audit_log_round_trips_through_the_store_and_tampering_is_named() {
        use coinswarm_core::memory::{AuditLog, verify};
        let dir = std::env::temp_dir().join(format!("coinswarm-memory-audit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = SqlStore::open(&dir, crate::clock::SystemClock::shared()).await.unwrap();
        let mut log = AuditLog::default();
        for i in 0..4 {
            log.append(i, "proposal", format!("{{\"n\":{i}}}"));
        }
        store.append_audit(log.records()).await.unwrap();
        let stored = store.audit_log().await.unwrap();
        assert_eq!(stored, log.records());
        assert_eq!(verify(&stored), Ok(()));
        let mut tampered = stored;
        tampered[1].payload = "{\"n\":7}".into();
        assert_eq!(verify(&tampered).unwrap_err().seq, 2);
        store.close().await;
        std::fs::remove_dir_all(dir).unwrap();
    }
}
