//! The backtest loop: history replayed bar by bar through a strategy and the paper exchange.
//!
//! Semantics (the same exchange rules as live paper trading):
//! - Bars of every product are merged by start time. At each time, the engine first matches
//!   every product's bar (orders from earlier decisions fill at this bar's open, limits and
//!   stops intra-bar along the candle path), then the strategy decides at each bar's close.
//!   A signal on bar t's close therefore fills at bar t+1's open at the earliest: no
//!   look-ahead.
//! - Fees on every fill; positions marked to market at every bar's close in the equity curve.
//! - At the end, open positions are valued at each product's own last close, or, with
//!   `close_at_end`, sold at market at the last close (with fees).

use super::metrics::{AgentAttribution, ClosedTrade, EquityPoint, Metrics, MetricsConfig};
use super::round_trips::RoundTrips;
use super::strategy::{BarClose, Strategy};
use crate::data::CandleSeries;
use crate::exchange::{ConfigError, ExchangeConfig, MarketDataError, MatchingEngine, Rejection};
use crate::ledger::EventKind;
use crate::market::{Candle, Granularity, Product, ProductId};
use crate::time::Timestamp;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;

/// How a backtest runs.
#[derive(Debug, Clone, PartialEq)]
pub struct BacktestConfig {
    /// Quote currency deposited before the first bar. Default 100,000.
    pub capital: Decimal,
    /// Fees, slippage, participation cap and id seed of the paper exchange.
    pub exchange: ExchangeConfig,
    pub metrics: MetricsConfig,
    /// Sell open positions at the last close at the end (with fees) instead of only valuing them.
    pub close_at_end: bool,
}

impl Default for BacktestConfig {
    fn default() -> Self {
        Self {
            capital: Decimal::from(100_000),
            exchange: ExchangeConfig::default(),
            metrics: MetricsConfig::default(),
            close_at_end: false,
        }
    }
}

