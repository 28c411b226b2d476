//! `coinswarm data archive`: writes bundled data sets into the data directory's candle
//! archive (Parquet, partitioned by venue, product, granularity and month), which
//! `coinswarm up` can replay (`feed.data = "archive:VENUE/PRODUCT/GRANULARITY"`).

use clap::Args;
use coinswarm_server::adapters::archive::{ARCHIVE_DIR, archive_series, open_archive};
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ArchiveArgs {
    /// Data sets to archive (default: every bundled one).
    names: Vec<String>,
    /// The server's data directory (default ./.coinswarm; env COINSWARM_DATA_DIR).
    #[arg(long, env = "COINSWARM_DATA_DIR", default_value = ".coinswarm")]
    data_dir: PathBuf,
    /// An S3-compatible bucket to archive into instead, `s3://bucket/prefix` (env
    /// COINSWARM_ARCHIVE_URL; the usual AWS variables, with AWS_ENDPOINT_URL for R2 or a
    /// local server).
    #[arg(long, env = "COINSWARM_ARCHIVE_URL", default_value = "")]
    archive_url: String,
}

pub fn run(args: &ArchiveArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let names: Vec<String> = if args.names.is_empty() {
        coinswarm_data::CATALOG.iter().map(|d| d.name.to_string()).collect()
    } else {
        args.names.clone()
    };
    let store = open_archive(&args.data_dir, &args.archive_url)?;
    for name in names {
        let dataset = coinswarm_data::load(&name)?;
        for entry in &dataset.entries {
            let (files, rows) = archive_series(store.as_ref(), &dataset.venue, &entry.series)?;
            writeln!(
                out,
                "{name}: {} {} {} → {files} files, {rows} candles (archive:{}/{}/{})",
                dataset.venue,
                entry.series.product_id(),
                entry.series.granularity(),
                dataset.venue.to_ascii_lowercase(),
                entry.series.product_id(),
                entry.series.granularity()
            )?;
        }
    }
    if args.archive_url.trim().is_empty() {
        writeln!(out, "archive at {}", args.data_dir.join(ARCHIVE_DIR).display())?;
    } else {
        writeln!(out, "archive at {}", args.archive_url.trim())?;
    }
    Ok(())
}
