//! The candle archive: Parquet files in the object store, partitioned
//! `candles/venue=V/product=P/granularity=G/date=YYYY-MM.parquet` (one file per month).

use crate::adapters::store::ObjectStore;
use anyhow::{Context, bail};
use coinswarm_core::data::{CandleSeries, fold_rows};
use coinswarm_core::market::{Candle, Granularity, ProductId};
use coinswarm_data::columnar::{candles_to_parquet, read_bar_rows_from};
use std::collections::BTreeMap;
use std::path::Path;

/// The folder under the data directory that holds the archive.
pub const ARCHIVE_DIR: &str = "archive";

/// The candle archive: the folder `data_dir/archive` when `archive_url` is empty, else the
/// S3-compatible bucket it names (`s3://bucket/prefix`).
pub fn open_archive(data_dir: &std::path::Path, archive_url: &str) -> anyhow::Result<Box<dyn ObjectStore>> {
    let url = archive_url.trim();
    if url.is_empty() {
        return Ok(Box::new(crate::adapters::store::LocalObjectStore::new(data_dir.join(ARCHIVE_DIR))));
    }
    anyhow::ensure!(
        url.starts_with("s3://"),
        "archive URL '{url}': only s3://bucket/prefix is supported (S3, R2 or another S3-compatible server, with \
         AWS_ENDPOINT_URL); leave it empty for the data directory's archive folder"
    );
    Ok(Box::new(crate::adapters::store::BucketObjectStore::open(url)?))
}

use coinswarm_data::columnar::{archive_key, archive_month as month_of, archive_prefix as prefix};

/// Writes `series` into the archive, one file per month (replacing those months); returns
/// (files, rows) written.
pub fn archive_series(store: &dyn ObjectStore, venue: &str, series: &CandleSeries) -> anyhow::Result<(usize, usize)> {
    let mut months: BTreeMap<String, Vec<Candle>> = BTreeMap::new();
    for candle in series.candles() {
        months.entry(month_of(candle)).or_default().push(*candle);
    }
    let prefix = prefix(venue, series.product_id(), series.granularity());
    for (month, candles) in &months {
        let bytes = candles_to_parquet(series.product_id(), candles)?;
        store.put(&archive_key(&prefix, month), &bytes)?;
    }
    Ok((months.len(), series.len()))
}

/// Whether the archive holds any file of the product's candles.
pub fn has_series(
    store: &dyn ObjectStore,
    venue: &str,
    product_id: ProductId,
    granularity: Granularity,
) -> anyhow::Result<bool> {
    Ok(!store.list(&prefix(venue, product_id, granularity))?.is_empty())
}

/// Reads a product's archived candles back, oldest first.
pub fn load_series(
    store: &dyn ObjectStore,
    venue: &str,
    product_id: ProductId,
    granularity: Granularity,
) -> anyhow::Result<CandleSeries> {
    let prefix = prefix(venue, product_id, granularity);
    let keys = store.list(&prefix)?;
    if keys.is_empty() {
        bail!("the archive holds no {granularity} {product_id} candles of {venue} (run `coinswarm data archive`)");
    }
    let mut rows = Vec::new();
    for key in keys {
        let bytes = store.get(&key)?.with_context(|| format!("{key} vanished while reading"))?;
        rows.extend(read_bar_rows_from(bytes, Path::new(&key), product_id.quote)?);
    }
    let parsed = fold_rows(rows, granularity);
    let entry =
        parsed.entries.into_iter().find(|e| e.series.product_id() == product_id).context("no rows of the product")?;
    Ok(entry.series)
}

/// Parses `archive:VENUE/PRODUCT/GRANULARITY` (the feed's way to name archived data).
pub fn parse_source(text: &str) -> Option<anyhow::Result<(String, ProductId, Granularity)>> {
    let spec = text.strip_prefix("archive:")?;
    Some((|| {
        let parts: Vec<&str> = spec.split('/').collect();
        let [venue, product, granularity] = parts[..] else {
            bail!("'{text}': expected archive:VENUE/PRODUCT/GRANULARITY, e.g. archive:bitfinex/BTC-USD/ONE_HOUR");
        };
        let product: ProductId = product.parse().map_err(|e| anyhow::anyhow!("'{product}': {e}"))?;
        let granularity: Granularity = granularity.parse().map_err(|e| anyhow::anyhow!("'{granularity}': {e}"))?;
        Ok((venue.to_string(), product, granularity))
    })())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::store::testing::each_object_store;

    #[test]
    fn the_bundled_hourly_file_survives_the_archive_round_trip_exactly() {
        let dataset = coinswarm_data::load("bitfinex-btcusd-1h").unwrap();
        let series = &dataset.entries[0].series;
        for scratch in each_object_store("archive") {
            let (store, kind) = (scratch.store.as_ref(), scratch.kind);
            let (files, rows) = archive_series(store, &dataset.venue, series).unwrap();
            assert_eq!((files, rows), (25, 17_583), "{kind}: July 2017 to July 2019, one file per month");
            let february = "candles/venue=bitfinex/product=BTC-USD/granularity=ONE_HOUR/date=2018-02.parquet";
            assert_eq!(store.list(february).unwrap().len(), 1, "{kind}");
            let back = load_series(store, "Bitfinex", series.product_id(), series.granularity()).unwrap();
            assert_eq!(back.candles(), series.candles(), "{kind}");
            assert!(load_series(store, "Bitfinex", series.product_id(), Granularity::OneDay).is_err(), "{kind}");
            scratch.remove();
        }
    }

    #[test]
    fn an_archive_url_names_a_bucket_or_nothing_else() {
        let dir = std::path::Path::new("/nonexistent");
        assert!(open_archive(dir, "").is_ok(), "empty: the data directory's folder");
        let refused = open_archive(dir, "gs://bucket/x").err().unwrap().to_string();
        assert!(refused.contains("only s3://"), "{refused}");
        assert!(open_archive(dir, "s3://").is_err(), "no bucket");
    }

    #[test]
    fn archive_sources_are_named_venue_product_granularity() {
        let (venue, product, granularity) = parse_source("archive:bitfinex/BTC-USD/ONE_HOUR").unwrap().unwrap();
        assert_eq!(
            (venue.as_str(), product.to_string(), granularity),
            ("bitfinex", "BTC-USD".into(), Granularity::OneHour)
        );
        assert!(parse_source("bitfinex-btcusd-1h").is_none());
        assert!(parse_source("archive:bitfinex/BTC-USD").unwrap().is_err());
    }
}
