//! `coinswarm data show`: one product's candles as CSV or JSON. Both bounds of the range are
//! inclusive; a date-only `--to` covers its whole day.

use super::{short_span, write_json};
use crate::cli::replay_source::select;
use anyhow::bail;
use clap::{Args, ValueEnum};
use coinswarm_core::market::{Candle, Granularity, ProductId};
use coinswarm_core::time::Timestamp;
use serde::Serialize;
use std::io::Write;

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Data set name, as printed by `coinswarm data list`.
    name: String,
    /// Product, e.g. BTC-USD. Required when the data set holds several products.
    #[arg(long)]
    product: Option<ProductId>,
    /// First bar start to print, inclusive: RFC 3339 or a plain date (midnight UTC).
    #[arg(long)]
    from: Option<Timestamp>,
    /// Last bar start to print, inclusive: an RFC 3339 instant, or a plain date meaning
    /// through the end of that day (UTC).
    #[arg(long, value_parser = Timestamp::parse_inclusive_end)]
    to: Option<Timestamp>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Header `time,open,high,low,close,volume`, time in RFC 3339 (UTC), oldest first.
    Csv,
    /// An object with dataset, venue, product, granularity and candles; decimals as strings.
    Json,
}

pub fn run(args: &ShowArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    if let (Some(from), Some(to)) = (args.from, args.to)
        && from > to
    {
        bail!("--from {from} is after --to {to}: the range would be empty");
    }
    let dataset = coinswarm_data::load(&args.name)?;
    let entry = select(&dataset, args.product)?;
    let candles = entry.series.between(args.from, args.to);
    if candles.is_empty() && (args.from.is_some() || args.to.is_some()) {
        // A note, not an error: the header alone is still the right answer on stdout.
        let span = short_span(entry.series.span(), entry.series.granularity());
        eprintln!("note: the range holds no bars; {} in {} spans {span}", entry.series.product_id(), dataset.name);
    }
    match args.format {
        Format::Csv => write_csv(out, candles),
        Format::Json => write_json(
            out,
            &SeriesJson {
                dataset: &dataset.name,
                venue: &dataset.venue,
                product: entry.series.product_id(),
                granularity: entry.series.granularity(),
                candles: candles.iter().map(CandleJson::of).collect(),
            },
        ),
    }
}

fn write_csv(out: &mut dyn Write, candles: &[Candle]) -> anyhow::Result<()> {
    writeln!(out, "time,open,high,low,close,volume")?;
    for c in candles {
        writeln!(out, "{},{},{},{},{},{}", c.start, c.open, c.high, c.low, c.close, c.volume)?;
    }
    Ok(())
}

#[derive(Debug, Serialize)]
struct SeriesJson<'a> {
    dataset: &'a str,
    venue: &'a str,
    product: ProductId,
    granularity: Granularity,
    candles: Vec<CandleJson>,
}

/// A candle for JSON output: time in RFC 3339, decimals as strings (exact, as in the file).
#[derive(Debug, Serialize)]
struct CandleJson {
    time: String,
    open: String,
    high: String,
    low: String,
    close: String,
    volume: String,
}

impl CandleJson {
    fn of(c: &Candle) -> Self {
        Self {
            time: c.start.to_rfc3339(),
            open: c.open.to_string(),
            high: c.high.to_string(),
            low: c.low.to_string(),
            close: c.close.to_string(),
            volume: c.volume.to_string(),
        }
    }
}
