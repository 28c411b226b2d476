//! The trend agent: follows a moving-average cross (the golden cross of the 50- and 200-bar
//! averages by default) when momentum agrees, and an RSI filter keeps it from buying into an
//! overbought market or selling into an oversold one.

use serde::{Deserialize, Serialize};

use crate::indicators::{Roc, Rsi, Sma};
use crate::swarm::{Action, Agent, AgentKind, DecisionContext, Observation, Reason, Vote};

/// The trend agent's settings. Periods count observations, one observation being one bar.
///
/// A Buy or Sell's confidence is `base_confidence`, plus a fresh-cross bonus that fades
/// linearly from `fresh_cross_bonus` on the bar of the cross to 0 after `fresh_cross_bars`,
/// plus `momentum_bonus` × min(|ROC| / `full_momentum_pct`, 1); the defaults sum to at most 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrendConfig {
    /// Bars of the fast simple moving average of closes: 50.
    pub fast_period: usize,
    /// Bars of the slow simple moving average of closes: 200. Fast above slow is an uptrend.
    pub slow_period: usize,
    /// Bars over which momentum is measured, as a rate of change in percent: 10.
    pub momentum_period: usize,
    /// Bars of Wilder's RSI: 14.
    pub rsi_period: usize,
    /// No buys while the RSI is strictly above this (overbought), on the 0–100 scale: 70.
    pub rsi_overbought: f64,
    /// No sells while the RSI is strictly below this (oversold), on the 0–100 scale: 30.
    pub rsi_oversold: f64,
    /// Confidence of a Buy or Sell long after its cross and with negligible momentum, and of
    /// every Hold: 0.4.
    pub base_confidence: f64,
    /// Confidence added on the bar of a cross, fading linearly to 0 over `fresh_cross_bars`: 0.3.
    pub fresh_cross_bonus: f64,
    /// Bars after a cross during which it counts as fresh (0 turns the bonus off): 10.
    pub fresh_cross_bars: u32,
    /// Confidence added at full momentum: 0.3.
    pub momentum_bonus: f64,
    /// |Rate of change| over `momentum_period`, in percent, that earns the whole momentum
    /// bonus: 5.0.
    pub full_momentum_pct: f64,
    /// Size at confidence 1, as a fraction of equity; a vote's size is this × its
    /// confidence: 0.1.
    pub max_size: f64,
}

impl Default for TrendConfig {
    fn default() -> Self {
        Self {
            fast_period: 50,
            slow_period: 200,
            momentum_period: 10,
            rsi_period: 14,
            rsi_overbought: 70.0,
            rsi_oversold: 30.0,
            base_confidence: 0.4,
            fresh_cross_bonus: 0.3,
            fresh_cross_bars: 10,
            momentum_bonus: 0.3,
            full_momentum_pct: 5.0,
            max_size: 0.1,
        }
    }
}

/// Votes Buy when the fast average is above the slow one with positive momentum and the RSI
/// not overbought, Sell on the mirror image (fast below slow, negative momentum, RSI not
/// oversold), and Hold otherwise, naming what held it back. Abstains until the slow average,
/// the momentum and the RSI are all defined. Observations whose close is not a positive,
/// finite number are ignored.
#[derive(Debug, Clone)]
pub struct TrendAgent {
    config: TrendConfig,
    fast: Sma,
    slow: Sma,
    momentum: Roc,
    rsi: Rsi,
    /// Fast − slow average on the last observation where both were defined.
    spread: Option<f64>,
    /// Observations since the averages last crossed (0 on the bar of the cross); `None`
    /// until a cross has been seen.
    bars_since_cross: Option<u32>,
}

impl TrendAgent {
    pub fn new(config: TrendConfig) -> Self {
        Self {
            fast: Sma::new(config.fast_period),
            slow: Sma::new(config.slow_period),
            momentum: Roc::new(config.momentum_period),
            rsi: Rsi::new(config.rsi_period),
            config,
            spread: None,
            bars_since_cross: None,
        }
    }

    pub fn config(&self) -> &TrendConfig {
        &self.config
    }

    /// Confidence of a Buy or Sell `bars_since_cross` bars after its cross (`None`: the
    /// cross predates the averages), with rate of change `roc_pct`.
    fn confidence(&self, bars_since_cross: Option<u32>, roc_pct: f64) -> f64 {
        let c = &self.config;
        let fresh = match bars_since_cross {
            Some(bars) if bars < c.fresh_cross_bars => 1.0 - f64::from(bars) / f64::from(c.fresh_cross_bars),
            _ => 0.0,
        };
        let momentum = if c.full_momentum_pct > 0.0 { (roc_pct.abs() / c.full_momentum_pct).min(1.0) } else { 1.0 };
        c.base_confidence + c.fresh_cross_bonus * fresh + c.momentum_bonus * momentum
    }

    /// Bars since the last cross, while it is fresh.
    fn fresh_cross(&self) -> Option<f64> {
        self.bars_since_cross.filter(|&bars| bars < self.config.fresh_cross_bars).map(f64::from)
    }

