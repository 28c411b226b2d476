//! # coinswarm-server
//!
//! The edge tier of Coinswarm in one process (`coinswarm up`): storage ports with embedded
//! adapters ([`store`]), one session per account that serialises its mutations and
//! acknowledges only durable writes ([`session`]), the replay feed ([`feed`]), the market
//! board ([`market`]), API keys ([`keys`]), the REST API ([`api`]) and pattern memory's
//! index on disk ([`memory_index`]), the trading desk both the REST API and the MCP server
//! ([`mcp`]) stand on ([`desk`]), wired by [`app`]; the data directory is private to its
//! owner ([`private_files`]).
#![forbid(unsafe_code)]
#![warn(missing_debug_implementations)]

pub mod api;
pub mod app;
pub mod archive;
pub mod backfill;
pub mod clock;
pub mod config;
pub mod desk;
pub mod feed;
pub mod hub;
pub mod keys;
pub mod live_feed;
pub mod live_venue;
pub mod market;
pub mod mcp;
pub mod memory_index;
pub mod metrics;
pub mod order_ids;
pub mod order_snapshot;
pub mod post_trade;
pub mod private_files;
pub mod registry;
pub mod serve;
pub mod session;
pub mod store;

pub use app::{RunningServer, SWARM_ACCOUNT, start};
pub use config::ServerConfig;
