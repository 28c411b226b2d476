//! The trading desk: what a caller may read and do, whatever the transport. The REST
//! handlers and the MCP tools are thin layers over these functions, so both answer the same
//! question the same way, check the same scopes and send orders down the same guarded path.

pub mod backtest;

use crate::api::ApiError;
use crate::app::AppParts;
use crate::keys::{ApiKey, Scope};
use crate::session::{OrderOrigin, OrderPreview, OrderRefusal, SessionError, SessionHandle};
use crate::store::{EpisodeStore, Kv};
use axum::http::StatusCode;
use bytes::Bytes;
use coinswarm_core::exchange::{Order, OrderId, OrderRequest, OrderStatus, Rejection};
use coinswarm_core::market::{Granularity, ProductId};
use coinswarm_core::time::Timestamp;
use serde_json::{Value, json};
use std::time::Duration;

/// Most candles one request returns (Coinbase's page size).
pub const MAX_CANDLES: usize = 350;

/// Refuses with 403 unless `key` carries `scope`.
pub fn require(key: &ApiKey, scope: Scope) -> Result<(), ApiError> {
    if key.allows(scope) {
        Ok(())
    } else {
        Err(ApiError::new(StatusCode::FORBIDDEN, "FORBIDDEN", format!("this key lacks the '{scope}' scope")))
    }
}

/// Whether `key` may see `account_id` (its own, or any with admin).
pub fn may_see(key: &ApiKey, account_id: &str) -> bool {
    key.account_id == account_id || key.allows(Scope::Admin)
}

/// A `limit`: `default` when absent, refused outside `1..=max`.
pub fn page_limit(limit: Option<usize>, default: usize, max: usize) -> Result<usize, ApiError> {
    let limit = limit.unwrap_or(default);
    if !(1..=max).contains(&limit) {
        return Err(ApiError::bad_request("INVALID_LIMIT", format!("limit must be between 1 and {max}")));
    }
    Ok(limit)
}

/// Every listed product with its trading rules.
pub fn products(parts: &AppParts) -> Value {
    let products: Vec<Value> = parts.board.products().iter().map(product_json).collect();
    json!({"products": products})
}

/// One listed product with its rules (404 when not listed).
pub fn product(parts: &AppParts, text: &str) -> Result<Value, ApiError> {
    let product_id = listed_product(parts, text)?;
    let product = parts.board.products().iter().find(|p| p.product_id == product_id).map(product_json);
    product.ok_or_else(|| ApiError::not_found(format!("product {product_id} is not listed")))
}

fn product_json(p: &coinswarm_core::market::Product) -> Value {
    json!({
        "product_id": p.product_id,
        "base_currency": p.base(),
        "quote_currency": p.quote(),
        "base_increment": p.base_increment,
        "quote_increment": p.quote_increment,
        "base_min_size": p.base_min_size,
        "base_max_size": p.base_max_size,
        "quote_min_size": p.quote_min_size,
    })
}

/// Parses a product id and checks it is listed.
pub fn listed_product(parts: &AppParts, text: &str) -> Result<ProductId, ApiError> {
    let product_id: ProductId =
        text.parse().map_err(|e| ApiError::bad_request("INVALID_PRODUCT_ID", format!("product_id '{text}': {e}")))?;
    ensure_listed(parts, product_id)
}

/// An optional product filter: `None`, or a listed product.
pub fn product_filter(parts: &AppParts, text: Option<&str>) -> Result<Option<ProductId>, ApiError> {
    text.map(|p| listed_product(parts, p)).transpose()
}

/// The product, if the feed lists it; 404 otherwise.
pub fn ensure_listed(parts: &AppParts, product_id: ProductId) -> Result<ProductId, ApiError> {
    if !parts.board.products().iter().any(|p| p.product_id == product_id) {
        return Err(ApiError::not_found(format!("product {product_id} is not listed")));
    }
    Ok(product_id)
}

