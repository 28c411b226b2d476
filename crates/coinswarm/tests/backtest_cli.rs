//! `coinswarm backtest` driven as a user would.

use assert_cmd::Command;
use serde_json::Value;

fn backtest(args: &[&str]) -> Value {
    let output =
        Command::cargo_bin("coinswarm").unwrap().arg("backtest").args(args).args(["--json", "-"]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

fn failure(args: &[&str]) -> String {
    let output = Command::cargo_bin("coinswarm").unwrap().arg("backtest").args(args).output().unwrap();
    assert!(!output.status.success(), "should fail: {args:?}");
    String::from_utf8(output.stderr).unwrap()
}

#[test]
fn the_json_report_carries_every_metric_the_trades_and_the_equity_curve() {
    let report = backtest(&["--data", "bitfinex-btcusd-1h", "--strategy", "sma-cross", "--fast", "20", "--slow", "50"]);
    assert_eq!(report["strategy"], "sma-cross(20,50)");
    let metrics = &report["metrics"];
    for key in ["total_return", "cagr", "annualised_volatility", "sharpe", "sortino", "calmar", "turnover"] {
        assert!(metrics[key].is_f64(), "{key}: {}", metrics[key]);
    }
    assert_eq!(metrics["periods_per_year"], 8760.0);
    assert!(metrics["max_drawdown"]["fraction"].as_f64().unwrap() > 0.0);
    let trades = report["trades"].as_array().unwrap();
    assert_eq!(trades.len() as u64, metrics["trades"]["count"].as_u64().unwrap());
    assert!(trades.iter().all(|t| t["exit_time"].as_i64() >= t["entry_time"].as_i64()));
    assert_eq!(report["equity_curve"].as_array().unwrap().len(), 17_583);
}

#[test]
fn several_products_share_one_cash_balance() {
    let args =
        ["--data", "bitstamp-daily", "--product", "BTC-USD", "--product", "ETH-USD", "--strategy", "buy-and-hold"];
    let report = backtest(&[&args[..], &["--from", "2018-01-01", "--close-at-end"]].concat());
    assert_eq!(report["products"].as_array().unwrap().len(), 2);
    assert_eq!(report["trades"].as_array().unwrap().len(), 2, "one round trip per product, closed at the end");
    let last = report["equity_curve"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["exposure"], "0", "everything sold at the last close");
}

#[test]
fn fees_and_slippage_flags_cost_money() {
    let base = ["--data", "bitfinex-btcusd-1h", "--strategy", "sma-cross"];
    let free = backtest(&[&base[..], &["--fee-bps", "0", "--maker-fee-bps", "0"]].concat());
    let costly = backtest(&[&base[..], &["--slippage-bps", "10"]].concat());
    let equity = |r: &Value| r["final_equity"].as_str().unwrap().parse::<f64>().unwrap();
    assert!(equity(&free) > equity(&costly));
    assert_eq!(free["fees_paid"], "0");
}

#[test]
fn bad_input_is_refused_with_a_clear_message() {
    assert!(
        failure(&["--data", "bitfinex-btcusd-1h", "--strategy", "sma-cross", "--fast", "30", "--slow", "10"])
            .contains("0 < fast < slow")
    );
    assert!(failure(&["--data", "bitfinex-daily", "--strategy", "committee"]).contains("choose one with --product"));
    assert!(
        failure(&["--data", "bitfinex-daily", "--product", "BTC-USD", "--strategy", "arbitrage"])
            .contains("needs --other-venue")
    );
    assert!(failure(&["--data", "bitfinex-btcusd-1h", "--strategy", "momentum"]).contains("invalid value 'momentum'"));
    assert!(
        failure(&["--data", "bitfinex-btcusd-1h", "--strategy", "committee", "--from", "2030-01-01"])
            .contains("no bars")
    );
    assert!(
        failure(&["--data", "bitfinex-btcusd-1h", "--strategy", "committee", "--capital=-5"])
            .contains("--capital must be positive")
    );
}

#[test]
fn a_committee_backtest_attributes_votes_vetoes_accuracy_and_weight_to_each_agent() {
    let report = backtest(&["--data", "bitfinex-btcusd-1h", "--strategy", "committee", "--to", "2018-01-01"]);
    let agents = report["attribution"].as_array().unwrap();
    let names: Vec<&str> = agents.iter().map(|a| a["agent"].as_str().unwrap()).collect();
    assert_eq!(names, ["trend", "mean_reversion", "risk", "hedge", "arbitrage", "execution", "recall", "learned"]);
    let risk = &agents[2];
    assert_eq!(risk["votes"], risk["vetoes"], "the risk agent only ever vetoes");
    assert!(agents[0]["votes"].as_u64().unwrap() > 1_000);
    assert!(agents.iter().all(|a| a["final_weight"].as_f64().unwrap() >= 0.0));
    assert_eq!(agents[6]["votes"], 0, "pattern memory is off unless asked for");
    assert_eq!(agents[7]["votes"], 0, "the learned agent abstains without a model");

    let with_recall =
        backtest(&["--data", "bitfinex-btcusd-1h", "--strategy", "committee", "--to", "2018-01-01", "--recall"]);
    let recall = &with_recall["attribution"].as_array().unwrap()[6];
    assert_eq!(recall["agent"], "recall");
    assert!(recall["votes"].as_u64().unwrap() > 1_000, "{recall}");

    // The fixture model was trained on bars up to 2018-06-30, so it is backtested after that.
    let model = "../coinswarm-core/tests/fixtures/learned_model.safetensors";
    let with_model = backtest(&[
        "--data",
        "bitfinex-btcusd-1h",
        "--strategy",
        "committee",
        "--from",
        "2018-07-01",
        "--model",
        model,
    ]);
    let learned = &with_model["attribution"].as_array().unwrap()[7];
    assert_eq!(learned["agent"], "learned");
    assert!(learned["votes"].as_u64().unwrap() > 100, "{learned}");
}

#[test]
fn strategy_parameters_come_from_a_toml_file_and_flags_win_over_it() {
    let dir = std::env::temp_dir().join(format!("coinswarm-backtest-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("strategy.toml");
    std::fs::write(&config, "[sma_cross]\nfast = 20\nslow = 50\n\n[committee]\nthreshold = 0.65\n").unwrap();
    let path = config.to_str().unwrap();
    let from_file = backtest(&["--data", "bitfinex-btcusd-1h", "--strategy", "sma-cross", "--config", path]);
    assert_eq!(from_file["strategy"], "sma-cross(20,50)");
    let overridden =
        backtest(&["--data", "bitfinex-btcusd-1h", "--strategy", "sma-cross", "--config", path, "--fast", "5"]);
    assert_eq!(overridden["strategy"], "sma-cross(5,50)");
    std::fs::write(&config, "[sma_cross]\nfst = 20\n").unwrap();
    assert!(
        failure(&["--data", "bitfinex-btcusd-1h", "--strategy", "sma-cross", "--config", path])
            .contains("invalid [sma_cross]")
    );
    std::fs::write(&config, "[committee]\nthreshold = 7\n").unwrap();
    assert!(
        failure(&["--data", "bitfinex-btcusd-1h", "--strategy", "committee", "--config", path])
            .contains("invalid config")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_second_venue_gives_the_arbitrage_agent_real_cross_venue_spreads() {
    let base = ["--data", "bitstamp-daily", "--product", "BTC-USD", "--strategy", "arbitrage", "--fee-bps", "0"];
    let with_venue = backtest(&[&base[..], &["--other-venue", "bitfinex-daily"]].concat());
    let trades = with_venue["metrics"]["trades"]["count"].as_u64().unwrap();
    assert!(trades > 0, "Bitstamp vs Bitfinex daily closes differ enough to trade");
    assert!(failure(&base).contains("the arbitrage strategy needs --other-venue"));
}

fn final_equity(report: &Value) -> f64 {
    report["final_equity"].as_str().unwrap().parse().unwrap()
}

#[test]
fn frictionless_with_a_manual_breaker_gives_the_exact_arithmetic_of_a_market_without_frictions() {
    let base = ["--data", "bitfinex-btcusd-1h", "--strategy", "sma-cross"];
    let exact = backtest(&[&base[..], &["--frictionless", "--manual-breaker"]].concat());
    // The figures of the frictionless market before replays had default frictions (a08f9eb).
    assert_eq!(exact["final_equity"], "22498.38397192405060");
    assert_eq!(exact["metrics"]["trades"]["count"], 336);
    assert_eq!(exact["market_model"]["slippage_bps"], "0");
    assert_eq!(exact["market_model"]["participation_cap"], Value::Null);
}

#[test]
fn by_default_a_backtest_pays_slippage_and_fills_at_most_a_tenth_of_a_bars_volume_and_says_so() {
    let base = ["--data", "bitfinex-btcusd-1h", "--strategy", "sma-cross"];
    let honest = backtest(&base);
    assert_eq!(honest["market_model"]["slippage_bps"], "5");
    assert_eq!(honest["market_model"]["participation_cap"], "0.10");
    assert!(final_equity(&honest) < final_equity(&backtest(&[&base[..], &["--frictionless"]].concat())));
    let output = Command::cargo_bin("coinswarm").unwrap().arg("backtest").args(base).output().unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains("market model       fees 60/40 bps taker/maker, slippage 5 bps, at most 10% of a bar's volume"),
        "{text}"
    );
}

#[test]
fn the_committee_trades_through_the_whole_bundled_period_and_a_manual_breaker_run_says_how_long_it_was_blocked() {
    let base = ["--data", "bitfinex-btcusd-1h", "--strategy", "committee"];
    let unattended = backtest(&base);
    let entries: Vec<i64> =
        unattended["trades"].as_array().unwrap().iter().map(|t| t["entry_time"].as_i64().unwrap()).collect();
    let (first, last) = (entries[0], *entries.last().unwrap());
    assert!(first < 1_500_000_000_000 && last > 1_561_000_000_000, "trades from {first} to {last}");
    assert!(entries.len() > 50, "{} trades", entries.len());
    let restricted = unattended["restrictions"]["any"]["decisions"].as_u64().unwrap();
    assert!(restricted * 10 < 17_583, "{restricted} restricted decisions");
    assert_eq!(unattended["restriction_notice"], Value::Null);

    // With the live behaviour and no operator, the first trip blocks new risk to the end,
    // and the run says so in its JSON, its text and its HTML report.
    let blocked = backtest(&[&base[..], &["--manual-breaker"]].concat());
    let notice = blocked["restriction_notice"].as_str().expect("a notice");
    assert!(notice.contains("could not add risk") && notice.contains("breaker"), "{notice}");
    let breaker = &blocked["restrictions"]["breaker"];
    assert!(breaker["decisions"].as_u64().unwrap() > 17_000, "{breaker}");
    assert_eq!(breaker["last"], 1_562_205_600_000_i64, "blocked to the last bar: {breaker}");

    let dir = std::env::temp_dir().join(format!("coinswarm-backtest-notice-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let html = dir.join("report.html");
    let output = Command::cargo_bin("coinswarm")
        .unwrap()
        .arg("backtest")
        .args(base)
        .args(["--manual-breaker", "--report"])
        .arg(&html)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.lines().any(|l| l.starts_with("NOTE ") && l.contains(notice)), "{text}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains(r#"<section id="restrictions">"#) && page.contains("could not add risk"),
        "no notice in the report"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
