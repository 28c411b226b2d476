//! Golden outputs, byte for byte: a fixed session's event log, the candles of every
//! synthetic regime, and the swarm's decision-log hash on each regime. Any change to ids, field names, number formatting, matching, the
//! generators or their maths library shows up here, and `scripts/test` runs the same code
//! compiled to wasm32 (`examples/wasm_golden.rs`) against the same files. To accept an
//! intended change: `UPDATE_GOLDEN=1 cargo test -p coinswarm-core --test golden_outputs`.

#[path = "fixtures/golden_outputs.rs"]
mod golden_outputs;

use coinswarm_core::exchange::OrderStatus;
use coinswarm_core::ledger::{Account, AccountEvent, Balance};
use coinswarm_core::market::{Currency, Side};
use rust_decimal_macros::dec;

/// The expected text at `path`, after rewriting it with `actual` when `UPDATE_GOLDEN` is set.
fn golden(path: &str, actual: &str) -> String {
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(path, actual).unwrap();
    }
    std::fs::read_to_string(path).expect("golden file present")
}

#[test]
fn a_fixed_session_writes_exactly_the_golden_event_log() {
    let log = golden_outputs::golden_session_log();
    let expected = golden("tests/fixtures/golden_event_log.jsonl", &log);
    assert_eq!(log, expected, "the event log changed; see this file's docs to accept an intended change");
    // The pinned log replays to the account the session's figures give (worked out by hand
    // from its fills: 0.25 BTC bought at 42,022.51, then sold as 0.06 and 0.04 at 43,000.00
    // (maker, 40 bps) and 0.15 at 40,979.50 (taker, 60 bps); the GTD bid expired).
    let account = Account::replay(&AccountEvent::from_jsonl(&expected).unwrap()).unwrap();
    let (usd, btc) = (Currency::new("USD").unwrap(), Currency::new("BTC").unwrap());
    assert_eq!(account.balance(usd), Balance { available: dec!(99824.182185), hold: dec!(0) });
    assert_eq!(account.balance(btc), Balance { available: dec!(0), hold: dec!(0) });
    assert_eq!(account.fees_paid().get(&usd), Some(&dec!(117.115315)));
    assert_eq!(account.net_deposits().get(&usd), Some(&dec!(100000)));
    let position = account.position("BTC-USD".parse().unwrap()).unwrap();
    assert_eq!((position.size, position.cost_basis), (dec!(0), dec!(0)));
    assert_eq!(position.realised_pnl, dec!(-58.7025));
    // Every dollar lost went through the position: net realised P&L is the USD change.
    assert_eq!(position.net_realised_pnl(), dec!(99824.182185) - dec!(100000));
    let mut statuses: Vec<_> = account.orders().map(|o| (o.created_time.millis(), o.side, o.status)).collect();
    statuses.sort_by_key(|(time, side, _)| (*time, *side));
    let (opened, gtd_placed) = (1_704_070_800_000, 1_704_074_400_000);
    assert_eq!(
        statuses,
        [
            (opened, Side::Buy, OrderStatus::Filled),
            (opened, Side::Sell, OrderStatus::Filled),
            (opened, Side::Sell, OrderStatus::Filled),
            (gtd_placed, Side::Buy, OrderStatus::Expired),
        ]
    );
    let entry = account.order_by_client_id("entry").unwrap();
    assert_eq!(
        (entry.filled_size, entry.filled_value, entry.total_fees),
        (dec!(0.25), dec!(10505.6275), dec!(63.033765))
    );
    assert_eq!((account.next_seq(), account.time().millis()), (11, 1_704_088_800_000));
}

#[test]
fn every_synthetic_regime_gives_the_pinned_candles_for_the_default_config() {
    let fingerprints = golden_outputs::synthetic_fingerprints();
    let expected = golden("tests/fixtures/golden_synthetic.txt", &fingerprints);
    assert_eq!(fingerprints, expected, "the synthetic candles changed; see this file's docs");
}

#[test]
fn the_swarm_takes_the_pinned_decisions_on_every_synthetic_regime() {
    let hashes = golden_outputs::swarm_decision_hashes();
    let expected = golden("tests/fixtures/golden_swarm.txt", &hashes);
    assert_eq!(hashes, expected, "the swarm's decisions changed; see this file's docs");
}

#[test]
fn the_learned_model_gives_the_pinned_predictions_and_committee_decisions() {
    let outputs = golden_outputs::learned_outputs();
    let expected = golden("tests/fixtures/golden_learned.txt", &outputs);
    assert_eq!(outputs, expected, "the learned model's outputs changed; see this file's docs");
    assert!(outputs.lines().filter(|l| l.contains("learned votes")).all(|l| !l.ends_with("(0 learned votes)")));
}
