//! Pattern memory inside the swarm, on real BTC hourly bars: the recall agent learns online
//! and never sees the future. Each decision record names the episodes it recalled; each
//! is looked up in the index and must have been decided a whole horizon before, with its
//! outcome realised from the price at the horizon's end; its vote follows the outcomes it
//! recalled.

use coinswarm_core::backtest::strategies::CommitteeStrategy;
use coinswarm_core::backtest::{BacktestConfig, run_backtest};
use coinswarm_core::data::CandleSeries;
use coinswarm_core::exchange::MatchingEngine;
use coinswarm_core::market::{Candle, Granularity, Product, decimal_to_f64};
use coinswarm_core::memory::MetadataValue;
use coinswarm_core::swarm::{DecisionLog, Swarm, SwarmConfig};
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::BTreeMap;

const HOUR_MS: i64 = 3_600_000;

fn hourly(bars: usize) -> (Product, Vec<Candle>) {
    let dataset = coinswarm_data::load("bitfinex-btcusd-1h").unwrap();
    let series = &dataset.entry("BTC-USD".parse().unwrap()).unwrap().series;
    (Product::spot(series.product_id()), series.candles()[..bars].to_vec())
}

fn with_recall() -> SwarmConfig {
    let mut config = SwarmConfig::default();
    config.recall.enabled = true;
    config.recall.patterns.learn_every = 400;
    config
}

fn run(config: SwarmConfig, product: &Product, candles: &[Candle]) -> (Swarm, Vec<Value>) {
    let mut engine = MatchingEngine::new(config.exchange.clone()).unwrap();
    engine.list_product(product.clone()).unwrap();
    engine.deposit(product.quote(), Decimal::from(100_000), candles[0].start).unwrap();
    let mut swarm = Swarm::new(config, product.clone(), Granularity::OneHour, Some(DecisionLog::new(true))).unwrap();
    for candle in candles {
        swarm.on_candle(&mut engine, candle, &[]).unwrap();
        engine.drain_events().for_each(drop);
    }
    let records = swarm.log().unwrap().lines().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    (swarm, records)
}

fn number(metadata: &BTreeMap<String, MetadataValue>, key: &str) -> f64 {
    match metadata.get(key) {
        Some(MetadataValue::Number(x)) => *x,
        other => panic!("{key} is {other:?}"),
    }
}

#[test]
fn the_recall_agent_learns_online_and_recalls_only_episodes_whose_horizon_has_ended() {
    let (product, candles) = hourly(3_000);
    let (swarm, records) = run(with_recall(), &product, &candles);
    let recall = swarm.recall().expect("recall is enabled");
    let index = recall.memory().index();
    let horizon_ms = 24 * HOUR_MS;
    let close_at: BTreeMap<i64, f64> =
        candles.iter().map(|c| (c.start.millis() + HOUR_MS, decimal_to_f64(c.close))).collect();
    let (mut recalled_total, mut recall_votes) = (0, 0);
    for record in &records {
        let decided_ms = match &record["time"] {
            Value::String(text) => coinswarm_core::time::Timestamp::parse(text).unwrap().millis(),
            other => other.as_i64().unwrap(),
        };
        let Some(evidence) = record.get("recall") else { continue };
        let ids: Vec<&str> = evidence["recalled"].as_array().unwrap().iter().map(|p| p[0].as_str().unwrap()).collect();
        recalled_total += ids.len();
        if let Some(newest) = evidence["newest_horizon_end_ms"].as_i64() {
            assert!(newest <= decided_ms, "a decision at {decided_ms} recalled an episode resolved at {newest}");
        }
        let stored_episodes = index.get_by_ids(&ids);
        assert_eq!(stored_episodes.len(), ids.len(), "every episode recalled at {decided_ms} is in the index");
        for stored in stored_episodes {
            let episode_ms = number(&stored.metadata, "time") as i64;
            let horizon_end = number(&stored.metadata, "horizon_end") as i64;
            assert_eq!(horizon_end, episode_ms + horizon_ms);
            assert!(horizon_end <= decided_ms, "episode {} recalled at {decided_ms}, before its horizon", stored.id);
            // Its outcome is the long return to the close at the horizon's end, net of 2 × 60 bps.
            let expected = close_at[&horizon_end] / close_at[&episode_ms] - 1.0 - 0.012;
            assert!((number(&stored.metadata, "outcome") - expected).abs() < 1e-12, "{}", stored.id);
        }
        recall_votes += record["votes"].as_array().unwrap().iter().filter(|v| v["agent"] == "recall").count();
    }
    // It really learned: thousands of recalls and votes, and episodes keep arriving.
    assert!(recalled_total > 10_000, "only {recalled_total} episodes recalled");
    assert!(recall_votes > 500, "only {recall_votes} recall votes");
    assert_eq!(recall.memory().index().len() as u64, recall.memory().resolved());
    assert!(recall.memory().pending() <= 24);
    assert!(recall.patterns().learning_runs() >= 5);
    assert!(!recall.patterns().patterns().is_empty());
}

