//! `AgentLink`: the edge's one link to the agent tier's reads, a Durable Object so that every
//! isolate shares its state. Cache misses for predictions and pattern searches come here; a
//! key already asked for is joined, not asked again (single flight), and the misses of a
//! short window (`AGENT_BATCH_WINDOW_MS`, or `AGENT_BATCH_MAX_KEYS` keys) go upstream in one
//! call (`POST /internal/v1/predictions` within `AGENT_PREDICTION_TIMEOUT_MS`, or
//! `POST /internal/v1/similar` within `AGENT_TIMEOUT_MS`). A circuit
//! breaker (`AGENT_BREAKER_FAILURES` failures in a row, or half the last calls timing out,
//! open it for `AGENT_BREAKER_OPEN_MS`) refuses at once while the agent tier is down, so the
//! caller falls back (see [`super::predictions`]) without waiting. One breaker guards both
//! kinds of call: they go to the same process. A prediction the agent tier
//! gave is remembered for `PREDICTIONS_FRESH_MS`, so a product is asked for at most once per
//! freshness window however many isolates miss KV at once. The policy is
//! `coinswarm_api::link`'s; its state lives in memory (an evicted object starts closed).

use super::agent_tier::{self, CallFailed, var_u64};
use super::http::{self, Answer, now_ms};
use coinswarm_api::edge::{PredictionsAnswer, PredictionsAsk, SimilarAnswer, SimilarAsk, SimilarItem};
use coinswarm_api::link::batch::{BatchConfig, Joined, MicroBatch};
use coinswarm_api::link::breaker::{BreakerConfig, CircuitBreaker, Outcome};
use coinswarm_api::mcp::params::SimilarParams;
use coinswarm_api::{Failure, RetryAfter};
use futures_channel::oneshot;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;
use worker::{Delay, DurableObject, Env, Request, Response, State, durable_object};

/// A call to the link.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "call", rename_all = "snake_case")]
pub enum LinkCall {
    /// A product's prediction as `GET /api/predictions` answers it; 503 when the agent tier
    /// cannot answer (down, slow, breaker open).
    Prediction { product_id: String },
    /// A pattern search as `GET /api/memory/similar` answers it; 503 when the agent tier
    /// cannot answer.
    Similar { ask: SimilarParams },
    /// Forget the remembered predictions of these products (a pattern of theirs changed):
    /// their next miss asks the agent tier.
    Forget { product_ids: Vec<String> },
    /// The breaker and the link's counters, for `GET /api/swarm`.
    State,
}

/// What is asked upstream: each kind batches and joins its own keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Keys are product ids.
    Prediction,
    /// Keys are `SimilarParams` as JSON.
    Similar,
}

/// The agent tier's answer for a product, and when it came (ms since the Unix epoch).
type Answered = (i64, Result<Value, Failure>);

type Waiter = oneshot::Sender<Answered>;

struct Link {
    breaker: CircuitBreaker,
    batch: MicroBatch<String>,
    waiters: HashMap<String, Vec<Waiter>>,
    similar_batch: MicroBatch<String>,
    similar_waiters: HashMap<String, Vec<Waiter>>,
    /// Each product's latest answer and when it came: served again while fresh, so the
    /// agent tier is asked at most once per product per freshness window even while KV's
    /// write of that answer is still on its way.
    recent: HashMap<String, Answered>,
    counters: Counters,
}

/// What the link has done since it started, for `GET /api/swarm`.
#[derive(Debug, Default, Clone, Serialize)]
struct Counters {
    /// Cache misses that reached the link.
    callers: u64,
    /// Of those, answered from the link's memory of a fresh answer.
    answered_from_memory: u64,
    /// Calls made to the agent tier.
    upstream_calls: u64,
    /// Products asked for in those calls.
    products_sent: u64,
    /// Callers refused at once because the breaker was open.
    refused_open: u64,
    /// Pattern searches that reached the link, and the calls upstream that carried them.
    similar_callers: u64,
    similar_calls: u64,
}

