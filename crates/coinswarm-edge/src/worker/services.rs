//! The edge's services: what each route (and each MCP tool, through [`super::mcp_host`])
//! asks of the account's object, the market hub, D1 or the KV cache, with `coinswarm up`'s
//! checks. They take the caller's key already checked for the route's scope, and answer the
//! API's status and body.

use super::account_object::AccountEnvelope;
use super::agent_link::LinkCall;
use super::cache;
use super::http::{self, Answer};
use super::meter::Meter;
use super::objects;
use crate::calls::{AccountCall, HubCall, Origin};
use coinswarm_api::access::{ApiKey, Scope, may_see};
use coinswarm_api::validation::{self, ACCOUNT_PAGE};
use coinswarm_api::{Failure, RetryAfter};
use coinswarm_core::exchange::OrderRequest;
use serde::Deserialize;
use worker::Env;

/// `GET /api/market-data`, from KV while fresh (`MARKET_DATA_FRESH_MS`), else the hub.
pub async fn market_data(env: &Env, meter: &Meter, product: &str) -> Answer {
    let product_id = validation::product_id(product)?;
    let key = format!("market-data:{product_id}");
    cache::read_through(env, meter, &key, objects::market_data_fresh_ms(env), || {
        hub(env, meter, HubCall::MarketData { product_id })
    })
    .await
}

/// `GET /api/candles`: the hub's bars, older months from the R2 archive.
pub async fn candles(
    env: &Env,
    meter: &Meter,
    product: &str,
    granularity: Option<String>,
    start: Option<String>,
    end: Option<String>,
) -> Answer {
    let product_id = validation::product_id(product)?;
    hub(env, meter, HubCall::Candles { product_id, granularity, start, end }).await
}

/// `GET /api/account/{id}`: an account the key may see (another is answered as missing).
pub async fn account_of(env: &Env, meter: &Meter, key: &ApiKey, id: &str) -> Answer {
    if !may_see(key, id) || (id != key.account_id && !account_exists(env, meter, id).await?) {
        return Err(Failure::not_found(format!("no account {id}")));
    }
    account(env, meter, id, AccountCall::Account { with_mode: true }).await
}

/// `GET /api/trades` of the key's account. An account that trades at the edge answers from
/// its object; one that never has (an account of the agent tier's) from D1's replica of the
/// agent tier's trades, when it holds any of the account's.
pub async fn trades(env: &Env, meter: &Meter, key: &ApiKey, product: Option<&str>, limit: Option<usize>) -> Answer {
    let limit = ACCOUNT_PAGE.limit(limit)?;
    let product_id = product.map(validation::product_id).transpose()?;
    let mut own = account(env, meter, &key.account_id, AccountCall::Trades { product_id, limit }).await?;
    let text = own.text().await.map_err(super::http::unavailable)?;
    let traded_here = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v["trades"].as_array().map(|t| !t.is_empty()))
        .unwrap_or(true);
    if !traded_here {
        let product = product_id.map(|p| p.to_string());
        if let Some(answer) = super::replicas::trades(env, meter, &key.account_id, product.as_deref(), limit).await? {
            return answer;
        }
    }
    super::http::raw_json(own.status_code(), text)
}

/// A pattern search asked of the agent tier through the link (`AgentLink`: single flight,
/// micro-batched, within `AGENT_TIMEOUT_MS`, behind its circuit breaker).
pub async fn similar_upstream(
    env: &Env,
    meter: &Meter,
    ask: coinswarm_api::mcp::params::SimilarParams,
) -> Result<serde_json::Value, Failure> {
    let link = super::objects::agent_link(env)?;
    let call = super::agent_link::LinkCall::Similar { ask };
    super::http::answer_json(super::http::call(&link, &call, meter).await).await
}

/// `GET /api/memory/similar`, cached in KV for `PREDICTIONS_FRESH_MS` per question: from the
/// Vectorize index when the Worker has one (`VECTORS`) and it can answer, otherwise asked of
/// the agent tier through the link ([`similar_upstream`]). Without a product, the venue's
/// first (the swarm's).
pub async fn similar(env: &Env, meter: &Meter, q: coinswarm_api::query::SimilarQuery) -> Answer {
    let product_id = match q.product_id.as_deref() {
        Some(product) => validation::product_id(product)?.to_string(),
        None => {
            let venue: coinswarm_api::edge::VenueSpec =
                super::http::answer_json(hub(env, meter, HubCall::Venue).await).await.and_then(|v| {
                    serde_json::from_value(v).map_err(|e| Failure::unavailable(e.to_string(), RetryAfter::FAULT))
                })?;
            venue
                .products
                .first()
                .map(|p| p.product_id.to_string())
                .ok_or_else(|| Failure::unavailable("no product", RetryAfter::FAULT))?
        }
    };
    let top_k = validation::top_k(q.top_k)?;
    let at = validation::time(q.at.as_deref(), "at", false)?;
    let key = format!("similar:{product_id}:{top_k}:{}", at.map_or("now".to_string(), |at| at.to_string()));
    super::cache::read_through(env, meter, &key, super::objects::predictions_fresh_ms(env), || async move {
        if let Some(index) = super::vectorize::Vectorize::bound(env) {
            match super::replicas::similar_in_index(env, meter, &index, &product_id, at, top_k).await {
                Ok(Some(similar)) => return super::http::json(200, &similar),
                Ok(None) => {}
                Err(failure) if failure.status == 404 => return Err(failure),
                Err(failure) => worker::console_warn!("Vectorize: {failure}; asking the agent tier"),
            }
        }
        let ask = coinswarm_api::mcp::params::SimilarParams { product_id, at: q.at, top_k: Some(top_k) };
        super::http::json(200, &similar_upstream(env, meter, ask).await?)
    })
    .await
}