/// Best bid and ask, last trade and 24 h statistics, as JSON, through the `Kv` cache.
pub fn market_data(parts: &AppParts, product: &str) -> Result<Bytes, ApiError> {
    let product_id = listed_product(parts, product)?;
    let key = format!("market-data:{product_id}");
    if let Some(body) = parts.kv.get(&key) {
        return Ok(body);
    }
    let data = parts.board.market_data(product_id).ok_or_else(|| ApiError::unavailable("no market data yet"))?;
    let body = Bytes::from(serde_json::to_vec(&data).map_err(|e| ApiError::unavailable(e.to_string()))?);
    parts.kv.put(&key, body.clone(), Duration::from_millis(parts.config.cache.market_data_ttl_ms));
    Ok(body)
}

/// Candles of a product between two times (RFC 3339 or plain dates; `end` inclusive), at
/// most [`MAX_CANDLES`], oldest first.
pub fn candles(
    parts: &AppParts,
    product: &str,
    granularity: Option<&str>,
    start: Option<&str>,
    end: Option<&str>,
) -> Result<Value, ApiError> {
    let product_id = listed_product(parts, product)?;
    let replayed = parts.board.granularity();
    if let Some(asked) = granularity {
        let asked: Granularity = asked
            .parse()
            .map_err(|e| ApiError::bad_request("INVALID_GRANULARITY", format!("granularity '{asked}': {e}")))?;
        if asked != replayed {
            return Err(ApiError::bad_request(
                "UNSUPPORTED_GRANULARITY",
                format!("the feed replays {replayed} bars; ask for that granularity"),
            ));
        }
    }
    let start = parse_time(start, "start", false)?.unwrap_or(i64::MIN);
    let end = parse_time(end, "end", true)?.unwrap_or(i64::MAX);
    if start > end {
        return Err(ApiError::bad_request("INVALID_TIME", "start is after end"));
    }
    let candles = parts.board.candles(product_id, start, end, MAX_CANDLES).unwrap_or_default();
    Ok(json!({"product_id": product_id, "granularity": replayed, "candles": candles}))
}

/// A time given as RFC 3339 or a plain date, in ms; an `end` date means the end of that day.
pub fn parse_time(text: Option<&str>, name: &str, end: bool) -> Result<Option<i64>, ApiError> {
    let Some(text) = text else { return Ok(None) };
    let parsed = if end { Timestamp::parse_inclusive_end(text) } else { Timestamp::parse(text) };
    parsed.map(|t| Some(t.millis())).map_err(|e| ApiError::bad_request("INVALID_TIME", format!("{name} '{text}': {e}")))
}

/// The session of an account `key` may see, or 404 (an account the caller may not see is
/// answered exactly like one that does not exist).
pub async fn visible_session(parts: &AppParts, key: &ApiKey, account_id: &str) -> Result<SessionHandle, ApiError> {
    if !may_see(key, account_id) {
        return Err(ApiError::not_found(format!("no account {account_id}")));
    }
    parts.session(account_id).await?.ok_or_else(|| ApiError::not_found(format!("no account {account_id}")))
}

/// The accounts `key` may see: balances, positions, equity.
pub async fn accounts(parts: &AppParts, key: &ApiKey) -> Result<Value, ApiError> {
    require(key, Scope::Read)?;
    let ids = if key.allows(Scope::Admin) {
        parts.store.accounts().await.map_err(|e| ApiError::unavailable(format!("{e:#}")))?
    } else {
        vec![key.account_id.clone()]
    };
    let mut accounts = Vec::new();
    for id in ids {
        if let Some(session) = parts.session(&id).await? {
            accounts.push(serde_json::to_value(&*session.view()).unwrap_or(Value::Null));
        }
    }
    Ok(json!({"accounts": accounts}))
}

