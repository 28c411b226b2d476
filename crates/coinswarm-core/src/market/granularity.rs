//! Candle lengths, named as Coinbase Advanced Trade names them.

use crate::time::{DAY_MS, HOUR_MS, MINUTE_MS};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The length of a candle. Names and set follow Coinbase Advanced Trade's `granularity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Granularity {
    OneMinute,
    FiveMinute,
    FifteenMinute,
    ThirtyMinute,
    OneHour,
    TwoHour,
    FourHour,
    SixHour,
    OneDay,
}

impl Granularity {
    pub const ALL: [Granularity; 9] = [
        Granularity::OneMinute,
        Granularity::FiveMinute,
        Granularity::FifteenMinute,
        Granularity::ThirtyMinute,
        Granularity::OneHour,
        Granularity::TwoHour,
        Granularity::FourHour,
        Granularity::SixHour,
        Granularity::OneDay,
    ];

    /// The length of one bar in milliseconds.
    pub const fn millis(self) -> i64 {
        match self {
            Granularity::OneMinute => MINUTE_MS,
            Granularity::FiveMinute => 5 * MINUTE_MS,
            Granularity::FifteenMinute => 15 * MINUTE_MS,
            Granularity::ThirtyMinute => 30 * MINUTE_MS,
            Granularity::OneHour => HOUR_MS,
            Granularity::TwoHour => 2 * HOUR_MS,
            Granularity::FourHour => 4 * HOUR_MS,
            Granularity::SixHour => 6 * HOUR_MS,
            Granularity::OneDay => DAY_MS,
        }
    }

    /// Coinbase's name, e.g. `ONE_HOUR`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Granularity::OneMinute => "ONE_MINUTE",
            Granularity::FiveMinute => "FIVE_MINUTE",
            Granularity::FifteenMinute => "FIFTEEN_MINUTE",
            Granularity::ThirtyMinute => "THIRTY_MINUTE",
            Granularity::OneHour => "ONE_HOUR",
            Granularity::TwoHour => "TWO_HOUR",
            Granularity::FourHour => "FOUR_HOUR",
            Granularity::SixHour => "SIX_HOUR",
            Granularity::OneDay => "ONE_DAY",
        }
    }

    /// The granularity whose bar is exactly `ms` long, if any.
    pub fn from_millis(ms: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.millis() == ms)
    }
}

impl fmt::Display for Granularity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A granularity name Coinbase does not define.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown granularity '{0}': expected one of ONE_MINUTE, FIVE_MINUTE, FIFTEEN_MINUTE, THIRTY_MINUTE, ONE_HOUR, TWO_HOUR, FOUR_HOUR, SIX_HOUR, ONE_DAY"
)]
pub struct GranularityError(pub String);

impl FromStr for Granularity {
    type Err = GranularityError;
    /// Accepts Coinbase's names in any case (`ONE_HOUR`, `one_hour`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let upper = s.trim().to_ascii_uppercase();
        Self::ALL.into_iter().find(|g| g.as_str() == upper).ok_or_else(|| GranularityError(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_lengths_are_exact() {
        for g in Granularity::ALL {
            assert_eq!(g.as_str().parse::<Granularity>().unwrap(), g);
            assert_eq!(Granularity::from_millis(g.millis()), Some(g));
        }
        assert_eq!(Granularity::OneDay.millis(), 86_400_000);
        assert_eq!(serde_json::to_string(&Granularity::FifteenMinute).unwrap(), "\"FIFTEEN_MINUTE\"");
        assert!("HOURLY".parse::<Granularity>().is_err());
    }
}
