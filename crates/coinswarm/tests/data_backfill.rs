//! `coinswarm data backfill` against the local mock Coinbase: two years of hourly candles
//! paged at the 350 limit, an outage part-way that the next run resumes from, the gaps
//! Coinbase has no candles for reported, and no duplicate or missing bar in the archive.

use coinswarm_coinbase::mock::{MockCoinbase, mock_candle};
use coinswarm_core::market::{Granularity, ProductId};
use coinswarm_server::adapters::archive::{load_series, open_archive};

const HOUR: i64 = 3600;
/// 2021-01-01T00:00:00Z.
const FROM: i64 = 1_609_459_200;
/// Two years of hourly bars: 730 days.
const BARS: i64 = 730 * 24;

fn backfill(dir: &std::path::Path, archive_url: &str, mock: &MockCoinbase) -> (bool, String, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_coinswarm"))
        .args([
            "data",
            "backfill",
            "--product",
            "BTC-USD",
            "--granularity",
            "ONE_HOUR",
            "--from",
            "2021-01-01",
            "--to",
            "2022-12-31",
            "--rate",
            "200",
            "--retries",
            "1",
            "--data-dir",
        ])
        .arg(dir)
        .args(["--archive-url", archive_url])
        .env("COINSWARM_COINBASE_REST_URL", mock.url())
        .output()
        .unwrap();
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    (output.status.success(), text(output.stdout), text(output.stderr))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_years_of_hourly_candles_page_at_350_resume_after_an_outage_and_report_gaps() {
    backfill_resumes_and_reports_gaps("folder", "").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_an_s3_bucket_two_years_of_hourly_candles_page_at_350_resume_after_an_outage_and_report_gaps() {
    let bucket = std::env::var("COINSWARM_TEST_S3_URL").expect(
        "COINSWARM_TEST_S3_URL is not set: run scripts/test, which starts an S3-compatible server and sets it with \
         AWS_ENDPOINT_URL and the AWS keys",
    );
    backfill_resumes_and_reports_gaps("s3", &format!("{bucket}/backfill-{}", std::process::id())).await;
}

/// The backfill's whole story, into the data directory's archive (`archive_url` empty) or
/// a bucket.
async fn backfill_resumes_and_reports_gaps(name: &str, archive_url: &str) {
    let dir = std::env::temp_dir().join(format!("coinswarm-backfill-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mock = MockCoinbase::start(None, None).await;
    // Coinbase has no candles for ten hours in March 2021; it goes down after 20 pages.
    let hole_start = FROM + 1500 * HOUR;
    mock.with(|s| {
        s.holes = (0..10).map(|i| hole_start + i * HOUR).collect();
        s.candle_requests_before_outage = Some(20);
    });
    let (ok, stdout, stderr) = {
        let (dir, mock, url) = (dir.clone(), mock.clone(), archive_url.to_string());
        tokio::task::spawn_blocking(move || backfill(&dir, &url, &mock)).await.unwrap()
    };
    assert!(!ok, "the outage stops the run: {stdout}");
    assert!(stderr.contains("run the same command again to resume"), "{stderr}");
    let store = open_archive(&dir, archive_url).unwrap();
    let store = store.as_ref();
    let btc = ProductId::parse("BTC-USD").unwrap();
    let partial = load_series(store, "coinbase", btc, Granularity::OneHour).unwrap();
    assert_eq!(partial.len(), 20 * 350 - 10, "twenty pages kept, less the hole");

    // Coinbase is back: the next run fetches only what is missing.
    let served_before = mock.with(|s| {
        s.candle_requests_before_outage = None;
        s.requests.len()
    });
    let (ok, stdout, stderr) = {
        let (dir, mock, url) = (dir.clone(), mock.clone(), archive_url.to_string());
        tokio::task::spawn_blocking(move || backfill(&dir, &url, &mock)).await.unwrap()
    };
    assert!(ok, "{stdout}{stderr}");
    let pages = (BARS as usize).div_ceil(350);
    assert_eq!(pages, 51);
    // The page with the hole is fetched again (it is not whole), the other 19 skipped.
    assert!(stdout.contains(&format!("{} pages fetched, 19 already archived", pages - 19)), "{stdout}");
    assert!(
        stdout.contains("1 gaps") && stdout.contains("gap 2021-03-04T12:00:00Z to 2021-03-04T21:00:00Z"),
        "{stdout}"
    );
    mock.with(|s| {
        let fetched: Vec<&(String, String, String)> = s.requests[served_before..].iter().collect();
        assert_eq!(fetched.len(), pages - 19);
        for (_, path, _) in &fetched {
            assert!(path.ends_with("/market/products/BTC-USD/candles"), "no key: the public endpoint ({path})");
        }
    });

    // Every bar exactly once, as Coinbase sent it, oldest first.
    let series = load_series(store, "coinbase", btc, Granularity::OneHour).unwrap();
    assert_eq!(series.len() as i64, BARS - 10);
    let starts: Vec<i64> = series.candles().iter().map(|c| c.start.millis() / 1000).collect();
    let expected: Vec<i64> =
        (0..BARS).map(|i| FROM + i * HOUR).filter(|s| !(hole_start..hole_start + 10 * HOUR).contains(s)).collect();
    assert_eq!(starts, expected);
    for candle in series.candles().iter().step_by(997) {
        let wire = mock_candle(candle.start.millis() / 1000);
        assert_eq!(candle.close.to_string(), wire["close"].as_str().unwrap());
        assert_eq!(candle.volume.to_string(), wire["volume"].as_str().unwrap());
    }

    // A third run has nothing to fetch but the hole's page.
    let (ok, stdout, _) = {
        let (dir, mock, url) = (dir.clone(), mock.clone(), archive_url.to_string());
        tokio::task::spawn_blocking(move || backfill(&dir, &url, &mock)).await.unwrap()
    };
    assert!(ok && stdout.contains("1 pages fetched, 50 already archived"), "{stdout}");

    // A damaged month file stops the run before anything is rewritten from a partial view.
    let month = "candles/venue=coinbase/product=BTC-USD/granularity=ONE_HOUR/date=2021-03.parquet";
    let good = store.get(month).unwrap().expect("March 2021 is archived");
    store.put(month, b"not parquet").unwrap();
    let (ok, _, stderr) = {
        let (dir, mock, url) = (dir.clone(), mock.clone(), archive_url.to_string());
        tokio::task::spawn_blocking(move || backfill(&dir, &url, &mock)).await.unwrap()
    };
    assert!(!ok && stderr.contains("2021-03"), "{stderr}");
    store.put(month, &good).unwrap();
    assert_eq!(
        load_series(store, "coinbase", btc, Granularity::OneHour).unwrap().len() as i64,
        BARS - 10,
        "nothing lost"
    );
    let _ = std::fs::remove_dir_all(dir);
}
