//! The whole swarm on the four synthetic regimes: agents, planner, committee, guards and the
//! paper exchange together, read back from the decision log as a user would.

use coinswarm_core::exchange::MatchingEngine;
use coinswarm_core::market::Product;
use coinswarm_core::swarm::{DecisionLog, Swarm, SwarmConfig};
use coinswarm_core::synthetic::{RegimeKind, RegimeMetadata, SyntheticConfig, SyntheticMarket, generate};
use rust_decimal::Decimal;
use serde_json::Value;

fn market(kind: RegimeKind, seed: u64) -> SyntheticMarket {
    generate(&SyntheticConfig::new(kind).with_bars(1000).with_seed(seed)).unwrap()
}

/// A paper account trading the market's product with 100,000 of its quote currency.
fn paper_account(market: &SyntheticMarket, config: &SwarmConfig) -> MatchingEngine {
    let product = Product::spot(market.product_id);
    let mut engine = MatchingEngine::new(config.exchange.clone()).unwrap();
    engine.list_product(product.clone()).unwrap();
    engine.deposit(product.quote(), Decimal::from(100_000), market.candles[0].start).unwrap();
    engine
}

/// Runs the swarm over every bar and returns it with its decision log parsed.
fn run(market: &SyntheticMarket, config: SwarmConfig) -> (Swarm, Vec<Value>) {
    let mut engine = paper_account(market, &config);
    let log = Some(DecisionLog::new(true));
    let mut swarm = Swarm::new(config, Product::spot(market.product_id), market.granularity, log).unwrap();
    for candle in &market.candles {
        swarm.on_candle(&mut engine, candle, &[]).unwrap();
        engine.drain_events().for_each(drop);
    }
    let records = swarm.log().unwrap().lines().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    (swarm, records)
}

/// Defaults, but with the circuit breaker closing itself after its cool-down: a replay has
/// no operator to reset it, and these scenarios look at the agents, not at the breaker.
fn unattended() -> SwarmConfig {
    let mut config = SwarmConfig::default();
    config.circuit_breaker.auto_close = true;
    config
}

fn voted(record: &Value, agent: &str, action: &str) -> bool {
    record["votes"].as_array().unwrap().iter().any(|v| v["agent"] == agent && v["action"] == action)
}

fn ordered(record: &Value, side: &str) -> bool {
    record["order"]["side"] == side
}

#[test]
fn in_a_trend_the_swarm_buys_on_the_trend_agents_vote_after_the_golden_cross() {
    let market = market(RegimeKind::Trending, 42);
    let RegimeMetadata::Trending { golden_cross_bar, .. } = market.metadata else { panic!("trending") };
    let (_, records) = run(&market, unattended());
    let trend_buys: Vec<usize> =
        (0..records.len()).filter(|&i| ordered(&records[i], "BUY") && voted(&records[i], "trend", "BUY")).collect();
    assert!(!trend_buys.is_empty(), "the trend agent's buy reaches the exchange");
    assert!(trend_buys.iter().all(|&bar| bar >= golden_cross_bar), "{trend_buys:?} vs cross at {golden_cross_bar}");
    assert!(trend_buys[0] <= golden_cross_bar + 5, "buys within a few bars of the cross: {trend_buys:?}");
}

#[test]
fn in_high_volatility_the_risk_agent_vetoes_and_nothing_is_bought() {
    let market = market(RegimeKind::HighVolatility, 42);
    let (swarm, records) = run(&market, SwarmConfig::default());
    let summary = swarm.summary();
    assert_eq!(summary.buys, 0);
    assert!(records.iter().all(|r| !ordered(r, "BUY")));
    assert!(summary.vetoes[2] > 900, "risk vetoed {} of 1000 decisions", summary.vetoes[2]);
    assert!(records.iter().any(|r| r["committee"]["vetoed_by"] == "risk"));
    assert!(records.last().unwrap()["regime"] == "high_volatility");
}

#[test]
fn in_a_range_mean_reversion_buys_dips_below_where_the_swarm_sells() {
    let market = market(RegimeKind::RangeBound, 42);
    let (_, records) = run(&market, unattended());
    let price = |r: &Value| r["price"].as_f64().unwrap();
    let dip_buys: Vec<f64> =
        records.iter().filter(|r| ordered(r, "BUY") && voted(r, "mean_reversion", "BUY")).map(price).collect();
    let sells: Vec<f64> = records.iter().filter(|r| ordered(r, "SELL")).map(price).collect();
    assert!(!dip_buys.is_empty() && !sells.is_empty(), "{} dip buys, {} sells", dip_buys.len(), sells.len());
    let mean = |xs: &[f64]| xs.iter().sum::<f64>() / xs.len() as f64;
    assert!(mean(&dip_buys) < mean(&sells), "bought at {} on average, sold at {}", mean(&dip_buys), mean(&sells));
    assert!(records.iter().all(|r| r["regime"] != "high_volatility"));
}

