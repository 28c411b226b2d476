//! The arbitrage agent on two real venues: Bitstamp (the venue traded) against Bitfinex,
//! BTC-USD daily closes from the bundled data sets, aligned by date. Most days the gap
//! between the venues does not pay two taker fees; on some it does, and only then the
//! agent votes.

use std::collections::BTreeMap;

use coinswarm_core::market::ProductId;
use coinswarm_core::swarm::{
    Action, Agent, ArbitrageAgent, ArbitrageConfig, DecisionContext, Observation, PortfolioView,
};
use coinswarm_core::time::Timestamp;
use rust_decimal::prelude::ToPrimitive;

fn btc_usd() -> ProductId {
    "BTC-USD".parse().unwrap()
}

fn daily_closes(name: &str) -> BTreeMap<Timestamp, f64> {
    let dataset = coinswarm_data::load(name).unwrap();
    let series = &dataset.entry(btc_usd()).unwrap().series;
    series.candles().iter().map(|c| (c.start, c.close.to_f64().unwrap())).collect()
}

/// The day's close as the swarm sees it (closes only: the agent reads nothing else).
fn at_price(day: Timestamp, close: f64) -> Observation {
    Observation {
        product_id: btc_usd(),
        time: day,
        open: close,
        high: close,
        low: close,
        close,
        volume: 0.0,
        bid: None,
        ask: None,
    }
}

/// (day, Bitstamp close, Bitfinex close) for every day both venues have.
fn aligned_days() -> Vec<(Timestamp, f64, f64)> {
    let bitfinex = daily_closes("bitfinex-daily");
    daily_closes("bitstamp-daily")
        .into_iter()
        .filter_map(|(day, bitstamp)| bitfinex.get(&day).map(|&bitfinex| (day, bitstamp, bitfinex)))
        .collect()
}

/// Days on which the agent, trading Bitstamp, votes, with its action.
fn votes(config: ArbitrageConfig, days: &[(Timestamp, f64, f64)]) -> Vec<(Timestamp, Action)> {
    let mut agent = ArbitrageAgent::new(config);
    let portfolio = PortfolioView::default();
    let mut out = Vec::new();
    for &(day, bitstamp, bitfinex) in days {
        let observation = at_price(day, bitstamp);
        agent.observe(&observation);
        let context = DecisionContext {
            observation: &observation,
            portfolio: &portfolio,
            other_venues: &[("Bitfinex", bitfinex)],
        };
        if let Some(vote) = agent.vote(&context) {
            out.push((day, vote.action));
        }
    }
    out
}

/// Days whose gap, after a `fee` fraction on the buy leg and on the sell leg, leaves more
/// than 20 bps: buy BTC with 1 USD on the cheaper venue, sell it on the dearer one.
fn days_with_net_edge(days: &[(Timestamp, f64, f64)], fee: f64) -> Vec<(Timestamp, Action)> {
    let mut out = Vec::new();
    for &(day, bitstamp, bitfinex) in days {
        let (cheap, dear) = if bitstamp < bitfinex { (bitstamp, bitfinex) } else { (bitfinex, bitstamp) };
        let btc_bought = (1.0 / cheap) * (1.0 - fee);
        let usd_back = btc_bought * dear * (1.0 - fee);
        if usd_back - 1.0 > 0.0020 {
            out.push((day, if bitstamp < bitfinex { Action::Buy } else { Action::Sell }));
        }
    }
    out
}

#[test]
fn arbitrage_votes_on_the_days_the_venue_gap_pays_both_taker_fees_and_abstains_on_most() {
    let days = aligned_days();
    assert_eq!(days.len(), 1862);

    let expected = days_with_net_edge(&days, 0.0060);
    assert_eq!(expected.len(), 102);
    let buys = expected.iter().filter(|(_, action)| *action == Action::Buy).count();
    // Bitfinex traded at a premium for long stretches: buying on Bitstamp dominates.
    assert_eq!((buys, expected.len() - buys), (92, 10));

    let voted = votes(ArbitrageConfig::default(), &days);
    assert_eq!(voted, expected);
    assert!(voted.len() * 10 < days.len(), "votes on {} of {} days", voted.len(), days.len());
}

#[test]
fn arbitrage_votes_more_often_when_fees_are_zero() {
    let days = aligned_days();
    let expected = days_with_net_edge(&days, 0.0);
    assert_eq!(expected.len(), 807);

    let voted = votes(ArbitrageConfig { fee_bps: 0.0, ..ArbitrageConfig::default() }, &days);
    assert_eq!(voted, expected);
    assert!(voted.len() > votes(ArbitrageConfig::default(), &days).len());
}

#[test]
fn arbitrage_reason_names_the_prices_and_the_net_edge_on_the_first_day() {
    let days = aligned_days();
    let (day, bitstamp, bitfinex) = days[0];
    assert_eq!(day, Timestamp::parse("2014-12-01").unwrap());
    let observation = at_price(day, bitstamp);
    let portfolio = PortfolioView::default();
    let context =
        DecisionContext { observation: &observation, portfolio: &portfolio, other_venues: &[("Bitfinex", bitfinex)] };
    let vote = ArbitrageAgent::default().vote(&context).unwrap();
    assert_eq!(vote.action, Action::Sell);
    assert_eq!(
        vote.reason.to_string(),
        "cross-venue: 378.39 here above 370 elsewhere, net edge 104.4038 bps after 60 bps fee per leg"
    );
}
