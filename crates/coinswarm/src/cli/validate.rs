//! `coinswarm validate …`: the validators that test whether a backtest's result is robust —
//! over random windows, across timescales, and out of sample after a parameter search.

mod multi_timescale;
mod random_window;
mod threaded_trials;
mod walk_forward;

use super::progress::{Output, WorkBar};
use super::replay_defaults::ReplayRealism;
use super::replay_source::{ReplayData, load_backtest_config, write_whole};
use super::strategy_arg::StrategyArg;
use anyhow::bail;
use clap::{Args, Subcommand};
use coinswarm_core::backtest::BacktestConfig;
use coinswarm_core::backtest::Strategy;
pub use coinswarm_core::backtest::strategies::StrategyName;
use coinswarm_core::backtest::strategies::{SmaLengths, StrategySettings, registry};
use coinswarm_core::data::CandleSeries;
use coinswarm_core::market::Granularity;
use coinswarm_core::swarm::SwarmConfig;
use rust_decimal::Decimal;
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Subcommand)]
pub enum ValidateCommand {
    /// Backtest on many random windows of history (default 100 of 30–180 days) and judge each
    /// by Sharpe ≥ 1.5, win rate ≥ 55%, drawdown ≤ 20%; robust when ≥ 95% pass.
    RandomWindow(random_window::RandomWindowArgs),
    /// Judge the strategy as an HFT, day, swing and long-term strategy, each on its own bar
    /// length (resampled from the data) and by its own criteria.
    MultiTimescale(multi_timescale::MultiTimescaleArgs),
    /// Search parameters on each train segment, score the winner on the next, unseen segment,
    /// and report the in-sample vs out-of-sample gap per fold.
    WalkForward(walk_forward::WalkForwardArgs),
}

pub fn run(command: &ValidateCommand, out: &mut dyn Write) -> anyhow::Result<()> {
    match command {
        ValidateCommand::RandomWindow(args) => random_window::run(args, out),
        ValidateCommand::MultiTimescale(args) => multi_timescale::run(args, out),
        ValidateCommand::WalkForward(args) => walk_forward::run(args, out),
    }
}

/// What every validator runs on, and how the backtests trade.
#[derive(Debug, Args)]
pub struct Common {
    #[command(flatten)]
    source: ReplayData,
    /// The strategy.
    #[arg(long, value_enum)]
    pub strategy: StrategyArg,
    /// Quote currency deposited before each run's first bar.
    #[arg(long, default_value = "100000")]
    capital: Decimal,
    /// Taker fee in basis points; default Coinbase's 60.
    #[arg(long)]
    fee_bps: Option<Decimal>,
    /// Slippage on every taker fill, in basis points; default 0.
    #[arg(long)]
    slippage_bps: Option<Decimal>,
    #[command(flatten)]
    realism: ReplayRealism,
    #[command(flatten)]
    pub model: super::model::ModelArg,
    /// TOML file overriding the swarm's thresholds (committee and single agents).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Write the full report as JSON to FILE, or `-` for standard output (instead of the text).
    #[arg(long, value_name = "FILE|-")]
    json: Option<String>,
}

/// The loaded data and settings of one validation.
#[derive(Debug)]
pub struct Setup {
    pub dataset: String,
    pub series: CandleSeries,
    pub swarm: SwarmConfig,
    pub backtest: BacktestConfig,
}

impl Common {
    pub fn load(&self) -> anyhow::Result<Setup> {
        let StrategyArg(name) = self.strategy;
        if name.needs_second_venue() {
            bail!(
                "{name} needs a second venue's prices, which validators do not load: run it with `coinswarm backtest --other-venue`"
            );
        }
        if self.capital <= Decimal::ZERO {
            bail!("--capital must be positive, got {}", self.capital);
        }
        // The backtest config file; its [sma_cross] section is for `backtest`: validators take
        // their SMA lengths from their own flags and grids.
        let (mut swarm, _) = load_backtest_config(self.config.as_deref())?;
        self.realism.apply(&mut swarm);
        self.model.apply(&mut swarm)?;
        swarm.validate().map_err(|e| anyhow::anyhow!("invalid swarm config: {e}"))?;
        let mut exchange = swarm.exchange.clone();
        exchange.taker_fee_bps = self.fee_bps.unwrap_or(exchange.taker_fee_bps);
        exchange.slippage_bps = self.slippage_bps.unwrap_or(exchange.slippage_bps);
        let backtest = BacktestConfig { capital: self.capital, exchange, ..BacktestConfig::default() };
        let dataset = self.source.load()?;
        let (entry, candles) = self.source.select(&dataset)?;
        let candles = candles.to_vec();
        let series = CandleSeries::new(entry.series.product_id(), entry.series.granularity(), candles)?;
        Ok(Setup { dataset: dataset.name.clone(), series, swarm, backtest })
    }

    /// The progress bar of the validator's runs, counted in `label`'s units: hidden with
    /// `--json` (to a file too: JSON is asked for by scripts).
    pub fn progress(&self, label: &str) -> WorkBar {
        WorkBar::new(label, Output::json_if(self.json.is_some()))
    }

    /// Writes the report as JSON where `--json` asks, and the text summary unless it went to
    /// standard output.
    pub fn emit<T: Serialize>(
        &self,
        report: &T,
        out: &mut dyn Write,
        text: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        match self.json.as_deref() {
            Some("-") => {
                let mut bytes = serde_json::to_vec_pretty(report)?;
                bytes.push(b'\n');
                out.write_all(&bytes)?;
                Ok(())
            }
            Some(path) => {
                write_whole(Path::new(path), &serde_json::to_vec_pretty(report)?)?;
                text(out)
            }
            None => text(out),
        }
    }
}

/// A fresh strategy of the named kind for bars of `granularity`, from the strategy registry;
/// `fast`/`slow` are the SMA cross's lengths in bars.
pub fn build_strategy(
    name: StrategyName,
    swarm: &SwarmConfig,
    (fast, slow): (usize, usize),
    granularity: Granularity,
) -> Result<Box<dyn Strategy>, String> {
    let settings = StrategySettings { swarm, granularity, products: 1, sma: SmaLengths { fast, slow } };
    registry::build(name, settings).map(|strategy| strategy as Box<dyn Strategy>).map_err(|e| e.to_string())
}

/// The strategy's name as reports show it.
pub fn strategy_label(name: StrategyName, (fast, slow): (usize, usize)) -> String {
    match name {
        StrategyName::SmaCross => format!("sma-cross({fast},{slow})"),
        other => other.cli_name().to_string(),
    }
}

/// Writes `html` to the `--report` file when one was asked for.
pub fn write_report(path: Option<&Path>, html: impl FnOnce() -> String) -> anyhow::Result<()> {
    if let Some(path) = path {
        write_whole(path, html().as_bytes())?;
        eprintln!("report written to {}", path.display());
    }
    Ok(())
}

/// `value` with two decimals, or `n/a`.
pub fn number(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_string(), |v| format!("{v:.2}"))
}

/// A fraction as a percentage with one decimal, or `n/a`.
pub fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_string(), |v| format!("{:.1}%", v * 100.0))
}
