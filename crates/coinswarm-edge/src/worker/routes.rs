//! The API at the edge: every route of `coinswarm_api::routes::ROUTES` that the edge serves,
//! with `coinswarm up`'s checks in `up`'s order (key, scope, parameters), answered by the
//! account's object, the market hub or the KV cache ([`super::services`]); `/mcp` is MCP
//! over the same services ([`super::mcp`]). Pattern memory is read from D1's replicas of the
//! agent tier's streams ([`super::replicas`]), and its similarity search asked of the agent
//! tier. The routes of the agent tier's own machinery (the dashboard, metrics, analytics,
//! pattern changes, swarm control) answer 404 with where to find them.

use super::auth;
use super::http::{self, Answer, json_body, query};
use super::mcp;
use super::meter::Meter;
use super::objects;
use super::predictions;
use super::replicas;
use super::services::{self, hub};
use crate::calls::{AccountCall, HubCall, Origin};
use coinswarm_api::access::{ApiKey, Scope, require};
use coinswarm_api::edge::{StreamPositions, streams};
use coinswarm_api::query::{
    AuditQuery, CandleQuery, DecisionsQuery, OrdersQuery, PatternsQuery, ProductQuery, SimilarQuery, TradesQuery,
};
use coinswarm_api::routes::{Operation, Route, routes_of};
use coinswarm_api::validation::{ACCOUNT_PAGE, DECISIONS_PAGE};
use coinswarm_api::{ErrorCode, Failure, RetryAfter, views};
use coinswarm_core::exchange::OrderRequest;
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
            services::market_data(env, meter, &q.product_id).await
        }
        Operation::GetCandles => {
            let q: CandleQuery = query(&req)?;
            services::candles(env, meter, &q.product_id, q.granularity, q.start, q.end).await
        }
        Operation::GetPrediction => {
            auth::optional_caller(&req, env, meter).await?;
            let q: ProductQuery = query(&req)?;
            predictions::read(env, meter, &q.product_id).await
        }
        Operation::ListDecisions => {
            auth::optional_caller(&req, env, meter).await?;
            let q: DecisionsQuery = query(&req)?;
            let limit = DECISIONS_PAGE.limit(q.limit)?;
            hub(env, meter, HubCall::Decisions { limit }).await
        }
        Operation::GetSwarm => {
            auth::optional_caller(&req, env, meter).await?;
            http::json(200, &services::swarm(env, meter).await?)
        }
        Operation::ListAccounts => {
            let key = keyed(&req, env, meter, Scope::Read).await?;
            services::list_accounts(env, meter, &key).await
        }
        Operation::GetAccount => {
            let key = keyed(&req, env, meter, Scope::Read).await?;
            services::account_of(env, meter, &key, &id).await
        }
        Operation::ListTrades => {
            let key = keyed(&req, env, meter, Scope::Read).await?;
            let q: TradesQuery = query(&req)?;
            services::trades(env, meter, &key, q.product_id.as_deref(), q.limit).await
        }
        Operation::GetMemory => {
            let positions: StreamPositions =
                http::answer_json(hub(env, meter, HubCall::Streams).await).await.and_then(|v| {
                    serde_json::from_value(v).map_err(|e| Failure::unavailable(e.to_string(), RetryAfter::FAULT))
                })?;
            let commits = positions.streams.iter().find(|p| p.stream == streams::PATTERNS).map_or(0, |p| p.applied);
            replicas::summary(env, meter, commits).await
        }
        Operation::ListPatterns => {
            let q: PatternsQuery = query(&req)?;
            replicas::patterns(env, meter, q.product_id.as_deref(), q.lifecycle.as_deref()).await
        }
        Operation::FindSimilar => {
            let q: SimilarQuery = query(&req)?;
            services::similar(env, meter, q).await
        }
        Operation::ListOrders => {
            let key = keyed(&req, env, meter, Scope::Read).await?;
            let q: OrdersQuery = query(&req)?;
            services::orders(env, meter, &key, q.status.as_deref(), q.product_id.as_deref(), q.limit).await
        }
        Operation::GetOrderAudit => {
            let key = keyed(&req, env, meter, Scope::Read).await?;
            let q: AuditQuery = query(&req)?;
            let limit = ACCOUNT_PAGE.limit(q.limit)?;
            services::account(env, meter, &key.account_id, AccountCall::Audit { limit }).await
        }
        Operation::GetOrder => {
            let key = keyed(&req, env, meter, Scope::Read).await?;
            services::order(env, meter, &key, &id).await
        }
        Operation::PlaceOrder | Operation::PreviewOrder => {
            let mut req = req;
            let key = keyed(&req, env, meter, Scope::Trade).await?;
            let request: OrderRequest = json_body(&mut req).await?;
            if route.operation == Operation::PlaceOrder {
                services::place(env, meter, &key, request, rest_origin(&key)).await
            } else {
                services::preview(env, meter, &key, request).await
            }
        }
        Operation::CancelOrder => {
            let key = keyed(&req, env, meter, Scope::Trade).await?;
            services::cancel(env, meter, &key, &id, rest_origin(&key)).await
        }
        Operation::Mcp => mcp::post(req, env, meter).await,
        Operation::McpEvents | Operation::McpEndSession => mcp::not_held(req, env, meter).await,
        Operation::Stream => {
            let stub = objects::hub(env)?;
            stub.fetch_with_request(req).await.map_err(http::unavailable)
        }
        Operation::Dashboard
        | Operation::Metrics
        | Operation::GetAnalytics
        | Operation::ChangePattern
        | Operation::ShutdownSwarm
        | Operation::ResumeSwarm
        | Operation::ResetDrawdown => Err(Failure::not_found(format!(
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

fn openapi() -> Answer {
    thread_local! {
        static DOCUMENT: OnceCell<String> = const { OnceCell::new() };
    }
    let text = DOCUMENT.with(|doc| {
        doc.get_or_init(|| coinswarm_api::openapi::document_json(env!("CARGO_PKG_VERSION")).to_string()).clone()
    });
    http::raw_json(200, text)
}
