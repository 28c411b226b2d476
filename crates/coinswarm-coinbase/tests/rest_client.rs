//! The REST client against the local mock Coinbase: every JWT verified by the mock with the
//! key's public half, rate limits respected, and each injected fault recovered from or
//! surfaced clearly.

use coinswarm_coinbase::mock::{Fault, MockCoinbase};
use coinswarm_coinbase::{CdpKey, CoinbaseError, CoinbaseRest, RestConfig};
use coinswarm_core::market::{Granularity, ProductId};
use coinswarm_core::time::Timestamp;
use serde_json::json;
use std::time::{Duration, Instant};

const EC_PEM: &str = "-----BEGIN EC PRIVATE KEY-----\\nMHcCAQEEILBMmlLqCXoQ5RX5ceriTXxqwhsxi5Pjm2bBtC36NlLToAoGCCqGSM49\\nAwEHoUQDQgAE9wFNCFH4hWrbCkP879O+5qOUJraeNVvNEkYneMVrjntwiWN9x6GB\\nc6FFX4dzrGaVDzdNTM9ZhB/dq+w5Nuw48A==\\n-----END EC PRIVATE KEY-----\\n";
const ED25519: &str = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";

fn config(mock: &MockCoinbase) -> RestConfig {
    RestConfig { base_url: mock.url(), backoff_ms: 20, max_retries: 3, ..RestConfig::default() }
}

fn btc() -> ProductId {
    ProductId::parse("BTC-USD").unwrap()
}

#[tokio::test]
async fn every_private_request_carries_a_fresh_jwt_the_mock_verifies_es256_and_eddsa() {
    for private_key in [EC_PEM, ED25519] {
        let key = CdpKey::new("organizations/o/apiKeys/k", private_key).unwrap();
        let mock = MockCoinbase::start(Some(key.verifying_key()), None).await;
        let client = CoinbaseRest::new(config(&mock), Some(key)).unwrap();
        for _ in 0..3 {
            let accounts = client.accounts().await.unwrap();
            assert_eq!(accounts["accounts"][0]["currency"], "USD");
        }
        let start = Timestamp::from_millis(1_600_000_000_000 / 3_600_000 * 3_600_000);
        let candles = client
            .candles(btc(), Granularity::OneHour, start, Timestamp::from_millis(start.millis() + 10 * 3_600_000))
            .await
            .unwrap();
        assert_eq!(candles.len(), 10);
        mock.with(|s| {
            assert!(s.auth_failures.is_empty(), "{:?}", s.auth_failures);
            assert!(s.requests.iter().all(|(_, path, _)| !path.contains("/market/")), "a key uses the keyed endpoints");
        });
    }
}

#[tokio::test]
async fn a_wrong_key_is_refused_by_coinbase_and_the_error_carries_its_body() {
    let signer = CdpKey::new("k", EC_PEM).unwrap();
    let other = CdpKey::new("k", ED25519).unwrap();
    let mock = MockCoinbase::start(Some(other.verifying_key()), None).await;
    let client = CoinbaseRest::new(config(&mock), Some(signer)).unwrap();
    let err = client.accounts().await.unwrap_err();
    match &err {
        CoinbaseError::Api { status: 401, body, .. } => assert_eq!(body.error, "UNAUTHENTICATED"),
        other => panic!("{other:?}"),
    }
    assert_eq!(mock.with(|s| s.requests.len()), 1, "a 401 is not retried");
}

#[tokio::test]
async fn without_a_key_market_data_comes_from_the_public_endpoints_and_private_ones_say_why_not() {
    let mock = MockCoinbase::start(None, None).await;
    let client = CoinbaseRest::new(config(&mock), None).unwrap();
    let start = Timestamp::from_millis(1_600_000_000_000 / 3_600_000 * 3_600_000);
    let candles = client
        .candles(btc(), Granularity::OneHour, start, Timestamp::from_millis(start.millis() + 350 * 3_600_000))
        .await
        .unwrap();
    assert_eq!(candles.len(), 350, "a full page");
    assert!(candles.windows(2).all(|w| w[1].start.millis() - w[0].start.millis() == 3_600_000), "oldest first");
    assert!(mock.with(|s| s.requests[0].1.contains("/market/products/BTC-USD/candles")));
    let too_long = client
        .candles(btc(), Granularity::OneHour, start, Timestamp::from_millis(start.millis() + 351 * 3_600_000))
        .await;
    assert!(matches!(too_long, Err(CoinbaseError::Invalid(_))));
    assert!(matches!(client.accounts().await, Err(CoinbaseError::NoKey(_))));
}

