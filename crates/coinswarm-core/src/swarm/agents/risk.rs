//! The risk agent: never initiates a trade; vetoes every trade while the market or the
//! account is outside its limits.

use serde::{Deserialize, Serialize};

use crate::indicators::{RealisedVolatility, Roc};
use crate::swarm::{Agent, AgentKind, DecisionContext, Observation, Reason, Vote};
use crate::time::HOUR_MS;

/// The risk agent's limits. Every limit is inclusive: a value exactly at its limit is
/// allowed, one strictly above it vetoes. Fractions are plain (0.1 = 10%); the spread is in
/// basis points. Periods count observations, one observation being one bar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RiskConfig {
    /// Bars of returns in the realised volatility: 20.
    pub volatility_period: usize,
    /// Largest realised volatility allowed: the standard deviation of log returns per bar,
    /// as a fraction, for hourly bars: 0.02 (2% per hour). Bars of another length scale it
    /// by √(bar length in hours), as volatility grows with the square root of time (daily
    /// bars: 9.8%); the bar length is read from the observations' spacing (hourly until known).
    pub max_volatility: f64,
    /// Widest quote spread allowed, in basis points of the mid: 50.
    pub max_spread_bps: f64,
    /// Largest position in the product allowed, its value as a fraction of equity: 0.25.
    pub max_concentration: f64,
    /// Largest drawdown of equity from its peak allowed, as a fraction: 0.10.
    pub max_drawdown: f64,
    /// Bars over which a sudden move is measured, close to close: 1 (the last bar).
    pub move_bars: usize,
    /// Largest |return| over `move_bars` allowed, as a fraction, for hourly bars: 0.05;
    /// scaled by √(bar length in hours) like `max_volatility` (daily bars: 24.5%).
    pub max_move: f64,
}

impl Default for RiskConfig {
    fn default() -> Self {
        Self {
            volatility_period: 20,
            max_volatility: 0.02,
            max_spread_bps: 50.0,
            max_concentration: 0.25,
            max_drawdown: 0.10,
            move_bars: 1,
            max_move: 0.05,
        }
    }
}

/// Vetoes when a limit is breached, naming the limit and the numbers; abstains otherwise,
/// rather than holding, so that a calm market does not dilute the committee's scores (every
/// voter's weight is in their denominator). It never votes Buy or Sell.
///
/// Limits are checked in this order and the first breach is reported: a close that is not a
/// positive, finite number, drawdown, position concentration, sudden move, realised
/// volatility, spread. A limit whose measurement is not yet defined (volatility and move
/// before enough bars, spread without a quote) is not checked.
#[derive(Debug, Clone)]
pub struct RiskAgent {
    config: RiskConfig,
    volatility: RealisedVolatility,
    movement: Roc,
    last_time: Option<i64>,
    /// Shortest positive spacing seen between observations, in milliseconds.
    bar_ms: Option<i64>,
}

impl RiskAgent {
    pub fn new(config: RiskConfig) -> Self {
        Self {
            volatility: RealisedVolatility::new(config.volatility_period),
            movement: Roc::new(config.move_bars),
            config,
            last_time: None,
            bar_ms: None,
        }
    }

    /// √(bar length in hours): how much the per-hour limits widen for this market's bars.
    fn time_scale(&self) -> f64 {
        self.bar_ms.map_or(1.0, |ms| (ms as f64 / HOUR_MS as f64).sqrt())
    }

    pub fn config(&self) -> &RiskConfig {
        &self.config
    }

    fn breach(&self, context: &DecisionContext<'_>) -> Option<Reason> {
        let c = &self.config;
        let price = context.observation.close;
        if !(price.is_finite() && price > 0.0) {
            return Some(Reason::new("price {} is not a positive finite number", [price]));
        }
        let portfolio = context.portfolio;
        let drawdown = portfolio.drawdown();
        if drawdown > c.max_drawdown {
            return Some(Reason::new(
                "drawdown {}% from peak equity {} exceeds the limit {}%",
                [drawdown * 100.0, portfolio.peak_equity, c.max_drawdown * 100.0],
            ));
        }
        let concentration = portfolio.concentration(price);
        if concentration > c.max_concentration {
            return Some(Reason::new(
                "position {}% of equity exceeds the concentration limit {}%",
                [concentration * 100.0, c.max_concentration * 100.0],
            ));
        }
        let scale = self.time_scale();
        let (max_move, max_volatility) = (c.max_move * scale, c.max_volatility * scale);
        // Roc is in percent.
        if let Some(roc) = self.movement.value()
            && roc.abs() / 100.0 > max_move
        {
            return Some(Reason::new(
                "move {}% over {} bars exceeds the limit {}%",
                [roc, c.move_bars as f64, max_move * 100.0],
            ));
        }
        if let Some(volatility) = self.volatility.value()
            && volatility > max_volatility
        {
            return Some(Reason::new(
                "realised volatility {}% per bar over {} bars exceeds the limit {}%",
                [volatility * 100.0, c.volatility_period as f64, max_volatility * 100.0],
            ));
        }
        if let Some(spread) = context.observation.spread_bps()
            && spread > c.max_spread_bps
        {
            return Some(Reason::new("spread {} bps exceeds the limit {} bps", [spread, c.max_spread_bps]));
        }
        None
    }
}

