//! `coinswarm swarm`: replays a data set through the swarm and the paper exchange and
//! prints what the swarm did, with the hash of its decision log.

use super::replay_defaults::ReplayRealism;
use super::replay_source::{ReplayData, load_config, other_venue_closes, write_whole};
use anyhow::{Context, bail};
use clap::Args;
use coinswarm_core::data::{Dataset, DatasetEntry};
use coinswarm_core::exchange::MatchingEngine;
use coinswarm_core::market::{Candle, Granularity, Product, ProductId};
use coinswarm_core::memory::Pattern;
use coinswarm_core::swarm::{AgentKind, DecisionLog, Swarm, SwarmSummary};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

/// Regime changes listed in the text summary; `--json` lists all.
const REGIMES_SHOWN: usize = 12;

#[derive(Debug, Args)]
pub struct SwarmArgs {
    #[command(flatten)]
    source: ReplayData,
    /// Seed of the paper exchange's order and trade ids. The run is otherwise deterministic.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Quote currency deposited before the first bar.
    #[arg(long, default_value = "100000")]
    capital: Decimal,
    /// Another data set with the same product on another venue (e.g. bitstamp-daily), whose
    /// closes the arbitrage agent compares with this one's, bar by bar.
    #[arg(long)]
    other_venue: Option<String>,
    /// TOML file overriding any threshold of the swarm's config (missing keys keep defaults).
    #[arg(long)]
    config: Option<PathBuf>,
    #[command(flatten)]
    realism: ReplayRealism,
    /// Turn on the recall agent (pattern memory): `[recall] enabled = true`. The summary then
    /// reports the episodes and the patterns it learned.
    #[arg(long)]
    recall: bool,
    #[command(flatten)]
    model: super::model::ModelArg,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
    /// Write the full decision log to FILE as JSON lines (written whole, then renamed).
    #[arg(long, value_name = "FILE")]
    log: Option<PathBuf>,
}

/// The summary printed at the end, as JSON or text.
#[derive(Debug, Serialize)]
struct Report<'a> {
    data: &'a str,
    venue: &'a str,
    product: ProductId,
    granularity: Granularity,
    first_bar: Option<String>,
    last_bar: Option<String>,
    bars: usize,
    decisions_by_action: ActionCounts,
    vetoes_by_agent: BTreeMap<&'static str, u64>,
    regime_changes: Vec<RegimeChange>,
    breaker_trips: u64,
    /// Decisions taken while the breaker allowed no new exposure.
    breaker_blocked_decisions: u64,
    oversight_blocks: u64,
    /// Buy or Sell decisions that sent no order, by reason.
    skipped_by_reason: BTreeMap<&'static str, u64>,
    protective_exits: u64,
    orders: u64,
    rejected_orders: u64,
    trades: u64,
    fees_paid: Decimal,
    initial_equity: Decimal,
    final_equity: Decimal,
    total_return_percent: Decimal,
    /// Decisions unable to add risk, by cause, with dates.
    restrictions: coinswarm_core::swarm::Restrictions,
    /// Said when more than `orchestrator.restricted_notice_fraction` of decisions were restricted.
    #[serde(skip_serializing_if = "Option::is_none")]
    restriction_notice: Option<String>,
    decision_log_sha256: String,
    /// Pattern memory, with the recall agent enabled.
    #[serde(skip_serializing_if = "Option::is_none")]
    memory: Option<MemoryReport>,
}

/// What pattern memory holds at the end of the replay.
#[derive(Debug, Serialize)]
struct MemoryReport {
    episodes_resolved: u64,
    episodes_pending: usize,
    learning_runs: u64,
    audit_records: usize,
    patterns: Vec<Pattern>,
}

#[derive(Debug, Serialize)]
struct ActionCounts {
    buy: u64,
    sell: u64,
    hold: u64,
}

#[derive(Debug, Serialize)]
struct RegimeChange {
    time: String,
    regime: String,
}

pub fn run(args: &SwarmArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    if args.capital <= Decimal::ZERO {
        bail!("--capital must be positive, got {}", args.capital);
    }
    let mut config = load_config(args.config.as_deref())?;
    config.exchange.id_seed = args.seed;
    args.realism.apply(&mut config);
    config.recall.enabled |= args.recall;
    args.model.apply(&mut config)?;
    let dataset = args.source.load()?;
    let (entry, candles) = args.source.select(&dataset)?;
    let product_id = entry.series.product_id();
    let first = &candles[0];
    let other = match &args.other_venue {
        Some(name) => Some(other_venue_closes(name, product_id, entry.series.granularity(), args.source.quote)?),
        None => None,
    };

    let granularity = entry.series.granularity();
    let product = Product::spot(product_id);
    let mut engine = MatchingEngine::new(config.exchange.clone())?;
    engine.list_product(product.clone())?;
    engine
        .deposit(product.quote(), args.capital, first.start)
        .with_context(|| format!("cannot fund the paper account with --capital {}", args.capital))?;
    let log = DecisionLog::new(args.log.is_some());
    let mut swarm = Swarm::new(config, product, granularity, Some(log))?;
    let mut venues: Vec<(&str, f64)> = Vec::with_capacity(1);
    for candle in candles {
        venues.clear();
        if let Some((venue, closes)) = &other
            && let Some(close) = closes.get(&candle.start)
        {
            venues.push((venue.as_str(), *close));
        }
        swarm
            .on_candle(&mut engine, candle, &venues)
            .with_context(|| format!("replaying the bar at {}", candle.start))?;
        // A replay keeps no exchange history: the decision log is the record.
        engine.drain_events().for_each(drop);
    }
    let log = swarm.log().context("the swarm keeps a decision log")?;
    if let Some(path) = &args.log {
        write_whole(path, log.lines().as_bytes())?;
    }
    let mut report = report(&dataset, entry, candles, swarm.summary(), log.hash_hex());
    let notice_fraction = swarm_notice_fraction(&swarm);
    report.restriction_notice = swarm.summary().restrictions.notice(notice_fraction);
    report.memory = swarm.recall().map(|recall| MemoryReport {
        episodes_resolved: recall.memory().resolved(),
        episodes_pending: recall.memory().pending(),
        learning_runs: recall.patterns().learning_runs(),
        audit_records: recall.patterns().audit().records().len(),
        patterns: recall.patterns().patterns().to_vec(),
    });
    if args.json {
        let mut bytes = serde_json::to_vec_pretty(&report)?;
        bytes.push(b'\n');
        out.write_all(&bytes)?;
    } else {
        write_text(out, &report)?;
    }
    Ok(())
}

