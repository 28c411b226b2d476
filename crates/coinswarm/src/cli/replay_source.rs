//! Loading what a replay runs on, shared by `coinswarm swarm` and `coinswarm backtest`:
//! bundled data sets or CSV files, product selection, a second venue, config files, and
//! writing output files whole.

use super::replay_defaults::{layered, replay_config};
use anyhow::{Context, bail};
use coinswarm_core::data::{CsvFormat, Dataset, DatasetEntry, fold_rows};
use coinswarm_core::market::{Candle, Currency, Granularity, ProductId};
use coinswarm_core::swarm::SwarmConfig;
use coinswarm_core::time::Timestamp;
use rust_decimal::prelude::ToPrimitive;
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;

/// The bars a single-product run replays: a data set or file, one of its products and an
/// inclusive time range (shared by `swarm` and `validate`).
#[derive(Debug, clap::Args)]
pub struct ReplayData {
    /// A bundled data set name (`coinswarm data list`), or the path of a CSV file in one of
    /// the bundled layouts (long: Date,Symbol,Open,High,Low,Close,VolumeFrom,…; wide:
    /// date,SYM:open,SYM:high,…) or of a Parquet file (one product and bar per row), prices
    /// in `--quote`.
    #[arg(long)]
    pub data: String,
    /// Product, e.g. BTC-USD. Required when the data set holds several products.
    #[arg(long)]
    pub product: Option<ProductId>,
    /// First bar, inclusive: RFC 3339 or a plain date (midnight UTC).
    #[arg(long)]
    pub from: Option<Timestamp>,
    /// Last bar, inclusive: an RFC 3339 instant, or a plain date (its whole day).
    #[arg(long, value_parser = Timestamp::parse_inclusive_end)]
    pub to: Option<Timestamp>,
    /// Quote currency of a file's prices.
    #[arg(long, default_value = "USD")]
    pub quote: Currency,
}

impl ReplayData {
    /// Loads the data set, checking the range first.
    pub fn load(&self) -> anyhow::Result<Dataset> {
        check_range(self.from, self.to)?;
        load_dataset(&self.data, self.quote)
    }

    /// The chosen product's entry and its bars within the range (at least one).
    pub fn select<'a>(&self, dataset: &'a Dataset) -> anyhow::Result<(&'a DatasetEntry, &'a [Candle])> {
        let entry = select(dataset, self.product)?;
        let candles = entry.series.between(self.from, self.to);
        if candles.is_empty() {
            bail!("no bars of {} in {} within the range", entry.series.product_id(), dataset.name);
        }
        Ok((entry, candles))
    }
}

/// Refuses a `--from` after `--to`.
pub fn check_range(from: Option<Timestamp>, to: Option<Timestamp>) -> anyhow::Result<()> {
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        bail!("--from {from} is after --to {to}: the range would be empty");
    }
    Ok(())
}

pub fn load_config(path: Option<&Path>) -> anyhow::Result<SwarmConfig> {
    let Some(path) = path else { return Ok(replay_config()) };
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read config {}", path.display()))?;
    let table: toml::Table = toml::from_str(&text).with_context(|| format!("invalid config {}", path.display()))?;
    layered(&replay_config(), table).with_context(|| format!("invalid config {}", path.display()))
}

