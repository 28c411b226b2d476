//! Accounts and their fills over [`crate::desk`]: a key sees its own account (admin keys
//! see every account); an account the caller may not see is answered exactly like one that
//! does not exist.

use super::auth::Caller;
use super::error::ApiError;
use super::{AppState, json_body};
use crate::desk;
use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use coinswarm_api::query::TradesQuery;
use serde_json::Value;

pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    Ok(json_body(&desk::accounts(&state, desk::Permit::check(&caller.0)?).await?))
}

pub async fn one(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, ApiError> {
    let permit = desk::Permit::check(&caller.0)?;
    let Path(id) = path?;
    Ok(json_body(&desk::account(&state, permit, Some(&id)).await?))
}

/// Recent fills of the caller's account, newest first (default 100, at most 1000).
pub async fn trades(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<TradesQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let permit = desk::Permit::check(&caller.0)?;
    let Query(query) = query?;
    Ok(json_body(&desk::trades(&state, permit, query.product_id.as_deref(), query.limit).await?))
}
