//! The REST API: thin handlers over the sessions, the market board and the stores.

mod accounts;
mod analytics;
mod auth;
mod body_deadline;
mod budget;
mod dashboard;
mod error;
mod key_guard;
mod market;
mod memory;
mod observe;
mod openapi;
mod ops;
mod orders;
mod stream;
mod swarm;

use crate::app::AppParts;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use std::ops::Deref;
use std::sync::Arc;

pub use auth::{Caller, peer_ip, refusal_error};
pub use error::ApiError;
pub use key_guard::{KEY_CACHE, KeyGuard, Refusal};

/// What every handler reads.
#[derive(Debug, Clone)]
pub struct AppState(pub Arc<AppParts>);

impl Deref for AppState {
    type Target = AppParts;

    fn deref(&self) -> &AppParts {
        &self.0
    }
}

/// Every route, with the body limit and JSON fallbacks for unknown routes and methods.
pub fn router(state: AppState) -> Router {
    let body_limit = state.config.limits.max_body_bytes;
    let mut router = Router::new();
    if state.config.mcp.enabled {
        let (service, sessions) = crate::mcp::http::service(&state);
        let mcp = tower::ServiceBuilder::new()
            .layer(axum::middleware::from_fn_with_state((state.clone(), sessions), crate::mcp::http::authenticate))
            .service(service);
        router = router.route_service("/mcp", mcp);
    }
    router
        .route("/", get(dashboard::page))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(observe::metrics))
        .route("/api/openapi.json", get(openapi::openapi))
        .route("/api/products", get(market::products))
        .route("/api/market-data", get(market::market_data))
        .route("/api/candles", get(market::candles))
        .route("/api/accounts", get(accounts::list))
        .route("/api/accounts/{id}", get(accounts::one))
        .route("/api/trades", get(accounts::trades))
        .route("/api/orders", post(orders::place).get(orders::list))
        .route("/api/orders/preview", post(orders::preview))
        .route("/api/orders/audit", get(orders::audit))
        .route("/api/orders/{id}", get(orders::one).delete(orders::cancel))
        .route("/api/predictions", get(swarm::prediction))
        .route("/api/analytics", get(analytics::query))
        .route("/api/swarm", get(swarm::state))
        .route("/api/decisions", get(swarm::decisions))
        .route("/api/memory", get(memory::summary))
        .route("/api/memory/patterns", get(memory::patterns))
        .route("/api/memory/similar", get(memory::similar))
        .route("/api/memory/patterns/change", post(memory::change_pattern))
        .route("/api/swarm/shutdown", post(swarm::shutdown))
        .route("/api/swarm/resume", post(swarm::resume))
        .route("/stream", get(stream::upgrade))
        .fallback(ops::unknown_route)
        .method_not_allowed_fallback(ops::method_not_allowed)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn_with_state(state.clone(), body_deadline::read_body))
        .layer(axum::middleware::from_fn_with_state(state.clone(), observe::record))
        .with_state(state)
}
