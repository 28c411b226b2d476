//! # coinswarm-api
//!
//! The API contract every Coinswarm host answers by: `coinswarm up` (the axum server) today,
//! the edge Worker next. It is pure (no I/O, no runtime) and builds for
//! `wasm32-unknown-unknown`, so both hosts validate, refuse and answer with the same code.
//!
//! - [`ErrorCode`]: every error code the API answers, with its HTTP status.
//! - [`Failure`]: the transport-neutral failure the desk returns; REST writes it as the
//!   [`ErrorEnvelope`], MCP as a tool error. Every 503 carries a [`RetryAfter`].
//! - [`validation`] and [`query`]: request parameters and their checks.
//! - [`views`]: the typed bodies of the REST answers.
//! - [`stream`]: the WebSocket (`/stream`) messages.
//! - [`mcp`]: the MCP desk (tools, resources, prompts) over a host's services.
//! - [`routes`]: the one table of routes; [`openapi`]: the OpenAPI 3.1 document generated
//!   from that table and these types.

#![forbid(unsafe_code)]
#![warn(missing_debug_implementations)]

pub mod access;
mod error_code;
mod failure;
pub mod query;
mod retry_after;
pub mod validation;

pub use error_code::ErrorCode;
pub use failure::{ErrorBody, ErrorEnvelope, Failure};
pub use retry_after::RetryAfter;
pub mod body;
pub mod edge;
pub mod link;
pub mod market_board;
pub mod mcp;
pub mod openapi;
pub mod order_path;
pub mod order_snapshot;
pub mod routes;
pub mod schema;
pub mod stream;
pub mod subscription;
pub mod views;
