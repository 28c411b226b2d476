//! The agent tier's API for the edge (`/internal/v1/…` on `coinswarm up`): only with the
//! edge token, only when an edge link is configured; batched predictions answer each product
//! as `GET /api/predictions` does, in the order asked, within their bounds.

mod support;

use serde_json::{Value, json};
use std::time::{Duration, Instant};
use support::server::{Server, scratch_dir};

const TOKEN: &str = "agent-tier-token";

#[test]
fn the_agent_tier_answers_the_edge_with_its_token_only_and_batches_predictions_in_the_order_asked() {
    let dir = scratch_dir("agent-tier-api");
    // The edge itself is not running: the link retries in the background, the API still answers.
    let agent = Server::start_with_args(
        &dir,
        &[("COINSWARM_MEMORY_ENABLED", "false")],
        20,
        &["--edge-url", "http://127.0.0.1:9", "--edge-token", TOKEN],
    );
    let ask = json!({"product_ids": ["BTC-USD", "ETH-USD", "bad id"]}).to_string();
    for key in [None, Some("wrong-token"), agent.admin_key.as_deref()] {
        let (status, body) = agent.post("/internal/v1/predictions", key, &ask);
        assert_eq!(status, 401, "{key:?} is not the edge token: {body}");
        assert!(body.contains("UNAUTHORIZED") || body.contains("error"), "{body}");
    }

    let deadline = Instant::now() + Duration::from_secs(60);
    let answer = loop {
        let (status, body) = agent.post("/internal/v1/predictions", Some(TOKEN), &ask);
        assert_eq!(status, 200, "{body}");
        let answer: Value = serde_json::from_str(&body).unwrap();
        if answer["predictions"][0]["prediction"].is_object() {
            break answer;
        }
        assert!(Instant::now() < deadline, "no prediction within 60 s: {answer}");
        std::thread::sleep(Duration::from_millis(200));
    };
    let items = answer["predictions"].as_array().unwrap();
    let ids: Vec<&str> = items.iter().map(|i| i["product_id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["BTC-USD", "ETH-USD", "bad id"], "in the order asked");
    let (status, rest) = agent.get("/api/predictions?product_id=BTC-USD", None);
    assert_eq!(status, 200, "{rest}");
    let rest: Value = serde_json::from_str(&rest).unwrap();
    assert_eq!(items[0]["prediction"]["product_id"], rest["product_id"]);
    assert!(items[0]["prediction"]["decision"]["votes"].is_array(), "{answer}");
    assert_eq!((items[1]["status"].as_u64(), items[1]["error"]["code"].as_str()), (Some(404), Some("NOT_FOUND")));
    assert_eq!(items[2]["error"]["code"], "INVALID_PRODUCT_ID", "{answer}");

    // Bounds: 1 to 100 products; a body of the wrong shape is refused as REST refuses it.
    let too_many: Vec<String> = (0..101).map(|i| format!("P{i}-USD")).collect();
    for bad in [json!({"product_ids": []}), json!({"product_ids": too_many}), json!({"products": ["BTC-USD"]})] {
        let (status, body) = agent.post("/internal/v1/predictions", Some(TOKEN), &bad.to_string());
        assert_eq!(status, 422, "{body}");
    }

    // Backtests and pattern search, as MCP's tools answer them.
    let backtest =
        json!({"data": "bitfinex-btcusd-1h", "strategy": "buy_and_hold", "from": "2018-01-01", "to": "2018-01-31"});
    let (status, body) = agent.post("/internal/v1/backtest", Some(TOKEN), &backtest.to_string());
    assert_eq!(status, 200, "{body}");
    assert!(serde_json::from_str::<Value>(&body).unwrap()["bars"].as_u64().unwrap() > 700, "{body}");
    // Pattern search takes a list of market states and answers each, in order: here each is
    // memory's refusal (it is off), with its status, and the call itself succeeds.
    let asks = json!({"asks": [{"product_id": "BTC-USD"}, {"product_id": "BTC-USD", "at": "2018-01-02T00:00:00Z"}]});
    let (status, body) = agent.post("/internal/v1/similar", Some(TOKEN), &asks.to_string());
    assert_eq!(status, 200, "{body}");
    let answers: Value = serde_json::from_str(&body).unwrap();
    let answers = answers["answers"].as_array().unwrap();
    assert_eq!(answers.len(), 2, "{body}");
    for answer in answers {
        assert_eq!(answer["status"], 503, "pattern memory is off here: {answer}");
        assert!(answer["error"]["message"].as_str().unwrap().contains("memory"), "{answer}");
        assert_eq!(answer["error"]["retry_after_secs"], 60, "the wait crosses the link with the refusal: {answer}");
    }
    for bad in [json!({"asks": []}), json!({"product_id": "BTC-USD"})] {
        let (status, body) = agent.post("/internal/v1/similar", Some(TOKEN), &bad.to_string());
        assert!(status == 422 || status == 400, "{status} {body}");
    }
    agent.kill();

    // Without an edge link the routes do not exist.
    std::fs::create_dir_all(dir.join("alone")).unwrap();
    let alone = Server::start(&dir.join("alone"), &[("COINSWARM_MEMORY_ENABLED", "false")]);
    let (status, body) = alone.post("/internal/v1/predictions", Some(TOKEN), &ask);
    assert_eq!(status, 404, "{body}");
    alone.kill();
    let _ = std::fs::remove_dir_all(dir);
}
