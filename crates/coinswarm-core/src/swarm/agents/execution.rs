//! The execution agent: how to trade a decision (market or limit, price offset, slicing of
//! large orders) from the spread, the volatility and the order's size, and a Hold vote
//! when conditions make any trade costly.

use serde::{Deserialize, Serialize};

use crate::indicators::{RealisedVolatility, Sma};
use crate::market::Side;
use crate::swarm::{Action, Agent, AgentKind, DecisionContext, Observation, Reason, Vote};

/// The execution agent's thresholds. Spreads and offsets are in basis points of the mid
/// (1 bp = 0.01%); volatility is a fraction per bar; sizes are in base units and notionals
/// in quote currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExecutionConfig {
    /// Widest quoted spread, in bps, at which a market order is acceptable (inclusive): 10.
    pub max_market_spread_bps: f64,
    /// Highest realised volatility per bar (standard deviation of log returns, a fraction,
    /// not annualised) at which a market order is acceptable (inclusive): 0.02.
    pub max_market_volatility: f64,
    /// Where a limit order rests, as a fraction of the quoted spread away from the mid on
    /// the order's own side: 0.25 (0 = at the mid, 0.5 = at the best bid for a buy).
    pub limit_offset_spread_fraction: f64,
    /// Observations in the realised volatility window: 20.
    pub volatility_period: usize,
    /// Bars (observations with volume) in the average bar volume window: 20.
    pub volume_period: usize,
    /// An order larger than this multiple of the average bar volume is sliced: 0.1.
    pub slice_above_bar_volume: f64,
    /// An order larger than this notional, in quote currency, is sliced: 100,000.
    pub slice_above_notional: f64,
    /// Most child orders a sliced order is cut into: 10.
    pub max_slices: u32,
}

impl Default for ExecutionConfig {
    fn default() -> Self {
        Self {
            max_market_spread_bps: 10.0,
            max_market_volatility: 0.02,
            limit_offset_spread_fraction: 0.25,
            volatility_period: 20,
            volume_period: 20,
            slice_above_bar_volume: 0.1,
            slice_above_notional: 100_000.0,
            max_slices: 10,
        }
    }
}

/// How the order (or each of its slices) is placed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStyle {
    /// Take liquidity at once.
    Market,
    /// Rest `price_offset_bps` from the mid on the order's own side: a buy at
    /// mid × (1 − offset / 10,000), a sell at mid × (1 + offset / 10,000). 0 when no quote
    /// is known: a limit at the last price, which caps slippage.
    Limit { price_offset_bps: f64 },
}

/// How to trade one decision.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ExecutionPlan {
    pub style: OrderStyle,
    /// Child orders of equal size the order is cut into; 1 when it is not sliced.
    pub slices: u32,
    pub reason: Reason,
}

/// Tracks realised volatility and the average bar volume; votes Hold when the spread or
/// the volatility exceed the market-order limits, and plans how decisions are traded.
#[derive(Debug, Clone)]
pub struct ExecutionAgent {
    config: ExecutionConfig,
    volatility: RealisedVolatility,
    bar_volume: Sma,
}

impl Default for ExecutionAgent {
    fn default() -> Self {
        Self::new(ExecutionConfig::default())
    }
}

impl ExecutionAgent {
    pub fn new(config: ExecutionConfig) -> Self {
        Self {
            volatility: RealisedVolatility::new(config.volatility_period),
            bar_volume: Sma::new(config.volume_period),
            config,
        }
    }

    pub fn config(&self) -> &ExecutionConfig {
        &self.config
    }

    /// Realised volatility per bar, once warmed up.
    pub fn volatility(&self) -> Option<f64> {
        self.volatility.value()
    }

    /// Average base volume per bar, once warmed up.
    pub fn average_bar_volume(&self) -> Option<f64> {
        self.bar_volume.value()
    }

