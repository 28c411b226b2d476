//! The arbitrage agent: price gaps between venues (cross-venue) and around three currency
//! pairs on one venue (triangular), counted net of the fee on every leg.
//!
//! Fees are modelled as a fraction `f` taken from what each leg receives, so a path of
//! `n` legs whose exchange rates multiply to `g` turns 1 unit into `g × (1 − f)ⁿ`; its net
//! edge is `g × (1 − f)ⁿ − 1`, reported in basis points.

use serde::{Deserialize, Serialize};

use crate::market::Currency;
use crate::swarm::{Action, Agent, AgentKind, DecisionContext, Observation, Reason, Vote};

/// The arbitrage agent's thresholds, in basis points of the traded amount (1 bp = 0.01%).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ArbitrageConfig {
    /// Fee charged on each leg, in bps: 60 (a taker fee).
    pub fee_bps: f64,
    /// Net edge a path must exceed (exclusive) before the agent votes, in bps: 20.
    pub min_net_edge_bps: f64,
    /// Net edge at which confidence reaches 1, in bps: 100. Confidence is the net edge
    /// divided by this, capped at 1.
    pub full_confidence_net_edge_bps: f64,
    /// Size of a vote, as a fraction of equity: 0.05.
    pub trade_size: f64,
}

impl Default for ArbitrageConfig {
    fn default() -> Self {
        Self { fee_bps: 60.0, min_net_edge_bps: 20.0, full_confidence_net_edge_bps: 100.0, trade_size: 0.05 }
    }
}

/// Net edge, in bps, of a path of `legs` trades whose rates multiply to `gross`, with
/// `fee_bps` taken from each leg.
fn net_edge_bps(gross: f64, legs: i32, fee_bps: f64) -> f64 {
    // Repeated multiplication rather than `powi`, whose rounding Rust lets vary by platform:
    // the edge decides votes, and votes must be the same natively and in wasm.
    let kept = 1.0 - fee_bps / 10_000.0;
    let net = (0..legs).fold(gross, |value, _| value * kept);
    (net - 1.0) * 10_000.0
}

/// Net edge, in bps, of buying at `buy_price` on one venue and selling at `sell_price` on
/// another, with `fee_bps` on both legs. Negative when the gap does not pay the fees.
pub fn cross_venue_edge_bps(buy_price: f64, sell_price: f64, fee_bps: f64) -> f64 {
    net_edge_bps(sell_price / buy_price, 2, fee_bps)
}

/// The best way round a three-currency cycle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TriangularCycle {
    /// The currencies in trading order, starting and ending with the same one.
    pub path: [Currency; 4],
    /// What one unit of `path[0]` returns, minus 1, net of fees on all three legs, in bps.
    pub net_edge_bps: f64,
}

/// Evaluates both directions of the cycle through three exchange rates and returns the
/// better one with its net edge (which may be negative), charging `fee_bps` on each leg.
///
/// Each rate `(from, to, price)` says one `from` buys `price` of `to` (a pair quoted as
/// base `from`, quote `to`: `(BTC, USD, 50000)`); trading the other way yields `1 / price`.
/// `None` unless the three rates join exactly three distinct currencies in a cycle, each
/// pair once, with positive finite prices.
pub fn triangular_edge(rates: &[(Currency, Currency, f64); 3], fee_bps: f64) -> Option<TriangularCycle> {
    if rates.iter().any(|&(from, to, price)| from == to || !(price.is_finite() && price > 0.0)) {
        return None;
    }
    let [(a, b, _), (c, d, _), _] = *rates;
    // The third currency is the one of the second pair not in the first.
    let third = if c != a && c != b { c } else { d };
    let joins =
        |x: Currency, y: Currency| rates.iter().filter(|&&(f, t, _)| (f, t) == (x, y) || (f, t) == (y, x)).count();
    if third == a || third == b || joins(a, b) != 1 || joins(b, third) != 1 || joins(third, a) != 1 {
        return None;
    }
    let rate = |x: Currency, y: Currency| {
        rates.iter().find_map(|&(f, t, price)| {
            if (f, t) == (x, y) {
                Some(price)
            } else if (f, t) == (y, x) {
                Some(1.0 / price)
            } else {
                None
            }
        })
    };
    let cycle = |path: [Currency; 4]| {
        let gross = rate(path[0], path[1])? * rate(path[1], path[2])? * rate(path[2], path[3])?;
        Some(TriangularCycle { path, net_edge_bps: net_edge_bps(gross, 3, fee_bps) })
    };
    let forward = cycle([a, b, third, a])?;
    let backward = cycle([a, third, b, a])?;
    Some(if backward.net_edge_bps > forward.net_edge_bps { backward } else { forward })
}

