//! The `--report` pages of `coinswarm backtest` and of the validators: each one self-contained
//! HTML file that opens offline.
//!
//! Everything is inline: the CSS, and the charts as SVG drawn here in Rust. There is no
//! JavaScript, no font or image to fetch and no network access of any kind. Every piece of text
//! that comes from data (strategy and data set names, products, agents) is escaped.
//!
//! - [`BacktestReport`]: the page, from a [`BacktestResult`] and the price bars replayed.
//! - `backtest_charts`: the equity curve, the drawdown under it, the price with trade markers.
//! - `time_chart`: the SVG chart itself; each drawn series is a `<path class="series …">` inside
//!   an `<svg>` with a stable id (`equity-chart`, `drawdown-chart`, `price-chart`).
//! - `downsample`: long series are thinned to at most 2,000 points per chart by keeping the
//!   lowest and highest point of each bucket of consecutive bars, so spikes survive.
//! - `tables`: every metric with its unit, the last 500 trades, per-agent attribution.
//! - `page`: the head, inline style sheet and end every page shares.
//! - [`RandomWindowPage`] (`validate random-window`): histograms of the windows' Sharpe, return
//!   and drawdown (`windows-chart`, `windows-return-chart`, `windows-drawdown-chart`, each bar a
//!   `<rect class="bar …">`) with the pass thresholds marked, the pass rate and the verdict.
//! - [`WalkForwardPage`] (`validate walk-forward`): in-sample vs out-of-sample bars per fold
//!   (`folds-chart`), the parameters chosen per fold, the compounded out-of-sample equity
//!   (`oos-equity-chart`).
//! - `bar_chart`: the SVG bar chart of both validator pages.

mod backtest_charts;
mod bar_chart;
mod downsample;
mod escape;
mod page;
mod random_window_page;
mod tables;
mod time_chart;
mod walk_forward_page;

pub use random_window_page::RandomWindowPage;
pub use walk_forward_page::WalkForwardPage;

use backtest_charts::{MAX_MARKED_TRADES, drawdown_chart, equity_chart, price_chart, time_range};
use coinswarm_core::backtest::BacktestResult;
use coinswarm_core::backtest::metrics::AgentAttribution;
use coinswarm_core::market::Candle;
use downsample::MAX_POINTS_PER_SERIES;
use escape::escape;
use std::fmt::Write;
use tables::{MAX_LISTED_TRADES, attribution_table, metrics_table, trades_table};

/// What the report shows.
#[derive(Debug)]
pub struct BacktestReport<'a> {
    /// The data set's name or file path, as the user gave it.
    pub data: &'a str,
    pub result: &'a BacktestResult,
    /// The bars of the first product in `result.products`, as replayed.
    pub prices: &'a [Candle],
    /// The annual risk-free rate behind Sharpe and Sortino, as a fraction (0.04 = 4 %).
    pub risk_free_rate: f64,
    /// Per-agent attribution: a section of its own when not empty (committee runs).
    pub attribution: &'a [AgentAttribution],
}

