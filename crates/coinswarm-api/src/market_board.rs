//! The market as the API shows it (on either host): each product's latest quote, the bars replayed so far and
//! 24-hour statistics, updated by the feed and read without blocking it.

use coinswarm_core::market::{Candle, Granularity, Product, ProductId, Quote};
use std::collections::{HashMap, VecDeque};
use std::sync::RwLock;

/// Bars kept per product for `GET /api/candles` (over 11 years of hourly bars).
const KEPT_BARS: usize = 100_000;

pub use crate::views::{MarketData, Stats24h};

#[derive(Debug, Default)]
struct ProductMarket {
    quote: Option<Quote>,
    bars: VecDeque<Candle>,
}

/// Every listed product's market, shared by the feed (writer) and the API (readers).
#[derive(Debug)]
pub struct MarketBoard {
    products: Vec<Product>,
    granularity: Granularity,
    markets: RwLock<HashMap<ProductId, ProductMarket>>,
}

impl MarketBoard {
    pub fn new(products: Vec<Product>, granularity: Granularity) -> Self {
        let markets = products.iter().map(|p| (p.product_id, ProductMarket::default())).collect();
        Self { products, granularity, markets: RwLock::new(markets) }
    }

    pub fn products(&self) -> &[Product] {
        &self.products
    }

    pub fn granularity(&self) -> Granularity {
        self.granularity
    }

    pub fn on_quote(&self, quote: &Quote) {
        let mut markets = self.markets.write().unwrap_or_else(|p| p.into_inner());
        if let Some(market) = markets.get_mut(&quote.product_id) {
            market.quote = Some(*quote);
        }
    }

    pub fn on_bar(&self, product_id: ProductId, candle: Candle) {
        let mut markets = self.markets.write().unwrap_or_else(|p| p.into_inner());
        if let Some(market) = markets.get_mut(&product_id) {
            market.bars.push_back(candle);
            if market.bars.len() > KEPT_BARS {
                market.bars.pop_front();
            }
        }
    }

    /// The latest quote of every product that has one.
    pub fn last_quotes(&self) -> Vec<Quote> {
        let markets = self.markets.read().unwrap_or_else(|p| p.into_inner());
        self.products.iter().filter_map(|p| markets.get(&p.product_id).and_then(|m| m.quote)).collect()
    }

    /// The product's market data; `None` before its first quote.
    pub fn market_data(&self, product_id: ProductId) -> Option<MarketData> {
        let markets = self.markets.read().unwrap_or_else(|p| p.into_inner());
        let market = markets.get(&product_id)?;
        let quote = market.quote?;
        let day_start = quote.time.millis() - 24 * 3_600_000;
        // Only the newest bars can fall in the last day: walk back from the end.
        let recent = market.bars.iter().rev().take_while(|c| c.start.millis() >= day_start).count();
        let day: Vec<&Candle> = market.bars.iter().skip(market.bars.len() - recent).collect();
        let stats_24h = Stats24h {
            open: day.first().map(|c| c.open),
            high: day.iter().map(|c| c.high).max(),
            low: day.iter().map(|c| c.low).min(),
            close: day.last().map(|c| c.close),
            volume: day.iter().map(|c| c.volume).sum(),
        };
        Some(MarketData {
            product_id,
            time: quote.time,
            best_bid: quote.bid,
            best_ask: quote.ask,
            last_price: quote.mid(),
            stats_24h,
        })
    }

    /// Replayed bars of the product starting in `[start, end]`, oldest first, at most `limit`.
    pub fn candles(&self, product_id: ProductId, start: i64, end: i64, limit: usize) -> Option<Vec<Candle>> {
        let markets = self.markets.read().unwrap_or_else(|p| p.into_inner());
        let market = markets.get(&product_id)?;
        Some(market.bars.iter().filter(|c| (start..=end).contains(&c.start.millis())).take(limit).copied().collect())
    }
}
