//! `coinswarm data …` driven as a user would, through the real binary.

use std::io::Read;
use std::process::{Command, Stdio};

/// Exit code, stdout and stderr of `coinswarm ARGS`.
fn coinswarm(args: &[&str]) -> (i32, String, String) {
    let output = assert_cmd::cargo::cargo_bin_cmd!("coinswarm").args(args).output().unwrap();
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();
    (output.status.code().unwrap(), text(output.stdout), text(output.stderr))
}

/// Stdout of a run that must succeed without a word on stderr.
fn stdout_of(args: &[&str]) -> String {
    let (code, stdout, stderr) = coinswarm(args);
    assert_eq!((code, stderr.as_str()), (0, ""), "coinswarm {args:?}");
    stdout
}

/// Stderr of a run that must fail without printing anything on stdout or panicking.
fn error_of(args: &[&str]) -> String {
    let (code, stdout, stderr) = coinswarm(args);
    assert_ne!(code, 0, "coinswarm {args:?} should fail");
    assert_eq!(stdout, "", "coinswarm {args:?}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

#[test]
fn list_shows_every_bundled_data_set_with_products_span_rows_and_defects_counting_a_shared_hole_once() {
    let table = stdout_of(&["data", "list"]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 4, "{table}");
    assert!(lines[0].starts_with("NAME"));
    for (line, cells) in lines[1..].iter().zip([
        [
            "bitfinex-btcusd-1h",
            "BTC-USD",
            "ONE_HOUR",
            "2017-07-01 11:00 → 2019-07-04 01:00",
            "17583",
            "zero-volume 28, flat 30",
        ],
        ["bitfinex-daily", "BTC-USD,ETH-USD", "ONE_DAY", "2014-12-01 → 2020-01-17", "1862", "gaps 1 (12 bars)"],
        ["bitstamp-daily", "BTC-USD,ETH-USD,LTC-USD", "ONE_DAY", "2014-11-28 → 2020-01-17", "1865", "gaps 1 (12 bars)"],
    ]) {
        for cell in cells {
            assert!(line.contains(cell), "'{cell}' missing from '{line}'");
        }
    }
}

#[test]
fn list_json_gives_each_data_set_with_rfc3339_span_and_counts() {
    let json: serde_json::Value = serde_json::from_str(&stdout_of(&["data", "list", "--json"])).unwrap();
    let sets = json.as_array().unwrap();
    assert_eq!(sets.len(), 3);
    let daily = &sets[2];
    assert_eq!(daily["name"], "bitstamp-daily");
    assert_eq!(daily["venue"], "Bitstamp");
    assert_eq!(daily["products"], serde_json::json!(["BTC-USD", "ETH-USD", "LTC-USD"]));
    assert_eq!(daily["granularity"], "ONE_DAY");
    assert_eq!(daily["span"]["first"], "2014-11-28T00:00:00Z");
    assert_eq!((daily["rows"].as_u64(), daily["candles"].as_u64()), (Some(1865), Some(1865 + 788 + 925)));
    assert_eq!(daily["format"], "wide");
}

#[test]
fn list_json_gives_defects_as_numbers_for_the_data_set_and_each_product() {
    let json: serde_json::Value = serde_json::from_str(&stdout_of(&["data", "list", "--json"])).unwrap();
    let defects = &json[2]["defects"];
    let count = |value: &serde_json::Value, key: &str| value[key].as_u64().unwrap_or_else(|| panic!("{key}: {value}"));
    let shared = ["gap_runs", "missing_bars", "skipped_rows", "unattributed_rows", "duplicate_rows"];
    assert_eq!(shared.map(|key| count(defects, key)), [1, 12, 0, 0, 0], "one hole, counted once");
    let bars = ["zero_volume_bars", "flat_bars", "inconsistent_bars", "off_grid_bars"];
    assert_eq!(bars.map(|key| count(defects, key)), [9 + 1 + 1, 9 + 1 + 1, 0, 0], "candles over all products");
    let products = defects["products"].as_array().unwrap();
    assert_eq!(products.len(), 3);
    for (product, name) in products.iter().zip(["BTC-USD", "ETH-USD", "LTC-USD"]) {
        assert_eq!(product["product"], name);
        assert_eq!((count(product, "gap_runs"), count(product, "missing_bars")), (1, 12), "{name}");
    }
}

#[test]
fn show_csv_prints_the_inclusive_instant_range_oldest_first() {
    let csv = stdout_of(&[
        "data",
        "show",
        "bitfinex-btcusd-1h",
        "--from",
        "2019-07-03T23:00:00Z",
        "--to",
        "2019-07-04T00:00:00Z",
    ]);
    assert_eq!(
        csv,
        "time,open,high,low,close,volume\n\
         2019-07-03T23:00:00Z,11920.0,12014.6,11812.03,11976.42,2116.97\n\
         2019-07-04T00:00:00Z,11976.42,12064.26,11812.01,11849.99,1627.53\n"
    );
}

#[test]
fn show_with_a_date_only_to_prints_through_the_end_of_that_day() {
    let csv = stdout_of(&["data", "show", "bitfinex-btcusd-1h", "--from", "2019-07-01", "--to", "2019-07-02"]);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 1 + 48, "every hourly bar of 2019-07-01 and 2019-07-02");
    assert_eq!(lines[1], "2019-07-01T00:00:00Z,10761.26,11038.84,10600.0,11020.46,2379.28");
    assert_eq!(lines[48], "2019-07-02T23:00:00Z,10798.0,10840.0,10687.88,10829.18,873.5");
}

#[test]
fn show_csv_without_a_range_prints_every_bar_from_the_first_to_the_last() {
    let csv = stdout_of(&["data", "show", "bitfinex-btcusd-1h"]);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 1 + 17_583);
    assert_eq!(lines[1], "2017-07-01T11:00:00Z,2505.56,2513.38,2495.12,2509.17,114.6");
    assert_eq!(lines[17_583], "2019-07-04T01:00:00Z,11849.99,11880.0,11790.01,11849.69,303.61");
}

