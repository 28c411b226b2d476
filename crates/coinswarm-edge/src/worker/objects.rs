//! Where the Worker's Durable Objects are found, and the edge's settings from
//! `wrangler.toml`'s `[vars]`.

use super::http::unavailable;
use coinswarm_api::Failure;
use worker::{Env, Stub};

/// The one market hub.
pub fn hub(env: &Env) -> Result<Stub, Failure> {
    env.durable_object("MARKET").and_then(|ns| ns.get_by_name("market")).map_err(unavailable)
}

/// The object of an account.
pub fn account(env: &Env, account_id: &str) -> Result<Stub, Failure> {
    env.durable_object("ACCOUNTS").and_then(|ns| ns.get_by_name(account_id)).map_err(unavailable)
}

fn var_ms(env: &Env, name: &str, default: i64) -> i64 {
    env.var(name).ok().and_then(|v| v.to_string().parse().ok()).filter(|v: &i64| *v > 0).unwrap_or(default)
}

/// `MAX_QUOTE_AGE_MS`: the oldest quote (by when the hub received it) an order may fill at;
/// older, the order is refused `MARKET_STALE`.
pub fn max_quote_age_ms(env: &Env) -> i64 {
    var_ms(env, "MAX_QUOTE_AGE_MS", 5_000)
}

/// `MARKET_DATA_FRESH_MS`: how long `GET /api/market-data` is served from KV (the brief's 1 s).
pub fn market_data_fresh_ms(env: &Env) -> i64 {
    var_ms(env, "MARKET_DATA_FRESH_MS", 1_000)
}

/// `PREDICTIONS_FRESH_MS`: how long `GET /api/predictions` is served from KV (the brief's 5 s).
pub fn predictions_fresh_ms(env: &Env) -> i64 {
    var_ms(env, "PREDICTIONS_FRESH_MS", 5_000)
}

/// The one link to the agent tier's predictions.
pub fn agent_link(env: &Env) -> Result<Stub, Failure> {
    env.durable_object("AGENT_LINK").and_then(|ns| ns.get_by_name("agent")).map_err(unavailable)
}
