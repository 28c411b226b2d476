//! The hedge agent: protective exits (stop-loss, take-profit) for a held position, and the
//! risk-per-trade sizing and reward/risk filter the orchestrator applies to buys.

use serde::{Deserialize, Serialize};

use crate::swarm::{Action, Agent, AgentKind, DecisionContext, Observation, Reason, Vote};

/// The hedge agent's thresholds. All are fractions of a price or of equity (0.02 = 2%),
/// not basis points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HedgeConfig {
    /// Exit when the price falls this fraction below the entry price (inclusive): 0.02.
    pub stop_loss: f64,
    /// Exit when the price rises this fraction above the entry price (inclusive): 0.06.
    pub take_profit: f64,
    /// Equity lost if a new position is stopped out: 0.02 of equity.
    pub risk_per_trade: f64,
    /// Smallest reward/risk a new position may offer (reward per unit of risk): 2.0.
    pub min_reward_risk: f64,
}

impl Default for HedgeConfig {
    fn default() -> Self {
        Self { stop_loss: 0.02, take_profit: 0.06, risk_per_trade: 0.02, min_reward_risk: 2.0 }
    }
}

impl HedgeConfig {
    /// The stop price of a position entered at `entry_price`.
    pub fn stop_price(&self, entry_price: f64) -> f64 {
        entry_price * (1.0 - self.stop_loss)
    }

    /// The take-profit price of a position entered at `entry_price`.
    pub fn take_profit_price(&self, entry_price: f64) -> f64 {
        entry_price * (1.0 + self.take_profit)
    }

    /// (target − entry) / (entry − stop) for a long entry, when it is at least
    /// `min_reward_risk`; `None` for a trade below it, or when the prices are not a long
    /// trade (stop < entry < target, all positive and finite).
    pub fn reward_risk(&self, entry_price: f64, stop_price: f64, target_price: f64) -> Option<f64> {
        if !(is_long_trade(entry_price, stop_price) && target_price.is_finite() && target_price > entry_price) {
            return None;
        }
        let ratio = (target_price - entry_price) / (entry_price - stop_price);
        (ratio >= self.min_reward_risk).then_some(ratio)
    }

    /// The size of a long entry, as a fraction of equity, that loses `risk_per_trade` of
    /// equity if the price falls from `entry_price` to `stop_price`:
    /// risk_per_trade / ((entry − stop) / entry). The fraction does not depend on equity.
    ///
    /// Returns 0 (no trade) when equity is not positive, the prices are not a long trade,
    /// or the take-profit target (entry × (1 + take_profit)), where this agent exits, pays
    /// less than `min_reward_risk` for that stop. Capped at 1 (no leverage); the oversight
    /// limits cap it further.
    pub fn position_size_for_risk(&self, equity: f64, entry_price: f64, stop_price: f64) -> f64 {
        if !(equity.is_finite() && equity > 0.0) {
            return 0.0;
        }
        if self.reward_risk(entry_price, stop_price, self.take_profit_price(entry_price)).is_none() {
            return 0.0;
        }
        let stop_distance = (entry_price - stop_price) / entry_price;
        (self.risk_per_trade / stop_distance).clamp(0.0, 1.0)
    }
}

fn is_long_trade(entry_price: f64, stop_price: f64) -> bool {
    entry_price.is_finite() && stop_price.is_finite() && stop_price > 0.0 && entry_price > stop_price
}

/// Votes to exit a held position at its stop-loss or take-profit; never opens one and
/// abstains otherwise. It keeps no state: the entry price comes from the portfolio.
#[derive(Debug, Clone, Default)]
pub struct HedgeAgent {
    config: HedgeConfig,
}

impl HedgeAgent {
    pub fn new(config: HedgeConfig) -> Self {
        Self { config }
    }

    pub fn config(&self) -> &HedgeConfig {
        &self.config
    }
}

impl Agent for HedgeAgent {
    fn kind(&self) -> AgentKind {
        AgentKind::Hedge
    }

    fn observe(&mut self, _observation: &Observation) {}

