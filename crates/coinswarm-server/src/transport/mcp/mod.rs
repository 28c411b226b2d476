//! The MCP server: Coinswarm as a trading desk for LLM agents, on the official Rust SDK
//! (`rmcp`). Two transports serve the same [`McpDesk`]: stdio (`coinswarm mcp`, the caller
//! fixed when it starts) and Streamable HTTP at `/mcp` on `up` ([`http`], a bearer API key
//! per request).
//!
//! The desk itself (tools, resources, prompts, scopes, errors) is `coinswarm_api::mcp`, the
//! same on the edge; here every call is answered by [`crate::desk`], the same functions the
//! REST API calls:
//! the same scopes, the same validation, and orders down the same guarded path (the
//! account's order guard, then the matching engine, acknowledged once durable), recorded in
//! the account's decision log with the MCP client's name and the key. A key without the
//! `trade` scope sees and may call only the read-only tools. Accounts are paper, except the
//! swarm's in live mode (`--exchange coinbase-live`), which trades real money on Coinbase:
//! orders on it need a key with the `live` scope (checked in the desk, as for REST), and the
//! server's instructions and prompts say which the caller is trading.

mod host;
pub mod sessions;

use crate::adapters::keys::ApiKey;
use crate::desk::Desk;
use coinswarm_api::mcp::{UNAUTHORISED, catalogue, dispatch};
use host::DeskHost;
pub use host::{find_similar, run_backtest};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, GetPromptRequestParams, GetPromptResponse, ListPromptsResult,
    ListResourceTemplatesResult, ListResourcesResult, ListToolsResult, PaginatedRequestParams,
    ReadResourceRequestParams, ReadResourceResponse, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use std::sync::Arc;

pub use coinswarm_api::mcp::mcp_error;

/// The caller of an HTTP request, put in the request's extensions by the REST API's `/mcp` binding.
#[derive(Debug, Clone)]
pub struct McpCaller(pub ApiKey);

/// One MCP server over the running services: the desk of `coinswarm_api::mcp`, each call
/// answered by [`DeskHost`].
#[derive(Debug, Clone)]
pub struct McpDesk {
    desk: Arc<Desk>,
    /// The caller on stdio; over HTTP each request carries its own.
    local: Option<ApiKey>,
}

impl McpDesk {
    /// A server whose every request comes from `caller` (stdio).
    pub fn local(desk: Arc<Desk>, caller: ApiKey) -> Self {
        Self { desk, local: Some(caller) }
    }

    /// A server whose requests each carry their caller (Streamable HTTP).
    pub fn per_request(desk: Arc<Desk>) -> Self {
        Self { desk, local: None }
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

    fn host(&self) -> DeskHost<'_> {
        DeskHost { desk: &self.desk }
    }
}

impl ServerHandler for McpDesk {
    fn get_info(&self) -> ServerConfig {
        use coinswarm_api::mcp::McpHost;
        catalogue::server_info(env!("CARGO_PKG_VERSION"), self.host().live_account().as_deref())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        cx: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let key = self.caller(&cx)?;
        Ok(ListToolsResult::with_all_items(catalogue::tools_for(&key)))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        cx: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let key = self.caller(&cx)?;
        dispatch::call_tool(&self.host(), &key, Self::client(&cx), request).await.map(Into::into)
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        cx: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        self.caller(&cx)?;
        Ok(ListResourcesResult::with_all_items(catalogue::resources()))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        cx: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        self.caller(&cx)?;
        Ok(ListResourceTemplatesResult::with_all_items(catalogue::resource_templates()))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        cx: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let key = self.caller(&cx)?;
        dispatch::read_resource(&self.host(), &key, &request.uri).await.map(Into::into)
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        cx: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        self.caller(&cx)?;
        Ok(ListPromptsResult::with_all_items(catalogue::prompts()))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        cx: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let key = self.caller(&cx)?;
        dispatch::get_prompt(&self.host(), &key, &request).await.map(Into::into)
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
