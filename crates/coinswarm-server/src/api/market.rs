//! Public market endpoints: products, market data (through the `Kv` cache) and candles.

use super::AppState;
use super::error::ApiError;
use crate::store::Kv;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use coinswarm_core::market::{Granularity, ProductId};
use coinswarm_core::time::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;

/// Most candles one request returns (Coinbase's page size).
const MAX_CANDLES: usize = 350;

pub async fn products(State(state): State<AppState>) -> Json<Value> {
    let products: Vec<Value> = state
        .board
        .products()
        .iter()
        .map(|p| {
            json!({
                "product_id": p.product_id,
                "base_currency": p.base(),
                "quote_currency": p.quote(),
                "base_increment": p.base_increment,
                "quote_increment": p.quote_increment,
                "base_min_size": p.base_min_size,
                "base_max_size": p.base_max_size,
                "quote_min_size": p.quote_min_size,
            })
        })
        .collect();
    Json(json!({"products": products}))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductQuery {
    product_id: String,
}

/// Parses a product id and checks it is listed.
pub(super) fn listed_product(state: &AppState, text: &str) -> Result<ProductId, ApiError> {
    let product_id: ProductId =
        text.parse().map_err(|e| ApiError::bad_request("INVALID_PRODUCT_ID", format!("product_id '{text}': {e}")))?;
    ensure_listed(state, product_id)
}

/// An optional `product_id` query filter: `None`, or a listed product.
pub(super) fn product_filter(state: &AppState, text: Option<&str>) -> Result<Option<ProductId>, ApiError> {
    text.map(|p| listed_product(state, p)).transpose()
}

/// The product, if the feed lists it; 404 otherwise.
pub(super) fn ensure_listed(state: &AppState, product_id: ProductId) -> Result<ProductId, ApiError> {
    if !state.board.products().iter().any(|p| p.product_id == product_id) {
        return Err(ApiError::not_found(format!("product {product_id} is not listed")));
    }
    Ok(product_id)
}

pub async fn market_data(
    State(state): State<AppState>,
    query: Result<Query<ProductQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query?;
    let product_id = listed_product(&state, &query.product_id)?;
    let key = format!("market-data:{product_id}");
    let body = match state.kv.get(&key) {
        Some(body) => body,
        None => {
            let data =
                state.board.market_data(product_id).ok_or_else(|| ApiError::unavailable("no market data yet"))?;
            let body = bytes::Bytes::from(serde_json::to_vec(&data).map_err(|e| ApiError::unavailable(e.to_string()))?);
            state.kv.put(&key, body.clone(), Duration::from_millis(state.config.cache.market_data_ttl_ms));
            body
        }
    };
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CandleQuery {
    product_id: String,
    granularity: Option<String>,
    start: Option<String>,
    end: Option<String>,
}

pub async fn candles(
    State(state): State<AppState>,
    query: Result<Query<CandleQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(query) = query?;
    let product_id = listed_product(&state, &query.product_id)?;
    let granularity = state.board.granularity();
    if let Some(asked) = &query.granularity {
        let asked: Granularity = asked
            .parse()
            .map_err(|e| ApiError::bad_request("INVALID_GRANULARITY", format!("granularity '{asked}': {e}")))?;
        if asked != granularity {
            return Err(ApiError::bad_request(
                "UNSUPPORTED_GRANULARITY",
                format!("the feed replays {granularity} bars; ask for that granularity"),
            ));
        }
    }
    let time = |text: &Option<String>, name: &str, default: i64, end: bool| -> Result<i64, ApiError> {
        match text {
            None => Ok(default),
            Some(text) => {
                let parsed = if end { Timestamp::parse_inclusive_end(text) } else { Timestamp::parse(text) };
                parsed
                    .map(|t| t.millis())
                    .map_err(|e| ApiError::bad_request("INVALID_TIME", format!("{name} '{text}': {e}")))
            }
        }
    };
    let start = time(&query.start, "start", i64::MIN, false)?;
    let end = time(&query.end, "end", i64::MAX, true)?;
    if start > end {
        return Err(ApiError::bad_request("INVALID_TIME", "start is after end"));
    }
    let candles = state.board.candles(product_id, start, end, MAX_CANDLES).unwrap_or_default();
    Ok(Json(json!({"product_id": product_id, "granularity": granularity, "candles": candles})))
}
