//! `coinswarm data quality`: each product's defect counts, with examples of skipped rows.

use super::{SpanJson, short_span, short_time, write_json};
use clap::Args;
use coinswarm_core::data::{DataQualityReport, DatasetEntry, DatasetQualityReport, SkippedRow};
use coinswarm_core::market::{Currency, Granularity, ProductId};
use serde::Serialize;
use std::io::Write;

#[derive(Debug, Args)]
pub struct QualityArgs {
    /// Data set name, as printed by `coinswarm data list`, or a CSV or Parquet file.
    name: String,
    /// The currency a file's prices are in (bundled data sets know their own).
    #[arg(long, default_value = "USD")]
    quote: Currency,
    /// Only this product (default: every product of the data set).
    #[arg(long)]
    product: Option<ProductId>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(args: &QualityArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let dataset = crate::cli::replay_source::load_dataset(&args.name, args.quote)?;
    let entries: Vec<&DatasetEntry> = match args.product {
        Some(product) => vec![dataset.entry(product)?],
        None => dataset.entries.iter().collect(),
    };
    if args.json {
        let report = QualityJson {
            dataset: &dataset.name,
            venue: &dataset.venue,
            granularity: dataset.granularity,
            rows: dataset.source_rows,
            dataset_defects: &dataset.quality,
            products: entries.iter().map(|e| ProductQualityJson::of(e)).collect(),
        };
        return write_json(out, &report);
    }
    writeln!(out, "{} ({}, {}, {} rows)", dataset.name, dataset.venue, dataset.granularity, dataset.source_rows)?;
    write_dataset_report(out, &dataset.quality)?;
    for entry in entries {
        write_report(out, entry)?;
    }
    Ok(())
}

/// The data set's own counts: a hole or row shared by several products appears once.
fn write_dataset_report(out: &mut dyn Write, q: &DatasetQualityReport) -> anyhow::Result<()> {
    writeln!(out, "\nall products, each bar time or row once:")?;
    let lines = [
        ("gap runs", format!("{} ({} missing bars)", q.gap_runs, q.missing_bars)),
        ("skipped rows", format!("{} ({} of no product)", q.skipped_rows, q.unattributed_rows)),
        ("duplicate rows", q.duplicate_rows.to_string()),
    ];
    for (label, value) in lines {
        writeln!(out, "  {label:<22}{value}")?;
    }
    for row in &q.unattributed_examples {
        writeln!(out, "    line {}: {}", row.line, row.reason)?;
    }
    Ok(())
}

fn write_report(out: &mut dyn Write, entry: &DatasetEntry) -> anyhow::Result<()> {
    let q = &entry.quality;
    let span = short_span(entry.series.span(), q.granularity);
    writeln!(out, "\n{}: {} candles, {span}", q.product_id, q.candles)?;
    let lines = [
        ("gap runs", format!("{} ({} missing bars)", q.gap_runs, q.missing_bars)),
        ("off-grid bars", q.off_grid_bars.to_string()),
        ("zero-volume bars", q.zero_volume_bars.to_string()),
        ("flat bars (O=H=L=C)", q.flat_bars.to_string()),
        ("inconsistent OHLC", format!("{} (kept)", q.inconsistent_bars)),
        ("duplicate timestamps", format!("{} (first row kept)", q.duplicate_timestamps)),
        ("skipped rows", q.skipped_rows.to_string()),
        ("listed", listed(q)),
    ];
    for (label, value) in lines {
        writeln!(out, "  {label:<22}{value}")?;
    }
    for row in &q.skipped_examples {
        writeln!(out, "    line {}: {}", row.line, row.reason)?;
    }
    Ok(())
}

fn listed(q: &DataQualityReport) -> String {
    match q.listed_at {
        Some(at) => format!("{} ({} empty rows before)", short_time(at, q.granularity), q.leading_empty_rows),
        None => "from the first row".to_string(),
    }
}

#[derive(Debug, Serialize)]
struct QualityJson<'a> {
    dataset: &'a str,
    venue: &'a str,
    granularity: Granularity,
    /// Data rows in the file.
    rows: usize,
    /// Counts over all products, each bar time or row once, with the rows of no product.
    dataset_defects: &'a DatasetQualityReport,
    products: Vec<ProductQualityJson<'a>>,
}

/// A [`DataQualityReport`] for JSON output, with its span and times in RFC 3339.
#[derive(Debug, Serialize)]
struct ProductQualityJson<'a> {
    product: ProductId,
    candles: usize,
    span: Option<SpanJson>,
    gap_runs: usize,
    missing_bars: usize,
    off_grid_bars: usize,
    zero_volume_bars: usize,
    flat_bars: usize,
    inconsistent_bars: usize,
    duplicate_timestamps: usize,
    skipped_rows: usize,
    skipped_examples: &'a [SkippedRow],
    leading_empty_rows: usize,
    listed_at: Option<String>,
}

impl<'a> ProductQualityJson<'a> {
    fn of(entry: &'a DatasetEntry) -> Self {
        let q = &entry.quality;
        Self {
            product: q.product_id,
            candles: q.candles,
            span: SpanJson::of(entry.series.span()),
            gap_runs: q.gap_runs,
            missing_bars: q.missing_bars,
            off_grid_bars: q.off_grid_bars,
            zero_volume_bars: q.zero_volume_bars,
            flat_bars: q.flat_bars,
            inconsistent_bars: q.inconsistent_bars,
            duplicate_timestamps: q.duplicate_timestamps,
            skipped_rows: q.skipped_rows,
            skipped_examples: &q.skipped_examples,
            leading_empty_rows: q.leading_empty_rows,
            listed_at: q.listed_at.map(|t| t.to_rfc3339()),
        }
    }
}
