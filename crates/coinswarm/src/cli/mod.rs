//! Command-line interface: one module per command group, each a clap subcommand enum with
//! a `run` that writes to the given output.

mod backtest;
mod bench;
mod bench_api;
mod bench_jwt;
mod bench_mcp;
mod bench_predictions;
mod bench_vectors;
mod bench_ws;
mod data;
mod keys;
mod mcp;
mod memory;
mod model;
mod progress;
mod replay_defaults;
mod replay_source;
mod strategy_arg;
mod swarm;
mod up;
mod validate;

use clap::{Parser, Subcommand};
use std::io::{self, BufWriter, Write};

/// Coinswarm: a multi-agent crypto trading system.
#[derive(Debug, Parser)]
#[command(name = "coinswarm", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run Coinswarm: the swarm trading a paper account on replayed real data, with the
    /// HTTP API, in one process with no set-up (state in `--data-dir`).
    Up(up::UpArgs),
    /// The MCP server on stdio for LLM clients (Claude Desktop and others): market data, the
    /// swarm's predictions, backtests and guarded paper trading, over the same services as `up`.
    Mcp(mcp::McpArgs),
    /// API keys of the server's data directory: create, list, revoke.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Pattern memory of the server's data directory: episode statistics, the audit log.
    #[command(subcommand)]
    Memory(memory::MemoryCommand),
    /// The bundled real market data: list data sets, print candles, report defects.
    #[command(subcommand)]
    Data(data::DataCommand),
    /// Replay a data set through the swarm and the paper exchange; print what it did and
    /// the SHA-256 of its decision log.
    Swarm(swarm::SwarmArgs),
    /// Backtest a strategy (the committee, one agent, buy-and-hold, an SMA cross) on real or
    /// user data; print its metrics, or write them with every trade as JSON.
    Backtest(backtest::BacktestArgs),
    /// Test whether a strategy's backtest is robust: over random windows, across timescales,
    /// and out of sample after a walk-forward parameter search.
    #[command(subcommand)]
    Validate(validate::ValidateCommand),
    /// The learned agent's model: train one walk-forward-safe on bars before --to, inspect a file.
    #[command(subcommand)]
    Model(model::ModelCommand),
    /// Throughput measurements on this machine.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

/// Runs the command, writing its output to standard output.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let mut out = BufWriter::new(io::stdout().lock());
    match cli.command {
        Command::Up(args) => {
            drop(out);
            return up::run(&args);
        }
        Command::Mcp(args) => {
            drop(out);
            return mcp::run(&args);
        }
        Command::Keys(command) => keys::run(command, &mut out)?,
        Command::Memory(command) => memory::run(command, &mut out)?,
        Command::Data(command) => data::run(command, &mut out)?,
        Command::Swarm(args) => swarm::run(&args, &mut out)?,
        Command::Backtest(args) => backtest::run(&args, &mut out)?,
        Command::Validate(command) => validate::run(&command, &mut out)?,
        Command::Model(command) => model::run(&command, &mut out)?,
        Command::Bench(command) => bench::run(command, &mut out)?,
    }
    out.flush()?;
    Ok(())
}

/// Whether the error is standard output closing under us (a pager or `head` quitting).
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| cause.downcast_ref::<io::Error>().is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe))
}
