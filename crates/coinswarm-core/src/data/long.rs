//! The long CSV layout: one row per product and bar (`Date,Symbol,Open,…`), any time order.

use super::bar_rows::{BarRow, fold_rows, product_of_symbol};
use super::format::{
    CsvFormat, DataFormatError, ParsedCsv, csv_reader, line_of, line_of_error, parse_price, parse_volume, read_header,
};
use crate::market::{Candle, Currency, Granularity};
use crate::time::Timestamp;

const EXPECTED: &str = "columns Date, Symbol, Open, High, Low, Close and VolumeFrom (base volume), in any order";
const COLUMNS: [&str; 7] = ["date", "symbol", "open", "high", "low", "close", "volumefrom"];

/// Parses the long layout. A symbol is the base glued to `quote` (`BTCUSD` with quote USD
/// is `BTC-USD`). Dates are UTC. A row with a usable symbol but a bad cell is skipped on
/// that product; an unreadable row, or one whose symbol is not quoted in `quote`, belongs
/// to no product and is counted on the data set ([`ParsedCsv::quality`]), even when no
/// row at all names a product.
pub fn parse_long(input: &[u8], quote: Currency, granularity: Granularity) -> Result<ParsedCsv, DataFormatError> {
    let mut reader = csv_reader(input);
    let header = read_header(&mut reader, CsvFormat::Long)?;
    let columns = locate_columns(&header)?;
    let rows = reader.records().map(|result| match result {
        Err(err) => BarRow {
            line: line_of_error(&err),
            product: Err(format!("unreadable row: {err}")),
            candle: Err(String::new()),
        },
        Ok(record) => {
            let cell = |i: usize| record.get(columns[i]).unwrap_or("");
            let product = product_of_symbol(cell(1), quote)
                .ok_or_else(|| format!("symbol '{}' is not a base currency quoted in {quote}", cell(1)));
            BarRow { line: line_of(&record), product, candle: candle_of(&record, &columns) }
        }
    });
    Ok(fold_rows(rows, granularity))
}

/// Column positions in the order of [`COLUMNS`].
fn locate_columns(header: &csv::StringRecord) -> Result<[usize; 7], DataFormatError> {
    let text = header.iter().collect::<Vec<_>>().join(",");
    let mut positions = [0; 7];
    for (slot, name) in positions.iter_mut().zip(COLUMNS) {
        *slot = header.iter().position(|h| h.eq_ignore_ascii_case(name)).ok_or_else(|| {
            DataFormatError::UnrecognisedHeader {
                format: CsvFormat::Long,
                header: text.clone(),
                problem: format!("no '{name}' column"),
                expected: EXPECTED,
            }
        })?;
    }
    Ok(positions)
}

