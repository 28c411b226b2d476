//! The oversight limits.

use crate::time::DAY_MS;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Every oversight limit. Fractions are plain fractions (0.25 = 25%), money is in quote
/// currency, and every bound is inclusive: a value equal to its limit passes, anything
/// beyond it is a breach.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OversightConfig {
    /// Largest value of one product's position after the order, as a fraction of equity
    /// (default 0.25: 25% passes, 25.01% is blocked).
    pub max_position_fraction: Decimal,
    /// Largest notional of a single order, in quote currency (default 25,000).
    pub max_order_notional: Decimal,
    /// Most trades per UTC day, the proposed one included (default 50: the 50th passes,
    /// the 51st is blocked; the count restarts at UTC midnight).
    pub max_trades_per_day: u32,
    /// Most products with an open position at once (default 5: a buy opening a 6th is blocked).
    pub max_open_positions: usize,
    /// Largest loss since the UTC day's first equity observation, as a fraction of that
    /// equity (default 0.05; restarts at UTC midnight).
    pub max_daily_loss_fraction: Decimal,
    /// Largest drawdown from peak equity, as a fraction of the peak (default 0.10).
    pub max_drawdown_fraction: Decimal,
    /// How far back the drawdown's peak is looked for, in ms (default 30 days): the peak is
    /// the highest equity observed within this window, so an account sitting in cash after a
    /// breach trades again once the old peak ages out. 0 keeps the all-time peak (then only
    /// an operator's reset, `POST /api/swarm/drawdown/reset`, ends a breach).
    pub drawdown_lookback_ms: i64,
}

impl Default for OversightConfig {
    fn default() -> Self {
        Self {
            max_position_fraction: Decimal::new(25, 2),
            max_order_notional: Decimal::from(25_000),
            max_trades_per_day: 50,
            max_open_positions: 5,
            max_daily_loss_fraction: Decimal::new(5, 2),
            max_drawdown_fraction: Decimal::new(10, 2),
            drawdown_lookback_ms: 30 * DAY_MS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partial_config_keeps_the_other_defaults_and_unknown_fields_are_refused() {
        let config: OversightConfig = serde_json::from_str(r#"{"max_trades_per_day": 10}"#).unwrap();
        assert_eq!(config, OversightConfig { max_trades_per_day: 10, ..OversightConfig::default() });
        assert!(serde_json::from_str::<OversightConfig>(r#"{"max_trades": 10}"#).is_err());
    }
}
