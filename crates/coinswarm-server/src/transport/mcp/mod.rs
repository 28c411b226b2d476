//! The MCP server: Coinswarm as a trading desk for LLM agents, on the official Rust SDK
//! (`rmcp`). Two transports serve the same [`McpDesk`]: stdio (`coinswarm mcp`, the caller
//! fixed when it starts) and Streamable HTTP at `/mcp` on `up` ([`http`], a bearer API key
//! per request).
//!
//! Every tool is a thin layer over [`crate::desk`], the same functions the REST API calls:
//! the same scopes, the same validation, and orders down the same guarded path (the
//! account's order guard, then the matching engine, acknowledged once durable), recorded in
//! the account's decision log with the MCP client's name and the key. A key without the
//! `trade` scope sees and may call only the read-only tools. Accounts are paper, except the
//! swarm's in live mode (`--exchange coinbase-live`), which trades real money on Coinbase:
//! orders on it need a key with the `live` scope (checked in the desk, as for REST), and the
//! server's instructions and prompts say which the caller is trading.

mod prompts;
mod resources;
pub mod sessions;
mod tools;

use crate::adapters::keys::{ApiKey, Scope};
use crate::desk::Desk;
use crate::session::SWARM_ACCOUNT;
use coinswarm_api::Failure;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::tool::ToolCallContext;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, ContentBlock, ErrorCode, GetPromptRequestParams, GetPromptResponse,
    Implementation, ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult, ListToolsResult,
    PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::{Value, json};
use std::sync::Arc;

/// The JSON-RPC error code for a caller without the right key or scope.
pub const UNAUTHORISED: ErrorCode = ErrorCode(-32001);
/// The JSON-RPC error code for a service that cannot answer now (warming up, stopped).
pub const UNAVAILABLE: ErrorCode = ErrorCode(-32003);

/// The operator's tools: they need a key with the `admin` scope.
pub const ADMIN_TOOLS: [&str; 1] = ["reset_drawdown_peak"];

/// The caller of an HTTP request, put in the request's extensions by the REST API's `/mcp` binding.
#[derive(Debug, Clone)]
pub struct McpCaller(pub ApiKey);

/// One MCP server over the running services.
#[derive(Clone)]
pub struct McpDesk {
    desk: Arc<Desk>,
    /// The caller on stdio; over HTTP each request carries its own.
    local: Option<ApiKey>,
    tool_router: Arc<ToolRouter<Self>>,
}

impl std::fmt::Debug for McpDesk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McpDesk").field("local", &self.local).finish_non_exhaustive()
    }
}

impl McpDesk {
    /// A server whose every request comes from `caller` (stdio).
    pub fn local(desk: Arc<Desk>, caller: ApiKey) -> Self {
        Self { desk, local: Some(caller), tool_router: Arc::new(Self::tool_router()) }
    }

    /// A server whose requests each carry their caller (Streamable HTTP), sharing the
    /// tools' router built once.
    pub fn per_request(desk: Arc<Desk>, tool_router: Arc<ToolRouter<Self>>) -> Self {
        Self { desk, local: None, tool_router }
    }

    /// The key behind a request: the HTTP request's, else the stdio caller.
    fn caller(&self, cx: &RequestContext<RoleServer>) -> Result<ApiKey, ErrorData> {
        cx.extensions
            .get::<axum::http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<McpCaller>().map(|c| c.0.clone()))
            .or_else(|| self.local.clone())
            .ok_or_else(|| ErrorData::new(UNAUTHORISED, "no API key: send Authorization: Bearer <key>", None))
    }

    /// The MCP client's name and version, from its `initialize`.
    fn client(cx: &RequestContext<RoleServer>) -> Option<String> {
        cx.peer.peer_info().map(|info| format!("{} {}", info.client_info.name, info.client_info.version))
    }

    /// The server's instructions: what the desk offers, and whether its orders spend real
    /// money (live mode's swarm account) or not (paper).
    fn instructions(&self) -> String {
        let money = if self.desk.execution_mode(SWARM_ACCOUNT) == "live" {
            format!(
                "LIVE TRADING: the '{SWARM_ACCOUNT}' account trades REAL MONEY on Coinbase, and placing orders \
                 on it needs an API key with the 'live' scope (refused with LIVE_SCOPE_REQUIRED otherwise); \
                 every other account is paper (simulated, no real money)."
            )
        } else {
            "Every account is paper (simulated, no real money).".to_string()
        };
        format!(
            "Coinswarm: a multi-agent crypto trading desk. {money} Read markets (get_market_data, \
             get_historical_candles), ask the swarm (get_prediction, get_swarm_state, find_similar_patterns), \
             backtest (run_backtest), and trade through the same oversight and circuit breaker as every order: \
             call preview_order first, then place_*_order with a client_order_id so a retry never places a \
             second order. Sizes and prices are decimal strings; times are RFC 3339 or plain dates."
        )
    }

    /// The scope a key needs to see and call `tool`: read-only tools need `read`, the
    /// operator's tools (`ADMIN_TOOLS`) `admin`, the others `trade`.
    fn required_scope(tool: &Tool) -> Scope {
        let read_only = tool.annotations.as_ref().and_then(|a| a.read_only_hint) == Some(true);
        if read_only {
            Scope::Read
        } else if ADMIN_TOOLS.contains(&tool.name.as_ref()) {
            Scope::Admin
        } else {
            Scope::Trade
        }
    }

    /// Whether `key` may see and call `tool`.
    fn allows(key: &ApiKey, tool: &Tool) -> bool {
        key.allows(Self::required_scope(tool))
    }
}

