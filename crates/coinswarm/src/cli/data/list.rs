//! `coinswarm data list`: the catalog with spans, row counts and a defect summary. A hole
//! or a bad row shared by several products counts once; zero-volume, flat, inconsistent and
//! off-grid count candles over all products.

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
    defects: DefectsJson,
}

/// A data set's defect counts. Gaps and rows count each missing bar time and each source row
/// once, however many products share it; the bar counts are candles over all products.
#[derive(Debug, Serialize)]
struct DefectsJson {
    gap_runs: usize,
    /// Distinct bar times missing from at least one product.
    missing_bars: usize,
    /// Distinct rows that lost at least one bar, `unattributed_rows` included.
    skipped_rows: usize,
    /// Skipped rows that belong to no product.
    unattributed_rows: usize,
    /// Distinct rows dropped because their start repeated an earlier row's.
    duplicate_rows: usize,
    inconsistent_bars: usize,
    off_grid_bars: usize,
    zero_volume_bars: usize,
    flat_bars: usize,
    /// Each product's own counts (a shared hole or row appears in each).
    products: Vec<ProductDefectsJson>,
}

/// One product's counts, from its data-quality report.
#[derive(Debug, Serialize)]
struct ProductDefectsJson {
    product: ProductId,
    gap_runs: usize,
    missing_bars: usize,
    skipped_rows: usize,
    duplicate_timestamps: usize,
    inconsistent_bars: usize,
    off_grid_bars: usize,
    zero_volume_bars: usize,
    flat_bars: usize,
}

impl DefectsJson {
    fn of(dataset: &Dataset) -> Self {
        let total = |count: fn(&DataQualityReport) -> usize| dataset.entries.iter().map(|e| count(&e.quality)).sum();
        let q = &dataset.quality;
        Self {
            gap_runs: q.gap_runs,
            missing_bars: q.missing_bars,
            skipped_rows: q.skipped_rows,
            unattributed_rows: q.unattributed_rows,
            duplicate_rows: q.duplicate_rows,
            inconsistent_bars: total(|q| q.inconsistent_bars),
            off_grid_bars: total(|q| q.off_grid_bars),
            zero_volume_bars: total(|q| q.zero_volume_bars),
            flat_bars: total(|q| q.flat_bars),
            products: dataset.entries.iter().map(|e| ProductDefectsJson::of(&e.quality)).collect(),
        }
    }

    /// Most serious first, e.g. `gaps 1 (12 bars), zero-volume 40, flat 38`; `none` when
    /// clean. Listings after the file starts are not defects and are left to
    /// `coinswarm data quality`.
    fn summary(&self) -> String {
        let mut parts = Vec::new();
        if self.gap_runs > 0 {
            parts.push(format!("gaps {} ({} bars)", self.gap_runs, self.missing_bars));
        }
        for (label, count) in [
            ("skipped", self.skipped_rows),
            ("inconsistent", self.inconsistent_bars),
            ("duplicates", self.duplicate_rows),
            ("off-grid", self.off_grid_bars),
            ("zero-volume", self.zero_volume_bars),
            ("flat", self.flat_bars),
        ] {
            if count > 0 {
                parts.push(format!("{label} {count}"));
            }
        }
        if parts.is_empty() { "none".to_string() } else { parts.join(", ") }
    }
}

impl ProductDefectsJson {
    fn of(q: &DataQualityReport) -> Self {
        Self {
            product: q.product_id,
            gap_runs: q.gap_runs,
            missing_bars: q.missing_bars,
            skipped_rows: q.skipped_rows,
            duplicate_timestamps: q.duplicate_timestamps,
            inconsistent_bars: q.inconsistent_bars,
            off_grid_bars: q.off_grid_bars,
            zero_volume_bars: q.zero_volume_bars,
            flat_bars: q.flat_bars,
        }
    }
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
                defects: DefectsJson::of(d),
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
                DefectsJson::of(d).summary(),
            ]
        })
        .collect();
    write_table(out, &header, &rows)
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
