//! The HNSW adapter against the exact index (the oracle), its filters, and its files.

use coinswarm_core::memory::workload::clustered;
use coinswarm_core::memory::{
    Condition, ExactIndex, Filter, Metric, QueryOptions, VectorError, VectorIndex, VectorRecord,
};
use coinswarm_memory::{HnswConfig, HnswError, HnswIndex};
use std::path::PathBuf;

/// `n` records and 100 queries drawn from the same clusters.
fn records(n: usize, dimensions: usize, seed: u64) -> (Vec<VectorRecord>, Vec<Vec<f32>>) {
    let mut vectors = clustered(n + 100, dimensions, 20, seed);
    let queries = vectors.split_off(n);
    let records = vectors
        .into_iter()
        .enumerate()
        .map(|(i, values)| {
            VectorRecord::new(format!("episode-{i}"), values)
                .in_namespace(if i % 2 == 0 { "BTC-USD" } else { "ETH-USD" })
                .with("regime", if i % 3 == 0 { "trending" } else { "ranging" })
                .with("time", i as i64)
        })
        .collect();
    (records, queries)
}

/// The graph is built on one thread: inserts spread over threads build a different graph
/// each run, and an approximate index may then miss a given nearest neighbour now and then
/// (the top-1 check below failed that way once in this suite's runs on 2026-12-04).
fn both(metric: Metric, records: &[VectorRecord]) -> (HnswIndex, ExactIndex) {
    let dimensions = records[0].values.len();
    let config = HnswConfig { threads: 1, ..HnswConfig::default() };
    let mut hnsw = HnswIndex::new(metric, dimensions, config).unwrap();
    let mut exact = ExactIndex::new(metric, dimensions);
    hnsw.upsert(records.to_vec()).unwrap();
    exact.upsert(records.to_vec()).unwrap();
    (hnsw, exact)
}

fn ids(found: &[coinswarm_core::memory::Match]) -> Vec<String> {
    found.iter().map(|m| m.id.clone()).collect()
}

/// Share of the exact top-k the approximate index also returned.
fn recall(hnsw: &HnswIndex, exact: &ExactIndex, queries: &[Vec<f32>], options: &QueryOptions) -> f64 {
    let mut hits = 0;
    let mut wanted = 0;
    for query in queries {
        let truth = ids(&exact.query(query, options).unwrap());
        let found = ids(&hnsw.query(query, options).unwrap());
        wanted += truth.len();
        hits += truth.iter().filter(|id| found.contains(id)).count();
    }
    hits as f64 / wanted.max(1) as f64
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("coinswarm-hnsw-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn the_graph_finds_what_the_exact_index_finds_with_the_same_scores() {
    let (data, queries) = records(5_000, 32, 1);
    for metric in [Metric::Cosine, Metric::Euclidean] {
        let (hnsw, exact) = both(metric, &data);
        let r = recall(&hnsw, &exact, &queries, &QueryOptions::top(10));
        assert!(r >= 0.97, "{metric:?}: recall@10 {r}");
        let query = &queries[0];
        let truth = exact.query(query, &QueryOptions::top(1)).unwrap();
        let found = hnsw.query(query, &QueryOptions::top(1)).unwrap();
        assert_eq!(found[0].id, truth[0].id);
        assert!((found[0].score - truth[0].score).abs() < 1e-4, "{metric:?}: {} vs {}", found[0].score, truth[0].score);
    }
}

#[test]
fn namespaces_and_metadata_filters_apply_inside_the_search_and_still_fill_top_k() {
    let (data, queries) = records(4_000, 16, 2);
    let (hnsw, exact) = both(Metric::Cosine, &data);
    let mut options = QueryOptions::top(10);
    options.namespace = Some("ETH-USD".into());
    options.filter = Some(
        Filter::new().and("regime", Condition::Eq("trending".into())).and("time", Condition::Lt(3_000_i64.into())),
    );
    options.return_metadata = true;
    for query in &queries {
        let found = hnsw.query(query, &options).unwrap();
        assert_eq!(found.len(), 10, "a narrow filter still fills top_k");
        for m in &found {
            let n: usize = m.id.trim_start_matches("episode-").parse().unwrap();
            assert!(n % 2 == 1 && n.is_multiple_of(3) && n < 3_000, "{} passes neither namespace nor filter", m.id);
            assert_eq!(m.metadata.as_ref().unwrap()["regime"], "trending".into());
        }
    }
    assert!(recall(&hnsw, &exact, &queries, &options) >= 0.95);
}

#[test]
fn upserts_replace_by_id_deletes_remove_and_reads_return_the_stored_values() {
    let (data, _) = records(2_000, 8, 3);
    let (mut hnsw, _) = both(Metric::Euclidean, &data);
    let moved = VectorRecord::new("episode-5", vec![50.0; 8]).with("regime", "moved");
    hnsw.upsert(vec![moved.clone()]).unwrap();
    assert_eq!(hnsw.len(), 2_000);
    assert_eq!(hnsw.get_by_ids(&["episode-5", "nobody"]), vec![moved]);
    let found = hnsw.query(&[49.0; 8], &QueryOptions::top(1)).unwrap();
    assert_eq!(found[0].id, "episode-5");
    assert_eq!(hnsw.delete_by_ids(&["episode-5", "episode-5", "nobody"]), 1);
    assert_eq!(hnsw.len(), 1_999);
    let found = hnsw.query(&[49.0; 8], &QueryOptions::top(5)).unwrap();
    assert!(found.iter().all(|m| m.id != "episode-5"), "a deleted record is never returned");
}

#[test]
fn a_batch_of_queries_answers_like_single_queries_in_order() {
    let (data, queries) = records(3_000, 16, 4);
    let (hnsw, _) = both(Metric::Cosine, &data);
    let batch = hnsw.query_batch(&queries, &QueryOptions::top(5)).unwrap();
    assert_eq!(batch.len(), queries.len(), "one answer per query");
    for (query, answer) in queries.iter().zip(&batch) {
        assert_eq!(answer.len(), 5);
        assert_eq!(ids(answer), ids(&hnsw.query(query, &QueryOptions::top(5)).unwrap()));
    }
}

#[test]
fn an_observed_upsert_counts_every_record_once_as_the_threads_add_them() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let (records, _) = records(5_000, 16, 4);
    let config = HnswConfig { threads: 2, ..HnswConfig::default() };
    let mut index = HnswIndex::new(Metric::Cosine, 16, config).unwrap();
    let (added, reports) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let written = index
        .upsert_observed(records, &|n| {
            assert!((1..=1_024).contains(&n), "{n} records in one report");
            added.fetch_add(n, Ordering::Relaxed);
            reports.fetch_add(1, Ordering::Relaxed);
        })
        .unwrap();
    assert_eq!((written, index.len(), added.into_inner()), (5_000, 5_000, 5_000));
    // Two threads of 2,500 records: two full steps and a remainder each.
    assert_eq!(reports.into_inner(), 6);
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let mut hnsw = HnswIndex::new(Metric::Cosine, 4, HnswConfig::default()).unwrap();
    hnsw.upsert(vec![VectorRecord::new("a", vec![1.0, 0.0, 0.0, 0.0])]).unwrap();
    let refused =
        hnsw.upsert(vec![VectorRecord::new("b", vec![1.0, 0.0, 0.0, 0.0]), VectorRecord::new("c", vec![0.0; 4])]);
    assert_eq!(refused, Err(VectorError::ZeroVector));
    assert_eq!(hnsw.len(), 1, "nothing of a refused upsert is written");
    assert_eq!(hnsw.query(&[1.0, 0.0], &QueryOptions::top(1)), Err(VectorError::Dimensions { expected: 4, got: 2 }));
    assert_eq!(hnsw.query(&[1.0, 0.0, 0.0, 0.0], &QueryOptions::top(0)), Err(VectorError::TopK(0)));
    assert!(HnswIndex::new(Metric::Cosine, 0, HnswConfig::default()).is_err());
}

