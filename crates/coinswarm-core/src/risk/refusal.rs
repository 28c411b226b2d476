//! Why the pre-trade gate refused an order: a typed reason with a stable code.

use super::oversight::OversightRejection;
use crate::time::Timestamp;
use std::fmt;

/// The gate's answer when an order may not go.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The account is halted by an operator.
    Halted,
    /// The circuit breaker is not closed and the order would not reduce a position.
    BreakerOpen {
        /// When the breaker's cool-down ends, if it is cooling down.
        until: Option<Timestamp>,
        /// Why it last tripped, in words.
        reason: Option<String>,
    },
    /// The order would break one or more oversight limits.
    Oversight(OversightRejection),
}

impl Refusal {
    /// The stable code users see: `SWARM_HALTED`, `BREAKER_OPEN` or `OVERSIGHT_BREACH`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Halted => "SWARM_HALTED",
            Self::BreakerOpen { .. } => "BREAKER_OPEN",
            Self::Oversight(_) => "OVERSIGHT_BREACH",
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Halted => f.write_str("the swarm's account is halted (POST /api/swarm/resume to resume)"),
            Self::BreakerOpen { until, reason } => {
                f.write_str("the circuit breaker is open")?;
                if let Some(until) = until {
                    write!(f, " until {}", until.to_rfc3339())?;
                }
                if let Some(reason) = reason {
                    write!(f, ": {reason}")?;
                }
                f.write_str("; only orders that reduce a position pass")
            }
            Self::Oversight(rejection) => write!(f, "oversight refused the order: {rejection}"),
        }
    }
}
