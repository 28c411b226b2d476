//! `coinswarm swarm` driven as a user would: bundled data, CSV files, logs and bad input.

use assert_cmd::Command;
use serde_json::Value;

fn coinswarm() -> Command {
    Command::cargo_bin("coinswarm").unwrap()
}

fn summary(args: &[&str]) -> Value {
    let output = coinswarm().arg("swarm").args(args).arg("--json").output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

fn failure(args: &[&str]) -> String {
    let output = coinswarm().arg("swarm").args(args).output().unwrap();
    assert!(!output.status.success(), "should fail: {args:?}");
    assert!(output.stdout.is_empty());
    String::from_utf8(output.stderr).unwrap()
}

const DAILY: [&str; 6] = ["--data", "bitfinex-daily", "--product", "BTC-USD", "--from", "2017-01-01"];

#[test]
fn two_runs_with_the_same_inputs_print_the_same_hash() {
    // The whole daily set: from 2017 alone its one committee buy falls on a day the breaker
    // tripped (an 11.7% fall inside the bar), and a run without orders has no ids to seed.
    let whole = &DAILY[..4];
    let first = summary(whole);
    let second = summary(whole);
    assert_eq!(first, second, "the whole report, not only the hash, is reproducible");
    let hash = first["decision_log_sha256"].as_str().unwrap();
    assert_eq!(hash.len(), 64);
    assert_eq!(hash, second["decision_log_sha256"].as_str().unwrap());
    assert!(first["orders"].as_u64().unwrap() > 0, "the swarm trades on real data");
    let seeded = summary(&[whole, &["--seed", "7"]].concat());
    assert_ne!(seeded["decision_log_sha256"], first["decision_log_sha256"], "order ids depend on the seed");
}

#[test]
fn the_summary_counts_decisions_vetoes_regimes_trips_trades_and_equity() {
    let report = summary(&DAILY);
    let actions = &report["decisions_by_action"];
    let decided: u64 = ["buy", "sell", "hold"].iter().map(|a| actions[a].as_u64().unwrap()).sum();
    assert_eq!(decided, report["bars"].as_u64().unwrap(), "one decision per bar");
    assert_eq!(report["first_bar"], "2017-01-01T00:00:00Z");
    for key in ["trend", "mean_reversion", "risk", "hedge", "arbitrage", "execution"] {
        assert!(report["vetoes_by_agent"][key].is_u64(), "{key}");
    }
    assert!(!report["regime_changes"].as_array().unwrap().is_empty());
    for key in ["breaker_trips", "trades", "orders"] {
        assert!(report[key].is_u64(), "{key}");
    }
    assert!(report["final_equity"].as_str().unwrap().parse::<f64>().unwrap() > 0.0);
}

#[test]
fn the_decision_log_has_one_line_per_bar_with_votes_weights_and_verdicts() {
    let dir = std::env::temp_dir().join(format!("coinswarm-swarm-log-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("decisions.jsonl");
    let report = summary(&[&DAILY[..], &["--log", path.to_str().unwrap(), "--other-venue", "bitstamp-daily"]].concat());
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len() as u64, report["bars"].as_u64().unwrap());
    for key in ["votes", "weights", "regime", "committee", "breaker", "oversight", "action", "equity"] {
        assert!(!lines[0][key].is_null(), "{key}");
    }
    assert!(lines.iter().any(|l| l["votes"].as_array().unwrap().iter().any(|v| v["agent"] == "arbitrage")));
    assert!(!dir.join(".decisions.jsonl.partial").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_csv_file_replays_like_the_bundled_data() {
    let dir = std::env::temp_dir().join(format!("coinswarm-swarm-csv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("btc.csv");
    let candles = coinswarm().args(["data", "show", "bitstamp-daily", "--product", "BTC-USD"]).output().unwrap();
    // data show writes time,open,…; rewrite it in the long layout a user's file would have.
    let csv: String = String::from_utf8(candles.stdout)
        .unwrap()
        .lines()
        .skip(1)
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            format!("{},BTCUSD,{},{},{},{},{}\n", &cells[0][..10], cells[1], cells[2], cells[3], cells[4], cells[5])
        })
        .collect();
    std::fs::write(&path, format!("Date,Symbol,Open,High,Low,Close,VolumeFrom\n{csv}")).unwrap();
    let from_file = summary(&["--data", path.to_str().unwrap()]);
    let bundled = summary(&["--data", "bitstamp-daily", "--product", "BTC-USD"]);
    assert_eq!(from_file["granularity"], "ONE_DAY");
    assert_eq!(from_file["bars"], bundled["bars"]);
    assert_eq!(from_file["final_equity"], bundled["final_equity"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_input_is_refused_with_a_clear_message() {
    assert!(failure(&["--data", "nope"]).contains("neither a bundled data set"));
    assert!(failure(&["--data", "bitfinex-daily"]).contains("choose one with --product"));
    assert!(failure(&["--data", "bitfinex-daily", "--product", "LTC-USD"]).contains("LTC-USD"));
    assert!(
        failure(&["--data", "bitfinex-btcusd-1h", "--from", "2019-01-02", "--to", "2019-01-01"]).contains("is after")
    );
    assert!(failure(&["--data", "bitfinex-btcusd-1h", "--from", "2030-01-01"]).contains("no bars"));
    assert!(failure(&["--data", "bitfinex-btcusd-1h", "--capital", "0"]).contains("--capital must be positive"));
    assert!(failure(&["--data", "bitfinex-btcusd-1h", "--from", "yesterday"]).contains("invalid"));
    let dir = std::env::temp_dir().join(format!("coinswarm-swarm-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("swarm.toml");
    std::fs::write(&config, "[comittee]\nthreshold = 0.6\n").unwrap();
    let message = failure(&["--data", "bitfinex-btcusd-1h", "--config", config.to_str().unwrap()]);
    assert!(message.contains("invalid config") && message.contains("comittee"), "{message}");
    let hourly_against_daily = ["--data", "bitfinex-btcusd-1h", "--other-venue", "bitstamp-daily"];
    assert!(failure(&hourly_against_daily).contains("bars must cover the same intervals"));
    std::fs::write(&config, "[committee]\nthreshold = nan\n").unwrap();
    let message = failure(&["--data", "bitfinex-btcusd-1h", "--config", config.to_str().unwrap()]);
    assert!(message.contains("committee.threshold must be a fraction"), "{message}");
    let garbage = dir.join("garbage.csv");
    std::fs::write(&garbage, "hello,world\n1,2\n").unwrap();
    assert!(failure(&["--data", garbage.to_str().unwrap()]).contains("not a CSV in the long or wide layout"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_config_file_changes_the_thresholds() {
    let dir = std::env::temp_dir().join(format!("coinswarm-swarm-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("swarm.toml");
    std::fs::write(&config, "[committee]\nthreshold = 1.0\n").unwrap();
    let strict = summary(&[&DAILY[..], &["--config", config.to_str().unwrap()]].concat());
    let actions = &strict["decisions_by_action"];
    assert_eq!(actions["buy"], 0, "a threshold of 1 lets only unanimous full-confidence votes through: {actions}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_replay_breaker_closes_itself_and_with_manual_breaker_the_summary_says_how_long_it_blocked() {
    let manual = summary(&["--data", "bitfinex-btcusd-1h", "--manual-breaker"]);
    let auto = summary(&["--data", "bitfinex-btcusd-1h"]);
    assert!(manual["breaker_trips"].as_u64().unwrap() >= 1);
    let blocked = |r: &Value| r["breaker_blocked_decisions"].as_u64().unwrap();
    assert!(blocked(&manual) > 10_000, "a trip without a reset blocks the rest of the replay");
    assert!(blocked(&auto) < blocked(&manual) / 100, "by default a replay's breaker reopens after the cool-down");
    assert!(manual["skipped_by_reason"]["breaker"].as_u64().unwrap() > 0);
    let notice = manual["restriction_notice"].as_str().expect("more than 10% restricted is said");
    assert!(notice.contains("could not add risk") && notice.contains("breaker"), "{notice}");
    assert!(manual["restrictions"]["breaker"]["first"].is_number(), "with dates");
    assert!(auto["orders"].as_u64().unwrap() > 50, "the default replay trades through the period");
}
