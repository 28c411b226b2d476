//! One line of the decision log: everything behind one decision, in a stable order.

use crate::market::{ProductId, Side};
use crate::risk::Breach;
use crate::risk::{BreakerState, RiskEvent, TripReason};
use crate::swarm::agents::{LearnedEvidence, OrderStyle, RecallEvidence};
use crate::swarm::committee::CommitteeDecision;
use crate::swarm::planner::{Regime, WeightProposal};
use crate::swarm::vote::{Action, AgentKind, Vote};
use crate::time::Timestamp;
use rust_decimal::Decimal;
use serde::Serialize;

/// A decision and its context. Field order is the serialisation order; do not reorder
/// without accepting that every run's hash changes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecisionRecord {
    pub seq: u64,
    /// When the decision was taken (the bar's close, or the quote's time).
    pub time: Timestamp,
    pub product_id: ProductId,
    /// The price decided on (bar close or quote mid).
    pub price: f64,
    pub regime: Regime,
    /// Set when the planner made a proposal at this event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposal: Option<WeightProposal>,
    /// Effective committee weights per agent, in [`AgentKind::ALL`] order.
    pub weights: [f64; AgentKind::COUNT],
    /// Votes of the agents that did not abstain, in [`AgentKind::ALL`] order.
    pub votes: Vec<Vote>,
    pub committee: CommitteeDecision,
    /// What the swarm set out to do after the committee: its action, or Sell for a hedge
    /// exit (stop-loss or take-profit) on an open position.
    pub action: Action,
    pub protective_exit: bool,
    pub breaker: BreakerVerdict,
    /// Oversight's breaches (empty when it passed or was not asked).
    pub oversight: Vec<Breach>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<OrderRecord>,
    /// Why no order was sent, when the action was Buy or Sell but none was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// Equity at the decision, in quote currency at the decision price.
    pub equity: Decimal,
    /// True while the swarm is in emergency shutdown (decisions are logged, nothing is sent).
    pub halted: bool,
    /// What the gate saw or did at this decision beyond the order: a drawdown breach or its
    /// end, an operator's reset of the peak, working buys cancelled on a breach.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub risk_events: Vec<RiskEvent>,
    /// What pattern memory recalled at this bar's close (with the recall agent enabled).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recall: Option<RecallEvidence>,
    /// The learned model's version (its hash) and prediction at this bar's close (with the
    /// learned agent enabled).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub learned: Option<LearnedEvidence>,
}

/// The circuit breaker at the decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BreakerVerdict {
    pub state: BreakerState,
    pub allows_trading: bool,
    /// Every trip this event caused (a closing trade's loss, equity, price), usually none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tripped: Vec<TripReason>,
}

/// The order intent sent to the exchange and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderRecord {
    pub side: Side,
    pub style: OrderStyle,
    /// Base size of the whole intent (all slices).
    pub base_size: Decimal,
    /// Notional in quote currency at the decision price.
    pub notional: Decimal,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit_price: Option<Decimal>,
    pub slices: u32,
    /// The exchange's answer per slice: an order id and status, or a rejection code.
    pub results: Vec<String>,
}