    fn vote(&self, context: &DecisionContext<'_>) -> Option<Vote> {
        let portfolio = context.portfolio;
        let entry = portfolio.entry_price;
        let price = context.observation.close;
        if !(portfolio.position_size > 0.0 && entry > 0.0 && price.is_finite() && price > 0.0) {
            return None;
        }
        // Sell the whole position: its value as a fraction of equity.
        let size = portfolio.concentration(price);
        let stop = self.config.stop_price(entry);
        if price <= stop {
            let reason = Reason::new(
                "stop-loss: price {} ≤ stop {} (entry {} −{}%)",
                [price, stop, entry, self.config.stop_loss * 100.0],
            );
            return Some(Vote::new(AgentKind::Hedge, Action::Sell, 1.0, size, reason));
        }
        let target = self.config.take_profit_price(entry);
        if price >= target {
            let reason = Reason::new(
                "take-profit: price {} ≥ target {} (entry {} +{}%)",
                [price, target, entry, self.config.take_profit * 100.0],
            );
            return Some(Vote::new(AgentKind::Hedge, Action::Sell, 1.0, size, reason));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::swarm::PortfolioView;
    use crate::swarm::agents::scenario::bar;

    /// 0.5 BTC bought at 50,000 in a 100,000 USD account.
    fn holding() -> PortfolioView {
        PortfolioView {
            equity: 100_000.0,
            peak_equity: 100_000.0,
            cash: 75_000.0,
            position_size: 0.5,
            entry_price: 50_000.0,
            open_positions: 1,
        }
    }

    fn vote_at(price: f64, portfolio: &PortfolioView) -> Option<Vote> {
        let observation = bar(price);
        HedgeAgent::default().vote(&DecisionContext { observation: &observation, portfolio, other_venues: &[] })
    }

    #[test]
    fn hedge_votes_to_sell_when_price_hits_the_stop() {
        let vote = vote_at(49_000.0, &holding()).expect("exactly −2% is the stop");
        assert_eq!((vote.action, vote.confidence, vote.veto), (Action::Sell, 1.0, false));
        assert_eq!(vote.size, 0.5 * 49_000.0 / 100_000.0);
        assert_eq!(vote.reason.to_string(), "stop-loss: price 49000 ≤ stop 49000 (entry 50000 −2%)");
        assert_eq!(vote_at(45_000.0, &holding()).unwrap().action, Action::Sell);
    }

    #[test]
    fn hedge_holds_on_when_price_is_just_above_the_stop() {
        // −1.99%.
        assert_eq!(vote_at(49_005.0, &holding()), None);
    }

    #[test]
    fn hedge_votes_to_sell_when_price_reaches_the_take_profit() {
        let vote = vote_at(53_000.0, &holding()).expect("exactly +6% is the target");
        assert_eq!((vote.action, vote.confidence), (Action::Sell, 1.0));
        assert_eq!(vote.reason.to_string(), "take-profit: price 53000 ≥ target 53000 (entry 50000 +6%)");
        // +5.99%.
        assert_eq!(vote_at(52_995.0, &holding()), None);
    }

    #[test]
    fn hedge_never_opens_a_position() {
        let flat = PortfolioView { position_size: 0.0, entry_price: 0.0, ..holding() };
        for price in [10_000.0, 49_000.0, 53_000.0, 90_000.0] {
            assert_eq!(vote_at(price, &flat), None);
        }
    }

    #[test]
    fn risk_sizing_loses_two_percent_of_equity_at_the_stop() {
        let config = HedgeConfig::default();
        // Stop 1% below: 2% / 1% = 200% of equity, capped at 100%.
        assert_eq!(config.position_size_for_risk(100_000.0, 50_000.0, 49_500.0), 1.0);
        // Stop 2.5% below: 0.8 of equity; stopped out, it loses 0.8 × 2.5% = 2% of equity.
        let size = config.position_size_for_risk(100_000.0, 50_000.0, 48_750.0);
        assert!((size - 0.8).abs() < 1e-12, "{size}");
        // Stop 3% below: the 6% target pays exactly 2:1, still allowed.
        let size = config.position_size_for_risk(100_000.0, 50_000.0, 48_500.0);
        assert!((size - 2.0 / 3.0).abs() < 1e-12, "{size}");
    }

    #[test]
    fn risk_sizing_refuses_trades_below_two_to_one_or_not_long() {
        let config = HedgeConfig::default();
        // Stop 4% below against a 6% target: 1.5:1.
        assert_eq!(config.position_size_for_risk(100_000.0, 50_000.0, 48_000.0), 0.0);
        assert_eq!(config.position_size_for_risk(100_000.0, 50_000.0, 50_000.0), 0.0);
        assert_eq!(config.position_size_for_risk(100_000.0, 50_000.0, 51_000.0), 0.0);
        assert_eq!(config.position_size_for_risk(0.0, 50_000.0, 49_000.0), 0.0);
        assert_eq!(config.position_size_for_risk(100_000.0, f64::NAN, 49_000.0), 0.0);
    }

    #[test]
    fn reward_risk_accepts_two_to_one_and_rejects_less() {
        let config = HedgeConfig::default();
        assert_eq!(config.reward_risk(100.0, 98.0, 106.0), Some(3.0));
        assert_eq!(config.reward_risk(100.0, 98.0, 104.0), Some(2.0));
        assert_eq!(config.reward_risk(100.0, 98.0, 103.96), None);
        assert_eq!(config.reward_risk(100.0, 101.0, 106.0), None);
        assert_eq!(config.reward_risk(100.0, 98.0, 99.0), None);
    }

    #[test]
    fn config_reads_partial_json_with_defaults_and_rejects_unknown_fields() {
        let config: HedgeConfig = serde_json::from_str(r#"{"stop_loss": 0.03}"#).unwrap();
        assert_eq!(config, HedgeConfig { stop_loss: 0.03, ..HedgeConfig::default() });
        assert!(serde_json::from_str::<HedgeConfig>(r#"{"stoploss": 0.03}"#).is_err());
    }
}
