//! The settings of the metrics: risk-free rate and the length of a year.

use serde::{Deserialize, Serialize};

/// How returns are annualised and what they are measured against.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// Annual risk-free rate as a fraction (0.04 is 4 % a year), compounded to a per-bar rate for
    /// Sharpe and Sortino. Default 0.
    pub risk_free_rate: f64,
    /// Days in a year for annualisation and CAGR. Default 365: crypto trades every day.
    pub year_days: f64,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self { risk_free_rate: 0.0, year_days: 365.0 }
    }
}

/// A metrics setting out of its range: which one, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid metrics config: {field} {message}")]
pub struct MetricsConfigError {
    pub field: &'static str,
    pub message: &'static str,
}

impl MetricsConfig {
    /// Checks that the risk-free rate is finite and above -1 (a rate of -100 % or less has no
    /// per-bar equivalent) and that the year is a finite, positive number of days.
    /// [`Metrics::compute`](super::Metrics::compute) does not fail on an invalid config: it
    /// leaves the figures that depend on the bad setting `None`.
    pub fn validate(&self) -> Result<(), MetricsConfigError> {
        if !(self.risk_free_rate.is_finite() && self.risk_free_rate > -1.0) {
            return Err(MetricsConfigError { field: "risk_free_rate", message: "must be finite and above -1" });
        }
        if !(self.year_days.is_finite() && self.year_days > 0.0) {
            return Err(MetricsConfigError { field: "year_days", message: "must be finite and positive" });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_a_zero_rate_and_a_365_day_year() {
        let config = MetricsConfig::default();
        assert_eq!((config.risk_free_rate, config.year_days), (0.0, 365.0));
        assert_eq!(config.validate(), Ok(()));
    }

    #[test]
    fn validate_refuses_a_rate_of_minus_one_and_a_zero_year() {
        let bad_rate = MetricsConfig { risk_free_rate: -1.0, ..MetricsConfig::default() };
        assert_eq!(bad_rate.validate().unwrap_err().field, "risk_free_rate");
        let bad_year = MetricsConfig { year_days: 0.0, ..MetricsConfig::default() };
        assert_eq!(bad_year.validate().unwrap_err().field, "year_days");
        let nan_year = MetricsConfig { year_days: f64::NAN, ..MetricsConfig::default() };
        assert_eq!(nan_year.validate().unwrap_err().field, "year_days");
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(serde_json::from_str::<MetricsConfig>(r#"{"riskfree": 0.1}"#).is_err());
        let parsed: MetricsConfig = serde_json::from_str(r#"{"risk_free_rate": 0.05}"#).unwrap();
        assert_eq!(parsed, MetricsConfig { risk_free_rate: 0.05, year_days: 365.0 });
    }
}
