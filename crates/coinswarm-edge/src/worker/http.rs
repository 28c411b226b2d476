//! Answers and requests: the API's JSON bodies (keys sorted, as `coinswarm up` writes them),
//! its error envelope with `Retry-After`, request bodies and query strings read by
//! `coinswarm_api::body`, and the calls to the Durable Objects.

use super::meter::Meter;
use coinswarm_api::{Failure, RetryAfter, body, views};
use serde::Serialize;
use serde::de::DeserializeOwned;
use worker::{Headers, Method, Request, RequestInit, Response, Stub};

/// What a handler answers: a response, or the failure the API answers with.
pub type Answer = Result<Response, Failure>;

/// A worker or runtime error as the API answers it: 503, never a 5xx the caller cannot
/// retry, and never a panic.
pub fn unavailable(error: worker::Error) -> Failure {
    Failure::unavailable(format!("the edge could not answer: {error}"), RetryAfter::FAULT)
}

/// A JSON answer with `status`, its keys sorted.
pub fn json<T: Serialize>(status: u16, view: &T) -> Answer {
    let text = serde_json::to_string(&views::to_json(view))
        .map_err(|e| Failure::unavailable(e.to_string(), RetryAfter::FAULT))?;
    raw_json(status, text)
}

/// An already-encoded JSON answer.
pub fn raw_json(status: u16, text: String) -> Answer {
    let headers = Headers::new();
    headers.set("content-type", "application/json").map_err(unavailable)?;
    Ok(Response::ok(text).map_err(unavailable)?.with_status(status).with_headers(headers))
}

/// The failure's envelope, status and `Retry-After`.
pub fn failure(failure: &Failure) -> Response {
    let text = serde_json::to_string(&failure.envelope()).unwrap_or_else(|_| "{}".into());
    let headers = Headers::new();
    let _ = headers.set("content-type", "application/json");
    if let Some(secs) = failure.retry_after_secs() {
        let _ = headers.set("retry-after", &secs.to_string());
    }
    match Response::ok(text) {
        Ok(response) => response.with_status(failure.status).with_headers(headers),
        Err(_) => {
            Response::empty().map(|r| r.with_status(failure.status)).unwrap_or_else(|_| Response::empty().unwrap())
        }
    }
}

/// The request's query string as `Q` (unknown parameters refused: `INVALID_QUERY`).
pub fn query<Q: DeserializeOwned>(req: &Request) -> Result<Q, Failure> {
    req.query::<Q>().map_err(body::invalid_query)
}

/// The request's JSON body as `T`, read as `coinswarm up` reads it.
pub async fn json_body<T: DeserializeOwned>(req: &mut Request) -> Result<T, Failure> {
    let content_type = req.headers().get("content-type").ok().flatten();
    if let Some(length) = req.headers().get("content-length").ok().flatten().and_then(|l| l.parse::<usize>().ok())
        && length > body::MAX_BODY_BYTES
    {
        return Err(Failure::new(coinswarm_api::ErrorCode::BodyTooLarge, "length limit exceeded"));
    }
    let bytes = req.bytes().await.map_err(unavailable)?;
    body::json(content_type.as_deref(), &bytes, body::MAX_BODY_BYTES)
}

/// An object's answer headers a caller reads: `Retry-After`, and when the agent tier gave
/// the answer the agent link passes on (`x-coinswarm-answered-ms`).
const KEPT_HEADERS: [&str; 2] = ["retry-after", ANSWERED_MS];

/// The header with the time (ms since the Unix epoch) the agent tier gave an answer.
pub const ANSWERED_MS: &str = "x-coinswarm-answered-ms";

/// Sends `call` to a Durable Object and reads its answer: the API's status, body and
/// `Retry-After` as the object gave them, in a response of our own (counted on `meter`).
pub async fn call<C: Serialize>(stub: &Stub, call: &C, meter: &Meter) -> Result<Response, Failure> {
    let text = serde_json::to_string(call).map_err(|e| Failure::unavailable(e.to_string(), RetryAfter::FAULT))?;
    let headers = Headers::new();
    headers.set("content-type", "application/json").map_err(unavailable)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_headers(headers).with_body(Some(text.into()));
    let request = Request::new_with_init("https://object.internal/call", &init).map_err(unavailable)?;
    let mut answer = stub.fetch_with_request(request).await.map_err(unavailable)?;
    meter.object_answered(&answer);
    let status = answer.status_code();
    let kept: Vec<(&str, String)> =
        KEPT_HEADERS.iter().filter_map(|name| Some((*name, answer.headers().get(name).ok().flatten()?))).collect();
    let text = answer.text().await.map_err(unavailable)?;
    let response = raw_json(status, text)?;
    for (name, value) in kept {
        let _ = response.headers().set(name, &value);
    }
    Ok(response)
}

/// Sends `call` to a Durable Object and reads a successful answer as `T`; a refusal comes
/// back as the failure the object answered.
pub async fn call_json<C: Serialize, T: DeserializeOwned>(stub: &Stub, call: &C, meter: &Meter) -> Result<T, Failure> {
    let mut response = self::call(stub, call, meter).await?;
    if response.status_code() >= 400 {
        return Err(failure_of(&mut response).await);
    }
    let text = response.text().await.map_err(unavailable)?;
    serde_json::from_str(&text)
        .map_err(|e| Failure::unavailable(format!("an object answered unreadable JSON: {e}"), RetryAfter::FAULT))
}

/// The failure an object answered (its envelope and status).
pub async fn failure_of(response: &mut Response) -> Failure {
    let status = response.status_code();
    let retry = response.headers().get("retry-after").ok().flatten().and_then(|r| r.parse().ok());
    let envelope = match response.text().await {
        Ok(text) => serde_json::from_str::<coinswarm_api::ErrorEnvelope>(&text).map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    match envelope {
        Ok(envelope) => Failure::answered(
            envelope.error.code,
            envelope.error.message,
            status,
            retry.or(envelope.error.retry_after_secs),
        ),
        Err(e) => {
            let failure = Failure::unavailable(
                format!("an object answered {status} without an envelope: {e}"),
                RetryAfter::FAULT,
            );
            match retry {
                Some(secs) => failure.retry_after(RetryAfter::secs(secs)),
                None => failure,
            }
        }
    }
}

/// A call's JSON body, read with serde_json (JavaScript's parser would round the 64-bit
/// integers of the venue's config and the ledger to doubles).
pub async fn read_json<T: DeserializeOwned>(req: &mut Request) -> Result<T, String> {
    let text = req.text().await.map_err(|e| e.to_string())?;
    serde_json::from_str(&text).map_err(|e| e.to_string())
}

/// The wall clock, in ms since the Unix epoch (`SystemTime::now` panics on wasm32).
pub fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// A successful answer's JSON body; a refusal as the failure it answered.
pub async fn answer_json(answer: Answer) -> Result<serde_json::Value, Failure> {
    let mut response = answer?;
    if response.status_code() >= 400 {
        return Err(failure_of(&mut response).await);
    }
    let text = response.text().await.map_err(unavailable)?;
    serde_json::from_str(&text)
        .map_err(|e| Failure::unavailable(format!("an answer was not JSON: {e}"), RetryAfter::FAULT))
}
