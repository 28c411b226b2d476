//! The record of the breaker's state changes.

use super::state::BreakerState;
use super::trip::TripReason;
use crate::time::Timestamp;
use rust_decimal::Decimal;
use serde::Serialize;

/// What moved the breaker from one state to another.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "cause", rename_all = "snake_case")]
pub enum TransitionCause {
    /// A trip condition was met (CLOSED or HALF_OPEN → OPEN).
    Tripped { reason: TripReason },
    /// The cool-down since the trip elapsed (OPEN → HALF_OPEN), dated at its exact end.
    CooldownElapsed,
    /// An operator reset the breaker (OPEN or HALF_OPEN → CLOSED).
    OperatorReset,
    /// A winning probe trade while HALF_OPEN with auto-close (HALF_OPEN → CLOSED).
    ProbeTradeWon { pnl: Decimal },
}

/// One state change.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Transition {
    pub time: Timestamp,
    pub from: BreakerState,
    pub to: BreakerState,
    #[serde(flatten)]
    pub cause: TransitionCause,
}

impl Transition {
    /// The trip reason, when this transition is a trip.
    pub fn trip_reason(&self) -> Option<&TripReason> {
        match &self.cause {
            TransitionCause::Tripped { reason } => Some(reason),
            _ => None,
        }
    }
}
