//! `coinswarm bench vectors`: the pattern memory's approximate index (HNSW) on synthetic
//! embeddings: build time, inserts into the built index, query latency for k = 10 and 100,
//! a batch of 100 queries on all threads, recall against the exact index, memory.

use super::progress::{Output, WorkBar};
use anyhow::bail;
use clap::{Args, ValueEnum};
use coinswarm_core::memory::workload::{clustered, uniform};
use coinswarm_core::memory::{ExactIndex, Metric, QueryOptions, VectorIndex, VectorRecord};
use coinswarm_memory::{HnswConfig, HnswIndex, VectorPrecision};
use serde::Serialize;
use std::io::Write;
use std::time::Instant;

#[derive(Debug, Args)]
pub struct VectorBenchArgs {
    /// Vectors in the index.
    #[arg(long, default_value_t = 1_000_000)]
    n: usize,
    /// Dimensions of each vector.
    #[arg(long, default_value_t = 64)]
    dim: usize,
    /// The smaller k measured (the larger is always 100).
    #[arg(long, default_value_t = 10)]
    k: usize,
    /// Which data: clustered (like market-state embeddings), uniform (the worst case), or both.
    #[arg(long, value_enum, default_value_t = Workload::Both)]
    workload: Workload,
    #[arg(long, value_parser = ["cosine", "euclidean"], default_value = "cosine")]
    metric: String,
    /// Timed single queries for each k.
    #[arg(long, default_value_t = 2_000)]
    queries: usize,
    /// Queries also answered by the exact index, for recall (each compares all N vectors).
    #[arg(long, default_value_t = 200)]
    recall_queries: usize,
    /// Vectors inserted into the built index, in batches of 1,000, for the insert rate.
    #[arg(long, default_value_t = 50_000)]
    inserts: usize,
    /// Graph links per node (upper layers; twice on the bottom one).
    #[arg(long, default_value_t = HnswConfig::default().connectivity)]
    connectivity: usize,
    /// Candidates kept while building (efConstruction).
    #[arg(long, default_value_t = HnswConfig::default().expansion_add)]
    ef_construction: usize,
    /// Candidates kept while inserting into the built index.
    #[arg(long, default_value_t = HnswConfig::default().expansion_insert)]
    ef_insert: usize,
    /// Candidates kept while searching (ef).
    #[arg(long, default_value_t = HnswConfig::default().expansion_search)]
    ef: usize,
    /// How the graph stores vectors.
    #[arg(long, value_enum, default_value_t = Precision::F32)]
    precision: Precision,
    /// Threads for the build, the inserts and the batch of queries.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Seed of the synthetic vectors.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Precision {
    F32,
    F16,
    Bf16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Workload {
    Clustered,
    Uniform,
    Both,
}

/// Clusters (typical market states) in the clustered workload.
const CLUSTERS: usize = 1_000;
/// Queries in one batch.
const BATCH: usize = 100;
/// Batches timed.
const BATCHES: usize = 30;

#[derive(Debug, Serialize)]
struct Report {
    workload: &'static str,
    vectors: usize,
    dimensions: usize,
    metric: String,
    config: HnswConfig,
    build_seconds: f64,
    build_vectors_per_second: f64,
    inserts_per_second: f64,
    /// The slowest upsert of 1,000 (the one that grows the index's capacity, if any), ms.
    insert_batch_max_ms: f64,
    /// The median upsert of 1,000, ms.
    insert_batch_p50_ms: f64,
    k: usize,
    query_p50_ms: f64,
    query_p99_ms: f64,
    recall_at_k: f64,
    k100_p50_ms: f64,
    k100_p99_ms: f64,
    recall_at_100: f64,
    batch_of_100_p50_ms: f64,
    batch_of_100_max_ms: f64,
    index_memory_mib: f64,
    process_peak_mib: Option<f64>,
}

pub fn run(args: &VectorBenchArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    if args.n == 0 || args.dim == 0 || args.queries == 0 || args.threads == 0 {
        bail!("--n, --dim, --queries and --threads must be at least 1");
    }
    if args.k == 0 || args.k > coinswarm_core::memory::MAX_TOP_K {
        bail!("--k must be between 1 and {}", coinswarm_core::memory::MAX_TOP_K);
    }
    let metric = Metric::parse(&args.metric).unwrap_or(Metric::Cosine);
    let workloads: &[Workload] = match args.workload {
        Workload::Both => &[Workload::Clustered, Workload::Uniform],
        Workload::Clustered => &[Workload::Clustered],
        Workload::Uniform => &[Workload::Uniform],
    };
    let mut reports = Vec::new();
    for workload in workloads {
        let report = measure(args, *workload, metric)?;
        if !args.json {
            print_report(&report, out)?;
        }
        reports.push(report);
    }
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &reports)?;
        writeln!(out)?;
    }
    Ok(())
}