/// One account's balances, positions and equity (the key's own when `account_id` is `None`).
pub async fn account(parts: &AppParts, key: &ApiKey, account_id: Option<&str>) -> Result<Value, ApiError> {
    require(key, Scope::Read)?;
    let session = visible_session(parts, key, account_id.unwrap_or(&key.account_id)).await?;
    let mut value = serde_json::to_value(&*session.view()).unwrap_or(Value::Null);
    value["mode"] = json!(parts.execution_mode(&session.account_id));
    Ok(value)
}

/// Recent fills of the key's account, newest first (default 100, at most 1000).
pub async fn trades(
    parts: &AppParts,
    key: &ApiKey,
    product: Option<&str>,
    limit: Option<usize>,
) -> Result<Value, ApiError> {
    require(key, Scope::Read)?;
    let limit = page_limit(limit, 100, 1000)?;
    let product = product_filter(parts, product)?;
    let session = visible_session(parts, key, &key.account_id).await?;
    let view = session.view();
    let fills: Vec<_> = view.fills.iter().filter(|f| product.is_none_or(|p| f.product_id == p)).take(limit).collect();
    Ok(json!({"trades": fills}))
}

/// Orders of the key's account, newest first, optionally by status and product.
pub async fn orders(
    parts: &AppParts,
    key: &ApiKey,
    status: Option<&str>,
    product: Option<&str>,
    limit: Option<usize>,
) -> Result<Value, ApiError> {
    require(key, Scope::Read)?;
    let limit = page_limit(limit, 100, 1000)?;
    let status: Option<OrderStatus> = status
        .map(|s| {
            serde_json::from_value(Value::String(s.to_ascii_uppercase()))
                .map_err(|_| ApiError::bad_request("INVALID_STATUS", format!("unknown order status '{s}'")))
        })
        .transpose()?;
    let product = product_filter(parts, product)?;
    let session = visible_session(parts, key, &key.account_id).await?;
    let view = session.view();
    let orders: Vec<&Order> = view
        .orders
        .iter()
        .filter(|o| status.is_none_or(|s| o.status == s) && product.is_none_or(|p| o.product_id == p))
        .take(limit)
        .collect();
    Ok(json!({"orders": orders}))
}

/// Who placed and cancelled the key's account's orders through the API or MCP (channel,
/// key, MCP client and tool) and what came of it, newest first (default 100, at most 1000).
pub async fn order_audit(parts: &AppParts, key: &ApiKey, limit: Option<usize>) -> Result<Value, ApiError> {
    require(key, Scope::Read)?;
    let limit = page_limit(limit, 100, 1000)?;
    let lines = parts
        .store
        .order_audit(&key.account_id, limit as u32)
        .await
        .map_err(|e| ApiError::unavailable(format!("{e:#}")))?;
    let records: Vec<Value> = lines.iter().filter_map(|line| serde_json::from_str(line).ok()).collect();
    Ok(json!({"account_id": key.account_id, "records": records}))
}

/// Parses an order id.
pub fn order_id(text: &str) -> Result<OrderId, ApiError> {
    text.parse().map_err(|_| ApiError::bad_request("INVALID_ORDER_ID", format!("'{text}' is not an order id")))
}

/// One order of the key's account.
pub async fn order(parts: &AppParts, key: &ApiKey, id: &str) -> Result<Order, ApiError> {
    require(key, Scope::Read)?;
    let id = order_id(id)?;
    let session = visible_session(parts, key, &key.account_id).await?;
    let view = session.view();
    view.orders.iter().find(|o| o.order_id == id).cloned().ok_or_else(|| ApiError::not_found(format!("no order {id}")))
}

/// Refuses with 403 `LIVE_SCOPE_REQUIRED` an order on `account_id` when that account trades
/// real money (live mode's swarm account) and `key` lacks the `live` scope. The one check of
/// that permission, whatever the channel (REST, MCP over HTTP or stdio). Cancelling,
/// previewing and reading need no `live`: none of them can add exposure.
pub fn require_live(parts: &AppParts, key: &ApiKey, account_id: &str) -> Result<(), ApiError> {
    if parts.execution_mode(account_id) != "live" || key.allows(Scope::Live) {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::FORBIDDEN,
        "LIVE_SCOPE_REQUIRED",
        format!(
            "account {account_id} trades real money on Coinbase: placing orders on it needs an API key with the \
             'live' scope (coinswarm keys create --account {account_id} --scope trade --scope live \
             --i-understand-this-trades-real-money)"
        ),
    ))
}

