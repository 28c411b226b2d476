//! Venue execution (live trading): the engine checks and holds as on paper, matches nothing,
//! and records what the venue reports.

mod support;

use coinswarm_core::exchange::{OrderRequest, OrderStatus, VenueExecution, VenueOrderState, VenueRequest, VenueStatus};
use coinswarm_core::ledger::{Account, EventKind};
use coinswarm_core::market::Side;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use support::*;

fn venue_engine() -> coinswarm_core::exchange::MatchingEngine {
    let mut engine = engine();
    engine.set_execution(VenueExecution::default());
    engine.on_quote(&quote(1, dec!(100.00), dec!(100.10))).unwrap();
    engine
}

fn state(status: VenueStatus, size: Decimal, value: Decimal, fees: Decimal) -> VenueOrderState {
    VenueOrderState { status, filled_size: size, filled_value: value, total_fees: fees, reason: None }
}

#[test]
fn an_accepted_order_is_held_and_handed_to_the_venue_not_matched() {
    let mut engine = venue_engine();
    let order = engine.submit(OrderRequest::market(btc_usd(), Side::Buy, dec!(1)), at(1)).unwrap().clone();
    assert_eq!(order.status, OrderStatus::Pending, "a marketable order waits for the venue");
    assert!(engine.account().balance(usd()).hold > Decimal::ZERO, "its funds are held");
    assert_eq!(engine.drain_venue_requests(), vec![VenueRequest::Place(order.order_id)]);
    engine.on_quote(&quote(2, dec!(90.00), dec!(90.10))).unwrap();
    assert!(engine.account().order(order.order_id).unwrap().status.is_live(), "market data fills nothing");
    assert!(engine.drain_venue_requests().is_empty());
}

#[test]
fn cumulative_reports_become_fills_and_end_the_order() {
    let mut engine = venue_engine();
    let order_id =
        engine.submit(OrderRequest::limit(btc_usd(), Side::Buy, dec!(2), dec!(100)), at(1)).unwrap().order_id;
    engine.venue_routed(order_id, "cb-1", at(1)).unwrap();
    assert_eq!(engine.account().order(order_id).unwrap().venue_order_id.as_deref(), Some("cb-1"));

    let first =
        engine.venue_update(order_id, &state(VenueStatus::Working, dec!(0.5), dec!(49.5), dec!(0.2)), at(2)).unwrap();
    let fill = first.fill.unwrap();
    assert_eq!((fill.size, fill.price, fill.fee), (dec!(0.5), dec!(99), dec!(0.2)));
    assert_eq!(first.ended, None);
    // The same report again changes nothing.
    let again =
        engine.venue_update(order_id, &state(VenueStatus::Working, dec!(0.5), dec!(49.5), dec!(0.2)), at(2)).unwrap();
    assert_eq!(again, Default::default());

    let last =
        engine.venue_update(order_id, &state(VenueStatus::Filled, dec!(2), dec!(199.5), dec!(0.8)), at(3)).unwrap();
    let fill = last.fill.unwrap();
    assert_eq!((fill.size, fill.price, fill.fee), (dec!(1.5), dec!(100), dec!(0.6)));
    assert_eq!(last.ended, Some(OrderStatus::Filled));
    let account = engine.account();
    assert_eq!(account.balance(btc()).available, dec!(2));
    assert_eq!(account.balance(usd()).hold, dec!(0), "the rest of the hold is released");
    assert_eq!(account.balance(usd()).available, dec!(100000) - dec!(199.5) - dec!(0.8));
    assert_eq!(account.position(btc_usd()).unwrap().average_entry_price(), dec!(99.75));

    // The log, routing included, replays to the same account.
    let replayed = Account::replay(engine.events()).unwrap();
    assert_eq!(&replayed, engine.account());
    assert!(engine.events().iter().any(|e| matches!(e.kind, EventKind::OrderRouted { .. })));
}

