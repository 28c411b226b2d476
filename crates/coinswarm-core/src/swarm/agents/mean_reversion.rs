//! The mean-reversion agent: buys a price stretched below its recent mean and sells one
//! stretched above it, on three signals — Bollinger bands, the rolling z-score and the RSI.

use serde::{Deserialize, Serialize};

use crate::indicators::{Bollinger, Rsi, ZScore};
use crate::swarm::{Action, Agent, AgentKind, DecisionContext, Observation, Reason, Vote};

/// The mean-reversion agent's settings. Periods count observations, one observation being
/// one bar.
///
/// A Buy or Sell's confidence is `base_confidence` for one signal, plus `agreement_bonus` for
/// each further signal on the same side, plus `stretch_bonus` × min((|z| − `zscore_threshold`)
/// / `full_stretch_sigmas`, 1) for a z-score beyond its threshold; the defaults sum to at most 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MeanReversionConfig {
    /// Bars of the Bollinger bands' middle (simple moving average) and standard deviation: 20.
    pub bollinger_period: usize,
    /// Half-width of the bands in population standard deviations: 2.0. A close strictly
    /// outside a band is a signal.
    pub bollinger_sigmas: f64,
    /// Bars of the rolling z-score of closes: 20.
    pub zscore_period: usize,
    /// |z-score| at or beyond which the close is stretched (inclusive: z ≤ −2 buys, z ≥ 2
    /// sells): 2.0.
    pub zscore_threshold: f64,
    /// Bars of Wilder's RSI: 14.
    pub rsi_period: usize,
    /// An RSI strictly below this is oversold, a buy signal, on the 0–100 scale: 30.
    pub rsi_oversold: f64,
    /// An RSI strictly above this is overbought, a sell signal, on the 0–100 scale: 70.
    pub rsi_overbought: f64,
    /// Confidence of a Buy or Sell on one signal at its threshold, and of a Hold when the
    /// signals disagree: 0.4.
    pub base_confidence: f64,
    /// Confidence added for each further signal agreeing: 0.2.
    pub agreement_bonus: f64,
    /// Confidence added at full stretch: 0.2.
    pub stretch_bonus: f64,
    /// Standard deviations beyond `zscore_threshold` that earn the whole stretch bonus: 1.0.
    pub full_stretch_sigmas: f64,
    /// Size at confidence 1, as a fraction of equity; a vote's size is this × its
    /// confidence: 0.1.
    pub max_size: f64,
}

impl Default for MeanReversionConfig {
    fn default() -> Self {
        Self {
            bollinger_period: 20,
            bollinger_sigmas: 2.0,
            zscore_period: 20,
            zscore_threshold: 2.0,
            rsi_period: 14,
            rsi_oversold: 30.0,
            rsi_overbought: 70.0,
            base_confidence: 0.4,
            agreement_bonus: 0.2,
            stretch_bonus: 0.2,
            full_stretch_sigmas: 1.0,
            max_size: 0.1,
        }
    }
}

/// Votes Buy when the close is below the lower Bollinger band, its z-score is at or below
/// −threshold, or the RSI is oversold; Sell on the mirror image; Hold when signals point both
/// ways. Abstains when no signal fires (a price inside its bands is no opinion) and until
/// the bands and the z-score are defined.
///
/// A flat window gives no signal: its bands collapse onto the price, its z-score is 0 and
/// Wilder's RSI of no gains and no losses is reported as a neutral 50. So after a run of equal
/// prices a sudden drop is seen by the bands and the z-score as soon as it happens.
/// Observations whose close is not a positive, finite number are ignored.
#[derive(Debug, Clone)]
pub struct MeanReversionAgent {
    config: MeanReversionConfig,
    bands: Bollinger,
    zscore: ZScore,
    rsi: Rsi,
}

/// Which side each signal is on.
#[derive(Debug, Clone, Copy, Default)]
struct Signals {
    band: bool,
    zscore: bool,
    rsi: bool,
}

impl Signals {
    fn count(self) -> u8 {
        u8::from(self.band) + u8::from(self.zscore) + u8::from(self.rsi)
    }
}

impl MeanReversionAgent {
    pub fn new(config: MeanReversionConfig) -> Self {
        Self {
            bands: Bollinger::new(config.bollinger_period, config.bollinger_sigmas),
            zscore: ZScore::new(config.zscore_period),
            rsi: Rsi::new(config.rsi_period),
            config,
        }
    }

    pub fn config(&self) -> &MeanReversionConfig {
        &self.config
    }

    /// Confidence of a Buy or Sell on `signals` agreeing with z-score `z`.
    fn confidence(&self, signals: u8, z: f64) -> f64 {
        let c = &self.config;
        let beyond = (z.abs() - c.zscore_threshold).max(0.0);
        let stretch = if c.full_stretch_sigmas > 0.0 { (beyond / c.full_stretch_sigmas).min(1.0) } else { 1.0 };
        c.base_confidence + c.agreement_bonus * f64::from(signals.saturating_sub(1)) + c.stretch_bonus * stretch
    }
}

