//! Backtests on request (the MCP tool `run_backtest`): a strategy over a slice of a bundled
//! data set on the paper exchange, the same runner as `coinswarm backtest`, bounded in bars
//! and in time so one request cannot hold the server.

use coinswarm_api::{ErrorCode, Failure, RetryAfter};
use coinswarm_core::backtest::strategies::registry::{self, SmaLengths, StrategyError, StrategyName, StrategySettings};
use coinswarm_core::backtest::{BacktestConfig, BacktestResult, Strategy, run_backtest};
use coinswarm_core::data::CandleSeries;
use coinswarm_core::market::ProductId;
use coinswarm_core::swarm::SwarmConfig;
use coinswarm_core::time::Timestamp;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// How large and long a requested backtest may be (`[mcp]` in the server config).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BacktestLimits {
    pub max_bars: usize,
    pub timeout: Duration,
}

/// A backtest request, as the tool takes it.
#[derive(Debug, Clone, Default)]
pub struct BacktestAsk {
    /// A bundled data set (e.g. `bitfinex-btcusd-1h`).
    pub data: String,
    /// The data set's product (its first when absent).
    pub product_id: Option<String>,
    pub strategy: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub capital: Option<Decimal>,
    pub fee_bps: Option<Decimal>,
    pub fast: Option<usize>,
    pub slow: Option<usize>,
    /// Add the recall agent (pattern memory, learning online) to the committee.
    pub recall: bool,
}

fn bad(code: ErrorCode, message: impl Into<String>) -> Failure {
    Failure::new(code, message)
}

/// Runs `ask` on a blocking thread within `limits`, if one of `room`'s permits is free (else
/// it is refused as busy); the answer is the result's summary: equity, return, fees and
/// every metric. The permit is held until the run ends, even one that outlived its timeout.
pub async fn run(ask: BacktestAsk, limits: BacktestLimits, room: Arc<Semaphore>) -> Result<Value, Failure> {
    let (series, mut strategy) = prepare(&ask, limits)?;
    let permit = room.try_acquire_owned().map_err(|_| {
        Failure::unavailable(
            "busy: as many backtests as mcp.max_concurrent_backtests are running; try again shortly",
            RetryAfter::BUSY,
        )
    })?;
    let capital = ask.capital.unwrap_or(Decimal::from(100_000));
    let mut config = BacktestConfig { capital, ..BacktestConfig::default() };
    if let Some(fee) = ask.fee_bps {
        config.exchange.taker_fee_bps = fee;
    }
    config.max_curve_points = 200;
    config.max_listed_trades = 0;
    let task = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let result = run_backtest(&[&series], strategy.as_mut(), &config, &BTreeMap::new());
        result.map(|r| summary(&r, &series)).map_err(|e| e.to_string())
    });
    match tokio::time::timeout(limits.timeout, task).await {
        Err(_) => Err(Failure::new(
            ErrorCode::BacktestTooLong,
            format!("the backtest did not finish within {} ms: ask for fewer bars", limits.timeout.as_millis()),
        )),
        Ok(Err(join)) => Err(Failure::unavailable(format!("the backtest failed: {join}"), RetryAfter::FAULT)),
        Ok(Ok(Err(message))) => Err(Failure::new(ErrorCode::BacktestFailed, message)),
        Ok(Ok(Ok(value))) => Ok(value),
    }
}

fn prepare(ask: &BacktestAsk, limits: BacktestLimits) -> Result<(CandleSeries, Box<dyn Strategy + Send>), Failure> {
    let dataset = coinswarm_data::load(&ask.data).map_err(|e| bad(ErrorCode::UnknownData, e.to_string()))?;
    let entry = match &ask.product_id {
        Some(text) => {
            let product: ProductId =
                text.parse().map_err(|e| bad(ErrorCode::InvalidProductId, format!("product_id '{text}': {e}")))?;
            dataset.entry(product).map_err(|e| Failure::not_found(e.to_string()))?
        }
        None => dataset.entries.first().ok_or_else(|| bad(ErrorCode::UnknownData, "the data set holds no product"))?,
    };
    let time = |text: &Option<String>, name: &str, end: bool| -> Result<Option<Timestamp>, Failure> {
        let Some(text) = text else { return Ok(None) };
        let parsed = if end { Timestamp::parse_inclusive_end(text) } else { Timestamp::parse(text) };
        parsed.map(Some).map_err(|e| bad(ErrorCode::InvalidTime, format!("{name} '{text}': {e}")))
    };
    let (from, to) = (time(&ask.from, "from", false)?, time(&ask.to, "to", true)?);
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        return Err(bad(ErrorCode::InvalidTime, "from is after to"));
    }
    let candles = entry.series.between(from, to);
    if candles.is_empty() {
        return Err(bad(
            ErrorCode::NoBars,
            format!("no bars of {} in {} within the range", entry.series.product_id(), dataset.name),
        ));
    }
    if candles.len() > limits.max_bars {
        return Err(bad(
            ErrorCode::TooManyBars,
            format!("{} bars asked, at most {} per request: narrow from/to", candles.len(), limits.max_bars),
        ));
    }
    let series = CandleSeries::new(entry.series.product_id(), entry.series.granularity(), candles.to_vec())
        .map_err(|e| bad(ErrorCode::InvalidData, e.to_string()))?;
    let mut swarm = SwarmConfig::default();
    if let Some(fee) = ask.fee_bps {
        if fee < Decimal::ZERO || fee > Decimal::from(1000) {
            return Err(bad(ErrorCode::InvalidParams, format!("fee_bps must be between 0 and 1000, not {fee}")));
        }
        swarm.exchange.taker_fee_bps = fee;
    }
    if ask.capital.is_some_and(|c| c <= Decimal::ZERO) {
        return Err(bad(ErrorCode::InvalidParams, "capital must be positive"));
    }
    let name: StrategyName =
        ask.strategy.parse().map_err(|e: StrategyError| bad(ErrorCode::InvalidStrategy, e.to_string()))?;
    swarm.recall.enabled = ask.recall || name == StrategyName::Recall;
    if name.needs_second_venue() {
        return Err(bad(
            ErrorCode::InvalidStrategy,
            format!("{name} needs a second venue: run it with `coinswarm backtest --other-venue`"),
        ));
    }
    let sma = SmaLengths {
        fast: ask.fast.unwrap_or(SmaLengths::default().fast),
        slow: ask.slow.unwrap_or(SmaLengths::default().slow),
    };
    let settings = StrategySettings { swarm: &swarm, granularity: series.granularity(), products: 1, sma };
    let strategy = registry::build(name, settings).map_err(|e| bad(ErrorCode::InvalidParams, e.to_string()))?;
    Ok((series, strategy))
}

fn summary(result: &BacktestResult, series: &CandleSeries) -> Value {
    let candles = series.candles();
    let total_return = if result.initial_equity.is_zero() {
        None
    } else {
        Some((result.final_equity - result.initial_equity) / result.initial_equity)
    };
    json!({
        "strategy": result.strategy,
        "product_id": series.product_id(),
        "granularity": result.granularity,
        "from": candles.first().map(|c| c.start.to_rfc3339()),
        "to": candles.last().map(|c| c.start.to_rfc3339()),
        "bars": result.bars,
        "initial_equity": result.initial_equity,
        "final_equity": result.final_equity,
        "total_return": total_return.map(|r| r.round_dp(6)),
        "fees_paid": result.fees_paid,
        "traded_notional": result.traded_notional,
        "metrics": result.metrics,
        "attribution": result.attribution,
    })
}
