//! The pre-trade gate in front of the matching engine (`MatchingEngine::submit_gated`): an
//! order the gate admits is still held to the exchange's own rules, and refused with the
//! exchange's code, before the gate is asked and without a trace in the log.

mod support;

use coinswarm_core::exchange::{ExchangeConfig, MatchingEngine, OrderRequest, OrderStatus, Rejection, Submitted};
use coinswarm_core::market::{Product, Side};
use coinswarm_core::risk::{GateConfig, PreTradeGate, Refusal};
use rust_decimal_macros::dec;
use std::cell::Cell;
use support::*;

/// Why an order did not go: the exchange's rules or the gate, as a host sees it.
#[derive(Debug, PartialEq)]
enum NotPlaced {
    Exchange(Rejection),
    Gate(Refusal),
}

impl From<Rejection> for NotPlaced {
    fn from(rejection: Rejection) -> Self {
        Self::Exchange(rejection)
    }
}

/// BTC-USD trading at 40,000 with a 0.01 BTC minimum size, and 100,000 USD deposited.
fn engine_with_minimum_size() -> MatchingEngine {
    let mut engine = MatchingEngine::new(ExchangeConfig::default()).unwrap();
    engine.list_product(Product { base_min_size: dec!(0.01), ..Product::spot(btc_usd()) }).unwrap();
    engine.deposit(usd(), dec!(100000), at(0)).unwrap();
    engine.on_quote(&quote(1, dec!(40000.00), dec!(40001.00))).unwrap();
    engine
}

/// Submits `request` through `gate`, counting how often the gate is asked.
fn submit_through<'a>(
    engine: &'a mut MatchingEngine,
    gate: &PreTradeGate,
    request: OrderRequest,
    asked: &Cell<u32>,
) -> Result<Submitted<'a>, NotPlaced> {
    engine.submit_gated(request, at(2), |engine, request| {
        asked.set(asked.get() + 1);
        gate.check_request(engine, request, at(2)).map_err(NotPlaced::Gate)
    })
}

#[test]
fn an_order_the_gate_admits_is_still_refused_by_the_exchanges_own_rules() {
    let mut engine = engine_with_minimum_size();
    let gate = PreTradeGate::default();
    // 0.005 BTC at 39,000: 195 USD, far inside every oversight limit, but half the
    // product's minimum size.
    let below_minimum = OrderRequest::limit(btc_usd(), Side::Buy, dec!(0.005), dec!(39000.00));
    assert_eq!(gate.check_request(&engine, &below_minimum, at(2)), Ok(()), "the gate admits it");
    let (events, account) = (engine.events().len(), engine.account().clone());
    let asked = Cell::new(0);
    let refused = submit_through(&mut engine, &gate, below_minimum, &asked).unwrap_err();
    let NotPlaced::Exchange(rejection) = refused else { panic!("refused by the gate, not the exchange: {refused:?}") };
    assert_eq!(rejection.code(), "SIZE_BELOW_MINIMUM");
    assert_eq!(rejection.to_string(), "Size below product minimum: 0.005 < 0.01 BTC");
    assert_eq!(asked.get(), 0, "the exchange's rules are checked before the gate is asked");
    assert_eq!((engine.events().len(), engine.account()), (events, &account), "nothing is recorded");

    // The same order at the minimum size passes both, the gate asked once.
    let at_minimum = OrderRequest::limit(btc_usd(), Side::Buy, dec!(0.01), dec!(39000.00));
    let placed = submit_through(&mut engine, &gate, at_minimum, &asked).unwrap();
    assert_eq!((placed.order.status, placed.repeated), (OrderStatus::Open, false));
    assert_eq!(asked.get(), 1);
}

#[test]
fn with_the_gate_turned_off_the_exchanges_rules_still_apply() {
    let mut engine = engine_with_minimum_size();
    let gate = PreTradeGate::new(&GateConfig { enabled: false, ..GateConfig::default() });
    // 3 BTC at 39,000 is 117,000 USD: beyond every oversight limit, which are off, and
    // beyond the 100,000 USD the account holds, which the exchange checks.
    let too_large = OrderRequest::limit(btc_usd(), Side::Buy, dec!(3), dec!(39000.00));
    assert_eq!(gate.check_request(&engine, &too_large, at(2)), Ok(()), "a disabled gate admits anything");
    let events = engine.events().len();
    let asked = Cell::new(0);
    let refused = submit_through(&mut engine, &gate, too_large, &asked).unwrap_err();
    let NotPlaced::Exchange(rejection) = refused else { panic!("refused by the gate, not the exchange: {refused:?}") };
    assert_eq!(rejection.code(), "INSUFFICIENT_FUND", "{rejection}");
    assert!(rejection.to_string().starts_with("Insufficient balance: need 117"), "{rejection}");
    assert_eq!(engine.events().len(), events, "nothing is recorded");
    assert_eq!(engine.account().balance(usd()).hold, dec!(0));
}
