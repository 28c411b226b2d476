//! The contract between the backtester and a trading strategy.

use super::metrics::AgentAttribution;
use crate::exchange::MatchingEngine;
use crate::market::{Candle, Product};
use crate::swarm::Restrictions;
use crate::time::Timestamp;

/// What a strategy is told at each bar's close.
#[derive(Debug, Clone, Copy)]
pub struct BarClose<'a> {
    pub product: &'a Product,
    /// The bar that just closed; the engine has already matched it.
    pub candle: &'a Candle,
    /// The bar's close as `f64`, correctly rounded (for indicators).
    pub close: f64,
    /// When the decision is taken: the bar's end. Orders placed now fill at the next bar's
    /// open at the earliest.
    pub decided_at: Timestamp,
    /// The same product's close on other venues at this bar, (venue, price).
    pub other_venues: &'a [(&'a str, f64)],
}

/// A strategy decides at each bar's close and trades through the paper exchange it is
/// handed: the same engine, fills and fees as every other runtime.
pub trait Strategy: std::fmt::Debug {
    /// A name for reports, e.g. `sma-cross(10,30)`.
    fn name(&self) -> String;

    /// Decides at `bar`'s close; may submit or cancel orders on `engine`.
    fn on_bar_close(&mut self, engine: &mut MatchingEngine, bar: &BarClose<'_>);

    /// What each agent contributed, for strategies made of agents (empty otherwise).
    fn attribution(&self) -> Vec<AgentAttribution> {
        Vec::new()
    }

    /// For strategies that trade through the pre-trade gate (the committee): the decisions
    /// taken unable to add risk, and the fraction beyond which a report must say so.
    fn restrictions(&self) -> Option<(Restrictions, f64)> {
        None
    }
}
