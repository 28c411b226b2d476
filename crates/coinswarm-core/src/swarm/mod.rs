//! The swarm: agents vote, a committee decides, a planner adapts the committee to the
//! regime, and the pre-trade gate ([`crate::risk`]: oversight and a circuit breaker) guards
//! capital.

mod agent;
mod agents;
mod committee;
mod config;
mod decision_log;
mod observation;
mod orchestrator;
mod planner;
mod portfolio;
mod vote;

pub use agent::{Agent, DecisionContext};
pub use agents::*;
pub use committee::{AdaptiveWeightsConfig, Committee, CommitteeConfig, CommitteeDecision};
pub use config::{MAX_PERIOD, OrchestratorConfig, SwarmConfig, SwarmConfigError};
pub use decision_log::{DecisionLog, LoggedRecord};
pub use observation::Observation;
pub use orchestrator::{
    BreakerVerdict, DecisionOutcome, DecisionRecord, OrderRecord, RestrictedSpan, Restriction, Restrictions, Swarm,
    SwarmError, SwarmSummary,
};
pub use planner::{
    Planner, PlannerConfig, Regime, RegimeConfig, RegimeDetector, RegimeStatistics, RegimeWeights, WeightProposal,
    WeightTable,
};
pub use portfolio::PortfolioView;
pub use vote::{Action, AgentKind, REASON_VALUES, Reason, Vote};
