//! Orders of the caller's account: place (Coinbase-shaped body, `client_order_id`
//! idempotent), list, get and cancel, over [`crate::desk`]. An order passes the account's
//! order guard and is acknowledged only once its events are durably stored.

use super::auth::Caller;
use super::error::ApiError;
use super::{AppState, json_body};
use crate::desk;
use crate::session::OrderOrigin;
use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use coinswarm_api::query::{AuditQuery, OrdersQuery};
use coinswarm_api::views;
use coinswarm_core::exchange::OrderRequest;
use serde_json::Value;

pub async fn place(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<OrderRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let permit = desk::Permit::check(&caller.0)?;
    let Json(request) = body?;
    let origin = OrderOrigin { channel: "rest", key_id: caller.0.id.clone(), client: None, tool: None };
    let order = desk::place(&state, permit, request, origin).await?;
    Ok((StatusCode::CREATED, json_body(&views::OrderChanged { order, success: true })))
}

/// Every check of `POST /api/orders` (exchange rules, balance, oversight, breaker) and the
/// fee estimate, placing nothing.
pub async fn preview(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<OrderRequest>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let permit = desk::Permit::check(&caller.0)?;
    let Json(request) = body?;
    let preview = desk::preview(&state, permit, request).await?;
    Ok(json_body(&views::Preview { preview }))
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<OrdersQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let permit = desk::Permit::check(&caller.0)?;
    let Query(query) = query?;
    let orders =
        desk::orders(&state, permit, query.status.as_deref(), query.product_id.as_deref(), query.limit).await?;
    Ok(json_body(&orders))
}

pub async fn one(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, ApiError> {
    let permit = desk::Permit::check(&caller.0)?;
    let Path(id) = path?;
    let order = desk::order(&state, permit, &id).await?;
    Ok(json_body(&views::OrderView { order }))
}

pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, ApiError> {
    let permit = desk::Permit::check(&caller.0)?;
    let Path(id) = path?;
    let origin = OrderOrigin { channel: "rest", key_id: caller.0.id.clone(), client: None, tool: None };
    let order = desk::cancel(&state, permit, &id, origin).await?;
    Ok(json_body(&views::OrderChanged { order, success: true }))
}

/// Who placed and cancelled the caller's orders (REST or MCP: key, client, tool) and the
/// outcome of each, newest first.
pub async fn audit(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let permit = desk::Permit::check(&caller.0)?;
    let Query(query) = query?;
    Ok(json_body(&desk::order_audit(&state, permit, query.limit).await?))
}
