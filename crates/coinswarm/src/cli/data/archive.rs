//! `coinswarm data archive`: writes bundled data sets into the data directory's candle
//! archive (Parquet, partitioned by venue, product, granularity and month), which
//! `coinswarm up` can replay (`feed.data = "archive:VENUE/PRODUCT/GRANULARITY"`).

use clap::Args;
use coinswarm_server::adapters::archive::{ARCHIVE_DIR, archive_series};
use coinswarm_server::adapters::store::LocalObjectStore;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ArchiveArgs {
    /// Data sets to archive (default: every bundled one).
    names: Vec<String>,
    /// The server's data directory (default ./.coinswarm; env COINSWARM_DATA_DIR).
    #[arg(long, env = "COINSWARM_DATA_DIR", default_value = ".coinswarm")]
    data_dir: PathBuf,
}

pub fn run(args: &ArchiveArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let names: Vec<String> = if args.names.is_empty() {
        coinswarm_data::CATALOG.iter().map(|d| d.name.to_string()).collect()
    } else {
        args.names.clone()
    };
    let root = args.data_dir.join(ARCHIVE_DIR);
    let store = LocalObjectStore::new(&root);
    for name in names {
        let dataset = coinswarm_data::load(&name)?;
        for entry in &dataset.entries {
            let (files, rows) = archive_series(&store, &dataset.venue, &entry.series)?;
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
    writeln!(out, "archive at {}", root.display())?;
    Ok(())
}
