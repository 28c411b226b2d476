//! `coinswarm bench predictions`: the edge's prediction cache under a Zipf-distributed read
//! load. Readers ask `GET /api/predictions` for products drawn with probability ∝ 1/rank^s;
//! each answer says how the edge served it (`x-coinswarm-cache`: a KV `hit`, a `miss` that
//! went to the agent link, or `stale` / `degraded` when the agent tier could not answer).
//! The report gives the hit rate, and, from the link's own counters in `GET /api/swarm`
//! (before and after), how many products were asked of the agent tier per product per
//! freshness window: the cache and the link's single flight keep it at most 1 however many
//! readers miss at once.

use super::bench_api::{Reply, percentile_of, read_reply};
use anyhow::{Context, bail};
use clap::Args;
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::time::{Duration, Instant};
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

#[derive(Debug, Args)]
pub struct PredictionsBenchArgs {
    /// The edge Worker, e.g. http://127.0.0.1:8787
    #[arg(long, default_value = "http://127.0.0.1:8787")]
    url: String,
    /// Products read: the venue's own first (`GET /api/products`), then made-up ones that the
    /// agent tier refuses (404), a refusal the edge caches as long as a prediction.
    #[arg(long, default_value_t = 50)]
    products: usize,
    /// The Zipf exponent: the product of rank k is read in proportion to 1/k^s.
    #[arg(long, default_value_t = 1.0)]
    zipf_s: f64,
    /// Concurrent readers (keep-alive connections).
    #[arg(long, default_value_t = 16)]
    connections: usize,
    /// Seconds to run, counted from the first read (cold misses included).
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// How long the edge keeps a prediction fresh (its `PREDICTIONS_FRESH_MS`), in ms.
    #[arg(long, default_value_t = 5_000)]
    fresh_ms: u64,
    /// Threads of the load generator.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// The seed of the readers' draws.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Serialize)]
struct PredictionsBenchReport {
    products: usize,
    zipf_s: f64,
    connections: usize,
    seconds: f64,
    reads: u64,
    reads_per_second: f64,
    /// Reads by how the edge served them (`x-coinswarm-cache`).
    served: BTreeMap<String, u64>,
    /// Reads by HTTP status.
    statuses: BTreeMap<u16, u64>,
    /// KV hits over all reads.
    hit_rate: f64,
    /// Distinct products read.
    products_read: usize,
    /// The agent link's counters over the run: misses that reached it, answered from its
    /// memory, calls to the agent tier and products in them.
    link_callers: u64,
    link_answered_from_memory: u64,
    upstream_calls: u64,
    products_sent: u64,
    /// Freshness windows in the run (seconds / fresh).
    windows: f64,
    /// `products_sent / (products_read × windows)`: at most 1 when the agent tier is asked
    /// once per product per window.
    asks_per_product_per_window: f64,
    p50_ms: f64,
    p99_ms: f64,
    hit_p50_ms: Option<f64>,
    hit_p99_ms: Option<f64>,
    miss_p50_ms: Option<f64>,
    miss_p99_ms: Option<f64>,
}

pub fn run(args: &PredictionsBenchArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    if args.products == 0 || args.connections == 0 || args.seconds == 0 || args.threads == 0 || args.fresh_ms == 0 {
        bail!("--products, --connections, --seconds, --threads and --fresh-ms must be at least 1");
    }
    if !(args.zipf_s.is_finite() && args.zipf_s >= 0.0) {
        bail!("--zipf-s must be a number ≥ 0");
    }
    let host = super::bench_api::http_host(&args.url)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(args.threads).enable_all().build()?;
    let report = runtime.block_on(drive(args, host))?;
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &report)?;
        writeln!(out)?;
        return Ok(());
    }
    let r = &report;
    writeln!(
        out,
        "GET /api/predictions over {} products (Zipf s = {}), {} readers for {:.1} s",
        r.products, r.zipf_s, r.connections, r.seconds
    )?;
    writeln!(
        out,
        "reads      {} = {:.0} reads/s; served {:?}; statuses {:?}",
        r.reads, r.reads_per_second, r.served, r.statuses
    )?;
    writeln!(out, "hit rate   {:.2}% (KV hits over all reads, cold misses included)", r.hit_rate * 100.0)?;
    writeln!(
        out,
        "agent tier {} calls, {} products asked for {} products read over {:.1} windows of {} ms: {:.3} asks per product per window",
        r.upstream_calls, r.products_sent, r.products_read, r.windows, args.fresh_ms, r.asks_per_product_per_window
    )?;
    writeln!(
        out,
        "link       {} misses reached it, {} answered from its memory",
        r.link_callers, r.link_answered_from_memory
    )?;
    writeln!(out, "latency    p50 {:.3} ms, p99 {:.3} ms", r.p50_ms, r.p99_ms)?;
    if let (Some(p50), Some(p99)) = (r.hit_p50_ms, r.hit_p99_ms) {
        writeln!(out, "  hits     p50 {p50:.3} ms, p99 {p99:.3} ms")?;
    }
    if let (Some(p50), Some(p99)) = (r.miss_p50_ms, r.miss_p99_ms) {
        writeln!(out, "  misses   p50 {p50:.3} ms, p99 {p99:.3} ms")?;
    }
    Ok(())
}

