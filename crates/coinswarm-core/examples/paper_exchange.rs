//! Driving the paper exchange the way every Coinswarm runtime does: a market feed in, orders
//! in, fills and account events out.
//!
//! A synthetic trending market (seed 42) is replayed as intra-bar quotes. At the golden cross
//! the example buys with a market order sized in quote currency and protects the position
//! with a stop-loss 2% below the entry (the stop holds the BTC); when a bar closes 6% above
//! the entry it cancels the stop and takes profit with a limit order at the bid. It prints
//! every fill and the final account.
//!
//! `cargo run -p coinswarm-core --example paper_exchange`

use coinswarm_core::exchange::{
    ExchangeConfig, MatchingEngine, OrderConfiguration, OrderId, OrderRequest, StopDirection, StopLimitGtc,
};
use coinswarm_core::ledger::EventKind;
use coinswarm_core::market::{Currency, Side};
use coinswarm_core::synthetic::{
    IntrabarConfig, RegimeKind, RegimeMetadata, SyntheticConfig, generate, intrabar_quotes,
};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = SyntheticConfig::new(RegimeKind::Trending);
    let (product, granularity) = (config.product.clone(), config.granularity);
    let market = generate(&config)?;
    let RegimeMetadata::Trending { golden_cross_bar, .. } = market.metadata else { unreachable!("trending regime") };
    let (btc_usd, usd) = (product.product_id, Currency::new("USD")?);

    let mut engine = MatchingEngine::new(ExchangeConfig { slippage_bps: dec!(2), ..ExchangeConfig::default() })?;
    engine.list_product(product.clone())?;
    engine.deposit(usd, dec!(10000), market.candles[0].start)?;

    let mut protected: Option<(OrderId, Decimal, Decimal)> = None;
    for (bar, candle) in market.candles.iter().enumerate() {
        for quote in intrabar_quotes(candle, &product, granularity, &IntrabarConfig::default())? {
            engine.on_quote(&quote)?;
        }
        let bar_end = candle.start.plus_millis(granularity.millis() - 1);
        if bar == golden_cross_bar {
            let entry = engine.submit(OrderRequest::market_quote(btc_usd, Side::Buy, dec!(5000)), bar_end)?.clone();
            let (size, price) = (entry.filled_size, entry.average_filled_price());
            println!("bar {bar}: golden cross, bought {size} BTC at {}", price.round_dp(2));
            let stop_price = (price * dec!(0.98)).round_dp(2);
            let stop_loss = OrderConfiguration::StopLimitStopLimitGtc(StopLimitGtc {
                base_size: size,
                limit_price: (stop_price * dec!(0.995)).round_dp(2),
                stop_price,
                stop_direction: StopDirection::StopDown,
            });
            let stop = engine.submit(OrderRequest::new(btc_usd, Side::Sell, stop_loss), bar_end)?.order_id;
            protected = Some((stop, size, (price * dec!(1.06)).round_dp(2)));
        }
        let Some((stop, size, target)) = protected else { continue };
        if !engine.account().order(stop).is_some_and(|o| o.status.is_live()) {
            println!("bar {bar}: stopped out");
            protected = None;
        } else if candle.close >= target {
            engine.cancel(stop, bar_end)?;
            let bid = engine.quote(btc_usd).map_or(candle.close, |q| q.bid);
            engine.submit(OrderRequest::limit(btc_usd, Side::Sell, size, bid), bar_end)?;
            println!("bar {bar}: close {} reached the 6% target {target}, sold at the bid", candle.close);
            protected = None;
        }
    }

    for event in engine.events() {
        if let EventKind::OrderFilled { fill } | EventKind::OrderPartiallyFilled { fill } = &event.kind {
            println!(
                "{} {:4} {} BTC at {} ({:?}, fee {} USD)",
                fill.time,
                fill.side,
                fill.size,
                fill.price,
                fill.liquidity,
                fill.fee.round_dp(2)
            );
        }
    }
    let account = engine.account();
    let last = engine.last_price(btc_usd).unwrap_or(Decimal::ZERO);
    let position = account.position(btc_usd);
    println!("USD {}", account.balance(usd).total().round_dp(2));
    if let Some(position) = position {
        println!(
            "BTC-USD realised P&L {} USD, fees {} USD, unrealised at {last}: {} USD",
            position.realised_pnl.round_dp(2),
            position.fees_paid.round_dp(2),
            position.unrealised_pnl(last).round_dp(2)
        );
    }
    println!("{} events in the account's log", engine.events().len());
    Ok(())
}
