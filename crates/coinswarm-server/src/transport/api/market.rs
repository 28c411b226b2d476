//! Public market endpoints over [`crate::desk`]: products, market data (through the `Kv`
//! cache) and candles.

use super::error::ApiError;
use super::{AppState, json_body};
use crate::desk;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use coinswarm_api::query::{CandleQuery, ProductQuery};
use serde_json::Value;

pub async fn products(State(state): State<AppState>) -> Json<Value> {
    json_body(&desk::products(&state))
}

pub async fn market_data(
    State(state): State<AppState>,
    query: Result<Query<ProductQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query?;
    let body = desk::market_data(&state, &query.product_id)?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

pub async fn candles(
    State(state): State<AppState>,
    query: Result<Query<CandleQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = query?;
    let candles = desk::candles(&state, &q.product_id, q.granularity.as_deref(), q.start.as_deref(), q.end.as_deref())?;
    Ok(json_body(&candles))
}
