//! # coinswarm-edge
//!
//! Coinswarm's edge tier: a Cloudflare Worker written with workers-rs that answers the same
//! REST API and WebSocket stream as `coinswarm up`, from Workers KV (`CACHE`), D1 (`DB`:
//! keys, the account index, read models), two Durable Object classes (`AccountObject`, the
//! single writer of one account; `MarketHub`, the market and the stream), a queue
//! (`POST_TRADE`), R2 (`ARCHIVE`) and Analytics Engine (`ANALYTICS`). It decides nothing
//! itself: orders go down `coinswarm_api::order_path` into the core's matching engine and
//! pre-trade gate, answers are `coinswarm_api`'s views and failures.
//!
//! Off wasm32 only the host-independent parts compile (the calls between the Worker and
//! its objects, cache freshness, Vectorize's wire format), so `cargo build` and the unit tests run on any host. The
//! Worker itself is built with `worker-build --release` (see the README).

pub mod billable;
pub mod calls;
pub mod freshness;
pub mod pricing;
pub mod vectorize;

#[cfg(target_arch = "wasm32")]
mod worker;
