//! The swarm: agents vote, a committee decides, a planner adapts the committee to the
//! regime, and an oversight manager and a circuit breaker guard capital.

mod agent;
mod observation;
mod portfolio;
mod vote;

pub use agent::{Agent, DecisionContext};
pub use observation::Observation;
pub use portfolio::PortfolioView;
pub use vote::{Action, AgentKind, REASON_VALUES, Reason, Vote};
