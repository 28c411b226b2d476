//! The `--report` page of `coinswarm validate walk-forward`: each fold's in-sample and
//! out-of-sample score side by side with the gap, the parameters chosen per fold, and the
//! equity of trading each fold's choice on its test segment, compounded.

use super::bar_chart::BarChart;
use super::downsample::Point;
use super::escape::escape;
use super::page;
use super::time_chart::{Shape, TimeChart};
use coinswarm_core::backtest::validation::WalkForwardReport;
use std::fmt::Write;

/// What the page shows.
#[derive(Debug)]
pub struct WalkForwardPage<'a> {
    /// The data set's name or file path, as the user gave it.
    pub data: &'a str,
    pub report: &'a WalkForwardReport,
}

impl WalkForwardPage<'_> {
    /// The whole page as one HTML document.
    pub fn to_html(&self) -> String {
        let r = self.report;
        let objective = format!("{:?}", r.config.objective);
        let title = format!("Walk-forward: {} on {}", r.strategy, self.data);
        let mut html = page::open(&title);
        let _ = write!(
            html,
            "<header><h1>{}</h1><p>{} {} folds · objective {} · out-of-sample return compounded: {}</p></header>",
            escape(&title),
            r.config.folds,
            if r.config.anchored { "anchored" } else { "rolling" },
            escape(&objective),
            percent(r.out_of_sample_return)
        );
        let runs = r.folds.iter().map(|f| f.out_of_sample.as_ref());
        if let Some(notice) = coinswarm_core::backtest::validation::restricted_runs_notice(runs, "test segments") {
            let _ = write!(
                html,
                r#"<section id="restrictions"><h2>Could not add risk</h2><p class="warning">{}</p></section>"#,
                escape(&notice)
            );
        }
        let _ = write!(
            html,
            r#"<section id="folds"><h2>In-sample vs out-of-sample {}</h2><p class="note"><span class="key in-sample"></span>in-sample (train) <span class="key out-of-sample"></span>out-of-sample (test); the gap is in-sample − out-of-sample.</p>{}</section>"#,
            escape(&objective),
            folds_chart(r).to_svg()
        );
        let _ = write!(html, r#"<section id="chosen"><h2>Chosen parameters</h2>{}</section>"#, chosen_table(r));
        let _ = write!(
            html,
            r#"<section id="oos-equity"><h2>Out-of-sample equity</h2>{}<p class="note">Growth of 1 traded with each fold's chosen parameters over its test segment, compounded at each segment's end.</p></section>"#,
            equity_chart(r).to_svg()
        );
        let _ = write!(html, "<footer>{}</footer>", page::SELF_CONTAINED);
        html.push_str(page::CLOSE);
        html
    }
}

/// A pair of bars per fold, labelled with the fold's gap.
fn folds_chart(r: &WalkForwardReport) -> BarChart {
    BarChart {
        id: "folds-chart",
        label: "In-sample and out-of-sample score per fold".into(),
        height: 260.0,
        categories: r
            .folds
            .iter()
            .enumerate()
            .map(|(i, f)| format!("fold {} · gap {}", i + 1, number(f.overfitting_gap)))
            .collect(),
        groups: vec![
            ("in-sample", r.folds.iter().map(|f| f.in_sample_score).collect()),
            ("out-of-sample", r.folds.iter().map(|f| f.out_of_sample_score).collect()),
        ],
        marks: vec![],
        format_value: |v| format!("{v:.2}"),
    }
}

/// Each fold's bars, chosen parameters and scores in a `<table id="chosen-table">`.
fn chosen_table(r: &WalkForwardReport) -> String {
    let mut html = String::from(
        r#"<table id="chosen-table"><thead><tr><th>Fold</th><th>Train bars</th><th>Test bars</th><th>Chosen</th><th>In-sample</th><th>Out-of-sample</th><th>Gap</th><th>Test return</th></tr></thead><tbody>"#,
    );
    for (i, f) in r.folds.iter().enumerate() {
        let chosen = f.chosen.as_ref().map_or_else(|| "none".to_string(), ToString::to_string);
        let chosen = match &f.failure {
            Some(why) => format!("{chosen} ({why})"),
            None => chosen,
        };
        let _ = write!(
            html,
            "<tr><th>{}</th><td>{}–{}</td><td>{}–{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            i + 1,
            f.fold.train.start,
            f.fold.train.end,
            f.fold.test.start,
            f.fold.test.end,
            escape(&chosen),
            number(f.in_sample_score),
            number(f.out_of_sample_score),
            number(f.overfitting_gap),
            percent(f.out_of_sample.as_ref().and_then(|run| run.total_return))
        );
    }
    html.push_str("</tbody></table>");
    html
}

