//! A fixed session's event log, byte for byte. Any change to ids, field names, number
//! formatting or matching shows up here; on every platform (native and wasm32) the same
//! inputs must give this exact file. To accept an intended change:
//! `UPDATE_GOLDEN=1 cargo test -p coinswarm-core --test golden_event_log`.

mod support;

use coinswarm_core::exchange::{
    ExchangeConfig, LimitGtd, OrderConfiguration, OrderRequest, StopDirection, StopLimitGtc,
};
use coinswarm_core::ledger::{Account, AccountEvent};
use coinswarm_core::market::{Side, TradePrint};
use rust_decimal_macros::dec;
use support::*;

const GOLDEN: &str = "tests/fixtures/golden_event_log.jsonl";

fn session() -> String {
    let config = ExchangeConfig {
        slippage_bps: dec!(5),
        participation_cap: Some(dec!(0.5)),
        id_seed: 42,
        ..ExchangeConfig::default()
    };
    let mut engine = engine_with(config);
    engine.on_quote(&quote(1, dec!(42000.00), dec!(42001.50))).unwrap();
    engine.submit(OrderRequest::market(btc_usd(), Side::Buy, dec!(0.25)).with_client_order_id("entry"), at(1)).unwrap();
    engine.submit(OrderRequest::limit(btc_usd(), Side::Sell, dec!(0.1), dec!(43000.00)), at(1)).unwrap();
    let stop = OrderConfiguration::StopLimitStopLimitGtc(StopLimitGtc {
        base_size: dec!(0.15),
        limit_price: dec!(40500.00),
        stop_price: dec!(41000.00),
        stop_direction: StopDirection::StopDown,
    });
    engine.submit(OrderRequest::new(btc_usd(), Side::Sell, stop), at(1)).unwrap();
    let gtd = OrderConfiguration::LimitLimitGtd(LimitGtd {
        base_size: dec!(1),
        limit_price: dec!(30000.00),
        end_time: at(5),
        post_only: true,
    });
    engine.submit(OrderRequest::new(btc_usd(), Side::Buy, gtd), at(2)).unwrap();
    engine
        .on_trade(&TradePrint {
            product_id: btc_usd(),
            time: at(3),
            price: dec!(43010.00),
            size: dec!(0.12),
            aggressor: Side::Buy,
        })
        .unwrap();
    engine.on_candle(btc_usd(), &candle(4, dec!(42900), dec!(43100), dec!(40000), dec!(40200), dec!(3))).unwrap();
    engine.on_candle(btc_usd(), &candle(6, dec!(40200), dec!(40600), dec!(40100), dec!(40550), dec!(3))).unwrap();
    AccountEvent::to_jsonl(engine.events())
}

#[test]
fn a_fixed_session_writes_exactly_the_golden_event_log() {
    let log = session();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(GOLDEN, &log).unwrap();
    }
    let golden = std::fs::read_to_string(GOLDEN).expect("golden log present");
    assert_eq!(log, golden, "the event log changed; see this file's docs to accept an intended change");
    let events = AccountEvent::from_jsonl(&golden).unwrap();
    assert!(Account::replay(&events).is_ok());
}
