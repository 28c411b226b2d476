//! A local mock of Coinbase's REST API for tests (feature `mock`), on a loopback port. It
//! checks each JWT (signature with the key's public half, `uri`, lifetime, a fresh nonce),
//! enforces a rate limit of its own (answering 429 with `Retry-After`), keeps orders by
//! `client_order_id`, serves deterministic hourly candles with optional holes, and injects
//! faults on request: 429, 5xx, malformed bodies, and an order stored but its answer lost.

use crate::auth::VerifyingKey;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// A fault the next matching request gets.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// 429 with `Retry-After` in seconds.
    TooManyRequests(u64),
    /// This status with an error body.
    Status(u16),
    /// 200 with a body that is not JSON.
    Malformed,
    /// (Order creation) the order is stored, but the answer is a 502: a lost response.
    StoreThenFail,
    /// (Order creation) Coinbase refuses the order: `success: false` with this error code.
    Refuse(String),
}

/// What the mock saw and holds.
#[derive(Debug, Default)]
pub struct MockState {
    pub key: Option<VerifyingKey>,
    /// Faults for requests whose path ends with the key text, taken in order.
    pub faults: Vec<(String, VecDeque<Fault>)>,
    /// Every request: (method, path, query).
    pub requests: Vec<(String, String, String)>,
    /// Requests refused by the mock's own rate limit.
    pub rate_limited: u32,
    /// JWT failures (the reason), answered 401.
    pub auth_failures: Vec<String>,
    /// Orders by client_order_id, in Coinbase's `get order` shape (plus the `request`).
    pub orders: BTreeMap<String, Value>,
    /// Available balances by currency that `accounts` answers (1000 USD at start); fills
    /// move them.
    pub balances: BTreeMap<String, String>,
    /// The client order id of every create-order request that reached the handler, in order.
    pub order_posts: Vec<String>,
    /// Market orders of these products fill at once, in full, at the product's price here,
    /// with a 0.6% fee (other products' stay OPEN until [`MockCoinbase::fill_order`]).
    pub market_prices: BTreeMap<String, rust_decimal::Decimal>,
    /// Candle starts (seconds) that have no candle: an exchange outage.
    pub holes: HashSet<i64>,
    /// Candle starts (seconds) sent with inconsistent prices (low above high).
    pub broken: HashSet<i64>,
    /// Fail every candle request with 500 once this many have been served (an outage).
    pub candle_requests_before_outage: Option<usize>,
    candle_requests: usize,
    /// What each WebSocket connection plays, in order of connection; later connections
    /// send a heartbeat every 100 ms.
    pub ws_plans: VecDeque<Vec<WsStep>>,
    /// WebSocket connections accepted.
    pub ws_connections: u32,
    /// Subscribe messages: (connection, ms after it opened, the message).
    pub ws_subscriptions: Vec<(u32, u128, Value)>,
    /// Messages for connections subscribed to the `user` channel alone (they take no plan):
    /// sent as they are queued, within 50 ms.
    pub user_events: VecDeque<Value>,
    /// Accounts and orders listed per page (`None`: the request's `limit`), so paging shows.
    pub page_size: Option<usize>,
    /// Products answered as delisted (trading disabled).
    pub delisted: HashSet<String>,
    /// The REST `product_book` answer (`pricebook`).
    pub book: Value,
    nonces: HashSet<String>,
    bucket: Option<(f64, f64, f64, Instant)>,
}

/// One step of a WebSocket connection's script.
#[derive(Debug, Clone, PartialEq)]
pub enum WsStep {
    /// A message; the mock adds `sequence_num` (one more than the last).
    Send(Value),
    /// Lose this many sequence numbers (a gap the client must notice).
    SkipSequence(u64),
    Sleep(u64),
    /// Close the connection.
    Close,
    /// Stay connected and send nothing (stale).
    Silence,
}

/// A running mock.
#[derive(Debug, Clone)]
pub struct MockCoinbase {
    pub addr: SocketAddr,
    pub state: Arc<Mutex<MockState>>,
}

