//! The REST API: thin handlers over the sessions, the market board and the stores.

mod accounts;
mod agent_tier;
mod analytics;
mod auth;
mod body_deadline;
mod budget;
mod dashboard;
mod error;
mod key_guard;
mod market;
mod mcp_http;
mod memory;
mod observe;
mod openapi;
mod ops;
mod orders;
mod stream;
mod swarm;

use crate::transport::Transport;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{MethodFilter, MethodRouter, on};
use coinswarm_api::routes::{Method, Operation, ROUTES, Route};
use std::ops::Deref;
use std::sync::Arc;

pub use auth::{Caller, peer_ip, refusal_error};
pub use error::ApiError;
pub use key_guard::{KEY_CACHE, KeyGuard, Refusal};

/// What every handler reads.
#[derive(Debug, Clone)]
pub struct AppState(pub Arc<Transport>);

impl Deref for AppState {
    type Target = Transport;

    fn deref(&self) -> &Transport {
        &self.0
    }
}

/// A view as a JSON body, its keys sorted as every answer's always have been
/// ([`coinswarm_api::views::to_json`]).
fn json_body<T: serde::Serialize>(view: &T) -> axum::Json<serde_json::Value> {
    axum::Json(coinswarm_api::views::to_json(view))
}

/// Every route of the [route table](coinswarm_api::routes::ROUTES), with the body limit and
/// JSON fallbacks for unknown routes and methods. `/mcp` is served when MCP is enabled.
pub fn router(state: AppState) -> Router {
    let body_limit = state.config.limits.max_body_bytes;
    let mut router = Router::new();
    for route in ROUTES {
        if let Some(handler) = handler(route) {
            router = router.route(route.path, handler);
        }
    }
    if state.config.mcp.enabled {
        let (service, sessions) = mcp_http::service(&state);
        let mcp = tower::ServiceBuilder::new()
            .layer(axum::middleware::from_fn_with_state((state.clone(), sessions), mcp_http::authenticate))
            .service(service);
        router = router.route_service("/mcp", mcp);
    }
    router = router
        .route(coinswarm_api::edge::AGENT_BACKTEST_PATH, axum::routing::post(agent_tier::backtest))
        .route(coinswarm_api::edge::AGENT_SIMILAR_PATH, axum::routing::post(agent_tier::similar))
        .route(coinswarm_api::edge::AGENT_PREDICTIONS_PATH, axum::routing::post(agent_tier::predictions))
        // The dashboard's own assets: served by `up` only (the edge serves no dashboard).
        .route(dashboard::SCRIPT_PATH, axum::routing::get(dashboard::script))
        .route(dashboard::CHART_LIBRARY_PATH, axum::routing::get(dashboard::chart_library))
        .route(dashboard::CHART_LIBRARY_LICENCE_PATH, axum::routing::get(dashboard::chart_library_licence));
    router
        .fallback(ops::unknown_route)
        .method_not_allowed_fallback(ops::method_not_allowed)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn_with_state(state.clone(), body_deadline::read_body))
        .layer(axum::middleware::from_fn_with_state(state.clone(), observe::record))
        .with_state(state)
}

/// The handler of a route; `None` for `/mcp`, a service of its own (every method).
fn handler(route: &Route) -> Option<MethodRouter<AppState>> {
    let method = match route.method {
        Method::Get => MethodFilter::GET,
        Method::Post => MethodFilter::POST,
        Method::Delete => MethodFilter::DELETE,
    };
    Some(match route.operation {
        Operation::Dashboard => on(method, dashboard::page),
        Operation::Liveness => on(method, ops::healthz),
        Operation::Readiness => on(method, ops::readyz),
        Operation::Metrics => on(method, observe::metrics),
        Operation::OpenApi => on(method, openapi::openapi),
        Operation::ListProducts => on(method, market::products),
        Operation::GetMarketData => on(method, market::market_data),
        Operation::GetCandles => on(method, market::candles),
        Operation::ListAccounts => on(method, accounts::list),
        Operation::GetAccount => on(method, accounts::one),
        Operation::ListTrades => on(method, accounts::trades),
        Operation::PlaceOrder => on(method, orders::place),
        Operation::ListOrders => on(method, orders::list),
        Operation::PreviewOrder => on(method, orders::preview),
        Operation::GetOrderAudit => on(method, orders::audit),
        Operation::GetOrder => on(method, orders::one),
        Operation::CancelOrder => on(method, orders::cancel),
        Operation::GetPrediction => on(method, swarm::prediction),
        Operation::GetAnalytics => on(method, analytics::query),
        Operation::GetSwarm => on(method, swarm::state),
        Operation::ListDecisions => on(method, swarm::decisions),
        Operation::GetMemory => on(method, memory::summary),
        Operation::ListPatterns => on(method, memory::patterns),
        Operation::FindSimilar => on(method, memory::similar),
        Operation::ChangePattern => on(method, memory::change_pattern),
        Operation::ShutdownSwarm => on(method, swarm::shutdown),
        Operation::ResumeSwarm => on(method, swarm::resume),
        Operation::ResetDrawdown => on(method, swarm::reset_drawdown),
        Operation::Stream => on(method, stream::upgrade),
        Operation::Mcp | Operation::McpEvents | Operation::McpEndSession => return None,
    })
}
