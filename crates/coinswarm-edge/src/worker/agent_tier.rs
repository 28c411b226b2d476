//! Calls from the edge to the agent tier (`coinswarm up` at `AGENT_URL`), for what only it
//! can answer: the swarm's predictions (through [`super::agent_link`], cached, batched and
//! behind a circuit breaker), backtests on its bundled data and pattern memory's search. Each
//! call carries the edge token and gives up after its timeout; a missing `AGENT_URL`, or an
//! agent tier that is down or slow, is 503 with `Retry-After`, never a hang.

use super::http::{self, unavailable};
use coinswarm_api::link::breaker::Outcome;
use coinswarm_api::{Failure, RetryAfter};
use futures_util::future::{Either, select};
use serde::Serialize;
use serde_json::Value;
use std::time::Duration;
use worker::{Delay, Env, Fetch, Headers, Method, Request, RequestInit};

pub use coinswarm_api::edge::{
    AGENT_BACKTEST_PATH as BACKTEST, AGENT_PREDICTIONS_PATH as PREDICTIONS, AGENT_SIMILAR_PATH as SIMILAR,
};

/// A ms setting from `wrangler.toml`'s `[vars]`, or its default.
pub fn var_u64(env: &Env, name: &str, default: u64) -> u64 {
    env.var(name).ok().and_then(|v| v.to_string().parse().ok()).filter(|v| *v > 0).unwrap_or(default)
}

/// `AGENT_TIMEOUT_MS`: how long a backtest or a search may take (default 30 s, a backtest's
/// own bound on `up`).
pub fn timeout_ms(env: &Env) -> u64 {
    var_u64(env, "AGENT_TIMEOUT_MS", 30_000)
}

fn down(message: String) -> Failure {
    Failure::unavailable(message, RetryAfter::LINK)
}

/// A call's failure, with how the circuit breaker counts it.
#[derive(Debug)]
pub struct CallFailed {
    pub failure: Failure,
    pub outcome: Outcome,
}

/// POSTs `body` to the agent tier's `path` within `timeout_ms` and reads its JSON answer.
/// A refusal the agent tier answered (4xx) counts as a success for the breaker (it is up).
pub async fn post<T: Serialize>(env: &Env, path: &str, body: &T, timeout_ms: u64) -> Result<Value, CallFailed> {
    let failed = |failure: Failure, outcome| CallFailed { failure, outcome };
    let base = env.var("AGENT_URL").map(|v| v.to_string()).unwrap_or_default();
    if base.is_empty() {
        let failure = down("this edge has no agent tier to ask (set the AGENT_URL var to coinswarm up's URL)".into());
        return Err(failed(failure, Outcome::Failure));
    }
    let token = env.secret("EDGE_TOKEN").map(|s| s.to_string()).unwrap_or_default();
    let request = (|| -> Result<Request, Failure> {
        let text = serde_json::to_string(body).map_err(|e| Failure::unavailable(e.to_string(), RetryAfter::FAULT))?;
        let headers = Headers::new();
        headers.set("content-type", "application/json").map_err(unavailable)?;
        headers.set("authorization", &format!("Bearer {token}")).map_err(unavailable)?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post).with_headers(headers).with_body(Some(text.into()));
        let url = format!("{}{path}", base.trim_end_matches('/'));
        Request::new_with_init(&url, &init).map_err(unavailable)
    })()
    .map_err(|failure| failed(failure, Outcome::Failure))?;
    let fetch = Fetch::Request(request);
    let fetch = Box::pin(fetch.send());
    let timer = Box::pin(Delay::from(Duration::from_millis(timeout_ms)));
    let answer = match select(fetch, timer).await {
        Either::Left((answer, _)) => answer,
        Either::Right(_) => {
            let failure = down(format!("the agent tier did not answer within {timeout_ms} ms"));
            return Err(failed(failure, Outcome::Timeout));
        }
    };
    let response =
        answer.map_err(|e| failed(down(format!("the agent tier could not be reached: {e}")), Outcome::Failure))?;
    let status = response.status_code();
    match http::answer_json(Ok(response)).await {
        Ok(value) => Ok(value),
        Err(failure) if (400..500).contains(&status) && status != 401 => Err(failed(failure, Outcome::Success)),
        Err(failure) => Err(failed(failure.retry_after(RetryAfter::LINK), Outcome::Failure)),
    }
}

/// A backtest or a search, asked of the agent tier within `AGENT_TIMEOUT_MS`.
pub async fn call<T: Serialize>(env: &Env, path: &str, body: &T) -> Result<Value, Failure> {
    post(env, path, body, timeout_ms(env)).await.map_err(|failed| failed.failure)
}
