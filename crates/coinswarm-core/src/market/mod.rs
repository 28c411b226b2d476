//! What is traded and what the market shows: currencies, products, candles, quotes, trades.

mod candle;
mod currency;
mod decimal_f64;
mod granularity;
mod product;
mod quote;
mod side;
mod trade;

pub use candle::Candle;
pub use currency::{Currency, CurrencyError};
pub use decimal_f64::decimal_to_f64;
pub use granularity::{Granularity, GranularityError};
pub use product::{Product, ProductId, ProductIdError};
pub use quote::Quote;
pub use side::Side;
pub use trade::TradePrint;
