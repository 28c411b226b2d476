//! The wide CSV layout: one row per bar, five `SYM:field` columns per symbol.

use super::builder::SeriesBuilder;
use super::format::{CsvFormat, DataFormatError, ParsedCsv, line_of, line_of_error, parse_price, parse_volume};
use crate::market::{Candle, Currency, Granularity, ProductId};
use crate::time::Timestamp;

const EXPECTED: &str = "a date column, then SYM:open, SYM:high, SYM:low, SYM:close and SYM:volume for each symbol";
const FIELDS: [&str; 5] = ["open", "high", "low", "close", "volume"];

/// One symbol's columns: positions of open, high, low, close and volume.
#[derive(Debug)]
struct SymbolColumns {
    symbol: String,
    positions: [Option<usize>; 5],
}

/// Parses the wide layout; `SYM` with quote `USD` is product `SYM-USD`. The first column
/// is the bar's date (UTC, any name, usually empty). A row whose five cells for a symbol are
/// all empty before that symbol's first candle means "not listed yet" and is counted, not
/// skipped; partly empty cells skip that symbol's row.
pub fn parse_wide(input: &[u8], quote: Currency, granularity: Granularity) -> Result<ParsedCsv, DataFormatError> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(input);
    let header = reader.headers().cloned().unwrap_or_default();
    let symbols = locate_symbols(&header)?;
    let mut builders = Vec::with_capacity(symbols.len());
    for columns in &symbols {
        let base = Currency::new(&columns.symbol).map_err(|err| unrecognised(&header, err.to_string()))?;
        builders.push(SeriesBuilder::new(ProductId::new(base, quote), granularity));
    }
    let mut rows = 0;
    for result in reader.records() {
        rows += 1;
        let record = match result {
            Ok(record) => record,
            Err(err) => {
                let line = line_of_error(&err);
                builders.iter_mut().for_each(|b| b.skip(line, format!("unreadable row: {err}")));
                continue;
            }
        };
        let line = line_of(&record);
        if record.len() != header.len() {
            let reason = format!("expected {} cells, found {}", header.len(), record.len());
            builders.iter_mut().for_each(|b| b.skip(line, reason.clone()));
            continue;
        }
        let date = &record[0];
        let Ok(start) = Timestamp::parse(date) else {
            let reason = format!("date '{date}' is not YYYY-MM-DD");
            builders.iter_mut().for_each(|b| b.skip(line, reason.clone()));
            continue;
        };
        for (builder, columns) in builders.iter_mut().zip(&symbols) {
            let cells = columns.positions.map(|p| p.map_or("", |p| &record[p]));
            if cells.iter().all(|cell| cell.is_empty()) {
                builder.empty_row(line);
                continue;
            }
            match candle_of(start, &columns.symbol, cells) {
                Ok(candle) => builder.push(candle),
                Err(reason) => builder.skip(line, reason),
            }
        }
    }
    Ok(ParsedCsv { rows, entries: builders.into_iter().map(SeriesBuilder::finish).collect() })
}

/// Symbols in order of first appearance, each with all five fields present exactly once.
fn locate_symbols(header: &csv::StringRecord) -> Result<Vec<SymbolColumns>, DataFormatError> {
    if header.iter().all(str::is_empty) {
        return Err(DataFormatError::Empty { format: CsvFormat::Wide });
    }
    let mut symbols: Vec<SymbolColumns> = Vec::new();
    for (position, name) in header.iter().enumerate().skip(1) {
        let (symbol, field) =
            name.split_once(':').ok_or_else(|| unrecognised(header, format!("column '{name}' is not SYM:field")))?;
        let field_index = FIELDS
            .iter()
            .position(|f| f.eq_ignore_ascii_case(field))
            .ok_or_else(|| unrecognised(header, format!("column '{name}' has an unknown field '{field}'")))?;
        let symbol = symbol.to_ascii_uppercase();
        let columns = match symbols.iter().position(|s| s.symbol == symbol) {
            Some(index) => &mut symbols[index],
            None => {
                symbols.push(SymbolColumns { symbol, positions: [None; 5] });
                symbols.last_mut().expect("just pushed")
            }
        };
        if columns.positions[field_index].replace(position).is_some() {
            return Err(unrecognised(header, format!("column '{name}' appears twice")));
        }
    }
    if symbols.is_empty() {
        return Err(unrecognised(header, "no SYM:field columns".to_string()));
    }
    for columns in &symbols {
        if let Some(missing) = columns.positions.iter().position(Option::is_none) {
            let problem = format!("no '{}:{}' column", columns.symbol, FIELDS[missing]);
            return Err(unrecognised(header, problem));
        }
    }
    Ok(symbols)
}