#[test]
fn the_recall_vote_follows_the_outcomes_it_remembers() {
    let (product, candles) = hourly(2_000);
    let config = with_recall();
    let (swarm, records) = run(config.clone(), &product, &candles);
    let recall = &config.recall;
    let index = swarm.recall().expect("recall is enabled").memory().index();
    // Entering and leaving at the taker rate (60 bps each way by default).
    let round_trip_fee = 2.0 * decimal_to_f64(config.exchange.taker_fee_bps) / 10_000.0;
    let mut actions: BTreeMap<String, usize> = BTreeMap::new();
    for record in &records {
        let Some(evidence) = record.get("recall") else { continue };
        // The similarity-weighted mean outcome of the episodes recalled at least
        // `min_similarity` alike, read back from the index.
        let recalled = evidence["recalled"].as_array().unwrap();
        let ids: Vec<&str> = recalled.iter().map(|p| p[0].as_str().unwrap()).collect();
        let stored = index.get_by_ids(&ids);
        assert_eq!(stored.len(), ids.len());
        let (mut weights, mut weighted) = (0.0, 0.0);
        for (pair, episode) in recalled.iter().zip(&stored) {
            // Similarities are f32 in the index and in the log.
            let similarity = f64::from(pair[1].as_f64().unwrap() as f32);
            if similarity >= recall.min_similarity && similarity > 0.0 {
                weights += similarity;
                weighted += similarity * number(&episode.metadata, "outcome");
            }
        }
        let used = evidence["used"].as_u64().unwrap() as usize;
        let vote = record["votes"].as_array().unwrap().iter().find(|v| v["agent"] == "recall");
        if used < recall.min_matches {
            assert!(vote.is_none(), "recall voted on {used} matches: {record}");
            continue;
        }
        let vote = vote.unwrap_or_else(|| panic!("{used} matches and no recall vote: {record}"));
        // The memory's expectation, pulled toward the learned pattern's mean when there is one.
        let nearest = weighted / weights;
        let expected = match evidence.get("pattern") {
            Some(pattern) => {
                let pull = pattern["weight"].as_f64().unwrap();
                (1.0 - pull) * nearest + pull * pattern["mean"].as_f64().unwrap()
            }
            None => nearest,
        };
        assert!((evidence["expected"].as_f64().unwrap() - expected).abs() < 1e-9, "{expected} vs {evidence}");
        let action = vote["action"].as_str().unwrap();
        let follows = match action {
            "BUY" => expected > recall.min_edge,
            "SELL" => expected + round_trip_fee < -recall.min_edge,
            _ => expected <= recall.min_edge && expected + round_trip_fee >= -recall.min_edge,
        };
        assert!(follows, "a {action} vote on remembered outcomes averaging {expected}: {record}");
        *actions.entry(action.to_string()).or_default() += 1;
    }
    // The check covered every kind of vote, many times over.
    for action in ["BUY", "SELL", "HOLD"] {
        assert!(actions.get(action).copied().unwrap_or(0) > 100, "too few {action} votes to tell: {actions:?}");
    }
}

#[test]
fn a_run_with_recall_is_deterministic_and_its_votes_move_the_committee() {
    let (product, candles) = hourly(2_000);
    let (_, first) = run(with_recall(), &product, &candles);
    let (_, second) = run(with_recall(), &product, &candles);
    assert_eq!(first, second);

    let series = CandleSeries::new(product.product_id, Granularity::OneHour, candles.clone()).unwrap();
    let backtest = |config: SwarmConfig| {
        let mut strategy = CommitteeStrategy::new(config, Granularity::OneHour).unwrap();
        run_backtest(&[&series], &mut strategy, &BacktestConfig::default(), &BTreeMap::new()).unwrap()
    };
    let with = backtest(with_recall());
    let without = backtest(SwarmConfig::default());
    let votes = |result: &coinswarm_core::backtest::BacktestResult| {
        result.attribution.iter().find(|a| a.agent == "recall").map_or(0, |a| a.votes)
    };
    assert!(votes(&with) > 0);
    assert_eq!(votes(&without), 0);
    // Its votes move the committee: its scores at every bar recall votes on, and its
    // action at some of them (on these 2,000 bars none of those changes an order sent).
    let (_, alone) = run(SwarmConfig::default(), &product, &candles);
    assert_eq!(alone.len(), first.len());
    let differ = |field: &str| first.iter().zip(&alone).filter(|(a, b)| a[field] != b[field]).count();
    let recall_votes =
        first.iter().filter(|r| r["votes"].as_array().unwrap().iter().any(|v| v["agent"] == "recall")).count();
    assert_eq!(differ("committee"), recall_votes);
    assert!(differ("action") > 10, "recall changed the swarm's action only {} times", differ("action"));
}
