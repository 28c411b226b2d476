//! The WebSocket client against the local mock: it subscribes at once with a signed JWT,
//! decodes each channel, reconnects and resubscribes after a disconnect or a stale stream,
//! and resynchronises its books from REST after a sequence gap.

use coinswarm_coinbase::mock::{MockCoinbase, WsStep};
use coinswarm_coinbase::{CdpKey, CoinbaseRest, RestConfig, Subscription, WsClient, WsConfig, WsEvent};
use coinswarm_core::market::ProductId;
use rust_decimal::Decimal;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

fn btc() -> ProductId {
    ProductId::parse("BTC-USD").unwrap()
}

fn dec(text: &str) -> Decimal {
    text.parse().unwrap()
}

fn ticker(price: &str) -> WsStep {
    WsStep::Send(json!({"channel": "ticker", "events": [{"type": "update", "tickers": [
        {"product_id": "BTC-USD", "price": price, "best_bid": "99.5", "best_ask": "100.5"}]}]}))
}

fn level2(kind: &str, updates: serde_json::Value) -> WsStep {
    WsStep::Send(json!({"channel": "l2_data", "events": [{"type": kind, "product_id": "BTC-USD", "updates": updates}]}))
}

/// Events until `until` holds for one (at most 10 s).
async fn collect(events: &mut mpsc::Receiver<WsEvent>, mut until: impl FnMut(&WsEvent) -> bool) -> Vec<WsEvent> {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while let Ok(Some(event)) = tokio::time::timeout_at(deadline, events.recv()).await {
        let done = until(&event);
        seen.push(event);
        if done {
            return seen;
        }
    }
    panic!("not seen within 10 s: {seen:?}");
}