#[test]
fn a_saved_index_reopens_with_identical_answers_and_damaged_files_are_refused() {
    let (data, queries) = records(3_000, 16, 5);
    let (mut hnsw, _) = both(Metric::Cosine, &data);
    hnsw.delete_by_ids(&["episode-1", "episode-2"]);
    let dir = scratch("files");
    hnsw.save(&dir).unwrap();
    let reopened = HnswIndex::open(&dir).unwrap();
    assert_eq!(reopened.len(), hnsw.len());
    let mut options = QueryOptions::top(10);
    options.return_metadata = true;
    for query in &queries {
        assert_eq!(reopened.query(query, &options).unwrap(), hnsw.query(query, &options).unwrap());
    }

    // Truncated graph.
    let graph = dir.join("graph.usearch");
    let bytes = std::fs::read(&graph).unwrap();
    std::fs::write(&graph, &bytes[..bytes.len() / 2]).unwrap();
    assert!(matches!(HnswIndex::open(&dir), Err(HnswError::Corrupt(_))));
    std::fs::write(&graph, &bytes).unwrap();
    // Edited entries.
    let entries = dir.join("entries.json");
    let text = std::fs::read_to_string(&entries).unwrap();
    std::fs::write(&entries, text.replacen("episode-3", "episode-X", 1)).unwrap();
    assert!(matches!(HnswIndex::open(&dir), Err(HnswError::Corrupt(_))));
    std::fs::write(&entries, text).unwrap();
    assert!(HnswIndex::open(&dir).is_ok(), "restored files open again");
    // Missing manifest.
    std::fs::remove_file(dir.join("manifest.json")).unwrap();
    assert!(matches!(HnswIndex::open(&dir), Err(HnswError::Missing(_))));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn cosine_vectors_come_back_at_the_length_they_were_given() {
    let mut hnsw = HnswIndex::new(Metric::Cosine, 3, HnswConfig::default()).unwrap();
    hnsw.upsert(vec![
        VectorRecord::new("long", vec![30.0, -40.0, 0.5]),
        VectorRecord::new("short", vec![0.1, 0.2, 0.3]),
    ])
    .unwrap();
    let back = hnsw.get_by_ids(&["long", "short"]);
    let back_ids: Vec<&str> = back.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(back_ids, ["long", "short"], "each record asked for, in the order asked");
    for (record, given) in back.iter().zip([[30.0, -40.0, 0.5], [0.1, 0.2, 0.3]]) {
        assert_eq!(record.values.len(), given.len(), "{} came back as {:?}", record.id, record.values);
        for (v, g) in record.values.iter().zip(given) {
            assert!((v - g).abs() <= g.abs() * 1e-5, "{} came back as {:?}", record.id, record.values);
        }
    }
    let mut options = QueryOptions::top(1);
    options.return_values = true;
    let found = hnsw.query(&[3.0, -4.0, 0.05], &options).unwrap();
    assert_eq!(found[0].id, "long");
    assert!((found[0].score - 1.0).abs() < 1e-5, "same direction: cosine 1, got {}", found[0].score);
    assert!((found[0].values.as_ref().unwrap()[0] - 30.0).abs() < 1e-3);
}