impl MockCoinbase {
    /// Starts the mock on a free loopback port; `rate` and `burst` bound each second's
    /// requests (`None`: no limit).
    pub async fn start(key: Option<VerifyingKey>, rate_limit: Option<(f64, f64)>) -> MockCoinbase {
        let state = Arc::new(Mutex::new(MockState {
            key,
            bucket: rate_limit.map(|(rate, burst)| (rate, burst, burst, Instant::now())),
            balances: BTreeMap::from([("USD".to_string(), "1000".to_string())]),
            ..MockState::default()
        }));
        let app = axum::Router::new()
            .route("/api/v3/brokerage/market/products/{id}/candles", get(candles))
            .route("/api/v3/brokerage/products/{id}/candles", get(candles))
            .route("/api/v3/brokerage/market/products/{id}", get(product))
            .route("/api/v3/brokerage/products/{id}", get(product))
            .route("/api/v3/brokerage/accounts", get(accounts))
            .route("/api/v3/brokerage/orders", post(create_order))
            .route("/api/v3/brokerage/orders/historical/batch", get(list_orders))
            .route("/api/v3/brokerage/orders/historical/{id}", get(get_order))
            .route("/api/v3/brokerage/orders/batch_cancel", post(batch_cancel))
            .route("/api/v3/brokerage/market/product_book", get(product_book))
            .route("/api/v3/brokerage/product_book", get(product_book))
            .route("/ws", get(websocket))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        MockCoinbase { addr, state }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// Queues faults for requests whose path ends with `path_part`.
    pub fn inject(&self, path_part: &str, faults: impl IntoIterator<Item = Fault>) {
        let mut state = self.state.lock().unwrap();
        state.faults.push((path_part.to_string(), faults.into_iter().collect()));
    }

    pub fn with<R>(&self, f: impl FnOnce(&mut MockState) -> R) -> R {
        f(&mut self.state.lock().unwrap())
    }

    /// Fills `size` more of the order with this client order id at `price` (fee 0.4% of the
    /// notional, as a maker), filling it when nothing is left; `false` for an unknown order.
    pub fn fill_order(&self, client_order_id: &str, size: rust_decimal::Decimal, price: rust_decimal::Decimal) -> bool {
        let mut guard = self.state.lock().unwrap();
        let state = &mut *guard;
        let Some(order) = state.orders.get_mut(client_order_id) else { return false };
        add_fill(&mut state.balances, order, size, price, rust_decimal::Decimal::new(4, 3));
        true
    }
}

/// Folds a fill into a stored order's cumulative figures (Coinbase's strings) and moves the
/// balances: base for quote, the fee in quote.
fn add_fill(
    balances: &mut BTreeMap<String, String>,
    order: &mut Value,
    size: rust_decimal::Decimal,
    price: rust_decimal::Decimal,
    fee_rate: rust_decimal::Decimal,
) {
    use rust_decimal::Decimal;
    let product = order["product_id"].as_str().unwrap_or("BTC-USD").to_string();
    let (base, quote) = product.split_once('-').unwrap_or(("BTC", "USD"));
    let fee = size * price * fee_rate;
    let (base_change, quote_change) =
        if order["side"] == "SELL" { (-size, size * price - fee) } else { (size, -(size * price) - fee) };
    for (currency, change) in [(base, base_change), (quote, quote_change)] {
        let held: Decimal = balances.get(currency).and_then(|v| v.parse().ok()).unwrap_or_default();
        balances.insert(currency.to_string(), (held + change).normalize().to_string());
    }
    let number =
        |order: &Value, key: &str| order[key].as_str().and_then(|s| s.parse::<Decimal>().ok()).unwrap_or_default();
    let (filled, average, fees) =
        (number(order, "filled_size"), number(order, "average_filled_price"), number(order, "total_fees"));
    let total = filled + size;
    let value = filled * average + size * price;
    order["filled_size"] = json!(total.to_string());
    order["average_filled_price"] = json!((value / total).to_string());
    order["total_fees"] = json!((fees + size * price * fee_rate).to_string());
    order["number_of_fills"] = json!((order["number_of_fills"].as_u64().unwrap_or(0) + 1));
    let configuration = &order["order_configuration"];
    let wanted = configuration
        .as_object()
        .and_then(|c| c.values().next())
        .and_then(|c| c["base_size"].as_str())
        .and_then(|s| s.parse::<Decimal>().ok());
    if wanted.is_none_or(|w| total >= w) {
        order["status"] = json!("FILLED");
    }
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({"error": code, "message": message, "error_details": ""}))).into_response()
}

