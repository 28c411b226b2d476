//! The wide CSV layout: one row per bar, five `SYM:field` columns per symbol.

use super::builder::{SeriesBuilder, finish_file};
use super::format::{
    CsvFormat, DataFormatError, ParsedCsv, csv_reader, line_of, line_of_error, parse_price, parse_volume, read_header,
};
use super::quality::SkippedRow;
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
/// skipped; partly empty or bad cells skip that symbol's bar. A row that cannot be read, has
/// the wrong number of cells or a bad date is skipped as a whole and counted once, on the
/// data set ([`ParsedCsv::quality`]); each product sees the lost bar as a gap.
pub fn parse_wide(input: &[u8], quote: Currency, granularity: Granularity) -> Result<ParsedCsv, DataFormatError> {
    let mut reader = csv_reader(input);
    let header = read_header(&mut reader, CsvFormat::Wide)?;
    let symbols = locate_symbols(&header)?;
    let mut builders = Vec::with_capacity(symbols.len());
    for columns in &symbols {
        let base = Currency::new(&columns.symbol).map_err(|err| unrecognised(&header, err.to_string()))?;
        builders.push(SeriesBuilder::new(ProductId::new(base, quote), granularity));
    }
    let mut rows = 0;
    let mut unattributed = Vec::new();
    for result in reader.records() {
        rows += 1;
        let record = match result {
            Ok(record) => record,
            Err(err) => {
                unattributed.push(SkippedRow { line: line_of_error(&err), reason: format!("unreadable row: {err}") });
                continue;
            }
        };
        let line = line_of(&record);
        if record.len() != header.len() {
            let reason = format!("expected {} cells, found {}", header.len(), record.len());
            unattributed.push(SkippedRow { line, reason });
            continue;
        }
        let date = &record[0];
        let Ok(start) = Timestamp::parse(date) else {
            unattributed.push(SkippedRow { line, reason: format!("date '{date}' is not YYYY-MM-DD") });
            continue;
        };
        for (builder, columns) in builders.iter_mut().zip(&symbols) {
            let cells = columns.positions.map(|p| p.map_or("", |p| &record[p]));
            if cells.iter().all(|cell| cell.is_empty()) {
                builder.empty_row(line);
                continue;
            }
            match candle_of(start, &columns.symbol, cells) {
                Ok(candle) => builder.push(line, candle),
                Err(reason) => builder.skip(line, reason),
            }
        }
    }
    Ok(finish_file(rows, builders, unattributed))
}

/// Symbols in order of first appearance, each with all five fields present exactly once.
fn locate_symbols(header: &csv::StringRecord) -> Result<Vec<SymbolColumns>, DataFormatError> {
    let first = &header[0];
    if first.split_once(':').is_some_and(|(_, field)| FIELDS.iter().any(|f| f.eq_ignore_ascii_case(field))) {
        return Err(unrecognised(header, format!("the first column must be the date, but it is '{first}'")));
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
    fn bad_cells_skip_that_symbols_bar_and_bad_rows_are_counted_once_on_the_data_set() {
        let parsed = parse(&format!(
            "{HEADER}2016-05-25,450,460,440,455,10,11,12,10,,300\n\
             someday,450,460,440,455,10,11,12,10,12,300\n\
             2016-05-27,465,480,460,470,9\n"
        ))
        .unwrap();
        let [btc, eth] = [&parsed.entries[0].quality, &parsed.entries[1].quality];
        assert_eq!((btc.candles, btc.skipped_rows), (1, 0));
        assert_eq!((eth.candles, eth.skipped_rows), (0, 1));
        assert_eq!(eth.skipped_examples[0], SkippedRow { line: 2, reason: "ETH:close is empty".into() });
        let file = &parsed.quality;
        assert_eq!((file.skipped_rows, file.unattributed_rows), (3, 2));
        let reasons: Vec<&str> = file.unattributed_examples.iter().map(|s| s.reason.as_str()).collect();
        assert_eq!(reasons, ["date 'someday' is not YYYY-MM-DD", "expected 11 cells, found 6"]);
        assert_eq!(file.unattributed_examples.iter().map(|s| s.line).collect::<Vec<_>>(), [3, 4]);
    }

    #[test]
    fn a_header_without_all_five_fields_per_symbol_is_a_typed_error() {
        for (header, problem) in [
            (",BTC:open,BTC:high,BTC:low,BTC:close\n", "no 'BTC:volume' column"),
            (",BTC:open,BTC:open\n", "appears twice"),
            (",BTC:vwap\n", "unknown field 'vwap'"),
            ("Date,Symbol,Open\n", "column 'Symbol' is not SYM:field"),
            ("Date\n", "no SYM:field columns"),
            (
                "BTC:open,BTC:high,BTC:low,BTC:close,BTC:volume\n",
                "the first column must be the date, but it is 'BTC:open'",
            ),
        ] {
            let err = parse(header).unwrap_err();
            assert!(err.to_string().contains(problem), "{err}");
        }
        assert_eq!(parse("").unwrap_err(), DataFormatError::Empty { format: CsvFormat::Wide });
        let err = parse_wide(b"\xff,BTC:open\n", Currency::new("USD").unwrap(), Granularity::OneDay).unwrap_err();
        assert_eq!(err.to_string(), "the header line of the wide CSV file cannot be read: column 1 is not valid UTF-8");
    }
}
