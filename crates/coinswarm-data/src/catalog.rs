//! The bundled data sets and how to load them by name.

use coinswarm_core::data::{CsvFormat, DataFormatError, Dataset};
use coinswarm_core::market::{Currency, Granularity};

/// A CSV file compiled into the crate, with what a loader needs to know about it.
#[derive(Debug)]
pub struct BundledDataset {
    /// Stable name used on the command line and in the API, e.g. `bitfinex-btcusd-1h`.
    pub name: &'static str,
    /// The exchange the candles come from.
    pub venue: &'static str,
    pub granularity: Granularity,
    pub format: CsvFormat,
    /// The currency the prices are quoted in (an ISO-like code such as `USD`).
    pub quote: &'static str,
    /// File name under `data/market/`.
    pub file_name: &'static str,
    /// The file's bytes, unchanged.
    pub contents: &'static str,
}

/// Every bundled data set. Names are stable: scripts and saved backtests refer to them.
pub static CATALOG: [BundledDataset; 3] = [
    BundledDataset {
        name: "bitfinex-btcusd-1h",
        venue: "Bitfinex",
        granularity: Granularity::OneHour,
        format: CsvFormat::Long,
        quote: "USD",
        file_name: "bitfinex_btcusd_1h_2017-07_2019-07.csv",
        contents: include_str!("../../../data/market/bitfinex_btcusd_1h_2017-07_2019-07.csv"),
    },
    BundledDataset {
        name: "bitfinex-daily",
        venue: "Bitfinex",
        granularity: Granularity::OneDay,
        format: CsvFormat::Wide,
        quote: "USD",
        file_name: "bitfinex_btc-eth_usd_1d_2014-12_2020-01.csv",
        contents: include_str!("../../../data/market/bitfinex_btc-eth_usd_1d_2014-12_2020-01.csv"),
    },
    BundledDataset {
        name: "bitstamp-daily",
        venue: "Bitstamp",
        granularity: Granularity::OneDay,
        format: CsvFormat::Wide,
        quote: "USD",
        file_name: "bitstamp_btc-eth-ltc_usd_1d_2014-11_2020-01.csv",
        contents: include_str!("../../../data/market/bitstamp_btc-eth-ltc_usd_1d_2014-11_2020-01.csv"),
    },
];

/// A name that is not in the catalog.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown data set '{name}': the bundled data sets are {}", names().join(", "))]
pub struct UnknownDatasetError {
    pub name: String,
}

/// Why a bundled data set could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    UnknownDataset(#[from] UnknownDatasetError),
    #[error("bundled data set '{name}' cannot be read: {source}")]
    Format { name: &'static str, source: DataFormatError },
}

fn names() -> Vec<&'static str> {
    CATALOG.iter().map(|d| d.name).collect()
}

/// The catalog entry called `name` (exact, case-sensitive).
pub fn find(name: &str) -> Result<&'static BundledDataset, UnknownDatasetError> {
    CATALOG.iter().find(|d| d.name == name).ok_or_else(|| UnknownDatasetError { name: name.to_string() })
}

/// Parses the bundled data set called `name`.
pub fn load(name: &str) -> Result<Dataset, LoadError> {
    find(name)?.load()
}

impl BundledDataset {
    /// Parses the file. Each call parses afresh (a few milliseconds for the hourly file in
    /// release builds); callers that need it repeatedly keep the result.
    pub fn load(&self) -> Result<Dataset, LoadError> {
        let quote = Currency::new(self.quote).expect("catalog quote currencies are valid codes");
        Dataset::from_csv(self.name, self.venue, self.format, self.granularity, quote, self.contents.as_bytes())
            .map_err(|source| LoadError::Format { name: self.name, source })
    }
}
