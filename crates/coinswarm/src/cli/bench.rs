//! `coinswarm bench …`: throughput measurements users can run on their own machine.

use super::progress::{Output, WorkBar};
use super::replay_source::{load_dataset, select};
use anyhow::bail;
use clap::{Args, Subcommand, ValueEnum};
use coinswarm_core::backtest::strategies::{CommitteeStrategy, SmaCross};
use coinswarm_core::backtest::{BacktestConfig, BarFeed, Strategy, run_backtest_feeds};
use coinswarm_core::data::CandleSeries;
use coinswarm_core::market::{Currency, ProductId};
use coinswarm_core::swarm::SwarmConfig;
use coinswarm_core::synthetic::{RegimeKind, SyntheticConfig, generate, stream};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::io::Write;
use std::time::Instant;

/// Streamed bars pulled between two advances of the bar (a few milliseconds of backtest).
const REPLAYED_STEP: usize = 4_096;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Backtest throughput on a synthetic range-bound series: bars per second and peak memory.
    /// By default the series is generated first and held in memory (at most 1,000,000 bars),
    /// so only the backtest is timed; `--stream` generates bars while the backtest pulls them
    /// (any length, constant memory), timing both.
    Backtest(BacktestBenchArgs),
    /// HTTP throughput and latency of a running server (`coinswarm up`).
    Api(super::bench_api::ApiBenchArgs),
    /// Signing the JWT every Coinbase request carries (ES256 and EdDSA).
    Jwt(super::bench_jwt::JwtBenchArgs),
    /// MCP tool-call latency of a running server over Streamable HTTP (`/mcp`).
    Mcp(super::bench_mcp::McpBenchArgs),
    /// WebSocket fan-out of a running server: many `/stream` clients, delivery lag, drops.
    Ws(super::bench_ws::WsBenchArgs),
    /// The edge's prediction cache under a Zipf-distributed read load: hit rate, asks of the
    /// agent tier per product per freshness window, latency by how each read was served.
    Predictions(super::bench_predictions::PredictionsBenchArgs),
    /// Pattern memory's vector index (HNSW) on synthetic embeddings: build, inserts, query
    /// latency for k = 10 and 100, a batch of 100 queries, recall against the exact index.
    Vectors(super::bench_vectors::VectorBenchArgs),
}