#[test]
fn a_cancel_is_asked_of_the_venue_and_ends_the_order_when_it_confirms() {
    let mut engine = venue_engine();
    let order_id = engine.submit(OrderRequest::limit(btc_usd(), Side::Buy, dec!(1), dec!(95)), at(1)).unwrap().order_id;
    engine.drain_venue_requests();
    let order = engine.cancel(order_id, at(2)).unwrap();
    assert!(order.status.is_live(), "still live until the venue says so");
    assert_eq!(engine.drain_venue_requests(), vec![VenueRequest::Cancel(order_id)]);
    assert!(engine.account().order(order_id).unwrap().cancel_requested, "the request is in the log");
    let before = engine.events().len();
    engine.cancel(order_id, at(2)).unwrap();
    assert_eq!(engine.drain_venue_requests(), vec![VenueRequest::Cancel(order_id)], "asked again");
    assert_eq!(engine.events().len(), before, "recorded once");
    let mut cancelled = state(VenueStatus::Cancelled, dec!(0), dec!(0), dec!(0));
    cancelled.reason = Some("User requested cancel".into());
    let update = engine.venue_update(order_id, &cancelled, at(2)).unwrap();
    assert_eq!(update.ended, Some(OrderStatus::Cancelled));
    assert_eq!(engine.account().balance(usd()).available, dec!(100000));
    assert!(engine.venue_update(order_id, &cancelled, at(3)).is_err(), "an ended order takes no more reports");
}

#[test]
fn a_report_that_goes_backwards_or_overfills_is_refused_and_changes_nothing() {
    let mut engine = venue_engine();
    let order_id =
        engine.submit(OrderRequest::limit(btc_usd(), Side::Buy, dec!(1), dec!(100)), at(1)).unwrap().order_id;
    engine.venue_update(order_id, &state(VenueStatus::Working, dec!(0.5), dec!(50), dec!(0)), at(1)).unwrap();
    let before = engine.account().clone();
    let backwards = engine.venue_update(order_id, &state(VenueStatus::Working, dec!(0.2), dec!(20), dec!(0)), at(2));
    assert_eq!(backwards.unwrap_err().code(), "INVALID_VENUE_REPORT");
    let overfill = engine.venue_update(order_id, &state(VenueStatus::Working, dec!(3), dec!(300), dec!(0)), at(2));
    assert_eq!(overfill.unwrap_err().code(), "INVALID_VENUE_REPORT");
    assert_eq!(engine.account(), &before);
}

#[test]
fn a_failure_releases_the_hold_and_balances_reconcile_to_the_venue() {
    let mut engine = venue_engine();
    let order_id = engine.submit(OrderRequest::market(btc_usd(), Side::Buy, dec!(1)), at(1)).unwrap().order_id;
    engine.venue_failed(order_id, "INSUFFICIENT_FUND: Insufficient balance in source account", at(1)).unwrap();
    let order = engine.account().order(order_id).unwrap();
    assert_eq!(order.status, OrderStatus::Failed);
    assert_eq!(engine.account().balance(usd()).available, dec!(100000));

    assert_eq!(
        engine.venue_reconcile(usd(), dec!(1234.5), at(2)).unwrap(),
        dec!(1234.5) - dec!(100000),
        "totals, no order holding"
    );
    assert_eq!(engine.venue_reconcile(btc(), dec!(0.25), at(2)).unwrap(), dec!(0.25));
    assert_eq!(engine.venue_reconcile(btc(), dec!(0.25), at(3)).unwrap(), dec!(0), "no change, no event");
    assert_eq!(engine.account().balance(usd()).available, dec!(1234.5));
    assert_eq!(engine.account().balance(btc()).available, dec!(0.25));
}

#[test]
fn a_market_order_is_folded_in_once_it_ended_and_a_quote_sized_buy_fills_whole() {
    let mut engine = venue_engine();
    let order_id = engine.submit(OrderRequest::market_quote(btc_usd(), Side::Buy, dec!(1000)), at(1)).unwrap().order_id;
    // Partial figures while Coinbase still works on it: nothing recorded yet.
    let early =
        engine.venue_update(order_id, &state(VenueStatus::Working, dec!(5), dec!(500), dec!(3)), at(1)).unwrap();
    assert_eq!(early, Default::default());
    let done = engine
        .venue_update(order_id, &state(VenueStatus::Filled, dec!(9.94), dec!(994.00), dec!(5.964)), at(2))
        .unwrap();
    assert_eq!(done.ended, Some(OrderStatus::Filled));
    assert_eq!(engine.account().balance(btc()).available, dec!(9.94));
    assert_eq!(engine.account().balance(usd()).total(), dec!(100000) - dec!(994.00) - dec!(5.964));
    assert_eq!(engine.account().balance(usd()).hold, dec!(0));
}

