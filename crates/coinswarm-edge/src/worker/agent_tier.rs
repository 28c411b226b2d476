//! Calls from the edge to the agent tier (`coinswarm up` at `AGENT_URL`), for what only it
//! can answer: backtests on its bundled data and pattern memory's search. Each call carries
//! the edge token and gives up after `AGENT_TIMEOUT_MS`; a missing `AGENT_URL`, an agent
//! tier that is down or slow is 503 with `Retry-After`, never a hang. (Caching, batching and
//! a circuit breaker on this link are the hybrid link's work.)

use super::http::{self, unavailable};
use coinswarm_api::Failure;
use futures_util::future::{Either, select};
use serde::Serialize;
use serde_json::Value;
use std::time::Duration;
use worker::{Delay, Env, Fetch, Headers, Method, Request, RequestInit};

pub use coinswarm_api::edge::{AGENT_BACKTEST_PATH as BACKTEST, AGENT_SIMILAR_PATH as SIMILAR};

/// `AGENT_TIMEOUT_MS`: how long a call to the agent tier may take (default 30 s, a
/// backtest's own bound on `up`).
fn timeout_ms(env: &Env) -> u64 {
    env.var("AGENT_TIMEOUT_MS").ok().and_then(|v| v.to_string().parse().ok()).filter(|v| *v > 0).unwrap_or(30_000)
}

fn down(message: String) -> Failure {
    Failure::unavailable(message).retry_after(5)
}

/// POSTs `body` to the agent tier's `path` and reads its JSON answer; the agent tier's
/// refusal comes back as the failure it answered.
pub async fn call<T: Serialize>(env: &Env, path: &str, body: &T) -> Result<Value, Failure> {
    let base = env.var("AGENT_URL").map(|v| v.to_string()).unwrap_or_default();
    if base.is_empty() {
        return Err(down("this edge has no agent tier to ask (set the AGENT_URL var to coinswarm up's URL)".into()));
    }
    let token = env.secret("EDGE_TOKEN").map(|s| s.to_string()).unwrap_or_default();
    let text = serde_json::to_string(body).map_err(|e| Failure::unavailable(e.to_string()))?;
    let headers = Headers::new();
    headers.set("content-type", "application/json").map_err(unavailable)?;
    headers.set("authorization", &format!("Bearer {token}")).map_err(unavailable)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_headers(headers).with_body(Some(text.into()));
    let url = format!("{}{path}", base.trim_end_matches('/'));
    let request = Request::new_with_init(&url, &init).map_err(unavailable)?;
    let fetch = Fetch::Request(request);
    let fetch = Box::pin(fetch.send());
    let limit = timeout_ms(env);
    let timer = Box::pin(Delay::from(Duration::from_millis(limit)));
    let answer = match select(fetch, timer).await {
        Either::Left((answer, _)) => answer,
        Either::Right(_) => return Err(down(format!("the agent tier did not answer within {limit} ms"))),
    };
    let response = answer.map_err(|e| down(format!("the agent tier could not be reached: {e}")))?;
    http::answer_json(Ok(response)).await
}
