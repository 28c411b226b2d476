//! The body-read deadline: a request's body must arrive whole within
//! `connections.body_read_timeout_ms` of its head, or the request is answered 408 and its
//! connection closed. A client trickling a body byte by byte cannot hold a connection (and a
//! handler waiting on it) open. Bodies are read here, within `limits.max_body_bytes`, and
//! handed on whole; they are small JSON documents every handler reads whole anyway.

use super::AppState;
use super::error::ApiError;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use coinswarm_api::{ErrorCode, Failure};
use std::time::Duration;

pub async fn read_body(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let deadline = Duration::from_millis(state.config.connections.body_read_timeout_ms);
    let limit = state.config.limits.max_body_bytes;
    let bytes = match tokio::time::timeout(deadline, axum::body::to_bytes(body, limit)).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => {
            // Over the limit (the only way a buffered hyper body fails short of a broken
            // connection, which no answer reaches).
            let failure = Failure::new(ErrorCode::BodyTooLarge, format!("the request body exceeds {limit} bytes"));
            return ApiError(failure).into_response();
        }
        Err(_) => {
            let failure = Failure::new(
                ErrorCode::RequestTimeout,
                format!("the request body did not arrive within {} ms", deadline.as_millis()),
            );
            let mut response = ApiError(failure).into_response();
            response.headers_mut().insert(header::CONNECTION, header::HeaderValue::from_static("close"));
            return response;
        }
    };
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}
