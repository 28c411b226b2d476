//! What a replay (`backtest`, `swarm`, `validate`) assumes that a live session does not: there
//! is no operator to reset a tripped breaker, and candles show neither the spread nor the
//! depth an order meets. Live and `coinswarm up` keep the swarm config's own defaults.

use clap::Args;
use coinswarm_core::swarm::SwarmConfig;
use rust_decimal::Decimal;
use serde::Deserialize;

/// Default slippage of a replay's taker fills, in basis points: half a typical BTC-USD spread
/// on a major venue plus the impact of a five- to six-figure market order, which candles do
/// not show.
pub const REPLAY_SLIPPAGE_BPS: i64 = 5;

/// Default participation cap of a replay: at most 10% of a bar's volume, the usual ceiling of
/// a participation algorithm; beyond it an order could not fill at the bar's prices.
pub const REPLAY_PARTICIPATION_CAP: Decimal = Decimal::from_parts(10, 0, 0, false, 2);

/// The flags that return a replay to the live defaults or to a frictionless market.
#[derive(Debug, Args, Clone, Copy, Default)]
pub struct ReplayRealism {
    /// No default slippage and no participation cap: fills at exactly the bar's prices, as
    /// before these defaults (fees still apply).
    #[arg(long)]
    pub frictionless: bool,
    /// A tripped circuit breaker stays half-open until an operator resets it, as live (a
    /// replay has no operator, so by default it closes itself after its cool-down).
    #[arg(long)]
    pub manual_breaker: bool,
}

/// The swarm config a replay starts from: the breaker closes itself after its cool-down, and
/// taker fills pay [`REPLAY_SLIPPAGE_BPS`] and take at most [`REPLAY_PARTICIPATION_CAP`] of a
/// bar's volume.
pub fn replay_config() -> SwarmConfig {
    let mut config = SwarmConfig::default();
    config.circuit_breaker.auto_close = true;
    config.exchange.slippage_bps = Decimal::from(REPLAY_SLIPPAGE_BPS);
    config.exchange.participation_cap = Some(REPLAY_PARTICIPATION_CAP);
    config
}

/// `file` (a config file's tables) laid over `base`: a key the file sets wins, every other
/// keeps the base's value (so `[circuit_breaker] auto_close = false` asks for the live
/// behaviour, and a file that does not name it keeps the replay's).
pub fn layered(base: &SwarmConfig, file: toml::Table) -> anyhow::Result<SwarmConfig> {
    let mut merged = toml::Table::try_from(base)?;
    merge(&mut merged, file);
    Ok(SwarmConfig::deserialize(toml::Value::Table(merged))?)
}

fn merge(into: &mut toml::Table, from: toml::Table) {
    for (key, value) in from {
        match (into.get_mut(&key), value) {
            (Some(toml::Value::Table(inner)), toml::Value::Table(table)) => merge(inner, table),
            (_, value) => {
                into.insert(key, value);
            }
        }
    }
}

impl ReplayRealism {
    /// Applies the flags to `config`.
    pub fn apply(&self, config: &mut SwarmConfig) {
        if self.frictionless {
            config.exchange.slippage_bps = Decimal::ZERO;
            config.exchange.participation_cap = None;
        }
        if self.manual_breaker {
            config.circuit_breaker.auto_close = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_overrides_only_the_keys_it_names() {
        let file: toml::Table = toml::from_str("[circuit_breaker]\ncooldown_ms = 60000").unwrap();
        let config = layered(&replay_config(), file).unwrap();
        assert!(config.circuit_breaker.auto_close, "the replay's default stays");
        assert_eq!(config.circuit_breaker.cooldown_ms, 60_000);
        assert_eq!(config.exchange.participation_cap, Some(REPLAY_PARTICIPATION_CAP));
        let live: toml::Table = toml::from_str("[circuit_breaker]\nauto_close = false").unwrap();
        assert!(!layered(&replay_config(), live).unwrap().circuit_breaker.auto_close);
        let unknown: toml::Table = toml::from_str("[circuit_breaker]\nautoclose = false").unwrap();
        assert!(layered(&replay_config(), unknown).is_err(), "unknown keys are still refused");
    }
}
