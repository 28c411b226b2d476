//! Synthetic candles as a stream: any number of bars in constant memory, for long backtests.

use super::config::{MAX_STREAM_BARS, Regime, SyntheticConfig};
use super::error::SyntheticError;
use super::series::{CandleWalk, LogPriceProcess};
use super::{high_volatility, mean_reverting, range_bound, trending};

/// The candles of a streamed series, oldest first; each is `Err` only once, when the walk
/// leaves the representable price range (the stream then ends).
pub type SyntheticStream = CandleWalk<Box<dyn LogPriceProcess + Send>>;

/// Streams the series `config` describes: the same candles [`generate`](super::generate) builds
/// for the same config, bar for bar, but pulled one at a time, for up to [`MAX_STREAM_BARS`]
/// bars. The regime metadata (golden cross bar, band, level) is not reported.
pub fn stream(config: &SyntheticConfig) -> Result<SyntheticStream, SyntheticError> {
    config.validate_up_to(MAX_STREAM_BARS)?;
    let process: Box<dyn LogPriceProcess + Send> = match &config.regime {
        Regime::Trending(trend) => Box::new(trending::process(config, trend)?),
        Regime::MeanReverting(reverting) => Box::new(mean_reverting::process(config, reverting)?.0),
        Regime::HighVolatility(volatile) => Box::new(high_volatility::process(volatile)?),
        Regime::RangeBound(range) => Box::new(range_bound::process(config, range)?),
    };
    CandleWalk::new(config, process)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{RegimeKind, generate};

    #[test]
    fn a_stream_yields_exactly_the_generated_candles() {
        for kind in
            [RegimeKind::Trending, RegimeKind::MeanReverting, RegimeKind::HighVolatility, RegimeKind::RangeBound]
        {
            let config = SyntheticConfig::new(kind).with_bars(600).with_seed(7);
            let streamed: Vec<_> = stream(&config).unwrap().collect::<Result<_, _>>().unwrap();
            assert_eq!(streamed, generate(&config).unwrap().candles, "{kind:?}");
        }
    }

    #[test]
    fn a_stream_may_pass_the_in_memory_limit_but_not_its_own() {
        let config = SyntheticConfig::new(RegimeKind::RangeBound).with_bars(crate::synthetic::MAX_BARS + 1);
        assert!(generate(&config).is_err());
        assert_eq!(stream(&config).unwrap().take(3).count(), 3);
        let too_many = SyntheticConfig::new(RegimeKind::RangeBound).with_bars(MAX_STREAM_BARS + 1);
        assert!(matches!(stream(&too_many), Err(SyntheticError::BarsOutOfRange(_))));
    }
}
