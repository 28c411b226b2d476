//! The swarm: its state, its current prediction (cached) and the admin controls.

use super::auth::Caller;
use super::error::ApiError;
use super::{AppState, json_body};
use crate::desk::{self, DECISIONS_PAGE};
use crate::session::OrderOrigin;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use coinswarm_api::query::{DecisionsQuery, ProductQuery};
use serde_json::Value;

/// Public; in live mode the swarm's account shows only with a key that may read it.
pub async fn state(State(state): State<AppState>, caller: Option<Caller>) -> Result<Json<Value>, ApiError> {
    Ok(json_body(&desk::swarm_state(&state, caller.as_ref().map(|c| &c.0))?))
}

/// Public; in live mode the account's figures in the decision show only with a key that may
/// read the swarm's account.
pub async fn prediction(
    State(state): State<AppState>,
    caller: Option<Caller>,
    query: Result<Query<ProductQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query?;
    let body = desk::prediction(&state, caller.as_ref().map(|c| &c.0), &query.product_id)?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

async fn set_halted(state: &AppState, caller: &Caller, halted: bool) -> Result<Json<Value>, ApiError> {
    let origin = OrderOrigin { channel: "rest", key_id: caller.0.id.clone(), client: None, tool: None };
    Ok(json_body(&desk::set_swarm_halted(state, desk::Permit::check(&caller.0)?, halted, origin).await?))
}

/// Admin.
pub async fn shutdown(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    set_halted(&state, &caller, true).await
}

/// Admin, and in live mode the `live` scope too.
pub async fn resume(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    set_halted(&state, &caller, false).await
}

/// Admin, and in live mode the `live` scope too.
pub async fn reset_drawdown(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    let origin = OrderOrigin { channel: "rest", key_id: caller.0.id.clone(), client: None, tool: None };
    let permit = desk::Permit::check(&caller.0)?;
    Ok(json_body(&desk::reset_drawdown_peak(&state, permit, origin).await?))
}

/// The swarm's latest decision records, newest first (default 50, at most 500). Public; in
/// live mode the account's figures show only with a key that may read the swarm's account.
pub async fn decisions(
    State(state): State<AppState>,
    caller: Option<Caller>,
    query: Result<Query<DecisionsQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(query) = query?;
    let limit = DECISIONS_PAGE.limit(query.limit)?;
    Ok(json_body(&desk::decisions(&state, caller.as_ref().map(|c| &c.0), limit).await?))
}