async fn drive(args: &PredictionsBenchArgs, host: String) -> anyhow::Result<PredictionsBenchReport> {
    let products = products(&host, args.products).await?;
    let cumulative = zipf_cumulative(products.len(), args.zipf_s);
    let before = link_counters(&host).await?;
    let start = Instant::now();
    let end = start + Duration::from_secs(args.seconds);
    let mut tasks = Vec::new();
    for reader in 0..args.connections {
        let (host, products, cumulative) = (host.clone(), products.clone(), cumulative.clone());
        let rng = ChaCha8Rng::seed_from_u64(args.seed.wrapping_add(reader as u64));
        tasks.push(tokio::spawn(read_loop(host, products, cumulative, rng, end)));
    }
    let mut reads: Vec<Read> = Vec::new();
    for task in tasks {
        reads.extend(task.await??);
    }
    let seconds = start.elapsed().as_secs_f64();
    let after = link_counters(&host).await?;
    let delta = |name: &str| after[name].as_u64().unwrap_or(0).saturating_sub(before[name].as_u64().unwrap_or(0));

    let mut served = BTreeMap::new();
    let mut statuses = BTreeMap::new();
    let mut read_products = BTreeSet::new();
    let (mut all, mut hits, mut misses) = (Vec::new(), Vec::new(), Vec::new());
    for read in &reads {
        *served.entry(read.cache.clone().unwrap_or_else(|| "none".into())).or_insert(0) += 1;
        *statuses.entry(read.status).or_insert(0) += 1;
        read_products.insert(read.product);
        all.push(read.ms);
        match read.cache.as_deref() {
            Some("hit") => hits.push(read.ms),
            Some("miss") => misses.push(read.ms),
            _ => {}
        }
    }
    for latencies in [&mut all, &mut hits, &mut misses] {
        latencies.sort_by(f64::total_cmp);
    }
    let total = reads.len() as u64;
    let windows = seconds * 1000.0 / args.fresh_ms as f64;
    let products_sent = delta("products_sent");
    Ok(PredictionsBenchReport {
        products: products.len(),
        zipf_s: args.zipf_s,
        connections: args.connections,
        seconds,
        reads: total,
        reads_per_second: total as f64 / seconds,
        hit_rate: served.get("hit").copied().unwrap_or(0) as f64 / total.max(1) as f64,
        served,
        statuses,
        products_read: read_products.len(),
        link_callers: delta("callers"),
        link_answered_from_memory: delta("answered_from_memory"),
        upstream_calls: delta("upstream_calls"),
        products_sent,
        windows,
        asks_per_product_per_window: products_sent as f64 / (read_products.len().max(1) as f64 * windows),
        p50_ms: percentile_of(&all, 0.50).unwrap_or(0.0),
        p99_ms: percentile_of(&all, 0.99).unwrap_or(0.0),
        hit_p50_ms: percentile_of(&hits, 0.50),
        hit_p99_ms: percentile_of(&hits, 0.99),
        miss_p50_ms: percentile_of(&misses, 0.50),
        miss_p99_ms: percentile_of(&misses, 0.99),
    })
}