/// Places an order on the key's account: the `live` scope on a live account, then the order
/// guard (oversight, breaker) and the exchange's validation, acknowledged once durably
/// stored, recorded with `origin` (a refusal for want of `live` too, with its code).
pub async fn place(
    parts: &AppParts,
    key: &ApiKey,
    request: OrderRequest,
    origin: OrderOrigin,
) -> Result<Order, ApiError> {
    require(key, Scope::Trade)?;
    ensure_listed(parts, request.product_id)?;
    let session = visible_session(parts, key, &key.account_id).await?;
    if let Err(refused) = require_live(parts, key, &key.account_id) {
        let refusal = OrderRefusal { code: refused.code, message: refused.message.clone() };
        session.record_refusal(request, origin, refusal).await.map_err(session_error)?;
        return Err(refused);
    }
    let started = std::time::Instant::now();
    let order = session.submit(request, origin).await.map_err(session_error)?;
    let ack_ms = started.elapsed().as_secs_f64() * 1000.0;
    parts.analytics.record("order_ack_ms", &key.account_id, "", crate::app::now_ms(), ack_ms);
    Ok(order)
}

/// What placing `request` would do now, placing nothing.
pub async fn preview(parts: &AppParts, key: &ApiKey, request: OrderRequest) -> Result<OrderPreview, ApiError> {
    require(key, Scope::Trade)?;
    ensure_listed(parts, request.product_id)?;
    let session = visible_session(parts, key, &key.account_id).await?;
    session.preview(request).await.map_err(session_error)
}

/// Cancels an order of the key's account; answered once the cancellation is stored, and
/// recorded with `origin`.
pub async fn cancel(parts: &AppParts, key: &ApiKey, id: &str, origin: OrderOrigin) -> Result<Order, ApiError> {
    require(key, Scope::Trade)?;
    let id = order_id(id)?;
    let session = visible_session(parts, key, &key.account_id).await?;
    if session.view().orders.get(id).is_none() {
        return Err(ApiError::not_found(format!("no order {id}")));
    }
    session.cancel(id, origin).await.map_err(session_error)
}

/// A session's refusal as an API error: the exchange's and the guard's reasons are 422
/// (404 for an unknown order) with their stable code.
pub fn session_error(error: SessionError) -> ApiError {
    match error {
        SessionError::Rejected(rejection) => rejected(&rejection),
        SessionError::Blocked(blocked) => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, blocked.code, blocked.message)
        }
        venue @ SessionError::Venue { .. } => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "VENUE_REJECTED", venue.to_string())
        }
        other => ApiError::unavailable(other.to_string()),
    }
}

