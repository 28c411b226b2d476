//! `coinswarm backtest`: a strategy replayed over real or user data on the paper exchange,
//! with the full set of metrics.

use super::replay_defaults::ReplayRealism;
use super::replay_source::{
    check_range, load_backtest_config, load_dataset, other_venue_closes, select_many, write_whole,
};
use super::strategy_arg::StrategyArg;
use crate::report::BacktestReport;
use anyhow::{Context, bail};
use clap::Args;
use coinswarm_core::backtest::metrics::MetricsConfig;
use coinswarm_core::backtest::strategies::{SmaLengths, StrategySettings, registry};
use coinswarm_core::backtest::{BacktestConfig, BacktestResult, Strategy, run_backtest};
use coinswarm_core::market::{Currency, ProductId};
use coinswarm_core::time::Timestamp;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct BacktestArgs {
    /// A bundled data set name (`coinswarm data list`), or the path of a CSV file in one of the
    /// bundled layouts or of a Parquet file (one product and bar per row), prices in `--quote`.
    #[arg(long)]
    data: String,
    /// Products to trade, sharing one cash balance (repeat the flag, e.g. --product BTC-USD
    /// --product ETH-USD). Required when the data set holds several products.
    #[arg(long)]
    product: Vec<ProductId>,
    /// First bar, inclusive: RFC 3339 or a plain date (midnight UTC).
    #[arg(long)]
    from: Option<Timestamp>,
    /// Last bar, inclusive: an RFC 3339 instant, or a plain date (its whole day).
    #[arg(long, value_parser = Timestamp::parse_inclusive_end)]
    to: Option<Timestamp>,
    /// The strategy.
    #[arg(long, value_enum)]
    strategy: StrategyArg,
    /// sma-cross: fast average length in bars (default 10, or `[sma_cross] fast` in --config).
    #[arg(long)]
    fast: Option<usize>,
    /// sma-cross: slow average length in bars (default 30, or `[sma_cross] slow` in --config).
    #[arg(long)]
    slow: Option<usize>,
    /// Quote currency deposited before the first bar.
    #[arg(long, default_value = "100000")]
    capital: Decimal,
    /// Taker fee in basis points (market orders, marketable limits); default Coinbase's 60.
    #[arg(long)]
    fee_bps: Option<Decimal>,
    /// Maker fee in basis points (resting limits); default Coinbase's 40.
    #[arg(long)]
    maker_fee_bps: Option<Decimal>,
    /// Slippage on every taker fill, in basis points; default 5 in a replay (0 with
    /// --frictionless).
    #[arg(long)]
    slippage_bps: Option<Decimal>,
    /// Largest fraction of a bar's volume the account's orders may take, in (0, 1]; default
    /// 0.10 in a replay (none with --frictionless).
    #[arg(long)]
    participation_cap: Option<Decimal>,
    #[command(flatten)]
    realism: ReplayRealism,
    /// Seed of the exchange's order and trade ids.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Annual risk-free rate for Sharpe and Sortino, as a fraction (0.04 = 4%).
    #[arg(long, default_value_t = 0.0)]
    risk_free_rate: f64,
    /// Sell open positions at the last close (with fees) instead of only valuing them there.
    #[arg(long)]
    close_at_end: bool,
    /// Turn on the recall agent (pattern memory) in the committee: `[recall] enabled = true`.
    #[arg(long)]
    recall: bool,
    #[command(flatten)]
    model: super::model::ModelArg,
    /// Another data set with the same products on another venue, for the arbitrage agent.
    #[arg(long)]
    other_venue: Option<String>,
    /// TOML file of strategy parameters: the swarm's thresholds (committee and single-agent
    /// strategies, same sections as `coinswarm swarm --config`) and `[sma_cross] fast, slow`.
    /// Command-line flags win over the file.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Quote currency of a file's prices.
    #[arg(long, default_value = "USD")]
    quote: Currency,
    /// Write every metric, the trade list and the equity curve as JSON to FILE, or `-` for
    /// standard output (instead of the text summary).
    #[arg(long, value_name = "FILE|-")]
    json: Option<String>,
    /// Write a self-contained HTML report (charts, every metric, the trades) to FILE.html.
    #[arg(long, value_name = "FILE.html")]
    report: Option<PathBuf>,
}

