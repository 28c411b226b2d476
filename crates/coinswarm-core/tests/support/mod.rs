//! Shared set-up for the matching engine tests: one BTC-USD spot product and a funded account.
#![allow(dead_code)]

use coinswarm_core::exchange::{ExchangeConfig, LimitGtd, MatchingEngine, OrderConfiguration, OrderRequest};
use coinswarm_core::market::{Candle, Currency, Product, ProductId, Quote, Side};
use coinswarm_core::time::{HOUR_MS, Timestamp};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

pub fn btc_usd() -> ProductId {
    "BTC-USD".parse().unwrap()
}

pub fn usd() -> Currency {
    Currency::new("USD").unwrap()
}

pub fn btc() -> Currency {
    Currency::new("BTC").unwrap()
}

/// 2024-01-01T00:00:00Z plus `hours`.
pub fn at(hours: i64) -> Timestamp {
    Timestamp::parse("2024-01-01").unwrap().plus_millis(hours * HOUR_MS)
}

/// An engine with BTC-USD listed and 100,000 USD deposited, fees 40/60 bps.
pub fn engine_with(config: ExchangeConfig) -> MatchingEngine {
    let mut engine = MatchingEngine::new(config).unwrap();
    engine.list_product(Product::spot(btc_usd())).unwrap();
    engine.deposit(usd(), dec!(100000), at(0)).unwrap();
    engine
}

pub fn engine() -> MatchingEngine {
    engine_with(ExchangeConfig::default())
}

pub fn quote(hours: i64, bid: Decimal, ask: Decimal) -> Quote {
    Quote::new(btc_usd(), at(hours), bid, ask)
}

pub fn candle(hours: i64, open: Decimal, high: Decimal, low: Decimal, close: Decimal, volume: Decimal) -> Candle {
    Candle { start: at(hours), open, high, low, close, volume }
}

/// A BTC-USD limit buy good till `end_time`, not post-only.
pub fn gtd_buy(base_size: Decimal, limit_price: Decimal, end_time: Timestamp) -> OrderRequest {
    OrderRequest::new(
        btc_usd(),
        Side::Buy,
        OrderConfiguration::LimitLimitGtd(LimitGtd { base_size, limit_price, end_time, post_only: false }),
    )
}

/// Every fill in the engine's event log, oldest first.
pub fn fills(engine: &MatchingEngine) -> Vec<coinswarm_core::exchange::Fill> {
    engine
        .events()
        .iter()
        .filter_map(|e| match &e.kind {
            coinswarm_core::ledger::EventKind::OrderFilled { fill }
            | coinswarm_core::ledger::EventKind::OrderPartiallyFilled { fill } => Some(fill.clone()),
            _ => None,
        })
        .collect()
}