#[durable_object]
pub struct AgentLink {
    env: Env,
    link: RefCell<Link>,
    timeout_ms: u64,
    /// A pattern search's timeout (`AGENT_TIMEOUT_MS`).
    similar_timeout_ms: u64,
    fresh_ms: i64,
    batch_window_ms: i64,
    batch_max_keys: usize,
}

impl DurableObject for AgentLink {
    fn new(_state: State, env: Env) -> Self {
        let breaker = BreakerConfig {
            failures_to_open: var_u64(&env, "AGENT_BREAKER_FAILURES", 5) as u32,
            open_ms: var_u64(&env, "AGENT_BREAKER_OPEN_MS", 5_000) as i64,
            ..BreakerConfig::default()
        };
        let batch = BatchConfig {
            window_ms: var_u64(&env, "AGENT_BATCH_WINDOW_MS", 10) as i64,
            max_keys: var_u64(&env, "AGENT_BATCH_MAX_KEYS", 32) as usize,
        };
        let timeout_ms = var_u64(&env, "AGENT_PREDICTION_TIMEOUT_MS", 1_000);
        let similar_timeout_ms = agent_tier::timeout_ms(&env);
        let link = Link {
            breaker: CircuitBreaker::new(breaker),
            batch: MicroBatch::new(batch),
            waiters: HashMap::new(),
            similar_batch: MicroBatch::new(batch),
            similar_waiters: HashMap::new(),
            recent: HashMap::new(),
            counters: Counters::default(),
        };
        let fresh_ms = super::objects::predictions_fresh_ms(&env);
        Self {
            env,
            link: RefCell::new(link),
            timeout_ms,
            similar_timeout_ms,
            fresh_ms,
            batch_window_ms: batch.window_ms,
            batch_max_keys: batch.max_keys,
        }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let answer = match http::read_json::<LinkCall>(&mut req).await {
            Ok(LinkCall::Prediction { product_id }) => self.prediction(product_id).await,
            Ok(LinkCall::Similar { ask }) => match serde_json::to_string(&ask) {
                Ok(key) => self.ask(Kind::Similar, key).await.and_then(|(_, answer)| match answer {
                    Ok(similar) => http::json(200, &similar),
                    Err(failure) => Err(failure),
                }),
                Err(error) => Err(Failure::unavailable(error.to_string(), RetryAfter::FAULT)),
            },
            Ok(LinkCall::Forget { product_ids }) => {
                let mut link = self.link.borrow_mut();
                for product_id in &product_ids {
                    link.recent.remove(product_id);
                }
                http::json(200, &json!({"forgotten": product_ids.len()}))
            }
            Ok(LinkCall::State) => self.state(),
            Err(error) => {
                Err(Failure::unavailable(format!("a malformed call reached the agent link: {error}"), RetryAfter::LINK))
            }
        };
        Ok(answer.unwrap_or_else(|failure| http::failure(&failure)))
    }
}

impl AgentLink {
    async fn prediction(&self, product_id: String) -> Answer {
        let now = now_ms();
        {
            let mut link = self.link.borrow_mut();
            link.counters.callers += 1;
            if let Some((at, answer)) = link.recent.get(&product_id)
                && now - at < self.fresh_ms
            {
                let answered = (*at, answer.clone());
                link.counters.answered_from_memory += 1;
                return stamped(answered);
            }
        }
        stamped(self.ask(Kind::Prediction, product_id).await?)
    }