#[tokio::test]
async fn a_429_is_retried_after_its_retry_after_and_5xx_and_malformed_bodies_after_a_backoff() {
    let mock = MockCoinbase::start(None, None).await;
    let client = CoinbaseRest::new(config(&mock), None).unwrap();
    let start = Timestamp::from_millis(1_600_000_000_000 / 3_600_000 * 3_600_000);
    let end = Timestamp::from_millis(start.millis() + 24 * 3_600_000);
    mock.inject("candles", [Fault::TooManyRequests(1)]);
    let began = Instant::now();
    assert_eq!(client.candles(btc(), Granularity::OneHour, start, end).await.unwrap().len(), 24);
    assert!(began.elapsed() >= Duration::from_millis(950), "Retry-After: 1 honoured: {:?}", began.elapsed());
    mock.inject("candles", [Fault::Status(500), Fault::Status(503), Fault::Malformed]);
    assert_eq!(client.candles(btc(), Granularity::OneHour, start, end).await.unwrap().len(), 24);
    // A persistent failure ends after the configured retries, saying what happened last.
    mock.inject("candles", [Fault::Status(500), Fault::Status(500), Fault::Status(500), Fault::Status(500)]);
    match client.candles(btc(), Granularity::OneHour, start, end).await {
        Err(CoinbaseError::Exhausted { attempts: 4, last, .. }) => assert!(last.contains("500"), "{last}"),
        other => panic!("{other:?}"),
    }
    // A 400 with Coinbase's body comes back at once, typed.
    mock.inject("candles", [Fault::Status(400)]);
    match client.candles(btc(), Granularity::OneHour, start, end).await {
        Err(err @ CoinbaseError::Api { status: 400, .. }) => assert_eq!(err.body().unwrap().error, "INTERNAL"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_lost_answer_to_an_order_is_retried_with_the_same_client_order_id_and_never_duplicates_it() {
    let key = CdpKey::new("k", EC_PEM).unwrap();
    let mock = MockCoinbase::start(Some(key.verifying_key()), None).await;
    let client = CoinbaseRest::new(config(&mock), Some(key)).unwrap();
    mock.inject("orders", [Fault::StoreThenFail, Fault::Status(502)]);
    let order = json!({"product_id": "BTC-USD", "side": "BUY", "order_configuration": {"market_market_ioc": {"quote_size": "10"}}});
    let placed = client.create_order(order).await.unwrap();
    assert_eq!(placed["success_response"]["order_id"], "order-1");
    mock.with(|s| {
        assert_eq!(s.orders.len(), 1, "one order despite three attempts");
        assert_eq!(s.requests.iter().filter(|(m, p, _)| m == "POST" && p.ends_with("/orders")).count(), 3);
        assert!(s.auth_failures.is_empty(), "each attempt signs a fresh token: {:?}", s.auth_failures);
    });
}

#[tokio::test]
async fn the_client_side_limit_keeps_requests_under_coinbases() {
    // The mock allows 20 a second (bursts of 20); the client keeps 10% under it, as its
    // defaults keep under Coinbase's.
    let mock = MockCoinbase::start(None, Some((20.0, 20.0))).await;
    let client = CoinbaseRest::new(RestConfig { public_per_second: 18.0, ..config(&mock) }, None).unwrap();
    let start = Timestamp::from_millis(1_600_000_000_000 / 3_600_000 * 3_600_000);
    let end = Timestamp::from_millis(start.millis() + 3_600_000);
    let began = Instant::now();
    for _ in 0..50 {
        client.candles(btc(), Granularity::OneHour, start, end).await.unwrap();
    }
    let elapsed = began.elapsed();
    assert_eq!(mock.with(|s| s.rate_limited), 0, "never answered 429");
    assert!(elapsed >= Duration::from_millis(1700), "50 requests at 18/s after a burst of 18: {elapsed:?}");
}

#[tokio::test]
async fn balances_and_order_lookups_follow_coinbase_pages() {
    let key = CdpKey::new("organizations/o/apiKeys/k", ED25519).unwrap();
    let mock = MockCoinbase::start(Some(key.verifying_key()), None).await;
    let client = CoinbaseRest::new(config(&mock), Some(key)).unwrap();
    let currencies = ["ADA", "BTC", "DOT", "ETH", "SOL", "USD", "XRP"];
    mock.with(|s| {
        s.page_size = Some(2);
        for (i, currency) in currencies.iter().enumerate() {
            s.balances.insert(currency.to_string(), format!("{i}.5"));
        }
    });
    let balances = client.balances().await.unwrap();
    let found: Vec<&str> = balances.iter().map(|b| b.currency.as_str()).collect();
    assert_eq!(found, currencies, "all 7 over 4 pages");
    let pages = mock.with(|s| s.requests.iter().filter(|(_, p, _)| p.ends_with("/accounts")).count());
    assert_eq!(pages, 4);

    // The fifth of five orders is found on the third page; an unknown id is not found.
    for i in 0..5 {
        let body = json!({"client_order_id": format!("c{i}"), "product_id": "BTC-USD", "side": "BUY",
            "order_configuration": {"limit_limit_gtc": {"base_size": "0.1", "limit_price": "100.00"}}});
        client.create_order(body).await.unwrap();
    }
    let (since, until) = (Timestamp::from_millis(0), Timestamp::from_millis(4_000_000_000_000));
    assert_eq!(client.find_order(btc(), "c4", since, until).await.unwrap().as_deref(), Some("order-5"));
    assert_eq!(client.find_order(btc(), "nope", since, until).await.unwrap(), None);
}
