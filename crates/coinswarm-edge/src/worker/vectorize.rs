//! The vector index port on Cloudflare Vectorize, when the Worker has a `VECTORS` binding.
//! workers-rs has no Vectorize type, so the binding's documented methods (`upsert`, `query`,
//! `getByIds`) are called through `js_sys`, with the JSON of [`crate::vectorize`]. The port
//! itself (`coinswarm_core::memory::VectorIndex`) is synchronous, as an embedded index is;
//! Vectorize answers through promises, so this adapter offers the same operations, on the
//! same types, as `async` methods.
//!
//! The index holds every episode of the agent tier (`Episode::to_record`: the product as the
//! namespace; regime, action, time, horizon end and outcome as metadata) with `resolved`
//! saying whether its outcome is known. Searches filter on `horizon_end` and `resolved`,
//! which need metadata indexes (see the README).

use crate::vectorize as wire;
use coinswarm_core::memory::{Episode, Match, QueryOptions, VectorError, VectorRecord};
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};
use worker::Env;
use worker::wasm_bindgen_futures::JsFuture;

/// The binding's name in wrangler.toml.
pub const BINDING: &str = "VECTORS";

/// A Vectorize index bound to the Worker.
pub struct Vectorize {
    binding: JsValue,
}

impl Vectorize {
    /// The index, when the Worker has the binding (`wrangler dev` has none).
    pub fn bound(env: &Env) -> Option<Self> {
        let binding = js_sys::Reflect::get(env, &JsValue::from_str(BINDING)).ok()?;
        (!binding.is_undefined() && !binding.is_null()).then_some(Self { binding })
    }

    /// Inserts or replaces the records (at most 1,000 per call, Vectorize's batch limit).
    pub async fn upsert(&self, records: &[VectorRecord]) -> Result<(), VectorError> {
        for chunk in records.chunks(1_000) {
            self.call("upsert", &[wire::records(chunk)]).await?;
        }
        Ok(())
    }

    /// The records nearest `vector`, with their metadata (`options.return_metadata`): the ids
    /// first (up to 100), then the records read by id.
    pub async fn query(&self, vector: &[f32], options: &QueryOptions) -> Result<Vec<Match>, VectorError> {
        let ids_only = QueryOptions { return_metadata: false, return_values: false, ..options.clone() };
        let answer = self.call("query", &[serde_json::json!(vector), wire::query_options(&ids_only)?]).await?;
        let mut matches = wire::matches(&answer)?;
        if options.return_metadata && !matches.is_empty() {
            let ids: Vec<&str> = matches.iter().map(|m| m.id.as_str()).collect();
            let records = self.get_by_ids(&ids).await?;
            for m in &mut matches {
                m.metadata = records.iter().find(|r| r.id == m.id).map(|r| r.metadata.clone());
            }
        }
        Ok(matches)
    }

    /// The records with these ids (unknown ids are skipped).
    pub async fn get_by_ids(&self, ids: &[&str]) -> Result<Vec<VectorRecord>, VectorError> {
        let answer = self.call("getByIds", &[serde_json::json!(ids)]).await?;
        wire::found(&answer)
    }

    /// Calls `method` on the binding with JSON arguments and reads its answer as JSON.
    async fn call(&self, method: &str, args: &[Value]) -> Result<Value, VectorError> {
        let failed = |what: String| VectorError::Index(format!("Vectorize {method}: {what}"));
        let function: js_sys::Function = js_sys::Reflect::get(&self.binding, &JsValue::from_str(method))
            .map_err(|_| failed("no such method".into()))?
            .dyn_into()
            .map_err(|_| failed("not a function".into()))?;
        let arguments = js_sys::Array::new();
        for arg in args {
            let value = js_sys::JSON::parse(&arg.to_string()).map_err(|e| failed(format!("{e:?}")))?;
            arguments.push(&value);
        }
        let promise: js_sys::Promise = function
            .apply(&self.binding, &arguments)
            .map_err(|e| failed(format!("{e:?}")))?
            .dyn_into()
            .map_err(|_| failed("no promise".into()))?;
        let answer = JsFuture::from(promise).await.map_err(|e| failed(format!("{e:?}")))?;
        if answer.is_undefined() || answer.is_null() {
            return Ok(Value::Null);
        }
        let text: String = js_sys::JSON::stringify(&answer).map_err(|e| failed(format!("{e:?}")))?.into();
        serde_json::from_str(&text).map_err(|e| failed(e.to_string()))
    }
}

/// An episode as the edge indexes it: the port's record, and whether its outcome is known.
pub fn record_of(episode: &Episode) -> VectorRecord {
    episode.to_record().with("resolved", episode.outcome.is_some())
}