#[test]
fn a_sell_pays_its_fee_from_what_it_brought_and_a_fee_beyond_it_is_refused() {
    let mut engine = venue_engine();
    engine.venue_reconcile(btc(), dec!(1), at(1)).unwrap();
    let order_id =
        engine.submit(OrderRequest::limit(btc_usd(), Side::Sell, dec!(1), dec!(110)), at(1)).unwrap().order_id;
    let greedy = engine.venue_update(order_id, &state(VenueStatus::Working, dec!(0.1), dec!(11), dec!(12)), at(2));
    assert_eq!(greedy.unwrap_err().code(), "INVALID_VENUE_REPORT");
    engine.venue_update(order_id, &state(VenueStatus::Filled, dec!(1), dec!(110), dec!(0.44)), at(2)).unwrap();
    assert_eq!(engine.account().balance(usd()).available, dec!(100000) + dec!(110) - dec!(0.44));
    assert_eq!(engine.account().balance(btc()).total(), dec!(0));
}

#[test]
fn a_venue_charge_beyond_the_hold_is_deposited_first_as_a_shortfall() {
    let mut engine = venue_engine();
    engine.venue_reconcile(usd(), dec!(101), at(1)).unwrap();
    let order_id =
        engine.submit(OrderRequest::limit(btc_usd(), Side::Buy, dec!(1), dec!(100)), at(1)).unwrap().order_id;
    // Held 100 + the 0.6% taker fee estimate = 100.6; Coinbase charged 100 + 1.5.
    let update =
        engine.venue_update(order_id, &state(VenueStatus::Filled, dec!(1), dec!(100), dec!(1.5)), at(2)).unwrap();
    assert_eq!(update.shortfall, Some((usd(), dec!(0.5))));
    assert_eq!(engine.account().balance(usd()).total(), dec!(0));
    assert_eq!(Account::replay(engine.events()).unwrap(), *engine.account());
}

#[test]
fn balances_reconcile_on_totals_whatever_the_holds() {
    let mut engine = venue_engine();
    engine.submit(OrderRequest::limit(btc_usd(), Side::Buy, dec!(1), dec!(100)), at(1)).unwrap();
    // Coinbase holds its own estimate; the total is what counts.
    assert_eq!(engine.venue_reconcile(usd(), dec!(100000), at(2)).unwrap(), dec!(0));
    assert_eq!(engine.venue_reconcile(usd(), dec!(100050), at(2)).unwrap(), dec!(50));
    assert!(engine.venue_reconcile(usd(), dec!(10), at(2)).is_err(), "cannot withdraw what is held");
}

#[test]
fn a_rounding_leftover_in_the_recorded_value_is_not_a_fill() {
    let mut engine = venue_engine();
    let order_id =
        engine.submit(OrderRequest::limit(btc_usd(), Side::Buy, dec!(1), dec!(101)), at(1)).unwrap().order_id;
    // Two fills whose average does not terminate: 0.01 at 100, then 0.04 for 4.01 in all.
    engine.venue_update(order_id, &state(VenueStatus::Working, dec!(0.01), dec!(1.00), dec!(0)), at(1)).unwrap();
    engine.venue_update(order_id, &state(VenueStatus::Working, dec!(0.05), dec!(5.01), dec!(0)), at(2)).unwrap();
    // Coinbase's cumulative figure and the recorded sum differ in the 28th digit.
    let before = engine.events().len();
    let cancelled =
        engine.venue_update(order_id, &state(VenueStatus::Cancelled, dec!(0.05), dec!(5.01), dec!(0)), at(3)).unwrap();
    assert_eq!(cancelled.fill, None, "no fill is made of the leftover");
    assert_eq!(cancelled.ended, Some(OrderStatus::Cancelled));
    let logged: Vec<&EventKind> = engine.events()[before..].iter().map(|e| &e.kind).collect();
    assert!(matches!(logged.as_slice(), [EventKind::OrderCancelled { .. }]), "only the cancel is logged: {logged:?}");
    let order = engine.account().order(order_id).unwrap();
    assert_eq!(
        (order.filled_size, order.filled_value),
        (dec!(0.05), dec!(5.01)),
        "the fills recorded before, unchanged"
    );
}