pub fn run(args: &BacktestArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    check_range(args.from, args.to)?;
    if args.capital <= Decimal::ZERO {
        bail!("--capital must be positive, got {}", args.capital);
    }
    let (mut swarm_config, sma_file) = load_backtest_config(args.config.as_deref())?;
    args.realism.apply(&mut swarm_config);
    swarm_config.recall.enabled |= args.recall;
    args.model.apply(&mut swarm_config)?;
    let fast = args.fast.or(sma_file.fast).unwrap_or(10);
    let slow = args.slow.or(sma_file.slow).unwrap_or(30);
    let StrategyArg(name) = args.strategy;
    if name.uses_sma_lengths() && (fast == 0 || fast >= slow) {
        bail!("{}", registry::StrategyError::SmaLengths { fast, slow });
    }
    let mut exchange = swarm_config.exchange.clone();
    exchange.id_seed = args.seed;
    exchange.taker_fee_bps = args.fee_bps.unwrap_or(exchange.taker_fee_bps);
    exchange.maker_fee_bps = args.maker_fee_bps.unwrap_or(exchange.maker_fee_bps);
    exchange.slippage_bps = args.slippage_bps.unwrap_or(exchange.slippage_bps);
    exchange.participation_cap = args.participation_cap.or(exchange.participation_cap);
    exchange.validate().map_err(|e| anyhow::anyhow!("{e}"))?;
    // The swarm scores outcomes (and pattern memory realises them) with the fees it trades at.
    swarm_config.exchange = exchange.clone();
    let metrics = MetricsConfig { risk_free_rate: args.risk_free_rate, ..MetricsConfig::default() };
    metrics.validate().map_err(|e| anyhow::anyhow!("--risk-free-rate: {e}"))?;
    let config = BacktestConfig {
        capital: args.capital,
        exchange,
        metrics,
        close_at_end: args.close_at_end,
        ..BacktestConfig::default()
    };

    let dataset = load_dataset(&args.data, args.quote)?;
    let entries = select_many(&dataset, &args.product)?;
    let sliced: Vec<_> = entries
        .iter()
        .map(|entry| {
            let candles = entry.series.between(args.from, args.to).to_vec();
            coinswarm_core::data::CandleSeries::new(entry.series.product_id(), entry.series.granularity(), candles)
                .expect("a slice of an ordered series is ordered")
        })
        .collect();
    if sliced.iter().all(|s| s.is_empty()) {
        bail!(
            "no bars of {} in {} within the range",
            join(entries.iter().map(|e| e.series.product_id())),
            dataset.name
        );
    }
    let granularity = entries[0].series.granularity();
    let mut venues = BTreeMap::new();
    if let Some(name) = &args.other_venue {
        for entry in &entries {
            let (venue, closes) = other_venue_closes(name, entry.series.product_id(), granularity, args.quote)?;
            venues.insert(entry.series.product_id(), (venue, closes.into_iter().collect()));
        }
    } else if name.needs_second_venue() {
        bail!("the arbitrage strategy needs --other-venue (e.g. --data bitfinex-daily --other-venue bitstamp-daily)");
    }
    let settings = StrategySettings {
        swarm: &swarm_config,
        granularity,
        products: sliced.iter().filter(|s| !s.is_empty()).count(),
        sma: SmaLengths { fast, slow },
    };
    let mut strategy: Box<dyn Strategy> = registry::build(name, settings)?;
    let series: Vec<_> = sliced.iter().collect();
    let result = run_backtest(&series, strategy.as_mut(), &config, &venues).context("backtest failed")?;
    if let Some(path) = &args.report {
        let report = BacktestReport {
            data: &args.data,
            result: &result,
            prices: sliced[0].candles(),
            risk_free_rate: args.risk_free_rate,
            attribution: &result.attribution,
        };
        write_whole(path, report.to_html().as_bytes())?;
        eprintln!("report written to {}", path.display());
    }
    match args.json.as_deref() {
        Some("-") => {
            let mut bytes = serde_json::to_vec_pretty(&result)?;
            bytes.push(b'\n');
            out.write_all(&bytes)?;
        }
        Some(path) => {
            let bytes = serde_json::to_vec_pretty(&result)?;
            write_whole(std::path::Path::new(path), &bytes)?;
            write_text(out, &dataset.name, &result)?;
        }
        None => write_text(out, &dataset.name, &result)?,
    }
    Ok(())
}

