//! `coinswarm validate walk-forward`.

use super::threaded_trials::ThreadedTrials;
use super::{Common, StrategyName, build_strategy, number, percent, write_report};
use crate::report::WalkForwardPage;
use anyhow::bail;
use clap::{Args, ValueEnum};
use coinswarm_core::backtest::Strategy;
use coinswarm_core::backtest::validation::{
    FitModel, Objective, Parameters, Search, SearchSpace, WalkForwardConfig, WalkForwardReport, run_walk_forward,
};
use coinswarm_core::learned::SharedModel;
use coinswarm_core::market::{Candle, Granularity};
use coinswarm_learn::{TrainConfig, train_on_candles};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Args)]
pub struct WalkForwardArgs {
    #[command(flatten)]
    common: Common,
    /// Train/test folds; the data is cut into folds + 1 equal segments.
    #[arg(long, default_value_t = 5)]
    folds: usize,
    /// Train on every bar before the test segment instead of only the segment before it.
    #[arg(long)]
    anchored: bool,
    /// sma-cross and trend: fast average lengths to try, in bars.
    #[arg(long, value_delimiter = ',', default_value = "5,10,20")]
    fast_grid: Vec<usize>,
    /// sma-cross and trend: slow average lengths to try, in bars.
    #[arg(long, value_delimiter = ',', default_value = "30,50,100")]
    slow_grid: Vec<usize>,
    /// committee: decision thresholds to try (the score the best action needs, 0–1).
    #[arg(long, value_delimiter = ',', default_value = "0.5,0.6,0.7,0.8")]
    threshold_grid: Vec<f64>,
    /// What the search maximises on each train segment.
    #[arg(long, value_enum, default_value_t = ObjectiveName::Sharpe)]
    objective: ObjectiveName,
    /// Try only this many grid points, drawn at random with --seed, instead of the whole grid.
    #[arg(long)]
    random: Option<usize>,
    /// Seed of the random search.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Threads for the parameter search; default every core.
    #[arg(long)]
    threads: Option<usize>,
    /// Train the learned agent's model on each fold's train bars alone (early-stopped on
    /// the latest of them) and add it to the committee for that fold's search and test.
    /// `--strategy learned` always does.
    #[arg(long, conflicts_with = "model")]
    learned: bool,
    /// Write a self-contained HTML page with the charts to FILE.
    #[arg(long, value_name = "FILE.html")]
    report: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ObjectiveName {
    /// Annualised Sharpe ratio.
    Sharpe,
    /// Total return.
    TotalReturn,
}

pub fn run(args: &WalkForwardArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let name = args.common.strategy.0;
    let space = match name {
        StrategyName::SmaCross | StrategyName::Trend => {
            let axis = |values: &[usize]| values.iter().map(|&v| v as f64).collect();
            SearchSpace { axes: vec![("fast".into(), axis(&args.fast_grid)), ("slow".into(), axis(&args.slow_grid))] }
        }
        StrategyName::Committee => SearchSpace { axes: vec![("threshold".into(), args.threshold_grid.clone())] },
        // Nothing to search: each fold trains the model (learned) and tests it, or runs the
        // benchmark (buy-and-hold) on the same segments.
        StrategyName::Learned | StrategyName::BuyAndHold => SearchSpace { axes: Vec::new() },
        other => bail!(
            "walk-forward searches parameters, and {} has none to search: use sma-cross, trend, committee, learned or buy-and-hold",
            other.cli_name()
        ),
    };
    let learned = args.learned || name.needs_model();
    if learned && !matches!(name, StrategyName::Committee | StrategyName::Learned) {
        bail!("--learned adds the learned agent to the committee: use it with --strategy committee");
    }
    if name.needs_model() && args.common.model.model.is_some() {
        bail!("walk-forward trains the learned model per fold: drop --model");
    }
    if space.axes.iter().any(|(_, values)| values.is_empty()) {
        bail!("every grid needs at least one value");
    }
    if args.random == Some(0) {
        bail!("--random must be at least 1");
    }
    let setup = args.common.load()?;
    let config = WalkForwardConfig {
        folds: args.folds,
        anchored: args.anchored,
        objective: match args.objective {
            ObjectiveName::Sharpe => Objective::Sharpe,
            ObjectiveName::TotalReturn => Objective::TotalReturn,
        },
        search: args.random.map_or(Search::Grid, |samples| Search::Random { samples, seed: args.seed }),
        space,
    };
    let swarm = &setup.swarm;
    let build = |parameters: &Parameters,
                 granularity: Granularity,
                 model: Option<&SharedModel>|
     -> Result<Box<dyn Strategy>, String> {
        let get = |key: &str| parameters.get(key).ok_or_else(|| format!("no value for {key}"));
        let mut swarm = swarm.clone();
        if let Some(model) = model {
            swarm.learned.model = Some(model.clone());
            swarm.learned.enabled = true;
        }
        let swarm = &swarm;
        match name {
            StrategyName::Committee => {
                let mut swarm = swarm.clone();
                swarm.committee.threshold = get("threshold")?;
                swarm.validate().map_err(|e| e.to_string())?;
                build_strategy(name, &swarm, (0, 0), granularity)
            }
            StrategyName::Trend => {
                let (fast, slow) = (get("fast")? as usize, get("slow")? as usize);
                let mut swarm = swarm.clone();
                (swarm.trend.fast_period, swarm.trend.slow_period) = (fast, slow);
                if fast >= slow {
                    return Err(format!("trend needs fast < slow, got {fast} and {slow}"));
                }
                swarm.validate().map_err(|e| e.to_string())?;
                build_strategy(name, &swarm, (0, 0), granularity)
            }
            StrategyName::Learned | StrategyName::BuyAndHold => build_strategy(name, swarm, (0, 0), granularity),
            _ => build_strategy(name, swarm, (get("fast")? as usize, get("slow")? as usize), granularity),
        }
    };
    let threads = args.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let label = name.cli_name();
    let progress = args.common.progress("walk-forward trials");
    progress.start((config.folds * config.search.candidates(&config.space).len()) as u64);
    let runner = ThreadedTrials { threads, done: &progress };
    let (product_id, bar_ms) = (setup.series.product_id().to_string(), setup.series.granularity().millis());
    let train = TrainConfig { seed: args.seed, ..TrainConfig::default() };
    let fit = |bars: &[Candle]| -> Result<SharedModel, String> {
        let (model, _) = train_on_candles(bars, &product_id, bar_ms, swarm, &train).map_err(|e| e.to_string())?;
        Ok(Arc::new(model))
    };
    let fit: Option<&FitModel<'_>> = if learned { Some(&fit) } else { None };
    let report = run_walk_forward(&setup.series, label, &build, fit, &setup.backtest, &config, &runner)?;
    progress.finish();
    write_report(args.report.as_deref(), || WalkForwardPage { data: &setup.dataset, report: &report }.to_html())?;
    args.common.emit(&report, out, |out| write_text(out, &setup.dataset, &report, threads))
}

fn write_text(out: &mut dyn Write, dataset: &str, report: &WalkForwardReport, threads: usize) -> anyhow::Result<()> {
    let c = &report.config;
    let candidates = report.folds.first().map_or(0, |f| f.candidates.len());
    writeln!(
        out,
        "walk-forward {} on {dataset}: {} {} folds, {candidates} candidates per fold on {threads} threads, objective {:?}",
        report.strategy,
        c.folds,
        if c.anchored { "anchored" } else { "rolling" },
        c.objective
    )?;
    writeln!(
        out,
        "{:<4} {:<23} {:<23} {:<24} {:>9} {:>9} {:>8} {:>9}",
        "fold", "train", "test", "chosen", "in-sample", "out", "gap", "oos ret"
    )?;
    for (i, fold) in report.folds.iter().enumerate() {
        let span = |run: Option<&coinswarm_core::backtest::validation::RunSummary>| {
            run.map_or_else(
                || "-".to_string(),
                |r| format!("{} → {}", &r.from.to_string()[..10], &r.to.to_string()[..10]),
            )
        };
        let chosen = fold.chosen.as_ref().map_or_else(|| "none".to_string(), ToString::to_string);
        writeln!(
            out,
            "{:<4} {:<23} {:<23} {:<24} {:>9} {:>9} {:>8} {:>9}",
            i + 1,
            span(fold.in_sample.as_ref()),
            span(fold.out_of_sample.as_ref()),
            chosen,
            number(fold.in_sample_score),
            number(fold.out_of_sample_score),
            number(fold.overfitting_gap),
            percent(fold.out_of_sample.as_ref().and_then(|r| r.total_return))
        )?;
        if let Some(model) = &fold.model {
            let t = &model.training;
            writeln!(
                out,
                "     model {} trained on this fold's train bars: {} samples (+{} validation), best epoch {} of {}",
                &model.hash[..12],
                t.train_samples,
                t.validation_samples,
                t.best_epoch,
                t.epochs
            )?;
        }
        if let Some(failure) = &fold.failure {
            writeln!(out, "     {failure}")?;
        }
    }
    let mean = |d: Option<coinswarm_core::backtest::validation::Distribution>| number(d.map(|d| d.mean));
    writeln!(
        out,
        "mean               in-sample {}, out-of-sample {}, gap {}",
        mean(report.in_sample_score),
        mean(report.out_of_sample_score),
        mean(report.overfitting_gap)
    )?;
    writeln!(out, "out-of-sample return compounded over the test segments: {}", percent(report.out_of_sample_return))?;
    let runs = report.folds.iter().map(|f| f.out_of_sample.as_ref());
    if let Some(notice) = coinswarm_core::backtest::validation::restricted_runs_notice(runs, "test segments") {
        writeln!(out, "NOTE               {notice}")?;
    }
    Ok(())
}
