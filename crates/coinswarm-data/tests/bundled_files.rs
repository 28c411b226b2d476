//! Pins what the bundled files hold, so a changed file or a changed loader is noticed.
//! Counts were measured on the files as shipped (see `data/market/README.md`).

use coinswarm_core::data::{DataQualityReport, Dataset};
use coinswarm_core::market::{Granularity, ProductId};
use coinswarm_core::time::Timestamp;
use coinswarm_data::{CATALOG, LoadError, load};

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

fn quality<'a>(dataset: &'a Dataset, product: &str) -> &'a DataQualityReport {
    &dataset.entry(ProductId::parse(product).unwrap()).unwrap().quality
}

/// (candles, gap runs, missing bars, zero-volume, flat, leading empty rows, listed at)
type Expected = (usize, usize, usize, usize, usize, usize, Option<&'static str>);

fn assert_quality(report: &DataQualityReport, expected: Expected) {
    let (candles, gap_runs, missing, zero_volume, flat, leading, listed) = expected;
    assert_eq!(
        (report.candles, report.gap_runs, report.missing_bars, report.zero_volume_bars, report.flat_bars),
        (candles, gap_runs, missing, zero_volume, flat),
        "{}",
        report.product_id
    );
    assert_eq!(report.leading_empty_rows, leading, "{}", report.product_id);
    assert_eq!(report.listed_at, listed.map(at), "{}", report.product_id);
    assert_eq!(
        (report.inconsistent_bars, report.duplicate_timestamps, report.skipped_rows, report.off_grid_bars),
        (0, 0, 0, 0),
        "{}",
        report.product_id
    );
}

#[test]
fn every_catalog_entry_loads_under_its_own_name() {
    for bundled in &CATALOG {
        let dataset = load(bundled.name).unwrap();
        assert_eq!(dataset.name, bundled.name);
        assert_eq!(dataset.venue, bundled.venue);
        assert_eq!(dataset.granularity, bundled.granularity);
    }
}

#[test]
fn hourly_bitfinex_file_has_17583_gapless_bars_from_july_2017_to_july_2019() {
    let dataset = load("bitfinex-btcusd-1h").unwrap();
    assert_eq!(dataset.granularity, Granularity::OneHour);
    assert_eq!(dataset.source_rows, 17_583);
    assert_eq!(dataset.products(), [ProductId::parse("BTC-USD").unwrap()]);
    let span = dataset.span().unwrap();
    assert_eq!((span.first, span.last), (at("2017-07-01 11:00"), at("2019-07-04 01:00")));
    assert_quality(quality(&dataset, "BTC-USD"), (17_583, 0, 0, 28, 30, 0, None));
    let series = &dataset.entries[0].series;
    assert_eq!(series.candles()[0].open.to_string(), "2505.56");
    assert_eq!(series.candles()[17_582].close.to_string(), "11849.69");
}

#[test]
fn bitfinex_daily_file_lists_eth_in_may_2016_and_misses_twelve_days_in_march_2019() {
    let dataset = load("bitfinex-daily").unwrap();
    assert_eq!(dataset.source_rows, 1_862);
    assert_eq!(dataset.candle_count(), 1_862 + 1_319);
    let span = dataset.span().unwrap();
    assert_eq!((span.first, span.last), (at("2014-12-01"), at("2020-01-17")));
    assert_quality(quality(&dataset, "BTC-USD"), (1_862, 1, 12, 38, 37, 0, None));
    assert_quality(quality(&dataset, "ETH-USD"), (1_319, 1, 12, 2, 1, 543, Some("2016-05-27")));
}

#[test]
fn bitstamp_daily_file_holds_three_products_with_the_same_march_2019_hole() {
    let dataset = load("bitstamp-daily").unwrap();
    assert_eq!(dataset.source_rows, 1_865);
    let names: Vec<String> = dataset.products().iter().map(ProductId::to_string).collect();
    assert_eq!(names, ["BTC-USD", "ETH-USD", "LTC-USD"]);
    let span = dataset.span().unwrap();
    assert_eq!((span.first, span.last), (at("2014-11-28"), at("2020-01-17")));
    assert_quality(quality(&dataset, "BTC-USD"), (1_865, 1, 12, 9, 9, 0, None));
    assert_quality(quality(&dataset, "ETH-USD"), (788, 1, 12, 1, 1, 1_077, Some("2017-11-09")));
    assert_quality(quality(&dataset, "LTC-USD"), (925, 1, 12, 1, 1, 940, Some("2017-06-25")));
    let btc = &dataset.entries[0].series;
    let hole = btc.between(Some(at("2019-03-19")), Some(at("2019-04-01")));
    assert_eq!(hole.len(), 2, "only the days either side of the hole exist");
}

#[test]
fn every_daily_row_is_a_candle_or_a_not_yet_listed_row_of_each_product() {
    for name in ["bitfinex-daily", "bitstamp-daily"] {
        let dataset = load(name).unwrap();
        for q in dataset.entries.iter().map(|e| &e.quality) {
            assert_eq!(q.candles + q.leading_empty_rows, dataset.source_rows, "{name} {}", q.product_id);
        }
    }
}

#[test]
fn counted_once_per_data_set_the_daily_hole_is_one_run_of_twelve_days_and_no_row_is_lost() {
    for (name, gaps) in [("bitfinex-btcusd-1h", (0, 0)), ("bitfinex-daily", (1, 12)), ("bitstamp-daily", (1, 12))] {
        let q = load(name).unwrap().quality;
        assert_eq!((q.gap_runs, q.missing_bars), gaps, "{name}");
        assert_eq!((q.skipped_rows, q.duplicate_rows, q.unattributed_rows), (0, 0, 0), "{name}");
    }
}

#[test]
fn an_unknown_name_lists_the_bundled_names() {
    let err = load("coinbase-btcusd-1m").unwrap_err();
    assert!(matches!(err, LoadError::UnknownDataset(_)));
    assert_eq!(
        err.to_string(),
        "unknown data set 'coinbase-btcusd-1m': the bundled data sets are bitfinex-btcusd-1h, bitfinex-daily, bitstamp-daily"
    );
}
