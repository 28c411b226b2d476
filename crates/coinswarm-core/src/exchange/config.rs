//! Typed settings of the paper exchange.

use crate::ledger::DEFAULT_RETAINED_ORDERS;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// How the paper exchange charges and fills. Defaults are Coinbase Advanced Trade's entry tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExchangeConfig {
    /// Fee for fills of resting orders (maker), in basis points of the fill's notional. Default 40.
    pub maker_fee_bps: Decimal,
    /// Fee for fills that take liquidity (market orders, marketable limits), in basis points. Default 60.
    pub taker_fee_bps: Decimal,
    /// Adverse move applied to every taker fill price, in basis points of the quoted price. Default 0.
    pub slippage_bps: Decimal,
    /// Largest fraction (0 < cap ≤ 1) of the volume seen in one market event (a candle's
    /// volume, the quoted size at the touch, a print's size) that this account's orders may
    /// take; the rest of an order waits (limits) or is cancelled (market IOC). `None`: no cap.
    pub participation_cap: Option<Decimal>,
    /// How far through its trigger a bracket's stop may fill, as a fraction of the trigger
    /// (default 0.05, as Coinbase: a triggered SELL stop becomes a stop-limit at 95% of its
    /// trigger, a BUY's at 105%); past it, the rest waits as a limit there. In (0, 1).
    pub bracket_stop_limit_band: Decimal,
    /// Seed for the random part of order and trade ids (UUIDv7); ids are otherwise derived
    /// from event time and sequence, so the same inputs give the same ids.
    pub id_seed: u64,
    /// Ended orders the account keeps in memory (at least 1); older ones live on in the
    /// event log only. Default [`DEFAULT_RETAINED_ORDERS`] (10,000).
    pub retained_orders: usize,
}

impl Default for ExchangeConfig {
    fn default() -> Self {
        Self {
            maker_fee_bps: Decimal::from(40),
            taker_fee_bps: Decimal::from(60),
            slippage_bps: Decimal::ZERO,
            participation_cap: None,
            bracket_stop_limit_band: Decimal::new(5, 2),
            id_seed: 0,
            retained_orders: DEFAULT_RETAINED_ORDERS,
        }
    }
}

/// Largest fee or slippage accepted, in basis points (10%): beyond it a fill could cost
/// more than its notional.
pub const MAX_RATE_BPS: u32 = 1_000;

/// A setting out of its range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid exchange config: {field} {message}")]
pub struct ConfigError {
    pub field: &'static str,
    pub message: String,
}

/// One basis point as a fraction.
pub(crate) const BPS: Decimal = Decimal::from_parts(1, 0, 0, false, 4);

/// The config's basis points as the fractions and factors the hot path needs, computed once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rates {
    /// Maker and taker fees as fractions of notional.
    pub maker: Decimal,
    pub taker: Decimal,
    /// 1 + taker fee: a taker buy's cost per unit of notional.
    pub taker_cost_factor: Decimal,
    /// 1 + maker fee.
    pub maker_cost_factor: Decimal,
    /// Price factors for taker fills: 1 + slippage for buys, 1 − slippage for sells.
    pub buy_slippage_factor: Decimal,
    pub sell_slippage_factor: Decimal,
    pub has_slippage: bool,
    /// How far through its trigger a bracket's stop may fill (a fraction).
    pub bracket_band: Decimal,
}

impl ExchangeConfig {
    pub(crate) fn rates(&self) -> Rates {
        let (maker, taker, slippage) = (self.maker_fee_bps * BPS, self.taker_fee_bps * BPS, self.slippage_bps * BPS);
        Rates {
            maker,
            taker,
            taker_cost_factor: Decimal::ONE + taker,
            maker_cost_factor: Decimal::ONE + maker,
            buy_slippage_factor: Decimal::ONE + slippage,
            sell_slippage_factor: Decimal::ONE - slippage,
            has_slippage: !slippage.is_zero(),
            bracket_band: self.bracket_stop_limit_band,
        }
    }

    /// Checks the ranges a user could get wrong in a config file: fees and slippage from 0 to
    /// [`MAX_RATE_BPS`] basis points, a participation cap in (0, 1].
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (field, value) in [
            ("maker_fee_bps", self.maker_fee_bps),
            ("taker_fee_bps", self.taker_fee_bps),
            ("slippage_bps", self.slippage_bps),
        ] {
            if value.is_sign_negative() || value > Decimal::from(MAX_RATE_BPS) {
                return Err(ConfigError {
                    field,
                    message: format!("must be between 0 and {MAX_RATE_BPS} basis points, got {value}"),
                });
            }
        }
        if let Some(cap) = self.participation_cap
            && (cap <= Decimal::ZERO || cap > Decimal::ONE)
        {
            return Err(ConfigError { field: "participation_cap", message: format!("must be in (0, 1], got {cap}") });
        }
        let band = self.bracket_stop_limit_band;
        if band <= Decimal::ZERO || band >= Decimal::ONE {
            return Err(ConfigError {
                field: "bracket_stop_limit_band",
                message: format!("must be in (0, 1), got {band}"),
            });
        }
        if self.retained_orders == 0 {
            return Err(ConfigError { field: "retained_orders", message: "must be at least 1".to_string() });
        }
        Ok(())
    }
}
