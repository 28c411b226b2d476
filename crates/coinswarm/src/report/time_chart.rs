//! An SVG chart over time: lines or filled areas, trade markers, a value axis and a date axis.

use super::downsample::{MAX_POINTS_PER_SERIES, Point, min_max_downsample};
use super::escape::escape;
use coinswarm_core::time::Timestamp;
use std::fmt::Write;

/// Width of every chart in SVG units; the page scales it to the window.
pub(super) const WIDTH: f64 = 960.0;
/// Room for the value labels on the left, in SVG units.
pub(super) const LEFT: f64 = 78.0;
pub(super) const RIGHT: f64 = 14.0;
pub(super) const TOP: f64 = 10.0;
/// Room for the date labels underneath, in SVG units.
pub(super) const BOTTOM: f64 = 24.0;
/// Dates labelled along the time axis.
const DATE_TICKS: usize = 6;
/// Value grid lines aimed for; the step is rounded to 1, 2 or 5 × a power of ten.
const VALUE_TICKS: f64 = 5.0;

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Line,
    /// Filled between the series and zero (the drawdown under the equity curve).
    AreaToZero,
}

/// Which end of a trade a marker stands for: an entry is an upward triangle under its price, an
/// exit a downward triangle above it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkerKind {
    Entry,
    Exit,
}

/// One chart, all of whose series share the time range `x_range` (ms since the epoch) so
/// charts stacked on a page line up.
#[derive(Debug)]
pub struct TimeChart {
    /// The `id` of the `<svg>` element.
    pub id: &'static str,
    /// What the chart shows, for screen readers (`aria-label`).
    pub label: String,
    /// Height in SVG units (the width is 960).
    pub height: f64,
    pub x_range: (f64, f64),
    /// Formats a value-axis label.
    pub format_value: fn(f64) -> String,
    /// Each drawn as `<path class="series …">`, thinned by [`min_max_downsample`].
    pub series: Vec<(Shape, Vec<Point>)>,
    /// Drawn in one `<path class="markers entry|exit">` per kind, every point kept.
    pub markers: Vec<(MarkerKind, Vec<Point>)>,
}

impl TimeChart {
    /// The chart as an `<svg>` element. Without any point it still draws its frame, with a note.
    pub fn to_svg(&self) -> String {
        // A value that is not a finite number has no place on the axis; it is left out.
        let finite = |points: &[Point]| {
            points.iter().copied().filter(|p| p.x.is_finite() && p.y.is_finite()).collect::<Vec<_>>()
        };
        let series: Vec<_> = self
            .series
            .iter()
            .map(|(shape, p)| (*shape, min_max_downsample(&finite(p), MAX_POINTS_PER_SERIES)))
            .collect();
        let markers: Vec<_> = self.markers.iter().map(|(kind, p)| (*kind, finite(p))).collect();
        let mut ys = series.iter().flat_map(|(_, p)| p).chain(markers.iter().flat_map(|(_, p)| p)).map(|p| p.y);
        let first = ys.next();
        let (mut low, mut high) =
            ys.fold((first.unwrap_or(0.0), first.unwrap_or(1.0)), |(l, h), y| (l.min(y), h.max(y)));
        if series.iter().any(|(shape, _)| *shape == Shape::AreaToZero) {
            (low, high) = (low.min(0.0), high.max(0.0));
        }
        let axis = ValueAxis::new(low, high);
        let frame = Frame { height: self.height, x_range: self.x_range, y_range: (axis.low, axis.high) };

        let mut svg = open_svg(self.id, self.height, &self.label);
        for value in axis.ticks() {
            let y = frame.y(value);
            let _ = write!(
                svg,
                r#"<line class="grid" x1="{LEFT}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}"/><text class="value" x="{:.1}" y="{:.1}">{}</text>"#,
                WIDTH - RIGHT,
                LEFT - 6.0,
                y + 4.0,
                escape(&(self.format_value)(value))
            );
        }
        for tick in 0..DATE_TICKS {
            let x = self.x_range.0 + (self.x_range.1 - self.x_range.0) * tick as f64 / (DATE_TICKS - 1) as f64;
            let _ = write!(
                svg,
                r#"<text class="date{}" x="{:.1}" y="{:.1}">{}</text>"#,
                // The last label ends at the right edge instead of running past it.
                if tick + 1 == DATE_TICKS { " last" } else { "" },
                frame.x(x),
                self.height - 6.0,
                date_label(x, self.x_range.1 - self.x_range.0)
            );
        }
        if first.is_none() {
            let _ = write!(
                svg,
                r#"<text class="empty" x="{:.1}" y="{:.1}">no data</text>"#,
                WIDTH / 2.0,
                self.height / 2.0
            );
        }
        for (shape, points) in series.iter().filter(|(_, p)| !p.is_empty()) {
            let (class, d) = match shape {
                Shape::Line => ("line", frame.polyline(points)),
                Shape::AreaToZero => ("area", frame.area_to_zero(points)),
            };
            let _ = write!(svg, r#"<path class="series {class}" d="{d}"/>"#);
        }
        for (kind, points) in markers.iter().filter(|(_, p)| !p.is_empty()) {
            let (class, triangle) = match kind {
                MarkerKind::Entry => ("entry", "l-4,8h8z"),
                MarkerKind::Exit => ("exit", "l-4,-8h8z"),
            };
            let mut d = String::new();
            for p in points {
                let _ = write!(d, "M{:.1},{:.1}{triangle}", frame.x(p.x), frame.y(p.y));
            }
            let _ = write!(svg, r#"<path class="markers {class}" d="{d}"/>"#);
        }
        svg.push_str("</svg>");
        svg
    }
}

/// Maps time and value onto the plotting area.
struct Frame {
    height: f64,
    x_range: (f64, f64),
    y_range: (f64, f64),
}

impl Frame {
    fn x(&self, x: f64) -> f64 {
        let span = self.x_range.1 - self.x_range.0;
        let fraction = if span > 0.0 { (x - self.x_range.0) / span } else { 0.5 };
        LEFT + fraction * (WIDTH - LEFT - RIGHT)
    }

    fn y(&self, y: f64) -> f64 {
        let fraction = (y - self.y_range.0) / (self.y_range.1 - self.y_range.0);
        self.height - BOTTOM - fraction * (self.height - BOTTOM - TOP)
    }

    fn polyline(&self, points: &[Point]) -> String {
        let mut d = String::with_capacity(points.len() * 14);
        for (i, p) in points.iter().enumerate() {
            let _ = write!(d, "{}{:.1},{:.1}", if i == 0 { 'M' } else { 'L' }, self.x(p.x), self.y(p.y));
        }
        d
    }

    fn area_to_zero(&self, points: &[Point]) -> String {
        let (first, last) = (points[0], points[points.len() - 1]);
        let zero = self.y(0.0);
        let line = self.polyline(points);
        format!("M{:.1},{zero:.1}L{}L{:.1},{zero:.1}Z", self.x(first.x), &line[1..], self.x(last.x))
    }
}

/// The opening `<svg>` tag every chart starts with: its id, full width, `height` and an
/// accessible label (escaped).
pub(super) fn open_svg(id: &str, height: f64, label: &str) -> String {
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg id="{id}" class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{}">"#,
        escape(label)
    );
    svg
}

/// A value axis whose ends and grid lines fall on round steps (1, 2 or 5 × 10ⁿ).
pub(super) struct ValueAxis {
    pub(super) low: f64,
    pub(super) high: f64,
    step: f64,
}

impl ValueAxis {
    pub(super) fn new(low: f64, high: f64) -> Self {
        // A flat series still needs a span to draw in.
        let (low, high) =
            if high > low { (low, high) } else { (low - low.abs().max(1.0) * 0.05, high + high.abs().max(1.0) * 0.05) };
        let rough = (high - low) / VALUE_TICKS;
        let magnitude = 10f64.powf(rough.log10().floor());
        let step =
            [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * magnitude).find(|s| *s >= rough).unwrap_or(10.0 * magnitude);
        Self { low: (low / step).floor() * step, high: (high / step).ceil() * step, step }
    }

