//! `coinswarm validate multi-timescale`.

use super::{Common, build_strategy, number, percent, strategy_label};
use crate::cli::progress::RunsInTurn;
use clap::Args;
use coinswarm_core::backtest::validation::{MultiTimescaleReport, TimescaleProfile, resample, run_multi_timescale};
use std::io::Write;

#[derive(Debug, Args)]
pub struct MultiTimescaleArgs {
    #[command(flatten)]
    common: Common,
    /// sma-cross: fast average length in bars (of each profile's bar length).
    #[arg(long, default_value_t = 10)]
    fast: usize,
    /// sma-cross: slow average length in bars.
    #[arg(long, default_value_t = 30)]
    slow: usize,
}

pub fn run(args: &MultiTimescaleArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let setup = args.common.load()?;
    let name = args.common.strategy.0;
    let lengths = (args.fast, args.slow);
    build_strategy(name, &setup.swarm, lengths, setup.series.granularity()).map_err(anyhow::Error::msg)?;
    let profiles = TimescaleProfile::defaults();
    // The profiles run one after another, each building one fresh strategy; a profile the
    // data cannot be resampled to (finer than the data) is reported, not run.
    let runnable = profiles.iter().filter(|p| resample(&setup.series, p.granularity).is_ok()).count();
    let progress = RunsInTurn::new(args.common.progress("timescale profiles"), runnable as u64);
    let build = |granularity| {
        progress.building();
        build_strategy(name, &setup.swarm, lengths, granularity)
    };
    let label = strategy_label(name, lengths);
    let report = run_multi_timescale(&setup.series, &label, &build, &setup.backtest, &profiles);
    progress.all_done();
    args.common.emit(&report, out, |out| write_text(out, &setup.dataset, &report))
}

fn write_text(out: &mut dyn Write, dataset: &str, report: &MultiTimescaleReport) -> anyhow::Result<()> {
    writeln!(
        out,
        "multi-timescale {} on {dataset} ({} bars): {} of {} profiles passed",
        report.strategy,
        report.data_granularity,
        report.passed,
        report.profiles.len()
    )?;
    writeln!(
        out,
        "{:<10} {:<14} {:>7} {:>8} {:>8} {:>9} {:>7}  verdict",
        "profile", "bar length", "bars", "Sharpe", "win", "drawdown", "trades"
    )?;
    for p in &report.profiles {
        let verdict = if p.passed { "pass".to_string() } else { format!("fail: {}", p.failures.join("; ")) };
        match &p.run {
            Some(run) => writeln!(
                out,
                "{:<10} {:<14} {:>7} {:>8} {:>8} {:>9} {:>7}  {verdict}",
                p.profile.name,
                p.profile.granularity.to_string(),
                p.bars,
                number(run.sharpe),
                percent(run.win_rate),
                percent(Some(run.max_drawdown)),
                run.trades
            )?,
            None => {
                writeln!(out, "{:<10} {:<14} {:>7}  {verdict}", p.profile.name, p.profile.granularity.to_string(), 0)?
            }
        }
    }
    Ok(())
}
