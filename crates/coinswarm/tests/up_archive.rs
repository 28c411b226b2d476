//! `coinswarm up` replaying the candle archive that `coinswarm data archive` wrote: in the
//! data directory's folder, and in an S3-compatible bucket (`--archive-url`).

mod support;

use serde_json::Value;
use support::server::{Server, scratch_dir};

fn json_of(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

#[test]
fn the_feed_replays_from_the_parquet_archive_that_data_archive_wrote() {
    let dir = scratch_dir("archive");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_coinswarm"))
        .args(["data", "archive", "bitfinex-daily", "--data-dir"])
        .arg(&dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(text.contains("archive:bitfinex/ETH-USD/ONE_DAY"), "{text}");
    let files = std::fs::read_dir(dir.join("archive/candles/venue=bitfinex/product=ETH-USD/granularity=ONE_DAY"))
        .unwrap()
        .count();
    assert!(files > 40, "one Parquet file per month: {files}");

    let server = Server::start(&dir, &[("COINSWARM_FEED_DATA", "archive:bitfinex/ETH-USD/ONE_DAY")]);
    let (status, body) = server.get("/api/products", None);
    assert_eq!(status, 200);
    assert_eq!(json_of(&body)["products"][0]["product_id"], "ETH-USD");
    let (status, body) = server.get("/api/market-data?product_id=ETH-USD", None);
    assert_eq!(status, 200, "{body}");
    let (status, body) = server.get("/api/candles?product_id=ETH-USD&granularity=ONE_DAY", None);
    assert_eq!(status, 200, "{body}");
    drop(server);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_feed_replays_from_an_s3_bucket_that_data_archive_wrote() {
    let bucket = std::env::var("COINSWARM_TEST_S3_URL").expect(
        "COINSWARM_TEST_S3_URL is not set: run scripts/test, which starts an S3-compatible server and sets it with \
         AWS_ENDPOINT_URL and the AWS keys",
    );
    let archive_url = format!("{bucket}/replay-{}", std::process::id());
    let dir = scratch_dir("archive-s3");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_coinswarm"))
        .args(["data", "archive", "bitfinex-daily", "--archive-url", &archive_url, "--data-dir"])
        .arg(&dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(text.contains("archive:bitfinex/ETH-USD/ONE_DAY") && text.contains(&archive_url), "{text}");
    assert!(!dir.join("archive").exists(), "nothing archived in the data directory");

    let server = Server::start_with_args(
        &dir,
        &[("COINSWARM_FEED_DATA", "archive:bitfinex/ETH-USD/ONE_DAY")],
        40,
        &["--archive-url", &archive_url],
    );
    let (status, body) = server.get("/api/products", None);
    assert_eq!(status, 200);
    assert_eq!(json_of(&body)["products"][0]["product_id"], "ETH-USD");
    let (status, body) = server.get("/api/candles?product_id=ETH-USD&granularity=ONE_DAY", None);
    assert_eq!(status, 200, "{body}");
    drop(server);

    // A bucket with nothing archived is a clear refusal to start, naming the bucket.
    let empty = format!("{bucket}/nothing-here-{}", std::process::id());
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_coinswarm"))
        .args(["up", "--listen", "127.0.0.1:0", "--archive-url", &empty, "--data-dir"])
        .arg(&dir)
        .env("COINSWARM_FEED_DATA", "archive:bitfinex/ETH-USD/ONE_DAY")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("ETH-USD"), "{stderr}");
    std::fs::remove_dir_all(dir).unwrap();
}
