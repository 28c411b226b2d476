//! Seeded synthetic market regimes and the intra-bar quote path of a candle.
