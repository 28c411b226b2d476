//! Test support: one agent replayed over a synthetic regime, bar by bar, as the orchestrator
//! drives it (observe the bar, then vote on it).

use crate::swarm::{Agent, DecisionContext, Observation, PortfolioView, Vote};
use crate::synthetic::{RegimeKind, SyntheticConfig, SyntheticMarket, generate};
use crate::time::Timestamp;

/// A flat 100,000 USD account: no position, no drawdown.
pub(super) const FLAT: PortfolioView = PortfolioView {
    equity: 100_000.0,
    peak_equity: 100_000.0,
    cash: 100_000.0,
    position_size: 0.0,
    entry_price: 0.0,
    open_positions: 0,
};

/// The regime's default series (seed 42, 500 hourly bars).
pub(super) fn market(kind: RegimeKind) -> SyntheticMarket {
    generate(&SyntheticConfig::new(kind)).expect("default regimes generate")
}

/// The market's bars as observations (bid and ask unknown).
pub(super) fn observations(market: &SyntheticMarket) -> Vec<Observation> {
    market.candles.iter().map(|candle| Observation::from_candle(market.product_id, candle)).collect()
}

/// The agent's vote on every observation, with a flat account.
pub(super) fn replay(agent: &mut impl Agent, observations: &[Observation]) -> Vec<Option<Vote>> {
    observations
        .iter()
        .map(|observation| {
            agent.observe(observation);
            agent.vote(&DecisionContext { observation, portfolio: &FLAT, other_venues: &[] })
        })
        .collect()
}

/// An observation whose four prices are `price`, volume 1, no quote.
pub(super) fn bar(price: f64) -> Observation {
    Observation {
        product_id: "BTC-USD".parse().expect("a valid product id"),
        time: Timestamp(0),
        open: price,
        high: price,
        low: price,
        close: price,
        volume: 1.0,
        bid: None,
        ask: None,
    }
}

/// Feeds `prices` as bars and returns the vote on the last one, with a flat account.
pub(super) fn vote_after(agent: &mut impl Agent, prices: &[f64]) -> Option<Vote> {
    let observations: Vec<Observation> = prices.iter().map(|&price| bar(price)).collect();
    replay(agent, &observations).pop().flatten()
}
