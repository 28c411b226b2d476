//! The swarm: its state, its current prediction (cached) and the admin controls.

use super::AppState;
use super::auth::Caller;
use super::error::ApiError;
use crate::desk::{self, page_limit};
use crate::keys::Scope;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

/// Public; in live mode the swarm's account shows only with a key that may read it.
pub async fn state(State(state): State<AppState>, caller: Option<Caller>) -> Result<Json<Value>, ApiError> {
    Ok(Json(desk::swarm_state(&state, caller.as_ref().map(|c| &c.0))?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PredictionQuery {
    product_id: String,
}

pub async fn prediction(
    State(state): State<AppState>,
    query: Result<Query<PredictionQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query?;
    let body = desk::prediction(&state, &query.product_id)?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

async fn set_halted(state: &AppState, caller: &Caller, halted: bool) -> Result<Json<Value>, ApiError> {
    desk::require(&caller.0, Scope::Admin)?;
    let session = state.swarm_session().ok_or_else(|| ApiError::unavailable("the swarm is not running"))?;
    session.halt(halted).await.map_err(|e| ApiError::unavailable(e.to_string()))?;
    Ok(Json(json!({"success": true, "halted": halted})))
}

pub async fn shutdown(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    set_halted(&state, &caller, true).await
}

pub async fn resume(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    set_halted(&state, &caller, false).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionsQuery {
    limit: Option<usize>,
}

/// The swarm's latest decision records, newest first (default 50, at most 500).
pub async fn decisions(
    State(state): State<AppState>,
    query: Result<Query<DecisionsQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(query) = query?;
    let limit = page_limit(query.limit, 50, 500)?;
    let lines = state
        .store
        .recent_decisions(crate::app::SWARM_ACCOUNT, limit as u32)
        .await
        .map_err(|e| ApiError::unavailable(format!("{e:#}")))?;
    let decisions: Vec<Value> = lines.iter().filter_map(|line| serde_json::from_str(line).ok()).collect();
    Ok(Json(json!({"decisions": decisions})))
}
