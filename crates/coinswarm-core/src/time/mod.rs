//! Time as UTC milliseconds since the Unix epoch.
//!
//! The core never reads a clock: every timestamp comes from the caller, from data, or from a
//! [`Clock`] it is given.

mod clock;

pub use clock::{Clock, ManualClock};

use chrono::format::{Parsed, StrftimeItems};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A point in time: UTC milliseconds since 1970-01-01T00:00:00Z.
///
/// Serialised as the integer number of milliseconds; displayed as RFC 3339.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

/// Milliseconds in one second, minute, hour and day.
pub const SECOND_MS: i64 = 1_000;
pub const MINUTE_MS: i64 = 60 * SECOND_MS;
pub const HOUR_MS: i64 = 60 * MINUTE_MS;
pub const DAY_MS: i64 = 24 * HOUR_MS;

impl Timestamp {
    pub const fn from_millis(ms: i64) -> Self {
        Self(ms)
    }

    pub const fn millis(self) -> i64 {
        self.0
    }

    /// This time plus `ms` milliseconds (saturating).
    pub const fn plus_millis(self, ms: i64) -> Self {
        Self(self.0.saturating_add(ms))
    }

    /// The timestamp as a chrono UTC date-time, when it is in chrono's range.
    pub fn to_datetime(self) -> Option<DateTime<Utc>> {
        DateTime::<Utc>::from_timestamp_millis(self.0)
    }

    /// RFC 3339 with second precision, or with milliseconds when they are not zero.
    pub fn to_rfc3339(self) -> String {
        match self.to_datetime() {
            Some(dt) if self.0 % SECOND_MS == 0 => dt.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            Some(dt) => dt.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
            None => format!("{}ms", self.0),
        }
    }

    /// Parses RFC 3339 (`2024-01-01T00:00:00Z`, any offset), a plain date (`2024-01-01`,
    /// meaning midnight UTC), `YYYY-MM-DD HH:MM[:SS]` in UTC (the format of exchange CSVs) or
    /// `YYYY-MM-DD HH-AM`/`HH-PM` in UTC (CryptoDataDownload's hourly files: `12-AM` is
    /// midnight, `12-PM` noon).
    pub fn parse(text: &str) -> Result<Self, TimeParseError> {
        let text = text.trim();
        if let Ok(dt) = DateTime::parse_from_rfc3339(text) {
            return Ok(Self(dt.timestamp_millis()));
        }
        if let Some(date) = plain_date(text) {
            return Ok(Self(date.and_utc().timestamp_millis()));
        }
        for format in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"] {
            if let Ok(dt) = NaiveDateTime::parse_from_str(text, format) {
                return Ok(Self(dt.and_utc().timestamp_millis()));
            }
        }
        if let Some(dt) = twelve_hour_clock(text) {
            return Ok(Self(dt.and_utc().timestamp_millis()));
        }
        Err(TimeParseError(text.to_string()))
    }

    /// Parses an inclusive upper bound: like [`Timestamp::parse`], except that a plain date
    /// means the last millisecond of that day (UTC), so `..= 2024-01-01` covers the whole
    /// day. Every other form is the instant it names.
    pub fn parse_inclusive_end(text: &str) -> Result<Self, TimeParseError> {
        match plain_date(text.trim()) {
            Some(midnight) => Ok(Self(midnight.and_utc().timestamp_millis()).plus_millis(DAY_MS - 1)),
            None => Self::parse(text),
        }
    }
}

/// Midnight of a `YYYY-MM-DD` date.
fn plain_date(text: &str) -> Option<NaiveDateTime> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?.and_hms_opt(0, 0, 0)
}

/// `YYYY-MM-DD HH-AM` or `HH-PM` with HH from 01 to 12. chrono's `%I-%p` alone never forms
/// a time (it wants minutes too), so the minute is set to zero before converting.
fn twelve_hour_clock(text: &str) -> Option<NaiveDateTime> {
    let mut parsed = Parsed::new();
    chrono::format::parse(&mut parsed, text, StrftimeItems::new("%Y-%m-%d %I-%p")).ok()?;
    parsed.set_minute(0).ok()?;
    parsed.to_naive_datetime_with_offset(0).ok()
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl FromStr for Timestamp {
    type Err = TimeParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// A time in none of the forms [`Timestamp::parse`] accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid time '{0}': expected RFC 3339 (2024-01-01T00:00:00Z) or a date (2024-01-01)")]
pub struct TimeParseError(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rfc3339_plain_dates_and_csv_times() {
        let t = Timestamp::parse("2024-01-01T00:00:00Z").unwrap();
        assert_eq!(t, Timestamp::parse("2024-01-01").unwrap());
        assert_eq!(t.millis(), 1_704_067_200_000);
        assert_eq!(Timestamp::parse("2024-01-01 01:00").unwrap(), t.plus_millis(HOUR_MS));
        assert_eq!(Timestamp::parse("2024-01-01T02:00:00+01:00").unwrap(), t.plus_millis(HOUR_MS));
        assert_eq!(t.to_string(), "2024-01-01T00:00:00Z");
        assert_eq!(t.plus_millis(5).to_string(), "2024-01-01T00:00:00.005Z");
    }

    #[test]
    fn parses_twelve_hour_csv_times_with_12_am_as_midnight_and_12_pm_as_noon() {
        let day = Timestamp::parse("2020-01-01").unwrap();
        for (text, hours) in
            [("2020-01-01 12-AM", 0), ("2020-01-01 01-AM", 1), ("2020-01-01 12-PM", 12), ("2020-01-01 11-PM", 23)]
        {
            assert_eq!(Timestamp::parse(text), Ok(day.plus_millis(hours * HOUR_MS)), "{text}");
        }
        for bad in ["2020-01-01 13-PM", "2020-01-01 00-AM", "2020-01-01 01-XM", "2020-01-01 01"] {
            assert!(Timestamp::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_inclusive_end_given_as_a_date_reaches_the_last_millisecond_of_that_day() {
        let end = Timestamp::parse_inclusive_end("2019-07-02").unwrap();
        assert_eq!(end, Timestamp::parse("2019-07-02T23:59:59.999Z").unwrap());
        let instant = "2019-07-02T05:00:00Z";
        assert_eq!(Timestamp::parse_inclusive_end(instant), Timestamp::parse(instant));
        assert_eq!(Timestamp::parse_inclusive_end("2019-07-02 05:00"), Timestamp::parse(instant));
        assert!(Timestamp::parse_inclusive_end("tomorrow").is_err());
    }

    #[test]
    fn rejects_garbage_with_the_expected_formats_named() {
        let err = Timestamp::parse("yesterday").unwrap_err();
        assert!(err.to_string().contains("RFC 3339"));
    }
}

/// Serde for a [`Timestamp`] as an RFC 3339 string (Coinbase's wire format for times such as
/// `end_time`); reading also accepts plain dates and integer milliseconds.
pub mod rfc3339 {
    use super::Timestamp;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(time: &Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&time.to_rfc3339())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Wire<'a> {
            Millis(i64),
            Text(std::borrow::Cow<'a, str>),
        }
        match Wire::deserialize(deserializer)? {
            Wire::Millis(ms) => Ok(Timestamp(ms)),
            Wire::Text(text) => Timestamp::parse(&text).map_err(serde::de::Error::custom),
        }
    }
}