    /// How to trade `base_size` of the observed product on `side`: a limit order when the
    /// spread or the volatility is above its market-order limit (the spread is judged
    /// first), a market order otherwise (also while either is unknown); sliced into
    /// ⌈size / per-order limit⌉ child orders, at most `max_slices`, when the order exceeds
    /// `slice_above_bar_volume` × the average bar volume or `slice_above_notional`.
    pub fn plan(&self, side: Side, base_size: f64, observation: &Observation) -> ExecutionPlan {
        let config = &self.config;
        let spread = observation.spread_bps();
        let volatility = self.volatility();
        let per_order = self.per_order_limit(observation.close);
        let slices = if base_size > per_order {
            libm::ceil(base_size / per_order).clamp(2.0, f64::from(config.max_slices.max(1))) as u32
        } else {
            1
        };
        let wide = spread.filter(|&s| s > config.max_market_spread_bps);
        let volatile = volatility.filter(|&v| v > config.max_market_volatility);
        let style = if wide.is_some() || volatile.is_some() {
            OrderStyle::Limit { price_offset_bps: spread.map_or(0.0, |s| s * config.limit_offset_spread_fraction) }
        } else {
            OrderStyle::Market
        };
        let reason = match style {
            OrderStyle::Market if slices == 1 => market_reason(spread, volatility, config),
            OrderStyle::Market => Reason::new(
                "market in {} slices: size {} above the per-order limit {}",
                [f64::from(slices), base_size, per_order],
            ),
            OrderStyle::Limit { price_offset_bps } => {
                let cause = if slices > 1 {
                    LimitCause::Size
                } else if wide.is_some() {
                    LimitCause::Spread
                } else {
                    LimitCause::Volatility
                };
                let values = match cause {
                    LimitCause::Size => [price_offset_bps, f64::from(slices), base_size, per_order],
                    LimitCause::Spread => {
                        [price_offset_bps, spread.unwrap_or(f64::NAN), config.max_market_spread_bps, 0.0]
                    }
                    LimitCause::Volatility => [
                        price_offset_bps,
                        volatility.unwrap_or(f64::NAN) * 100.0,
                        config.max_market_volatility * 100.0,
                        0.0,
                    ],
                };
                Reason::new(limit_template(side, cause), values)
            }
        };
        ExecutionPlan { style, slices, reason }
    }

    /// Largest base size sent as one order at `price`: the smaller of the volume-based
    /// limit (once the average volume is known) and the notional limit.
    fn per_order_limit(&self, price: f64) -> f64 {
        let by_notional = if price > 0.0 { self.config.slice_above_notional / price } else { f64::INFINITY };
        match self.average_bar_volume() {
            Some(volume) if volume > 0.0 => by_notional.min(self.config.slice_above_bar_volume * volume),
            _ => by_notional,
        }
    }
}

/// What a limit plan's reason explains: why a limit (spread, volatility) or, when it is
/// also sliced, the slicing.
#[derive(Debug, Clone, Copy)]
enum LimitCause {
    Spread,
    Volatility,
    Size,
}

fn limit_template(side: Side, cause: LimitCause) -> &'static str {
    match (side, cause) {
        (Side::Buy, LimitCause::Spread) => "buy limit {} bps below the mid: spread {} bps > {} bps",
        (Side::Sell, LimitCause::Spread) => "sell limit {} bps above the mid: spread {} bps > {} bps",
        (Side::Buy, LimitCause::Volatility) => "buy limit {} bps below the mid: volatility {}% > {}%",
        (Side::Sell, LimitCause::Volatility) => "sell limit {} bps above the mid: volatility {}% > {}%",
        (Side::Buy, LimitCause::Size) => {
            "buy limit {} bps below the mid in {} slices: size {} above the per-order limit {}"
        }
        (Side::Sell, LimitCause::Size) => {
            "sell limit {} bps above the mid in {} slices: size {} above the per-order limit {}"
        }
    }
}

fn market_reason(spread: Option<f64>, volatility: Option<f64>, config: &ExecutionConfig) -> Reason {
    let (max_spread, max_volatility) = (config.max_market_spread_bps, config.max_market_volatility * 100.0);
    match (spread, volatility) {
        (Some(s), Some(v)) => Reason::new(
            "market: spread {} bps ≤ {} bps, volatility {}% ≤ {}%",
            [s, max_spread, v * 100.0, max_volatility],
        ),
        (Some(s), None) => Reason::new("market: spread {} bps ≤ {} bps, volatility not yet known", [s, max_spread]),
        (None, Some(v)) => Reason::new("market: no quote, volatility {}% ≤ {}%", [v * 100.0, max_volatility]),
        (None, None) => Reason::new("market: no quote, volatility not yet known", []),
    }
}

impl Agent for ExecutionAgent {
    fn kind(&self) -> AgentKind {
        AgentKind::Execution
    }

    /// Every observation's price feeds the volatility; only observations with volume (bars,
    /// not quotes) feed the average bar volume.
    fn observe(&mut self, observation: &Observation) {
        self.volatility.update(observation.close);
        if observation.volume > 0.0 {
            self.bar_volume.update(observation.volume);
        }
    }

