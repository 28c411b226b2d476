//! The MCP server driven by rmcp's own client, over both transports: `coinswarm mcp` on
//! stdio (a child process) and Streamable HTTP at `/mcp` on a real `coinswarm up`. Every
//! tool is called, every resource read and every prompt got ([`support::mcp::exercise`],
//! which `edge_mcp.rs` runs against the Worker too); bad parameters, unknown products,
//! insufficient balance, oversight and unauthorised keys each come back as a clear MCP
//! error; an order placed over MCP shows in the REST API and on the WebSocket.

mod support;

use rmcp::model::{ErrorCode, ReadResourceRequestParams};
use rmcp::transport::{ConfigureCommandExt, TokioChildProcess};
use rmcp::{ClientCacheConfig, ServiceExt};
use serde_json::{Value, json};
use std::time::Duration;
use support::mcp::{Client, error, exercise, ok, read_only_tools, trade_tools, wait_for_market};
use support::server::{Server, create_key, scratch_dir};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdio_serves_every_tool_resource_and_prompt_and_records_the_client_with_its_orders() {
    let dir = scratch_dir("mcp-stdio");
    let command = tokio::process::Command::new(env!("CARGO_BIN_EXE_coinswarm")).configure(|c| {
        c.args(["mcp", "--bar-interval-ms", "20", "--data-dir"]).arg(&dir).env("RUST_LOG", "warn");
    });
    let (transport, _stderr) = TokioChildProcess::builder(command).stderr(std::process::Stdio::null()).spawn().unwrap();
    let client = ().serve(transport).await.expect("the stdio server initializes");
    let order_id = exercise(&client, "mcp", &trade_tools()).await;
    client.cancel().await.unwrap();

    // The MCP client's identity is in the account's decision log with each order, stored in
    // the same commit as the order.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let store = coinswarm_server::adapters::store::SqlStore::open(&dir, coinswarm_server::clock::SystemClock::shared())
        .await
        .unwrap();
    let lines = store.order_audit("mcp", 1000).await.unwrap();
    assert!(
        lines.iter().any(|line| line.contains("\"channel\":\"mcp\"")
            && line.contains(&order_id)
            && line.contains("place_market_order")
            && line.contains("rmcp")),
        "no decision record of order {order_id} with the client's name: {lines:?}"
    );
    assert!(lines.iter().any(|line| line.contains("external_cancel") && line.contains("cancel_order")), "{lines:?}");
    assert!(store.recent_decisions("mcp", 1000).await.unwrap().is_empty(), "order records are not swarm decisions");
    store.close().await;
    std::fs::remove_dir_all(dir).unwrap();
}

async fn http_client(server: &Server, key: Option<&str>) -> Result<Client, rmcp::service::ClientInitializeError> {
    support::mcp::http_client(&format!("http://{}/mcp", server.addr), key).await
}