fn config(mock: &MockCoinbase) -> WsConfig {
    WsConfig { url: mock.ws_url(), stale_after_ms: 700, backoff_ms: 20, max_backoff_ms: 100, ..WsConfig::default() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribes_at_once_decodes_every_channel_and_survives_disconnects_stale_streams_and_gaps() {
    let key = CdpKey::new("organizations/o/apiKeys/k", "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=").unwrap();
    let mock = MockCoinbase::start(Some(key.verifying_key()), None).await;
    mock.with(|s| {
        s.book = json!({"product_id": "BTC-USD", "bids": [{"price": "98", "size": "1"}], "asks": [{"price": "102", "size": "1"}]});
        // 1st connection: every channel, then it drops mid-stream.
        s.ws_plans.push_back(vec![
            ticker("100.1"),
            level2("snapshot", json!([{"side": "bid", "price_level": "99", "new_quantity": "2"}, {"side": "offer", "price_level": "101", "new_quantity": "1"}])),
            level2("update", json!([{"side": "bid", "price_level": "99.5", "new_quantity": "1"}])),
            WsStep::Send(json!({"channel": "market_trades", "events": [{"type": "update", "trades": [
                {"trade_id": "1", "product_id": "BTC-USD", "price": "100.2", "size": "0.5", "side": "BUY", "time": "t"}]}]})),
            WsStep::Send(json!({"channel": "candles", "events": [{"type": "update", "candles": [
                {"start": "1700000000", "high": "101", "low": "99", "open": "100", "close": "100.5", "volume": "3", "product_id": "BTC-USD"}]}]})),
            WsStep::Send(json!({"channel": "heartbeats", "events": [{"heartbeat_counter": 7}]})),
            WsStep::Send(json!({"channel": "user", "events": [{"type": "snapshot", "orders": []}]})),
            WsStep::Close,
        ]);
        // 2nd: a book, then a sequence gap, then more.
        s.ws_plans.push_back(vec![
            level2("snapshot", json!([{"side": "bid", "price_level": "99", "new_quantity": "2"}])),
            WsStep::SkipSequence(3),
            ticker("100.3"),
            WsStep::Silence,
        ]);
    });
    let rest = CoinbaseRest::new(
        RestConfig { base_url: mock.url(), ..RestConfig::default() },
        Some(CdpKey::new("organizations/o/apiKeys/k", "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=").unwrap()),
    )
    .unwrap();
    let subscriptions = ["ticker", "level2", "market_trades", "candles", "user"]
        .into_iter()
        .map(|channel| Subscription { channel: channel.into(), product_ids: vec![btc()] })
        .collect();
    let client = WsClient::new(config(&mock), Some(Arc::new(key)), Some(Arc::new(rest)), subscriptions);
    let (events_tx, mut events) = mpsc::channel(1024);
    let (stop_tx, stop) = watch::channel(false);
    let task = tokio::spawn(client.run(events_tx, stop));

    // First connection: every channel decoded, then the drop.
    let first = collect(&mut events, |e| matches!(e, WsEvent::Disconnected { .. })).await;
    assert_eq!(first[0], WsEvent::Connected { attempt: 0 });
    assert!(first.contains(&WsEvent::Ticker {
        product_id: btc(),
        time: None,
        price: dec("100.1"),
        best_bid: Some(dec("99.5")),
        best_ask: Some(dec("100.5"))
    }));
    assert!(
        first.contains(&WsEvent::Book { product_id: btc(), best_bid: Some(dec("99.5")), best_ask: Some(dec("101")) }),
        "{first:?}"
    );
    assert!(first.contains(&WsEvent::Trade {
        product_id: btc(),
        price: dec("100.2"),
        size: dec("0.5"),
        side: "BUY".into()
    }));
    assert!(first.iter().any(|e| matches!(e, WsEvent::Candle { candle, .. } if candle.close == dec("100.5"))));
    assert!(first.contains(&WsEvent::Heartbeat { counter: 7 }));
    assert!(first.iter().any(|e| matches!(e, WsEvent::User(_))));

    // Reconnected and resubscribed; the gap is seen and the book rebuilt from REST.
    let second = collect(&mut events, |e| matches!(e, WsEvent::Ticker { price, .. } if *price == dec("100.3"))).await;
    assert!(second.contains(&WsEvent::Connected { attempt: 1 }), "{second:?}");
    assert!(second.contains(&WsEvent::Gap { expected: 1, got: 4 }), "{second:?}");
    let resynced = second.iter().position(|e| *e == WsEvent::Resynced { product_id: btc() }).expect("resynced");
    assert_eq!(
        second[resynced + 1],
        WsEvent::Book { product_id: btc(), best_bid: Some(dec("98")), best_ask: Some(dec("102")) },
        "the book is REST's now"
    );

    // The silent connection is stale after 700 ms: a third connection follows.
    let third = collect(&mut events, |e| matches!(e, WsEvent::Connected { attempt: 2 })).await;
    assert!(
        third.iter().any(|e| matches!(e, WsEvent::Disconnected { reason } if reason.contains("stale"))),
        "{third:?}"
    );
    collect(&mut events, |e| matches!(e, WsEvent::Heartbeat { .. })).await;

    stop_tx.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), task).await.unwrap().unwrap().unwrap();
    mock.with(|s| {
        assert!(s.auth_failures.is_empty(), "every subscribe carries a valid JWT: {:?}", s.auth_failures);
        for connection in 1..=3 {
            let subscribed: Vec<&str> = s
                .ws_subscriptions
                .iter()
                .filter(|(c, _, _)| *c == connection)
                .map(|(_, at, m)| {
                    // The mock takes subscriptions for 300 ms after the connection opens.
                    assert!(*at < 300, "subscribed {at} ms after connecting");
                    m["channel"].as_str().unwrap()
                })
                .collect();
            assert_eq!(
                subscribed,
                ["ticker", "level2", "market_trades", "candles", "user", "heartbeats"],
                "connection {connection}"
            );
        }
        assert!(s.requests.iter().any(|(_, path, _)| path.ends_with("/product_book")), "the resync asked REST");
    });
}
