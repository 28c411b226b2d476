//! The candle archive in R2 (`ARCHIVE`): the same layout and Parquet files as the native
//! archive (`coinswarm_data::columnar`: `candles/venue=…/product=…/granularity=…/
//! date=YYYY-MM.parquet`). The hub writes a month's file once the month has closed (its bars
//! then leave the hub's SQLite, all but the last two days) and `GET /api/candles` reads the
//! months older than the bars the hub holds.

use super::http::unavailable;
use super::meter::Meter;
use crate::billable::Billable;
use coinswarm_api::{Failure, RetryAfter};
use coinswarm_core::data::fold_rows;
use coinswarm_core::market::{Candle, Granularity, ProductId};
use coinswarm_core::time::Timestamp;
use coinswarm_data::columnar::{archive_key, archive_prefix, candles_to_parquet, read_bar_rows_from};
use std::path::Path;
use worker::Env;

/// A product's archive.
pub struct Shelf<'a> {
    pub venue: &'a str,
    pub product_id: ProductId,
    pub granularity: Granularity,
}

impl Shelf<'_> {
    fn prefix(&self) -> String {
        archive_prefix(self.venue, self.product_id, self.granularity)
    }

    /// Writes a closed month's bars (oldest first) as its file.
    pub async fn write_month(&self, env: &Env, meter: &Meter, month: &str, candles: &[Candle]) -> Result<(), Failure> {
        let bytes = candles_to_parquet(self.product_id, candles)
            .map_err(|e| Failure::unavailable(format!("{e:#}"), RetryAfter::FAULT))?;
        let bucket = env.bucket("ARCHIVE").map_err(unavailable)?;
        meter.add(Billable { r2_class_a: 1, ..Billable::default() });
        bucket.put(archive_key(&self.prefix(), month), bytes).execute().await.map_err(unavailable)?;
        Ok(())
    }

    /// The archived bars starting in `[start, end]`, oldest first, at most `limit`.
    pub async fn read(
        &self,
        env: &Env,
        meter: &Meter,
        start: i64,
        end: i64,
        limit: usize,
    ) -> Result<Vec<Candle>, Failure> {
        let bucket = env.bucket("ARCHIVE").map_err(unavailable)?;
        let prefix = self.prefix();
        let mut keys = Vec::new();
        let mut cursor = None;
        loop {
            let mut list = bucket.list().prefix(prefix.clone());
            if let Some(cursor) = cursor.take() {
                list = list.cursor(cursor);
            }
            meter.add(Billable { r2_class_a: 1, ..Billable::default() });
            let objects = list.execute().await.map_err(unavailable)?;
            keys.extend(objects.objects().iter().map(|o| o.key()));
            match objects.cursor() {
                Some(next) if objects.truncated() => cursor = Some(next),
                _ => break,
            }
        }
        keys.sort();
        let mut candles = Vec::new();
        for key in keys {
            if candles.len() >= limit {
                break;
            }
            let Some((first, last)) = month_span(&key) else { continue };
            if last < start || first > end {
                continue;
            }
            meter.add(Billable { r2_class_b: 1, ..Billable::default() });
            let Some(object) = bucket.get(key.clone()).execute().await.map_err(unavailable)? else { continue };
            let Some(body) = object.body() else { continue };
            let bytes = body.bytes().await.map_err(unavailable)?;
            let rows = read_bar_rows_from(bytes, Path::new(&key), self.product_id.quote).map_err(|e| {
                Failure::unavailable(format!("the archive's {key} does not read: {e:#}"), RetryAfter::FAULT)
            })?;
            let parsed = fold_rows(rows, self.granularity);
            for entry in parsed.entries.into_iter().filter(|e| e.series.product_id() == self.product_id) {
                let wanted = entry.series.candles().iter().filter(|c| (start..=end).contains(&c.start.millis()));
                candles.extend(wanted.copied());
            }
        }
        candles.sort_by_key(|c| c.start);
        candles.truncate(limit);
        Ok(candles)
    }
}

/// The first and last ms of the month a key names (`…date=YYYY-MM.parquet`).
fn month_span(key: &str) -> Option<(i64, i64)> {
    let month = key.rsplit("date=").next()?.strip_suffix(".parquet")?;
    let (year, month) = month.split_once('-')?;
    let (year, month): (i32, u32) = (year.parse().ok()?, month.parse().ok()?);
    let (next_year, next_month) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
    let first = Timestamp::parse(&format!("{year:04}-{month:02}-01")).ok()?;
    let next = Timestamp::parse(&format!("{next_year:04}-{next_month:02}-01")).ok()?;
    Some((first.millis(), next.millis() - 1))
}
