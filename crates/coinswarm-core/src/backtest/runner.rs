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
//! - Bars stream from their [`BarFeed`]s and every metric is accumulated as they pass, so
//!   memory does not grow with the run: the result lists at most
//!   [`BacktestConfig::max_curve_points`] equity points (evenly thinned beyond, always with the
//!   first and last bar) and the first [`BacktestConfig::max_listed_trades`] trades, while the
//!   metrics and trade statistics count every bar and every trade.

use super::bar_feed::BarFeed;
use super::metrics::{AgentAttribution, ClosedTrade, CurveAccumulator, EquityPoint, Metrics, MetricsConfig};
use super::round_trips::RoundTrips;
use super::sampled_curve::SampledCurve;
use super::strategy::{BarClose, Strategy};
use crate::data::CandleSeries;
use crate::exchange::{ConfigError, ExchangeConfig, MarketDataError, MatchingEngine, Rejection};
use crate::ledger::EventKind;
use crate::market::{Candle, Granularity, Product, ProductId, decimal_to_f64};
use crate::swarm::Restrictions;
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
    /// Most equity points listed in the result; a longer run is thinned evenly (metrics still
    /// use every bar). Default 100,000 (over 11 years of hourly bars, all listed).
    pub max_curve_points: usize,
    /// Most closed trades listed in the result, the earliest first (trade statistics still count
    /// every trade). Default 100,000.
    pub max_listed_trades: usize,
}

impl Default for BacktestConfig {
    fn default() -> Self {
        Self {
            capital: Decimal::from(100_000),
            exchange: ExchangeConfig::default(),
            metrics: MetricsConfig::default(),
            close_at_end: false,
            max_curve_points: 100_000,
            max_listed_trades: 100_000,
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
    #[error("{product_id} is fed twice: one feed per product")]
    DuplicateProduct { product_id: ProductId },
    #[error(transparent)]
    Exchange(#[from] ConfigError),
    #[error("cannot set up the paper account: {0}")]
    Account(Rejection),
    #[error(transparent)]
    MarketData(#[from] MarketDataError),
    #[error("the {product_id} bar source failed: {message}")]
    Feed { product_id: ProductId, message: String },
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
    /// The costs the fills were charged, so a reader knows what the result assumes.
    pub market_model: MarketModel,
    pub metrics: Metrics,
    /// Per-agent attribution, for strategies made of agents (the committee).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attribution: Vec<AgentAttribution>,
    /// Decisions taken unable to add risk (halted, breaker, oversight, vetoed), with counts
    /// and dates, for strategies that trade through the pre-trade gate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restrictions: Option<Restrictions>,
    /// Said when more of the run than the strategy's threshold (default 10%) was restricted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restriction_notice: Option<String>,
    /// Closed round trips (the first [`BacktestConfig::max_listed_trades`]), plus (valued at the
    /// last close) those still open at the end.
    pub trades: Vec<ClosedTrade>,
    /// Closed round trips not listed in `trades` because the list was full (0 normally).
    pub trades_not_listed: u64,
    /// Marked equity every `equity_curve_stride` bars (1: every bar), plus the last bar.
    pub equity_curve: Vec<EquityPoint>,
    pub equity_curve_stride: u64,
}

/// What a backtest's fills cost beyond the bar's prices.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MarketModel {
    pub taker_fee_bps: Decimal,
    pub maker_fee_bps: Decimal,
    /// Taker fills move this far against the order.
    pub slippage_bps: Decimal,
    /// Largest share of a bar's volume one order may fill (none: the whole bar).
    pub participation_cap: Option<Decimal>,
}

impl MarketModel {
    pub fn of(exchange: &ExchangeConfig) -> Self {
        Self {
            taker_fee_bps: exchange.taker_fee_bps,
            maker_fee_bps: exchange.maker_fee_bps,
            slippage_bps: exchange.slippage_bps,
            participation_cap: exchange.participation_cap,
        }
    }
}

impl std::fmt::Display for MarketModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "fees {}/{} bps taker/maker, slippage {} bps, ",
            self.taker_fee_bps.normalize(),
            self.maker_fee_bps.normalize(),
            self.slippage_bps.normalize()
        )?;
        match self.participation_cap {
            Some(cap) => write!(f, "at most {}% of a bar's volume per order", (cap * Decimal::ONE_HUNDRED).normalize()),
            None => write!(f, "no participation cap"),
        }
    }
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
    let feeds = series.iter().map(|s| BarFeed::from_series(s)).collect();
    run_backtest_feeds(feeds, strategy, config, other_venues)
}