fn rejected(rejection: &Rejection) -> ApiError {
    let status = match rejection {
        Rejection::UnknownOrder(_) => StatusCode::NOT_FOUND,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    ApiError::new(status, rejection.code(), rejection.to_string())
}

/// The swarm's latest decision for a product, with every vote and reason, as JSON (cached).
pub fn prediction(parts: &AppParts, product: &str) -> Result<Bytes, ApiError> {
    let product_id = listed_product(parts, product)?;
    let key = format!("prediction:{product_id}");
    if let Some(body) = parts.kv.get(&key) {
        return Ok(body);
    }
    let session = parts.swarm_session().ok_or_else(|| ApiError::unavailable("the swarm is not running"))?;
    let swarm = session.swarm().ok_or_else(|| ApiError::unavailable("the swarm is not running"))?;
    if swarm.product_id != product_id {
        return Err(ApiError::not_found(format!("the swarm trades {}, not {product_id}", swarm.product_id)));
    }
    let decision = swarm.latest_decision.clone().ok_or_else(|| ApiError::unavailable("no decision yet"))?;
    let body = serde_json::to_vec(&json!({"product_id": product_id, "decision": decision}))
        .map(Bytes::from)
        .map_err(|e| ApiError::unavailable(e.to_string()))?;
    parts.kv.put(&key, body.clone(), Duration::from_millis(parts.config.cache.predictions_ttl_ms));
    Ok(body)
}

/// The swarm: agents and weights, regime, breaker and oversight state, its execution mode
/// (`paper` or `live`), and its account. A paper swarm's account is public (the dashboard's
/// demo); a live one holds real Coinbase balances, so its account (balances, positions,
/// equity, and the equity in the latest decision) is shown only to a `caller` whose key may
/// read it (the swarm account's own, or admin).
pub fn swarm_state(parts: &AppParts, caller: Option<&ApiKey>) -> Result<Value, ApiError> {
    let session = parts.swarm_session().ok_or_else(|| ApiError::unavailable("the swarm is not running"))?;
    let swarm = session.swarm().ok_or_else(|| ApiError::unavailable("the swarm is not running"))?;
    let mode = parts.execution_mode(&session.account_id);
    let may_read_account =
        mode == "paper" || caller.is_some_and(|key| key.allows(Scope::Read) && may_see(key, &session.account_id));
    let mut value = json!({"swarm": &*swarm, "mode": mode});
    if may_read_account {
        value["account"] = serde_json::to_value(&*session.view()).unwrap_or(Value::Null);
    } else if let Some(decision) = value["swarm"]["latest_decision"].as_object_mut() {
        decision.remove("equity");
    }
    Ok(value)
}

/// The past episodes most similar to the market state at the last bar close (or, with
/// `at`, at the last decision at or before that time), among those whose outcome was known
/// then, nearest first (`top_k` 1 to 100).
pub async fn similar(
    parts: &AppParts,
    product: Option<&str>,
    at: Option<&str>,
    top_k: usize,
) -> Result<Value, ApiError> {
    if !(1..=100).contains(&top_k) {
        return Err(ApiError::bad_request("INVALID_TOP_K", format!("top_k must be between 1 and 100, not {top_k}")));
    }
    let product = product.map(|p| listed_product(parts, p)).transpose()?;
    let at = parse_time(at, "at", false)?;
    if !parts.config.memory.enabled {
        return Err(ApiError::unavailable("pattern memory is off (memory.enabled = false)"));
    }
    let session = parts.swarm_session().ok_or_else(|| ApiError::unavailable("the swarm is not running"))?;
    if let (Some(asked), Some(swarm)) = (product, session.swarm())
        && swarm.product_id != asked
    {
        return Err(ApiError::not_found(format!("pattern memory holds {}, not {asked}", swarm.product_id)));
    }
    let memory_error = |e: SessionError| ApiError::unavailable(e.to_string());
    let found = match at {
        None => session.similar_now(top_k).await.map_err(memory_error)?.ok_or_else(|| {
            ApiError::unavailable("pattern memory has no market state yet: the state builder is warming up")
        })?,
        Some(at_ms) => {
            let swarm_product = session.swarm().map(|s| s.product_id.to_string()).unwrap_or_default();
            let episode = parts
                .store
                .episode_at_or_before(&swarm_product, at_ms)
                .await
                .map_err(|e| ApiError::unavailable(format!("{e:#}")))?
                .ok_or_else(|| {
                    ApiError::not_found(format!(
                        "no market state remembered at or before {}",
                        Timestamp::from_millis(at_ms).to_rfc3339()
                    ))
                })?;
            session
                .similar_to(episode.state, episode.time_ms, top_k)
                .await
                .map_err(memory_error)?
                .ok_or_else(|| ApiError::unavailable("pattern memory is off"))?
        }
    };
    let state_at = Timestamp::from_millis(found.decided_ms).to_rfc3339();
    Ok(json!({"state_at": state_at, "matches": found.matches}))
}