/// Why a backtest could not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BacktestError {
    #[error("nothing to replay: no bars in the range")]
    NoBars,
    #[error("products have different bar lengths ({0} and {1}): resample first")]
    MixedGranularity(Granularity, Granularity),
    #[error("products are priced in different currencies ({0} and {1}): one cash balance needs one quote currency")]
    MixedQuote(String, String),
    #[error(transparent)]
    Exchange(#[from] ConfigError),
    #[error("cannot set up the paper account: {0}")]
    Account(Rejection),
    #[error(transparent)]
    MarketData(#[from] MarketDataError),
}

/// Everything a backtest produced.
#[derive(Debug, Clone, Serialize)]
pub struct BacktestResult {
    pub strategy: String,
    pub products: Vec<ProductId>,
    pub granularity: Granularity,
    /// Bars replayed, summed over products (one product-bar per product per time).
    pub bars: u64,
    pub initial_equity: Decimal,
    pub final_equity: Decimal,
    pub fees_paid: Decimal,
    pub traded_notional: Decimal,
    pub metrics: Metrics,
    /// Per-agent attribution, for strategies made of agents (the committee).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attribution: Vec<AgentAttribution>,
    /// Closed round trips, plus (valued at the last close) those still open at the end.
    pub trades: Vec<ClosedTrade>,
    pub equity_curve: Vec<EquityPoint>,
}

/// Replays `series` (one per product, same granularity and quote currency) through
/// `strategy`. `other_venues`: per product, (venue, closes by bar start) of the same
/// product elsewhere, for cross-venue strategies.
pub fn run_backtest(
    series: &[&CandleSeries],
    strategy: &mut dyn Strategy,
    config: &BacktestConfig,
    other_venues: &BTreeMap<ProductId, (String, BTreeMap<Timestamp, f64>)>,
) -> Result<BacktestResult, BacktestError> {
    let first = series.iter().find(|s| !s.is_empty()).ok_or(BacktestError::NoBars)?;
    let granularity = first.granularity();
    let quote = first.product_id().quote;
    let mut products = Vec::new();
    for s in series {
        if s.granularity() != granularity {
            return Err(BacktestError::MixedGranularity(granularity, s.granularity()));
        }
        if s.product_id().quote != quote {
            return Err(BacktestError::MixedQuote(quote.to_string(), s.product_id().quote.to_string()));
        }
        products.push(Product::spot(s.product_id()));
    }
    let start =
        series.iter().filter_map(|s| s.candles().first()).map(|c| c.start).min().ok_or(BacktestError::NoBars)?;
    let mut engine = MatchingEngine::new(config.exchange.clone())?;
    for product in &products {
        engine.list_product(product.clone()).map_err(BacktestError::Account)?;
    }
    engine.deposit(quote, config.capital, start).map_err(BacktestError::Account)?;
    engine.drain_events().for_each(drop);

    let bar_ms = granularity.millis();
    let mut cursors = vec![0usize; series.len()];
    let mut marks: BTreeMap<ProductId, Decimal> = BTreeMap::new();
    let mut trips = RoundTrips::default();
    let mut curve = Vec::new();
    let mut fees_paid = Decimal::ZERO;
    let mut bars = 0u64;
    let mut due: Vec<(usize, Candle)> = Vec::with_capacity(series.len());
    let mut venues: Vec<(&str, f64)> = Vec::with_capacity(1);
    // The next bar start across products, then every product's bar at it.
    let next_start =
        |cursors: &[usize]| series.iter().zip(cursors).filter_map(|(s, &i)| s.candles().get(i)).map(|c| c.start).min();
    while let Some(time) = next_start(&cursors) {
        due.clear();
        for (i, s) in series.iter().enumerate() {
            if let Some(candle) = s.candles().get(cursors[i]).filter(|c| c.start == time) {
                engine.on_candle(s.product_id(), candle)?;
                marks.insert(s.product_id(), candle.close);
                due.push((i, *candle));
                cursors[i] += 1;
                bars += 1;
            }
        }
        for (i, candle) in &due {
            let product = &products[*i];
            venues.clear();
            if let Some((venue, closes)) = other_venues.get(&product.product_id)
                && let Some(close) = closes.get(&candle.start)
            {
                venues.push((venue.as_str(), *close));
            }
            let decided_at = candle.start.plus_millis(bar_ms);
            let bar = BarClose { product, candle, decided_at, other_venues: &venues };
            strategy.on_bar_close(&mut engine, &bar);
        }
        fees_paid += absorb(&mut engine, &mut trips, &products);
        curve.push(mark(&engine, &products, &marks, time.plus_millis(bar_ms)));
    }

    let end = curve.last().map_or(start, |p| p.time);
    if config.close_at_end {
        close_positions(&mut engine, &products, &marks, end)?;
        fees_paid += absorb(&mut engine, &mut trips, &products);
        if let Some(last) = curve.last_mut() {
            *last = mark(&engine, &products, &marks, end);
        }
    }
    let mut trades = trips.closed().to_vec();
    trades.extend(trips.open_at(&marks, end));
    let metrics = Metrics::compute(&curve, &trades, trips.traded_notional(), fees_paid, bar_ms, &config.metrics);
    Ok(BacktestResult {
        strategy: strategy.name(),
        products: products.iter().map(|p| p.product_id).collect(),
        granularity,
        bars,
        initial_equity: config.capital,
        final_equity: curve.last().map_or(config.capital, |p| p.equity),
        fees_paid,
        traded_notional: trips.traded_notional(),
        metrics,
        attribution: strategy.attribution(),
        trades,
        equity_curve: curve,
    })
}

/// Folds the engine's new fills into round trips and drains its outbox; returns the fees.
fn absorb(engine: &mut MatchingEngine, trips: &mut RoundTrips, products: &[Product]) -> Decimal {
    let mut fees = Decimal::ZERO;
    for event in engine.drain_events() {
        if let EventKind::OrderFilled { fill } | EventKind::OrderPartiallyFilled { fill } = &event.kind
            && let Some(product) = products.iter().find(|p| p.product_id == fill.product_id)
        {
            fees += fill.fee;
            trips.record(fill, product);
        }
    }
    fees
}

/// Cash plus every position at its product's last close.
fn mark(
    engine: &MatchingEngine,
    products: &[Product],
    marks: &BTreeMap<ProductId, Decimal>,
    time: Timestamp,
) -> EquityPoint {
    let account = engine.account();
    let quote = products[0].quote();
    let exposure: Decimal = products
        .iter()
        .map(|p| account.balance(p.base()).total() * marks.get(&p.product_id).copied().unwrap_or(Decimal::ZERO))
        .sum();
    EquityPoint { time, equity: account.balance(quote).total() + exposure, exposure }
}

/// Sells every position at market against a quote at its last close (no spread).
fn close_positions(
    engine: &mut MatchingEngine,
    products: &[Product],
    marks: &BTreeMap<ProductId, Decimal>,
    now: Timestamp,
) -> Result<(), BacktestError> {
    for product in products {
        let Some(close) = marks.get(&product.product_id) else { continue };
        let live: Vec<_> = engine.account().live_orders(product.product_id).to_vec();
        for order_id in live {
            let _ = engine.cancel(order_id, now);
        }
        engine.on_quote(&crate::market::Quote::new(product.product_id, now, *close, *close))?;
        let base = engine.account().balance(product.base()).available;
        let size = (base / product.base_increment).floor() * product.base_increment;
        if size >= product.base_min_size && size > Decimal::ZERO {
            let request = crate::exchange::OrderRequest::market(product.product_id, crate::market::Side::Sell, size);
            engine.submit(request, now).map_err(BacktestError::Account)?;
        }
    }
    Ok(())
}
