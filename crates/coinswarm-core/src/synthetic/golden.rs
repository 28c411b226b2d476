//! Golden candles: the exact output of every regime for a fixed seed, so any drift in the
//! generators (a maths library, a rounding rule, the random stream) fails here.

use super::{RegimeKind, SyntheticConfig, generate};
use crate::market::Candle;

/// One line per candle: start in ms, then open, high, low, close and volume as decimals.
fn line(c: &Candle) -> String {
    format!("{} {} {} {} {} {}", c.start.millis(), c.open, c.high, c.low, c.close, c.volume)
}

/// 64-bit FNV-1a over the candles' lines, each ended by a newline.
fn fingerprint(candles: &[Candle]) -> u64 {
    candles
        .iter()
        .flat_map(|c| line(c).into_bytes().into_iter().chain([b'\n']))
        .fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
}

#[test]
fn every_regime_gives_the_pinned_candles_for_the_default_config() {
    // SyntheticConfig::new defaults: seed 42, 500 hourly BTC-USD bars from 30 000 USD.
    let pinned = [
        (RegimeKind::Trending, 0x8c49_f104_c4f2_0938, "1705863600000 47411.05 48589.56 47411.05 48496.12 9.31757677"),
        (
            RegimeKind::MeanReverting,
            0xda92_1ed0_b880_1562,
            "1705863600000 30199.79 30988.68 30199.79 30863.43 9.31757677",
        ),
        (
            RegimeKind::HighVolatility,
            0x65f5_43bd_9a43_9e39,
            "1705863600000 46269.70 51507.23 46269.70 50786.47 9.31757677",
        ),
        (RegimeKind::RangeBound, 0x1a95_b372_0670_cd08, "1705863600000 30583.75 31414.76 30583.75 31304.27 9.31757677"),
    ];
    for (kind, hash, last) in pinned {
        let candles = generate(&SyntheticConfig::new(kind)).unwrap().candles;
        assert_eq!(line(candles.last().unwrap()), last, "{kind}: last candle");
        assert_eq!(fingerprint(&candles), hash, "{kind}: FNV-1a of all 500 candles");
    }
}
