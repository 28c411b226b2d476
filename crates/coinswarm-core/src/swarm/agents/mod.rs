//! The members of the swarm, one per file, built by [`registry::build`] and held as an
//! [`AgentSet`]: each folds market events into its own state and
//! votes Buy, Sell or Hold with a confidence, a size and a reason, or abstains.

mod arbitrage;
mod execution;
mod hedge;
mod learned;
mod mean_reversion;
mod recall;
pub mod registry;
mod risk;
#[cfg(test)]
mod scenario;
mod set;
mod trend;

pub use arbitrage::{ArbitrageAgent, ArbitrageConfig, TriangularCycle, cross_venue_edge_bps, triangular_edge};
pub use execution::{ExecutionAgent, ExecutionConfig, ExecutionPlan, OrderStyle};
pub use hedge::{HedgeAgent, HedgeConfig};
pub use learned::{LearnedAgent, LearnedConfig, LearnedEvidence, OnlineLearningConfig};
pub use mean_reversion::{MeanReversionAgent, MeanReversionConfig};
pub use recall::{RecallAgent, RecallConfig, RecallEvidence};
pub use risk::{RiskAgent, RiskConfig};
pub use set::AgentSet;
pub use trend::{TrendAgent, TrendConfig};
