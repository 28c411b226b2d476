//! `coinswarm model …` and the learned agent as a user drives them: training uses no bar
//! after `--to`, the same seed gives the same file whatever the thread count, walk-forward
//! trains each fold on its train bars only, and a bad model file is refused at load.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn coinswarm() -> Command {
    Command::cargo_bin("coinswarm").unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("coinswarm-model-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run_json(args: &[&str]) -> Value {
    let output = coinswarm().args(args).output().unwrap();
    assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

fn failure(args: &[&str]) -> String {
    let output = coinswarm().args(args).output().unwrap();
    assert!(!output.status.success(), "{args:?} succeeded");
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

/// The bundled hourly bars as a CSV in the long layout, with every bar that starts after
/// `after` (RFC 3339) changed by `change(open, high, low, close, volume)`.
fn hourly_csv(path: &Path, after: &str, change: impl Fn([f64; 5]) -> [f64; 5]) {
    let shown = coinswarm().args(["data", "show", "bitfinex-btcusd-1h"]).output().unwrap();
    let mut csv = String::from("Date,Symbol,Open,High,Low,Close,VolumeFrom\n");
    for line in String::from_utf8(shown.stdout).unwrap().lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        let mut values: [f64; 5] = std::array::from_fn(|i| cells[i + 1].parse().unwrap());
        if cells[0] > after {
            values = change(values);
        }
        let date = cells[0][..16].replace('T', " ");
        let [o, h, l, c, v] = values;
        csv.push_str(&format!("{date},BTCUSD,{o},{h},{l},{c},{v}\n"));
    }
    std::fs::write(path, csv).unwrap();
}

#[test]
fn changing_every_bar_after_t_changes_no_decision_at_or_before_t() {
    let dir = scratch("lookahead");
    let t = "2018-09-30T23:00:00Z";
    let (real, changed) = (dir.join("real.csv"), dir.join("changed.csv"));
    hourly_csv(&real, t, |v| v);
    // After t: a mirrored, more volatile market on thrice the volume.
    hourly_csv(&changed, t, |[o, h, l, c, v]| {
        [20_000.0 - o * 0.9, 20_000.0 - l * 0.9, 20_000.0 - h * 0.9, 20_000.0 - c * 0.9, v * 3.0]
    });
    let mut hashes = Vec::new();
    let mut logs = Vec::new();
    for (name, data) in [("real", &real), ("changed", &changed)] {
        let model = dir.join(format!("{name}.safetensors"));
        let trained = run_json(&[
            "model",
            "train",
            "--data",
            data.to_str().unwrap(),
            "--from",
            "2018-01-01",
            "--to",
            "2018-09-30",
            "--out",
            model.to_str().unwrap(),
            "--json",
        ]);
        hashes.push(trained["model"].as_str().unwrap().to_string());
        let log = dir.join(format!("{name}.jsonl"));
        run_json(&[
            "swarm",
            "--data",
            data.to_str().unwrap(),
            "--from",
            "2018-01-01",
            "--model",
            model.to_str().unwrap(),
            "--log",
            log.to_str().unwrap(),
            "--json",
        ]);
        logs.push(std::fs::read_to_string(&log).unwrap());
    }
    assert_eq!(hashes[0], hashes[1], "the bars after --to reached the model");
    let cut = 1_538_351_999_999_i64; // 2018-09-30T23:59:59.999Z: decisions at or before t's bar close
    let split = |log: &str| -> (Vec<String>, Vec<String>) {
        log.lines().map(str::to_string).partition(|line| {
            let record: Value = serde_json::from_str(line).unwrap();
            record["time"].as_i64().unwrap() <= cut
        })
    };
    let ((real_before, real_after), (changed_before, changed_after)) = (split(&logs[0]), split(&logs[1]));
    assert!(real_before.len() > 6_000, "{} decisions before t", real_before.len());
    assert_eq!(real_before, changed_before, "a decision at or before t changed");
    assert_ne!(real_after, changed_after, "the changed bars made no difference after t: the test proves nothing");
    let voted = real_before.iter().filter(|l| l.contains(r#""agent":"learned""#)).count();
    assert!(voted > 1_000, "the learned agent voted {voted} times before t");
    let record: Value = serde_json::from_str(real_before.last().unwrap()).unwrap();
    assert_eq!(record["learned"]["model"], hashes[0].as_str(), "each decision records the model's hash");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_same_seed_trains_the_same_file_on_one_thread_or_two_and_another_seed_does_not() {
    let dir = scratch("seed");
    let train = |threads: &str, seed: &str| -> String {
        let out = dir.join(format!("{threads}-{seed}.safetensors"));
        let output = coinswarm()
            .env("RAYON_NUM_THREADS", threads)
            .args(["model", "train", "--data", "bitfinex-btcusd-1h", "--to", "2018-03-31", "--seed", seed])
            .args(["--out", out.to_str().unwrap(), "--json"])
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let trained: Value = serde_json::from_slice(&output.stdout).unwrap();
        let hash = trained["model"].as_str().unwrap().to_string();
        let inspected = run_json(&["model", "inspect", out.to_str().unwrap(), "--json"]);
        assert_eq!(inspected["model"], hash.as_str());
        assert!(inspected["training"]["outcomes_known_by_ms"].as_i64().unwrap() <= 1_522_540_800_000);
        hash
    };
    let one = train("1", "7");
    assert_eq!(one, train("2", "7"));
    assert_ne!(one, train("2", "8"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn walk_forward_trains_each_fold_on_its_train_bars_only() {
    let report = run_json(&[
        "validate",
        "walk-forward",
        "--data",
        "bitfinex-btcusd-1h",
        "--strategy",
        "committee",
        "--learned",
        "--folds",
        "3",
        "--threshold-grid",
        "0.6",
        "--json",
        "-",
    ]);
    let folds = report["folds"].as_array().unwrap();
    assert_eq!(folds.len(), 3);
    let mut hashes = Vec::new();
    for fold in folds {
        let model = &fold["model"];
        let known_by = model["training"]["outcomes_known_by_ms"].as_i64().unwrap();
        let test_from = fold["out_of_sample"]["from"].as_str().unwrap();
        let test_from_ms = chrono_ms(test_from);
        assert!(known_by <= test_from_ms, "fold's model knew an outcome at {known_by}, its test starts {test_from}");
        assert!(model["training"]["validation_samples"].as_u64().unwrap() > 0);
        hashes.push(model["hash"].as_str().unwrap().to_string());
    }
    hashes.dedup();
    assert_eq!(hashes.len(), 3, "each fold trains its own model");
    let alone = run_json(&[
        "validate",
        "walk-forward",
        "--data",
        "bitfinex-btcusd-1h",
        "--strategy",
        "learned",
        "--folds",
        "2",
        "--json",
        "-",
    ]);
    for fold in alone["folds"].as_array().unwrap() {
        assert!(fold["model"]["hash"].is_string() && fold["out_of_sample"]["bars"].as_u64().unwrap() > 0, "{fold}");
    }
    // On the daily set a fold's 620 bars are all the state's warm-up: no sample, said plainly.
    let daily = run_json(&[
        "validate",
        "walk-forward",
        "--data",
        "bitfinex-daily",
        "--product",
        "BTC-USD",
        "--strategy",
        "learned",
        "--folds",
        "2",
        "--json",
        "-",
    ]);
    let failure = daily["folds"][0]["failure"].as_str().unwrap();
    assert!(failure.starts_with("training the fold's model failed: too few samples to train on"), "{failure}");
}

/// Milliseconds of an RFC 3339 UTC instant like 2018-06-01T00:00:00Z.
fn chrono_ms(text: &str) -> i64 {
    coinswarm_core::time::Timestamp::parse(text).unwrap().millis()
}

/// A copy of a model file with its JSON header changed by `edit`.
fn edited(model: &[u8], edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let length = u64::from_le_bytes(model[..8].try_into().unwrap()) as usize;
    let mut header: Value = serde_json::from_slice(&model[8..8 + length]).unwrap();
    edit(&mut header);
    let json = serde_json::to_vec(&header).unwrap();
    let mut file = (json.len() as u64).to_le_bytes().to_vec();
    file.extend_from_slice(&json);
    file.extend_from_slice(&model[8 + length..]);
    file
}

#[test]
fn a_bad_model_file_is_a_clear_error_at_load() {
    let dir = scratch("bad");
    let good = std::fs::read("../coinswarm-core/tests/fixtures/learned_model.safetensors").unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path.to_str().unwrap().to_string()
    };
    let cases = [
        (dir.join("missing.safetensors").to_str().unwrap().to_string(), "cannot read model file"),
        (write("truncated.safetensors", &good[..good.len() - 100]), "is truncated"),
        (write("empty.safetensors", b""), "is truncated"),
        (
            write("shape.safetensors", &edited(&good, |h| h["l2.weight"]["shape"] = serde_json::json!([8, 32]))),
            "tensor l2.weight has byte range",
        ),
        (
            write("version.safetensors", &edited(&good, |h| h["__metadata__"]["format_version"] = "2".into())),
            "format version 2 is not supported",
        ),
        (
            write("other.safetensors", &edited(&good, |h| h["__metadata__"]["format"] = "pytorch".into())),
            "not a Coinswarm model file",
        ),
    ];
    for (path, expected) in &cases {
        let message = failure(&["backtest", "--data", "bitfinex-btcusd-1h", "--strategy", "learned", "--model", path]);
        assert!(message.contains(expected) && message.contains(path.as_str()), "{path}: {message}");
        let message = failure(&["model", "inspect", path]);
        assert!(message.contains(expected), "{path}: {message}");
    }
    let message = failure(&["backtest", "--data", "bitfinex-btcusd-1h", "--strategy", "learned"]);
    assert!(message.contains("needs a trained model"), "{message}");
    let message =
        failure(&["model", "train", "--data", "bitfinex-btcusd-1h", "--to", "2017-07-10", "--out", "/tmp/x.st"]);
    assert!(message.contains("too few samples"), "{message}");
    std::fs::remove_dir_all(&dir).unwrap();
}
