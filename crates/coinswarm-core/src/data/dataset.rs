//! A named data set: one venue, one granularity, a series and a quality report per product.

use super::dataset_quality::DatasetQualityReport;
use super::format::{CsvFormat, DataFormatError};
use super::quality::DataQualityReport;
use super::series::{CandleSeries, Span};
use crate::market::{Currency, Granularity, ProductId};

/// One product's candles in a data set, with what is wrong with them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetEntry {
    pub series: CandleSeries,
    pub quality: DataQualityReport,
}

/// Candles of one or more products from one venue at one granularity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dataset {
    /// Stable name, e.g. `bitfinex-btcusd-1h`.
    pub name: String,
    /// The exchange the candles come from, e.g. `Bitfinex`.
    pub venue: String,
    pub granularity: Granularity,
    /// Data rows in the source file, header excluded; a wide file's row holds one bar of
    /// every product, so this is not the number of candles.
    pub source_rows: usize,
    /// One entry per product, in the order the source file first names them.
    pub entries: Vec<DatasetEntry>,
    /// Defects of the data set as a whole, each row and bar time counted once, including
    /// rows charged to no product.
    pub quality: DatasetQualityReport,
}

/// A product the data set does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("data set '{dataset}' has no product {product}: it has {}", list(known))]
pub struct UnknownProductError {
    pub dataset: String,
    pub product: ProductId,
    pub known: Vec<ProductId>,
}

fn list(products: &[ProductId]) -> String {
    products.iter().map(ProductId::to_string).collect::<Vec<_>>().join(", ")
}

impl Dataset {
    /// Parses a CSV file of `format` whose prices are in `quote` and whose bars are
    /// `granularity` long. Row defects end up in each entry's quality report and, counted
    /// once per row, in the data set's.
    pub fn from_csv(
        name: impl Into<String>,
        venue: impl Into<String>,
        format: CsvFormat,
        granularity: Granularity,
        quote: Currency,
        input: &[u8],
    ) -> Result<Self, DataFormatError> {
        let parsed = format.parse(input, quote, granularity)?;
        Ok(Self {
            name: name.into(),
            venue: venue.into(),
            granularity,
            source_rows: parsed.rows,
            entries: parsed.entries,
            quality: parsed.quality,
        })
    }

    /// Products in file order.
    pub fn products(&self) -> Vec<ProductId> {
        self.entries.iter().map(|e| e.series.product_id()).collect()
    }

    /// The entry of `product`, or an error naming the products the data set has.
    pub fn entry(&self, product: ProductId) -> Result<&DatasetEntry, UnknownProductError> {
        self.entries.iter().find(|e| e.series.product_id() == product).ok_or_else(|| UnknownProductError {
            dataset: self.name.clone(),
            product,
            known: self.products(),
        })
    }

    /// The earliest and latest bar start over all products; `None` when there are no candles.
    pub fn span(&self) -> Option<Span> {
        self.entries.iter().filter_map(|e| e.series.span()).reduce(Span::union)
    }

    /// Candles over all products.
    pub fn candle_count(&self) -> usize {
        self.entries.iter().map(|e| e.series.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;

    fn sample() -> Dataset {
        let csv = ",BTC:open,BTC:high,BTC:low,BTC:close,BTC:volume,ETH:open,ETH:high,ETH:low,ETH:close,ETH:volume\n\
                   2016-05-25,450,460,440,455,10,,,,,\n\
                   2016-05-26,455,470,450,465,12,11,12,10,12,300\n";
        let usd = Currency::new("USD").unwrap();
        Dataset::from_csv("test-daily", "Test", CsvFormat::Wide, Granularity::OneDay, usd, csv.as_bytes()).unwrap()
    }

    #[test]
    fn span_and_counts_cover_all_products() {
        let dataset = sample();
        let span = dataset.span().unwrap();
        assert_eq!(span.first, Timestamp::parse("2016-05-25").unwrap());
        assert_eq!(span.last, Timestamp::parse("2016-05-26").unwrap());
        assert_eq!((dataset.source_rows, dataset.candle_count()), (2, 3));
        let names: Vec<String> = dataset.products().iter().map(ProductId::to_string).collect();
        assert_eq!(names, ["BTC-USD", "ETH-USD"]);
    }

    #[test]
    fn asking_for_a_product_it_lacks_names_the_ones_it_has() {
        let dataset = sample();
        assert_eq!(dataset.entry(ProductId::parse("ETH-USD").unwrap()).unwrap().series.len(), 1);
        let err = dataset.entry(ProductId::parse("LTC-USD").unwrap()).unwrap_err();
        assert_eq!(err.to_string(), "data set 'test-daily' has no product LTC-USD: it has BTC-USD, ETH-USD");
    }
}
