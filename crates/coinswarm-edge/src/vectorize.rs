//! Cloudflare Vectorize's wire format for the vector index port (`coinswarm_core::memory`),
//! which is shaped like it: the JSON the binding's `upsert`, `query` and `getByIds` take and
//! give, built and read here without the Workers runtime, so that it is tested on any host.
//! The Worker's adapter (`worker::vectorize`) hands these values to the binding.

use coinswarm_core::memory::vector::check_options;
use coinswarm_core::memory::{
    Condition, Filter, Match, Metadata, MetadataValue, QueryOptions, VectorError, VectorRecord,
};
use serde_json::{Map, Value, json};

/// A filter as Vectorize takes it: `{"field": {"$lte": 5}, …}` (an equality as `$eq` too).
pub fn filter(filter: &Filter) -> Value {
    let mut fields = Map::new();
    for (field, condition) in &filter.conditions {
        let (operator, operand) = match condition {
            Condition::Eq(v) => ("$eq", value(v)),
            Condition::Ne(v) => ("$ne", value(v)),
            Condition::In(vs) => ("$in", Value::Array(vs.iter().map(value).collect())),
            Condition::NotIn(vs) => ("$nin", Value::Array(vs.iter().map(value).collect())),
            Condition::Lt(v) => ("$lt", value(v)),
            Condition::Lte(v) => ("$lte", value(v)),
            Condition::Gt(v) => ("$gt", value(v)),
            Condition::Gte(v) => ("$gte", value(v)),
        };
        let entry = fields.entry(field.clone()).or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(operators) = entry {
            operators.insert(operator.to_string(), operand);
        }
    }
    Value::Object(fields)
}

fn value(v: &MetadataValue) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// Results Vectorize returns at most with their values or metadata (100 without: ask for the
/// ids, then read the records with `getByIds`).
pub const MAX_TOP_K_WITH_METADATA: usize = 20;
/// Results Vectorize returns at most.
pub const MAX_TOP_K: usize = 100;

/// `query`'s options (`topK`, `namespace`, `filter`, `returnMetadata`, `returnValues`), with
/// `top_k` checked as the port checks it, and against Vectorize's own limits.
pub fn query_options(options: &QueryOptions) -> Result<Value, VectorError> {
    check_options(options)?;
    let limit = if options.return_metadata || options.return_values { MAX_TOP_K_WITH_METADATA } else { MAX_TOP_K };
    if options.top_k > limit {
        return Err(VectorError::TopK(options.top_k));
    }
    let mut out = json!({
        "topK": options.top_k,
        "returnMetadata": if options.return_metadata { "all" } else { "none" },
        "returnValues": options.return_values,
    });
    if let Some(namespace) = &options.namespace {
        out["namespace"] = json!(namespace);
    }
    if let Some(f) = &options.filter {
        out["filter"] = filter(f);
    }
    Ok(out)
}

/// `upsert`'s argument: the records as Vectorize's vectors.
pub fn records(records: &[VectorRecord]) -> Value {
    serde_json::to_value(records).unwrap_or(Value::Array(Vec::new()))
}

/// `query`'s answer (`{"count", "matches": [{"id", "score", "metadata"?, "values"?}]}`).
pub fn matches(answer: &Value) -> Result<Vec<Match>, VectorError> {
    let unreadable = |what: &str| VectorError::Index(format!("Vectorize answered an unreadable {what}"));
    let listed = answer.get("matches").and_then(Value::as_array).ok_or_else(|| unreadable("query"))?;
    listed
        .iter()
        .map(|m| {
            let id = m.get("id").and_then(Value::as_str).ok_or_else(|| unreadable("match id"))?;
            let score = m.get("score").and_then(Value::as_f64).ok_or_else(|| unreadable("match score"))?;
            let metadata = match m.get("metadata") {
                None | Some(Value::Null) => None,
                Some(md) => Some(serde_json::from_value::<Metadata>(md.clone()).map_err(|_| unreadable("metadata"))?),
            };
            let values = match m.get("values") {
                None | Some(Value::Null) => None,
                Some(vs) => Some(serde_json::from_value::<Vec<f32>>(vs.clone()).map_err(|_| unreadable("values"))?),
            };
            Ok(Match { id: id.to_string(), score: score as f32, metadata, values })
        })
        .collect()
}

/// `getByIds`'s answer: the records found.
pub fn found(answer: &Value) -> Result<Vec<VectorRecord>, VectorError> {
    serde_json::from_value(answer.clone())
        .map_err(|e| VectorError::Index(format!("Vectorize answered unreadable vectors: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recall_s_filter_reads_as_vectorize_s() {
        let f = Filter::new()
            .and("horizon_end", Condition::Lte(1_000_i64.into()))
            .and("resolved", Condition::Eq(true.into()))
            .and("regime", Condition::In(vec!["trending".into(), "ranging".into()]));
        assert_eq!(
            filter(&f),
            json!({"horizon_end": {"$lte": 1000.0}, "resolved": {"$eq": true}, "regime": {"$in": ["trending", "ranging"]}})
        );
        let two_bounds =
            Filter::new().and("time", Condition::Gt(1_i64.into())).and("time", Condition::Lt(9_i64.into()));
        assert_eq!(filter(&two_bounds), json!({"time": {"$gt": 1.0, "$lt": 9.0}}));
    }

    #[test]
    fn query_options_name_vectorize_s_fields_and_refuse_a_bad_top_k() {
        let mut options = QueryOptions::top(5);
        options.namespace = Some("BTC-USD".into());
        options.return_metadata = true;
        let out = query_options(&options).unwrap();
        assert_eq!(out, json!({"topK": 5, "namespace": "BTC-USD", "returnMetadata": "all", "returnValues": false}));
        assert!(matches!(query_options(&QueryOptions::top(0)), Err(VectorError::TopK(0))));
        assert!(matches!(query_options(&QueryOptions::top(1001)), Err(VectorError::TopK(1001))));
        // Vectorize's own limits: 100 ids, 20 with metadata.
        assert!(query_options(&QueryOptions::top(100)).is_ok());
        options.top_k = 21;
        assert!(matches!(query_options(&options), Err(VectorError::TopK(21))));
    }

    #[test]
    fn answers_are_read_back_into_the_port_s_types() {
        let answer = json!({"count": 2, "matches": [
            {"id": "BTC-USD@1", "score": 0.93, "metadata": {"outcome": 0.01, "regime": "trending", "resolved": true}},
            {"id": "BTC-USD@2", "score": 0.5}
        ]});
        let read = matches(&answer).unwrap();
        assert_eq!(read.len(), 2);
        assert_eq!(read[0].id, "BTC-USD@1");
        assert_eq!(read[0].metadata.as_ref().unwrap()["outcome"], MetadataValue::Number(0.01));
        assert_eq!(read[0].metadata.as_ref().unwrap()["resolved"], MetadataValue::Bool(true));
        assert!(read[1].metadata.is_none() && read[1].values.is_none());
        assert!(matches(&json!({"oops": 1})).is_err());
        assert!(matches(&json!({"matches": [{"id": "x"}]})).is_err());

        let record = VectorRecord::new("BTC-USD@1", vec![0.5, -0.25]).in_namespace("BTC-USD").with("time", 1_i64);
        let sent = records(std::slice::from_ref(&record));
        assert_eq!(
            sent,
            json!([{"id": "BTC-USD@1", "values": [0.5, -0.25], "namespace": "BTC-USD", "metadata": {"time": 1.0}}])
        );
        assert_eq!(found(&sent).unwrap(), vec![record]);
    }
}