fn join(items: impl Iterator<Item = ProductId>) -> String {
    items.map(|p| p.to_string()).collect::<Vec<_>>().join(", ")
}

fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_string(), |v| format!("{:.2}%", v * 100.0))
}

fn ratio(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_string(), |v| format!("{v:.3}"))
}

fn write_text(out: &mut dyn Write, data: &str, result: &BacktestResult) -> anyhow::Result<()> {
    let m = &result.metrics;
    let curve = &result.equity_curve;
    // Equity points are stamped at bar ends: the run starts one bar before the first.
    let bar_ms = result.granularity.millis();
    let span = match (curve.first(), curve.last()) {
        (Some(first), Some(last)) => format!("{} → {}", first.time.plus_millis(-bar_ms), last.time),
        _ => "-".to_string(),
    };
    writeln!(
        out,
        "backtest {} on {data} {} ({})",
        result.strategy,
        join(result.products.iter().copied()),
        result.granularity
    )?;
    writeln!(out, "bars               {} ({span})", result.bars)?;
    writeln!(out, "market model       {}", result.market_model)?;
    writeln!(out, "equity             {} → {}", result.initial_equity, result.final_equity.round_dp(2))?;
    writeln!(out, "total return       {}", percent(m.total_return))?;
    writeln!(out, "CAGR               {}", percent(m.cagr))?;
    let periods = m.periods_per_year.map_or_else(|| "n/a".to_string(), |p| format!("{p:.0}"));
    writeln!(out, "annualised vol     {} (×√{periods} bars per 365-day year)", percent(m.annualised_volatility))?;
    writeln!(out, "Sharpe / Sortino   {} / {}", ratio(m.sharpe), ratio(m.sortino))?;
    writeln!(out, "Calmar             {}", ratio(m.calmar))?;
    let days = m.max_drawdown.duration_ms as f64 / 86_400_000.0;
    writeln!(
        out,
        "max drawdown       {} over {} bars ({days:.1} days)",
        percent(Some(m.max_drawdown.fraction)),
        m.max_drawdown.duration_bars
    )?;
    let t = &m.trades;
    writeln!(
        out,
        "trades             {} (won {}, lost {}; win rate {})",
        t.count,
        t.wins,
        t.losses,
        percent(t.win_rate)
    )?;
    writeln!(out, "profit factor      {}", ratio(t.profit_factor))?;
    let money = |d: Option<Decimal>| d.map_or_else(|| "n/a".to_string(), |d| d.round_dp(2).to_string());
    writeln!(out, "avg win / loss     {} / {}", money(t.average_win), money(t.average_loss))?;
    writeln!(out, "expectancy         {} per trade", money(t.expectancy))?;
    writeln!(out, "exposure           {} of bars in the market", percent(m.exposure.time_in_market))?;
    writeln!(out, "turnover           {}", ratio(m.turnover))?;
    writeln!(out, "fees paid          {}", m.fees_paid.round_dp(2))?;
    if let Some(notice) = &result.restriction_notice {
        writeln!(out, "NOTE               {notice}")?;
    }
    if result.equity_curve_stride > 1 || result.trades_not_listed > 0 {
        writeln!(
            out,
            "listed             equity every {} bars; {} closed trades counted but not listed",
            result.equity_curve_stride, result.trades_not_listed
        )?;
    }
    if !result.attribution.is_empty() {
        writeln!(out, "agents             votes   vetoes  accuracy  final weight")?;
        for agent in &result.attribution {
            writeln!(
                out,
                "  {:<16} {:>6}  {:>6}  {:>8}  {:>12.3}",
                agent.agent,
                agent.votes,
                agent.vetoes,
                percent(agent.accuracy),
                agent.final_weight
            )?;
        }
    }
    Ok(())
}