/// Votes Buy on this venue when it is cheaper than another venue by more than the fees on
/// both legs plus the threshold, and Sell when it is dearer by as much (the swarm trades
/// one venue; the other leg is the opportunity's evidence). Abstains otherwise. Stateless:
/// this venue's price is the observation's, the others come with the decision context.
#[derive(Debug, Clone, Default)]
pub struct ArbitrageAgent {
    config: ArbitrageConfig,
}

impl ArbitrageAgent {
    pub fn new(config: ArbitrageConfig) -> Self {
        Self { config }
    }

    pub fn config(&self) -> &ArbitrageConfig {
        &self.config
    }
}

impl Agent for ArbitrageAgent {
    fn kind(&self) -> AgentKind {
        AgentKind::Arbitrage
    }

    fn observe(&mut self, _observation: &Observation) {}

    fn vote(&self, context: &DecisionContext<'_>) -> Option<Vote> {
        let here = context.observation.close;
        if !(here.is_finite() && here > 0.0) {
            return None;
        }
        let fee = self.config.fee_bps;
        // (action here, net edge in bps, other venue's price) of the best opportunity.
        let mut best: Option<(Action, f64, f64)> = None;
        for &(_, there) in context.other_venues {
            if !(there.is_finite() && there > 0.0) {
                continue;
            }
            let candidate = if there > here {
                (Action::Buy, cross_venue_edge_bps(here, there, fee), there)
            } else {
                (Action::Sell, cross_venue_edge_bps(there, here, fee), there)
            };
            if best.is_none_or(|(_, edge, _)| candidate.1 > edge) {
                best = Some(candidate);
            }
        }
        let (action, edge, there) = best?;
        if edge <= self.config.min_net_edge_bps {
            return None;
        }
        let confidence = edge / self.config.full_confidence_net_edge_bps;
        let template = match action {
            Action::Buy => "cross-venue: {} here below {} elsewhere, net edge {} bps after {} bps fee per leg",
            _ => "cross-venue: {} here above {} elsewhere, net edge {} bps after {} bps fee per leg",
        };
        let reason = Reason::new(template, [here, there, edge, fee]);
        Some(Vote::new(AgentKind::Arbitrage, action, confidence, self.config.trade_size, reason))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::swarm::PortfolioView;
    use crate::time::Timestamp;

    fn currency(code: &str) -> Currency {
        Currency::new(code).unwrap()
    }

    fn vote(config: ArbitrageConfig, here: f64, others: &[(&str, f64)]) -> Option<Vote> {
        let observation = Observation {
            product_id: "BTC-USD".parse().unwrap(),
            time: Timestamp(0),
            open: here,
            high: here,
            low: here,
            close: here,
            volume: 1.0,
            bid: None,
            ask: None,
        };
        let portfolio = PortfolioView::default();
        ArbitrageAgent::new(config).vote(&DecisionContext {
            observation: &observation,
            portfolio: &portfolio,
            other_venues: others,
        })
    }

    fn no_fees() -> ArbitrageConfig {
        ArbitrageConfig { fee_bps: 0.0, ..ArbitrageConfig::default() }
    }

    #[test]
    fn arbitrage_buys_here_when_this_venue_is_cheaper_net_of_fees() {
        // 2% gap: (1.02 × 0.994² − 1) = 77.98 bps net of two 60 bps fees.
        let vote = vote(ArbitrageConfig::default(), 10_000.0, &[("bitstamp", 10_200.0)]).unwrap();
        assert_eq!(vote.action, Action::Buy);
        assert!((vote.confidence - 0.779_672).abs() < 1e-6, "{}", vote.confidence);
        assert_eq!(vote.size, 0.05);
        assert_eq!(
            vote.reason.to_string(),
            "cross-venue: 10000 here below 10200 elsewhere, net edge 77.9672 bps after 60 bps fee per leg"
        );
    }

    #[test]
    fn arbitrage_sells_here_when_this_venue_is_dearer() {
        let vote = vote(ArbitrageConfig::default(), 10_200.0, &[("bitstamp", 10_000.0)]).unwrap();
        assert_eq!(vote.action, Action::Sell);
    }

    #[test]
    fn arbitrage_abstains_when_fees_eat_the_spread() {
        // A 1% gap is 100 bps gross, but 120 bps of fees leave it negative.
        assert_eq!(vote(ArbitrageConfig::default(), 10_000.0, &[("bitstamp", 10_100.0)]), None);
        assert!(vote(no_fees(), 10_000.0, &[("bitstamp", 10_100.0)]).is_some());
    }

    #[test]
    fn arbitrage_votes_only_above_the_net_edge_threshold() {
        // Without fees the net edge is the gap: 19.9 bps abstains, 20.1 bps votes.
        assert_eq!(vote(no_fees(), 10_000.0, &[("bitstamp", 10_019.9)]), None);
        let vote = vote(no_fees(), 10_000.0, &[("bitstamp", 10_020.1)]).unwrap();
        assert_eq!(vote.action, Action::Buy);
        assert!((vote.confidence - 0.201).abs() < 1e-9);
    }

    #[test]
    fn arbitrage_confidence_grows_with_the_net_edge_and_takes_the_best_venue() {
        let small = vote(no_fees(), 10_000.0, &[("a", 10_050.0)]).unwrap();
        let large = vote(no_fees(), 10_000.0, &[("a", 10_050.0), ("b", 9_950.0), ("c", 10_080.0)]).unwrap();
        assert!(large.confidence > small.confidence);
        assert_eq!((large.action, large.reason.values[1]), (Action::Buy, 10_080.0));
        assert_eq!(vote(no_fees(), 10_000.0, &[("a", 10_500.0)]).unwrap().confidence, 1.0);
    }

    #[test]
    fn arbitrage_abstains_without_other_venues_or_valid_prices() {
        assert_eq!(vote(no_fees(), 10_000.0, &[]), None);
        assert_eq!(vote(no_fees(), 10_000.0, &[("a", 0.0), ("b", f64::NAN)]), None);
        assert_eq!(vote(no_fees(), 0.0, &[("a", 10_000.0)]), None);
    }

    #[test]
    fn triangular_edge_finds_the_profitable_direction_net_of_three_fees() {
        let (btc, eth, usd) = (currency("BTC"), currency("ETH"), currency("USD"));
        // Implied ETH-BTC is 3000 / 50000 = 0.06; the market quotes 0.0606 (ETH 1% dear in BTC).
        let rates = [(btc, usd, 50_000.0), (eth, usd, 3_000.0), (eth, btc, 0.0606)];
        let cycle = triangular_edge(&rates, 0.0).unwrap();
        // BTC → USD (50000) → ETH (1/3000) → BTC (0.0606): 1.01.
        assert_eq!(cycle.path, [btc, usd, eth, btc]);
        assert!((cycle.net_edge_bps - 100.0).abs() < 1e-9, "{}", cycle.net_edge_bps);
        // Ten bps on each of three legs: 1.01 × 0.999³ − 1.
        let cycle = triangular_edge(&rates, 10.0).unwrap();
        assert!((cycle.net_edge_bps - (1.01 * 0.999f64.powi(3) - 1.0) * 10_000.0).abs() < 1e-9);
        // Fees larger than the mispricing: the best cycle loses.
        assert!(triangular_edge(&rates, 60.0).unwrap().net_edge_bps < 0.0);
    }

    #[test]
    fn triangular_edge_goes_the_other_way_when_the_cross_rate_is_cheap() {
        let (btc, eth, usd) = (currency("BTC"), currency("ETH"), currency("USD"));
        let rates = [(eth, btc, 0.0594), (btc, usd, 50_000.0), (eth, usd, 3_000.0)];
        let cycle = triangular_edge(&rates, 0.0).unwrap();
        // ETH → USD (3000) → BTC (1/50000) → ETH (1/0.0594): 1.0101.
        assert_eq!(cycle.path, [eth, usd, btc, eth]);
        assert!((cycle.net_edge_bps - (0.06 / 0.0594 - 1.0) * 10_000.0).abs() < 1e-9);
        // A consistent set of rates is worth exactly nothing before fees either way round.
        let fair = [(btc, usd, 50_000.0), (eth, usd, 3_000.0), (eth, btc, 0.06)];
        assert!(triangular_edge(&fair, 0.0).unwrap().net_edge_bps.abs() < 1e-9);
    }

    #[test]
    fn triangular_edge_rejects_rates_that_are_not_a_three_currency_cycle() {
        let (btc, eth, usd, ltc) = (currency("BTC"), currency("ETH"), currency("USD"), currency("LTC"));
        assert_eq!(triangular_edge(&[(btc, usd, 1.0), (eth, usd, 1.0), (ltc, btc, 1.0)], 0.0), None);
        assert_eq!(triangular_edge(&[(btc, usd, 1.0), (usd, btc, 1.0), (eth, btc, 1.0)], 0.0), None);
        assert_eq!(triangular_edge(&[(btc, usd, 1.0), (eth, usd, 0.0), (eth, btc, 1.0)], 0.0), None);
        assert_eq!(triangular_edge(&[(btc, btc, 1.0), (eth, usd, 1.0), (eth, btc, 1.0)], 0.0), None);
    }

    #[test]
    fn config_reads_partial_json_with_defaults_and_rejects_unknown_fields() {
        let config: ArbitrageConfig = serde_json::from_str(r#"{"fee_bps": 0}"#).unwrap();
        assert_eq!(config, no_fees());
        assert!(serde_json::from_str::<ArbitrageConfig>(r#"{"fees": 0}"#).is_err());
    }
}
