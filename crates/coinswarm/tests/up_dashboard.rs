//! The dashboard served by `coinswarm up`, loaded in headless Chromium from the running
//! server: prices and the swarm's decisions arrive over the stream and are drawn; a trader
//! with a key watches their account, previews, places and cancels an order; an operator
//! resumes a halted swarm. The browser reaches nothing but loopback.

mod support;

use serde_json::Value;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use support::browser::{chromium_or_skip, dump_dom};
use support::cdp::Browser;
use support::server::{Server, create_key, scratch_dir};

fn body_count(dom: &str, name: &str) -> u64 {
    let marker = format!("data-{name}=\"");
    dom.find(&marker)
        .and_then(|at| dom[at + marker.len()..].split('"').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[test]
fn the_dashboard_shows_live_prices_and_decisions() {
    let Some(chromium) = chromium_or_skip() else { return };
    let dir = scratch_dir("dashboard");
    let server = Server::start(&dir, &[]);
    let url = format!("http://{}/", server.addr);
    // The page keeps running on virtual time while the stream delivers in real time; retry a
    // few times in case one load ends before enough updates arrived.
    let mut last = String::new();
    for attempt in 0..5 {
        let dom = dump_dom(&chromium, &url, &dir.join(format!("browser-{attempt}")), 8_000);
        let (ticks, candles, decisions) =
            (body_count(&dom, "ticks"), body_count(&dom, "candles"), body_count(&dom, "decisions"));
        // Ticks and candles only arrive live on the stream; decisions also from the history.
        if ticks >= 2 && candles >= 1 && decisions >= 1 {
            assert!(!dom.contains("id=\"price\" class=\"price\">–<"), "the price is drawn");
            assert!(dom.contains("id=\"regime\">") && !dom.contains("id=\"regime\">–<"), "the regime is shown");
            assert!(dom.contains("class=\"bar\""), "agent weights are drawn");
            for agent in ["trend", "mean_reversion", "risk", "hedge", "arbitrage", "execution", "recall", "learned"] {
                assert!(dom.contains(&format!("<td>{agent}</td>")), "the {agent} agent's weight is labelled by name");
            }
            assert!(
                dom.contains("id=\"memory-episodes\">") && !dom.contains("id=\"memory-episodes\">–<"),
                "pattern memory's counts are shown"
            );
            drop(server);
            std::fs::remove_dir_all(&dir).unwrap();
            return;
        }
        last = dom;
    }
    panic!("no live updates in five loads: {}", &last[..last.len().min(2000)]);
}

/// Where the cockpit test writes its screenshots: `COINSWARM_SCREENSHOTS` (the README's come
/// from `COINSWARM_SCREENSHOTS=docs/screenshots`), else the test's scratch directory.
fn screenshot_dir(scratch: &std::path::Path) -> PathBuf {
    match std::env::var_os("COINSWARM_SCREENSHOTS") {
        Some(dir) => {
            // Relative to the workspace, where the README points.
            let dir = PathBuf::from(dir);
            if dir.is_absolute() { dir } else { PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").join(dir) }
        }
        None => scratch.join("screenshots"),
    }
}

fn save_screenshot(browser: &mut Browser, dir: &std::path::Path, name: &str) {
    let png = browser.screenshot();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000, "{name} is a PNG of the page");
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(name), png).unwrap();
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// Text of the element `#id`, as a JavaScript expression.
fn text_of(id: &str) -> String {
    format!("document.getElementById('{id}').textContent")
}

fn last_price(server: &Server) -> f64 {
    let (_, market) = server.get("/api/market-data?product_id=BTC-USD", None);
    json(&market)["last_price"].as_str().unwrap().parse().unwrap()
}

/// Presses "Preview" and waits until the page shows that the ticket would be accepted.
fn preview_is_accepted(browser: &mut Browser, what: &str) {
    assert_eq!(browser.eval("document.getElementById('ticket-place').disabled"), true, "no order before its preview");
    browser.click("#ticket-preview");
    let accepted = format!(
        "{}.includes('Would be acceptedyes') || ({}.length > 0 && !{}.startsWith('Preview passed') && 'refused')",
        text_of("ticket-preview-result"),
        text_of("ticket-message"),
        text_of("ticket-message")
    );
    let seen = browser.wait_for(what, &accepted, Duration::from_secs(30));
    assert_eq!(
        seen,
        true,
        "{what}: {}",
        browser.eval(&format!("{} + ' ' + {}", text_of("ticket-preview-result"), text_of("ticket-message")))
    );
}

#[test]
fn a_trader_works_from_the_dashboard_with_no_network_but_loopback() {
    let Some(chromium) = chromium_or_skip() else { return };
    let dir = scratch_dir("cockpit");
    let server = Server::start_with_bar_interval(&dir, &[], 50);
    let admin = server.admin_key.clone().expect("a first start prints the admin key");
    let trader = create_key(&dir, "alice", "trade");
    let wait = Duration::from_secs(30);

    // Some bars are replayed before the page opens: they are the history it must draw.
    let deadline = Instant::now() + wait;
    let history = loop {
        let (status, body) = server.get("/api/candles?product_id=BTC-USD", None);
        assert_eq!(status, 200, "{body}");
        let bars = json(&body)["candles"].as_array().unwrap().len();
        if bars >= 150 {
            break bars;
        }
        assert!(Instant::now() < deadline, "only {bars} bars replayed in 30 s");
        std::thread::sleep(Duration::from_millis(100));
    };

    // The page runs only this server's scripts and talks only to this server.
    let (status, headers, _) = server.raw("GET", "/", None, None);
    assert_eq!(status, 200);
    let policy = headers.iter().find(|(name, _)| name.eq_ignore_ascii_case("content-security-policy"));
    let policy = policy.map(|(_, value)| value.as_str()).unwrap_or_default();
    assert!(policy.contains("script-src 'self';") && policy.contains("connect-src 'self';"), "{policy}");

    let mut browser = Browser::start(&chromium, &dir.join("browser"), 1400, 1000);
    let shots = screenshot_dir(&dir);
    browser.navigate(&format!("http://{}/", server.addr));

    // Candles from history are drawn before the first live tick, by the vendored library.
    browser.wait_for("the history's candles", "Number(document.body.dataset.historyCandles) >= 150", wait);
    let drawn_at_first_tick = browser.wait_for(
        "a live tick",
        "document.body.dataset.candlesAtFirstTick !== '-1' && document.body.dataset.candlesAtFirstTick",
        wait,
    );
    let drawn_at_first_tick: usize = drawn_at_first_tick.as_str().unwrap().parse().unwrap();
    assert!(drawn_at_first_tick >= history, "{drawn_at_first_tick} candles were drawn before the first tick");
    assert_eq!(browser.eval("typeof LightweightCharts.createChart"), "function", "the charting library is loaded");
    assert!(
        browser.eval("document.querySelectorAll('#price-chart canvas').length").as_u64().unwrap() >= 2,
        "the candles are drawn on the library's canvases"
    );
    browser.wait_for("a candle from the stream", "Number(document.body.dataset.candles) >= 1", wait);
    browser.wait_for("the swarm's orders as markers", "Number(document.body.dataset.markers) >= 1", wait);
    browser.wait_for(
        "the swarm's equity curve",
        "document.getElementById('equity-legend').textContent.includes('drawdown')",
        wait,
    );
    browser.wait_for(
        "agents labelled by name",
        "document.getElementById('weights').textContent.includes('recall')",
        wait,
    );
    // Move the crosshair over the chart: the legend names the bar's time in UTC.
    browser.call("Input.dispatchMouseEvent", serde_json::json!({"type": "mouseMoved", "x": 600, "y": 200}));
    browser.wait_for(
        "the crosshair's legend in UTC",
        "document.getElementById('price-legend').textContent.includes('UTC')",
        wait,
    );
    save_screenshot(&mut browser, &shots, "dashboard.png");

    // A trader pastes a key: it is kept in this tab's session storage only.
    browser.type_into("api-key", &trader);
    browser.click("#key-use");
    browser.wait_for("the trader's account", &format!("{}.includes('Account alice')", text_of("account-status")), wait);
    assert_eq!(browser.eval("sessionStorage.getItem('coinswarm.api_key')"), trader.as_str());
    assert_eq!(browser.eval("localStorage.length"), 0, "nothing is kept beyond the session");
    browser.wait_for("the trader's balances", &format!("{}.includes('USD')", text_of("my-balances")), wait);

    // A bad ticket: the API's own message is shown.
    browser.type_into("ticket-size", "0");
    browser.type_into("ticket-limit", "100");
    browser.click("#ticket-preview");
    let refused = browser.wait_for(
        "the refusal",
        &format!("{}.length > 0 && {}", text_of("ticket-message"), text_of("ticket-message")),
        wait,
    );
    let (_, api_answer) = server.post(
        "/api/orders/preview",
        Some(&trader),
        r#"{"product_id":"BTC-USD","side":"BUY","order_configuration":{"limit_limit_gtc":{"base_size":"0","limit_price":"100"}}}"#,
    );
    let api_message = json(&api_answer)["error"]["message"].as_str().map(str::to_string);
    let preview_rejection = json(&api_answer)["preview"]["rejection"]["message"].as_str().map(str::to_string);
    let expected = api_message.or(preview_rejection).expect("the API refuses a zero size");
    let shown =
        format!("{}{}", refused.as_str().unwrap(), browser.eval(&text_of("ticket-preview-result")).as_str().unwrap());
    assert!(shown.contains(&expected), "the page shows the API's message '{expected}': {shown}");
    assert_eq!(
        browser.eval("document.getElementById('ticket-place').disabled"),
        true,
        "a refused ticket cannot be placed"
    );

    // A limit buy well below the market: previewed, then placed.
    let last = last_price(&server);
    let limit = format!("{:.2}", (last * 0.5).floor());
    browser.type_into("ticket-size", "0.001");
    browser.type_into("ticket-limit", &limit);
    assert_eq!(browser.eval("document.getElementById('ticket-place').disabled"), true, "no order before its preview");
    browser.click("#ticket-preview");
    browser.wait_for(
        "the preview's checks",
        &format!("{}.includes('Would be acceptedyes')", text_of("ticket-preview-result")),
        wait,
    );
    let preview = browser.eval(&text_of("ticket-preview-result"));
    assert!(preview.as_str().unwrap().contains("Estimated fee"), "the preview shows the fee: {preview}");
    browser.eval("document.getElementById('my-account').scrollIntoView()");
    save_screenshot(&mut browser, &shots, "dashboard-ticket.png");
    browser.click("#ticket-place");
    let order_id = browser.wait_for(
        "the order among open orders",
        "document.querySelector('#my-open-orders tr[data-status=\"OPEN\"]')?.dataset.orderId",
        wait,
    );
    let order_id = order_id.as_str().unwrap().to_string();
    browser.wait_for(
        "the order's hold on the balance",
        "[...document.querySelectorAll('#my-balances tr')].some(r => r.cells[0].textContent === 'USD' \
         && Number(r.cells[3].textContent.replace(/,/g, '')) > 0)",
        wait,
    );
    browser.eval("document.getElementById('my-account').scrollIntoView()");
    save_screenshot(&mut browser, &shots, "dashboard-account.png");
    let (_, placed) = server.get(&format!("/api/orders/{order_id}"), Some(&trader));
    assert_eq!(json(&placed)["order"]["order_configuration"]["limit_limit_gtc"]["limit_price"], limit.as_str());

    // Cancelled from its row: the page shows the cancellation.
    browser.click(&format!("#my-open-orders button.cancel[data-order-id=\"{order_id}\"]"));
    browser.wait_for(
        "the cancellation",
        &format!(
            "document.querySelector('#my-orders tr[data-order-id=\"{order_id}\"]')?.dataset.status === 'CANCELLED' \
             && !document.querySelector('#my-open-orders tr[data-order-id=\"{order_id}\"]')"
        ),
        wait,
    );
    assert!(browser.eval(&text_of("ticket-message")).as_str().unwrap().contains("Cancelled order"));
    let (_, cancelled) = server.get(&format!("/api/orders/{order_id}"), Some(&trader));
    assert_eq!(json(&cancelled)["order"]["status"], "CANCELLED");

    // A stop-limit buy above the market: the ticket shows its stop fields, and the API
    // takes the body it makes.
    let last = last_price(&server);
    browser.type_into("ticket-type", "stop_limit");
    assert_eq!(browser.eval("document.getElementById('ticket-stop').offsetParent !== null"), true, "a stop field");
    browser.type_into("ticket-size", "0.001");
    browser.type_into("ticket-stop", &format!("{:.2}", (last * 1.2).floor()));
    browser.type_into("ticket-limit", &format!("{:.2}", (last * 1.25).floor()));
    browser.type_into("ticket-stop-direction", "STOP_DIRECTION_STOP_UP");
    preview_is_accepted(&mut browser, "the stop-limit order's preview");

    // A market buy fills at once: the fill arrives live on the stream, and the position
    // shows its unrealised P&L.
    browser.type_into("ticket-type", "market");
    browser.type_into("ticket-size", "0.002");
    assert_eq!(
        browser.eval("document.getElementById('ticket-limit').offsetParent === null"),
        true,
        "a market order has no limit"
    );
    browser.click("#ticket-preview");
    browser.wait_for(
        "the market order's preview",
        &format!("{}.includes('Would be acceptedyes')", text_of("ticket-preview-result")),
        wait,
    );
    browser.click("#ticket-place");
    browser.wait_for("the fill from the stream", "Number(document.body.dataset.fills) >= 1", wait);
    browser.wait_for("the fill in the table", &format!("{}.includes('0.002')", text_of("my-fills")), wait);
    browser.wait_for("the position", &format!("{}.includes('BTC-USD')", text_of("my-positions")), wait);
    let unrealised = browser.eval("document.querySelector('#my-positions tr').cells[4].textContent");
    assert!(
        unrealised.as_str().unwrap().replace(',', "").parse::<f64>().is_ok(),
        "unrealised P&L is a figure: {unrealised}"
    );
    let (_, trades) = server.get("/api/trades", Some(&trader));
    assert_eq!(json(&trades)["trades"].as_array().unwrap().len(), 1, "one fill: {trades}");

    // A bracket sell of part of the position: take profit above, stop-loss below.
    let last = last_price(&server);
    browser.type_into("ticket-type", "bracket");
    browser.type_into("ticket-side", "SELL");
    browser.type_into("ticket-size", "0.001");
    browser.type_into("ticket-limit", &format!("{:.2}", (last * 1.5).floor()));
    browser.type_into("ticket-trigger", &format!("{:.2}", (last * 0.5).floor()));
    preview_is_accepted(&mut browser, "the bracket order's preview");

    // An operator resumes a halted swarm, after a confirmation.
    let (status, body) = server.post("/api/swarm/shutdown", Some(&admin), "");
    assert_eq!(status, 200, "{body}");
    browser.click("#key-forget");
    assert_eq!(browser.eval("sessionStorage.getItem('coinswarm.api_key')"), Value::Null);
    browser.type_into("api-key", &admin);
    browser.click("#key-use");
    browser.wait_for("the swarm's account", &format!("{}.includes('Account')", text_of("account-status")), wait);
    browser.wait_for("the halted swarm", &format!("{} === 'yes'", text_of("halted")), wait);
    browser.click("#admin-resume");
    browser.wait_for("the confirmation", "document.getElementById('confirm').open", wait);
    browser.click("#confirm-yes");
    browser.wait_for("the resumed swarm", &format!("{}.includes('resumed')", text_of("admin-message")), wait);
    browser.wait_for("the swarm shown running", &format!("{} === 'no'", text_of("halted")), wait);
    let (_, swarm) = server.get("/api/swarm", None);
    assert_eq!(json(&swarm)["swarm"]["halted"], false);

    // The server restarts (its decisions count from 0 again): the page reconnects by
    // itself, fills in what it missed and keeps showing new decisions.
    let addr = server.addr;
    let decisions_before: u64 = browser.eval("Number(document.body.dataset.decisions)").as_u64().unwrap();
    assert!(server.terminate().success(), "a clean stop");
    browser.wait_for("the page sees the server go", &format!("{}.startsWith('disconnected')", text_of("status")), wait);
    let listen = addr.to_string();
    let server = Server::start_with_args(&dir, &[], 50, &["--listen", &listen]);
    browser.wait_for("the page reconnected", &format!("{} === 'live'", text_of("status")), wait);
    // The restarted swarm's latest decision is shown within moments (at 20 decisions a
    // second; the old swarm's count was far higher, so a page that took decisions by their
    // number, which starts again at 0, would skip them for many seconds).
    std::thread::sleep(Duration::from_millis(500));
    let (_, newest) = server.get("/api/decisions?limit=1", None);
    let newest = json(&newest)["decisions"][0]["time"].as_i64().expect("a decision since the restart");
    browser.wait_for(
        "the restarted swarm's decisions",
        &format!("Number(document.body.dataset.latestDecision) >= {newest}"),
        Duration::from_secs(5),
    );
    assert!(browser.eval("Number(document.body.dataset.decisions)").as_u64().unwrap() > decisions_before);

    // Everything the page loaded came from the binary over loopback.
    let origin = format!("http://{}/", server.addr);
    let elsewhere: Vec<&String> = browser
        .requests
        .iter()
        .filter(|url| !url.starts_with(&origin) && !url.starts_with(&format!("ws://{}/", server.addr)))
        .collect();
    assert!(elsewhere.is_empty(), "the page asked for nothing but loopback: {elsewhere:?}");
    assert!(browser.requests.iter().any(|url| url.ends_with("/assets/lightweight-charts-5.3.0.js")));
    assert!(browser.errors.is_empty(), "no script error and nothing blocked: {:?}", browser.errors);
    drop(browser);
    drop(server);
    // Chromium's helper processes may hold its profile open a moment longer than the browser.
    let _ = std::fs::remove_dir_all(&dir);
}
