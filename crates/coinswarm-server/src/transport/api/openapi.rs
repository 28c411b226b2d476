//! `GET /api/openapi.json`: the OpenAPI 3.1 document of the API contract
//! ([`coinswarm_api::openapi`]), generated once.

use axum::Json;
use serde_json::Value;
use std::sync::OnceLock;

pub async fn openapi() -> Json<Value> {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    Json(DOCUMENT.get_or_init(|| coinswarm_api::openapi::document_json(env!("CARGO_PKG_VERSION"))).clone())
}