/// Growth of 1 from the first test segment's start, multiplied by each segment's return at its
/// end; it stops at the first segment without a return.
fn equity_chart(r: &WalkForwardReport) -> TimeChart {
    let runs = r.folds.iter().map_while(|f| f.out_of_sample.as_ref().filter(|run| run.total_return.is_some()));
    let mut points: Vec<Point> = vec![];
    let mut growth = 1.0;
    for run in runs {
        if points.is_empty() {
            points.push(Point { x: run.from.0 as f64, y: growth });
        }
        growth *= 1.0 + run.total_return.unwrap_or(0.0);
        points.push(Point { x: run.to.0 as f64, y: growth });
    }
    let x_range = match (points.first(), points.last()) {
        (Some(first), Some(last)) => (first.x, last.x),
        _ => (0.0, 1.0),
    };
    TimeChart {
        id: "oos-equity-chart",
        label: "Out-of-sample equity, compounded over the test segments".into(),
        height: 240.0,
        x_range,
        format_value: |v| format!("{v:.2}"),
        series: vec![(Shape::Line, points)],
        markers: vec![],
    }
}

fn number(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_string(), |v| format!("{v:.2}"))
}

fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_string(), |v| format!("{:.1}%", v * 100.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use coinswarm_core::backtest::validation::{
        Fold, FoldReport, Objective, Parameters, RunSummary, Search, SearchSpace, WalkForwardConfig,
    };
    use coinswarm_core::time::Timestamp;

    fn run(day: i64, total_return: f64) -> RunSummary {
        RunSummary {
            from: Timestamp(day * 86_400_000),
            to: Timestamp((day + 10) * 86_400_000),
            bars: 240,
            total_return: Some(total_return),
            sharpe: Some(1.0),
            win_rate: None,
            max_drawdown: 0.1,
            trades: 3,
            fees: 0.0,
            restriction_notice: None,
        }
    }

    fn fold(i: usize, failure: Option<&str>) -> FoldReport {
        let ok = failure.is_none();
        FoldReport {
            fold: Fold { train: i * 10..(i + 1) * 10, test: (i + 1) * 10..(i + 2) * 10 },
            candidates: vec![],
            chosen: ok.then(|| Parameters([("fast".into(), 5.0), ("slow".into(), 50.0)].into())),
            in_sample: ok.then(|| run(i as i64 * 10 - 10, 0.2)),
            out_of_sample: ok.then(|| run(i as i64 * 10, 0.1)),
            in_sample_score: ok.then_some(2.0),
            out_of_sample_score: ok.then_some(-0.5),
            overfitting_gap: ok.then_some(2.5),
            failure: failure.map(str::to_string),
            model: None,
        }
    }

    fn report(folds: Vec<FoldReport>) -> WalkForwardReport {
        WalkForwardReport {
            strategy: "sma<'x'>".into(),
            config: WalkForwardConfig {
                folds: folds.len(),
                anchored: false,
                objective: Objective::Sharpe,
                search: Search::Grid,
                space: SearchSpace::default(),
            },
            folds,
            in_sample_score: None,
            out_of_sample_score: None,
            overfitting_gap: None,
            out_of_sample_return: Some(0.21),
        }
    }

    #[test]
    fn folds_are_drawn_in_pairs_with_the_gap_chosen_parameters_and_equity() {
        let html = WalkForwardPage { data: "d", report: &report(vec![fold(1, None), fold(2, None)]) }.to_html();
        assert_eq!(html.matches(r#"<rect class="bar in-sample""#).count(), 2);
        assert_eq!(html.matches(r#"<rect class="bar out-of-sample""#).count(), 2);
        assert!(html.contains("fold 2 · gap 2.50") && html.contains("<td>fast=5 slow=50</td>"), "{html}");
        let equity = &html[html.find(r#"<svg id="oos-equity-chart""#).unwrap()..];
        let d = &equity[equity.find(r#"<path class="series line" d=""#).unwrap()..];
        assert_eq!(d[..d.find("/>").unwrap()].matches(['M', 'L']).count(), 3);
        assert!(html.contains("sma&lt;&#39;x&#39;&gt;") && !html.contains("sma<"));
    }

    #[test]
    fn failed_or_missing_folds_still_render() {
        let failed = report(vec![fold(1, Some("<no> candidate ran"))]);
        let html = WalkForwardPage { data: "d", report: &failed }.to_html();
        assert!(html.contains("none (&lt;no&gt; candidate ran)") && !html.contains("<no>"));
        assert!(!html.contains(r#"<rect class="bar"#) && !html.contains("NaN"), "{html}");
        let empty = WalkForwardPage { data: "d", report: &report(vec![]) }.to_html();
        assert_eq!(empty.matches(">no data</text>").count(), 2);
        assert!(empty.ends_with("</html>"));
    }
}