fn candle_of(record: &csv::StringRecord, columns: &[usize; 7]) -> Result<Candle, String> {
    let cell = |i: usize| record.get(columns[i]).unwrap_or("");
    let start = Timestamp::parse(cell(0)).map_err(|_| format!("date '{}' is not YYYY-MM-DD HH:MM", cell(0)))?;
    Ok(Candle {
        start,
        open: parse_price("Open", cell(2))?,
        high: parse_price("High", cell(3))?,
        low: parse_price("Low", cell(4))?,
        close: parse_price("Close", cell(5))?,
        volume: parse_volume("VolumeFrom", cell(6))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    fn usd() -> Currency {
        Currency::new("USD").unwrap()
    }

    fn parse(text: &str) -> Result<ParsedCsv, DataFormatError> {
        parse_long(text.as_bytes(), usd(), Granularity::OneHour)
    }

    const HEADER: &str = "Date,Symbol,Open,High,Low,Close,VolumeFrom,VolumeTo\n";

    #[test]
    fn newest_first_rows_become_an_oldest_first_series_with_base_volume() {
        let parsed = parse(&format!(
            "{HEADER}2019-07-04 01:00,BTCUSD,11849.99,11880.0,11790.01,11849.69,303.61,3589525.18\n\
             2019-07-04 00:00,BTCUSD,11976.42,12064.26,11812.01,11849.99,1627.53,19416056.06\n"
        ))
        .unwrap();
        assert_eq!(parsed.rows, 2);
        let series = &parsed.entries[0].series;
        assert_eq!(series.product_id().to_string(), "BTC-USD");
        assert_eq!(series.candles()[0].start, Timestamp::parse("2019-07-04T00:00:00Z").unwrap());
        assert_eq!(series.candles()[1].volume, Decimal::new(30361, 2));
        assert!(parsed.entries[0].quality.is_clean());
    }

    #[test]
    fn columns_are_found_by_name_in_any_case_and_order() {
        let parsed = parse("symbol,date,close,low,high,open,volumefrom\nETHUSD,2019-01-01 00:00,2,1,3,2,5\n").unwrap();
        let candle = parsed.entries[0].series.candles()[0];
        assert_eq!((candle.open, candle.high, candle.low), (Decimal::TWO, Decimal::from(3), Decimal::ONE));
        assert_eq!(parsed.entries[0].series.product_id().to_string(), "ETH-USD");
    }

    #[test]
    fn unparsable_rows_are_skipped_on_their_product_with_line_numbers_and_reasons() {
        let parsed = parse(&format!(
            "{HEADER}2019-07-04 02:00,BTCUSD,1,2,0.5,1,1,1\n\
             yesterday,BTCUSD,1,2,0.5,1,1,1\n\
             2019-07-04 00:00,BTCUSD,1,2,abc,1,1,1\n\
             2019-07-04 00:00,BTCEUR,1,2,0.5,1,1,1\n"
        ))
        .unwrap();
        let quality = &parsed.entries[0].quality;
        assert_eq!((parsed.rows, quality.candles, quality.skipped_rows), (4, 1, 2));
        let lines: Vec<u64> = quality.skipped_examples.iter().map(|s| s.line).collect();
        assert_eq!(lines, [3, 4]);
        assert!(quality.skipped_examples[0].reason.contains("yesterday"));
        assert!(quality.skipped_examples[1].reason.contains("Low 'abc'"));
        let file = &parsed.quality;
        assert_eq!((file.skipped_rows, file.unattributed_rows), (3, 1));
        assert_eq!(file.unattributed_examples[0].line, 5);
        assert!(file.unattributed_examples[0].reason.contains("BTCEUR"));
    }

    #[test]
    fn rows_naming_no_product_of_the_quote_are_counted_on_the_data_set() {
        let parsed = parse(&format!(
            "{HEADER}2019-07-04 01:00,BTCEUR,1,2,0.5,1,1,1\n\
             2019-07-04 00:00,BTCEUR,1,2,0.5,1,1,1\n"
        ))
        .unwrap();
        assert_eq!((parsed.rows, parsed.entries.len()), (2, 0));
        assert_eq!((parsed.quality.unattributed_rows, parsed.quality.skipped_rows), (2, 2));
        let lines: Vec<u64> = parsed.quality.unattributed_examples.iter().map(|s| s.line).collect();
        assert_eq!(lines, [2, 3]);
    }

    #[test]
    fn inconsistent_bars_are_kept_and_counted() {
        let parsed = parse(&format!("{HEADER}2019-07-04 00:00,BTCUSD,5,2,1,1,1,1\n")).unwrap();
        assert_eq!(parsed.entries[0].series.len(), 1);
        assert_eq!(parsed.entries[0].quality.inconsistent_bars, 1);
    }

    #[test]
    fn a_missing_column_or_empty_file_is_a_typed_error() {
        let err = parse("Date,Symbol,Open,High,Low,Close\n").unwrap_err();
        assert!(matches!(err, DataFormatError::UnrecognisedHeader { .. }));
        assert!(err.to_string().contains("no 'volumefrom' column"), "{err}");
        assert_eq!(parse("").unwrap_err(), DataFormatError::Empty { format: CsvFormat::Long });
        let err = parse_long(b"Date,Symbol\xff,Open\n", usd(), Granularity::OneHour).unwrap_err();
        assert_eq!(err.to_string(), "the header line of the long CSV file cannot be read: column 2 is not valid UTF-8");
    }
}