    /// Joins `key`'s call upstream (or starts it: at once when the batch is full, else when
    /// its window ends), and waits for its answer. Refused at once while the breaker is open.
    async fn ask(&self, kind: Kind, key: String) -> Result<Answered, Failure> {
        let now = now_ms();
        let (receiver, send_now, wait_until) = {
            let mut link = self.link.borrow_mut();
            if kind == Kind::Similar {
                link.counters.similar_callers += 1;
            }
            if link.breaker.is_open(now) {
                link.counters.refused_open += 1;
                let view = link.breaker.view(now);
                let secs = (view.retry_in_ms.unwrap_or(1000).max(0) as u64).div_ceil(1000).max(1);
                return Err(Failure::unavailable(
                    "the agent tier is unavailable: its circuit breaker is open",
                    RetryAfter::secs(secs),
                ));
            }
            let (sender, receiver) = oneshot::channel();
            link.waiters_of(kind).entry(key.clone()).or_default().push(sender);
            match link.batch_of(kind).join(key, now) {
                Joined::Follower => (receiver, None, None),
                Joined::Waiting { due_ms } => (receiver, None, Some(due_ms)),
                Joined::Send(keys) => (receiver, Some(keys), None),
            }
        };
        if let Some(due_ms) = wait_until {
            let wait = (due_ms - now_ms()).max(0) as u64;
            Delay::from(Duration::from_millis(wait)).await;
            // The timer has run: the batch it was set for is due even if the clock reads a
            // millisecond short (a later batch, opened since, is not).
            let due = self.link.borrow_mut().batch_of(kind).due(now_ms().max(due_ms));
            if let Some(keys) = due {
                self.flush(kind, keys).await;
            }
        }
        if let Some(keys) = send_now {
            self.flush(kind, keys).await;
        }
        receiver.await.map_err(|_| Failure::unavailable("the agent link dropped a call", RetryAfter::LINK))
    }

    /// Asks the agent tier for `keys` in one call (if the breaker lets it) and answers every
    /// caller waiting for them.
    async fn flush(&self, kind: Kind, keys: Vec<String>) {
        let allowed = self.link.borrow_mut().breaker.try_call(now_ms());
        let answers: Vec<(String, Result<Value, Failure>)> = if !allowed {
            // Another call is probing the agent tier: its outcome is due within moments.
            let refused =
                Failure::unavailable("the agent tier is unavailable: its circuit breaker is open", RetryAfter::BUSY);
            keys.iter().map(|k| (k.clone(), Err(refused.clone()))).collect()
        } else {
            {
                let mut link = self.link.borrow_mut();
                match kind {
                    Kind::Prediction => {
                        link.counters.upstream_calls += 1;
                        link.counters.products_sent += keys.len() as u64;
                    }
                    Kind::Similar => link.counters.similar_calls += 1,
                }
            }
            let answer = match kind {
                Kind::Prediction => {
                    let ask = PredictionsAsk { product_ids: keys.clone() };
                    agent_tier::post(&self.env, agent_tier::PREDICTIONS, &ask, self.timeout_ms).await
                }
                Kind::Similar => {
                    // The keys are the searches as this link wrote them.
                    let asks: Result<Vec<SimilarParams>, _> = keys.iter().map(|k| serde_json::from_str(k)).collect();
                    match asks {
                        Ok(asks) => {
                            let ask = SimilarAsk { asks };
                            agent_tier::post(&self.env, agent_tier::SIMILAR, &ask, self.similar_timeout_ms).await
                        }
                        Err(e) => Err(CallFailed {
                            failure: Failure::unavailable(
                                format!("a search the link cannot read: {e}"),
                                RetryAfter::LINK,
                            ),
                            outcome: Outcome::Success,
                        }),
                    }
                }
            };
            let outcome = match &answer {
                Ok(_) => Outcome::Success,
                Err(CallFailed { outcome, .. }) => *outcome,
            };
            self.link.borrow_mut().breaker.record(outcome, now_ms());
            match answer.and_then(|value| items(kind, &keys, value)) {
                Ok(items) => keys.iter().cloned().zip(items).collect(),
                Err(failed) => keys.iter().map(|k| (k.clone(), Err(failed.failure.clone()))).collect(),
            }
        };
        let mut link = self.link.borrow_mut();
        link.batch_of(kind).finish(&keys);
        let now = now_ms();
        let fresh_ms = self.fresh_ms;
        link.recent.retain(|_, (at, _)| now - *at < fresh_ms);
        for (key, result) in answers {
            // A prediction the agent tier gave (or a refusal such as an untraded product)
            // holds for the freshness window; its being unreachable does not.
            if kind == Kind::Prediction && result.as_ref().map_or_else(|f| (400..500).contains(&f.status), |_| true) {
                link.recent.insert(key.clone(), (now, result.clone()));
            }
            for waiter in link.waiters_of(kind).remove(&key).unwrap_or_default() {
                let _ = waiter.send((now, result.clone()));
            }
        }
    }