#[test]
fn show_json_holds_product_granularity_and_candles_with_decimal_strings() {
    let out = stdout_of(&[
        "data",
        "show",
        "bitstamp-daily",
        "--product",
        "eth-usd",
        "--to",
        "2017-11-10",
        "--format",
        "json",
    ]);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (&json["dataset"], &json["product"], &json["granularity"]),
        (&"bitstamp-daily".into(), &"ETH-USD".into(), &"ONE_DAY".into())
    );
    let candles = json["candles"].as_array().unwrap();
    assert_eq!(candles.len(), 2, "ETH listed on 2017-11-09");
    assert_eq!(candles[0]["time"], "2017-11-09T00:00:00Z");
    assert!(candles[0]["open"].is_string() && candles[0]["volume"].is_string());
    assert_eq!(candles[1]["time"], "2017-11-10T00:00:00Z");
}

#[test]
fn show_range_outside_the_data_prints_only_the_header_and_notes_the_span_on_stderr() {
    for (args, note) in [
        (
            &["bitfinex-btcusd-1h", "--to", "2010-01-01"][..],
            "BTC-USD in bitfinex-btcusd-1h spans 2017-07-01 11:00 → 2019-07-04 01:00",
        ),
        (
            &["bitfinex-daily", "--product", "BTC-USD", "--from", "2020-01-20"][..],
            "BTC-USD in bitfinex-daily spans 2014-12-01 → 2020-01-17",
        ),
    ] {
        let (code, stdout, stderr) = coinswarm(&[&["data", "show"][..], args].concat());
        assert_eq!((code, stdout.as_str()), (0, "time,open,high,low,close,volume\n"), "{args:?}");
        assert_eq!(stderr, format!("note: the range holds no bars; {note}\n"), "{args:?}");
    }
}

#[test]
fn quality_reports_gaps_listing_and_zero_volume_per_product() {
    let text = stdout_of(&["data", "quality", "bitfinex-daily"]);
    assert!(text.starts_with("bitfinex-daily (Bitfinex, ONE_DAY, 1862 rows)"), "{text}");
    assert!(text.contains("ETH-USD: 1319 candles, 2016-05-27 → 2020-01-17"), "{text}");
    assert!(text.contains("2016-05-27 (543 empty rows before)"), "{text}");
    assert!(text.contains("gap runs              1 (12 missing bars)"), "{text}");
    assert!(
        text.contains("all products, each bar time or row once:\n  gap runs              1 (12 missing bars)"),
        "{text}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&stdout_of(&["data", "quality", "bitfinex-btcusd-1h", "--json"])).unwrap();
    assert_eq!(json["dataset_defects"]["unattributed_rows"].as_u64(), Some(0));
    let btc = &json["products"][0];
    assert_eq!((btc["zero_volume_bars"].as_u64(), btc["flat_bars"].as_u64()), (Some(28), Some(30)));
}

#[test]
fn an_unknown_data_set_is_refused_with_the_valid_names() {
    let err = error_of(&["data", "show", "coinbase-btcusd"]);
    assert!(err.contains("unknown data set 'coinbase-btcusd'"), "{err}");
    assert!(err.contains("bitfinex-btcusd-1h, bitfinex-daily, bitstamp-daily"), "{err}");
    let err = error_of(&["data", "quality", "nope"]);
    assert!(err.contains("'nope' is neither a bundled data set (bitfinex-btcusd-1h, bitfinex-daily"), "{err}");
}

#[test]
fn a_product_the_data_set_lacks_is_refused_with_its_products() {
    let err = error_of(&["data", "show", "bitfinex-daily", "--product", "LTC-USD"]);
    assert!(err.contains("data set 'bitfinex-daily' has no product LTC-USD: it has BTC-USD, ETH-USD"), "{err}");
    assert!(error_of(&["data", "show", "bitfinex-daily", "--product", "LTCUSD"]).contains("expected BASE-QUOTE"));
}

#[test]
fn a_multi_product_data_set_without_product_asks_for_one() {
    let err = error_of(&["data", "show", "bitstamp-daily"]);
    assert!(err.contains("choose one with --product (BTC-USD, ETH-USD, LTC-USD)"), "{err}");
}

#[test]
fn an_unparsable_time_is_refused_naming_the_accepted_formats() {
    let err = error_of(&["data", "show", "bitfinex-btcusd-1h", "--from", "last tuesday"]);
    assert!(err.contains("invalid time 'last tuesday'"), "{err}");
    assert!(err.contains("RFC 3339"), "{err}");
}

#[test]
fn a_from_after_to_is_refused() {
    let err = error_of(&["data", "show", "bitfinex-btcusd-1h", "--from", "2019-01-02", "--to", "2019-01-01"]);
    assert!(err.contains("--from 2019-01-02T00:00:00Z is after --to 2019-01-01T23:59:59.999Z"), "{err}");
}

#[test]
fn a_reader_closing_the_pipe_early_ends_the_command_quietly() {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin!("coinswarm"))
        .args(["data", "show", "bitfinex-btcusd-1h"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first_bytes = [0u8; 64];
    child.stdout.take().unwrap().read_exact(&mut first_bytes).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{:?}", output.status);
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
}
