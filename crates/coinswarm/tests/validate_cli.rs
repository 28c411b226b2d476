//! `coinswarm validate …` driven as a user would.

use assert_cmd::Command;
use serde_json::Value;

fn validate(args: &[&str]) -> Value {
    let output =
        Command::cargo_bin("coinswarm").unwrap().arg("validate").args(args).args(["--json", "-"]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

fn failure(args: &[&str]) -> String {
    let output = Command::cargo_bin("coinswarm").unwrap().arg("validate").args(args).output().unwrap();
    assert!(!output.status.success(), "should fail: {args:?}");
    String::from_utf8(output.stderr).unwrap()
}

const DAILY_BTC: [&str; 4] = ["--data", "bitstamp-daily", "--product", "BTC-USD"];

#[test]
fn random_window_reports_every_window_and_the_spread_of_each_metric() {
    let flags = ["--strategy", "sma-cross", "--windows", "10", "--seed", "3"];
    let report = validate(&[&["random-window"][..], &DAILY_BTC, &flags].concat());
    assert_eq!(report["strategy"], "sma-cross(10,30)");
    let windows = report["windows"].as_array().unwrap();
    assert_eq!(windows.len(), 10);
    for window in windows {
        let days = window["window"]["days"].as_u64().unwrap();
        assert!((30..=180).contains(&days), "{window}");
        assert_eq!(window["passed"].as_bool().unwrap(), window["failures"].as_array().unwrap().is_empty());
        // One daily bar per day, fewer where the window covers the data set's 12-day gap.
        let bars = window["run"]["bars"].as_u64().unwrap();
        assert!(bars <= days && bars + 12 >= days, "{bars} bars in {days} days");
    }
    let passed = windows.iter().filter(|w| w["passed"] == true).count();
    assert_eq!(report["passed"].as_u64().unwrap() as usize, passed);
    assert_eq!(report["pass_rate"].as_f64().unwrap(), passed as f64 / 10.0);
    for metric in ["sharpe", "win_rate", "max_drawdown", "total_return", "trades"] {
        let spread = &report[metric];
        for key in ["count", "min", "q1", "median", "q3", "max", "mean"] {
            assert!(spread[key].is_number(), "{metric}.{key}: {spread}");
        }
        assert!(
            spread["min"].as_f64() <= spread["median"].as_f64() && spread["median"].as_f64() <= spread["max"].as_f64()
        );
    }
    assert_eq!(report["config"]["criteria"]["min_sharpe"], 1.5);
}

#[test]
fn the_same_seed_gives_byte_identical_reports_and_another_seed_other_windows() {
    let run = |seed: &str| {
        let args = [&DAILY_BTC[..], &["--strategy", "committee", "--windows", "10", "--seed", seed]].concat();
        validate(&[&["random-window"][..], &args].concat())
    };
    assert_eq!(run("7"), run("7"));
    assert_ne!(run("7")["windows"], run("8")["windows"]);
}

#[test]
fn walk_forward_scores_each_folds_choice_on_the_bars_after_its_training() {
    let args = [
        "walk-forward",
        "--data",
        "bitfinex-btcusd-1h",
        "--strategy",
        "sma-cross",
        "--folds",
        "3",
        "--fast-grid",
        "5,20",
        "--slow-grid",
        "50,100",
    ];
    let report = validate(&args);
    let folds = report["folds"].as_array().unwrap();
    assert_eq!(folds.len(), 3);
    for fold in folds {
        assert_eq!(fold["candidates"].as_array().unwrap().len(), 4);
        let (train, test) = (&fold["fold"]["train"], &fold["fold"]["test"]);
        assert_eq!(train["end"], test["start"], "tests start right after training ends");
        assert!(fold["in_sample"]["to"].as_str() <= fold["out_of_sample"]["from"].as_str());
        let gap = fold["overfitting_gap"].as_f64().unwrap();
        let (is, oos) = (fold["in_sample_score"].as_f64().unwrap(), fold["out_of_sample_score"].as_f64().unwrap());
        assert!((gap - (is - oos)).abs() < 1e-12);
    }
    assert_eq!(folds[2]["fold"]["test"]["end"], 17_583);
    // The parameter search runs on two threads or one: the report is the same.
    assert_eq!(validate(&[&args[..], &["--threads", "1"]].concat()), report);
}

#[test]
fn multi_timescale_runs_each_profile_on_its_own_bar_length() {
    let report = validate(&["multi-timescale", "--data", "bitfinex-btcusd-1h", "--strategy", "sma-cross"]);
    let profiles = report["profiles"].as_array().unwrap();
    let names: Vec<&str> = profiles.iter().map(|p| p["profile"]["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["hft", "day", "swing", "long-term"]);
    assert!(profiles[0]["failures"][0].as_str().unwrap().contains("finer than"), "no minute bars in hourly data");
    assert_eq!(profiles[1]["bars"], 17_583);
    assert_eq!(profiles[3]["profile"]["granularity"], "ONE_DAY");
}

#[test]
fn bad_input_is_refused_with_a_reason() {
    let base = ["--data", "bitstamp-daily", "--product", "BTC-USD", "--strategy", "sma-cross"];
    let windows = |extra: &[&str]| failure(&[&["random-window"][..], &base, extra].concat());
    assert!(windows(&["--min-days", "90", "--max-days", "30"]).contains("min days ≤ max days"));
    assert!(windows(&["--max-days", "5000"]).contains("fewer than the longest window"));
    assert!(windows(&["--fast", "30", "--slow", "10"]).contains("0 < fast < slow"));
    assert!(windows(&["--windows", "0"]).contains("at least 1"));
    let walk = |extra: &[&str]| failure(&[&["walk-forward"][..], &base, extra].concat());
    assert!(walk(&["--folds", "0"]).contains("at least one fold"));
    assert!(walk(&["--folds", "5000"]).contains("non-empty segments"));
    let mean_reversion =
        ["walk-forward", "--data", "bitstamp-daily", "--product", "BTC-USD", "--strategy", "mean-reversion"];
    assert!(failure(&mean_reversion).contains("none to search"));
    let learned_alone_with_a_file =
        ["walk-forward", "--data", "bitstamp-daily", "--product", "BTC-USD", "--strategy", "sma-cross", "--learned"];
    assert!(failure(&learned_alone_with_a_file).contains("use it with --strategy committee"));
    assert!(failure(&["random-window", "--data", "bitstamp-daily", "--strategy", "sma-cross"]).contains("--product"));
}

#[test]
fn a_validation_whose_runs_could_not_add_risk_says_so_in_its_text_json_and_html() {
    let args = ["walk-forward", "--data", "bitfinex-btcusd-1h", "--strategy", "committee", "--manual-breaker"];
    let report = validate(&args);
    let folds = report["folds"].as_array().unwrap();
    let restricted: Vec<&Value> =
        folds.iter().filter(|f| f["out_of_sample"]["restriction_notice"].is_string()).collect();
    assert!(restricted.len() >= 3, "without an operator the breaker blocks most test segments: {folds:?}");
    let dir = std::env::temp_dir().join(format!("coinswarm-validate-notice-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let html = dir.join("walk-forward.html");
    let output = Command::cargo_bin("coinswarm")
        .unwrap()
        .arg("validate")
        .args(args)
        .arg("--report")
        .arg(&html)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8(output.stdout).unwrap();
    let note = format!("NOTE               {} of 5 test segments could not add risk", restricted.len());
    assert!(text.contains(&note), "{text}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains(r#"<section id="restrictions">"#), "no notice in the report");
    std::fs::remove_dir_all(&dir).unwrap();
}