#[test]
fn no_order_is_ever_larger_than_a_quarter_of_equity() {
    let market = market(RegimeKind::Trending, 7);
    let mut config = unattended();
    config.trend.max_size = 1.0;
    config.mean_reversion.max_size = 1.0;
    config.oversight.max_position_fraction = Decimal::ONE;
    config.oversight.max_order_notional = Decimal::from(1_000_000);
    let (_, records) = run(&market, config);
    let buys: Vec<&Value> = records.iter().filter(|r| ordered(r, "BUY")).collect();
    assert!(!buys.is_empty());
    for record in buys {
        let notional: f64 = record["order"]["notional"].as_str().unwrap().parse().unwrap();
        let equity: f64 = record["equity"].as_str().unwrap().parse().unwrap();
        assert!(notional <= 0.25 * equity + 0.01, "order {notional} of equity {equity}");
    }
}

#[test]
fn the_same_inputs_give_the_same_decision_log_hash() {
    let hash = |seed| {
        let (swarm, _) = run(&market(RegimeKind::MeanReverting, seed), SwarmConfig::default());
        swarm.log().unwrap().hash_hex()
    };
    assert_eq!(hash(42), hash(42));
    assert_ne!(hash(42), hash(43));
}

#[test]
fn emergency_shutdown_cancels_working_orders_and_stops_trading_until_resumed() {
    let market = market(RegimeKind::RangeBound, 42);
    let product = Product::spot(market.product_id);
    // Every order a limit at the last price, so that orders are left working between bars;
    // the execution agent's own Hold votes (it finds every bar too volatile now) carry no weight.
    let mut config = unattended();
    config.execution.max_market_volatility = 0.0;
    for regime in [&mut config.planner.weights.range_bound, &mut config.planner.weights.trending] {
        regime.mean_reversion += regime.execution;
        regime.execution = 0.0;
    }
    let mut engine = paper_account(&market, &config);
    let mut swarm = Swarm::new(config, product, market.granularity, None).unwrap();
    let live = |engine: &MatchingEngine| engine.account().live_orders(market.product_id).len();
    let mut bar = 0;
    while live(&engine) == 0 {
        swarm.on_candle(&mut engine, &market.candles[bar], &[]).unwrap();
        bar += 1;
        assert!(bar < 900, "the swarm leaves a limit order working at some point");
    }
    let orders_before = swarm.summary().orders;
    swarm.emergency_shutdown(&mut engine, market.candles[bar].start);
    assert!(swarm.is_halted());
    assert_eq!(live(&engine), 0, "working orders are cancelled");
    let (halted, resumed) = market.candles[bar..].split_at((market.candles.len() - bar) / 2);
    for candle in halted {
        let outcome = swarm.on_candle(&mut engine, candle, &[]).unwrap();
        assert!(!outcome.order_sent);
    }
    assert_eq!(swarm.summary().orders, orders_before);
    let skipped_while_halted = swarm.summary().skipped.get("halted").copied().unwrap_or(0);
    assert!(skipped_while_halted > 0, "the swarm decided to trade while halted and was stopped: {:?}", swarm.summary());
    swarm.resume();
    for candle in resumed {
        swarm.on_candle(&mut engine, candle, &[]).unwrap();
    }
    assert!(swarm.summary().orders > orders_before, "trading resumes");
}

#[test]
fn without_an_operator_a_tripped_breaker_keeps_blocking_new_buys() {
    let market = market(RegimeKind::Trending, 42);
    let (swarm, records) = run(&market, SwarmConfig::default());
    assert!(swarm.summary().breaker_trips >= 1);
    let trip = records.iter().position(|r| r["breaker"]["state"] != "CLOSED").expect("the breaker trips");
    assert!(records[trip..].iter().all(|r| !ordered(r, "BUY")), "no buy after the trip without a reset");
    assert!(records[trip..].iter().any(|r| r["skipped"].as_str().is_some_and(|s| s.starts_with("circuit breaker"))));
}

/// Every order a limit at the last price (orders are left working between bars); the
/// execution agent's own Hold votes carry no weight.
fn limit_orders_only(mut config: SwarmConfig) -> SwarmConfig {
    config.execution.max_market_volatility = 0.0;
    for regime in [&mut config.planner.weights.range_bound, &mut config.planner.weights.trending] {
        regime.mean_reversion += regime.execution;
        regime.execution = 0.0;
    }
    config
}

fn risk_events<'a>(record: &'a Value, event: &str) -> Vec<&'a Value> {
    record["risk_events"]
        .as_array()
        .map_or(Vec::new(), |events| events.iter().filter(|e| e["event"] == event).collect())
}

