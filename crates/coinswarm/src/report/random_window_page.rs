//! The `--report` page of `coinswarm validate random-window`: the pass rate and verdict, and a
//! histogram of each window's Sharpe, total return and drawdown with its pass threshold marked.

use super::bar_chart::BarChart;
use super::escape::escape;
use super::page;
use coinswarm_core::backtest::validation::{RandomWindowReport, RunSummary};
use std::fmt::Write;

/// Bins of every histogram.
const BINS: usize = 12;

/// What the page shows.
#[derive(Debug)]
pub struct RandomWindowPage<'a> {
    /// The data set's name or file path, as the user gave it.
    pub data: &'a str,
    pub report: &'a RandomWindowReport,
}

impl RandomWindowPage<'_> {
    /// The whole page as one HTML document.
    pub fn to_html(&self) -> String {
        let r = self.report;
        let (c, k) = (&r.config, &r.config.criteria);
        let title = format!("Random windows: {} on {}", r.strategy, self.data);
        let mut html = page::open(&title);
        let verdict = if r.robust {
            r#"<span class="verdict pass">robust</span>"#
        } else {
            r#"<span class="verdict fail">NOT robust</span>"#
        };
        let _ = write!(
            html,
            "<header><h1>{}</h1><p>{} windows of {}–{} days, seed {} · {} of {} passed ({}) · robust if ≥ {} pass: {verdict}</p></header>",
            escape(&title),
            c.windows,
            c.min_days,
            c.max_days,
            c.seed,
            r.passed,
            r.windows.len(),
            percent(r.pass_rate),
            percent(c.robust_pass_rate)
        );
        let runs = r.windows.iter().map(|w| w.run.as_ref());
        if let Some(notice) = coinswarm_core::backtest::validation::restricted_runs_notice(runs, "windows") {
            let _ = write!(
                html,
                r#"<section id="restrictions"><h2>Could not add risk</h2><p class="warning">{}</p></section>"#,
                escape(&notice)
            );
        }
        let runs: Vec<&RunSummary> = r.windows.iter().filter_map(|w| w.run.as_ref()).collect();
        let charts = [
            (
                "windows-chart",
                "Sharpe ratio",
                runs.iter().filter_map(|r| r.sharpe).collect::<Vec<_>>(),
                Some((k.min_sharpe, format!("pass ≥ {}", k.min_sharpe))),
                (|v| format!("{v:.2}")) as fn(f64) -> String,
            ),
            ("windows-return-chart", "Total return", runs.iter().filter_map(|r| r.total_return).collect(), None, |v| {
                percent(v)
            }),
            (
                "windows-drawdown-chart",
                "Max drawdown",
                runs.iter().map(|r| r.max_drawdown).collect(),
                Some((k.max_drawdown, format!("pass ≤ {}", percent(k.max_drawdown)))),
                percent,
            ),
        ];
        for (id, name, values, threshold, show) in charts {
            let _ = write!(
                html,
                r#"<section id="{id}-section"><h2>{name} per window</h2>{}<p class="note">Windows by {}, in {BINS} equal bins, each labelled with its lower edge; {} of {} windows have one.</p></section>"#,
                histogram(id, name, &values, threshold, show).to_svg(),
                name.to_lowercase(),
                values.len(),
                r.windows.len()
            );
        }
        let _ = write!(
            html,
            "<p>Pass criteria per window: Sharpe ≥ {}, win rate ≥ {}, drawdown ≤ {}.</p><footer>{}</footer>",
            k.min_sharpe,
            percent(k.min_win_rate),
            percent(k.max_drawdown),
            page::SELF_CONTAINED
        );
        html.push_str(page::CLOSE);
        html
    }
}

