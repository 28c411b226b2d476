//! Liveness, readiness and the JSON answers for unknown routes and methods.

use super::AppState;
use super::error::ApiError;
use axum::Json;
use axum::extract::State;
use axum::http::{Method, Uri};
use coinswarm_api::views::Health;
use coinswarm_api::{ErrorCode, Failure, RetryAfter};

pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// Ready once the feed has delivered a first quote (the market has prices).
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    if state.board.last_quotes().is_empty() {
        let due = RetryAfter::millis(state.bar_interval_ms());
        return Err(Failure::unavailable(
            format!("waiting for the first market data, due within a bar (about {due})"),
            due,
        )
        .into());
    }
    Ok(Json(Health { status: "ready" }))
}

pub async fn unknown_route(uri: Uri) -> ApiError {
    ApiError(Failure::not_found(format!("no route {}", uri.path())))
}

pub async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError(Failure::new(ErrorCode::MethodNotAllowed, format!("{method} is not allowed on {}", uri.path())))
}
