//! The strategies a backtest can run: the full committee, one agent alone, and the two
//! baselines users know (buy-and-hold, a long-only all-in SMA cross).

mod agent;
mod buy_and_hold;
mod committee;
mod orders;
pub mod registry;
mod sma_cross;

pub use agent::SingleAgent;
pub use buy_and_hold::BuyAndHold;
pub use committee::CommitteeStrategy;
pub use registry::{SmaLengths, StrategyError, StrategyName, StrategySettings};
pub use sma_cross::SmaCross;
