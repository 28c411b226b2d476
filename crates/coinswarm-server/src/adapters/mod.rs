//! Adapters the sessions and the desk call: storage ports and their embedded adapters
//! ([`store`]), the bar archive ([`archive`]) and Coinbase backfill into it ([`backfill`]),
//! API keys ([`keys`]), pattern memory's index on disk ([`memory_index`]), the learned
//! model's promoted versions ([`model_store`]), the post-trade
//! loop ([`post_trade`]), order and trade ids ([`order_ids`]) and files private to their
//! owner ([`private_files`]). An adapter imports no session, desk, feed or transport.

pub mod archive;
pub mod backfill;
pub mod edge_link;
pub mod keys;
pub mod memory_index;
pub mod model_store;
pub mod order_ids;
pub mod post_trade;
pub mod private_files;
pub mod store;
