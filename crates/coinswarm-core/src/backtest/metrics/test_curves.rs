//! Small hand-checkable equity curves shared by the tests of this folder.

use super::EquityPoint;
use crate::time::{DAY_MS, Timestamp};
use rust_decimal::Decimal;

/// Daily points at day 0, 1, 2, … with the given equity and no exposure.
pub(super) fn daily(equities: &[i64]) -> Vec<EquityPoint> {
    equities
        .iter()
        .enumerate()
        .map(|(day, &equity)| EquityPoint {
            time: Timestamp(day as i64 * DAY_MS),
            equity: Decimal::from(equity),
            exposure: Decimal::ZERO,
        })
        .collect()
}

/// The reference curve 100 → 125 → 100 → 125 → 150, daily: per-bar returns +0.25, −0.2,
/// +0.25, +0.2; a 20 % drawdown from day 1 (125) to day 2 (100), recovered on day 3.
pub(super) fn reference() -> Vec<EquityPoint> {
    daily(&[100, 125, 100, 125, 150])
}
