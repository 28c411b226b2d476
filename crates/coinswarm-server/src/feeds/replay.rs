//! The replay feed: bundled (or user) bars walked as live intra-bar quotes at a set pace,
//! sent to every account session and the market board; the swarm decides at each bar's
//! close. Its position is stored, so a restart resumes where it stopped.

use crate::adapters::store::StateStore;
use crate::clock::SharedClock;
use crate::session::hub::Hub;
use crate::session::market::MarketBoard;
use crate::session::registry::Sessions;
use coinswarm_core::data::CandleSeries;
use coinswarm_core::market::{Candle, Product};
use coinswarm_core::synthetic::{IntrabarConfig, intrabar_quotes};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// The key under which the feed stores the next bar's index (counting every loop).
const CURSOR: &str = "feed.next_bar";

/// What the feed replays, and how fast.
#[derive(Debug)]
pub struct ReplayFeed {
    pub series: CandleSeries,
    pub product: Product,
    pub intrabar: IntrabarConfig,
    /// Wall-clock time per replayed bar.
    pub bar_interval: Duration,
    pub loop_at_end: bool,
    /// Stamps each ticker with the time it is published.
    pub clock: SharedClock,
}

/// Runs the feed until `shutdown` turns true (or the data ends without looping).
pub async fn run(
    feed: ReplayFeed,
    board: Arc<MarketBoard>,
    hub: Arc<Hub>,
    sessions: Arc<Sessions>,
    store: impl StateStore,
    mut shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let ReplayFeed { series, product, intrabar, bar_interval, loop_at_end, clock } = feed;
    let candles = series.candles();
    if candles.is_empty() {
        anyhow::bail!("the feed's data holds no bars");
    }
    let bar_ms = series.granularity().millis();
    let span_ms = candles.len() as i64 * bar_ms;
    let mut next: u64 = store.state(CURSOR).await?.and_then(|v| v.parse().ok()).unwrap_or(0);
    let pause = bar_interval / intrabar.quotes_per_bar as u32;
    loop {
        let round = next / candles.len() as u64;
        if round > 0 && !loop_at_end {
            tracing::info!("the feed reached the end of its data");
            return Ok(());
        }
        let mut candle: Candle = candles[(next % candles.len() as u64) as usize];
        candle.start = candle.start.plus_millis(round as i64 * span_ms);
        let quotes = intrabar_quotes(&candle, &product, series.granularity(), &intrabar)?;
        for quote in quotes {
            board.on_quote(&quote);
            hub.quote(&quote, clock.now().millis());
            for session in sessions.all() {
                session.quote(quote).await;
            }
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = shutdown.changed() => return Ok(()),
            }
        }
        board.on_bar(product.product_id, candle);
        hub.bar(product.product_id, &candle);
        for session in sessions.all() {
            session.bar_closed(candle).await;
        }
        next += 1;
        store.set_state(CURSOR, &next.to_string()).await?;
        if *shutdown.borrow() {
            return Ok(());
        }
    }
}