/// The checks every request meets; `Err` is the answer to send instead.
fn admit(
    state: &Mutex<MockState>,
    method: &str,
    uri: &Uri,
    headers: &HeaderMap,
    private: bool,
) -> Result<(), Box<Response>> {
    let mut state = state.lock().unwrap();
    state.requests.push((method.to_string(), uri.path().to_string(), uri.query().unwrap_or_default().to_string()));
    if let Some((rate, burst, tokens, last)) = state.bucket {
        let now = Instant::now();
        let tokens = (tokens + now.duration_since(last).as_secs_f64() * rate).min(burst);
        if tokens < 1.0 {
            state.bucket = Some((rate, burst, tokens, now));
            state.rate_limited += 1;
            let mut response = error(StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED", "too many requests");
            response.headers_mut().insert("retry-after", "1".parse().unwrap());
            return Err(Box::new(response));
        }
        state.bucket = Some((rate, burst, tokens - 1.0, now));
    }
    if private {
        let host = headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or_default().to_string();
        let token = headers
            .get("authorization")
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "))
            .unwrap_or_default()
            .to_string();
        let checked = match &state.key {
            None => Err("the mock has no key to check with".to_string()),
            Some(key) => key.verify(&token).and_then(|t| {
                let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
                let expected = format!("{method} {host}{}", uri.path());
                if t.uri.as_deref() != Some(expected.as_str()) {
                    Err(format!("uri {:?}, expected {expected}", t.uri))
                } else if t.exp - t.nbf != 120 || t.nbf > now + 5 || t.exp < now {
                    Err(format!("nbf {} exp {} now {now}", t.nbf, t.exp))
                } else if !state.nonces.insert(t.nonce.clone()) {
                    Err(format!("nonce {} used twice", t.nonce))
                } else {
                    Ok(())
                }
            }),
        };
        if let Err(reason) = checked {
            state.auth_failures.push(reason.clone());
            return Err(Box::new(error(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", &reason)));
        }
    }
    Ok(())
}

/// The answer a private request gets instead of its own, if any: a failed check of
/// [`admit`] or an injected fault.
fn refused(state: &Mutex<MockState>, method: &str, uri: &Uri, headers: &HeaderMap) -> Option<Response> {
    if let Err(response) = admit(state, method, uri, headers, true) {
        return Some(*response);
    }
    take_fault(state, uri.path()).as_ref().and_then(fault_response)
}

fn take_fault(state: &Mutex<MockState>, path: &str) -> Option<Fault> {
    let mut state = state.lock().unwrap();
    state.faults.iter_mut().find(|(part, queue)| path.ends_with(part.as_str()) && !queue.is_empty())?.1.pop_front()
}

fn fault_response(fault: &Fault) -> Option<Response> {
    match fault {
        Fault::TooManyRequests(secs) => {
            let mut response = error(StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED", "slow down");
            response.headers_mut().insert("retry-after", secs.to_string().parse().unwrap());
            Some(response)
        }
        Fault::Status(code) => Some(error(StatusCode::from_u16(*code).unwrap(), "INTERNAL", "injected failure")),
        Fault::Malformed => Some((StatusCode::OK, "{\"candles\": [tru").into_response()),
        Fault::StoreThenFail | Fault::Refuse(_) => None,
    }
}

/// A deterministic candle starting at `start` (seconds).
pub fn mock_candle(start: i64) -> Value {
    let base = 10_000.0 + ((start / 60) % 500) as f64;
    json!({
        "start": start.to_string(),
        "low": format!("{:.2}", base - 5.0),
        "high": format!("{:.2}", base + 5.0),
        "open": format!("{:.2}", base - 1.0),
        "close": format!("{:.2}", base + 1.0),
        "volume": "12.5",
    })
}

async fn candles(
    State(state): State<Arc<Mutex<MockState>>>,
    Path(_product): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let private = !uri.path().contains("/market/");
    if let Err(response) = admit(&state, "GET", &uri, &headers, private) {
        return *response;
    }
    if let Some(fault) = take_fault(&state, uri.path()) {
        return fault_response(&fault).unwrap_or_else(|| error(StatusCode::BAD_GATEWAY, "BAD_GATEWAY", "lost"));
    }
    {
        let mut state = state.lock().unwrap();
        if state.candle_requests_before_outage.is_some_and(|n| state.candle_requests >= n) {
            return error(StatusCode::SERVICE_UNAVAILABLE, "UNAVAILABLE", "outage");
        }
        state.candle_requests += 1;
    }
    let number = |name: &str| query.get(name).and_then(|v| v.parse::<i64>().ok());
    let (Some(start), Some(end)) = (number("start"), number("end")) else {
        return error(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", "start and end are required");
    };
    let limit = number("limit").unwrap_or(350);
    let Some(step) = query
        .get("granularity")
        .and_then(|g| g.parse::<coinswarm_core::market::Granularity>().ok())
        .map(|g| g.millis() / 1000)
    else {
        return error(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", "unknown granularity");
    };
    let first = (start + step - 1) / step * step;
    let starts: Vec<i64> = (0..).map(|i| first + i * step).take_while(|s| *s <= end).collect();
    if starts.len() as i64 > limit.min(350) {
        return error(
            StatusCode::BAD_REQUEST,
            "INVALID_ARGUMENT",
            "number of candles requested should be less than 350",
        );
    }
    let (holes, broken) = {
        let state = state.lock().unwrap();
        (state.holes.clone(), state.broken.clone())
    };
    // Newest first, as Coinbase sends them.
    let candles: Vec<Value> = starts
        .iter()
        .rev()
        .filter(|s| !holes.contains(s))
        .map(|s| {
            let mut candle = mock_candle(*s);
            if broken.contains(s) {
                candle["low"] = json!("99999999");
            }
            candle
        })
        .collect();
    Json(json!({"candles": candles})).into_response()
}

async fn accounts(State(state): State<Arc<Mutex<MockState>>>, uri: Uri, headers: HeaderMap) -> Response {
    if let Err(response) = admit(&state, "GET", &uri, &headers, true) {
        return *response;
    }
    if let Some(fault) = take_fault(&state, uri.path()) {
        return fault_response(&fault).unwrap_or_else(|| error(StatusCode::BAD_GATEWAY, "BAD_GATEWAY", "lost"));
    }
    let (balances, page_size) = {
        let state = state.lock().unwrap();
        (state.balances.clone(), state.page_size)
    };
    let accounts: Vec<Value> = balances
        .iter()
        .enumerate()
        .map(|(i, (currency, value))| {
            json!({"uuid": format!("a{i}"), "currency": currency,
            "available_balance": {"value": value, "currency": currency}, "hold": {"value": "0", "currency": currency}})
        })
        .collect();
    Json(one_page("accounts", accounts, uri.query().unwrap_or_default(), page_size)).into_response()
}

/// One page of `entries` from the request's `cursor` (an index here), `page_size` or the
/// request's `limit` at a time, with Coinbase's `has_next` and `cursor`.
fn one_page(name: &str, entries: Vec<Value>, query: &str, page_size: Option<usize>) -> Value {
    let param =
        |key: &str| query.split('&').find_map(|pair| pair.strip_prefix(key)).and_then(|v| v.parse::<usize>().ok());
    let size = page_size.or_else(|| param("limit=")).unwrap_or(49).max(1);
    let from = param("cursor=").unwrap_or(0).min(entries.len());
    let to = (from + size).min(entries.len());
    let has_next = to < entries.len();
    let page = entries[from..to].to_vec();
    json!({name: page, "has_next": has_next, "cursor": if has_next { to.to_string() } else { String::new() }, "size": page.len()})
}

/// Coinbase's usual rules for a USD pair; a product named in `MockState::delisted` is
/// answered as disabled.
async fn product(
    State(state): State<Arc<Mutex<MockState>>>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let private = !uri.path().contains("/market/");
    if let Err(response) = admit(&state, "GET", &uri, &headers, private) {
        return *response;
    }
    let disabled = state.lock().unwrap().delisted.contains(&id);
    Json(json!({"product_id": id, "base_increment": "0.00000001", "quote_increment": "0.01", "price_increment": "0.01",
        "base_min_size": "0.00000001", "base_max_size": "5000", "quote_min_size": "1",
        "status": if disabled { "delisted" } else { "online" }, "trading_disabled": disabled}))
    .into_response()
}

async fn list_orders(State(state): State<Arc<Mutex<MockState>>>, uri: Uri, headers: HeaderMap) -> Response {
    if let Some(response) = refused(&state, "GET", &uri, &headers) {
        return response;
    }
    let query = uri.query().unwrap_or_default().to_string();
    let products: Vec<&str> = query.split('&').filter_map(|pair| pair.strip_prefix("product_ids=")).collect();
    let state = state.lock().unwrap();
    let orders: Vec<Value> = state
        .orders
        .values()
        .filter(|o| products.is_empty() || products.iter().any(|p| o["product_id"] == *p))
        .cloned()
        .collect();
    Json(one_page("orders", orders, &query, state.page_size)).into_response()
}

async fn get_order(
    State(state): State<Arc<Mutex<MockState>>>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if let Some(response) = refused(&state, "GET", &uri, &headers) {
        return response;
    }
    let state = state.lock().unwrap();
    match state.orders.values().find(|o| o["order_id"] == id.as_str()) {
        Some(order) => Json(json!({"order": order})).into_response(),
        None => error(StatusCode::NOT_FOUND, "NOT_FOUND", "order not found"),
    }
}

async fn batch_cancel(
    State(state): State<Arc<Mutex<MockState>>>,
    uri: Uri,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if let Some(response) = refused(&state, "POST", &uri, &headers) {
        return response;
    }
    let ids: Vec<String> =
        body["order_ids"].as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_string).collect();
    let mut state = state.lock().unwrap();
    let results: Vec<Value> = ids
        .iter()
        .map(|id| match state.orders.values_mut().find(|o| o["order_id"] == id.as_str()) {
            Some(order) if order["status"] == "OPEN" => {
                order["status"] = json!("CANCELLED");
                order["cancel_message"] = json!("User requested cancel");
                json!({"success": true, "failure_reason": "UNKNOWN_CANCEL_FAILURE_REASON", "order_id": id})
            }
            Some(_) => json!({"success": false, "failure_reason": "INVALID_CANCEL_REQUEST", "order_id": id}),
            None => json!({"success": false, "failure_reason": "UNKNOWN_CANCEL_ORDER", "order_id": id}),
        })
        .collect();
    Json(json!({"results": results})).into_response()
}

async fn create_order(
    State(state): State<Arc<Mutex<MockState>>>,
    uri: Uri,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if let Err(response) = admit(&state, "POST", &uri, &headers, true) {
        return *response;
    }
    let fault = take_fault(&state, uri.path());
    if let Some(response) = fault.as_ref().and_then(fault_response) {
        return response;
    }
    let Some(client_order_id) = body.get("client_order_id").and_then(Value::as_str).map(str::to_string) else {
        return error(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", "client_order_id is required");
    };
    if let Some(Fault::Refuse(code)) = &fault {
        return Json(json!({"success": false, "failure_reason": "UNKNOWN_FAILURE_REASON", "order_id": "",
            "error_response": {"error": code, "message": format!("refused: {code}"), "error_details": ""}}))
        .into_response();
    }
    let order = {
        let mut guard = state.lock().unwrap();
        let state = &mut *guard;
        state.order_posts.push(client_order_id.clone());
        let next = state.orders.len() + 1;
        let market_fill = body["product_id"].as_str().and_then(|p| state.market_prices.get(p).copied());
        let balances = &mut state.balances;
        state
            .orders
            .entry(client_order_id.clone())
            .or_insert_with(|| {
                let mut order = json!({"order_id": format!("order-{next}"), "client_order_id": client_order_id,
                    "product_id": body["product_id"], "side": body["side"],
                    "order_configuration": body["order_configuration"], "status": "OPEN",
                    "filled_size": "0", "average_filled_price": "0", "total_fees": "0", "number_of_fills": 0,
                    "cancel_message": "", "reject_message": "", "request": body});
                let market = body["order_configuration"].get("market_market_ioc");
                if let (Some(market), Some(price)) = (market, market_fill) {
                    let base = market["base_size"].as_str().and_then(|s| s.parse::<rust_decimal::Decimal>().ok());
                    let quote = market["quote_size"].as_str().and_then(|s| s.parse::<rust_decimal::Decimal>().ok());
                    let rate = rust_decimal::Decimal::new(6, 3);
                    // A quote-sized buy spends the quote size including the fee.
                    let size =
                        base.or_else(|| quote.map(|q| (q / (rust_decimal::Decimal::ONE + rate) / price).round_dp(8)));
                    if let Some(size) = size {
                        add_fill(balances, &mut order, size, price, rate);
                        order["status"] = json!("FILLED");
                    }
                }
                order
            })
            .clone()
    };
    if fault == Some(Fault::StoreThenFail) {
        return error(StatusCode::BAD_GATEWAY, "BAD_GATEWAY", "the answer was lost");
    }
    Json(json!({"success": true, "success_response": {"order_id": order["order_id"], "client_order_id": order["client_order_id"]}}))
        .into_response()
}

async fn product_book(State(state): State<Arc<Mutex<MockState>>>, uri: Uri, headers: HeaderMap) -> Response {
    let private = !uri.path().contains("/market/");
    if let Err(response) = admit(&state, "GET", &uri, &headers, private) {
        return *response;
    }
    let book = state.lock().unwrap().book.clone();
    Json(json!({"pricebook": book})).into_response()
}

async fn websocket(
    State(state): State<Arc<Mutex<MockState>>>,
    upgrade: axum::extract::ws::WebSocketUpgrade,
) -> Response {
    upgrade.on_upgrade(move |socket| play(state, socket))
}

async fn play(state: Arc<Mutex<MockState>>, mut socket: axum::extract::ws::WebSocket) {
    use axum::extract::ws::Message;
    let opened = Instant::now();
    let connection = {
        let mut s = state.lock().unwrap();
        s.ws_connections += 1;
        s.ws_connections
    };
    // Subscriptions come first; take what arrives in the first 300 ms.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_millis(300);
    while let Ok(Some(Ok(Message::Text(text)))) = tokio::time::timeout_at(deadline, socket.recv()).await {
        let message: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let mut s = state.lock().unwrap();
        if let (Some(jwt), Some(key)) = (message.get("jwt").and_then(Value::as_str), s.key.clone()) {
            match key.verify(jwt) {
                Ok(token) if token.uri.is_none() && s.nonces.insert(token.nonce.clone()) => {}
                Ok(token) => s.auth_failures.push(format!("websocket token {token:?}")),
                Err(reason) => s.auth_failures.push(reason),
            }
        }
        s.ws_subscriptions.push((connection, opened.elapsed().as_millis(), message));
    }
    // A connection for the user channel alone plays the queued user events; any other takes
    // the next plan.
    let (user_only, plan) = {
        let mut s = state.lock().unwrap();
        let channels: Vec<String> = s
            .ws_subscriptions
            .iter()
            .filter(|(c, _, m)| *c == connection && m["channel"] != "heartbeats")
            .filter_map(|(_, _, m)| m["channel"].as_str().map(str::to_string))
            .collect();
        let user_only = !channels.is_empty() && channels.iter().all(|c| c == "user");
        (user_only, if user_only { None } else { s.ws_plans.pop_front() })
    };
    let mut sequence = 0u64;
    let steps = plan.unwrap_or_default();
    let send = |value: &Value, sequence: &mut u64| {
        let mut value = value.clone();
        value["sequence_num"] = json!(*sequence);
        *sequence += 1;
        Message::text(value.to_string())
    };
    for step in steps {
        match step {
            WsStep::Send(value) => {
                if socket.send(send(&value, &mut sequence)).await.is_err() {
                    return;
                }
            }
            WsStep::SkipSequence(n) => sequence += n,
            WsStep::Sleep(ms) => tokio::time::sleep(std::time::Duration::from_millis(ms)).await,
            WsStep::Close => {
                let _ = socket.send(Message::Close(None)).await;
                return;
            }
            WsStep::Silence => {
                while let Some(Ok(_)) = socket.recv().await {}
                return;
            }
        }
    }
    let mut counter = 0u64;
    loop {
        let queued: Vec<Value> =
            if user_only { state.lock().unwrap().user_events.drain(..).collect() } else { Vec::new() };
        for message in queued {
            if socket.send(send(&message, &mut sequence)).await.is_err() {
                return;
            }
        }
        if counter.is_multiple_of(2) {
            let beat =
                json!({"channel": "heartbeats", "events": [{"current_time": "now", "heartbeat_counter": counter / 2}]});
            if socket.send(send(&beat, &mut sequence)).await.is_err() {
                return;
            }
        }
        counter += 1;
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
