//! The report's tables: every metric with its unit, the trade list and per-agent attribution.

use super::escape::escape;
use coinswarm_core::backtest::metrics::{AgentAttribution, ClosedTrade, Metrics};
use rust_decimal::Decimal;
use std::fmt::Write;

/// Trades listed at most (the most recent); a longer list makes the page slow and unreadable,
/// and `--json` carries every trade.
pub const MAX_LISTED_TRADES: usize = 500;

const UNDEFINED: &str = "n/a";

/// Every figure of `metrics` in a `<table id="metrics-table">`: name, value with its unit, and
/// what it means, including the annualisation factor and the `risk_free_rate` (a fraction a
/// year) behind Sharpe and Sortino. Money is in `quote`. An undefined figure reads "n/a".
pub fn metrics_table(m: &Metrics, quote: &str, risk_free_rate: f64) -> String {
    let money = |d: Decimal| format!("{} {quote}", d.round_dp(2));
    let maybe_money = |d: Option<Decimal>| d.map_or_else(|| UNDEFINED.to_string(), money);
    let factor = m.periods_per_year.map_or_else(|| UNDEFINED.to_string(), |p| format!("{p:.0} bars a year"));
    let rf = format!("{:.2}% a year", risk_free_rate * 100.0);
    let dd = &m.max_drawdown;
    let t = &m.trades;
    let rows: Vec<(&str, String, String)> = vec![
        ("Bars", m.bars.to_string(), "points in the equity curve, one per bar".into()),
        ("Start equity", maybe_money(m.start_equity), "at the first bar's close".into()),
        ("End equity", maybe_money(m.end_equity), "at the last bar's close, open positions marked to it".into()),
        ("Annualisation factor", factor, "bars in a 365-day crypto year; annualised figures scale by its √".into()),
        ("Total return", percent(m.total_return), "end equity ÷ start equity − 1".into()),
        ("CAGR", percent(m.cagr), "compound annual growth over the curve's span (365-day year)".into()),
        ("Annualised volatility", percent(m.annualised_volatility), "sample σ of per-bar returns × √factor".into()),
        ("Sharpe ratio", ratio(m.sharpe), format!("annualised, risk-free rate {rf}")),
        ("Sortino ratio", ratio(m.sortino), format!("annualised, downside below the risk-free rate {rf}")),
        ("Calmar ratio", ratio(m.calmar), "CAGR ÷ max drawdown".into()),
        ("Max drawdown", percent(Some(dd.fraction)), "deepest fall from a running peak of equity".into()),
        (
            "Longest drawdown",
            format!("{} bars ({:.1} days)", dd.duration_bars, dd.duration_ms as f64 / 86_400_000.0),
            "from a peak to the first bar back at it, or to the end".into(),
        ),
        ("Trades", t.count.to_string(), "round trips, those open at the end valued at the last close".into()),
        ("Wins / losses", format!("{} / {}", t.wins, t.losses), "P&L net of fees > 0 / < 0".into()),
        ("Win rate", percent(t.win_rate), "wins ÷ trades".into()),
        ("Gross profit", money(t.gross_profit), "sum of the winning trades' P&L".into()),
        ("Gross loss", money(t.gross_loss), "sum of the losing trades' P&L, as a positive amount".into()),
        ("Profit factor", ratio(t.profit_factor), "gross profit ÷ gross loss".into()),
        ("Average win", maybe_money(t.average_win), "mean P&L of the winning trades".into()),
        ("Average loss", maybe_money(t.average_loss), "mean P&L of the losing trades".into()),
        ("Expectancy", maybe_money(t.expectancy), "mean P&L per trade".into()),
        ("Time in market", percent(m.exposure.time_in_market), "share of bars holding a position".into()),
        ("Mean exposure", percent(m.exposure.mean_exposure), "mean of |position value| ÷ equity per bar".into()),
        (
            "Turnover",
            m.turnover.map_or_else(|| UNDEFINED.into(), |x| format!("{x:.2}×")),
            "traded notional ÷ mean equity".into(),
        ),
        ("Traded notional", money(m.traded_notional), "value of every fill, buys and sells".into()),
        ("Fees paid", money(m.fees_paid), "on every fill".into()),
    ];
    let mut html = String::from(
        r#"<table id="metrics-table"><thead><tr><th>Metric</th><th>Value</th><th>Meaning</th></tr></thead><tbody>"#,
    );
    for (name, value, meaning) in rows {
        let _ =
            write!(html, "<tr><th>{}</th><td>{}</td><td>{}</td></tr>", escape(name), escape(&value), escape(&meaning));
    }
    html.push_str("</tbody></table>");
    html
}

/// The last [`MAX_LISTED_TRADES`] of `trades` in a `<table id="trades-table">`, numbered by
/// their place in the whole list, preceded by a note when some are left out.
pub fn trades_table(trades: &[ClosedTrade]) -> String {
    if trades.is_empty() {
        return r#"<p id="trades-table" class="note">No trades.</p>"#.to_string();
    }
    let first = trades.len().saturating_sub(MAX_LISTED_TRADES);
    let mut html = String::new();
    if first > 0 {
        let _ = write!(
            html,
            r#"<p class="note">The last {MAX_LISTED_TRADES} of {} trades; <code>--json</code> lists them all.</p>"#,
            trades.len()
        );
    }
    html.push_str(
        r#"<table id="trades-table"><thead><tr><th>#</th><th>Product</th><th>Entry time</th><th>Entry price</th><th>Exit time</th><th>Exit price</th><th>Size</th><th>P&amp;L</th><th>Fees</th><th>Return</th></tr></thead><tbody>"#,
    );
    for (index, t) in trades.iter().enumerate().skip(first) {
        let class = if t.pnl > Decimal::ZERO {
            "win"
        } else if t.pnl < Decimal::ZERO {
            "loss"
        } else {
            "even"
        };
        let _ = write!(
            html,
            r#"<tr class="{class}"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
            index + 1,
            escape(&t.product_id.to_string()),
            escape(&t.entry_time.to_string()),
            t.entry_price.round_dp(2),
            escape(&t.exit_time.to_string()),
            t.exit_price.round_dp(2),
            t.size.normalize(),
            t.pnl.round_dp(2),
            t.fees.round_dp(2),
            percent(Some(t.return_fraction)),
        );
    }
    html.push_str("</tbody></table>");
    html
}

/// Each agent's votes, vetoes, accuracy and final committee weight in a
/// `<table id="attribution-table">`.
pub fn attribution_table(agents: &[AgentAttribution]) -> String {
    let mut html = String::from(
        r#"<table id="attribution-table"><thead><tr><th>Agent</th><th>Votes</th><th>Vetoes</th><th>Accuracy</th><th>Final weight</th></tr></thead><tbody>"#,
    );
    for a in agents {
        let _ = write!(
            html,
            "<tr><th>{}</th><td>{}</td><td>{}</td><td>{}</td><td>{:.3}</td></tr>",
            escape(&a.agent),
            a.votes,
            a.vetoes,
            percent(a.accuracy),
            a.final_weight
        );
    }
    html.push_str("</tbody></table>");
    html
}

/// A fraction as a percentage with two decimals (0.2 → `20.00%`), or "n/a".
fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| UNDEFINED.to_string(), |v| format!("{:.2}%", v * 100.0))
}

fn ratio(value: Option<f64>) -> String {
    value.map_or_else(|| UNDEFINED.to_string(), |v| format!("{v:.3}"))
}
