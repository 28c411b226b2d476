//! The API at the edge: every route of `coinswarm_api::routes::ROUTES` that the edge serves,
//! with `coinswarm up`'s checks in `up`'s order (key, scope, parameters), answered by the
//! account's object, the market hub or the KV cache. The routes of the agent tier's own
//! machinery (the dashboard, metrics, analytics, pattern memory, swarm control) answer 404
//! with where to find them.

use super::account_object::AccountEnvelope;
use super::auth;
use super::cache;
use super::http::{self, Answer, json_body, query};
use super::meter::Meter;
use super::objects;
use crate::calls::{AccountCall, HubCall, Origin};
use coinswarm_api::access::{ApiKey, Scope, may_see, require};
use coinswarm_api::query::{AuditQuery, CandleQuery, DecisionsQuery, OrdersQuery, ProductQuery, TradesQuery};
use coinswarm_api::routes::{Operation, Route, routes_of};
use coinswarm_api::validation::{self, page_limit};
use coinswarm_api::{ErrorCode, Failure, views};
use coinswarm_core::exchange::OrderRequest;
use serde::Deserialize;
use std::cell::OnceCell;
use worker::{Env, Request};

/// Answers a request to one of the API's routes, with its billable operations in the
/// `x-coinswarm-billable` header.
pub async fn handle(req: Request, env: &Env) -> Answer {
    let meter = Meter::default();
    let upgrade = req.path() == "/stream";
    let answer = route(req, env, &meter).await;
    if upgrade {
        return answer;
    }
    match answer {
        Ok(response) => Ok(meter.stamp(response)),
        Err(failure) => Ok(meter.stamp(http::failure(&failure))),
    }
}