/// A bundled data set by name, or a CSV or Parquet file by path (CSV layout detected from its
/// header, bar length from the most common spacing of its bars).
pub fn load_dataset(data: &str, quote: Currency) -> anyhow::Result<Dataset> {
    if coinswarm_data::find(data).is_ok() {
        return Ok(coinswarm_data::load(data)?);
    }
    let path = Path::new(data);
    if !path.exists() {
        let names: Vec<&str> = coinswarm_data::CATALOG.iter().map(|d| d.name).collect();
        bail!("'{data}' is neither a bundled data set ({}) nor a CSV or Parquet file", names.join(", "));
    }
    let name = path.file_stem().map_or_else(|| data.to_string(), |s| s.to_string_lossy().into_owned());
    if coinswarm_data::columnar::is_parquet(path) {
        return load_parquet(path, name, quote);
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let parse = |format, granularity| Dataset::from_csv(name.clone(), "file", format, granularity, quote, &bytes);
    let format = [CsvFormat::Long, CsvFormat::Wide]
        .into_iter()
        .find(|format| parse(*format, Granularity::OneHour).is_ok())
        .with_context(|| format!("{}: not a CSV in the long or wide layout", path.display()))?;
    let granularity = bar_length(&parse(format, Granularity::OneHour)?.entries, path)?;
    Ok(parse(format, granularity)?)
}

/// A Parquet file of one product and bar per row (columns in [`coinswarm_data::columnar`]); the bar
/// length is the most common spacing of the first product's bars.
fn load_parquet(path: &Path, name: String, quote: Currency) -> anyhow::Result<Dataset> {
    let rows = coinswarm_data::columnar::read_bar_rows(path, quote)?;
    let granularity = bar_length(&fold_rows(rows.iter().cloned(), Granularity::OneHour).entries, path)?;
    let parsed = fold_rows(rows, granularity);
    Ok(Dataset {
        name,
        venue: "file".into(),
        granularity,
        source_rows: parsed.rows,
        entries: parsed.entries,
        quality: parsed.quality,
    })
}

/// The bar length of a file: the most common spacing of its first product's bars, read with
/// a provisional granularity.
fn bar_length(entries: &[DatasetEntry], path: &Path) -> anyhow::Result<Granularity> {
    entries
        .first()
        .and_then(|entry| most_common_spacing(entry.series.candles()))
        .and_then(Granularity::from_millis)
        .with_context(|| {
            format!(
                "{}: cannot tell the bar length: it needs at least two bars of one product spaced by one Coinbase granularity",
                path.display()
            )
        })
}

fn most_common_spacing(candles: &[Candle]) -> Option<i64> {
    let mut counts: HashMap<i64, usize> = HashMap::new();
    for pair in candles.windows(2) {
        *counts.entry(pair[1].start.millis() - pair[0].start.millis()).or_default() += 1;
    }
    counts.into_iter().max_by_key(|(spacing, count)| (*count, -spacing)).map(|(spacing, _)| spacing)
}

/// The entries of the requested products; without any, the only product or an error listing
/// the choices.
pub fn select_many<'a>(dataset: &'a Dataset, products: &[ProductId]) -> anyhow::Result<Vec<&'a DatasetEntry>> {
    if products.is_empty() {
        return Ok(vec![select(dataset, None)?]);
    }
    for (i, product) in products.iter().enumerate() {
        if products[..i].contains(product) {
            bail!("--product {product} is given twice");
        }
    }
    products.iter().map(|product| Ok(dataset.entry(*product)?)).collect()
}

pub fn select(dataset: &Dataset, product: Option<ProductId>) -> anyhow::Result<&DatasetEntry> {
    match (product, dataset.entries.as_slice()) {
        (Some(product), _) => Ok(dataset.entry(product)?),
        (None, [only]) => Ok(only),
        (None, []) => bail!("data set '{}' holds no candles", dataset.name),
        (None, _) => {
            let products: Vec<String> = dataset.products().iter().map(ToString::to_string).collect();
            bail!(
                "data set '{}' has several products: choose one with --product ({})",
                dataset.name,
                products.join(", ")
            )
        }
    }
}

/// The venue name and the closes by bar start of `product` in another data set of the same
/// granularity: each bar is compared with the other venue's bar over the same interval,
/// never with one that closes later (no look-ahead).
pub fn other_venue_closes(
    name: &str,
    product: ProductId,
    granularity: Granularity,
    quote: Currency,
) -> anyhow::Result<(String, HashMap<Timestamp, f64>)> {
    let dataset = load_dataset(name, quote)?;
    let entry = dataset.entry(product).with_context(|| format!("--other-venue {name}"))?;
    if entry.series.granularity() != granularity {
        bail!(
            "--other-venue {name} has {} bars but the replay has {granularity}: bars must cover the same intervals",
            entry.series.granularity()
        );
    }
    let closes = entry.series.candles().iter().filter_map(|c| Some((c.start, c.close.to_f64()?))).collect();
    Ok((dataset.venue.clone(), closes))
}

/// Writes `bytes` to a sibling temporary file, then renames it over `path`: readers see
/// the old file or the whole new one, never a partial write.
pub fn write_whole(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let file_name = path.file_name().with_context(|| format!("{} is not a file path", path.display()))?;
    let temporary = path.with_file_name(format!(".{}.partial", file_name.to_string_lossy()));
    std::fs::write(&temporary, bytes).with_context(|| format!("cannot write {}", temporary.display()))?;
    std::fs::rename(&temporary, path).with_context(|| format!("cannot move the log into {}", path.display()))
}

/// `[sma_cross]` in a backtest config file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmaCrossParams {
    pub fast: Option<usize>,
    pub slow: Option<usize>,
}

/// The swarm's config and the SMA-cross parameters from one TOML file (the file `backtest`
/// and `validate` read): `[sma_cross]` is taken
/// out, everything else must be a valid swarm config.
pub fn load_backtest_config(path: Option<&Path>) -> anyhow::Result<(SwarmConfig, SmaCrossParams)> {
    let Some(path) = path else { return Ok((replay_config(), SmaCrossParams::default())) };
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read config {}", path.display()))?;
    let mut table: toml::Table = toml::from_str(&text).with_context(|| format!("invalid config {}", path.display()))?;
    let sma = match table.remove("sma_cross") {
        Some(value) => value.try_into().with_context(|| format!("invalid [sma_cross] in {}", path.display()))?,
        None => SmaCrossParams::default(),
    };
    let swarm = layered(&replay_config(), table).with_context(|| format!("invalid config {}", path.display()))?;
    swarm.validate().with_context(|| format!("invalid config {}", path.display()))?;
    Ok((swarm, sma))
}