#[derive(Debug, Args)]
pub struct BacktestBenchArgs {
    /// Hourly bars in the synthetic series (at most 1,000,000 unless `--stream`).
    #[arg(long, default_value_t = 1_000_000)]
    bars: usize,
    /// Generate the bars while the backtest runs instead of before it: memory stays flat
    /// however many bars (e.g. `--bars 100000000`); the time includes generating them.
    #[arg(long)]
    stream: bool,
    #[arg(long, value_enum, default_value_t = BenchStrategy::SmaCross)]
    strategy: BenchStrategy,
    /// Taker and maker fee in basis points (default: the paper exchange's 60 / 40).
    #[arg(long)]
    fee_bps: Option<Decimal>,
    /// Replay this bundled data set or CSV/Parquet file instead of the synthetic series
    /// (`--bars` and `--stream` then do not apply): the throughput at real trading density.
    #[arg(long, conflicts_with = "stream")]
    data: Option<String>,
    /// The product of `--data` (needed when it holds several).
    #[arg(long, requires = "data")]
    product: Option<ProductId>,
    /// Runs; the best is reported.
    #[arg(long, default_value_t = 3)]
    runs: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BenchStrategy {
    SmaCross,
    Committee,
}

pub fn run(command: BenchCommand, out: &mut dyn Write) -> anyhow::Result<()> {
    match command {
        BenchCommand::Backtest(args) => backtest(&args, out),
        BenchCommand::Api(args) => super::bench_api::run(&args, out),
        BenchCommand::Ws(args) => super::bench_ws::run(&args, out),
        BenchCommand::Predictions(args) => super::bench_predictions::run(&args, out),
        BenchCommand::Mcp(args) => super::bench_mcp::run(&args, out),
        BenchCommand::Jwt(args) => super::bench_jwt::run(&args, out),
        BenchCommand::Vectors(args) => super::bench_vectors::run(&args, out),
    }
}

fn backtest(args: &BacktestBenchArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    if args.runs == 0 {
        bail!("--runs must be at least 1");
    }
    let config = SyntheticConfig::new(RegimeKind::RangeBound).with_bars(args.bars);
    let series = match (&args.data, args.stream) {
        (Some(data), _) => Some(select(&load_dataset(data, Currency::new("USD")?)?, args.product)?.series.clone()),
        (None, true) => None,
        (None, false) => {
            let market = generate(&config)?;
            Some(CandleSeries::new(market.product_id, market.granularity, market.candles)?)
        }
    };
    let granularity = series.as_ref().map_or(config.granularity, |s| s.granularity());
    let mut backtest = BacktestConfig::default();
    if let Some(fee) = args.fee_bps {
        if fee.is_sign_negative() || fee >= Decimal::from(10_000) {
            bail!("--fee-bps must be in [0, 10000)");
        }
        (backtest.exchange.taker_fee_bps, backtest.exchange.maker_fee_bps) = (fee, fee);
    }
    // Streamed runs may be any length: the bar counts the bars the backtest pulls, told
    // every `REPLAYED_STEP` so that counting costs the timed loop nothing.
    let progress = WorkBar::new("bars replayed", Output::Text);
    if series.is_none() {
        progress.start(args.bars as u64 * u64::from(args.runs));
    }
    let mut best = f64::INFINITY;
    let mut result = None;
    for _ in 0..args.runs {
        let mut strategy: Box<dyn Strategy> = match args.strategy {
            BenchStrategy::SmaCross => Box::new(SmaCross::new(10, 30)),
            BenchStrategy::Committee => Box::new(CommitteeStrategy::new(SwarmConfig::default(), granularity)?),
        };
        let feed = match &series {
            Some(series) => BarFeed::from_series(series),
            None => {
                let progress = progress.clone();
                let bars = stream(&config)?.enumerate().map(move |(i, bar)| {
                    if (i + 1) % REPLAYED_STEP == 0 {
                        progress.advance(REPLAYED_STEP as u64);
                    }
                    bar.map_err(|e| e.to_string())
                });
                BarFeed::new(config.product.product_id, config.granularity, bars)
            }
        };
        let started = Instant::now();
        let run = run_backtest_feeds(vec![feed], strategy.as_mut(), &backtest, &BTreeMap::new())?;
        best = best.min(started.elapsed().as_secs_f64());
        if series.is_none() {
            progress.advance(run.bars % REPLAYED_STEP as u64);
        }
        result = Some(std::hint::black_box(run));
    }
    progress.finish();
    let result = result.expect("at least one run");
    let source = match (&args.data, args.stream) {
        (Some(data), _) => format!("{data} {}", result.products[0]),
        (None, true) => "synthetic hourly bars, streamed (generated during the run)".into(),
        (None, false) => "synthetic hourly bars, in memory".into(),
    };
    writeln!(out, "backtest {:?} over {} bars of {source}", args.strategy, result.bars)?;
    writeln!(out, "best of {} runs   {:.3} s = {:.0} bars/s", args.runs, best, result.bars as f64 / best)?;
    writeln!(
        out,
        "round trips       {} ({} listed), equity curve {} points (every {} bars)",
        result.metrics.trades.count,
        result.trades.len(),
        result.equity_curve.len(),
        result.equity_curve_stride
    )?;
    match peak_memory_kib() {
        Some(kib) => writeln!(out, "peak memory       {:.1} MiB (VmHWM, whole process)", kib as f64 / 1024.0)?,
        None => writeln!(out, "peak memory       unavailable (no /proc/self/status)")?,
    }
    Ok(())
}

/// The process's peak resident set size in KiB, from Linux's /proc.
pub(super) fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