async fn route(req: Request, env: &Env, meter: &Meter) -> Answer {
    let path = req.path();
    let routes: Vec<&Route> = routes_of(&path).collect();
    if routes.is_empty() {
        return Err(Failure::not_found(format!("no route {path}")));
    }
    let method = req.method().to_string();
    let Some(route) = routes.iter().find(|r| r.method.as_str() == method) else {
        return Err(Failure::new(ErrorCode::MethodNotAllowed, format!("{method} is not allowed on {path}")));
    };
    let id = path.rsplit('/').next().unwrap_or_default().to_string();
    match route.operation {
        Operation::Liveness => http::json(200, &views::Health { status: "ok" }),
        Operation::Readiness => hub(env, meter, HubCall::Ready).await,
        Operation::OpenApi => openapi(),
        Operation::ListProducts => hub(env, meter, HubCall::Products).await,
        Operation::GetMarketData => {
            let q: ProductQuery = query(&req)?;
            let product_id = validation::product_id(&q.product_id)?;
            let key = format!("market-data:{product_id}");
            cache::read_through(env, meter, &key, objects::market_data_fresh_ms(env), || {
                hub(env, meter, HubCall::MarketData { product_id })
            })
            .await
        }
        Operation::GetCandles => {
            let q: CandleQuery = query(&req)?;
            let product_id = validation::product_id(&q.product_id)?;
            hub(env, meter, HubCall::Candles { product_id, granularity: q.granularity, start: q.start, end: q.end })
                .await
        }
        Operation::GetPrediction => {
            auth::optional_caller(&req, env, meter).await?;
            let q: ProductQuery = query(&req)?;
            let product_id = validation::product_id(&q.product_id)?;
            let key = format!("prediction:{product_id}");
            cache::read_through(env, meter, &key, objects::predictions_fresh_ms(env), || {
                hub(env, meter, HubCall::Prediction { product_id })
            })
            .await
        }
        Operation::ListDecisions => {
            auth::optional_caller(&req, env, meter).await?;
            let q: DecisionsQuery = query(&req)?;
            let limit = page_limit(q.limit, 50, 500)?;
            hub(env, meter, HubCall::Decisions { limit }).await
        }
        Operation::GetSwarm => {
            auth::optional_caller(&req, env, meter).await?;
            hub(env, meter, HubCall::Swarm).await
        }
        Operation::ListAccounts => {
            let key = keyed(&req, env, meter, Scope::Read).await?;
            list_accounts(env, meter, &key).await
        }
        Operation::GetAccount => {
            let key = keyed(&req, env, meter, Scope::Read).await?;
            if !may_see(&key, &id) || (id != key.account_id && !account_exists(env, meter, &id).await?) {
                return Err(Failure::not_found(format!("no account {id}")));
            }
            account(env, meter, &id, AccountCall::Account { with_mode: true }).await
        }
        Operation::ListTrades => {
            let key = keyed(&req, env, meter, Scope::Read).await?;
            let q: TradesQuery = query(&req)?;
            let limit = page_limit(q.limit, 100, 1000)?;
            let product_id = q.product_id.as_deref().map(validation::product_id).transpose()?;
            account(env, meter, &key.account_id, AccountCall::Trades { product_id, limit }).await
        }
        Operation::ListOrders => {
            let key = keyed(&req, env, meter, Scope::Read).await?;
            let q: OrdersQuery = query(&req)?;
            let limit = page_limit(q.limit, 100, 1000)?;
            let status = q.status.as_deref().map(validation::order_status).transpose()?;
            let product_id = q.product_id.as_deref().map(validation::product_id).transpose()?;
            account(env, meter, &key.account_id, AccountCall::Orders { status, product_id, limit }).await
        }
        Operation::GetOrderAudit => {
            let key = keyed(&req, env, meter, Scope::Read).await?;
            let q: AuditQuery = query(&req)?;
            let limit = page_limit(q.limit, 100, 1000)?;
            account(env, meter, &key.account_id, AccountCall::Audit { limit }).await
        }
        Operation::GetOrder => {
            let key = keyed(&req, env, meter, Scope::Read).await?;
            let order_id = validation::order_id(&id)?;
            account(env, meter, &key.account_id, AccountCall::Order { order_id }).await
        }
        Operation::PlaceOrder | Operation::PreviewOrder => {
            let mut req = req;
            let key = keyed(&req, env, meter, Scope::Trade).await?;
            let request: OrderRequest = json_body(&mut req).await?;
            let call = if route.operation == Operation::PlaceOrder {
                AccountCall::Place { request, origin: rest_origin(&key) }
            } else {
                AccountCall::Preview { request }
            };
            account(env, meter, &key.account_id, call).await
        }
        Operation::CancelOrder => {
            let key = keyed(&req, env, meter, Scope::Trade).await?;
            let order_id = validation::order_id(&id)?;
            account(env, meter, &key.account_id, AccountCall::Cancel { order_id, origin: rest_origin(&key) }).await
        }
        Operation::Stream => {
            let stub = objects::hub(env)?;
            stub.fetch_with_request(req).await.map_err(http::unavailable)
        }
        Operation::Dashboard
        | Operation::Metrics
        | Operation::GetAnalytics
        | Operation::GetMemory
        | Operation::ListPatterns
        | Operation::FindSimilar
        | Operation::ChangePattern
        | Operation::ShutdownSwarm
        | Operation::ResumeSwarm
        | Operation::ResetDrawdown
        | Operation::Mcp
        | Operation::McpEvents
        | Operation::McpEndSession => Err(Failure::not_found(format!(
            "{method} {path} is served by the agent tier (coinswarm up), not by the edge"
        ))),
    }
}

/// The caller's key, which must carry `scope` (401, then 403, as in `up`).
async fn keyed(req: &Request, env: &Env, meter: &Meter, scope: Scope) -> Result<ApiKey, Failure> {
    let key = auth::caller(req, env, meter).await?;
    require(&key, scope)?;
    Ok(key)
}

fn rest_origin(key: &ApiKey) -> Origin {
    Origin { channel: "rest".into(), key_id: key.id.clone(), client: None, tool: None }
}

async fn hub(env: &Env, meter: &Meter, call: HubCall) -> Answer {
    http::call(&objects::hub(env)?, &call, meter).await
}

async fn account(env: &Env, meter: &Meter, account_id: &str, call: AccountCall) -> Answer {
    let envelope = AccountEnvelope { account_id: account_id.to_string(), call };
    http::call(&objects::account(env, account_id)?, &envelope, meter).await
}

fn openapi() -> Answer {
    thread_local! {
        static DOCUMENT: OnceCell<String> = const { OnceCell::new() };
    }
    let text = DOCUMENT.with(|doc| {
        doc.get_or_init(|| coinswarm_api::openapi::document_json(env!("CARGO_PKG_VERSION")).to_string()).clone()
    });
    http::raw_json(200, text)
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
async fn list_accounts(env: &Env, meter: &Meter, key: &ApiKey) -> Answer {
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