    fn state(&self) -> Answer {
        let link = self.link.borrow();
        http::json(
            200,
            &json!({
                "breaker": link.breaker.view(now_ms()),
                "counters": link.counters,
                "batch_window_ms": self.batch_window_ms,
                "batch_max_keys": self.batch_max_keys,
                "timeout_ms": self.timeout_ms,
            }),
        )
    }
}

impl Link {
    fn batch_of(&mut self, kind: Kind) -> &mut MicroBatch<String> {
        match kind {
            Kind::Prediction => &mut self.batch,
            Kind::Similar => &mut self.similar_batch,
        }
    }

    fn waiters_of(&mut self, kind: Kind) -> &mut HashMap<String, Vec<Waiter>> {
        match kind {
            Kind::Prediction => &mut self.waiters,
            Kind::Similar => &mut self.similar_waiters,
        }
    }
}

/// Each key's answer in a batched call's answer, in the order of `keys`.
fn items(kind: Kind, keys: &[String], value: Value) -> Result<Vec<Result<Value, Failure>>, CallFailed> {
    let unreadable = |e: serde_json::Error| CallFailed {
        failure: Failure::unavailable(format!("the agent tier answered an unreadable batch: {e}"), RetryAfter::LINK),
        outcome: Outcome::Failure,
    };
    let refusal = |error: &coinswarm_api::ErrorBody, status: Option<u16>| Failure::from_body(error, status);
    Ok(match kind {
        Kind::Prediction => {
            let answer: PredictionsAnswer = serde_json::from_value(value).map_err(unreadable)?;
            keys.iter()
                .map(|key| match answer.predictions.iter().find(|item| &item.product_id == key) {
                    Some(item) => match (&item.prediction, &item.error) {
                        (Some(prediction), _) => Ok(prediction.clone()),
                        (None, Some(error)) => Err(refusal(error, item.status)),
                        (None, None) => {
                            Err(Failure::unavailable("the agent tier answered nothing for it", RetryAfter::LINK))
                        }
                    },
                    None => Err(Failure::unavailable("the agent tier left it out of its answer", RetryAfter::LINK)),
                })
                .collect()
        }
        Kind::Similar => {
            let answer: SimilarAnswer = serde_json::from_value(value).map_err(unreadable)?;
            // Answered in the order asked.
            (0..keys.len())
                .map(|i| match answer.answers.get(i) {
                    Some(SimilarItem { similar: Some(similar), .. }) => Ok(similar.clone()),
                    Some(SimilarItem { error: Some(error), status, .. }) => Err(refusal(error, *status)),
                    _ => Err(Failure::unavailable("the agent tier left a search out of its answer", RetryAfter::LINK)),
                })
                .collect()
        }
    })
}

/// An answer as the route reads it: the prediction or the agent tier's refusal, with when
/// the agent tier gave it (`x-coinswarm-answered-ms`); a failure to reach it is unstamped.
fn stamped((at, answer): Answered) -> Answer {
    let answered = answer.is_ok() || answer.as_ref().is_err_and(|f| (400..500).contains(&f.status));
    let response = match answer {
        Ok(prediction) => http::json(200, &prediction)?,
        Err(failure) => http::failure(&failure),
    };
    if answered {
        response.headers().set(http::ANSWERED_MS, &at.to_string()).map_err(http::unavailable)?;
    }
    Ok(response)
}
