//! The CSV layouts the loaders understand, their errors, and the cell parsing they share.

use super::dataset::DatasetEntry;
use super::dataset_quality::DatasetQualityReport;
use super::{long, wide};
use crate::market::{Currency, Granularity};
use rust_decimal::Decimal;
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// The layout of an exchange CSV file (CryptoDataDownload's two shapes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CsvFormat {
    /// One row per product and bar, in any time order (the bundled file is newest first):
    /// `Date,Symbol,Open,High,Low,Close,VolumeFrom,VolumeTo`, where the symbol glues base
    /// and quote (`BTCUSD`) and `VolumeFrom` is the base volume. Column order is free.
    Long,
    /// One row per bar, oldest first: a date column, then `SYM:open,SYM:high,SYM:low,
    /// SYM:close,SYM:volume` per symbol (volume in base currency). A symbol's cells are
    /// empty before it listed.
    Wide,
}

impl CsvFormat {
    pub const fn as_str(self) -> &'static str {
        match self {
            CsvFormat::Long => "long",
            CsvFormat::Wide => "wide",
        }
    }

    /// Parses a whole file. Prices are in `quote`; bars are `granularity` long.
    pub fn parse(self, input: &[u8], quote: Currency, granularity: Granularity) -> Result<ParsedCsv, DataFormatError> {
        match self {
            CsvFormat::Long => long::parse_long(input, quote, granularity),
            CsvFormat::Wide => wide::parse_wide(input, quote, granularity),
        }
    }
}

impl fmt::Display for CsvFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a loader made of a file: one entry per product, in order of first appearance, and
/// the defects of the file as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedCsv {
    /// Data rows read, header excluded, skipped rows included.
    pub rows: usize,
    pub entries: Vec<DatasetEntry>,
    pub quality: DatasetQualityReport,
}

/// A file a loader cannot read at all. Defects in individual rows are never this error:
/// they are counted in the [`DataQualityReport`](super::DataQualityReport).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DataFormatError {
    #[error("the {format} CSV file is empty: expected a header line")]
    Empty { format: CsvFormat },
    #[error("the header line of the {format} CSV file cannot be read: {problem}")]
    UnreadableHeader { format: CsvFormat, problem: String },
    #[error("unrecognised header for the {format} CSV format: {problem} (header: '{header}'; expected {expected})")]
    UnrecognisedHeader { format: CsvFormat, header: String, problem: String, expected: &'static str },
}

/// A reader of either layout: rows may differ in length (checked by the loaders) and cells
/// are trimmed.
pub(crate) fn csv_reader(input: &[u8]) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(input)
}

/// The header line of a `format` file: an error when it is missing, blank or unreadable.
pub(crate) fn read_header(
    reader: &mut csv::Reader<&[u8]>,
    format: CsvFormat,
) -> Result<csv::StringRecord, DataFormatError> {
    let header = reader.headers().map_err(|err| {
        let problem = match err.kind() {
            csv::ErrorKind::Utf8 { err, .. } => format!("column {} is not valid UTF-8", err.field() + 1),
            _ => err.to_string(),
        };
        DataFormatError::UnreadableHeader { format, problem }
    })?;
    if header.iter().all(str::is_empty) {
        return Err(DataFormatError::Empty { format });
    }
    Ok(header.clone())
}

/// A price cell: a positive decimal, plain or scientific (`1.5e-5`).
pub(crate) fn parse_price(name: &str, cell: &str) -> Result<Decimal, String> {
    let value = parse_decimal(name, cell)?;
    if value <= Decimal::ZERO {
        return Err(format!("{name} '{cell}' is not a positive price"));
    }
    Ok(value)
}

/// A volume cell: a decimal that is zero or more.
pub(crate) fn parse_volume(name: &str, cell: &str) -> Result<Decimal, String> {
    let value = parse_decimal(name, cell)?;
    if value.is_sign_negative() && !value.is_zero() {
        return Err(format!("{name} '{cell}' is a negative volume"));
    }
    Ok(value)
}

fn parse_decimal(name: &str, cell: &str) -> Result<Decimal, String> {
    let cell = cell.trim();
    if cell.is_empty() {
        return Err(format!("{name} is empty"));
    }
    Decimal::from_str(cell)
        .or_else(|_| Decimal::from_scientific(cell))
        .map_err(|_| format!("{name} '{cell}' is not a number"))
}

/// The 1-based line a record starts on (the header is line 1).
pub(crate) fn line_of(record: &csv::StringRecord) -> u64 {
    record.position().map_or(0, |p| p.line())
}

/// The line of a record the CSV reader rejected (bad UTF-8, unbalanced quotes).
pub(crate) fn line_of_error(err: &csv::Error) -> u64 {
    err.position().map_or(0, |p| p.line())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_parse_plain_and_scientific_decimals_and_name_what_is_wrong() {
        assert_eq!(parse_price("open", " 11880.0 ").unwrap(), Decimal::new(118800, 1));
        assert_eq!(parse_volume("volume", "5e-3").unwrap(), Decimal::new(5, 3));
        assert_eq!(parse_volume("volume", "0").unwrap(), Decimal::ZERO);
        assert_eq!(parse_price("open", "abc").unwrap_err(), "open 'abc' is not a number");
        assert_eq!(parse_price("high", "0").unwrap_err(), "high '0' is not a positive price");
        assert_eq!(parse_volume("volume", "-1").unwrap_err(), "volume '-1' is a negative volume");
        assert_eq!(parse_price("low", "").unwrap_err(), "low is empty");
    }
}
