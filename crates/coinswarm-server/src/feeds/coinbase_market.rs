//! The live feed (`--feed coinbase`): Coinbase's ticker stream drives the market board, the
//! `/stream` clients and every account session, while orders still go to the paper matching
//! engine. Bars of `feed.bar_granularity` are built from the tickers (prices) and
//! market trades (volume) on the exchange's own clock (each message's timestamp). A bar
//! closes at the first ticker past its end, or by the clock 2 s after its end in a quiet
//! market; a short quiet spell is filled with flat bars. The swarm decides at each close of
//! its product's complete bars (not the partial first one), after warming up on the last 300
//! bars from REST without trading. The stream reconnects by
//! itself; gaps and disconnects are logged.

use crate::clock::SharedClock;
use crate::session::hub::Hub;
use crate::session::market::MarketBoard;
use crate::session::registry::Sessions;
use coinswarm_coinbase::{Subscription, WsClient, WsConfig, WsEvent};
use coinswarm_core::market::{Candle, Granularity, Product, ProductId, Quote};
use coinswarm_core::time::Timestamp;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::{mpsc, watch};

/// What the live feed streams.
#[derive(Debug)]
pub struct LiveFeed {
    pub products: Vec<Product>,
    /// The swarm's product: its bar closes make the swarm decide.
    pub swarm_product: ProductId,
    pub granularity: Granularity,
    pub ws: WsConfig,
    /// Resynchronises books after a gap.
    pub rest: Option<Arc<coinswarm_coinbase::CoinbaseRest>>,
    /// The wall clock: a ticker without an exchange time, publication stamps, the warm-up's end.
    pub clock: SharedClock,
}

/// A bar being built from tickers and trades.
#[derive(Debug, Clone, Copy)]
struct Building {
    candle: Candle,
    /// The exchange time of the latest ticker, and the wall clock when it came.
    last_time: Timestamp,
    last_wall: std::time::Instant,
    /// The first bar after start began mid-period: it is shown but not decided on.
    partial: bool,
}

/// How long after its end a bar with no later ticker is closed by the clock.
const CLOSE_GRACE_MS: i64 = 2_000;
/// Most empty bars filled after a quiet spell (the previous close, no volume); a longer
/// silence (an outage) is left as a hole rather than invented.
const MAX_FILLED_BARS: i64 = 10;

/// The per-product bars and where each product's time has reached.
#[derive(Debug, Default)]
struct Bars {
    building: BTreeMap<ProductId, Building>,
    /// End of the last bar closed per product: ticks before it move quotes, not bars.
    closed_until: BTreeMap<ProductId, i64>,
    /// The previous closed bar per product (for filling quiet spells).
    previous: BTreeMap<ProductId, Candle>,
}

/// Runs the live feed until `shutdown` turns true.
pub async fn run(
    feed: LiveFeed,
    board: Arc<MarketBoard>,
    hub: Arc<Hub>,
    sessions: Arc<Sessions>,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    warm_up(&feed, &board, &sessions).await;
    let product_ids: Vec<ProductId> = feed.products.iter().map(|p| p.product_id).collect();
    let subscriptions = vec![
        Subscription { channel: "ticker".into(), product_ids: product_ids.clone() },
        Subscription { channel: "market_trades".into(), product_ids },
    ];
    let client = WsClient::new(feed.ws.clone(), None, feed.rest.clone(), subscriptions);
    let (events_tx, mut events) = mpsc::channel(4096);
    let stream = tokio::spawn(client.run(events_tx, shutdown.clone()));
    let step = feed.granularity.millis();
    let mut bars = Bars::default();
    let mut clock = tokio::time::interval(std::time::Duration::from_millis(500));
    loop {
        let event = tokio::select! {
            event = events.recv() => match event {
                Some(event) => event,
                None => break,
            },
            _ = clock.tick() => {
                // Bars whose period ended with no later ticker (a quiet market) close by the
                // exchange's clock, estimated from the latest ticker and the time since.
                let due: Vec<(ProductId, Building)> = bars
                    .building
                    .iter()
                    .filter(|(_, b)| {
                        let now = b.last_time.millis() + b.last_wall.elapsed().as_millis() as i64;
                        now >= b.candle.start.millis() + step + CLOSE_GRACE_MS
                    })
                    .map(|(p, b)| (*p, *b))
                    .collect();
                for (product_id, building) in due {
                    bars.building.remove(&product_id);
                    close_bar(&feed, &board, &hub, &sessions, &mut bars, product_id, building, step).await;
                }
                continue;
            }
        };
        match event {
            WsEvent::Ticker { product_id, time, price, best_bid, best_ask } => {
                if !feed.products.iter().any(|p| p.product_id == product_id) {
                    continue;
                }
                let wall = feed.clock.now();
                // Never backwards: the engine's clock only moves forward.
                let floor = bars.building.get(&product_id).map_or(Timestamp::from_millis(0), |b| b.last_time);
                let time = time.unwrap_or(wall).max(floor);
                let bid = best_bid.filter(|b| *b > Decimal::ZERO).unwrap_or(price);
                let ask = best_ask.filter(|a| *a >= bid).unwrap_or(bid.max(price));
                let quote = Quote::new(product_id, time, bid, ask);
                // Close the bar this quote is past, before the quote moves the engine on.
                if let Some(building) = bars.building.get(&product_id).copied()
                    && time.millis() >= building.candle.start.millis() + step
                {
                    bars.building.remove(&product_id);
                    close_bar(&feed, &board, &hub, &sessions, &mut bars, product_id, building, step).await;
                }
                board.on_quote(&quote);
                hub.quote(&quote, feed.clock.now().millis());
                for session in sessions.all() {
                    session.quote(quote).await;
                }
                if bars.closed_until.get(&product_id).is_some_and(|until| time.millis() < *until) {
                    continue; // a late tick of a bar already closed
                }
                let start = Timestamp::from_millis(time.millis().div_euclid(step) * step);
                let first = !bars.closed_until.contains_key(&product_id);
                let building = bars.building.entry(product_id).or_insert(Building {
                    candle: Candle { start, open: price, high: price, low: price, close: price, volume: Decimal::ZERO },
                    last_time: time,
                    last_wall: std::time::Instant::now(),
                    partial: first && time.millis() > start.millis(),
                });
                building.candle.high = building.candle.high.max(price);
                building.candle.low = building.candle.low.min(price);
                building.candle.close = price;
                building.last_time = time;
                building.last_wall = std::time::Instant::now();
            }
            WsEvent::Trade { product_id, size, .. } => {
                if let Some(building) = bars.building.get_mut(&product_id) {
                    building.candle.volume += size;
                }
            }
            WsEvent::Disconnected { reason } => tracing::warn!("Coinbase stream: {reason}; reconnecting"),
            WsEvent::Gap { expected, got } => tracing::warn!("Coinbase stream: messages {expected}..{got} lost"),
            WsEvent::Connected { attempt } => tracing::info!(attempt, "Coinbase stream connected"),
            _ => {}
        }
    }
    stream.await??;
    Ok(())
}

