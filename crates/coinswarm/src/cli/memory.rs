//! `coinswarm memory stats|patterns|audit`: pattern memory in the data directory's store.

use super::keys::DirArgs;
use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use coinswarm_core::memory::{Pattern, verify};
use coinswarm_server::adapters::store::EpisodeStore;
use std::io::Write;

#[derive(Debug, Subcommand)]
pub enum MemoryCommand {
    /// Episodes remembered: how many, how many with a known outcome, per product and regime.
    Stats(DirArgs),
    /// The learned patterns: lifecycle, weight, and what followed their states.
    Patterns(PatternsArgs),
    /// The audit log of changes to learned patterns; `--verify` checks its hash chain.
    Audit(AuditArgs),
}

#[derive(Debug, Args)]
pub struct PatternsArgs {
    #[command(flatten)]
    dir: DirArgs,
    /// Print every pattern as JSON (centroid, statistics, live record) instead of the table.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(flatten)]
    dir: DirArgs,
    /// Check every record's hash and link; exit non-zero naming the first that does not fit.
    #[arg(long)]
    verify: bool,
}

pub fn run(command: MemoryCommand, out: &mut dyn Write) -> anyhow::Result<()> {
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().context("cannot start the runtime")?;
    runtime.block_on(async {
        match command {
            MemoryCommand::Stats(dir) => {
                let store = dir.open_store().await?;
                let counts = store.episode_counts().await?;
                store.close().await;
                writeln!(out, "episodes          {}", counts.iter().map(|c| c.episodes).sum::<u64>())?;
                writeln!(out, "with an outcome   {}", counts.iter().map(|c| c.resolved).sum::<u64>())?;
                for c in counts {
                    writeln!(
                        out,
                        "  {:<10} {:<16} {} ({} with an outcome)",
                        c.product_id, c.regime, c.episodes, c.resolved
                    )?;
                }
            }
            MemoryCommand::Patterns(args) => {
                let store = args.dir.open_store().await?;
                let patterns = store.patterns().await?;
                store.close().await;
                if args.json {
                    let mut bytes = serde_json::to_vec_pretty(&patterns)?;
                    bytes.push(b'\n');
                    out.write_all(&bytes)?;
                } else {
                    write_patterns(out, &patterns)?;
                }
            }
            MemoryCommand::Audit(args) => {
                let store = args.dir.open_store().await?;
                let records = store.audit_log().await?;
                store.close().await;
                if args.verify {
                    if let Err(broken) = verify(&records) {
                        bail!("the audit log is broken: {broken}");
                    }
                    writeln!(out, "audit log verified: {} records, every hash and link intact", records.len())?;
                } else {
                    for r in &records {
                        writeln!(out, "{:>6}  {}  {:<9}  {}  {}", r.seq, r.time_ms, r.kind, &r.hash[..16], r.payload)?;
                    }
                }
            }
        }
        Ok(())
    })
}

/// The patterns as a table, one line each. Outcomes are long returns over the horizon, net
/// of fees; the Sharpe is annualised; "live" counts outcomes since the pattern became active.
pub fn write_patterns(out: &mut dyn Write, patterns: &[Pattern]) -> std::io::Result<()> {
    if patterns.is_empty() {
        return writeln!(out, "no patterns learned yet");
    }
    writeln!(
        out,
        "{:<18} {:<11} {:>6} {:>6} {:>6} {:>8} {:>7} {:>7} {:>7}  {:<22} {:>6}",
        "pattern", "lifecycle", "weight", "n", "win", "mean", "std", "sharpe", "max dd", "regime", "live n"
    )?;
    for p in patterns {
        let s = &p.stats;
        let lifecycle = serde_json::to_value(p.lifecycle).ok().and_then(|v| v.as_str().map(str::to_string));
        writeln!(
            out,
            "{:<18} {:<11} {:>6.2} {:>6} {:>5.1}% {:>7.3}% {:>6.2}% {:>7.2} {:>6.1}%  {:<22} {:>6}",
            p.id,
            lifecycle.unwrap_or_default(),
            p.weight,
            s.count,
            s.win_rate * 100.0,
            s.mean * 100.0,
            s.std * 100.0,
            s.sharpe,
            s.max_drawdown * 100.0,
            format!("{} ({:.0}%)", s.regime, s.regime_share * 100.0),
            p.live.count
        )?;
    }
    Ok(())
}
