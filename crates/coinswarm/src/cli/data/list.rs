//! `coinswarm data list`: the catalog with spans, row counts and a defect summary.

use super::{SpanJson, short_span, write_json};
use clap::Args;
use coinswarm_core::data::{CsvFormat, DataQualityReport, Dataset};
use coinswarm_core::market::{Granularity, ProductId};
use coinswarm_data::CATALOG;
use serde::Serialize;
use std::io::Write;

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print a JSON array instead of a table.
    #[arg(long)]
    json: bool,
}

/// One data set in `--json` output.
#[derive(Debug, Serialize)]
struct DatasetJson<'a> {
    name: &'a str,
    venue: &'a str,
    products: Vec<ProductId>,
    granularity: Granularity,
    span: Option<SpanJson>,
    /// Data rows in the file.
    rows: usize,
    /// Candles over all products.
    candles: usize,
    file: &'static str,
    format: CsvFormat,
    defects: String,
}

pub fn run(args: &ListArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let datasets = CATALOG.iter().map(|bundled| bundled.load()).collect::<Result<Vec<_>, _>>()?;
    if args.json {
        let items: Vec<DatasetJson> = CATALOG
            .iter()
            .zip(&datasets)
            .map(|(bundled, d)| DatasetJson {
                name: &d.name,
                venue: &d.venue,
                products: d.products(),
                granularity: d.granularity,
                span: SpanJson::of(d.span()),
                rows: d.source_rows,
                candles: d.candle_count(),
                file: bundled.file_name,
                format: bundled.format,
                defects: defects_summary(d),
            })
            .collect();
        return write_json(out, &items);
    }
    let header = ["NAME", "VENUE", "PRODUCTS", "GRANULARITY", "SPAN (UTC)", "ROWS", "DEFECTS"].map(String::from);
    let rows: Vec<[String; 7]> = datasets
        .iter()
        .map(|d| {
            [
                d.name.clone(),
                d.venue.clone(),
                d.products().iter().map(ToString::to_string).collect::<Vec<_>>().join(","),
                d.granularity.to_string(),
                short_span(d.span(), d.granularity),
                d.source_rows.to_string(),
                defects_summary(d),
            ]
        })
        .collect();
    write_table(out, &header, &rows)
}

/// Reads one count out of a product's quality report.
type Count = fn(&DataQualityReport) -> usize;

/// Defect totals over all products, most serious first, e.g.
/// `gaps 2 (24 bars), zero-volume 40, flat 38`; `none` for a clean data set. Listings
/// after the file starts are not defects and are left to `coinswarm data quality`.
fn defects_summary(dataset: &Dataset) -> String {
    let total = |count: Count| -> usize { dataset.entries.iter().map(|e| count(&e.quality)).sum() };
    let gap_runs = total(|q| q.gap_runs);
    let mut parts = Vec::new();
    if gap_runs > 0 {
        parts.push(format!("gaps {gap_runs} ({} bars)", total(|q| q.missing_bars)));
    }
    let counts: [(&str, Count); 6] = [
        ("skipped", |q| q.skipped_rows),
        ("inconsistent", |q| q.inconsistent_bars),
        ("duplicates", |q| q.duplicate_timestamps),
        ("off-grid", |q| q.off_grid_bars),
        ("zero-volume", |q| q.zero_volume_bars),
        ("flat", |q| q.flat_bars),
    ];
    for (label, count) in counts {
        let n = total(count);
        if n > 0 {
            parts.push(format!("{label} {n}"));
        }
    }
    if parts.is_empty() { "none".to_string() } else { parts.join(", ") }
}

/// Left-aligned columns separated by two spaces; widths count characters, not bytes.
fn write_table<const N: usize>(out: &mut dyn Write, header: &[String; N], rows: &[[String; N]]) -> anyhow::Result<()> {
    let mut widths = header.each_ref().map(|h| h.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    for row in std::iter::once(header).chain(rows) {
        let cells: Vec<String> = row.iter().zip(widths).map(|(cell, width)| format!("{cell:<width$}")).collect();
        writeln!(out, "{}", cells.join("  ").trim_end())?;
    }
    Ok(())
}
