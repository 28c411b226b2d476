//! # coinswarm-server
//!
//! The edge tier of Coinswarm in one process (`coinswarm up`), in layers; a layer imports
//! only the layers below it, and nothing but the wiring imports [`app`]:
//!
//! - [`app`]: the wiring. Builds every service, starts the tasks, shuts them down in order.
//! - [`transport`]: how callers reach the desk: the REST API and WebSocket streams
//!   ([`transport::api`]), MCP over HTTP and stdio ([`transport::mcp`]), and the connection
//!   server ([`transport::serve`]).
//! - [`feeds`]: what drives the sessions from outside: the replay feed, Coinbase's market
//!   feed and the live Coinbase venue.
//! - [`desk`]: what a caller may read and do, whatever the transport; its [`desk::Desk`]
//!   holds the services.
//! - [`session`]: one session per account that serialises its mutations and acknowledges
//!   only durable writes, with the registry of running sessions, the event hub, the market
//!   board and the snapshots readers take.
//! - [`adapters`]: storage ports and their embedded adapters, the bar archive and backfill,
//!   API keys, pattern memory's index on disk, the post-trade loop, order ids and private
//!   files.
//! - The kernel every layer may use: [`config`], [`clock`], [`metrics`], [`progress`].
#![forbid(unsafe_code)]
#![warn(missing_debug_implementations)]

pub mod adapters;
pub mod app;
pub mod clock;
pub mod config;
pub mod desk;
pub mod feeds;
pub mod metrics;
pub mod progress;
pub mod session;
pub mod transport;

pub use app::{RunningServer, start, start_watched};
pub use config::ServerConfig;
pub use session::SWARM_ACCOUNT;
