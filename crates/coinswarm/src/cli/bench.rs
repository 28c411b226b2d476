//! `coinswarm bench …`: throughput measurements users can run on their own machine.

use anyhow::bail;
use clap::{Args, Subcommand, ValueEnum};
use coinswarm_core::backtest::strategies::{CommitteeStrategy, SmaCross};
use coinswarm_core::backtest::{BacktestConfig, Strategy, run_backtest};
use coinswarm_core::data::CandleSeries;
use coinswarm_core::swarm::SwarmConfig;
use coinswarm_core::synthetic::{RegimeKind, SyntheticConfig, generate};
use std::collections::BTreeMap;
use std::io::Write;
use std::time::Instant;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Backtest throughput on a synthetic range-bound series: bars per second and peak memory.
    Backtest(BacktestBenchArgs),
}

#[derive(Debug, Args)]
pub struct BacktestBenchArgs {
    /// Hourly bars in the synthetic series (at most 1,000,000 per generated series).
    #[arg(long, default_value_t = 1_000_000)]
    bars: usize,
    #[arg(long, value_enum, default_value_t = BenchStrategy::SmaCross)]
    strategy: BenchStrategy,
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
    }
}

fn backtest(args: &BacktestBenchArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    if args.runs == 0 {
        bail!("--runs must be at least 1");
    }
    let market = generate(&SyntheticConfig::new(RegimeKind::RangeBound).with_bars(args.bars))?;
    let series = CandleSeries::new(market.product_id, market.granularity, market.candles)?;
    let mut best = f64::INFINITY;
    let mut round_trips = 0;
    for _ in 0..args.runs {
        let mut strategy: Box<dyn Strategy> = match args.strategy {
            BenchStrategy::SmaCross => Box::new(SmaCross::new(10, 30)),
            BenchStrategy::Committee => Box::new(CommitteeStrategy::new(SwarmConfig::default(), market.granularity)?),
        };
        let started = Instant::now();
        let result = run_backtest(&[&series], strategy.as_mut(), &BacktestConfig::default(), &BTreeMap::new())?;
        best = best.min(started.elapsed().as_secs_f64());
        round_trips = std::hint::black_box(result.metrics.trades.count);
    }
    let rate = series.len() as f64 / best;
    writeln!(out, "backtest {:?} over {} synthetic hourly bars", args.strategy, series.len())?;
    writeln!(out, "best of {} runs   {:.3} s = {:.0} bars/s", args.runs, best, rate)?;
    writeln!(out, "round trips       {round_trips}")?;
    match peak_memory_kib() {
        Some(kib) => writeln!(out, "peak memory       {:.1} MiB (VmHWM, whole process)", kib as f64 / 1024.0)?,
        None => writeln!(out, "peak memory       unavailable (no /proc/self/status)")?,
    }
    Ok(())
}

/// The process's peak resident set size in KiB, from Linux's /proc.
fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
