//! The circuit breaker's thresholds and policy.

use crate::time::{MINUTE_MS, SECOND_MS};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Every circuit-breaker setting. Durations are milliseconds, fractions are plain fractions
/// (0.03 = 3%), and every threshold is inclusive: reaching it trips.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CircuitBreakerConfig {
    /// Loss that trips, as a fraction of the highest equity observed within the trailing
    /// loss window, current equity vs that maximum (default 0.03).
    pub equity_loss_fraction: Decimal,
    /// Length of the trailing equity window in ms; an observation exactly this old still
    /// counts, and so does the previous one however old, so the window is never narrower
    /// than one bar (default 5 minutes).
    pub equity_loss_window_ms: i64,
    /// Price move of one product that trips, up or down, as a fraction of the lowest (for
    /// a rise) or highest (for a fall) price within the trailing price window (default 0.10).
    pub price_move_fraction: f64,
    /// Length of the trailing price window in ms, inclusive and at least one bar wide like
    /// the equity window (default 60 seconds).
    pub price_move_window_ms: i64,
    /// Consecutive losing trades that trip; a break-even or winning trade restarts the
    /// count (default 5).
    pub max_consecutive_losses: u32,
    /// Time from a trip until the breaker turns HALF_OPEN, in ms (default 15 minutes).
    pub cooldown_ms: i64,
    /// When false (default), HALF_OPEN still blocks until an operator resets. When true,
    /// HALF_OPEN allows trading as a probe: a winning trade closes the breaker, and a
    /// losing trade or any trip condition re-opens it.
    pub auto_close: bool,
    /// Most state transitions kept in the history, oldest dropped first (default 1,000).
    pub history_limit: usize,
}

impl Default for CircuitBreakerConfig {
    fn default() -> Self {
        Self {
            equity_loss_fraction: Decimal::new(3, 2),
            equity_loss_window_ms: 5 * MINUTE_MS,
            price_move_fraction: 0.10,
            price_move_window_ms: 60 * SECOND_MS,
            max_consecutive_losses: 5,
            cooldown_ms: 15 * MINUTE_MS,
            auto_close: false,
            history_limit: 1_000,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partial_config_keeps_the_other_defaults_and_unknown_fields_are_refused() {
        let config: CircuitBreakerConfig = serde_json::from_str(r#"{"auto_close": true}"#).unwrap();
        assert_eq!(config, CircuitBreakerConfig { auto_close: true, ..CircuitBreakerConfig::default() });
        assert!(serde_json::from_str::<CircuitBreakerConfig>(r#"{"autoclose": true}"#).is_err());
    }
}