    /// Hold when the spread or the volatility is above its market-order limit; confidence
    /// is how far the worse of the two is above its limit, relative to the limit: 0 at the
    /// limit, 1 at twice the limit or more. Abstains otherwise.
    fn vote(&self, context: &DecisionContext<'_>) -> Option<Vote> {
        let config = &self.config;
        let spread = context.observation.spread_bps().filter(|&s| s > config.max_market_spread_bps);
        let volatility = self.volatility().filter(|&v| v > config.max_market_volatility);
        let spread_excess = spread.map(|s| s / config.max_market_spread_bps - 1.0);
        let volatility_excess = volatility.map(|v| v / config.max_market_volatility - 1.0);
        let reason = match (spread, volatility) {
            (Some(s), Some(v)) if volatility_excess > spread_excess => Reason::new(
                "costly to trade: volatility {}% > {}% (spread {} bps)",
                [v * 100.0, config.max_market_volatility * 100.0, s],
            ),
            (Some(s), _) => Reason::new("costly to trade: spread {} bps > {} bps", [s, config.max_market_spread_bps]),
            (None, Some(v)) => {
                Reason::new("costly to trade: volatility {}% > {}%", [v * 100.0, config.max_market_volatility * 100.0])
            }
            (None, None) => return None,
        };
        let excess = spread_excess.unwrap_or(0.0).max(volatility_excess.unwrap_or(0.0));
        Some(Vote::new(AgentKind::Execution, Action::Hold, excess, 0.0, reason))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::swarm::PortfolioView;
    use crate::time::Timestamp;

    fn bar(close: f64, volume: f64) -> Observation {
        Observation {
            product_id: "BTC-USD".parse().unwrap(),
            time: Timestamp(0),
            open: close,
            high: close,
            low: close,
            close,
            volume,
            bid: None,
            ask: None,
        }
    }

    fn quote(bid: f64, ask: f64) -> Observation {
        let mid = (bid + ask) / 2.0;
        Observation { volume: 0.0, bid: Some(bid), ask: Some(ask), ..bar(mid, 0.0) }
    }

    /// An agent that has seen `bars` bars of alternating log returns ±`log_return` (so a
    /// realised volatility of exactly `log_return`) at a volume of 10 per bar.
    fn agent_after(log_return: f64, bars: usize) -> ExecutionAgent {
        let mut agent = ExecutionAgent::new(ExecutionConfig {
            volatility_period: 4,
            volume_period: 4,
            ..ExecutionConfig::default()
        });
        for i in 0..bars {
            let price = if i % 2 == 0 { 10_000.0 } else { 10_000.0 * libm::exp(log_return) };
            agent.observe(&bar(price, 10.0));
        }
        agent
    }

    fn calm() -> ExecutionAgent {
        agent_after(0.001, 10)
    }

    fn vote(agent: &ExecutionAgent, observation: &Observation) -> Option<Vote> {
        let portfolio = PortfolioView::default();
        agent.vote(&DecisionContext { observation, portfolio: &portfolio, other_venues: &[] })
    }

    #[test]
    fn execution_uses_a_market_order_when_the_spread_is_tight_and_the_market_calm() {
        // Exactly 10 bps is still acceptable.
        let plan = calm().plan(Side::Buy, 0.5, &quote(9_995.0, 10_005.0));
        assert_eq!((plan.style, plan.slices), (OrderStyle::Market, 1));
        assert_eq!(plan.reason.to_string(), "market: spread 10 bps ≤ 10 bps, volatility 0.1% ≤ 2%");
        assert_eq!(vote(&calm(), &quote(9_995.0, 10_005.0)), None);
    }

    #[test]
    fn execution_uses_a_limit_order_when_the_spread_is_wide() {
        let plan = calm().plan(Side::Buy, 0.5, &quote(9_990.0, 10_010.0));
        // A quarter of the 20 bps spread from the mid, on the bid side.
        assert_eq!(plan.style, OrderStyle::Limit { price_offset_bps: 5.0 });
        assert_eq!(plan.reason.to_string(), "buy limit 5 bps below the mid: spread 20 bps > 10 bps");
        // 10.2 bps, just above the limit.
        let plan = calm().plan(Side::Sell, 0.5, &quote(9_994.9, 10_005.1));
        assert!(matches!(plan.style, OrderStyle::Limit { .. }));
    }

    #[test]
    fn execution_votes_hold_when_the_spread_is_wide_more_surely_the_wider_it_is() {
        let agent = calm();
        let slightly = vote(&agent, &quote(9_994.0, 10_006.0)).unwrap();
        assert_eq!((slightly.action, slightly.size, slightly.veto), (Action::Hold, 0.0, false));
        assert!((slightly.confidence - 0.2).abs() < 1e-9, "{}", slightly.confidence);
        assert_eq!(slightly.reason.to_string(), "costly to trade: spread 12 bps > 10 bps");
        assert_eq!(vote(&agent, &quote(9_990.0, 10_010.0)).unwrap().confidence, 1.0);
    }

    #[test]
    fn execution_uses_a_limit_at_the_last_price_when_volatility_is_high_on_bars() {
        // Log returns of ±3% per bar: σ = 3% > 2%.
        let agent = agent_after(0.03, 10);
        let plan = agent.plan(Side::Buy, 0.5, &bar(10_000.0, 10.0));
        assert_eq!(plan.style, OrderStyle::Limit { price_offset_bps: 0.0 });
        assert_eq!(plan.reason.to_string(), "buy limit 0 bps below the mid: volatility 3% > 2%");
        let vote = vote(&agent, &bar(10_000.0, 10.0)).unwrap();
        assert_eq!(vote.action, Action::Hold);
        assert!((vote.confidence - 0.5).abs() < 1e-9, "{}", vote.confidence);
        assert_eq!(vote.reason.to_string(), "costly to trade: volatility 3% > 2%");
    }

    #[test]
    fn execution_names_the_worse_of_spread_and_volatility() {
        let agent = agent_after(0.03, 10);
        // Spread 12 bps is 20% over its limit, volatility 50% over: volatility leads.
        let vote = vote(&agent, &quote(9_994.0, 10_006.0)).unwrap();
        assert!((vote.confidence - 0.5).abs() < 1e-9);
        assert_eq!(vote.reason.to_string(), "costly to trade: volatility 3% > 2% (spread 12 bps)");
    }

    #[test]
    fn execution_abstains_and_trades_at_market_before_it_has_warmed_up() {
        let agent = agent_after(0.03, 3);
        assert_eq!(agent.volatility(), None);
        assert_eq!(vote(&agent, &bar(10_000.0, 10.0)), None);
        let plan = agent.plan(Side::Buy, 0.5, &bar(10_000.0, 10.0));
        assert_eq!((plan.style, plan.slices), (OrderStyle::Market, 1));
        assert_eq!(plan.reason.to_string(), "market: no quote, volatility not yet known");
    }

    #[test]
    fn execution_slices_orders_above_a_tenth_of_the_average_bar_volume() {
        // Average volume 10 per bar: one order may be up to 1 BTC.
        let agent = calm();
        assert_eq!(agent.average_bar_volume(), Some(10.0));
        assert_eq!(agent.plan(Side::Buy, 1.0, &bar(10_000.0, 10.0)).slices, 1);
        let plan = agent.plan(Side::Buy, 1.01, &bar(10_000.0, 10.0));
        assert_eq!((plan.style, plan.slices), (OrderStyle::Market, 2));
        assert_eq!(plan.reason.to_string(), "market in 2 slices: size 1.01 above the per-order limit 1");
        assert_eq!(agent.plan(Side::Sell, 3.5, &bar(10_000.0, 10.0)).slices, 4);
        // Never more than `max_slices`.
        assert_eq!(agent.plan(Side::Sell, 1_000.0, &bar(10_000.0, 10.0)).slices, 10);
    }

    #[test]
    fn execution_slices_orders_above_the_notional_limit_and_quotes_leave_volume_alone() {
        let mut agent = ExecutionAgent::default();
        // Quotes carry no volume: the average stays unknown, only the notional limit applies.
        agent.observe(&quote(49_990.0, 50_010.0));
        assert_eq!(agent.average_bar_volume(), None);
        // 100,000 USD at 50,000 is 2 BTC per order.
        assert_eq!(agent.plan(Side::Buy, 2.0, &quote(49_999.0, 50_001.0)).slices, 1);
        let plan = agent.plan(Side::Buy, 5.0, &quote(49_990.0, 50_010.0));
        assert_eq!((plan.style, plan.slices), (OrderStyle::Market, 3));
        // With a 20 bps spread the slices rest as limits.
        let plan = agent.plan(Side::Sell, 5.0, &quote(49_950.0, 50_050.0));
        assert_eq!((plan.style, plan.slices), (OrderStyle::Limit { price_offset_bps: 5.0 }, 3));
        assert_eq!(
            plan.reason.to_string(),
            "sell limit 5 bps above the mid in 3 slices: size 5 above the per-order limit 2"
        );
    }

    #[test]
    fn config_reads_partial_json_with_defaults_and_rejects_unknown_fields() {
        let config: ExecutionConfig = serde_json::from_str(r#"{"max_slices": 4}"#).unwrap();
        assert_eq!(config, ExecutionConfig { max_slices: 4, ..ExecutionConfig::default() });
        assert!(serde_json::from_str::<ExecutionConfig>(r#"{"slices": 4}"#).is_err());
    }
}
