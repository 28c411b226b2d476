//! Accounts and their fills: a key sees its own account (admin keys see every account); an
//! account the caller may not see is answered exactly like one that does not exist.

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, page_limit};
use super::market::product_filter;
use crate::keys::Scope;
use crate::session::SessionHandle;
use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use serde_json::{Value, json};

/// The session of an account the caller may see, or 404.
pub(super) async fn visible_session(
    state: &AppState,
    caller: &Caller,
    account_id: &str,
) -> Result<SessionHandle, ApiError> {
    if !caller.may_see(account_id) {
        return Err(ApiError::not_found(format!("no account {account_id}")));
    }
    state.session(account_id).await?.ok_or_else(|| ApiError::not_found(format!("no account {account_id}")))
}

pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::Read)?;
    let ids = if caller.0.allows(Scope::Admin) {
        state.store.accounts().await.map_err(|e| ApiError::unavailable(format!("{e:#}")))?
    } else {
        vec![caller.0.account_id.clone()]
    };
    let mut accounts = Vec::new();
    for id in ids {
        if let Some(session) = state.session(&id).await? {
            accounts.push(serde_json::to_value(&*session.view()).unwrap_or(Value::Null));
        }
    }
    Ok(Json(json!({"accounts": accounts})))
}

pub async fn one(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::Read)?;
    let Path(id) = path?;
    let session = visible_session(&state, &caller, &id).await?;
    Ok(Json(serde_json::to_value(&*session.view()).unwrap_or(Value::Null)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TradesQuery {
    product_id: Option<String>,
    limit: Option<usize>,
}

/// Recent fills of the caller's account, newest first (default 100, at most 1000).
pub async fn trades(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<TradesQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::Read)?;
    let Query(query) = query?;
    let limit = page_limit(query.limit, 100, 1000)?;
    let product = product_filter(&state, query.product_id.as_deref())?;
    let session = visible_session(&state, &caller, &caller.0.account_id).await?;
    let view = session.view();
    let fills: Vec<_> = view.fills.iter().filter(|f| product.is_none_or(|p| f.product_id == p)).take(limit).collect();
    Ok(Json(json!({"trades": fills})))
}
