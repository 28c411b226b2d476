//! The swarm: agents vote, a committee decides, a planner adapts the committee to the
//! regime, and an oversight manager and a circuit breaker guard capital.

mod agent;
mod agents;
mod circuit_breaker;
mod committee;
mod config;
mod decision_log;
mod observation;
mod orchestrator;
mod oversight;
mod planner;
mod portfolio;
mod vote;

pub use agent::{Agent, DecisionContext};
pub use agents::*;
pub use circuit_breaker::{
    BreakerState, CircuitBreaker, CircuitBreakerConfig, Transition, TransitionCause, TripReason,
};
pub use committee::{AdaptiveWeightsConfig, Committee, CommitteeConfig, CommitteeDecision};
pub use config::{MAX_PERIOD, OrchestratorConfig, SwarmConfig, SwarmConfigError};
pub use decision_log::DecisionLog;
pub use observation::Observation;
pub use orchestrator::{BreakerVerdict, DecisionOutcome, DecisionRecord, OrderRecord, Swarm, SwarmError, SwarmSummary};
pub use oversight::{AccountSnapshot, Breach, Oversight, OversightConfig, OversightRejection, ProposedOrder};
pub use planner::{
    Planner, PlannerConfig, Regime, RegimeConfig, RegimeDetector, RegimeStatistics, RegimeWeights, WeightProposal,
    WeightTable,
};
pub use portfolio::PortfolioView;
pub use vote::{Action, AgentKind, REASON_VALUES, Reason, Vote};