impl Default for RiskAgent {
    fn default() -> Self {
        Self::new(RiskConfig::default())
    }
}

impl Agent for RiskAgent {
    fn kind(&self) -> AgentKind {
        AgentKind::Risk
    }

    fn observe(&mut self, observation: &Observation) {
        let close = observation.close;
        if !(close.is_finite() && close > 0.0) {
            return;
        }
        let time = observation.time.millis();
        if let Some(last) = self.last_time
            && time > last
        {
            self.bar_ms = Some(self.bar_ms.map_or(time - last, |ms| ms.min(time - last)));
        }
        self.last_time = Some(time);
        self.volatility.update(close);
        self.movement.update(close);
    }

    fn vote(&self, context: &DecisionContext<'_>) -> Option<Vote> {
        self.breach(context).map(|reason| Vote::veto(AgentKind::Risk, reason))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn daily_bars_widen_the_hourly_limits_by_the_square_root_of_24() {
        let mut agent = RiskAgent::default();
        let day = |days: i64, close: f64| Observation { time: crate::time::Timestamp(days * 86_400_000), ..bar(close) };
        agent.observe(&day(0, 100.0));
        agent.observe(&day(1, 110.0));
        // A 10% daily move is within 5% × √24 = 24.49%; on hourly bars it would veto.
        assert_eq!(vote(&agent, &day(1, 110.0), &FLAT), None);
        agent.observe(&day(2, 140.0));
        let veto = vote(&agent, &day(2, 140.0), &FLAT).unwrap();
        assert!(veto.reason.to_string().contains("limit 24.4949%"), "{}", veto.reason);
    }

    use super::*;
    use crate::swarm::PortfolioView;
    use crate::swarm::agents::scenario::{FLAT, bar, market, observations, replay};
    use crate::swarm::{Action, Agent};
    use crate::synthetic::RegimeKind;

    fn vote(agent: &RiskAgent, observation: &Observation, portfolio: &PortfolioView) -> Option<Vote> {
        agent.vote(&DecisionContext { observation, portfolio, other_venues: &[] })
    }

    /// The reason of a veto, or "no veto" when the agent abstains.
    fn verdict(agent: &RiskAgent, observation: &Observation, portfolio: &PortfolioView) -> String {
        match vote(agent, observation, portfolio) {
            Some(vote) => {
                assert!(vote.veto && vote.action == Action::Hold && vote.size == 0.0, "{vote:?}");
                vote.reason.to_string()
            }
            None => "no veto".to_owned(),
        }
    }

    /// A risk agent that has observed `prices`.
    fn after(config: RiskConfig, prices: &[f64]) -> RiskAgent {
        let mut agent = RiskAgent::new(config);
        for &price in prices {
            agent.observe(&bar(price));
        }
        agent
    }

    #[test]
    fn risk_agent_abstains_within_every_limit_and_before_its_measures_are_defined() {
        let agent = RiskAgent::default();
        assert_eq!(vote(&agent, &bar(100.0), &FLAT), None);
        assert_eq!(vote(&after(RiskConfig::default(), &[100.0, 101.0, 100.5]), &bar(100.5), &FLAT), None);
    }

    #[test]
    fn risk_agent_vetoes_when_drawdown_exceeds_its_limit() {
        let agent = RiskAgent::default();
        let account = |equity: f64| PortfolioView { equity, peak_equity: 1_000.0, cash: equity, ..FLAT };
        assert_eq!(verdict(&agent, &bar(100.0), &account(900.0)), "no veto", "exactly 10% is allowed");
        assert_eq!(
            verdict(&agent, &bar(100.0), &account(899.9)),
            "drawdown 10.01% from peak equity 1000 exceeds the limit 10%"
        );
    }

    #[test]
    fn risk_agent_vetoes_when_position_concentration_exceeds_its_limit() {
        let agent = RiskAgent::default();
        let holding = |size: f64| PortfolioView { position_size: size, entry_price: 100.0, open_positions: 1, ..FLAT };
        assert_eq!(verdict(&agent, &bar(10_000.0), &holding(2.5)), "no veto", "exactly 25% is allowed");
        assert_eq!(
            verdict(&agent, &bar(10_000.0), &holding(2.5001)),
            "position 25.001% of equity exceeds the concentration limit 25%"
        );
    }

    #[test]
    fn risk_agent_vetoes_a_sudden_move_beyond_its_limit_up_or_down() {
        let config = RiskConfig { max_move: 0.25, ..RiskConfig::default() };
        let check = |from: f64, to: f64| verdict(&after(config.clone(), &[from, to]), &bar(to), &FLAT);
        assert_eq!(check(80.0, 100.0), "no veto", "exactly +25% is allowed");
        assert_eq!(check(100.0, 75.0), "no veto", "exactly −25% is allowed");
        assert_eq!(check(80.0, 100.01), "move 25.0125% over 1 bars exceeds the limit 25%");
        assert_eq!(check(100.0, 74.99), "move -25.01% over 1 bars exceeds the limit 25%");

        // Over several bars: +20% then +5% is +26% in two bars.
        let config = RiskConfig { move_bars: 2, ..config };
        let agent = after(config, &[100.0, 120.0, 126.0]);
        assert_eq!(verdict(&agent, &bar(126.0), &FLAT), "move 26% over 2 bars exceeds the limit 25%");
    }

    #[test]
    fn risk_agent_vetoes_when_realised_volatility_exceeds_its_limit() {
        // Log returns 2.956%, −3.961%, 4.927%, −5.942%, 4.001%: population σ 4.455% (by hand).
        let prices = [100.0, 103.0, 99.0, 104.0, 98.0, 102.0];
        let mut measure = RealisedVolatility::new(5);
        let volatility = prices.iter().map(|&price| measure.update(price)).last().flatten().unwrap();
        let check = |limit: f64| {
            let config = RiskConfig { volatility_period: 5, max_volatility: limit, ..RiskConfig::default() };
            verdict(&after(config, &prices), &bar(102.0), &FLAT)
        };
        assert_eq!(check(volatility), "no veto", "exactly at the limit is allowed");
        assert_eq!(
            check(volatility * (1.0 - 1e-12)),
            "realised volatility 4.455% per bar over 5 bars exceeds the limit 4.455%"
        );
    }

    #[test]
    fn risk_agent_vetoes_when_spread_exceeds_its_limit() {
        let agent = RiskAgent::new(RiskConfig { max_spread_bps: 78.125, ..RiskConfig::default() });
        let quote = |bid: f64, ask: f64| Observation { bid: Some(bid), ask: Some(ask), ..bar((bid + ask) / 2.0) };
        // (128.5 − 127.5) / 128 = 78.125 bps exactly.
        assert_eq!(verdict(&agent, &quote(127.5, 128.5), &FLAT), "no veto", "exactly at the limit is allowed");
        assert_eq!(verdict(&agent, &quote(127.5, 128.51), &FLAT), "spread 78.9032 bps exceeds the limit 78.125 bps");
    }

    #[test]
    fn risk_agent_vetoes_a_price_it_cannot_value() {
        for price in [0.0, -1.0, f64::NAN] {
            let reason = verdict(&RiskAgent::default(), &bar(price), &FLAT);
            assert!(reason.starts_with("price ") && reason.ends_with(" is not a positive finite number"), "{reason}");
        }
    }

    #[test]
    fn risk_agent_reports_the_first_breached_limit_in_its_documented_order() {
        let portfolio = PortfolioView { equity: 800.0, peak_equity: 1_000.0, position_size: 8.0, ..FLAT };
        assert_eq!(
            verdict(&RiskAgent::default(), &bar(100.0), &portfolio),
            "drawdown 20% from peak equity 1000 exceeds the limit 10%",
            "the position is 100% of equity too, but drawdown is checked first"
        );
    }

    #[test]
    fn risk_agent_vetoes_nearly_every_bar_of_the_high_volatility_regime_and_none_of_the_range() {
        // Bars 20..500: the 20-bar volatility is defined from bar 20 on.
        let vetoes_after_warm_up = |kind| {
            let votes = replay(&mut RiskAgent::default(), &observations(&market(kind)));
            assert!(
                votes.iter().flatten().all(|vote| vote.veto && vote.action == Action::Hold),
                "{kind}: never initiates"
            );
            votes[20..].iter().flatten().count()
        };
        assert_eq!(vetoes_after_warm_up(RegimeKind::HighVolatility), 480, "seed 42: every bar after warm-up");
        assert_eq!(vetoes_after_warm_up(RegimeKind::RangeBound), 0, "seed 42");
        assert_eq!(vetoes_after_warm_up(RegimeKind::Trending), 0, "seed 42");
        assert_eq!(vetoes_after_warm_up(RegimeKind::MeanReverting), 0, "seed 42");
    }

    #[test]
    fn risk_config_fills_missing_fields_with_defaults_and_refuses_unknown_ones() {
        let config: RiskConfig = serde_json::from_str(r#"{"max_spread_bps": 25}"#).unwrap();
        assert_eq!(config, RiskConfig { max_spread_bps: 25.0, ..RiskConfig::default() });
        assert!(serde_json::from_str::<RiskConfig>(r#"{"max_spread": 25}"#).is_err());
    }
}
