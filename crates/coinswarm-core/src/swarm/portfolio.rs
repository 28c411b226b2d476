//! The account as agents and guards see it at a decision.

/// Values in quote currency, as floats for signals (the ledger keeps the exact decimals).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PortfolioView {
    /// Cash + every position at its last price.
    pub equity: f64,
    /// Highest equity seen (only rises).
    pub peak_equity: f64,
    /// Quote currency available to trade.
    pub cash: f64,
    /// Base size held of the product being decided.
    pub position_size: f64,
    /// Average entry price of that position (0 when flat).
    pub entry_price: f64,
    /// Number of products with an open position.
    pub open_positions: usize,
}

impl PortfolioView {
    /// (peak − equity) / peak, in [0, 1]; 0 before any equity.
    pub fn drawdown(&self) -> f64 {
        if self.peak_equity > 0.0 { ((self.peak_equity - self.equity) / self.peak_equity).max(0.0) } else { 0.0 }
    }

    /// Value of the product's position at `price` as a fraction of equity.
    pub fn concentration(&self, price: f64) -> f64 {
        if self.equity > 0.0 { self.position_size * price / self.equity } else { 0.0 }
    }
}