#[test]
fn a_breach_cancels_the_working_buys_with_its_reason() {
    use coinswarm_core::ledger::EventKind;
    use coinswarm_core::market::{Candle, Side};
    let market = market(RegimeKind::RangeBound, 42);
    let product = Product::spot(market.product_id);
    let mut engine = paper_account(&market, &limit_orders_only(unattended()));
    let log = Some(DecisionLog::new(true));
    let mut swarm = Swarm::new(limit_orders_only(unattended()), product, market.granularity, log).unwrap();
    let working_buys = |engine: &MatchingEngine| {
        let account = engine.account();
        let live = account.live_orders(market.product_id);
        live.iter().filter(|&&id| account.order(id).is_some_and(|o| o.side == Side::Buy)).count()
    };
    let mut bar = 0;
    while working_buys(&engine) == 0 {
        swarm.on_candle(&mut engine, &market.candles[bar], &[]).unwrap();
        bar += 1;
        assert!(bar < 900, "the swarm leaves a limit buy working at some point");
    }
    let working = working_buys(&engine);
    // The next bar gaps up 0.1% and rises 15% inside the bar, never down to the buys'
    // limits: the breaker's move rule trips, and the buys are cancelled, not filled.
    let last = market.candles[bar - 1].close;
    let open = (last * Decimal::new(1001, 3)).round_dp(2);
    let spike = Candle {
        start: market.candles[bar].start,
        open,
        low: open,
        high: (open * Decimal::new(115, 2)).round_dp(2),
        close: (open * Decimal::new(114, 2)).round_dp(2),
        volume: market.candles[bar].volume,
    };
    swarm.on_candle(&mut engine, &spike, &[]).unwrap();
    assert_eq!(working_buys(&engine), 0, "the working buys are gone");
    let records: Vec<Value> = swarm.log().unwrap().lines().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let last_record = records.last().unwrap();
    let cancelled = risk_events(last_record, "buys_cancelled");
    assert_eq!(cancelled.len(), 1, "{last_record}");
    assert_eq!(cancelled[0]["orders"], working as u64, "{last_record}");
    assert!(cancelled[0]["reason"].as_str().unwrap().starts_with("circuit breaker OPEN"), "{last_record}");
    // Each cancellation is on the order itself, with the reason.
    let reasons: Vec<&str> = engine
        .events()
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::OrderCancelled { reason, .. } => Some(reason.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(reasons.len(), working, "{reasons:?}");
    assert!(
        reasons.iter().all(|r| r.starts_with("risk: circuit breaker OPEN") && r.contains("rose 15%")),
        "{reasons:?}"
    );
}

#[test]
fn in_a_drawdown_breach_no_buy_goes_but_exits_do_until_it_ends() {
    let market = market(RegimeKind::RangeBound, 42);
    let mut config = unattended();
    config.oversight.max_drawdown_fraction = Decimal::new(1, 2);
    let (_, records) = run(&market, config);
    let breached = records.iter().position(|r| !risk_events(r, "drawdown_breached").is_empty());
    let breached = breached.expect("a 1% drawdown limit is crossed in 1,000 bars");
    let mut in_breach = false;
    let (mut sells_in_breach, mut buys_after) = (0, 0);
    for record in &records[breached..] {
        in_breach |= !risk_events(record, "drawdown_breached").is_empty();
        in_breach &= risk_events(record, "drawdown_ended").is_empty();
        if in_breach {
            assert!(!ordered(record, "BUY"), "a buy in a breach: {record}");
            sells_in_breach += usize::from(ordered(record, "SELL"));
        } else {
            buys_after += usize::from(ordered(record, "BUY"));
        }
    }
    assert!(sells_in_breach > 0, "the swarm exits while its drawdown is breached");
    assert!(buys_after > 0, "the breach ends (the peak ages out of its look-back) and the swarm buys again");
}

#[test]
fn the_daily_trade_limit_counts_every_slice_of_a_split_decision() {
    let market = market(RegimeKind::Trending, 42);
    let mut config = unattended();
    // Every order split into 10 slices; at most 25 orders a UTC day.
    config.execution.slice_above_notional = 1.0;
    config.oversight.max_trades_per_day = 25;
    let (_, records) = run(&market, config);
    let mut per_day: std::collections::BTreeMap<i64, u64> = Default::default();
    let mut sliced = 0;
    for record in records.iter().filter(|r| r["order"].is_object()) {
        let day = record["time"].as_i64().unwrap().div_euclid(86_400_000);
        // Each slice's result: "<order id> <status>" when placed, a rejection code when not.
        let results = record["order"]["results"].as_array().unwrap();
        let placed = results.iter().filter(|r| r.as_str().unwrap().contains(' ')).count() as u64;
        sliced += usize::from(placed > 1);
        let before = per_day.entry(day).or_default();
        // New risk stops at the limit, counting each slice; an exit still goes (it passes
        // every limit) and is counted too.
        if ordered(record, "BUY") {
            assert!(*before + placed <= 25, "day {day}: {placed} buys after {before} orders");
        }
        *before += placed;
    }
    assert!(sliced > 0, "decisions were split");
    assert!(per_day.values().any(|&orders| orders >= 25), "some day reaches the limit: {per_day:?}");
}