/// One product in the loop: its feed, the bar it will replay next, and its latest marks.
struct Slot<'a> {
    feed: BarFeed<'a>,
    product: Product,
    head: Option<Candle>,
    /// The latest close, exact and as `f64`.
    mark: Option<Decimal>,
    mark_f64: f64,
    /// The account's holding of the base currency (refreshed when the account changes).
    held: Decimal,
    held_f64: f64,
}

impl Slot<'_> {
    fn advance(&mut self) -> Result<(), BacktestError> {
        self.head = self
            .feed
            .next_bar()
            .map_err(|message| BacktestError::Feed { product_id: self.product.product_id, message })?;
        Ok(())
    }
}

/// Replays `feeds` (one per product, same granularity and quote currency, each oldest first)
/// through `strategy`, pulling one bar at a time: memory stays flat however long the feeds.
pub fn run_backtest_feeds(
    feeds: Vec<BarFeed<'_>>,
    strategy: &mut dyn Strategy,
    config: &BacktestConfig,
    other_venues: &BTreeMap<ProductId, (String, BTreeMap<Timestamp, f64>)>,
) -> Result<BacktestResult, BacktestError> {
    let granularity = feeds.first().ok_or(BacktestError::NoBars)?.granularity();
    let quote = feeds[0].product_id().quote;
    let mut slots = Vec::with_capacity(feeds.len());
    for feed in feeds {
        if feed.granularity() != granularity {
            return Err(BacktestError::MixedGranularity(granularity, feed.granularity()));
        }
        if feed.product_id().quote != quote {
            return Err(BacktestError::MixedQuote(quote.to_string(), feed.product_id().quote.to_string()));
        }
        if slots.iter().any(|s: &Slot<'_>| s.product.product_id == feed.product_id()) {
            return Err(BacktestError::DuplicateProduct { product_id: feed.product_id() });
        }
        let product = Product::spot(feed.product_id());
        let mut slot =
            Slot { feed, product, head: None, mark: None, mark_f64: 0.0, held: Decimal::ZERO, held_f64: 0.0 };
        slot.advance()?;
        slots.push(slot);
    }
    let start = slots.iter().filter_map(|s| s.head).map(|c| c.start).min().ok_or(BacktestError::NoBars)?;
    let mut engine = MatchingEngine::new(config.exchange.clone())?;
    for slot in &slots {
        engine.list_product(slot.product.clone()).map_err(BacktestError::Account)?;
    }
    engine.deposit(quote, config.capital, start).map_err(BacktestError::Account)?;
    engine.drain_events().for_each(drop);

    let bar_ms = granularity.millis();
    let mut trips = RoundTrips::keeping(config.max_listed_trades);
    let mut curve = SampledCurve::new(config.max_curve_points);
    let mut accumulator = CurveAccumulator::new(bar_ms, &config.metrics);
    // Each bar's f64 mark is recorded one bar late, so `close_at_end` can still replace the last.
    let mut pending: Option<(Timestamp, f64, f64)> = None;
    let mut first_equity = None;
    let mut fees_paid = Decimal::ZERO;
    let mut bars = 0u64;
    let mut cash = Decimal::ZERO;
    let mut cash_f64 = 0.0;
    let mut seen_seq = None;
    // The products with a bar at the current time (their bar is still their `head`).
    let mut due: Vec<usize> = Vec::with_capacity(slots.len());
    let mut venues: Vec<(&str, f64)> = Vec::with_capacity(1);
    while let Some(time) = slots.iter().filter_map(|s| s.head).map(|c| c.start).min() {
        due.clear();
        for (index, slot) in slots.iter_mut().enumerate() {
            if let Some(candle) = slot.head.filter(|c| c.start == time) {
                engine.on_candle(slot.product.product_id, &candle)?;
                slot.mark = Some(candle.close);
                slot.mark_f64 = decimal_to_f64(candle.close);
                due.push(index);
                bars += 1;
            }
        }
        let decided_at = time.plus_millis(bar_ms);
        for &index in &due {
            let slot = &slots[index];
            let Some(candle) = &slot.head else { continue };
            venues.clear();
            if let Some((venue, closes)) = other_venues.get(&slot.product.product_id)
                && let Some(close) = closes.get(&candle.start)
            {
                venues.push((venue.as_str(), *close));
            }
            let bar =
                BarClose { product: &slot.product, candle, close: slot.mark_f64, decided_at, other_venues: &venues };
            strategy.on_bar_close(&mut engine, &bar);
        }
        if !engine.events().is_empty() {
            fees_paid += absorb(&mut engine, &mut trips, &slots);
        }
        // Holdings change only with account events: convert them again only then.
        let seq = engine.account().next_seq();
        if seen_seq != Some(seq) {
            seen_seq = Some(seq);
            cash = engine.account().balance(quote).total();
            cash_f64 = decimal_to_f64(cash);
            for slot in &mut slots {
                slot.held = engine.account().balance(slot.product.base()).total();
                slot.held_f64 = decimal_to_f64(slot.held);
            }
        }
        let exposure: f64 = slots.iter().map(|s| s.held_f64 * s.mark_f64).sum();
        if let Some((time, equity, exposure)) = pending.replace((decided_at, cash_f64 + exposure, exposure)) {
            accumulator.record(time, equity, exposure);
        }
        curve.offer(|| mark(cash, &slots, decided_at));
        first_equity.get_or_insert_with(|| mark(cash, &slots, decided_at).equity);
        for &index in &due {
            slots[index].advance()?;
        }
    }

    let end = pending.map_or(start, |(time, _, _)| time);
    if config.close_at_end {
        close_positions(&mut engine, &slots, end)?;
        fees_paid += absorb(&mut engine, &mut trips, &slots);
    }
    for slot in &mut slots {
        slot.held = engine.account().balance(slot.product.base()).total();
    }
    let last = mark(engine.account().balance(quote).total(), &slots, end);
    if pending.is_some() {
        accumulator.record(end, decimal_to_f64(last.equity), decimal_to_f64(last.exposure));
    }
    let marks: BTreeMap<ProductId, Decimal> =
        slots.iter().filter_map(|s| s.mark.map(|m| (s.product.product_id, m))).collect();
    let open = trips.open_at(&marks, end);
    let stats = trips.stats_with(&open);
    let metrics = accumulator.finish((first_equity, Some(last.equity)), stats, trips.traded_notional(), fees_paid);
    let mut trades = trips.closed().to_vec();
    trades.extend(open);
    let equity_curve_stride = curve.stride();
    let restrictions = strategy.restrictions();
    Ok(BacktestResult {
        strategy: strategy.name(),
        products: slots.iter().map(|s| s.product.product_id).collect(),
        granularity,
        bars,
        initial_equity: config.capital,
        final_equity: last.equity,
        fees_paid,
        traded_notional: trips.traded_notional(),
        market_model: MarketModel::of(&config.exchange),
        metrics,
        attribution: strategy.attribution(),
        restriction_notice: restrictions.as_ref().and_then(|(r, fraction)| r.notice(*fraction)),
        restrictions: restrictions.map(|(r, _)| r),
        trades_not_listed: trips.closed_count() - trips.closed().len() as u64,
        trades,
        equity_curve: curve.finish(pending.map(|_| last)),
        equity_curve_stride,
    })
}