#[test]
fn streamable_http_needs_a_key_offers_tools_by_scope_and_its_orders_reach_rest_and_the_stream() {
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::Message;

    let dir = scratch_dir("mcp-http");
    let server = Server::start(&dir, &[]);
    let trader = create_key(&dir, "agent", "trade");
    let reader = create_key(&dir, "agent", "read");
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        // No key, a wrong key: refused before any session exists.
        for key in [None, Some("csk_not_a_key")] {
            let Err(refused) = http_client(&server, key).await else { panic!("{key:?} was let in") };
            assert!(format!("{refused:?}").contains("401"), "{key:?}: {refused:?}");
        }

        // A read-only key sees and may call only the read-only tools.
        let reading = http_client(&server, Some(&reader)).await.unwrap();
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
        // Its resources are its own account's.
        let orders = reading.read_resource(ReadResourceRequestParams::new("coinswarm://orders")).await.unwrap();
        assert!(format!("{:?}", orders.contents[0]).contains("orders"), "{orders:?}");
        reading.cancel().await.unwrap();

        // Fills of the trader's account on the WebSocket while it trades over MCP.
        let (mut socket, _) = tokio_tungstenite::connect_async(format!("ws://{}/stream", server.addr)).await.unwrap();
        let subscribe =
            json!({"type": "subscribe", "channels": ["fills"], "product_ids": ["BTC-USD"], "api_key": trader});
        socket.send(Message::text(subscribe.to_string())).await.unwrap();

        let trading = http_client(&server, Some(&trader)).await.unwrap();
        let order_id = exercise(&trading, "agent", &trade_tools()).await;
        trading.cancel().await.unwrap();

        // The order is in the REST API for the same key.
        let (status, body) = server.get(&format!("/api/orders/{order_id}"), Some(&trader));
        assert_eq!(status, 200, "{body}");
        let order: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(order["order"]["client_order_id"], "mcp-buy-1", "{order}");
        let (status, body) = server.get("/api/trades?product_id=BTC-USD", Some(&trader));
        assert_eq!(status, 200);
        assert!(body.contains(&order_id), "{body}");

        // Who placed it, with the MCP client's name, is in the account's order audit.
        let (status, body) = server.get("/api/orders/audit", Some(&trader));
        assert_eq!(status, 200, "{body}");
        let audit: Value = serde_json::from_str(&body).unwrap();
        let placed =
            audit["records"].as_array().unwrap().iter().find(|r| r["outcome"]["order_id"] == order_id.as_str());
        let placed = placed.unwrap_or_else(|| panic!("{audit}"));
        assert_eq!(placed["origin"]["channel"], "mcp", "{placed}");
        assert_eq!(placed["origin"]["tool"], "place_market_order", "{placed}");
        assert!(placed["origin"]["client"].as_str().unwrap().starts_with("rmcp"), "{placed}");

        // And its fill came down the stream.
        let filled = support::stream::fill_arrives(&mut socket, &order_id, Duration::from_secs(20)).await;
        assert!(filled, "the MCP order's fill never reached the fills channel");
    });
    let status = server.terminate();
    assert!(status.success(), "the server stops cleanly with MCP sessions opened: {status:?}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdio_read_only_offers_only_the_read_only_tools_and_backtests_stay_within_their_bounds() {
    let dir = scratch_dir("mcp-read-only");
    let config = dir.join("mcp.toml");
    std::fs::write(&config, "[mcp]\nmax_backtest_bars = 5000\n").unwrap();
    let command = tokio::process::Command::new(env!("CARGO_BIN_EXE_coinswarm")).configure(|c| {
        c.args(["mcp", "--read-only", "--config"]).arg(&config).arg("--data-dir").arg(&dir);
    });
    let (transport, _stderr) = TokioChildProcess::builder(command).stderr(std::process::Stdio::null()).spawn().unwrap();
    let client = ().serve(transport).await.expect("the stdio server initializes");
    let mut tools: Vec<String> =
        client.list_all_tools().await.unwrap().into_iter().map(|t| t.name.to_string()).collect();
    tools.sort();
    assert_eq!(tools, read_only_tools());
    let e = error(&client, "cancel_order", json!({"order_id": "00000000-0000-0000-0000-000000000000"})).await;
    assert_eq!(e.code, ErrorCode(-32001), "{e:?}");
    // The whole hourly file is some 17,500 bars: beyond this server's 5,000.
    let e = error(&client, "run_backtest", json!({"data": "bitfinex-btcusd-1h", "strategy": "committee"})).await;
    assert_eq!(e.data.as_ref().unwrap()["code"], "TOO_MANY_BARS", "{e:?}");
    assert!(e.message.contains("at most 5000 per request"), "{e:?}");
    client.cancel().await.unwrap();
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_stdio_start_keeps_the_admin_key_in_a_private_file_never_on_stderr() {
    use tokio::io::AsyncReadExt;
    let dir = scratch_dir("mcp-first-key");
    let command = tokio::process::Command::new(env!("CARGO_BIN_EXE_coinswarm")).configure(|c| {
        c.args(["mcp", "--data-dir"]).arg(&dir).env("RUST_LOG", "info");
    });
    let (transport, stderr) = TokioChildProcess::builder(command).stderr(std::process::Stdio::piped()).spawn().unwrap();
    let client = ().serve(transport).await.expect("the stdio server initializes");
    ok(&client, "get_account_balance", json!({})).await;
    client.cancel().await.unwrap();
    // The process has ended once its stderr closes (and the data directory is free again).
    let mut logged = String::new();
    tokio::time::timeout(Duration::from_secs(30), stderr.unwrap().read_to_string(&mut logged))
        .await
        .expect("coinswarm mcp ends when its client goes")
        .unwrap();
    assert!(!logged.contains("csk_"), "a secret on stderr: {logged}");
    let path = dir.join("first-admin-key");
    assert!(logged.contains(&path.display().to_string()), "stderr names the key's file: {logged}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let secret = std::fs::read_to_string(&path).unwrap().trim().to_string();
    assert!(secret.starts_with("csk_"), "{secret}");

    // The key works, as an admin's: `up` on the same directory lists every account to it.
    let server = Server::start(&dir, &[]);
    assert_eq!(server.admin_key, None, "not a first start");
    let (status, body) = server.get("/api/accounts", Some(&secret));
    assert_eq!(status, 200, "{body}");
    let accounts: Value = serde_json::from_str(&body).unwrap();
    let ids: Vec<&str> =
        accounts["accounts"].as_array().unwrap().iter().filter_map(|a| a["account_id"].as_str()).collect();
    assert!(ids.contains(&"swarm") && ids.contains(&"mcp"), "{ids:?}");
    drop(server);
    std::fs::remove_dir_all(dir).unwrap();
}
