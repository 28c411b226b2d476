//! The Advanced Trade REST client (`/api/v3/brokerage`): every request waits for its
//! bucket's token (public or private), carries a fresh JWT when it needs one, and is retried
//! with jittered exponential backoff on 429 (honouring `Retry-After`), 5xx, dropped
//! connections and malformed bodies. Other errors come back at once, typed, with
//! Coinbase's error body. Orders always carry a `client_order_id`, so a retried create can
//! never place a second order.

use crate::auth::CdpKey;
use crate::error::{CoinbaseError, ErrorBody};
use crate::limiter::TokenBucket;
use coinswarm_core::market::{Candle, Granularity, ProductId};
use coinswarm_core::time::Timestamp;
use rand::Rng;
use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::Duration;

/// Most candles one request returns.
pub const MAX_CANDLES_PER_REQUEST: usize = 350;

/// Where Coinbase is and how hard the client may push it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RestConfig {
    /// Base URL (`COINSWARM_COINBASE_REST_URL`). Default `https://api.coinbase.com`.
    pub base_url: String,
    /// Public (market) requests per second. Default 9: 10% under Coinbase's public limit
    /// (10), so clock jitter between the two sides never trips it.
    pub public_per_second: f64,
    /// Private (keyed) requests per second. Default 27: 10% under Coinbase's private limit (30).
    pub private_per_second: f64,
    /// Retries of one request after a retryable failure. Default 5.
    pub max_retries: u32,
    /// First backoff, in ms, doubled each retry with full jitter. Default 250.
    pub backoff_ms: u64,
    /// Longest backoff (and longest `Retry-After` honoured), in ms. Default 10,000.
    pub max_backoff_ms: u64,
    /// Time for one attempt, in ms. Default 10,000.
    pub timeout_ms: u64,
}

impl Default for RestConfig {
    fn default() -> Self {
        Self {
            base_url: "https://api.coinbase.com".into(),
            public_per_second: 9.0,
            private_per_second: 27.0,
            max_retries: 5,
            backoff_ms: 250,
            max_backoff_ms: 10_000,
            timeout_ms: 10_000,
        }
    }
}

/// Installs the process's TLS crypto provider (ring) once. Any reqwest client in the
/// process needs it (features unify: rmcp's HTTP client shares this reqwest), so binaries
/// call it at start; the clients here call it too.
pub fn install_tls_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// Most pages of a paged answer followed (250 entries each).
const MAX_PAGES: usize = 40;

/// A Coinbase REST client.
#[derive(Debug)]
pub struct CoinbaseRest {
    config: RestConfig,
    /// `host[:port]` of the base URL, as the JWT's `uri` names it.
    host: String,
    http: reqwest::Client,
    key: Option<CdpKey>,
    public: TokenBucket,
    private: TokenBucket,
}

/// One candle as Coinbase sends it (strings; `start` in UNIX seconds).
#[derive(Debug, Clone, Deserialize)]
struct WireCandle {
    start: String,
    low: String,
    high: String,
    open: String,
    close: String,
    volume: String,
}