/// `GET /api/orders` of the key's account.
pub async fn orders(
    env: &Env,
    meter: &Meter,
    key: &ApiKey,
    status: Option<&str>,
    product: Option<&str>,
    limit: Option<usize>,
) -> Answer {
    let limit = ACCOUNT_PAGE.limit(limit)?;
    let status = status.map(validation::order_status).transpose()?;
    let product_id = product.map(validation::product_id).transpose()?;
    account(env, meter, &key.account_id, AccountCall::Orders { status, product_id, limit }).await
}

/// `GET /api/orders/{id}` of the key's account.
pub async fn order(env: &Env, meter: &Meter, key: &ApiKey, id: &str) -> Answer {
    let order_id = validation::order_id(id)?;
    account(env, meter, &key.account_id, AccountCall::Order { order_id }).await
}

/// `POST /api/orders`: down the order path in the account's object.
pub async fn place(env: &Env, meter: &Meter, key: &ApiKey, request: OrderRequest, origin: Origin) -> Answer {
    account(env, meter, &key.account_id, AccountCall::Place { request, origin }).await
}

/// `POST /api/orders/preview`.
pub async fn preview(env: &Env, meter: &Meter, key: &ApiKey, request: OrderRequest) -> Answer {
    account(env, meter, &key.account_id, AccountCall::Preview { request }).await
}

/// `DELETE /api/orders/{id}`.
pub async fn cancel(env: &Env, meter: &Meter, key: &ApiKey, id: &str, origin: Origin) -> Answer {
    let order_id = validation::order_id(id)?;
    account(env, meter, &key.account_id, AccountCall::Cancel { order_id, origin }).await
}

/// A call to the market hub.
pub async fn hub(env: &Env, meter: &Meter, call: HubCall) -> Answer {
    http::call(&objects::hub(env)?, &call, meter).await
}

/// A call to an account's object.
pub async fn account(env: &Env, meter: &Meter, account_id: &str, call: AccountCall) -> Answer {
    let envelope = AccountEnvelope { account_id: account_id.to_string(), call };
    http::call(&objects::account(env, account_id)?, &envelope, meter).await
}

#[derive(Deserialize)]
struct AccountRow {
    account_id: String,
}

async fn account_exists(env: &Env, meter: &Meter, account_id: &str) -> Result<bool, Failure> {
    let db = env.d1("DB").map_err(http::unavailable)?;
    let statement = db
        .prepare("SELECT account_id FROM accounts WHERE account_id = ?1")
        .bind(&[account_id.into()])
        .map_err(http::unavailable)?;
    let result = statement.all().await.map_err(http::unavailable)?;
    meter.add(d1_read(&result));
    Ok(!result.results::<AccountRow>().map_err(http::unavailable)?.is_empty())
}

/// The caller's account, or every account for an admin key (from D1's account index).
pub async fn list_accounts(env: &Env, meter: &Meter, key: &ApiKey) -> Answer {
    let ids = if key.allows(Scope::Admin) {
        let db = env.d1("DB").map_err(http::unavailable)?;
        let rows =
            db.prepare("SELECT account_id FROM accounts ORDER BY account_id").all().await.map_err(http::unavailable)?;
        rows.results::<AccountRow>().map_err(http::unavailable)?.into_iter().map(|r| r.account_id).collect()
    } else {
        vec![key.account_id.clone()]
    };
    let mut accounts = Vec::new();
    for id in ids {
        let envelope = AccountEnvelope { account_id: id.clone(), call: AccountCall::Account { with_mode: false } };
        let account: serde_json::Value = http::call_json(&objects::account(env, &id)?, &envelope, meter).await?;
        accounts.push(account);
    }
    http::json(200, &serde_json::json!({ "accounts": accounts }))
}

/// The rows a D1 query read.
fn d1_read(result: &worker::D1Result) -> crate::billable::Billable {
    let rows = result.meta().ok().flatten().and_then(|m| m.rows_read).unwrap_or_default() as u64;
    crate::billable::Billable { d1_rows_read: rows, ..Default::default() }
}

/// `GET /api/swarm`: the hub's copy of the agent tier's swarm, with the state of the edge's
/// link to it (its circuit breaker and counters) as `agent_link`.
pub async fn swarm(env: &Env, meter: &Meter) -> Result<serde_json::Value, Failure> {
    let mut swarm = http::answer_json(hub(env, meter, HubCall::Swarm).await).await?;
    let link = match objects::agent_link(env) {
        Ok(stub) => http::answer_json(http::call(&stub, &LinkCall::State, meter).await).await,
        Err(failure) => Err(failure),
    };
    let link = link.unwrap_or_else(|failure| serde_json::json!({ "error": failure.message }));
    if let Some(fields) = swarm.as_object_mut() {
        fields.insert("agent_link".into(), link);
    }
    Ok(swarm)
}
