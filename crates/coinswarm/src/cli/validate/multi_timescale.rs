//! `coinswarm validate multi-timescale`.

use super::{Common, build_strategy, number, percent, strategy_label};
use clap::Args;
use coinswarm_core::backtest::validation::{MultiTimescaleReport, TimescaleProfile, run_multi_timescale};
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
    let progress = args.common.progress("timescale profiles");
    progress.start(profiles.len() as u64);
    // Each profile's run builds one fresh strategy (a profile finer than the data builds
    // none, so the bar may end short of its total).
    let build = |granularity| {
        progress.advance(1);
        build_strategy(name, &setup.swarm, lengths, granularity)
    };
    let label = strategy_label(name, lengths);
    let report = run_multi_timescale(&setup.series, &label, &build, &setup.backtest, &profiles);
    progress.finish();
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
