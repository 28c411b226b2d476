//! What drives the sessions from outside: the replay of a bar series ([`replay`]),
//! Coinbase's market feed ([`coinbase_market`]) and the live Coinbase venue that takes the
//! swarm's orders and reports their fate ([`coinbase_venue`]). A feed imports sessions and
//! adapters, never the desk or a transport.

pub mod coinbase_market;
pub mod coinbase_venue;
pub mod replay;