fn vectors(workload: Workload, n: usize, dim: usize, seed: u64) -> Vec<Vec<f32>> {
    match workload {
        Workload::Uniform => uniform(n, dim, seed),
        _ => clustered(n, dim, CLUSTERS, seed),
    }
}

fn measure(args: &VectorBenchArgs, workload: Workload, metric: Metric) -> anyhow::Result<Report> {
    let config = HnswConfig {
        connectivity: args.connectivity,
        expansion_add: args.ef_construction,
        expansion_insert: args.ef_insert,
        expansion_search: args.ef,
        threads: args.threads,
        precision: match args.precision {
            Precision::F32 => VectorPrecision::F32,
            Precision::F16 => VectorPrecision::F16,
            Precision::Bf16 => VectorPrecision::Bf16,
        },
    };
    // One draw: the index, then the inserts, then the queries (same distribution).
    let total = args.n + args.inserts + args.queries.max(args.recall_queries);
    let mut all = vectors(workload, total, args.dim, args.seed);
    let queries = all.split_off(args.n + args.inserts);
    let inserts = all.split_off(args.n);
    let records: Vec<VectorRecord> =
        all.into_iter().enumerate().map(|(i, values)| VectorRecord::new(format!("v{i}"), values)).collect();

    let name = match workload {
        Workload::Uniform => "uniform",
        _ => "clustered",
    };
    let progress = WorkBar::new(&format!("{name} vectors inserted"), Output::json_if(args.json));
    progress.start((args.n + args.inserts) as u64);

    let mut hnsw = HnswIndex::new(metric, args.dim, config)?;
    let started = Instant::now();
    hnsw.upsert_observed(records.clone(), &|added| progress.advance(added as u64))?;
    let build_seconds = started.elapsed().as_secs_f64();

    let mut exact = ExactIndex::new(metric, args.dim);
    exact.upsert(records)?;

    let extra: Vec<VectorRecord> =
        inserts.into_iter().enumerate().map(|(i, values)| VectorRecord::new(format!("insert{i}"), values)).collect();
    let started = Instant::now();
    let mut batch_times = Vec::with_capacity(extra.len() / 1_000 + 1);
    for chunk in extra.chunks(1_000) {
        let batch_started = Instant::now();
        hnsw.upsert(chunk.to_vec())?;
        batch_times.push(batch_started.elapsed().as_secs_f64() * 1000.0);
        progress.advance(chunk.len() as u64);
    }
    let inserts_seconds = started.elapsed().as_secs_f64();
    progress.finish();
    batch_times.sort_by(f64::total_cmp);
    let insert_batch_max_ms = batch_times.last().copied().unwrap_or(0.0);
    let insert_batch_p50_ms = batch_times.get(batch_times.len() / 2).copied().unwrap_or(0.0);
    let inserts_per_second = if extra.is_empty() { 0.0 } else { extra.len() as f64 / inserts_seconds };
    exact.upsert(extra)?;

    let (query_p50_ms, query_p99_ms) = latencies(&hnsw, &queries[..args.queries], args.k)?;
    let (k100_p50_ms, k100_p99_ms) = latencies(&hnsw, &queries[..args.queries], 100)?;
    let recall_queries = &queries[..args.recall_queries.min(queries.len())];
    let recall_at_k = recall(&hnsw, &exact, recall_queries, args.k)?;
    let recall_at_100 = recall(&hnsw, &exact, recall_queries, 100)?;

    let mut batch_ms = Vec::new();
    let batch_queries: Vec<Vec<f32>> = queries.iter().cycle().take(BATCH).cloned().collect();
    for _ in 0..BATCHES {
        let started = Instant::now();
        let answers = hnsw.query_batch(&batch_queries, &QueryOptions::top(args.k))?;
        batch_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(answers);
    }
    batch_ms.sort_by(f64::total_cmp);

    Ok(Report {
        workload: name,
        vectors: args.n,
        dimensions: args.dim,
        metric: args.metric.clone(),
        config,
        build_seconds,
        build_vectors_per_second: args.n as f64 / build_seconds,
        inserts_per_second,
        insert_batch_max_ms,
        insert_batch_p50_ms,
        k: args.k,
        query_p50_ms,
        query_p99_ms,
        recall_at_k,
        k100_p50_ms,
        k100_p99_ms,
        recall_at_100,
        batch_of_100_p50_ms: batch_ms[batch_ms.len() / 2],
        batch_of_100_max_ms: *batch_ms.last().unwrap_or(&0.0),
        index_memory_mib: hnsw.memory_usage() as f64 / (1024.0 * 1024.0),
        process_peak_mib: super::bench::peak_memory_kib().map(|kib| kib as f64 / 1024.0),
    })
}

