//! MCP, the same on every host: the desk's tools, resources and prompts ([`catalogue`]),
//! their parameters ([`params`]), and what a call does ([`dispatch`]) over a host's services
//! ([`McpHost`]): `coinswarm up` serves it from its desk, the edge from its account objects
//! and caches. Both answer with rmcp's protocol types, the same scopes and the same errors.

pub mod catalogue;
pub mod dispatch;
mod host;
pub mod params;

pub use host::{McpHost, McpOrigin};

use crate::Failure;
use rmcp::ErrorData;
use rmcp::model::{CallToolResult, ContentBlock, ErrorCode};
use serde_json::{Value, json};

/// The JSON-RPC error code for a caller without the right key or scope.
pub const UNAUTHORISED: ErrorCode = ErrorCode(-32001);
/// The JSON-RPC error code for a service that cannot answer now (warming up, stopped).
pub const UNAVAILABLE: ErrorCode = ErrorCode(-32003);

/// An API error as an MCP error: input the caller can fix is `invalid_params` (-32602), a
/// missing scope -32001, an unknown resource `resource_not_found` (-32002), and a service
/// that cannot answer now -32003; `data` carries the stable code and the HTTP status the
/// REST API gives for the same failure, and `retry_after_secs` when REST sends `Retry-After`
/// (every 503: a warm-up's says when it will be ready).
pub fn mcp_error(error: Failure) -> ErrorData {
    let mut data = json!({"code": error.code, "http_status": error.status});
    if let Some(secs) = error.retry_after_secs() {
        data["retry_after_secs"] = json!(secs);
    }
    let data = Some(data);
    let code = match error.status {
        401 | 403 => UNAUTHORISED,
        503 => UNAVAILABLE,
        500.. => ErrorCode::INTERNAL_ERROR,
        _ => ErrorCode::INVALID_PARAMS,
    };
    ErrorData::new(code, format!("{}: {}", error.code, error.message), data)
}

/// A tool's answer: a one-line summary, then the JSON, and the JSON as structured content.
pub fn answer(summary: String, value: Value) -> CallToolResult {
    let json_text = value.to_string();
    let mut result = CallToolResult::structured(value);
    result.content = vec![ContentBlock::text(summary), ContentBlock::text(json_text)];
    result
}