    fn trade(&self, action: Action, reason: Reason, roc: f64) -> Vote {
        let confidence = self.confidence(self.bars_since_cross, roc);
        Vote::new(AgentKind::Trend, action, confidence, self.config.max_size * confidence, reason)
    }

    fn hold(&self, reason: Reason) -> Vote {
        Vote::new(AgentKind::Trend, Action::Hold, self.config.base_confidence, 0.0, reason)
    }
}

impl Default for TrendAgent {
    fn default() -> Self {
        Self::new(TrendConfig::default())
    }
}

impl Agent for TrendAgent {
    fn kind(&self) -> AgentKind {
        AgentKind::Trend
    }

    fn observe(&mut self, observation: &Observation) {
        let close = observation.close;
        if !(close.is_finite() && close > 0.0) {
            return;
        }
        let fast = self.fast.update(close);
        let slow = self.slow.update(close);
        self.momentum.update(close);
        self.rsi.update(close);
        if let Some(bars) = &mut self.bars_since_cross {
            *bars = bars.saturating_add(1);
        }
        if let (Some(fast), Some(slow)) = (fast, slow) {
            let spread = fast - slow;
            // Crossing means leaving "at or below" for "above" (golden) or "at or above" for
            // "below" (death), as in `crate::synthetic::golden_cross_bar`.
            if let Some(previous) = self.spread
                && ((previous <= 0.0 && spread > 0.0) || (previous >= 0.0 && spread < 0.0))
            {
                self.bars_since_cross = Some(0);
            }
            self.spread = Some(spread);
        }
    }

