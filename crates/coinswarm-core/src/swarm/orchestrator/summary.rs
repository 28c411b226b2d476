//! What a run of the swarm did, in numbers.

use super::restrictions::Restrictions;
use crate::swarm::planner::Regime;
use crate::swarm::vote::AgentKind;
use crate::time::Timestamp;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;

/// Counters kept as the swarm runs.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct SwarmSummary {
    pub decisions: u64,
    pub buys: u64,
    pub sells: u64,
    pub holds: u64,
    /// Votes cast (not abstentions) per agent, in [`AgentKind::ALL`] order.
    pub votes: [u64; AgentKind::COUNT],
    /// Vetoes cast per agent, in [`AgentKind::ALL`] order.
    pub vetoes: [u64; AgentKind::COUNT],
    /// Hedge exits (stop-loss or take-profit) acted on.
    pub protective_exits: u64,
    /// Every accepted change of regime: when, and to what.
    pub regime_changes: Vec<(Timestamp, Regime)>,
    pub breaker_trips: u64,
    /// Orders oversight blocked.
    pub oversight_blocks: u64,
    /// Decisions taken while the circuit breaker did not allow new exposure.
    pub breaker_blocked_decisions: u64,
    /// Buy or Sell decisions that sent no order, by reason (`breaker`, `no_position`,
    /// `below_minimum`, `reward_risk`, `halted`, `no_price`).
    pub skipped: BTreeMap<&'static str, u64>,
    /// Orders sent to the exchange, and those it rejected.
    pub orders: u64,
    pub rejected_orders: u64,
    /// Fills received.
    pub fills: u64,
    pub fees_paid: Decimal,
    pub initial_equity: Decimal,
    pub final_equity: Decimal,
    /// Decisions taken unable to add risk, by cause, with dates.
    pub restrictions: Restrictions,
}

impl SwarmSummary {
    /// (final − initial) / initial, or 0 without initial equity.
    pub fn total_return(&self) -> Decimal {
        if self.initial_equity.is_zero() {
            Decimal::ZERO
        } else {
            (self.final_equity - self.initial_equity) / self.initial_equity
        }
    }
}