/// `values` counted in [`BINS`] equal bins spanning them and the threshold, each bin labelled
/// with its lower edge, and the threshold marked where it falls.
fn histogram(
    id: &'static str,
    name: &str,
    values: &[f64],
    threshold: Option<(f64, String)>,
    show: fn(f64) -> String,
) -> BarChart {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let edges = finite.iter().copied().chain(threshold.as_ref().map(|(t, _)| *t));
    let (low, high) = edges.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| (l.min(v), h.max(v)));
    let (categories, counts, marks) = if finite.is_empty() {
        (vec![], vec![], vec![])
    } else {
        let width = if high > low { (high - low) / BINS as f64 } else { 1.0 };
        let bins = if high > low { BINS } else { 1 };
        let mut counts = vec![0.0; bins];
        for v in &finite {
            counts[(((v - low) / width) as usize).min(bins - 1)] += 1.0;
        }
        let categories = (0..bins).map(|i| show(low + i as f64 * width)).collect();
        let marks = threshold.into_iter().map(|(t, label)| ((t - low) / width, label)).collect();
        (categories, counts.into_iter().map(Some).collect(), marks)
    };
    BarChart {
        id,
        label: format!("Histogram of the windows' {}", name.to_lowercase()),
        height: 220.0,
        categories,
        groups: vec![("windows", counts)],
        marks,
        format_value: |v| format!("{v:.0}"),
    }
}

/// A fraction as a percentage with one decimal.
fn percent(value: f64) -> String {
    format!("{:.1}%", value * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use coinswarm_core::backtest::validation::{RandomWindowConfig, Window, WindowOutcome};
    use coinswarm_core::time::Timestamp;

    fn outcome(sharpe: Option<f64>, drawdown: f64) -> WindowOutcome {
        let run = RunSummary {
            from: Timestamp(0),
            to: Timestamp(86_400_000),
            bars: 24,
            total_return: Some(0.01),
            sharpe,
            win_rate: None,
            max_drawdown: drawdown,
            trades: 1,
            fees: 0.0,
            restriction_notice: None,
        };
        WindowOutcome { window: Window { start: 0, end: 24, days: 1 }, run: Some(run), passed: false, failures: vec![] }
    }

    fn report(windows: Vec<WindowOutcome>) -> RandomWindowReport {
        RandomWindowReport {
            strategy: "<b>sma</b>".into(),
            config: RandomWindowConfig::default(),
            windows,
            passed: 0,
            pass_rate: 0.0,
            robust: false,
            sharpe: None,
            win_rate: None,
            max_drawdown: None,
            total_return: None,
            trades: None,
        }
    }

    #[test]
    fn every_histogram_is_drawn_with_its_threshold_and_names_are_escaped() {
        let windows = (0..20).map(|i| outcome(Some(i as f64 / 5.0), i as f64 / 50.0)).collect();
        let html = RandomWindowPage { data: "a & b", report: &report(windows) }.to_html();
        assert!(html.contains("&lt;b&gt;sma&lt;/b&gt; on a &amp; b") && !html.contains("<b>"));
        for id in ["windows-chart", "windows-return-chart", "windows-drawdown-chart"] {
            let svg = &html[html.find(&format!(r#"<svg id="{id}""#)).expect(id)..];
            assert!(svg[..svg.find("</svg>").unwrap()].contains(r#"<rect class="bar windows""#), "{id}");
        }
        assert_eq!(html.matches(r#"<line class="mark""#).count(), 2);
        assert!(html.contains("NOT robust") && html.ends_with("</html>"));
    }

    #[test]
    fn no_windows_or_identical_values_still_render() {
        let empty = RandomWindowPage { data: "d", report: &report(vec![]) }.to_html();
        assert_eq!(empty.matches(">no data</text>").count(), 3);
        let flat = report(vec![outcome(None, 0.1), outcome(None, 0.1)]);
        let html = RandomWindowPage { data: "d", report: &flat }.to_html();
        assert!(!html.contains("NaN") && !html.contains("inf"), "{html}");
        assert!(html.contains("2 of 2 windows have one"));
    }
}
