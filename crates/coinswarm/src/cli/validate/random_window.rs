//! `coinswarm validate random-window`.

use super::{Common, build_strategy, number, percent, strategy_label, write_report};
use crate::cli::progress::RunsInTurn;
use crate::report::RandomWindowPage;
use anyhow::bail;
use clap::Args;
use coinswarm_core::backtest::validation::{Distribution, RandomWindowConfig, RandomWindowReport, run_random_window};
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct RandomWindowArgs {
    #[command(flatten)]
    common: Common,
    /// Windows to draw.
    #[arg(long, default_value_t = 100)]
    windows: usize,
    /// Shortest window, in days.
    #[arg(long, default_value_t = 30)]
    min_days: u32,
    /// Longest window, in days.
    #[arg(long, default_value_t = 180)]
    max_days: u32,
    /// Seed of the window draw: the same seed draws the same windows.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// sma-cross: fast average length in bars.
    #[arg(long, default_value_t = 10)]
    fast: usize,
    /// sma-cross: slow average length in bars.
    #[arg(long, default_value_t = 30)]
    slow: usize,
    /// Write a self-contained HTML page with the charts to FILE.
    #[arg(long, value_name = "FILE.html")]
    report: Option<PathBuf>,
}

pub fn run(args: &RandomWindowArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    if args.windows == 0 {
        bail!("--windows must be at least 1");
    }
    let setup = args.common.load()?;
    let name = args.common.strategy.0;
    let lengths = (args.fast, args.slow);
    build_strategy(name, &setup.swarm, lengths, setup.series.granularity()).map_err(anyhow::Error::msg)?;
    let config = RandomWindowConfig {
        windows: args.windows,
        min_days: args.min_days,
        max_days: args.max_days,
        seed: args.seed,
        ..RandomWindowConfig::default()
    };
    // The windows run one after another, each building one fresh strategy.
    let progress = RunsInTurn::new(args.common.progress("random windows"), args.windows as u64);
    let build = |granularity| {
        progress.building();
        build_strategy(name, &setup.swarm, lengths, granularity)
    };
    let label = strategy_label(name, lengths);
    let report = run_random_window(&setup.series, &label, &build, &setup.backtest, &config);
    progress.all_done();
    let report = report?;
    write_report(args.report.as_deref(), || RandomWindowPage { data: &setup.dataset, report: &report }.to_html())?;
    args.common.emit(&report, out, |out| write_text(out, &setup.dataset, &report))
}

fn write_text(out: &mut dyn Write, dataset: &str, report: &RandomWindowReport) -> anyhow::Result<()> {
    let c = &report.config;
    let k = &c.criteria;
    writeln!(
        out,
        "random-window {} on {dataset}: {} windows of {}–{} days, seed {}",
        report.strategy, c.windows, c.min_days, c.max_days, c.seed
    )?;
    writeln!(
        out,
        "pass criteria      Sharpe ≥ {}, win rate ≥ {}, drawdown ≤ {}; robust if ≥ {} pass",
        k.min_sharpe,
        percent(Some(k.min_win_rate)),
        percent(Some(k.max_drawdown)),
        percent(Some(c.robust_pass_rate))
    )?;
    writeln!(
        out,
        "passed             {} of {} ({}): {}",
        report.passed,
        report.windows.len(),
        percent(Some(report.pass_rate)),
        if report.robust { "robust" } else { "NOT robust" }
    )?;
    writeln!(
        out,
        "{:<18} {:>6} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "", "n", "min", "q1", "median", "q3", "max", "mean"
    )?;
    write_row(out, "Sharpe", report.sharpe, |v| number(Some(v)))?;
    write_row(out, "win rate", report.win_rate, |v| percent(Some(v)))?;
    write_row(out, "max drawdown", report.max_drawdown, |v| percent(Some(v)))?;
    write_row(out, "total return", report.total_return, |v| percent(Some(v)))?;
    write_row(out, "trades", report.trades, |v| format!("{v:.1}"))?;
    let failing =
        |criterion: &str| report.windows.iter().filter(|w| w.failures.iter().any(|f| f.starts_with(criterion))).count();
    let unrun = report.windows.iter().filter(|w| w.run.is_none()).count();
    writeln!(
        out,
        "windows failing    Sharpe {}, win rate {}, drawdown {}; could not run {unrun}",
        failing("Sharpe"),
        failing("win rate"),
        failing("drawdown")
    )?;
    let runs = report.windows.iter().map(|w| w.run.as_ref());
    if let Some(notice) = coinswarm_core::backtest::validation::restricted_runs_notice(runs, "windows") {
        writeln!(out, "NOTE               {notice}")?;
    }
    Ok(())
}

fn write_row(
    out: &mut dyn Write,
    label: &str,
    spread: Option<Distribution>,
    show: impl Fn(f64) -> String,
) -> anyhow::Result<()> {
    match spread {
        Some(d) => writeln!(
            out,
            "{label:<18} {:>6} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
            d.count,
            show(d.min),
            show(d.q1),
            show(d.median),
            show(d.q3),
            show(d.max),
            show(d.mean)
        )?,
        None => writeln!(out, "{label:<18} {:>6} (undefined in every window)", 0)?,
    }
    Ok(())
}
