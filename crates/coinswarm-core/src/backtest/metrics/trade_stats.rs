//! Statistics of the closed trades: how often they win, and by how much.

use super::{ClosedTrade, finite};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

/// Win rate, profit factor and average outcomes of a trade list. A trade with `pnl > 0` is a win,
/// `pnl < 0` a loss; a break-even trade (`pnl == 0`) is neither but still counts as a trade.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TradeStats {
    /// Closed trades.
    pub count: u64,
    /// Trades with a positive P&L.
    pub wins: u64,
    /// Trades with a negative P&L.
    pub losses: u64,
    /// `wins / count`, in [0, 1]. `None` without trades.
    pub win_rate: Option<f64>,
    /// Sum of the winning trades' P&L, in the quote currency (≥ 0).
    pub gross_profit: Decimal,
    /// Sum of the losing trades' P&L as a positive amount, in the quote currency (≥ 0).
    pub gross_loss: Decimal,
    /// `gross_profit / gross_loss`. `None` when there are no losses (the ratio would be
    /// infinite); 0 when there are losses and no wins.
    pub profit_factor: Option<f64>,
    /// Mean P&L of the winning trades (positive). `None` without wins.
    pub average_win: Option<Decimal>,
    /// Mean P&L of the losing trades, signed (negative). `None` without losses.
    pub average_loss: Option<Decimal>,
    /// Mean P&L per trade, break-evens included: what one more trade is expected to earn.
    /// `None` without trades.
    pub expectancy: Option<Decimal>,
}

impl TradeStats {
    /// Statistics of `trades` (closed round trips, plus any open ones the caller valued).
    pub fn compute(trades: &[ClosedTrade]) -> Self {
        let mut tally = TradeTally::default();
        trades.iter().for_each(|trade| tally.record(trade));
        tally.finish()
    }
}

/// [`TradeStats`] gathered one trade at a time, in constant memory: a backtest of any length
/// records each round trip as it closes.
#[derive(Debug, Clone, Default)]
pub struct TradeTally {
    stats: TradeStats,
    overflowed: bool,
}

impl TradeTally {
    /// Counts one trade: a win when its P&L is positive, a loss when negative, neither at zero.
    pub fn record(&mut self, trade: &ClosedTrade) {
        let stats = &mut self.stats;
        stats.count += 1;
        let (sum, counter) = if trade.pnl > Decimal::ZERO {
            (&mut stats.gross_profit, &mut stats.wins)
        } else if trade.pnl < Decimal::ZERO {
            (&mut stats.gross_loss, &mut stats.losses)
        } else {
            return;
        };
        *counter += 1;
        match sum.checked_add(trade.pnl.abs()) {
            Some(total) => *sum = total,
            None => self.overflowed = true,
        }
    }

    /// Trades recorded.
    pub fn count(&self) -> u64 {
        self.stats.count
    }

    /// The statistics so far. Sums beyond the decimal range leave only the counts.
    pub fn finish(&self) -> TradeStats {
        let stats = &self.stats;
        if self.overflowed {
            return TradeStats { count: stats.count, wins: stats.wins, losses: stats.losses, ..TradeStats::default() };
        }
        let mut stats = stats.clone();
        let mean = |total: Decimal, n: u64| (n > 0).then(|| total / Decimal::from(n));
        stats.win_rate = (stats.count > 0).then(|| stats.wins as f64 / stats.count as f64);
        stats.profit_factor = if stats.gross_loss > Decimal::ZERO {
            stats.gross_profit.checked_div(stats.gross_loss).and_then(|pf| pf.to_f64()).and_then(finite)
        } else {
            None
        };
        stats.average_win = mean(stats.gross_profit, stats.wins);
        stats.average_loss = mean(-stats.gross_loss, stats.losses);
        stats.expectancy = mean(stats.gross_profit - stats.gross_loss, stats.count);
        stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::ProductId;
    use crate::time::Timestamp;
    use rust_decimal_macros::dec;

    fn trades(pnls: &[Decimal]) -> Vec<ClosedTrade> {
        pnls.iter()
            .map(|&pnl| ClosedTrade {
                product_id: ProductId::parse("BTC-USD").unwrap(),
                entry_time: Timestamp(0),
                exit_time: Timestamp(1),
                entry_price: dec!(100),
                exit_price: dec!(100) + pnl,
                size: dec!(1),
                pnl,
                fees: dec!(0),
                return_fraction: 0.0,
            })
            .collect()
    }

    #[test]
    fn known_wins_and_losses_give_exact_statistics() {
        // +30, −10, +20, −20, 0: 2 wins and 2 losses in 5 trades → win rate 2/5 = 0.4;
        // gross profit 30 + 20 = 50, gross loss 10 + 20 = 30 → profit factor 50/30 = 5/3;
        // average win 50/2 = 25, average loss −30/2 = −15; expectancy (50 − 30)/5 = 4.
        let stats = TradeStats::compute(&trades(&[dec!(30), dec!(-10), dec!(20), dec!(-20), dec!(0)]));
        assert_eq!((stats.count, stats.wins, stats.losses), (5, 2, 2));
        assert_eq!(stats.win_rate, Some(0.4));
        assert_eq!((stats.gross_profit, stats.gross_loss), (dec!(50), dec!(30)));
        assert!((stats.profit_factor.unwrap() - 5.0 / 3.0).abs() < 1e-15);
        assert_eq!(stats.average_win, Some(dec!(25)));
        assert_eq!(stats.average_loss, Some(dec!(-15)));
        assert_eq!(stats.expectancy, Some(dec!(4)));
    }

    #[test]
    fn no_trades_leave_every_ratio_undefined() {
        let stats = TradeStats::compute(&[]);
        assert_eq!(stats, TradeStats::default());
        assert_eq!((stats.win_rate, stats.profit_factor, stats.expectancy), (None, None, None));
    }

    #[test]
    fn no_losses_have_no_profit_factor_and_no_wins_a_factor_of_zero() {
        let winners = TradeStats::compute(&trades(&[dec!(5), dec!(15)]));
        assert_eq!((winners.win_rate, winners.profit_factor, winners.average_loss), (Some(1.0), None, None));
        assert_eq!(winners.expectancy, Some(dec!(10)));
        let losers = TradeStats::compute(&trades(&[dec!(-5), dec!(-15)]));
        assert_eq!((losers.win_rate, losers.profit_factor, losers.average_win), (Some(0.0), Some(0.0), None));
        assert_eq!(losers.expectancy, Some(dec!(-10)));
    }
}