/// An API error as an MCP error: input the caller can fix is `invalid_params` (-32602), a
/// missing scope -32001, an unknown resource `resource_not_found` (-32002), and a service
/// that cannot answer now -32003; `data` carries the stable code and the HTTP status the
/// REST API gives for the same failure.
pub fn mcp_error(error: Failure) -> ErrorData {
    let data = Some(json!({"code": error.code, "http_status": error.status}));
    let code = match error.status {
        401 | 403 => UNAUTHORISED,
        503 => UNAVAILABLE,
        500.. => ErrorCode::INTERNAL_ERROR,
        _ => ErrorCode::INVALID_PARAMS,
    };
    ErrorData::new(code, format!("{}: {}", error.code, error.message), data)
}

/// A tool's answer: a one-line summary, then the JSON, and the JSON as structured content.
fn answer(summary: String, value: Value) -> rmcp::model::CallToolResult {
    let json_text = value.to_string();
    let mut result = rmcp::model::CallToolResult::structured(value);
    result.content = vec![ContentBlock::text(summary), ContentBlock::text(json_text)];
    result
}

impl ServerHandler for McpDesk {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().enable_resources().enable_prompts().build())
            .with_server_info(Implementation::new("coinswarm", env!("CARGO_PKG_VERSION")))
            .with_instructions(self.instructions())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        cx: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let key = self.caller(&cx)?;
        let tools = self.tool_router.list_all().into_iter().filter(|tool| Self::allows(&key, tool)).collect();
        Ok(ListToolsResult::with_all_items(tools))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        cx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let key = self.caller(&cx)?;
        let Some(tool) = self.tool_router.get(&request.name) else {
            return Err(ErrorData::invalid_params(format!("unknown tool '{}'", request.name), None));
        };
        if !Self::allows(&key, tool) {
            return Err(ErrorData::new(
                UNAUTHORISED,
                format!(
                    "tool '{}' needs an API key with the '{}' scope, which this key does not hold",
                    request.name,
                    Self::required_scope(tool).as_str()
                ),
                None,
            ));
        }
        let response = self.tool_router.call(ToolCallContext::new(self, request, cx)).await?;
        // Our tools answer failures with MCP errors; an error result can only be rmcp's own
        // refusal of the arguments (missing or mistyped fields), made an MCP error here too.
        if let CallToolResponse::Complete(result) = &response
            && result.is_error == Some(true)
        {
            let text: Vec<&str> = result.content.iter().filter_map(|c| c.as_text().map(|t| t.text.as_str())).collect();
            return Err(ErrorData::invalid_params(format!("invalid arguments: {}", text.join(" ")), None));
        }
        Ok(response)
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        cx: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        self.caller(&cx)?;
        Ok(ListResourcesResult::with_all_items(resources::list()))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        cx: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        self.caller(&cx)?;
        Ok(ListResourceTemplatesResult::with_all_items(resources::templates()))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        cx: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let key = self.caller(&cx)?;
        resources::read(&self.desk, &key, &request.uri).await.map(Into::into)
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        cx: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        self.caller(&cx)?;
        Ok(ListPromptsResult::with_all_items(prompts::list()))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        cx: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let key = self.caller(&cx)?;
        prompts::get(&self.desk, &key, &request).map(Into::into)
    }
}

/// Serves MCP on this process's standard input and output as `caller` until the client
/// closes its end (or the handshake fails).
pub async fn serve_stdio(desk: Arc<Desk>, caller: ApiKey) -> anyhow::Result<()> {
    use rmcp::ServiceExt;
    let running = McpDesk::local(desk, caller)
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| anyhow::anyhow!("the MCP client did not initialize: {e}"))?;
    running.waiting().await.map_err(|e| anyhow::anyhow!("the MCP server stopped: {e}"))?;
    Ok(())
}
