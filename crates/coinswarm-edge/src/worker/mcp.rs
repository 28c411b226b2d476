//! MCP at the edge: `/mcp` over Streamable HTTP, stateless. Each `POST` carries one
//! JSON-RPC message and is answered with one JSON body (no server-sent stream: `GET` and
//! `DELETE` answer 405, which MCP clients take as "no stream", "nothing to end"). The desk
//! is `coinswarm_api::mcp`, the same tools, resources, prompts, scopes and errors as
//! `coinswarm up`'s `/mcp`, each call answered by [`EdgeHost`] from the account's object,
//! the hub or the caches.
//!
//! Every request needs a bearer key, checked as the REST API checks it (401, rate limit).
//! The session id `initialize` hands out holds no server state: it carries the key's id and
//! the client's name (its `clientInfo`), so later calls are recorded in the audit log with
//! the client as `up` records them. A session id naming another key, or none of ours, is
//! answered 404 `MCP_SESSION_NOT_FOUND`, as `up` answers a session it does not hold.

use super::auth;
use super::http::{self, Answer};
use super::mcp_host::EdgeHost;
use super::meter::Meter;
use coinswarm_api::access::ApiKey;
use coinswarm_api::mcp::{catalogue, dispatch};
use coinswarm_api::{ErrorCode, Failure, RetryAfter, body};
use rmcp::ErrorData;
use rmcp::model::{
    ClientJsonRpcMessage, ClientRequest, ErrorCode as JsonRpcCode, ListPromptsResult, ListResourceTemplatesResult,
    ListResourcesResult, ListToolsResult, ProtocolVersion, ServerJsonRpcMessage, ServerResult,
};
use serde::{Deserialize, Serialize};
use worker::{Env, Headers, Request, Response};

/// The header naming a request's MCP session.
const SESSION_HEADER: &str = "mcp-session-id";
/// The prefix of this edge's session ids (their version).
const SESSION_PREFIX: &str = "cs1-";

/// What a session id carries: whose it is, and the client that opened it.
#[derive(Debug, Serialize, Deserialize)]
struct Session {
    key: String,
    client: String,
}

fn encode_session(session: &Session) -> String {
    let json = serde_json::to_vec(session).unwrap_or_default();
    let hex: String = json.iter().map(|b| format!("{b:02x}")).collect();
    format!("{SESSION_PREFIX}{hex}")
}

/// The session `id` names, if it is one of ours and belongs to `key`.
fn open_session(id: &str, key: &ApiKey) -> Result<Session, Failure> {
    let not_found = || {
        Failure::new(
            ErrorCode::McpSessionNotFound,
            "no MCP session with this id for this API key: initialize a new one",
        )
    };
    let hex = id.strip_prefix(SESSION_PREFIX).ok_or_else(not_found)?;
    if hex.len() % 2 != 0 || hex.len() > 2048 {
        return Err(not_found());
    }
    let bytes: Option<Vec<u8>> =
        (0..hex.len()).step_by(2).map(|i| hex.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok())).collect();
    let session: Session = bytes.and_then(|b| serde_json::from_slice(&b).ok()).ok_or_else(not_found)?;
    if session.key != key.id {
        return Err(not_found());
    }
    Ok(session)
}

/// `POST /mcp`: one JSON-RPC message, answered as JSON (202 for a notification).
pub async fn post(mut req: Request, env: &Env, meter: &Meter) -> Answer {
    let key = auth::caller(&req, env, meter).await?;
    let session = match req.headers().get(SESSION_HEADER).ok().flatten() {
        Some(id) => Some(open_session(&id, &key)?),
        None => None,
    };
    let bytes = req.bytes().await.map_err(http::unavailable)?;
    if bytes.len() > body::MAX_BODY_BYTES {
        return Err(Failure::new(ErrorCode::BodyTooLarge, "length limit exceeded"));
    }
    let message: ClientJsonRpcMessage = match serde_json::from_slice(&bytes) {
        Ok(message) => message,
        // The API's own envelope, as for any body that is not JSON of the right shape.
        Err(e) => return Err(Failure::new(ErrorCode::MalformedJson, format!("not a JSON-RPC message: {e}"))),
    };
    let ClientJsonRpcMessage::Request(request) = message else {
        // Notifications (`notifications/initialized`, cancellations) and answers need none.
        return Ok(Response::empty().map_err(http::unavailable)?.with_status(202));
    };
    let host = EdgeHost { env, meter };
    let client = session.map(|s| s.client);
    let (result, opened) = respond(&host, &key, client, request.request).await;
    let message = match result {
        Ok(result) => ServerJsonRpcMessage::response(result, request.id),
        Err(error) => ServerJsonRpcMessage::error(error, Some(request.id)),
    };
    reply(&message, opened.as_ref().map(encode_session))
}