impl CoinbaseRest {
    pub fn new(config: RestConfig, key: Option<CdpKey>) -> Result<Self, CoinbaseError> {
        install_tls_provider();
        let positive = |rate: f64| rate.is_finite() && rate > 0.0;
        if !positive(config.public_per_second) || !positive(config.private_per_second) || config.timeout_ms == 0 {
            return Err(CoinbaseError::Invalid(
                "request rates must be positive numbers and the timeout at least 1 ms".into(),
            ));
        }
        let url = reqwest::Url::parse(&config.base_url)
            .map_err(|e| CoinbaseError::Invalid(format!("base URL '{}': {e}", config.base_url)))?;
        let host = match (url.host_str(), url.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_string(),
            _ => return Err(CoinbaseError::Invalid(format!("base URL '{}' has no host", config.base_url))),
        };
        let http = reqwest::Client::builder()
            .timeout(Duration::from_millis(config.timeout_ms))
            .user_agent(concat!("coinswarm/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| CoinbaseError::Invalid(format!("cannot build the HTTP client: {e}")))?;
        let public = TokenBucket::new(config.public_per_second, config.public_per_second.max(1.0));
        let private = TokenBucket::new(config.private_per_second, config.private_per_second.max(1.0));
        Ok(Self { config, host, http, key, public, private })
    }

    pub fn has_key(&self) -> bool {
        self.key.is_some()
    }

    /// Every product.
    pub async fn products(&self) -> Result<Value, CoinbaseError> {
        self.private_or_public(Method::GET, "/products", &[]).await
    }

    /// One product.
    pub async fn product(&self, product_id: ProductId) -> Result<Value, CoinbaseError> {
        self.private_or_public(Method::GET, &format!("/products/{product_id}"), &[]).await
    }

    /// One product's trading rules (increments, minimum and maximum sizes).
    pub async fn product_rules(&self, product_id: ProductId) -> Result<coinswarm_core::market::Product, CoinbaseError> {
        crate::products::product_rules(product_id, &self.product(product_id).await?)
    }

    /// Best bid and ask of products (private).
    pub async fn best_bid_ask(&self, product_ids: &[ProductId]) -> Result<Value, CoinbaseError> {
        let query: Vec<(&str, String)> = product_ids.iter().map(|p| ("product_ids", p.to_string())).collect();
        self.send(Method::GET, "/api/v3/brokerage/best_bid_ask", &query, None, true).await
    }

    /// The order book of a product, `limit` levels a side.
    pub async fn product_book(&self, product_id: ProductId, limit: u32) -> Result<Value, CoinbaseError> {
        let query = [("product_id", product_id.to_string()), ("limit", limit.to_string())];
        self.private_or_public(Method::GET, "/product_book", &query).await
    }

    /// Recent trades and the best bid and ask of a product.
    pub async fn ticker(&self, product_id: ProductId, limit: u32) -> Result<Value, CoinbaseError> {
        let query = [("limit", limit.to_string())];
        self.private_or_public(Method::GET, &format!("/products/{product_id}/ticker"), &query).await
    }

    /// Candles starting in `[start, end)`, at most [`MAX_CANDLES_PER_REQUEST`], oldest first.
    pub async fn candles(
        &self,
        product_id: ProductId,
        granularity: Granularity,
        start: Timestamp,
        end: Timestamp,
    ) -> Result<Vec<Candle>, CoinbaseError> {
        let span = granularity.millis() * MAX_CANDLES_PER_REQUEST as i64;
        if end.millis() <= start.millis() || end.millis() - start.millis() > span {
            return Err(CoinbaseError::Invalid(format!(
                "a candle request spans at most {MAX_CANDLES_PER_REQUEST} bars: {start} to {end}"
            )));
        }
        let query = [
            ("start", (start.millis() / 1000).to_string()),
            // Coinbase's `end` is inclusive: stop one second before ours.
            ("end", (end.millis() / 1000 - 1).to_string()),
            ("granularity", granularity.to_string()),
            ("limit", MAX_CANDLES_PER_REQUEST.to_string()),
        ];
        let path = format!("/products/{product_id}/candles");
        let body = self.private_or_public(Method::GET, &path, &query).await?;
        let wire: Vec<WireCandle> = serde_json::from_value(body.get("candles").cloned().unwrap_or(Value::Null))
            .map_err(|e| CoinbaseError::Invalid(format!("candles of {product_id}: {e}")))?;
        let mut candles = Vec::with_capacity(wire.len());
        for w in wire {
            match candle_of(&w, product_id)? {
                Some(candle) => candles.push(candle),
                // One bad bar is left out (a gap to whoever asked), not the whole page.
                None => {
                    tracing::warn!(%product_id, start = %w.start, "a candle whose low/high do not bound its open/close was skipped")
                }
            }
        }
        candles.sort_by_key(|c| c.start);
        candles.dedup_by_key(|c| c.start);
        candles.retain(|c| c.start >= start && c.start < end);
        Ok(candles)
    }

    /// The accounts (balances) of the key's portfolio: the first page.
    pub async fn accounts(&self) -> Result<Value, CoinbaseError> {
        self.send(Method::GET, "/api/v3/brokerage/accounts", &[], None, true).await
    }

    /// Every account's balance, following Coinbase's pages (250 a page).
    pub async fn balances(&self) -> Result<Vec<crate::orders::Balance>, CoinbaseError> {
        let mut balances = Vec::new();
        let mut cursor = Some(String::new());
        for _ in 0..MAX_PAGES {
            let Some(at) = cursor else { return Ok(balances) };
            let (page, next) = self.page("/api/v3/brokerage/accounts", Vec::new(), at).await?;
            balances.extend(crate::orders::balances(&page)?);
            cursor = next;
        }
        Err(CoinbaseError::Invalid(format!("more than {MAX_PAGES} pages of accounts")))
    }

    /// One page of a paged GET (250 entries from `cursor`, empty for the first), and the
    /// cursor of the next page when Coinbase says there is one.
    async fn page(
        &self,
        path: &str,
        mut query: Vec<(&str, String)>,
        cursor: String,
    ) -> Result<(Value, Option<String>), CoinbaseError> {
        query.push(("limit", "250".to_string()));
        if !cursor.is_empty() {
            query.push(("cursor", cursor));
        }
        let page = self.send(Method::GET, path, &query, None, true).await?;
        let next = page.get("cursor").and_then(Value::as_str).unwrap_or_default().to_string();
        let more = page.get("has_next").and_then(Value::as_bool) == Some(true) && !next.is_empty();
        Ok((page, more.then_some(next)))
    }

    /// Creates an order. `order` is Coinbase's create-order body; a `client_order_id` is
    /// added when missing, and a retry sends the same one.
    pub async fn create_order(&self, mut order: Value) -> Result<Value, CoinbaseError> {
        if order.get("client_order_id").and_then(Value::as_str).is_none_or(str::is_empty) {
            order["client_order_id"] = Value::String(new_client_order_id());
        }
        self.send(Method::POST, "/api/v3/brokerage/orders", &[], Some(&order), true).await
    }

    /// Previews an order (Coinbase's checks and fees, nothing placed).
    pub async fn preview_order(&self, order: &Value) -> Result<Value, CoinbaseError> {
        self.send(Method::POST, "/api/v3/brokerage/orders/preview", &[], Some(order), true).await
    }

    /// Cancels orders by id.
    pub async fn cancel_orders(&self, order_ids: &[String]) -> Result<Value, CoinbaseError> {
        let body = serde_json::json!({"order_ids": order_ids});
        self.send(Method::POST, "/api/v3/brokerage/orders/batch_cancel", &[], Some(&body), true).await
    }

    /// Orders, filtered by Coinbase's query parameters (e.g. `order_status`, `product_ids`).
    pub async fn list_orders(&self, query: &[(&str, String)]) -> Result<Value, CoinbaseError> {
        self.send(Method::GET, "/api/v3/brokerage/orders/historical/batch", query, None, true).await
    }

    /// Coinbase's id of the order of `product_id` with this client order id, placed between
    /// `since` and `until` (Coinbase cannot filter by client order id: its orders of that
    /// span are listed, at most 40 pages of 250).
    pub async fn find_order(
        &self,
        product_id: ProductId,
        client_order_id: &str,
        since: Timestamp,
        until: Timestamp,
    ) -> Result<Option<String>, CoinbaseError> {
        let mut cursor = Some(String::new());
        for _ in 0..MAX_PAGES {
            let Some(at) = cursor else { return Ok(None) };
            let query = vec![
                ("product_ids", product_id.to_string()),
                ("start_date", since.to_rfc3339()),
                ("end_date", until.to_rfc3339()),
            ];
            let (page, next) = self.page("/api/v3/brokerage/orders/historical/batch", query, at).await?;
            let orders = page.get("orders").and_then(Value::as_array).cloned().unwrap_or_default();
            let found =
                orders.iter().find(|o| o.get("client_order_id").and_then(Value::as_str) == Some(client_order_id));
            if let Some(id) = found.and_then(|o| o.get("order_id")).and_then(Value::as_str) {
                return Ok(Some(id.to_string()));
            }
            cursor = next;
        }
        Err(CoinbaseError::Invalid(format!("more than {MAX_PAGES} pages of orders")))
    }

    /// One order.
    pub async fn get_order(&self, order_id: &str) -> Result<Value, CoinbaseError> {
        if order_id.is_empty() || !order_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(CoinbaseError::Invalid(format!("'{order_id}' is not an order id")));
        }
        self.send(Method::GET, &format!("/api/v3/brokerage/orders/historical/{order_id}"), &[], None, true).await
    }

    /// Fills, filtered by Coinbase's query parameters (e.g. `order_ids`, `product_ids`).
    pub async fn fills(&self, query: &[(&str, String)]) -> Result<Value, CoinbaseError> {
        self.send(Method::GET, "/api/v3/brokerage/orders/historical/fills", query, None, true).await
    }

    /// A market endpoint: the keyed one with a key, else the public `/market/…` one.
    async fn private_or_public(
        &self,
        method: Method,
        tail: &str,
        query: &[(&str, String)],
    ) -> Result<Value, CoinbaseError> {
        if self.key.is_some() {
            self.send(method, &format!("/api/v3/brokerage{tail}"), query, None, true).await
        } else {
            self.send(method, &format!("/api/v3/brokerage/market{tail}"), query, None, false).await
        }
    }

    /// Sends one request with its retries.
    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
        private: bool,
    ) -> Result<Value, CoinbaseError> {
        if private && self.key.is_none() {
            return Err(CoinbaseError::NoKey(format!("{method} {path}")));
        }
        let url = format!("{}{path}", self.config.base_url.trim_end_matches('/'));
        let mut attempt = 0;
        loop {
            if private {
                self.private.acquire().await
            } else {
                self.public.acquire().await
            }
            let mut request = self.http.request(method.clone(), &url).query(query);
            if let Some(key) = &self.key {
                let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
                request = request.bearer_auth(key.rest_token(method.as_str(), &self.host, path, now as i64));
            }
            if let Some(body) = body {
                request = request.json(body);
            }
            let failure = match request.send().await {
                Err(err) => Failure::Retry(format!("transport: {err}"), None),
                Ok(response) => {
                    let status = response.status();
                    let retry_after = retry_after(&response);
                    match response.bytes().await {
                        Err(err) => Failure::Retry(format!("reading the body: {err}"), None),
                        Ok(bytes) if status.is_success() => match serde_json::from_slice::<Value>(&bytes) {
                            Ok(value) => return Ok(value),
                            Err(err) => Failure::Retry(format!("malformed body ({status}): {err}"), None),
                        },
                        Ok(bytes) if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() => {
                            Failure::Retry(format!("{status}: {}", String::from_utf8_lossy(&bytes)), retry_after)
                        }
                        Ok(bytes) => {
                            let body = serde_json::from_slice::<ErrorBody>(&bytes).unwrap_or_else(|_| ErrorBody {
                                message: String::from_utf8_lossy(&bytes).into_owned(),
                                ..ErrorBody::default()
                            });
                            Failure::Final(CoinbaseError::Api {
                                status: status.as_u16(),
                                method: method.to_string(),
                                path: path.to_string(),
                                body,
                            })
                        }
                    }
                }
            };
            match failure {
                Failure::Final(err) => return Err(err),
                Failure::Retry(last, retry_after) => {
                    attempt += 1;
                    if attempt > self.config.max_retries {
                        return Err(CoinbaseError::Exhausted {
                            method: method.to_string(),
                            path: path.to_string(),
                            attempts: attempt,
                            last,
                        });
                    }
                    // Coinbase's Retry-After is honoured in full; our own backoff is capped.
                    let delay = retry_after.unwrap_or_else(|| self.backoff(attempt));
                    tracing::debug!(%method, path, attempt, ?delay, "retrying: {last}");
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    /// Full jitter: uniform in `[0, min(max, base × 2^(attempt−1))]`.
    fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self.config.backoff_ms.saturating_mul(1 << (attempt - 1).min(20)).min(self.config.max_backoff_ms);
        Duration::from_millis(rand::rng().random_range(0..=ceiling))
    }
}

enum Failure {
    Retry(String, Option<Duration>),
    Final(CoinbaseError),
}

/// `Retry-After` in seconds (Coinbase sends seconds).
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let text = response.headers().get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    // At most five minutes, however long Coinbase asks for (and never a panic on a huge value).
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| Duration::from_secs_f64(s.min(300.0)))
}

/// A candle from the wire; `None` when its prices are inconsistent (low above open, …).
fn candle_of(w: &WireCandle, product_id: ProductId) -> Result<Option<Candle>, CoinbaseError> {
    let number = |name: &str, text: &str| -> Result<Decimal, CoinbaseError> {
        text.parse()
            .map_err(|_| CoinbaseError::Invalid(format!("candle of {product_id}: {name} '{text}' is not a number")))
    };
    let seconds: i64 =
        w.start.parse().map_err(|_| CoinbaseError::Invalid(format!("candle of {product_id}: start '{}'", w.start)))?;
    let candle = Candle {
        start: Timestamp::from_millis(seconds * 1000),
        open: number("open", &w.open)?,
        high: number("high", &w.high)?,
        low: number("low", &w.low)?,
        close: number("close", &w.close)?,
        volume: number("volume", &w.volume)?,
    };
    Ok(candle.is_consistent().then_some(candle))
}

/// A random UUID v4 as text.
fn new_client_order_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill(&mut bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}
