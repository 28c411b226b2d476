//! The live feed (`--feed coinbase`): Coinbase's ticker stream drives the market board, the
//! `/stream` clients and every account session, while orders still go to the paper matching
//! engine. Bars of `feed.bar_granularity` are built from the tickers on the exchange's own
//! clock (each message's timestamp), and the swarm decides at each close of its product's
//! bar. The stream reconnects by itself; gaps and disconnects are logged.

use crate::hub::{Hub, StreamEvent};
use crate::market::MarketBoard;
use crate::registry::Sessions;
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
}

/// A bar being built from tickers.
#[derive(Debug, Clone, Copy)]
struct Building {
    candle: Candle,
    last_time: Timestamp,
}

/// Runs the live feed until `shutdown` turns true.
pub async fn run(
    feed: LiveFeed,
    board: Arc<MarketBoard>,
    hub: Arc<Hub>,
    sessions: Arc<Sessions>,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let subscriptions = vec![Subscription {
        channel: "ticker".into(),
        product_ids: feed.products.iter().map(|p| p.product_id).collect(),
    }];
    let client = WsClient::new(feed.ws.clone(), None, feed.rest.clone(), subscriptions);
    let (events_tx, mut events) = mpsc::channel(4096);
    let stream = tokio::spawn(client.run(events_tx, shutdown.clone()));
    let step = feed.granularity.millis();
    let mut bars: BTreeMap<ProductId, Building> = BTreeMap::new();
    while let Some(event) = events.recv().await {
        match event {
            WsEvent::Ticker { product_id, time, price, best_bid, best_ask } => {
                if !feed.products.iter().any(|p| p.product_id == product_id) {
                    continue;
                }
                let wall = Timestamp::from_millis(crate::app::now_ms());
                // Never backwards: the engine's clock only moves forward.
                let floor = bars.get(&product_id).map_or(Timestamp::from_millis(0), |b| b.last_time);
                let time = time.unwrap_or(wall).max(floor);
                let bid = best_bid.filter(|b| *b > Decimal::ZERO).unwrap_or(price);
                let ask = best_ask.filter(|a| *a >= bid).unwrap_or(bid.max(price));
                let quote = Quote::new(product_id, time, bid, ask);
                // Close the bar this quote is past, before the quote moves the engine on.
                if let Some(building) = bars.get(&product_id).copied()
                    && time.millis() >= building.candle.start.millis() + step
                {
                    close_bar(&feed, &board, &hub, &sessions, product_id, building.candle).await;
                    bars.remove(&product_id);
                }
                board.on_quote(&quote);
                hub.publish(StreamEvent::ticker(&quote, crate::app::now_ms()));
                for session in sessions.all() {
                    session.quote(quote).await;
                }
                let start = Timestamp::from_millis(time.millis().div_euclid(step) * step);
                let building = bars.entry(product_id).or_insert(Building {
                    candle: Candle { start, open: price, high: price, low: price, close: price, volume: Decimal::ZERO },
                    last_time: time,
                });
                building.candle.high = building.candle.high.max(price);
                building.candle.low = building.candle.low.min(price);
                building.candle.close = price;
                building.last_time = time;
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

async fn close_bar(
    feed: &LiveFeed,
    board: &MarketBoard,
    hub: &Hub,
    sessions: &Sessions,
    product_id: ProductId,
    candle: Candle,
) {
    board.on_bar(product_id, candle);
    hub.publish(StreamEvent::candle(product_id, &candle));
    if product_id == feed.swarm_product {
        for session in sessions.all() {
            session.bar_closed(candle).await;
        }
    }
}
