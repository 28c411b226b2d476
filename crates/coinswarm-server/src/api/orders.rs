//! Orders of the caller's account: place (Coinbase-shaped body, `client_order_id`
//! idempotent), list, get and cancel. An order is acknowledged only once its events are
//! durably stored.

use super::AppState;
use super::accounts::visible_session;
use super::auth::Caller;
use super::error::{ApiError, page_limit};
use super::market::{ensure_listed, product_filter};
use crate::keys::Scope;
use crate::session::SessionError;
use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use coinswarm_core::exchange::{Order, OrderId, OrderRequest, OrderStatus, Rejection};
use serde::Deserialize;
use serde_json::{Value, json};

fn session_error(error: SessionError) -> ApiError {
    match error {
        SessionError::Rejected(rejection) => rejected(&rejection),
        other => ApiError::unavailable(other.to_string()),
    }
}

fn rejected(rejection: &Rejection) -> ApiError {
    let status = match rejection {
        Rejection::UnknownOrder(_) => StatusCode::NOT_FOUND,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    ApiError::new(status, rejection.code(), rejection.to_string())
}

pub async fn place(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<OrderRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.require(Scope::Trade)?;
    let Json(request) = body?;
    ensure_listed(&state, request.product_id)?;
    let session = visible_session(&state, &caller, &caller.0.account_id).await?;
    let started = std::time::Instant::now();
    let order = session.submit(request).await.map_err(session_error)?;
    let ack_ms = started.elapsed().as_secs_f64() * 1000.0;
    let now = crate::app::now_ms();
    state.analytics.record("order_ack_ms", "", now, ack_ms);
    Ok((StatusCode::CREATED, Json(json!({"success": true, "order": order}))))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrdersQuery {
    status: Option<String>,
    product_id: Option<String>,
    limit: Option<usize>,
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<OrdersQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::Read)?;
    let Query(query) = query?;
    let limit = page_limit(query.limit, 100, 1000)?;
    let status: Option<OrderStatus> = query
        .status
        .as_deref()
        .map(|s| {
            serde_json::from_value(Value::String(s.to_ascii_uppercase()))
                .map_err(|_| ApiError::bad_request("INVALID_STATUS", format!("unknown order status '{s}'")))
        })
        .transpose()?;
    let product = product_filter(&state, query.product_id.as_deref())?;
    let session = visible_session(&state, &caller, &caller.0.account_id).await?;
    let view = session.view();
    let orders: Vec<&Order> = view
        .orders
        .iter()
        .filter(|o| status.is_none_or(|s| o.status == s) && product.is_none_or(|p| o.product_id == p))
        .take(limit)
        .collect();
    Ok(Json(json!({"orders": orders})))
}

fn order_id(path: Result<Path<String>, PathRejection>) -> Result<OrderId, ApiError> {
    let Path(text) = path?;
    text.parse().map_err(|_| ApiError::bad_request("INVALID_ORDER_ID", format!("'{text}' is not an order id")))
}

pub async fn one(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::Read)?;
    let id = order_id(path)?;
    let session = visible_session(&state, &caller, &caller.0.account_id).await?;
    let view = session.view();
    let order =
        view.orders.iter().find(|o| o.order_id == id).ok_or_else(|| ApiError::not_found(format!("no order {id}")))?;
    Ok(Json(json!({"order": order})))
}

pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Scope::Trade)?;
    let id = order_id(path)?;
    let session = visible_session(&state, &caller, &caller.0.account_id).await?;
    if session.view().orders.get(id).is_none() {
        return Err(ApiError::not_found(format!("no order {id}")));
    }
    let order = session.cancel(id).await.map_err(session_error)?;
    Ok(Json(json!({"success": true, "order": order})))
}
