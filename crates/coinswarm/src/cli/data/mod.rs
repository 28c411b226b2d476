//! `coinswarm data …`: the bundled real market data.

mod archive;
mod backfill;
mod list;
mod quality;
mod show;

use clap::Subcommand;
use coinswarm_core::data::Span;
use coinswarm_core::market::Granularity;
use coinswarm_core::time::Timestamp;
use serde::Serialize;
use std::io::Write;

#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// List the bundled data sets: venue, products, granularity, span, rows, defects.
    ///
    /// DEFECTS counts each missing bar time and each bad source row once, however many
    /// products share it; zero-volume, flat, inconsistent and off-grid count candles over
    /// all products. `coinswarm data quality NAME` gives each product's own counts.
    List(list::ListArgs),
    /// Print one product's candles as CSV or JSON.
    Show(show::ShowArgs),
    /// Print the data-quality report of each product of a data set.
    Quality(quality::QualityArgs),
    /// Write bundled data sets into the data directory's Parquet candle archive.
    Archive(archive::ArchiveArgs),
    /// Page Coinbase candles into the archive (at most 350 a request; resumable; reports
    /// gaps). Public market endpoints unless a CDP key is given.
    Backfill(backfill::BackfillArgs),
}

pub fn run(command: DataCommand, out: &mut dyn Write) -> anyhow::Result<()> {
    match command {
        DataCommand::List(args) => list::run(&args, out),
        DataCommand::Show(args) => show::run(&args, out),
        DataCommand::Quality(args) => quality::run(&args, out),
        DataCommand::Archive(args) => archive::run(&args, out),
        DataCommand::Backfill(args) => backfill::run(&args, out),
    }
}

/// A bar start for people: the date for daily bars, date and minute otherwise (UTC).
fn short_time(time: Timestamp, granularity: Granularity) -> String {
    let format = if granularity == Granularity::OneDay { "%Y-%m-%d" } else { "%Y-%m-%d %H:%M" };
    time.to_datetime().map_or_else(|| time.to_string(), |dt| dt.format(format).to_string())
}

/// `first → last` in [`short_time`] form, or `empty`.
fn short_span(span: Option<Span>, granularity: Granularity) -> String {
    span.map_or_else(
        || "empty".to_string(),
        |s| format!("{} → {}", short_time(s.first, granularity), short_time(s.last, granularity)),
    )
}

/// A span for JSON output: first and last bar starts (inclusive) in RFC 3339.
#[derive(Debug, Serialize)]
struct SpanJson {
    first: String,
    last: String,
}

impl SpanJson {
    fn of(span: Option<Span>) -> Option<Self> {
        span.map(|s| Self { first: s.first.to_rfc3339(), last: s.last.to_rfc3339() })
    }
}

/// Pretty JSON and a final newline. Serialised in memory first so that a closed pipe
/// surfaces as a plain I/O error.
fn write_json(out: &mut dyn Write, value: &impl Serialize) -> anyhow::Result<()> {
    let mut bytes = serde_json::to_vec_pretty(value)?;
    bytes.push(b'\n');
    out.write_all(&bytes)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daily_spans_show_dates_and_hourly_spans_show_minutes() {
        let span = Span {
            first: Timestamp::parse("2017-07-01 11:00").unwrap(),
            last: Timestamp::parse("2019-07-04").unwrap(),
        };
        assert_eq!(short_span(Some(span), Granularity::OneHour), "2017-07-01 11:00 → 2019-07-04 00:00");
        assert_eq!(short_span(Some(span), Granularity::OneDay), "2017-07-01 → 2019-07-04");
        assert_eq!(short_span(None, Granularity::OneDay), "empty");
    }
}
