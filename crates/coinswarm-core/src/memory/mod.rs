//! Pattern memory: the port of a vector index (Vectorize at the edge) and its exact
//! brute-force adapter, which is also the oracle the approximate index is measured against.

pub mod exact;
pub mod filter;
pub mod vector;
pub mod workload;

pub use exact::ExactIndex;
pub use filter::{Condition, Filter, MetadataValue};
pub use vector::{MAX_TOP_K, Match, Metadata, Metric, QueryOptions, VectorError, VectorIndex, VectorRecord};
