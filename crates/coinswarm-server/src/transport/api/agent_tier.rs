//! The agent tier's API for the edge (`/internal/v1/…`): what only `up` can answer — the
//! swarm's predictions (many products in one call), a backtest on the bundled data, pattern
//! memory's search.
//! Each call needs the edge token (`[edge] token`, the Worker's `EDGE_TOKEN`) as a bearer,
//! compared in constant time; without an `[edge]` link the routes do not exist (404). The
//! answers are the MCP tools' own (the same functions), so a tool answers the same on both
//! hosts.

use super::AppState;
use super::error::ApiError;
use crate::desk;
use crate::transport::mcp::{find_similar, run_backtest};
use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::HeaderMap;
use coinswarm_api::access::check_operator_token;
use coinswarm_api::edge::{
    MAX_PREDICTIONS_PER_CALL, MAX_SIMILAR_PER_CALL, PredictionItem, PredictionsAnswer, PredictionsAsk, SimilarAnswer,
    SimilarAsk, SimilarItem,
};
use coinswarm_api::mcp::params::BacktestParams;
use coinswarm_api::{ErrorCode, Failure, RetryAfter};
use serde_json::Value;

/// 404 without an edge link; 401 unless the bearer is the edge token.
fn check_edge_token(state: &AppState, headers: &HeaderMap) -> Result<(), Failure> {
    let expected = &state.config.edge.token;
    if expected.is_empty() {
        return Err(Failure::not_found("no edge link: the agent tier's API is off (set [edge] url and token)"));
    }
    let header = headers.get(axum::http::header::AUTHORIZATION).and_then(|h| h.to_str().ok());
    check_operator_token(expected, header)
}

/// `POST /internal/v1/backtest`: MCP's `run_backtest`, within `mcp.max_backtest_bars` and
/// `mcp.backtest_timeout_ms`.
pub async fn backtest(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<BacktestParams>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    check_edge_token(&state, &headers)?;
    let Json(params) = body?;
    Ok(Json(run_backtest(&state.desk, params).await?))
}

/// `POST /internal/v1/similar`: MCP's `find_similar_patterns` for each market state asked,
/// in the order asked.
pub async fn similar(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<SimilarAsk>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    check_edge_token(&state, &headers)?;
    let Json(ask) = body?;
    if ask.asks.is_empty() || ask.asks.len() > MAX_SIMILAR_PER_CALL {
        return Err(Failure::new(
            ErrorCode::InvalidBody,
            format!("asks must hold 1 to {MAX_SIMILAR_PER_CALL} searches, not {}", ask.asks.len()),
        )
        .into());
    }
    let mut answers = Vec::with_capacity(ask.asks.len());
    for params in ask.asks {
        answers.push(match find_similar(&state.desk, params).await {
            Ok(similar) => SimilarItem { similar: Some(similar), error: None, status: None },
            Err(failure) => SimilarItem { similar: None, status: Some(failure.status), error: Some(failure.body()) },
        });
    }
    Ok(Json(coinswarm_api::views::to_json(&SimilarAnswer { answers })))
}

/// `POST /internal/v1/predictions`: each product's prediction as `GET /api/predictions`
/// answers it to a caller without a key (or its refusal), in the order asked.
pub async fn predictions(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<PredictionsAsk>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    check_edge_token(&state, &headers)?;
    let Json(ask) = body?;
    if ask.product_ids.is_empty() || ask.product_ids.len() > MAX_PREDICTIONS_PER_CALL {
        return Err(Failure::new(
            ErrorCode::InvalidBody,
            format!("product_ids must name 1 to {MAX_PREDICTIONS_PER_CALL} products, not {}", ask.product_ids.len()),
        )
        .into());
    }
    let predictions = ask
        .product_ids
        .into_iter()
        .map(|product_id| {
            let answer = desk::prediction(&state.desk, None, &product_id).and_then(|body| {
                serde_json::from_slice::<Value>(&body)
                    .map_err(|e| Failure::unavailable(e.to_string(), RetryAfter::FAULT))
            });
            match answer {
                Ok(prediction) => {
                    PredictionItem { product_id, prediction: Some(prediction), error: None, status: None }
                }
                Err(failure) => PredictionItem {
                    product_id,
                    prediction: None,
                    status: Some(failure.status),
                    error: Some(failure.body()),
                },
            }
        })
        .collect();
    Ok(Json(coinswarm_api::views::to_json(&PredictionsAnswer { predictions })))
}