/// One read: the product's rank, its status, how it was served and its latency (ms).
struct Read {
    product: usize,
    status: u16,
    cache: Option<String>,
    ms: f64,
}

/// One reader: back-to-back reads of Zipf-drawn products until `end`.
async fn read_loop(
    host: String,
    products: Vec<String>,
    cumulative: Vec<f64>,
    mut rng: ChaCha8Rng,
    end: Instant,
) -> anyhow::Result<Vec<Read>> {
    let stream = TcpStream::connect(&host).await.with_context(|| format!("cannot connect to {host}"))?;
    stream.set_nodelay(true)?;
    let mut stream = BufReader::new(stream);
    let (mut line, mut body, mut reads) = (String::new(), Vec::new(), Vec::new());
    while Instant::now() < end {
        let uniform = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let product = cumulative.partition_point(|c| *c <= uniform).min(products.len() - 1);
        let request = format!("GET /api/predictions?product_id={} HTTP/1.1\r\nHost: {host}\r\n\r\n", products[product]);
        let started = Instant::now();
        stream.get_mut().write_all(request.as_bytes()).await?;
        let Reply { status, cache, .. } = read_reply(&mut stream, &mut line, &mut body).await?;
        reads.push(Read { product, status, cache, ms: started.elapsed().as_secs_f64() * 1000.0 });
    }
    Ok(reads)
}

/// The cumulative Zipf distribution over `n` ranks with exponent `s`.
fn zipf_cumulative(n: usize, s: f64) -> Vec<f64> {
    let weights: Vec<f64> = (1..=n).map(|rank| 1.0 / (rank as f64).powf(s)).collect();
    let total: f64 = weights.iter().sum();
    let mut sum = 0.0;
    weights
        .iter()
        .map(|w| {
            sum += w / total;
            sum
        })
        .collect()
}

/// The venue's products first, then made-up ones (`ZAA-USD`, `ZAB-USD`, …) up to `n`.
async fn products(host: &str, n: usize) -> anyhow::Result<Vec<String>> {
    let listed = get_json(host, "/api/products").await?;
    let mut products: Vec<String> = listed["products"]
        .as_array()
        .map(|all| all.iter().filter_map(|p| p["product_id"].as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    let letters = b'A'..=b'Z';
    let made_up =
        letters.clone().flat_map(|a| letters.clone().map(move |b| format!("Z{}{}-USD", a as char, b as char)));
    products.extend(made_up.take(n.saturating_sub(products.len())));
    products.truncate(n);
    Ok(products)
}

/// The agent link's counters (`GET /api/swarm`'s `agent_link.counters`).
async fn link_counters(host: &str) -> anyhow::Result<Value> {
    let swarm = get_json(host, "/api/swarm").await?;
    let counters = swarm["agent_link"]["counters"].clone();
    if !counters.is_object() {
        bail!("{host} has no agent link in GET /api/swarm (is it the edge Worker?): {swarm}");
    }
    Ok(counters)
}

async fn get_json(host: &str, path: &str) -> anyhow::Result<Value> {
    let stream = TcpStream::connect(host).await.with_context(|| format!("cannot connect to {host}"))?;
    let mut stream = BufReader::new(stream);
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.get_mut().write_all(request.as_bytes()).await?;
    let (mut line, mut body) = (String::new(), Vec::new());
    let reply = read_reply(&mut stream, &mut line, &mut body).await?;
    if reply.status != 200 {
        bail!("GET {path} answered {}: {}", reply.status, String::from_utf8_lossy(&body));
    }
    Ok(serde_json::from_slice(&body)?)
}

#[cfg(test)]
mod tests {
    use super::zipf_cumulative;

    #[test]
    fn zipf_ranks_are_drawn_in_proportion_to_one_over_rank_to_the_s() {
        let c = zipf_cumulative(3, 1.0);
        let h = 1.0 + 0.5 + 1.0 / 3.0;
        assert!((c[0] - 1.0 / h).abs() < 1e-12 && (c[1] - 1.5 / h).abs() < 1e-12 && (c[2] - 1.0).abs() < 1e-12);
        let uniform = zipf_cumulative(4, 0.0);
        assert!((uniform[1] - 0.5).abs() < 1e-12);
    }
}
