//! # coinswarm-memory
//!
//! Adapters of pattern memory that need the operating system: the embedded approximate
//! vector index ([`HnswIndex`], HNSW graphs through USearch), which persists to a folder and
//! is rebuilt from the SQL store (the source of truth) when its files are missing or
//! corrupt. The port itself and the exact index live in `coinswarm_core::memory`.
#![warn(missing_debug_implementations, unused_crate_dependencies)]

pub mod hnsw;

pub use hnsw::{HnswConfig, HnswError, HnswIndex, VectorPrecision};