fn report<'a>(
    dataset: &'a Dataset,
    entry: &DatasetEntry,
    candles: &[Candle],
    summary: &SwarmSummary,
    hash: String,
) -> Report<'a> {
    Report {
        data: &dataset.name,
        venue: &dataset.venue,
        product: entry.series.product_id(),
        granularity: entry.series.granularity(),
        first_bar: candles.first().map(|c| c.start.to_rfc3339()),
        last_bar: candles.last().map(|c| c.start.to_rfc3339()),
        bars: candles.len(),
        decisions_by_action: ActionCounts { buy: summary.buys, sell: summary.sells, hold: summary.holds },
        vetoes_by_agent: AgentKind::ALL.iter().map(|agent| (agent.as_str(), summary.vetoes[agent.index()])).collect(),
        regime_changes: summary
            .regime_changes
            .iter()
            .map(|(time, regime)| RegimeChange { time: time.to_rfc3339(), regime: regime.to_string() })
            .collect(),
        breaker_trips: summary.breaker_trips,
        breaker_blocked_decisions: summary.breaker_blocked_decisions,
        oversight_blocks: summary.oversight_blocks,
        skipped_by_reason: summary.skipped.clone(),
        protective_exits: summary.protective_exits,
        orders: summary.orders,
        rejected_orders: summary.rejected_orders,
        trades: summary.fills,
        fees_paid: summary.fees_paid.round_dp(2),
        initial_equity: summary.initial_equity,
        final_equity: summary.final_equity.round_dp(2),
        total_return_percent: (summary.total_return() * Decimal::ONE_HUNDRED).round_dp(2),
        restrictions: summary.restrictions.clone(),
        restriction_notice: None,
        decision_log_sha256: hash,
        memory: None,
    }
}

fn write_text(out: &mut dyn Write, report: &Report<'_>) -> anyhow::Result<()> {
    let when = |t: &Option<String>| t.clone().unwrap_or_else(|| "-".to_string());
    writeln!(out, "swarm on {} {} ({}, {})", report.data, report.product, report.venue, report.granularity)?;
    writeln!(out, "bars              {} ({} → {})", report.bars, when(&report.first_bar), when(&report.last_bar))?;
    let actions = &report.decisions_by_action;
    writeln!(out, "decisions         buy {}, sell {}, hold {}", actions.buy, actions.sell, actions.hold)?;
    let vetoes: Vec<String> = AgentKind::ALL
        .iter()
        .map(|agent| format!("{} {}", agent.as_str(), report.vetoes_by_agent.get(agent.as_str()).copied().unwrap_or(0)))
        .collect();
    writeln!(out, "vetoes            {}", vetoes.join(", "))?;
    writeln!(out, "regime changes    {}", report.regime_changes.len())?;
    let shown = report.regime_changes.len().min(REGIMES_SHOWN);
    for change in &report.regime_changes[..shown] {
        writeln!(out, "  {}  {}", change.time, change.regime)?;
    }
    if report.regime_changes.len() > shown {
        writeln!(out, "  … {} more (all of them with --json)", report.regime_changes.len() - shown)?;
    }
    writeln!(
        out,
        "breaker trips     {} ({} decisions taken while it blocked new buys)",
        report.breaker_trips, report.breaker_blocked_decisions
    )?;
    writeln!(out, "oversight blocks  {}", report.oversight_blocks)?;
    writeln!(out, "protective exits  {}", report.protective_exits)?;
    let skipped: Vec<String> = report.skipped_by_reason.iter().map(|(why, n)| format!("{why} {n}")).collect();
    writeln!(out, "skipped           {}", if skipped.is_empty() { "none".to_string() } else { skipped.join(", ") })?;
    writeln!(out, "orders            {} ({} rejected)", report.orders, report.rejected_orders)?;
    writeln!(out, "trades (fills)    {} (fees {})", report.trades, report.fees_paid)?;
    writeln!(
        out,
        "equity            {} → {} ({}%)",
        report.initial_equity, report.final_equity, report.total_return_percent
    )?;
    if let Some(notice) = &report.restriction_notice {
        writeln!(out, "NOTE              {notice}")?;
    }
    writeln!(out, "decision log      sha256 {}", report.decision_log_sha256)?;
    if let Some(memory) = &report.memory {
        writeln!(
            out,
            "memory            {} episodes resolved ({} pending), {} learning runs, {} audit records",
            memory.episodes_resolved, memory.episodes_pending, memory.learning_runs, memory.audit_records
        )?;
        super::memory::write_patterns(out, &memory.patterns)?;
    }
    Ok(())
}

/// The fraction of restricted decisions beyond which the swarm's report says so.
fn swarm_notice_fraction(swarm: &Swarm) -> f64 {
    swarm.config().orchestrator.restricted_notice_fraction
}
