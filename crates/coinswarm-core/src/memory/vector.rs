//! The vector index port, shaped like Cloudflare Vectorize: records with an id, values, an
//! optional namespace and metadata; queries for the `top_k` nearest with a namespace and a
//! metadata filter; reads and deletes by id. Ids are unique across namespaces, as there.

use super::filter::{Filter, MetadataValue};
use std::collections::BTreeMap;

/// The most results one query may ask for.
pub const MAX_TOP_K: usize = 1000;

/// A record's metadata: named strings, numbers and booleans.
pub type Metadata = BTreeMap<String, MetadataValue>;

/// How nearness is measured; fixed when an index is created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// Score is the cosine similarity, 1 for the same direction; higher is nearer.
    Cosine,
    /// Score is the Euclidean distance; lower is nearer.
    Euclidean,
}

impl Metric {
    /// Whether score `a` is nearer than score `b`.
    pub fn better(self, a: f32, b: f32) -> bool {
        match self {
            Metric::Cosine => a > b,
            Metric::Euclidean => a < b,
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "cosine" => Some(Metric::Cosine),
            "euclidean" => Some(Metric::Euclidean),
            _ => None,
        }
    }
}

/// One stored vector.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct VectorRecord {
    pub id: String,
    pub values: Vec<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: Metadata,
}

impl VectorRecord {
    pub fn new(id: impl Into<String>, values: Vec<f32>) -> Self {
        Self { id: id.into(), values, namespace: None, metadata: Metadata::new() }
    }

    pub fn in_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    pub fn with(mut self, key: impl Into<String>, value: impl Into<MetadataValue>) -> Self {
        self.metadata.insert(key.into(), value.into());
        self
    }
}

/// What a query asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryOptions {
    /// How many nearest records (1 to [`MAX_TOP_K`]).
    pub top_k: usize,
    /// Only records of this namespace (`None`: every record).
    pub namespace: Option<String>,
    /// Only records whose metadata passes.
    pub filter: Option<Filter>,
    pub return_metadata: bool,
    pub return_values: bool,
}

impl QueryOptions {
    pub fn top(top_k: usize) -> Self {
        Self { top_k, namespace: None, filter: None, return_metadata: false, return_values: false }
    }
}

/// One query result.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Match {
    pub id: String,
    /// Cosine similarity or Euclidean distance (see [`Metric`]).
    pub score: f32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<f32>>,
}

/// Why a vector operation was refused; nothing was changed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum VectorError {
    #[error("the vector has {got} dimensions, the index {expected}")]
    Dimensions { expected: usize, got: usize },
    #[error("the vector holds a value that is not a finite number (at dimension {0})")]
    NotFinite(usize),
    #[error("a zero vector has no direction: the cosine metric cannot compare it")]
    ZeroVector,
    #[error("top_k must be between 1 and {MAX_TOP_K}, not {0}")]
    TopK(usize),
    #[error("the record id must not be empty")]
    EmptyId,
    #[error("the id {0} appears twice in one upsert")]
    DuplicateId(String),
    #[error("the index failed: {0}")]
    Index(String),
}

/// A vector index (Vectorize at the edge; exact or HNSW embedded).
pub trait VectorIndex {
    fn metric(&self) -> Metric;
    fn dimensions(&self) -> usize;
    /// Records stored.
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Inserts the records, replacing any with the same id; all or none (every record is
    /// checked before any is written). Returns how many were written.
    fn upsert(&mut self, records: Vec<VectorRecord>) -> Result<usize, VectorError>;
    /// The `top_k` records nearest to `vector` that pass the namespace and filter, nearest first
    /// (ties in id order).
    fn query(&self, vector: &[f32], options: &QueryOptions) -> Result<Vec<Match>, VectorError>;
    /// The records with these ids (unknown ids are skipped), in the order asked.
    fn get_by_ids(&self, ids: &[&str]) -> Vec<VectorRecord>;
    /// Deletes the records with these ids; returns how many existed.
    fn delete_by_ids(&mut self, ids: &[&str]) -> usize;
    /// Makes the index durable where it persists (an embedded index writes its folder);
    /// an index held only in memory has nothing to do.
    fn flush(&mut self) -> Result<(), VectorError> {
        Ok(())
    }
}

/// Checks a vector against an index's dimensions and metric.
pub fn check_vector(values: &[f32], dimensions: usize, metric: Metric) -> Result<(), VectorError> {
    if values.len() != dimensions {
        return Err(VectorError::Dimensions { expected: dimensions, got: values.len() });
    }
    if let Some(at) = values.iter().position(|v| !v.is_finite()) {
        return Err(VectorError::NotFinite(at));
    }
    if metric == Metric::Cosine && values.iter().all(|v| *v == 0.0) {
        return Err(VectorError::ZeroVector);
    }
    Ok(())
}

/// Checks a batch of records for an upsert: each vector, no empty or repeated id.
pub fn check_records(records: &[VectorRecord], dimensions: usize, metric: Metric) -> Result<(), VectorError> {
    let mut seen = std::collections::HashSet::with_capacity(records.len());
    for record in records {
        if record.id.is_empty() {
            return Err(VectorError::EmptyId);
        }
        if !seen.insert(record.id.as_str()) {
            return Err(VectorError::DuplicateId(record.id.clone()));
        }
        check_vector(&record.values, dimensions, metric)?;
    }
    Ok(())
}

/// Checks a query's options.
pub fn check_options(options: &QueryOptions) -> Result<(), VectorError> {
    if options.top_k == 0 || options.top_k > MAX_TOP_K {
        return Err(VectorError::TopK(options.top_k));
    }
    Ok(())
}
