//! The swarm: agents vote, a committee decides, a planner adapts the committee to the
//! regime, and an oversight manager and a circuit breaker guard capital.

mod agent;
mod circuit_breaker;
mod observation;
mod oversight;
mod portfolio;
mod vote;

pub use agent::{Agent, DecisionContext};
pub use circuit_breaker::{
    BreakerState, CircuitBreaker, CircuitBreakerConfig, Transition, TransitionCause, TripReason,
};
pub use observation::Observation;
pub use oversight::{AccountSnapshot, Breach, Oversight, OversightConfig, OversightRejection, ProposedOrder};
pub use portfolio::PortfolioView;
pub use vote::{Action, AgentKind, REASON_VALUES, Reason, Vote};
