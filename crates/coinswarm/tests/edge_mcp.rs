//! MCP at the edge: the Worker's `/mcp` under `wrangler dev`, driven by rmcp's own client
//! with the same exercise as `coinswarm up`'s `/mcp` (`support::mcp::exercise`: every tool,
//! resource and prompt, and every error a caller can make). Orders go down the account
//! object's order path, show in the edge's REST API with the MCP client in their audit, and
//! fill on its stream; backtests and pattern search are answered by the agent tier, whose
//! routes for the edge need the edge token.

mod support;

use futures_util::SinkExt;
use rmcp::ClientCacheConfig;
use rmcp::model::{ErrorCode, ReadResourceRequestParams};
use serde_json::{Value, json};
use std::time::Duration;
use support::edge::{EDGE_TOKEN, Edge};
use support::mcp::{error, exercise, http_client, read_only_tools, trade_tools, wait_for_market};
use support::server::scratch_dir;
use tokio_tungstenite::tungstenite::Message;

#[test]
fn the_edge_serves_up_s_mcp_desk_over_streamable_http_with_its_orders_in_rest_audit_and_stream() {
    let state = scratch_dir("edge-mcp-state");
    let dir = scratch_dir("edge-mcp-agent");
    let edge = Edge::start(&state);
    // Pattern memory on, as `up`'s own MCP test runs it: find_similar_patterns is asked of it.
    let agent = edge.agent_with_env(&dir, 40, &[], &[]);
    edge.wait_for_venue();
    let trader = edge.create_key("agent", "trade");
    let reader = edge.create_key("agent", "read");
    let mcp_url = format!("{}/mcp", edge.url());

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        // No key, a wrong key: refused before any session exists.
        for key in [None, Some("csk_not_a_key")] {
            let Err(refused) = http_client(&mcp_url, key).await else { panic!("{key:?} was let in") };
            assert!(format!("{refused:?}").contains("401"), "{key:?}: {refused:?}");
        }

        // A read-only key sees and may call only the read-only tools.
        let reading = http_client(&mcp_url, Some(&reader)).await.unwrap();
        reading.set_response_cache_config(ClientCacheConfig::disabled()).await;
        let mut tools: Vec<String> =
            reading.list_all_tools().await.unwrap().into_iter().map(|t| t.name.to_string()).collect();
        tools.sort();
        assert_eq!(tools, read_only_tools());
        wait_for_market(&reading).await;
        let e =
            error(&reading, "place_market_order", json!({"product_id": "BTC-USD", "side": "BUY", "quote_size": "100"}))
                .await;
        assert_eq!(e.code, ErrorCode(-32001), "{e:?}");
        assert!(e.message.contains("'trade' scope"), "{e:?}");
        let orders = reading.read_resource(ReadResourceRequestParams::new("coinswarm://orders")).await.unwrap();
        assert!(format!("{:?}", orders.contents[0]).contains("orders"), "{orders:?}");
        reading.cancel().await.unwrap();

        // Fills of the trader's account on the edge's stream while it trades over MCP.
        let (mut socket, _) = tokio_tungstenite::connect_async(format!("ws://{}/stream", edge.addr)).await.unwrap();
        let subscribe =
            json!({"type": "subscribe", "channels": ["fills"], "product_ids": ["BTC-USD"], "api_key": trader});
        socket.send(Message::text(subscribe.to_string())).await.unwrap();

        let trading = http_client(&mcp_url, Some(&trader)).await.unwrap();
        let order_id = exercise(&trading, "agent", &trade_tools()).await;
        trading.cancel().await.unwrap();

        // The order is in the edge's REST API for the same key.
        let client = edge.client();
        let (status, body) = client.request("GET", &format!("/api/orders/{order_id}"), Some(&trader), None);
        assert_eq!(status, 200, "{body}");
        let order: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(order["order"]["client_order_id"], "mcp-buy-1", "{order}");
        let (status, body) = client.request("GET", "/api/trades?product_id=BTC-USD", Some(&trader), None);
        assert_eq!(status, 200);
        assert!(body.contains(&order_id), "{body}");

        // Who placed it, with the MCP client's name, is in the account's order audit.
        let (status, body) = client.request("GET", "/api/orders/audit", Some(&trader), None);
        assert_eq!(status, 200, "{body}");
        let audit: Value = serde_json::from_str(&body).unwrap();
        let placed =
            audit["records"].as_array().unwrap().iter().find(|r| r["outcome"]["order_id"] == order_id.as_str());
        let placed = placed.unwrap_or_else(|| panic!("{audit}"));
        assert_eq!(placed["origin"]["channel"], "mcp", "{placed}");
        assert_eq!(placed["origin"]["tool"], "place_market_order", "{placed}");
        assert!(placed["origin"]["client"].as_str().unwrap().starts_with("rmcp"), "{placed}");

        // And its fill came down the edge's stream.
        let filled = support::stream::fill_arrives(&mut socket, &order_id, Duration::from_secs(20)).await;
        assert!(filled, "the MCP order's fill never reached the fills channel");
    });

    // A session id is the key's own: another key naming it is answered as an unknown session.
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "probe", "version": "1"}}});
    let (status, headers, body) = post_mcp(&edge, &trader, None, &initialize.to_string());
    assert_eq!(status, 200, "{body}");
    let session = headers.iter().find(|(name, _)| name == "mcp-session-id").map(|(_, v)| v.clone());
    let session = session.unwrap_or_else(|| panic!("initialize gave no session id: {headers:?}"));
    let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}).to_string();
    let (status, _, body) = post_mcp(&edge, &trader, Some(&session), &list);
    assert_eq!(status, 200, "{body}");
    let (status, _, body) = post_mcp(&edge, &reader, Some(&session), &list);
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("MCP_SESSION_NOT_FOUND"), "{body}");
    // A body that is not JSON-RPC is the API's 400 envelope; an unknown method a JSON-RPC
    // error; never a 5xx.
    let (status, _, body) = post_mcp(&edge, &trader, None, "{not json");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("MALFORMED_JSON"), "{body}");
    let (status, _, body) =
        post_mcp(&edge, &trader, None, &json!({"jsonrpc": "2.0", "id": 3, "method": "no/such"}).to_string());
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("-32601"), "method not found: {body}");

    // The agent tier's routes for the edge need the edge token.
    let ask =
        json!({"data": "bitfinex-btcusd-1h", "strategy": "buy_and_hold", "from": "2018-01-01", "to": "2018-01-31"});
    for key in [None, Some("wrong-token")] {
        let (status, body) = agent.post("/internal/v1/backtest", key, &ask.to_string());
        assert_eq!(status, 401, "{key:?}: {body}");
    }
    let (status, body) = agent.post("/internal/v1/backtest", Some(EDGE_TOKEN), &ask.to_string());
    assert_eq!(status, 200, "{body}");
    let (status, body) = agent.post("/internal/v1/backtest", Some(EDGE_TOKEN), r#"{"data": 1}"#);
    assert!((400..500).contains(&status), "{status} {body}");

    agent.kill();
    edge.stop();
    let _ = std::fs::remove_dir_all(state);
    let _ = std::fs::remove_dir_all(dir);
}

/// A raw `POST /mcp` to the edge: status, headers and body.
fn post_mcp(edge: &Edge, key: &str, session: Option<&str>, body: &str) -> (u16, Vec<(String, String)>, String) {
    let mut extra = vec![("Accept", "application/json, text/event-stream")];
    if let Some(session) = session {
        extra.push(("Mcp-Session-Id", session));
    }
    edge.client().raw_with("POST", "/mcp", Some(key), &extra, Some(body.as_bytes()))
}
