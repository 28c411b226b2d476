//! Liveness, readiness and the JSON answers for unknown routes and methods.

use super::AppState;
use super::error::ApiError;
use axum::Json;
use axum::extract::State;
use axum::http::{Method, StatusCode, Uri};
use serde_json::{Value, json};

pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// Ready once the feed has delivered a first quote (the market has prices).
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    if state.board.last_quotes().is_empty() {
        return Err(ApiError::unavailable("waiting for the first market data"));
    }
    Ok(Json(json!({"status": "ready"})))
}

pub async fn unknown_route(uri: Uri) -> ApiError {
    ApiError::not_found(format!("no route {}", uri.path()))
}

pub async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        format!("{method} is not allowed on {}", uri.path()),
    )
}