    fn vote(&self, _context: &DecisionContext<'_>) -> Option<Vote> {
        let (fast, slow) = (self.fast.value()?, self.slow.value()?);
        let (roc, rsi) = (self.momentum.value()?, self.rsi.value()?);
        let c = &self.config;
        let vote = if fast > slow {
            if roc <= 0.0 {
                self.hold(Reason::new(
                    "fast SMA {} above slow SMA {} but momentum {}% is not positive",
                    [fast, slow, roc],
                ))
            } else if rsi > c.rsi_overbought {
                let reason = Reason::new(
                    "fast SMA {} above slow SMA {} but RSI {} above {} (overbought)",
                    [fast, slow, rsi, c.rsi_overbought],
                );
                self.hold(reason)
            } else if let Some(bars) = self.fresh_cross() {
                let reason = Reason::new(
                    "golden cross {} bars ago: fast SMA {} above slow SMA {}, momentum {}%",
                    [bars, fast, slow, roc],
                );
                self.trade(Action::Buy, reason, roc)
            } else {
                let reason = Reason::new("fast SMA {} above slow SMA {}, momentum {}%, RSI {}", [fast, slow, roc, rsi]);
                self.trade(Action::Buy, reason, roc)
            }
        } else if fast < slow {
            if roc >= 0.0 {
                self.hold(Reason::new(
                    "fast SMA {} below slow SMA {} but momentum {}% is not negative",
                    [fast, slow, roc],
                ))
            } else if rsi < c.rsi_oversold {
                let reason = Reason::new(
                    "fast SMA {} below slow SMA {} but RSI {} below {} (oversold)",
                    [fast, slow, rsi, c.rsi_oversold],
                );
                self.hold(reason)
            } else if let Some(bars) = self.fresh_cross() {
                let reason = Reason::new(
                    "death cross {} bars ago: fast SMA {} below slow SMA {}, momentum {}%",
                    [bars, fast, slow, roc],
                );
                self.trade(Action::Sell, reason, roc)
            } else {
                let reason = Reason::new("fast SMA {} below slow SMA {}, momentum {}%, RSI {}", [fast, slow, roc, rsi]);
                self.trade(Action::Sell, reason, roc)
            }
        } else {
            self.hold(Reason::new("fast SMA {} level with slow SMA {}", [fast, slow]))
        };
        Some(vote)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::swarm::agents::scenario::{market, observations, replay, vote_after};
    use crate::synthetic::{RegimeKind, RegimeMetadata};

    /// Short periods, so a handful of prices shows a cross.
    fn quick() -> TrendAgent {
        TrendAgent::new(TrendConfig {
            fast_period: 2,
            slow_period: 4,
            momentum_period: 2,
            rsi_period: 3,
            ..TrendConfig::default()
        })
    }

    #[test]
    fn trend_agent_abstains_until_the_slow_average_is_defined() {
        let votes = replay(&mut TrendAgent::default(), &observations(&market(RegimeKind::Trending)));
        assert!(votes[..199].iter().all(Option::is_none));
        assert!(votes[199..].iter().all(Option::is_some));
    }

    #[test]
    fn trend_agent_buys_right_after_the_golden_cross_and_never_during_the_decline() {
        let market = market(RegimeKind::Trending);
        let RegimeMetadata::Trending { trend_start_bar, golden_cross_bar } = market.metadata else {
            panic!("a trending market reports its golden cross")
        };
        assert_eq!((trend_start_bar, golden_cross_bar), (250, 309), "seed 42");
        let votes = replay(&mut TrendAgent::default(), &observations(&market));
        let action = |bar: usize| votes[bar].map(|vote| vote.action);

        assert!((0..golden_cross_bar).all(|bar| action(bar) != Some(Action::Buy)), "no buy before the cross");
        let sells = (199..trend_start_bar).filter(|&bar| action(bar) == Some(Action::Sell)).count();
        assert_eq!(sells, 39, "the decline is sold on 39 of its 51 warmed-up bars");

        let first_buy = (golden_cross_bar..votes.len()).find(|&bar| action(bar) == Some(Action::Buy)).unwrap();
        assert_eq!(first_buy, golden_cross_bar, "the agent sees the cross on the bar it happens");
        let vote = votes[first_buy].unwrap();
        assert_eq!(
            vote.reason.to_string(),
            "golden cross 0 bars ago: fast SMA 19171.8798 above slow SMA 19120.3309, momentum 2.6224%"
        );
        // Base 0.4 + the whole fresh-cross bonus 0.3 + momentum 2.6224% of 5% × 0.3.
        assert!((vote.confidence - (0.7 + 0.3 * vote.reason.values[3] / 5.0)).abs() < 1e-12);
        assert_eq!(vote.size, 0.1 * vote.confidence);
    }

    #[test]
    fn trend_agent_confidence_is_higher_right_after_a_cross_and_with_stronger_momentum() {
        let agent = TrendAgent::default();
        let confidence = |bars: Option<u32>, roc: f64| agent.confidence(bars, roc);
        assert_eq!(confidence(Some(0), 5.0), 1.0);
        assert!(confidence(Some(0), 2.0) > confidence(Some(5), 2.0));
        assert!(confidence(Some(5), 2.0) > confidence(Some(10), 2.0));
        assert_eq!(confidence(Some(10), 2.0), confidence(None, 2.0), "a cross 10 bars old is no longer fresh");
        assert!(confidence(None, -4.0) > confidence(None, 1.0), "momentum counts by magnitude, either way");
        assert_eq!(confidence(None, 50.0), confidence(None, 5.0), "momentum saturates at 5%");
        assert!((confidence(None, 0.0) - 0.4).abs() < 1e-12);
    }

    #[test]
    fn trend_agent_holds_rather_than_buy_an_overbought_market() {
        let vote = vote_after(&mut quick(), &[100.0, 101.0, 102.0, 103.0, 104.0, 105.0]).unwrap();
        assert_eq!((vote.action, vote.size), (Action::Hold, 0.0));
        assert_eq!(vote.reason.to_string(), "fast SMA 104.5 above slow SMA 103.5 but RSI 100 above 70 (overbought)");
    }

    #[test]
    fn trend_agent_holds_rather_than_sell_an_oversold_market() {
        let vote = vote_after(&mut quick(), &[105.0, 104.0, 103.0, 102.0, 101.0, 100.0]).unwrap();
        assert_eq!(vote.action, Action::Hold);
        assert_eq!(vote.reason.to_string(), "fast SMA 100.5 below slow SMA 101.5 but RSI 0 below 30 (oversold)");
    }

    #[test]
    fn trend_agent_sells_after_a_death_cross_with_falling_momentum() {
        let prices = [100.0, 102.0, 104.0, 106.0, 108.0, 103.0, 105.0, 100.0];
        let vote = vote_after(&mut quick(), &prices).unwrap();
        assert_eq!(vote.action, Action::Sell);
        assert_eq!(
            vote.reason.to_string(),
            "death cross 1 bars ago: fast SMA 102.5 below slow SMA 104, momentum -2.9126%"
        );
        // Base 0.4 + 0.9 of the fresh-cross bonus 0.3 + 2.9126% of 5% × 0.3.
        let expected = 0.4 + 0.3 * 0.9 + 0.3 * (1.0 - 100.0 / 103.0) * 100.0 / 5.0;
        assert!((vote.confidence - expected).abs() < 1e-12, "{}", vote.confidence);
    }

    #[test]
    fn trend_agent_holds_when_momentum_disagrees_with_the_averages() {
        let prices = [100.0, 102.0, 104.0, 106.0, 108.0, 103.0, 105.0, 100.0, 106.0];
        let vote = vote_after(&mut quick(), &prices).unwrap();
        assert_eq!(vote.action, Action::Hold);
        assert_eq!(vote.reason.to_string(), "fast SMA 103 below slow SMA 103.5 but momentum 0.9524% is not negative");
    }

    #[test]
    fn trend_config_fills_missing_fields_with_defaults_and_refuses_unknown_ones() {
        let config: TrendConfig = serde_json::from_str(r#"{"fast_period": 20, "slow_period": 100}"#).unwrap();
        assert_eq!(config, TrendConfig { fast_period: 20, slow_period: 100, ..TrendConfig::default() });
        let err = serde_json::from_str::<TrendConfig>(r#"{"fast": 20}"#).unwrap_err();
        assert!(err.to_string().contains("unknown field `fast`"), "{err}");
    }
}