/// Folds the engine's new fills into round trips and drains its outbox; returns the fees.
fn absorb(engine: &mut MatchingEngine, trips: &mut RoundTrips, slots: &[Slot<'_>]) -> Decimal {
    let mut fees = Decimal::ZERO;
    for event in engine.drain_events() {
        if let EventKind::OrderFilled { fill } | EventKind::OrderPartiallyFilled { fill } = &event.kind
            && let Some(slot) = slots.iter().find(|s| s.product.product_id == fill.product_id)
        {
            fees += fill.fee;
            trips.record(fill, &slot.product);
        }
    }
    fees
}

/// `cash` plus every holding at its product's last close, exactly.
fn mark(cash: Decimal, slots: &[Slot<'_>], time: Timestamp) -> EquityPoint {
    let mut exposure = Decimal::ZERO;
    for slot in slots {
        if let Some(close) = slot.mark
            && !slot.held.is_zero()
        {
            exposure += slot.held * close;
        }
    }
    EquityPoint { time, equity: cash + exposure, exposure }
}

/// Sells every position at market against a quote at its last close (no spread).
fn close_positions(engine: &mut MatchingEngine, slots: &[Slot<'_>], now: Timestamp) -> Result<(), BacktestError> {
    for slot in slots {
        let product = &slot.product;
        let Some(close) = slot.mark else { continue };
        let live: Vec<_> = engine.account().live_orders(product.product_id).to_vec();
        for order_id in live {
            let _ = engine.cancel(order_id, now);
        }
        engine.on_quote(&crate::market::Quote::new(product.product_id, now, close, close))?;
        let base = engine.account().balance(product.base()).available;
        let size = (base / product.base_increment).floor() * product.base_increment;
        if size >= product.base_min_size && size > Decimal::ZERO {
            let request = crate::exchange::OrderRequest::market(product.product_id, crate::market::Side::Sell, size);
            engine.submit(request, now).map_err(BacktestError::Account)?;
        }
    }
    Ok(())
}
