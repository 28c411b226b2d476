//! # coinswarm-coinbase
//!
//! Coinbase Advanced Trade connectivity: CDP API keys and their per-request JWTs
//! ([`auth`]), client-side rate limits ([`limiter`]), and the REST client with retries and
//! typed errors ([`rest`]), and the WebSocket client with reconnects and gap resync
//! ([`ws`], [`order_book`]), and orders in Coinbase's words ([`orders`]).
#![forbid(unsafe_code)]
#![warn(missing_debug_implementations)]

pub mod auth;
pub mod error;
pub mod limiter;
#[cfg(feature = "mock")]
pub mod mock;
pub mod order_book;
pub mod orders;
pub mod products;
pub mod rest;
pub mod ws;

pub use auth::{CdpKey, KeyError, VerifyingKey};
pub use error::{CoinbaseError, ErrorBody};
pub use orders::OrderRefused;
pub use rest::{CoinbaseRest, MAX_CANDLES_PER_REQUEST, RestConfig, install_tls_provider};
pub use ws::{Subscription, WsClient, WsConfig, WsEvent};
