//! Backfill: Coinbase candles into the candle archive, a page of at most 350 bars at a
//! time, each page's months written as soon as it arrives. It is resumable: a page whose
//! bars are all in the archive already is skipped, so a run that stopped part-way (an
//! outage, Ctrl-C) picks up where it was. Bars Coinbase has none of are reported as gaps.

use crate::adapters::archive::{archive_series, has_series, load_series};
use crate::adapters::store::ObjectStore;
use crate::progress::Progress;
use anyhow::{Context, bail};
use coinswarm_coinbase::{CoinbaseRest, MAX_CANDLES_PER_REQUEST};
use coinswarm_core::data::CandleSeries;
use coinswarm_core::market::{Candle, Granularity, ProductId};
use coinswarm_core::time::Timestamp;
use std::collections::BTreeMap;
use std::ops::RangeInclusive;

/// The venue name the archive files Coinbase candles under.
pub const VENUE: &str = "coinbase";

/// What a backfill did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BackfillReport {
    /// Pages asked of Coinbase.
    pub pages_fetched: usize,
    /// Pages already whole in the archive.
    pub pages_skipped: usize,
    /// Candles received.
    pub candles_fetched: usize,
    /// Candles of the range in the archive now.
    pub candles_in_range: usize,
    /// Bar times in the range with no candle, as [first, last] runs.
    pub gaps: Vec<(Timestamp, Timestamp)>,
}

/// Pages `product`'s `granularity` candles from `from` to `to` (both inclusive: `bars`)
/// into the archive in `store`, up to the last bar ended by `now`. `progress` counts bar
/// times: each page's as it is archived or found whole already, and a line for each page
/// fetched.
pub async fn backfill(
    client: &CoinbaseRest,
    store: &dyn ObjectStore,
    product: ProductId,
    granularity: Granularity,
    bars: RangeInclusive<Timestamp>,
    now: Timestamp,
    progress: &dyn Progress,
) -> anyhow::Result<BackfillReport> {
    let (from, to) = bars.into_inner();
    let step = granularity.millis();
    let first = (from.millis() + step - 1).div_euclid(step) * step;
    // Only bars that have ended: the one in progress would be archived unfinished.
    let end = (to.millis().div_euclid(step) * step + step).min(now.millis().div_euclid(step) * step); // exclusive
    if first >= end {
        bail!("no completed {granularity} bar starts between {from} and {to}");
    }
    // What is archived already; a damaged archive is an error, never an empty start (the
    // months rewritten below would lose what they held).
    let mut held: BTreeMap<i64, Candle> = if has_series(store, VENUE, product, granularity)? {
        load_series(store, VENUE, product, granularity)?.candles().iter().map(|c| (c.start.millis(), *c)).collect()
    } else {
        BTreeMap::new()
    };
    let page = step * MAX_CANDLES_PER_REQUEST as i64;
    progress.start(((end - first) / step) as u64);
    let mut report = BackfillReport::default();
    let mut start = first;
    while start < end {
        let stop = (start + page).min(end);
        let expected = ((stop - start) / step) as usize;
        if held.range(start..stop).count() == expected {
            report.pages_skipped += 1;
            progress.advance(expected as u64);
            start = stop;
            continue;
        }
        let candles = client
            .candles(product, granularity, Timestamp::from_millis(start), Timestamp::from_millis(stop))
            .await
            .with_context(|| {
                format!(
                    "page {} to {} (what came before is in the archive: run the same command again to resume)",
                    Timestamp::from_millis(start),
                    Timestamp::from_millis(stop)
                )
            })?;
        report.pages_fetched += 1;
        report.candles_fetched += candles.len();
        let mut months: Vec<(i64, i64)> = Vec::new();
        for candle in candles {
            let month = month_range(candle.start)?;
            if !months.contains(&month) {
                months.push(month);
            }
            held.insert(candle.start.millis(), candle);
        }
        for (month_start, month_end) in months {
            let in_month: Vec<Candle> = held.range(month_start..month_end).map(|(_, c)| *c).collect();
            let series = CandleSeries::new(product, granularity, in_month).map_err(|e| anyhow::anyhow!("{e}"))?;
            archive_series(store, VENUE, &series)?;
        }
        progress.note(&format!(
            "{} to {}: {} candles",
            Timestamp::from_millis(start),
            Timestamp::from_millis(stop),
            held.range(start..stop).count()
        ));
        progress.advance(expected as u64);
        start = stop;
    }
    report.candles_in_range = held.range(first..end).count();
    let mut gap: Option<(i64, i64)> = None;
    let mut at = first;
    while at < end {
        if held.contains_key(&at) {
            if let Some((a, b)) = gap.take() {
                report.gaps.push((Timestamp::from_millis(a), Timestamp::from_millis(b)));
            }
        } else {
            gap = Some((gap.map_or(at, |(a, _)| a), at));
        }
        at += step;
    }
    if let Some((a, b)) = gap {
        report.gaps.push((Timestamp::from_millis(a), Timestamp::from_millis(b)));
    }
    Ok(report)
}

/// The UTC calendar month holding `time`, as [start, end) in ms (the archive's file unit).
fn month_range(time: Timestamp) -> anyhow::Result<(i64, i64)> {
    let text = time.to_rfc3339();
    let (year, month): (i32, u32) = (text[0..4].parse()?, text[5..7].parse()?);
    let (next_year, next_month) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
    let start = Timestamp::parse(&format!("{year:04}-{month:02}-01"))?;
    let end = Timestamp::parse(&format!("{next_year:04}-{next_month:02}-01"))?;
    Ok((start.millis(), end.millis()))
}