impl Default for MeanReversionAgent {
    fn default() -> Self {
        Self::new(MeanReversionConfig::default())
    }
}

impl Agent for MeanReversionAgent {
    fn kind(&self) -> AgentKind {
        AgentKind::MeanReversion
    }

    fn observe(&mut self, observation: &Observation) {
        let close = observation.close;
        if !(close.is_finite() && close > 0.0) {
            return;
        }
        self.bands.update(close);
        self.zscore.update(close);
        self.rsi.update(close);
    }

    fn vote(&self, context: &DecisionContext<'_>) -> Option<Vote> {
        let (bands, z) = (self.bands.value()?, self.zscore.value()?);
        let close = context.observation.close;
        let c = &self.config;
        let rsi = self.rsi.value();
        let buy = Signals {
            band: close < bands.lower,
            zscore: z <= -c.zscore_threshold,
            rsi: rsi.is_some_and(|rsi| rsi < c.rsi_oversold),
        };
        let sell = Signals {
            band: close > bands.upper,
            zscore: z >= c.zscore_threshold,
            rsi: rsi.is_some_and(|rsi| rsi > c.rsi_overbought),
        };
        // Reasons show NaN while the RSI is undefined (an RSI period longer than the bands').
        let rsi = rsi.unwrap_or(f64::NAN);
        let vote = match (buy.count(), sell.count()) {
            (0, 0) => return None,
            (_, 0) => {
                let reason = if buy.band {
                    Reason::new("close {} below the lower band {} (z-score {}, RSI {})", [close, bands.lower, z, rsi])
                } else if buy.zscore {
                    Reason::new("z-score {} at or below −{} (close {}, RSI {})", [z, c.zscore_threshold, close, rsi])
                } else {
                    Reason::new("RSI {} below {} (oversold) at close {}, z-score {}", [rsi, c.rsi_oversold, close, z])
                };
                let confidence = self.confidence(buy.count(), z);
                Vote::new(AgentKind::MeanReversion, Action::Buy, confidence, c.max_size * confidence, reason)
            }
            (0, _) => {
                let reason = if sell.band {
                    Reason::new("close {} above the upper band {} (z-score {}, RSI {})", [close, bands.upper, z, rsi])
                } else if sell.zscore {
                    Reason::new("z-score {} at or above {} (close {}, RSI {})", [z, c.zscore_threshold, close, rsi])
                } else {
                    Reason::new(
                        "RSI {} above {} (overbought) at close {}, z-score {}",
                        [rsi, c.rsi_overbought, close, z],
                    )
                };
                let confidence = self.confidence(sell.count(), z);
                Vote::new(AgentKind::MeanReversion, Action::Sell, confidence, c.max_size * confidence, reason)
            }
            _ => {
                let reason = Reason::new(
                    "signals disagree: close {}, bands {} to {}, RSI {}",
                    [close, bands.lower, bands.upper, rsi],
                );
                Vote::new(AgentKind::MeanReversion, Action::Hold, c.base_confidence, 0.0, reason)
            }
        };
        Some(vote)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::swarm::agents::scenario::{FLAT, market, observations, vote_after};
    use crate::synthetic::{RegimeKind, RegimeMetadata};
    use rust_decimal::Decimal;
    use rust_decimal::prelude::ToPrimitive;

    /// 20 closes at 50,000, then `last`.
    fn after_a_flat_run(last: f64) -> Option<Vote> {
        let mut prices = [50_000.0; 21];
        prices[20] = last;
        vote_after(&mut MeanReversionAgent::default(), &prices)
    }

    #[test]
    fn mean_reversion_buys_a_drop_to_48000_after_20_prices_at_50000() {
        let vote = after_a_flat_run(48_000.0).expect("a vote");
        assert_eq!((vote.agent, vote.action, vote.veto), (AgentKind::MeanReversion, Action::Buy, false));
        assert_eq!(vote.reason.to_string(), "close 48000 below the lower band 49028.2202 (z-score -4.3589, RSI 0)");
        // Three signals agree (0.4 + 2 × 0.2) and z is over a σ past its threshold (+0.2).
        assert_eq!((vote.confidence, vote.size), (1.0, 0.1));
    }

    #[test]
    fn mean_reversion_sells_a_rise_to_52000_after_20_prices_at_50000() {
        let vote = after_a_flat_run(52_000.0).expect("a vote");
        assert_eq!(vote.action, Action::Sell);
        assert_eq!(vote.reason.to_string(), "close 52000 above the upper band 50971.7798 (z-score 4.3589, RSI 100)");
        assert_eq!((vote.confidence, vote.size), (1.0, 0.1));
    }

    #[test]
    fn mean_reversion_abstains_before_its_bands_on_a_flat_window_and_inside_the_bands() {
        let mut agent = MeanReversionAgent::default();
        assert_eq!(vote_after(&mut agent, &[50_000.0; 19]), None, "19 closes do not make 20-bar bands");
        assert_eq!(vote_after(&mut agent, &[50_000.0]), None, "a flat window: z-score 0, RSI 50");
        assert_eq!(after_a_flat_run(50_000.0), None);
        let mut swinging: Vec<f64> = (0..20).map(|i| if i % 2 == 0 { 49_900.0 } else { 50_100.0 }).collect();
        swinging.push(50_000.0);
        assert_eq!(vote_after(&mut agent, &swinging), None, "at the middle band, z ≈ 0, RSI ≈ 50");
    }

    #[test]
    fn mean_reversion_buys_on_an_oversold_rsi_alone_with_the_base_confidence() {
        // A steady fall: the last close is only 1.65σ below its 20-bar mean, but RSI is 0.
        let prices: Vec<f64> = (0..26).map(|i| 100.0 - f64::from(i)).collect();
        let vote = vote_after(&mut MeanReversionAgent::default(), &prices).expect("a vote");
        assert_eq!(vote.action, Action::Buy);
        assert_eq!(vote.reason.to_string(), "RSI 0 below 30 (oversold) at close 75, z-score -1.6475");
        assert!((vote.confidence - 0.4).abs() < 1e-12);
    }

    #[test]
    fn mean_reversion_holds_when_its_signals_point_both_ways() {
        // After a long rise a sharp drop sits a σ under the 5-bar mean while RSI is still high.
        let config = MeanReversionConfig {
            bollinger_period: 5,
            zscore_period: 5,
            zscore_threshold: 1.0,
            ..MeanReversionConfig::default()
        };
        let mut prices: Vec<f64> = (6..=20).map(|i| f64::from(i) * 10.0).collect();
        prices.push(170.0);
        let vote = vote_after(&mut MeanReversionAgent::new(config), &prices).expect("a vote");
        assert_eq!((vote.action, vote.size), (Action::Hold, 0.0));
        assert_eq!(vote.reason.to_string(), "signals disagree: close 170, bands 158.6762 to 205.3238, RSI 81.25");
    }

    #[test]
    fn mean_reversion_confidence_grows_with_agreeing_signals_and_stretch() {
        let agent = MeanReversionAgent::default();
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        assert!(close(agent.confidence(1, -2.0), 0.4));
        assert!(close(agent.confidence(2, -2.0), 0.6));
        assert!(close(agent.confidence(3, -2.0), 0.8));
        assert!(close(agent.confidence(1, 2.5), 0.5), "half a σ past the threshold earns half the stretch bonus");
        assert!(close(agent.confidence(3, -3.0), 1.0));
        assert!(close(agent.confidence(3, -9.0), 1.0), "stretch saturates");
    }

    #[test]
    fn mean_reversion_buys_dips_and_sells_rips_in_a_range() {
        let market = market(RegimeKind::RangeBound);
        let RegimeMetadata::RangeBound(range) = market.metadata else { panic!("a range reports its band") };
        let centre = ((range.lower + range.upper) / Decimal::TWO).to_f64().unwrap();
        let mut agent = MeanReversionAgent::default();
        // [Buy, Sell] × [below, above] the Bollinger middle and the range's centre.
        let (mut by_middle, mut by_centre) = ([[0; 2]; 2], [[0; 2]; 2]);
        let (mut bought, mut sold) = (Vec::new(), Vec::new());
        for observation in observations(&market) {
            agent.observe(&observation);
            let Some(vote) =
                agent.vote(&DecisionContext { observation: &observation, portfolio: &FLAT, other_venues: &[] })
            else {
                continue;
            };
            let close = observation.close;
            let middle = agent.bands.value().unwrap().middle;
            let side = match vote.action {
                Action::Buy => {
                    bought.push(close);
                    0
                }
                Action::Sell => {
                    sold.push(close);
                    1
                }
                Action::Hold => continue,
            };
            by_middle[side][usize::from(close > middle)] += 1;
            by_centre[side][usize::from(close > centre)] += 1;
        }
        assert_eq!(by_middle, [[24, 0], [0, 25]], "seed 42: every buy below the middle band, every sell above");
        assert_eq!(by_centre, [[22, 2], [7, 18]], "seed 42: mostly buys in the range's lower half, sells in its upper");
        let mean = |prices: &[f64]| prices.iter().sum::<f64>() / prices.len() as f64;
        assert!(mean(&bought) < mean(&sold), "bought {} on average, sold {}", mean(&bought), mean(&sold));
    }

    #[test]
    fn mean_reversion_config_fills_missing_fields_with_defaults_and_refuses_unknown_ones() {
        let config: MeanReversionConfig = serde_json::from_str(r#"{"zscore_threshold": 2.5}"#).unwrap();
        assert_eq!(config, MeanReversionConfig { zscore_threshold: 2.5, ..MeanReversionConfig::default() });
        assert!(serde_json::from_str::<MeanReversionConfig>(r#"{"k": 2}"#).is_err());
    }
}