/// p50 and p99 (ms) of single queries, one after another on one thread.
fn latencies(index: &HnswIndex, queries: &[Vec<f32>], k: usize) -> anyhow::Result<(f64, f64)> {
    let options = QueryOptions::top(k);
    let mut ms = Vec::with_capacity(queries.len());
    for query in queries {
        let started = Instant::now();
        let found = index.query(query, &options)?;
        ms.push(started.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(found);
    }
    ms.sort_by(f64::total_cmp);
    let at = |p: f64| ms[((ms.len() as f64 * p) as usize).min(ms.len() - 1)];
    Ok((at(0.50), at(0.99)))
}

/// Share of the exact top-k that the graph also returned.
fn recall(index: &HnswIndex, exact: &ExactIndex, queries: &[Vec<f32>], k: usize) -> anyhow::Result<f64> {
    let options = QueryOptions::top(k);
    let (mut hits, mut wanted) = (0usize, 0usize);
    for query in queries {
        let truth = exact.query(query, &options)?;
        let found = index.query(query, &options)?;
        wanted += truth.len();
        hits += truth.iter().filter(|t| found.iter().any(|f| f.id == t.id)).count();
    }
    Ok(hits as f64 / wanted.max(1) as f64)
}

fn print_report(r: &Report, out: &mut dyn Write) -> anyhow::Result<()> {
    writeln!(
        out,
        "{} vectors × {} dims, {}, {} (M {}, ef_construction {}, ef_insert {}, ef {}, {} threads)",
        r.vectors,
        r.dimensions,
        r.workload,
        r.metric,
        r.config.connectivity,
        r.config.expansion_add,
        r.config.expansion_insert,
        r.config.expansion_search,
        r.config.threads
    )?;
    writeln!(out, "build             {:.1} s ({:.0} vectors/s)", r.build_seconds, r.build_vectors_per_second)?;
    writeln!(
        out,
        "inserts           {:.0} vectors/s into the built index (batches of 1,000: p50 {:.1} ms, slowest {:.1} ms)",
        r.inserts_per_second, r.insert_batch_p50_ms, r.insert_batch_max_ms
    )?;
    writeln!(
        out,
        "query k={:<4}      p50 {:.3} ms, p99 {:.3} ms, recall@{} {:.4}",
        r.k, r.query_p50_ms, r.query_p99_ms, r.k, r.recall_at_k
    )?;
    writeln!(
        out,
        "query k=100       p50 {:.3} ms, p99 {:.3} ms, recall@100 {:.4}",
        r.k100_p50_ms, r.k100_p99_ms, r.recall_at_100
    )?;
    writeln!(
        out,
        "batch of 100      p50 {:.2} ms, max {:.2} ms (k={}, {} threads)",
        r.batch_of_100_p50_ms, r.batch_of_100_max_ms, r.k, r.config.threads
    )?;
    match r.process_peak_mib {
        Some(peak) => writeln!(
            out,
            "memory            index {:.0} MiB; process peak {:.0} MiB (with the exact index and the data)",
            r.index_memory_mib, peak
        )?,
        None => writeln!(out, "memory            index {:.0} MiB", r.index_memory_mib)?,
    }
    Ok(())
}