    pub(super) fn ticks(&self) -> impl Iterator<Item = f64> + '_ {
        let count = ((self.high - self.low) / self.step).round() as usize;
        (0..=count).map(move |i| self.low + i as f64 * self.step)
    }
}

/// The date (UTC) of `ms`, with the time of day when the whole chart spans under three days.
fn date_label(ms: f64, span_ms: f64) -> String {
    let text = Timestamp(ms as i64).to_rfc3339();
    let shown = if span_ms < 3.0 * 86_400_000.0 { 16 } else { 10 };
    text.get(..shown).unwrap_or(&text).replace('T', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(series: Vec<(Shape, Vec<Point>)>) -> TimeChart {
        TimeChart {
            id: "test-chart",
            label: "a <test>".into(),
            height: 200.0,
            x_range: (0.0, 86_400_000.0 * 10.0),
            format_value: |v| format!("{v}"),
            series,
            markers: vec![],
        }
    }

    #[test]
    fn value_axis_ends_on_round_steps_around_the_data() {
        let axis = ValueAxis::new(13.0, 87.0);
        assert_eq!((axis.low, axis.high, axis.step), (0.0, 100.0, 20.0));
        assert_eq!(axis.ticks().count(), 6);
    }

    #[test]
    fn a_flat_series_is_drawn_inside_its_axis() {
        let points = vec![Point { x: 0.0, y: 5.0 }, Point { x: 86_400_000.0, y: 5.0 }];
        let mut flat = chart(vec![(Shape::Line, points)]);
        flat.markers.push((MarkerKind::Exit, vec![Point { x: 0.0, y: 5.0 }]));
        let svg = flat.to_svg();
        assert!(svg.contains(r#"<path class="series line" d="M78.0,"#), "{svg}");
        assert!(svg.contains(r#"<path class="markers exit" d="M78.0,"#), "{svg}");
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
    }

    #[test]
    fn a_chart_without_points_draws_its_frame_and_says_so() {
        let svg = chart(vec![(Shape::AreaToZero, vec![])]).to_svg();
        assert!(svg.starts_with(r#"<svg id="test-chart""#) && svg.contains("aria-label=\"a &lt;test&gt;\""));
        assert!(svg.contains(">no data</text>") && !svg.contains("class=\"series"), "{svg}");
    }
}