impl BacktestReport<'_> {
    /// The whole page as one HTML document.
    pub fn to_html(&self) -> String {
        let r = self.result;
        let bar_ms = r.granularity.millis();
        let x_range = time_range(r, self.prices, bar_ms);
        let product = r.products.first().map_or_else(String::new, |p| p.to_string());
        let products = r.products.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(", ");
        let quote = r.products.first().map_or_else(String::new, |p| p.quote.to_string());
        let span = match (r.equity_curve.first(), r.equity_curve.last()) {
            (Some(first), Some(last)) => format!("{} → {}", first.time, last.time),
            _ => "no bars".to_string(),
        };
        let title = format!("Backtest: {} on {}", r.strategy, self.data);

        let mut html = page::open(&title);
        let _ = write!(
            html,
            "<header><h1>{}</h1><p>{} ({}) · {} bars · {span} · equity {} → {} {}</p></header>",
            escape(&title),
            escape(&products),
            escape(r.granularity.as_str()),
            r.bars,
            r.initial_equity.round_dp(2),
            r.final_equity.round_dp(2),
            escape(&quote)
        );
        let _ = write!(
            html,
            r#"<p class="note" id="market-model">Market model: {}.</p>"#,
            escape(&r.market_model.to_string())
        );
        if let Some(notice) = &r.restriction_notice {
            let _ = write!(
                html,
                r#"<section id="restrictions"><h2>Could not add risk</h2><p class="warning">{}</p></section>"#,
                escape(notice)
            );
        }
        let _ = write!(
            html,
            r#"<section id="equity"><h2>Equity and drawdown</h2>{}{}<p class="note">Equity in {} at each bar's close, open positions marked to it; drawdown is the fall below the highest equity so far, in percent.</p></section>"#,
            equity_chart(r, x_range).to_svg(),
            drawdown_chart(r, x_range).to_svg(),
            escape(&quote)
        );
        let _ = write!(
            html,
            r#"<section id="price"><h2>Price of {} and trades</h2>{}<p class="note"><span class="entry">▲</span> entry and <span class="exit">▼</span> exit at the average fill price (the last {MAX_MARKED_TRADES} trades at most); the line is each bar's close.</p></section>"#,
            escape(&product),
            price_chart(r, self.prices, bar_ms, x_range).to_svg()
        );
        let _ = write!(
            html,
            r#"<section id="metrics"><h2>Metrics</h2>{}</section>"#,
            metrics_table(&r.metrics, &quote, self.risk_free_rate)
        );
        if !self.attribution.is_empty() {
            let _ = write!(
                html,
                r#"<section id="attribution"><h2>Per-agent attribution</h2>{}<p class="note">Accuracy: share of the agent's scored directional votes whose direction matched the outcome. Final weight: the agent's committee weight at the end of the run.</p></section>"#,
                attribution_table(self.attribution)
            );
        }
        let _ = write!(html, r#"<section id="trades"><h2>Trades</h2>{}</section>"#, trades_table(&r.trades));
        let _ = write!(
            html,
            "<footer>Charts longer than {MAX_POINTS_PER_SERIES} points are thinned to the lowest and highest point of each run of consecutive bars, so every spike and the deepest drawdown stay visible. At most {MAX_LISTED_TRADES} trades are listed; <code>--json</code> carries them all. {}</footer>",
            page::SELF_CONTAINED
        );
        html.push_str(page::CLOSE);
        html
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use coinswarm_core::backtest::MarketModel;
    use coinswarm_core::backtest::metrics::{ClosedTrade, EquityPoint, Metrics, MetricsConfig};
    use coinswarm_core::exchange::ExchangeConfig;
    use coinswarm_core::market::{Granularity, ProductId};
    use coinswarm_core::time::{HOUR_MS, Timestamp};
    use rust_decimal::Decimal;

    /// `bars` hourly bars of a product whose price rises 1 a bar from 100 but crashes to 10 at
    /// bar 5,000, an all-in equity curve that follows it, and `trades`.
    fn run(bars: usize, trades: Vec<ClosedTrade>) -> (BacktestResult, Vec<Candle>) {
        let price = |i: usize| Decimal::from(if i == 5_000 { 10 } else { 100 + i as i64 });
        let candles: Vec<_> = (0..bars)
            .map(|i| {
                let p = price(i);
                Candle {
                    start: Timestamp(i as i64 * HOUR_MS),
                    open: p,
                    high: p,
                    low: p,
                    close: p,
                    volume: Decimal::ONE,
                }
            })
            .collect();
        let curve: Vec<_> = (0..bars)
            .map(|i| EquityPoint {
                time: Timestamp((i as i64 + 1) * HOUR_MS),
                equity: price(i) * Decimal::from(1000),
                exposure: Decimal::ZERO,
            })
            .collect();
        let metrics =
            Metrics::compute(&curve, &trades, Decimal::ZERO, Decimal::ZERO, HOUR_MS, &MetricsConfig::default());
        let result = BacktestResult {
            strategy: "sma-cross(10,30)".into(),
            products: vec![ProductId::parse("BTC-USD").unwrap()],
            granularity: Granularity::OneHour,
            bars: bars as u64,
            initial_equity: Decimal::from(100_000),
            final_equity: curve.last().map_or(Decimal::ZERO, |p| p.equity),
            fees_paid: Decimal::ZERO,
            traded_notional: Decimal::ZERO,
            market_model: MarketModel::of(&ExchangeConfig::default()),
            metrics,
            attribution: vec![],
            restrictions: None,
            restriction_notice: None,
            trades,
            trades_not_listed: 0,
            equity_curve: curve,
            equity_curve_stride: 1,
        };
        (result, candles)
    }

    fn trade(entry_hour: i64) -> ClosedTrade {
        ClosedTrade {
            product_id: ProductId::parse("BTC-USD").unwrap(),
            entry_time: Timestamp(entry_hour * HOUR_MS),
            exit_time: Timestamp((entry_hour + 3) * HOUR_MS),
            entry_price: Decimal::from(100),
            exit_price: Decimal::from(103),
            size: Decimal::ONE,
            pnl: Decimal::from(3),
            fees: Decimal::ZERO,
            return_fraction: 0.03,
        }
    }

    fn html(result: &BacktestResult, prices: &[Candle], data: &str, attribution: &[AgentAttribution]) -> String {
        BacktestReport { data, result, prices, risk_free_rate: 0.04, attribution }.to_html()
    }

    /// The `d` of the first `<path class="series…">` inside the `<svg id="{id}">`.
    fn series_path<'h>(html: &'h str, id: &str) -> &'h str {
        let svg = &html[html.find(&format!(r#"<svg id="{id}""#)).expect(id)..];
        let svg = &svg[..svg.find("</svg>").unwrap()];
        let d = &svg[svg.find(r#"class="series"#).expect("a series")..];
        let d = &d[d.find("d=\"").unwrap() + 3..];
        &d[..d.find('"').unwrap()]
    }

    #[test]
    fn names_from_the_data_are_escaped_everywhere() {
        let (mut result, prices) = run(50, vec![]);
        result.strategy = "<script>alert(1)</script>".into();
        let agents = [AgentAttribution {
            agent: "<b>trend</b>".into(),
            votes: 3,
            vetoes: 1,
            accuracy: Some(0.5),
            final_weight: 1.2,
        }];
        let page = html(&result, &prices, "my \"data\" & <more>", &agents);
        assert!(!page.contains("<script") && !page.contains("<b>") && !page.contains("<more>"), "{page}");
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt; on my &quot;data&quot; &amp; &lt;more&gt;"));
        assert!(page.contains("&lt;b&gt;trend&lt;/b&gt;"));
    }

    #[test]
    fn the_page_is_self_contained() {
        let (result, prices) = run(50, vec![trade(5)]);
        let page = html(&result, &prices, "bitfinex-btcusd-1h", &[]);
        for outside in ["<script", "http://", "https://", "<link", "@import", "url("] {
            assert!(!page.contains(outside), "{outside} in the page");
        }
    }

    #[test]
    fn long_series_are_thinned_but_keep_the_crash() {
        let (result, prices) = run(17_583, vec![]);
        let page = html(&result, &prices, "d", &[]);
        for id in ["equity-chart", "drawdown-chart", "price-chart"] {
            let points = series_path(&page, id).matches(['M', 'L']).count();
            assert!((500..=2_003).contains(&points), "{id}: {points} points");
        }
        // The one-bar crash to 10 is the price axis's low: the axis starts at 0.
        let price = &page[page.find(r#"<svg id="price-chart""#).unwrap()..];
        assert!(price.contains(r#"<text class="value" x="72.0" y="280.0">0</text>"#), "{}", &price[..2_000]);
    }

    #[test]
    fn an_empty_trade_list_renders_with_a_note_and_no_markers() {
        let (result, prices) = run(50, vec![]);
        let page = html(&result, &prices, "d", &[]);
        assert!(page.contains(r#"<p id="trades-table" class="note">No trades.</p>"#));
        assert!(!page.contains(r#"class="markers"#));
        assert!(page.contains(r#"<table id="metrics-table">"#) && page.ends_with("</html>"));
    }

    #[test]
    fn trades_are_marked_on_the_price_and_only_the_last_500_listed() {
        let trades: Vec<_> = (0..600).map(|i| trade(i * 4)).collect();
        let (result, prices) = run(3_000, trades);
        let page = html(&result, &prices, "d", &[]);
        assert_eq!(page.matches("<tr class=\"win\">").count(), 500);
        assert!(page.contains("The last 500 of 600 trades") && page.contains("<td>101</td>"));
        assert!(!page.contains("<td>100</td><td>BTC-USD"));
        let entries = &page[page.find(r#"class="markers entry" d=""#).unwrap()..];
        assert_eq!(entries[..entries.find("/>").unwrap()].matches('M').count(), 600);
    }

    #[test]
    fn attribution_has_a_section_only_when_there_is_some() {
        let (result, prices) = run(50, vec![]);
        assert!(!html(&result, &prices, "d", &[]).contains("attribution-table"));
        let agents =
            [AgentAttribution { agent: "risk".into(), votes: 10, vetoes: 4, accuracy: None, final_weight: 0.8 }];
        let page = html(&result, &prices, "d", &agents);
        assert!(page.contains("<tr><th>risk</th><td>10</td><td>4</td><td>n/a</td><td>0.800</td></tr>"), "{page}");
    }

    #[test]
    fn the_metrics_table_states_the_annualisation_factor_and_the_risk_free_rate() {
        let (result, prices) = run(50, vec![]);
        let page = html(&result, &prices, "d", &[]);
        assert!(page.contains("<td>8760 bars a year</td>"));
        assert!(page.contains("annualised, risk-free rate 4.00% a year"));
    }
}