/// `GET /mcp` (a server-sent stream) and `DELETE /mcp` (ending a session): this edge holds
/// neither, and says so with 405 once the key is checked.
pub async fn not_held(req: Request, env: &Env, meter: &Meter) -> Answer {
    auth::caller(&req, env, meter).await?;
    let what = if req.method() == worker::Method::Get { "a server-sent stream" } else { "sessions to end" };
    Err(Failure::new(
        ErrorCode::MethodNotAllowed,
        format!("the edge's MCP is stateless: it holds no {what}; POST each request to /mcp"),
    ))
}

/// The answer to one request, and the session `initialize` opened.
async fn respond(
    host: &EdgeHost<'_>,
    key: &ApiKey,
    client: Option<String>,
    request: ClientRequest,
) -> (Result<ServerResult, ErrorData>, Option<Session>) {
    use coinswarm_api::mcp::McpHost;
    let result = match request {
        ClientRequest::InitializeRequest(initialize) => {
            let asked = initialize.params.protocol_version;
            let mut info = catalogue::server_info(env!("CARGO_PKG_VERSION"), host.live_account().as_deref());
            info.protocol_version = if asked.has_initialize() && ProtocolVersion::KNOWN_VERSIONS.contains(&asked) {
                asked
            } else {
                ProtocolVersion::LATEST_WITH_INITIALIZE
            };
            let client = initialize.params.client_info;
            let session = Session { key: key.id.clone(), client: format!("{} {}", client.name, client.version) };
            return (Ok(ServerResult::InitializeResult(info)), Some(session));
        }
        ClientRequest::PingRequest(_) => Ok(ServerResult::empty(())),
        ClientRequest::ListToolsRequest(_) => {
            Ok(ServerResult::ListToolsResult(ListToolsResult::with_all_items(catalogue::tools_for(key))))
        }
        ClientRequest::CallToolRequest(call) => {
            dispatch::call_tool(host, key, client, call.params).await.map(ServerResult::CallToolResult)
        }
        ClientRequest::ListResourcesRequest(_) => {
            Ok(ServerResult::ListResourcesResult(ListResourcesResult::with_all_items(catalogue::resources())))
        }
        ClientRequest::ListResourceTemplatesRequest(_) => Ok(ServerResult::ListResourceTemplatesResult(
            ListResourceTemplatesResult::with_all_items(catalogue::resource_templates()),
        )),
        ClientRequest::ReadResourceRequest(read) => {
            dispatch::read_resource(host, key, &read.params.uri).await.map(ServerResult::ReadResourceResult)
        }
        ClientRequest::ListPromptsRequest(_) => {
            Ok(ServerResult::ListPromptsResult(ListPromptsResult::with_all_items(catalogue::prompts())))
        }
        ClientRequest::GetPromptRequest(get) => {
            dispatch::get_prompt(host, key, &get.params).await.map(ServerResult::GetPromptResult)
        }
        other => Err(ErrorData::new(
            JsonRpcCode::METHOD_NOT_FOUND,
            format!("the edge's MCP does not serve '{}'", other.method()),
            None,
        )),
    };
    (result, None)
}

fn reply(message: &ServerJsonRpcMessage, session: Option<String>) -> Answer {
    let text = serde_json::to_string(message).map_err(|e| Failure::unavailable(e.to_string(), RetryAfter::FAULT))?;
    let headers = Headers::new();
    headers.set("content-type", "application/json").map_err(http::unavailable)?;
    if let Some(session) = session {
        headers.set(SESSION_HEADER, &session).map_err(http::unavailable)?;
    }
    Ok(Response::ok(text).map_err(http::unavailable)?.with_headers(headers))
}