/// Bars of history the swarm warms up on before the stream starts (one REST page).
const WARM_UP_BARS: i64 = 300;

/// Fetches the swarm product's last completed bars from REST and has the swarm warm up on
/// them without trading (and the board show them); without them it would need hours of live
/// bars before its indicators are ready. A failure only costs the warm-up.
async fn warm_up(feed: &LiveFeed, board: &MarketBoard, sessions: &Sessions) {
    let Some(rest) = &feed.rest else { return };
    let step = feed.granularity.millis();
    let end = feed.clock.now().millis().div_euclid(step) * step;
    let start = Timestamp::from_millis(end - WARM_UP_BARS * step);
    match rest.candles(feed.swarm_product, feed.granularity, start, Timestamp::from_millis(end)).await {
        Ok(candles) => {
            for candle in &candles {
                board.on_bar(feed.swarm_product, *candle);
            }
            tracing::info!(bars = candles.len(), "the swarm warms up on {}'s recent bars", feed.swarm_product);
            if let Some(swarm) = sessions.get(crate::session::SWARM_ACCOUNT) {
                swarm.warm_up(candles).await;
            }
        }
        Err(err) => tracing::warn!("no warm-up history for {}: {err}", feed.swarm_product),
    }
}

/// Closes a bar: filled empty bars first for a short quiet spell before it, then the bar;
/// the swarm decides on its product's complete bars.
#[allow(clippy::too_many_arguments)]
async fn close_bar(
    feed: &LiveFeed,
    board: &MarketBoard,
    hub: &Hub,
    sessions: &Sessions,
    bars: &mut Bars,
    product_id: ProductId,
    building: Building,
    step: i64,
) {
    let mut closing = Vec::new();
    if let Some(previous) = bars.previous.get(&product_id) {
        let missing = (building.candle.start.millis() - previous.start.millis()) / step - 1;
        if (1..=MAX_FILLED_BARS).contains(&missing) {
            for i in 1..=missing {
                let close = previous.close;
                let start = Timestamp::from_millis(previous.start.millis() + i * step);
                closing.push((
                    Candle { start, open: close, high: close, low: close, close, volume: Decimal::ZERO },
                    false,
                ));
            }
        } else if missing > MAX_FILLED_BARS {
            tracing::warn!(%product_id, missing, "no ticker for {missing} bars: left as a hole");
        }
    }
    closing.push((building.candle, building.partial));
    for (candle, partial) in closing {
        board.on_bar(product_id, candle);
        hub.bar(product_id, &candle);
        if product_id == feed.swarm_product && !partial {
            for session in sessions.all() {
                session.bar_closed(candle).await;
            }
        }
    }
    bars.closed_until.insert(product_id, building.candle.start.millis() + step);
    bars.previous.insert(product_id, building.candle);
}
