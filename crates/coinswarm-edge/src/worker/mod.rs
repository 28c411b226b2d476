//! The Worker (wasm32 only): its entry points and the modules behind them.

mod account_object;
mod agent_link;
mod agent_tier;
mod archive;
mod auth;
mod cache;
mod http;
mod hub_stream;
mod market_hub;
mod mcp;
mod mcp_host;
mod meter;
mod objects;
mod operator;
mod post_trade;
mod predictions;
mod replicas;
mod routes;
mod services;
mod vectorize;

use crate::calls::HubCall;
use worker::{Context, Env, MessageBatch, Request, Response, ScheduleContext, ScheduledEvent, event};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let answer = if req.path().starts_with("/edge/") {
        operator::handle(req, &env).await
    } else {
        routes::handle(req, &env).await
    };
    Ok(answer.unwrap_or_else(|failure| http::failure(&failure)))
}

#[event(queue)]
async fn queue(batch: MessageBatch<serde_json::Value>, env: Env, _ctx: Context) -> worker::Result<()> {
    post_trade::consume(batch, &env).await;
    Ok(())
}

/// Housekeeping: the hub sends its latest quotes to every account with resting orders, so
/// good-till-date orders expire (and touched orders fill) even when the feed is quiet.
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let result = match objects::hub(&env) {
        Ok(stub) => http::call(&stub, &HubCall::Housekeeping, &meter::Meter::default()).await.map(|_| ()),
        Err(failure) => Err(failure),
    };
    if let Err(failure) = result {
        worker::console_warn!("housekeeping: {failure}");
    }
}
