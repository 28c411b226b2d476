//! An SVG bar chart over categories: one slot per category, the bars of every group side by
//! side in it, a value axis from zero, and labelled vertical marks (a histogram's thresholds).

use super::escape::escape;
use super::time_chart::{BOTTOM, LEFT, RIGHT, TOP, ValueAxis, WIDTH, open_svg};
use std::fmt::Write;

/// Share of a slot its bars leave empty, split between both sides.
const SLOT_GAP: f64 = 0.2;

/// One chart of bars.
#[derive(Debug)]
pub struct BarChart {
    /// The `id` of the `<svg>` element.
    pub id: &'static str,
    /// What the chart shows, for screen readers (`aria-label`).
    pub label: String,
    /// Height in SVG units (the width is 960).
    pub height: f64,
    /// The label under each slot, left to right.
    pub categories: Vec<String>,
    /// Each group's class and its value per category; a missing or non-finite value draws no
    /// bar. Each bar is a `<rect class="bar {class}">` with its category and value as its title.
    pub groups: Vec<(&'static str, Vec<Option<f64>>)>,
    /// Dashed vertical lines with a label, at a position in slots: 0 is the left edge of the
    /// first slot, `categories.len()` the right edge of the last. Clamped to the chart.
    pub marks: Vec<(f64, String)>,
    /// Formats a value-axis label.
    pub format_value: fn(f64) -> String,
}

impl BarChart {
    /// The chart as an `<svg>` element. Without any bar it still draws its frame, with a note.
    pub fn to_svg(&self) -> String {
        let value = |v: &Option<f64>| v.filter(|v| v.is_finite());
        let values: Vec<f64> = self.groups.iter().flat_map(|(_, vs)| vs.iter().filter_map(value)).collect();
        let low = values.iter().copied().fold(0.0, f64::min);
        let high = values.iter().copied().fold(0.0, f64::max);
        let axis = ValueAxis::new(low, high);
        let plot_height = self.height - BOTTOM - TOP;
        let y = |v: f64| self.height - BOTTOM - (v - axis.low) / (axis.high - axis.low) * plot_height;
        let slots = self.categories.len().max(1) as f64;
        let slot = (WIDTH - LEFT - RIGHT) / slots;
        let x = |position: f64| LEFT + position.clamp(0.0, slots) * slot;

        let mut svg = open_svg(self.id, self.height, &self.label);
        for tick in axis.ticks() {
            let _ = write!(
                svg,
                r#"<line class="grid" x1="{LEFT}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}"/><text class="value" x="{:.1}" y="{:.1}">{}</text>"#,
                WIDTH - RIGHT,
                LEFT - 6.0,
                y(tick) + 4.0,
                escape(&(self.format_value)(tick)),
                y = y(tick)
            );
        }
        for (i, category) in self.categories.iter().enumerate() {
            let _ = write!(
                svg,
                r#"<text class="category" x="{:.1}" y="{:.1}">{}</text>"#,
                x(i as f64 + 0.5),
                self.height - 6.0,
                escape(category)
            );
        }
        if values.is_empty() {
            let _ = write!(
                svg,
                r#"<text class="empty" x="{:.1}" y="{:.1}">no data</text>"#,
                WIDTH / 2.0,
                self.height / 2.0
            );
        }
        let width = slot * (1.0 - SLOT_GAP) / self.groups.len().max(1) as f64;
        for (g, (class, group)) in self.groups.iter().enumerate() {
            for (i, v) in group.iter().enumerate().take(self.categories.len()) {
                let Some(v) = value(v) else { continue };
                let (top, bottom) = (y(v.max(0.0)), y(v.min(0.0)));
                let _ = write!(
                    svg,
                    r#"<rect class="bar {class}" x="{:.1}" y="{top:.1}" width="{width:.1}" height="{:.1}"><title>{}: {}</title></rect>"#,
                    x(i as f64) + slot * SLOT_GAP / 2.0 + g as f64 * width,
                    (bottom - top).max(0.5),
                    escape(&self.categories[i]),
                    escape(&(self.format_value)(v))
                );
            }
        }
        for (position, label) in &self.marks {
            let at = x(*position);
            let _ = write!(
                svg,
                r#"<line class="mark" x1="{at:.1}" x2="{at:.1}" y1="{TOP}" y2="{:.1}"/><text class="mark" x="{:.1}" y="{:.1}">{}</text>"#,
                self.height - BOTTOM,
                at + 4.0,
                TOP + 12.0,
                escape(label)
            );
        }
        svg.push_str("</svg>");
        svg
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(categories: &[&str], groups: Vec<(&'static str, Vec<Option<f64>>)>) -> BarChart {
        BarChart {
            id: "test-chart",
            label: "bars <of> \"test\"".into(),
            height: 200.0,
            categories: categories.iter().map(|c| c.to_string()).collect(),
            groups,
            marks: vec![(1.5, "≥ <1.5>".into())],
            format_value: |v| format!("{v}"),
        }
    }

    #[test]
    fn bars_are_drawn_per_group_with_escaped_text() {
        let svg = chart(&["<a>", "b"], vec![("x", vec![Some(2.0), Some(-1.0)]), ("y", vec![None, Some(3.0)])]).to_svg();
        assert_eq!(svg.matches(r#"<rect class="bar x""#).count(), 2);
        assert_eq!(svg.matches(r#"<rect class="bar y""#).count(), 1);
        assert!(svg.contains("aria-label=\"bars &lt;of&gt; &quot;test&quot;\"") && svg.contains("&lt;a&gt;: 2"));
        assert!(svg.contains(r#"<line class="mark""#) && svg.contains("≥ &lt;1.5&gt;"));
        assert!(!svg.contains("<a>") && !svg.contains("NaN") && !svg.contains("inf"), "{svg}");
    }

    #[test]
    fn a_chart_without_values_draws_its_frame_and_says_so() {
        for empty in [chart(&[], vec![]), chart(&["a"], vec![("x", vec![None, Some(f64::NAN)])])] {
            let svg = empty.to_svg();
            assert!(svg.starts_with(r#"<svg id="test-chart""#) && svg.contains(">no data</text>"), "{svg}");
            assert!(!svg.contains("<rect") && !svg.contains("NaN") && !svg.contains("inf"), "{svg}");
        }
    }

    #[test]
    fn a_flat_zero_chart_still_has_a_span() {
        let svg = chart(&["a"], vec![("x", vec![Some(0.0)])]).to_svg();
        assert!(svg.contains(r#"<rect class="bar x""#) && !svg.contains("NaN"), "{svg}");
    }
}