fn unrecognised(header: &csv::StringRecord, problem: String) -> DataFormatError {
    DataFormatError::UnrecognisedHeader {
        format: CsvFormat::Wide,
        header: header.iter().collect::<Vec<_>>().join(","),
        problem,
        expected: EXPECTED,
    }
}

fn candle_of(start: Timestamp, symbol: &str, [open, high, low, close, volume]: [&str; 5]) -> Result<Candle, String> {
    let name = |field: &str| format!("{symbol}:{field}");
    Ok(Candle {
        start,
        open: parse_price(&name("open"), open)?,
        high: parse_price(&name("high"), high)?,
        low: parse_price(&name("low"), low)?,
        close: parse_price(&name("close"), close)?,
        volume: parse_volume(&name("volume"), volume)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    const HEADER: &str =
        ",BTC:open,BTC:high,BTC:low,BTC:close,BTC:volume,ETH:open,ETH:high,ETH:low,ETH:close,ETH:volume\n";

    fn parse(text: &str) -> Result<ParsedCsv, DataFormatError> {
        parse_wide(text.as_bytes(), Currency::new("USD").unwrap(), Granularity::OneDay)
    }

    #[test]
    fn each_symbol_becomes_a_series_and_leading_empty_cells_mark_the_listing() {
        let parsed = parse(&format!(
            "{HEADER}2016-05-25,450,460,440,455,10,,,,,\n\
             2016-05-26,455,470,450,465,12,,,,,\n\
             2016-05-27,465,480,460,470,9,11,12,10,12,300\n"
        ))
        .unwrap();
        assert_eq!(parsed.rows, 3);
        let [btc, eth] = [&parsed.entries[0], &parsed.entries[1]];
        assert_eq!(btc.series.product_id().to_string(), "BTC-USD");
        assert_eq!(eth.series.product_id().to_string(), "ETH-USD");
        assert_eq!((btc.series.len(), eth.series.len()), (3, 1));
        assert_eq!((btc.quality.leading_empty_rows, btc.quality.listed_at), (0, None));
        assert_eq!(eth.quality.leading_empty_rows, 2);
        assert_eq!(eth.quality.listed_at, Some(Timestamp::parse("2016-05-27").unwrap()));
        assert_eq!(eth.series.candles()[0].volume, Decimal::from(300));
        assert!(eth.quality.is_clean());
    }

    #[test]
    fn partly_empty_and_malformed_rows_are_skipped_per_symbol_with_reasons() {
        let parsed = parse(&format!(
            "{HEADER}2016-05-25,450,460,440,455,10,11,12,10,,300\n\
             someday,450,460,440,455,10,11,12,10,12,300\n\
             2016-05-27,465,480,460,470,9\n"
        ))
        .unwrap();
        let [btc, eth] = [&parsed.entries[0].quality, &parsed.entries[1].quality];
        assert_eq!((btc.candles, btc.skipped_rows), (1, 2));
        assert_eq!((eth.candles, eth.skipped_rows), (0, 3));
        assert_eq!(eth.skipped_examples[0].reason, "ETH:close is empty");
        assert_eq!(eth.skipped_examples[1].reason, "date 'someday' is not YYYY-MM-DD");
        assert_eq!(eth.skipped_examples[2].reason, "expected 11 cells, found 6");
        assert_eq!(eth.skipped_examples.iter().map(|s| s.line).collect::<Vec<_>>(), [2, 3, 4]);
    }

    #[test]
    fn a_header_without_all_five_fields_per_symbol_is_a_typed_error() {
        for (header, problem) in [
            (",BTC:open,BTC:high,BTC:low,BTC:close\n", "no 'BTC:volume' column"),
            (",BTC:open,BTC:open\n", "appears twice"),
            (",BTC:vwap\n", "unknown field 'vwap'"),
            ("Date,Symbol,Open\n", "column 'Symbol' is not SYM:field"),
            ("Date\n", "no SYM:field columns"),
        ] {
            let err = parse(header).unwrap_err();
            assert!(err.to_string().contains(problem), "{err}");
        }
        assert_eq!(parse("").unwrap_err(), DataFormatError::Empty { format: CsvFormat::Wide });
    }

    #[test]
    fn the_bundled_daily_files_parse_every_cell_or_count_it_as_not_yet_listed() {
        for name in ["bitfinex-daily", "bitstamp-daily"] {
            let bundled = coinswarm_data::find(name).unwrap();
            let parsed = parse(bundled.contents).unwrap();
            for entry in &parsed.entries {
                let q = &entry.quality;
                assert_eq!(q.skipped_rows, 0, "{} {}", bundled.name, q.product_id);
                assert_eq!(q.candles + q.leading_empty_rows, parsed.rows, "{} {}", bundled.name, q.product_id);
            }
        }
    }
}
