//! The link between the tiers, as policy every host shares: a [`breaker`] per upstream and
//! [`batch`]ing with single flight for cache misses. Pure (time is passed in), so the
//! Worker's client of the agent tier and `up`'s side run the same rules, tested here.

pub mod batch;
pub mod breaker;
