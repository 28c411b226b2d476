//! `coinswarm up --exchange coinbase-live`: who may do what on the live account. Orders on it
//! need a key with the `live` scope, on REST and MCP alike, and so does resuming a halted
//! live swarm, every refusal audited; the public swarm state, decisions, predictions and
//! stream hide the live account's figures; MCP tells agents it is real money.

mod support;

use rmcp::service::ServiceError;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use support::live::*;
use support::server::{create_key, keys_create, scratch_dir};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_order_needs_a_key_with_the_live_scope_on_rest_and_mcp_and_each_refusal_is_audited() {
    let mock = live_mock(&[("USD", "5000"), ("ETH", "0.5")], 1).await;
    mock.with(|s| s.market_prices.insert("ETH-USD".into(), d("2200")));
    let dir = scratch_dir("live-scope");
    let urls = (mock.ws_url(), mock.url());
    let m = mock.clone();
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let server = start_live(&dir, &urls, "ETH-USD", "");
        let admin = server.admin_key.clone().unwrap();
        wait_for_prices(&server);
        let market_buy = json!({"product_id": "ETH-USD", "side": "BUY", "order_configuration": {"market_market_ioc": {"quote_size": "20"}}});

        // The admin key `up` printed has no `live`: refused over REST...
        let (status, body) = server.post("/api/orders", Some(&admin), &market_buy.to_string());
        let refusal: Value = serde_json::from_str(&body).unwrap();
        assert_eq!((status, refusal["error"]["code"].as_str()), (403, Some("LIVE_SCOPE_REQUIRED")), "{body}");
        assert!(refusal["error"]["message"].as_str().unwrap().contains("real money"), "{body}");
        // ...and over MCP, with the same code.
        let over_mcp = runtime.block_on(async {
            let client = mcp_client(&server, &admin).await;
            let order = json!({"product_id": "ETH-USD", "side": "BUY", "quote_size": "20"});
            let result = call_tool(&client, "place_market_order", order).await;
            let _ = client.cancel().await;
            result
        });
        match over_mcp {
            Err(ServiceError::McpError(error)) => {
                assert_eq!(error.data.as_ref().unwrap()["code"], "LIVE_SCOPE_REQUIRED", "{error:?}");
            }
            other => panic!("an MCP order from a key without `live` must be refused: {other:?}"),
        }
        assert_eq!(orders_sent(&m), 0, "no refused order reached Coinbase");
        let (_, audit) = server.get("/api/orders/audit", Some(&admin));
        let audit: Value = serde_json::from_str(&audit).unwrap();
        let refused_over = |channel: &str| {
            audit["records"].as_array().unwrap().iter().any(|r| {
                r["kind"] == "external_order"
                    && r["origin"]["channel"] == channel
                    && r["origin"]["key_id"].is_string()
                    && r["outcome"]["rejected"] == "LIVE_SCOPE_REQUIRED"
            })
        };
        assert!(refused_over("rest") && refused_over("mcp"), "both refusals are audited: {audit}");

        // `live` is given only with the flag that says it is real money, and never alone.
        let refused = keys_create(&dir, &["--account", "swarm", "--scope", "trade", "--scope", "live"]).unwrap_err();
        assert!(refused.contains(CONFIRM) && refused.contains("real money"), "{refused}");
        let alone = keys_create(&dir, &["--account", "swarm", "--scope", "live", CONFIRM]).unwrap_err();
        assert!(alone.contains("needs 'trade'"), "{alone}");

        // A key with `trade` and `live` places one, and Coinbase gets it.
        let trader = live_trader(&dir);
        let limit = json!({"product_id": "ETH-USD", "side": "BUY", "order_configuration": {"limit_limit_gtc": {"base_size": "0.01", "limit_price": "2000.00"}}});
        let (status, body) = server.post("/api/orders", Some(&trader), &limit.to_string());
        assert_eq!(status, 201, "{body}");
        let placed: Value = serde_json::from_str(&body).unwrap();
        let order_id = placed["order"]["order_id"].as_str().unwrap().to_string();
        assert!(placed["order"]["venue_order_id"].is_string(), "{placed}");
        assert!(m.with(|s| s.orders.contains_key(&order_id)), "the order reached Coinbase");
        // Cancelling only lowers the risk: the admin key, without `live`, may.
        let (status, body) = server.delete(&format!("/api/orders/{order_id}"), Some(&admin));
        assert_eq!(status, 200, "{body}");

        // Over MCP, a key given `trade,live` in one list places one too.
        let agent = keys_create(&dir, &["--account", "swarm", "--scope", "trade,live", CONFIRM]).unwrap();
        let placed = runtime.block_on(async {
            let client = mcp_client(&server, &agent).await;
            let order = json!({"product_id": "ETH-USD", "side": "BUY", "base_size": "0.01", "limit_price": "2000.00"});
            let result = call_tool(&client, "place_limit_order", order).await;
            let _ = client.cancel().await;
            result
        });
        let placed = placed.expect("a key with `live` places over MCP").structured_content.unwrap();
        assert_eq!(placed["mode"], "live", "{placed}");
        assert!(placed["order"]["venue_order_id"].is_string(), "{placed}");

        // Paper accounts are unaffected: a plain trade key trades its own paper account.
        let paper = create_key(&dir, "alice", "trade");
        let (status, body) = server.post("/api/orders", Some(&paper), &market_buy.to_string());
        assert_eq!(status, 201, "{body}");
        let (_, account) = server.get("/api/accounts/alice", Some(&paper));
        assert_eq!(serde_json::from_str::<Value>(&account).unwrap()["mode"], "paper", "{account}");
        assert_eq!(orders_sent(&m), 2, "only the two live orders reached Coinbase");
        drop(server);
        std::fs::remove_dir_all(&dir).unwrap();
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_live_mode_the_public_swarm_state_decisions_and_predictions_hide_the_account_and_mcp_says_it_is_real_money()
{
    let mock = live_mock(&[("USD", "5000"), ("ETH", "0.5")], 0).await;
    mock.with(|s| s.ws_plans.push_back(minute_tickers()));
    let dir = scratch_dir("live-public");
    let urls = (mock.ws_url(), mock.url());
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let server = start_live(&dir, &urls, "ETH-USD", "");
        let admin = server.admin_key.clone().unwrap();
        let other = create_key(&dir, "alice", "read");
        wait_for_prices(&server);
        let get = |path: &str, key: Option<&str>| {
            let (status, body) = server.get(path, key);
            assert_eq!(status, 200, "{path}: {body}");
            serde_json::from_str::<Value>(&body).unwrap()
        };
        // The swarm has decided (a key that may read its account sees the whole record).
        let deadline = Instant::now() + Duration::from_secs(60);
        while get("/api/swarm", Some(&admin))["swarm"]["latest_decision"].is_null() {
            assert!(Instant::now() < deadline, "a decision within 60 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        let decisions = get("/api/decisions?limit=5", Some(&admin));
        assert!(decisions["decisions"][0]["equity"].is_string(), "the swarm account's own view: {decisions}");
        let prediction = get("/api/predictions?product_id=ETH-USD", Some(&admin));
        assert!(prediction["decision"]["equity"].is_string(), "{prediction}");

        // Anonymous: the swarm's public state, nothing of the Coinbase account.
        let public = get("/api/swarm", None);
        assert_eq!(public["mode"], "live", "{public}");
        assert!(public["swarm"]["weights"].is_array() && public["swarm"]["breaker"].is_string(), "{public}");
        assert!(public["swarm"]["latest_decision"]["votes"].is_array(), "the latest decision shows: {public}");
        assert!(public.get("account").is_none(), "{public}");
        for private in ["balances", "positions", "equity"] {
            assert!(!has_field(&public, private), "no {private} for an anonymous caller: {public}");
        }
        // Nor in the decisions and the prediction, for anyone who may not read the account.
        for key in [None, Some(other.as_str())] {
            let decisions = get("/api/decisions?limit=500", key);
            assert!(decisions["decisions"].as_array().is_some_and(|d| !d.is_empty()), "{decisions}");
            let prediction = get("/api/predictions?product_id=ETH-USD", key);
            assert!(prediction["decision"]["votes"].is_array(), "{prediction}");
            for amount in ACCOUNT_AMOUNTS {
                let latest = &decisions["decisions"][0];
                assert!(!has_field(&decisions, amount), "no {amount} in the decisions for {key:?}, latest {latest}");
                assert!(!has_field(&prediction, amount), "no {amount} in the prediction for {key:?}: {prediction}");
            }
        }
        // A key that may read the swarm's account sees it; a key of another account does not.
        let with_key = get("/api/swarm", Some(&admin));
        let usd = with_key["account"]["balances"].as_array().and_then(|b| b.iter().find(|b| b["currency"] == "USD"));
        assert!(usd.is_some_and(|b| b["total"].is_string()), "{with_key}");
        assert!(with_key["swarm"]["latest_decision"]["equity"].is_string(), "{with_key}");
        assert!(get("/api/swarm", Some(&other)).get("account").is_none());
        assert_eq!(server.get("/api/swarm", Some("csk_not_a_key")).0, 401, "a wrong key is refused, not anonymous");

        runtime.block_on(async {
            // The stream's decisions, one message for every subscriber, are the public form.
            let streamed = first_streamed_decision(&server).await;
            assert!(streamed["votes"].is_array(), "{streamed}");
            for amount in ACCOUNT_AMOUNTS {
                assert!(!has_field(&streamed, amount), "no {amount} on the stream: {streamed}");
            }

            // MCP says what is true: the swarm's account is real money, and orders need `live`.
            let client = mcp_client(&server, &admin).await;
            let instructions = client.peer_info().unwrap().instructions.clone().unwrap_or_default();
            assert!(instructions.contains("REAL MONEY") && instructions.contains("'live' scope"), "{instructions}");
            assert!(!instructions.contains("PAPER"), "{instructions}");
            let trade = prompt_text(
                &client,
                "trade_execution",
                json!({"product_id": "ETH-USD", "side": "BUY", "size": "0.01"}),
            )
            .await;
            assert!(trade.contains("REAL MONEY") && !trade.contains("paper account"), "{trade}");
            let swarm = call_tool(&client, "get_swarm_state", json!({})).await.unwrap().structured_content.unwrap();
            assert!(swarm["account"]["balances"].is_array(), "{swarm}");
            let prediction = call_tool(&client, "get_prediction", json!({"product_id": "ETH-USD"})).await.unwrap();
            let prediction = prediction.structured_content.unwrap();
            assert!(prediction["decision"]["equity"].is_string(), "{prediction}");
            let _ = client.cancel().await;
            // An agent on a paper account is told it is paper, and gets the public decision.
            let client = mcp_client(&server, &other).await;
            let analysis = prompt_text(&client, "market_analysis", json!({"product_id": "ETH-USD"})).await;
            assert!(analysis.contains("paper account") && !analysis.contains("REAL MONEY"), "{analysis}");
            assert!(analysis.contains(r#"\"votes\""#) && !analysis.contains(r#"\"equity\""#), "{analysis}");
            let prediction = call_tool(&client, "get_prediction", json!({"product_id": "ETH-USD"})).await.unwrap();
            let prediction = prediction.structured_content.unwrap();
            assert!(prediction["decision"]["votes"].is_array(), "{prediction}");
            for amount in ACCOUNT_AMOUNTS {
                assert!(!has_field(&prediction, amount), "no {amount} over MCP for another account: {prediction}");
            }
            let _ = client.cancel().await;
        });
        drop(server);
        std::fs::remove_dir_all(&dir).unwrap();
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_halted_live_swarm_resumes_only_with_a_key_with_the_live_scope_and_every_attempt_is_audited() {
    let mock = live_mock(&[("USD", "5000")], 1).await;
    let dir = scratch_dir("live-resume");
    let urls = (mock.ws_url(), mock.url());
    tokio::task::spawn_blocking(move || {
        let server = start_live(&dir, &urls, "ETH-USD", "");
        let admin = server.admin_key.clone().unwrap();
        wait_for_prices(&server);
        let halted = || {
            let (_, body) = server.get("/api/swarm", None);
            serde_json::from_str::<Value>(&body).unwrap()["swarm"]["halted"].clone()
        };

        // Halting only lowers the risk: the admin key may.
        let (status, body) = server.post("/api/swarm/shutdown", Some(&admin), "");
        assert_eq!(status, 200, "{body}");
        assert_eq!(halted(), json!(true));
        // Resuming lets the swarm trade real money again: admin alone is not enough.
        let (status, body) = server.post("/api/swarm/resume", Some(&admin), "");
        let refusal: Value = serde_json::from_str(&body).unwrap();
        assert_eq!((status, refusal["error"]["code"].as_str()), (403, Some("LIVE_SCOPE_REQUIRED")), "{body}");
        assert!(refusal["error"]["message"].as_str().unwrap().contains("resuming its swarm"), "{body}");
        assert_eq!(halted(), json!(true), "still halted");
        // Nor is `live` without admin.
        let (status, body) = server.post("/api/swarm/resume", Some(&live_trader(&dir)), "");
        assert_eq!(status, 403, "{body}");
        // A key with admin and live resumes it.
        let operator = keys_create(&dir, &["--account", "swarm", "--scope", "admin", "--scope", "live", CONFIRM])
            .unwrap_or_else(|stderr| panic!("{stderr}"));
        let (status, body) = server.post("/api/swarm/resume", Some(&operator), "");
        assert_eq!(status, 200, "{body}");
        assert_eq!(halted(), json!(false));

        // Each attempt is in the swarm account's audit log, with the key that made it.
        let (admin_id, operator_id) = (key_id(&dir, "swarm", "admin"), key_id(&dir, "swarm", "admin,live"));
        let (_, audit) = server.get("/api/orders/audit", Some(&admin));
        let audit: Value = serde_json::from_str(&audit).unwrap();
        let records = audit["records"].as_array().unwrap();
        let recorded = |kind: &str, key_id: &str, outcome: Value| {
            records.iter().any(|r| r["kind"] == kind && r["origin"]["key_id"] == key_id && r["outcome"] == outcome)
        };
        assert!(recorded("external_halt", &admin_id, json!({"halted": true})), "{audit}");
        let refused = records.iter().any(|r| {
            r["kind"] == "external_resume"
                && r["origin"]["key_id"] == admin_id.as_str()
                && r["outcome"]["rejected"] == "LIVE_SCOPE_REQUIRED"
        });
        assert!(refused, "the refusal: {audit}");
        assert!(recorded("external_resume", &operator_id, json!({"halted": false})), "{audit}");
        // They are the audit log's, not the swarm's decisions.
        let (_, decisions) = server.get("/api/decisions?limit=500", Some(&admin));
        assert!(!decisions.contains("external_"), "{decisions}");
        drop(server);
        std::fs::remove_dir_all(&dir).unwrap();
    })
    .await
    .unwrap();
}
