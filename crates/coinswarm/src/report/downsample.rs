//! Thinning a long series for an SVG chart without losing its spikes.

/// A chart point: `x` in milliseconds since the Unix epoch, `y` in the chart's own unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

/// At most this many points are drawn per series: a chart is about 1,000 SVG units wide, so two
/// points per unit already exceed what a screen shows, and the file stays small (an hourly
/// series of 17,583 bars becomes 2,000 points).
pub const MAX_POINTS_PER_SERIES: usize = 2_000;

/// Keeps at most `max_points` of `points` (ordered by `x`; `max_points` ≥ 2): the points are cut
/// into at most `max_points / 2` buckets of consecutive points, and each bucket keeps its lowest
/// and its highest point, in their original order. Every spike therefore survives (the overall
/// minimum and maximum are always kept) and the drawn envelope is exact; only the wiggle inside a
/// bucket, narrower than a pixel, is lost. A series already short enough is returned unchanged.
pub fn min_max_downsample(points: &[Point], max_points: usize) -> Vec<Point> {
    let buckets = (max_points / 2).max(1);
    if points.len() <= max_points {
        return points.to_vec();
    }
    let bucket_len = points.len().div_ceil(buckets);
    let mut kept = Vec::with_capacity(max_points);
    for bucket in points.chunks(bucket_len) {
        let (mut low, mut high) = (0, 0);
        for (i, point) in bucket.iter().enumerate() {
            if point.y < bucket[low].y {
                low = i;
            }
            if point.y > bucket[high].y {
                high = i;
            }
        }
        match low.cmp(&high) {
            std::cmp::Ordering::Less => kept.extend([bucket[low], bucket[high]]),
            std::cmp::Ordering::Greater => kept.extend([bucket[high], bucket[low]]),
            std::cmp::Ordering::Equal => kept.push(bucket[low]),
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(ys: impl IntoIterator<Item = f64>) -> Vec<Point> {
        ys.into_iter().enumerate().map(|(i, y)| Point { x: i as f64, y }).collect()
    }

    #[test]
    fn a_short_series_is_drawn_whole() {
        let points = series([3.0, 1.0, 2.0]);
        assert_eq!(min_max_downsample(&points, 10), points);
    }

    #[test]
    fn a_long_series_keeps_its_single_bar_spikes_and_stays_within_the_limit() {
        let mut points = series((0..100_000).map(|i| (i as f64 * 0.01).sin()));
        points[12_345].y = 50.0;
        points[67_890].y = -50.0;
        let kept = min_max_downsample(&points, 2_000);
        assert!(kept.len() <= 2_000, "{} points", kept.len());
        assert!(kept.contains(&points[12_345]) && kept.contains(&points[67_890]));
        assert!(kept.windows(2).all(|w| w[0].x < w[1].x), "points stay in time order");
    }

    #[test]
    fn each_bucket_keeps_its_low_before_its_high_when_the_low_came_first() {
        // 8 points into 2 buckets of 4: [5, 1, 9, 5] keeps 1 then 9; [5, 9, 1, 5] keeps 9 then 1.
        let points = series([5.0, 1.0, 9.0, 5.0, 5.0, 9.0, 1.0, 5.0]);
        let ys: Vec<f64> = min_max_downsample(&points, 4).iter().map(|p| p.y).collect();
        assert_eq!(ys, [1.0, 9.0, 9.0, 1.0]);
    }
}
