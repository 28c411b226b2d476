//! k-means with k-means++ seeding (Arthur and Vassilvitskii, 2007), seeded and therefore
//! deterministic: the same points, `k` and seed give the same centroids, bit for bit, on
//! every platform (plain f64 arithmetic in a fixed order, no threads).
//!
//! Points are compared by squared Euclidean distance. Pattern memory clusters state vectors,
//! whose every dimension lies in [−1, 1] on the same scale, so no rescaling is needed.

use crate::synthetic::noise::Noise;

/// How to cluster.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KMeansConfig {
    /// Clusters wanted (fewer when there are fewer distinct points). Default 16.
    pub k: usize,
    /// Lloyd iterations at most; it stops earlier when no point changes cluster. Default 25.
    pub max_iterations: usize,
    /// Seed of the k-means++ draws. Default 7.
    pub seed: u64,
}

impl Default for KMeansConfig {
    fn default() -> Self {
        Self { k: 16, max_iterations: 25, seed: 7 }
    }
}

/// The clusters found.
#[derive(Debug, Clone, PartialEq)]
pub struct Clustering {
    pub centroids: Vec<Vec<f32>>,
    /// The cluster of each point, by index into `centroids`.
    pub assignment: Vec<usize>,
    /// Lloyd iterations run.
    pub iterations: usize,
}

/// Clusters `points` (all of one length). Empty input gives no clusters.
pub fn kmeans(points: &[Vec<f32>], config: &KMeansConfig) -> Clustering {
    kmeans_from(points, &[], config)
}

/// Clusters `points` starting from `initial` centroids (at most `k` are kept, in order),
/// with the remaining slots seeded by k-means++. Cluster `i < initial.len()` grew from
/// `initial[i]`, so clusters keep their identity from one run to the next.
pub fn kmeans_from(points: &[Vec<f32>], initial: &[Vec<f32>], config: &KMeansConfig) -> Clustering {
    if points.is_empty() || config.k == 0 {
        return Clustering { centroids: Vec::new(), assignment: vec![0; points.len()], iterations: 0 };
    }
    let mut centroids = seed_plus_plus(points, &initial[..initial.len().min(config.k)], config.k, config.seed);
    let mut assignment = vec![usize::MAX; points.len()];
    let mut iterations = 0;
    for _ in 0..config.max_iterations.max(1) {
        iterations += 1;
        let mut changed = false;
        for (point, slot) in points.iter().zip(assignment.iter_mut()) {
            let nearest = nearest(point, &centroids).0;
            changed |= nearest != *slot;
            *slot = nearest;
        }
        if !changed {
            break;
        }
        centroids = means(points, &assignment, &centroids);
    }
    Clustering { centroids, assignment, iterations }
}

/// The index of the centroid nearest to `point`, and its squared distance (ties: the lower index).
pub fn nearest(point: &[f32], centroids: &[Vec<f32>]) -> (usize, f64) {
    nearest_of(point, centroids.iter().map(Vec::as_slice).enumerate()).unwrap_or((0, f64::INFINITY))
}

/// The nearest of `(index, centroid)` candidates and its squared distance (ties: the first).
pub fn nearest_of<'a>(point: &[f32], centroids: impl Iterator<Item = (usize, &'a [f32])>) -> Option<(usize, f64)> {
    let mut best: Option<(usize, f64)> = None;
    for (i, centroid) in centroids {
        let d = squared_distance(point, centroid);
        if best.is_none_or(|(_, b)| d < b) {
            best = Some((i, d));
        }
    }
    best
}

/// Squared Euclidean distance, summed in eight f32 lanes (SIMD) in a fixed order.
fn squared_distance(a: &[f32], b: &[f32]) -> f64 {
    let mut lanes = [0.0_f32; 8];
    let (chunks_a, chunks_b) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = chunks_a.remainder().iter().zip(chunks_b.remainder()).map(|(x, y)| (x - y) * (x - y)).sum();
    for (x, y) in chunks_a.zip(chunks_b) {
        for lane in 0..8 {
            let d = x[lane] - y[lane];
            lanes[lane] += d * d;
        }
    }
    f64::from(lanes.iter().sum::<f32>() + tail)
}

/// k-means++: after the `initial` centres (when none, the first is drawn uniformly), each
/// next one with probability proportional to its squared distance from the nearest centre
/// chosen so far. Stops early when every point coincides with a centre.
fn seed_plus_plus(points: &[Vec<f32>], initial: &[Vec<f32>], k: usize, seed: u64) -> Vec<Vec<f32>> {
    let mut noise = Noise::new(seed);
    let mut centroids = initial.to_vec();
    if centroids.is_empty() {
        let first = ((noise.uniform() * points.len() as f64) as usize).min(points.len() - 1);
        centroids.push(points[first].clone());
    }
    let mut distances: Vec<f64> = points.iter().map(|p| nearest(p, &centroids).1).collect();
    while centroids.len() < k {
        let total: f64 = distances.iter().sum();
        if total <= 0.0 {
            break;
        }
        let mut target = noise.uniform() * total;
        let mut chosen = points.len() - 1;
        for (i, d) in distances.iter().enumerate() {
            if target < *d {
                chosen = i;
                break;
            }
            target -= d;
        }
        let centre = points[chosen].clone();
        for (d, p) in distances.iter_mut().zip(points) {
            *d = d.min(squared_distance(p, &centre));
        }
        centroids.push(centre);
    }
    centroids
}

/// Each cluster's mean; a cluster left empty keeps its previous centroid.
fn means(points: &[Vec<f32>], assignment: &[usize], previous: &[Vec<f32>]) -> Vec<Vec<f32>> {
    let dimensions = points[0].len();
    let mut sums = vec![vec![0.0_f64; dimensions]; previous.len()];
    let mut counts = vec![0_usize; previous.len()];
    for (point, &cluster) in points.iter().zip(assignment) {
        counts[cluster] += 1;
        for (sum, x) in sums[cluster].iter_mut().zip(point) {
            *sum += f64::from(*x);
        }
    }
    sums.into_iter()
        .zip(counts)
        .zip(previous)
        .map(
            |((sum, count), old)| {
                if count == 0 { old.clone() } else { sum.into_iter().map(|s| (s / count as f64) as f32).collect() }
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::workload::clustered;

    #[test]
    fn separated_clusters_are_found_and_the_same_seed_gives_the_same_answer() {
        // Points i % 4 belong to cluster i % 4 of the workload.
        let points = clustered(800, 16, 4, 11);
        let config = KMeansConfig { k: 4, ..KMeansConfig::default() };
        let first = kmeans(&points, &config);
        assert_eq!(first.centroids.len(), 4);
        for i in 4..points.len() {
            assert_eq!(first.assignment[i], first.assignment[i % 4], "point {i} left its cluster");
        }
        assert_eq!(kmeans(&points, &config), first);
    }

    #[test]
    fn a_run_started_from_earlier_centroids_keeps_their_order() {
        let points = clustered(800, 16, 4, 11);
        let config = KMeansConfig { k: 4, ..KMeansConfig::default() };
        let first = kmeans(&points, &config);
        let reversed: Vec<Vec<f32>> = first.centroids.iter().rev().cloned().collect();
        let again = kmeans_from(&points, &reversed, &config);
        assert_eq!(again.centroids, reversed);
        assert_eq!(again.assignment[0], 3 - first.assignment[0]);
    }

    #[test]
    fn fewer_distinct_points_than_k_give_fewer_clusters_and_empty_input_none() {
        let points = vec![vec![1.0, 0.0], vec![1.0, 0.0], vec![0.0, 1.0]];
        let clustering = kmeans(&points, &KMeansConfig { k: 5, ..KMeansConfig::default() });
        assert_eq!(clustering.centroids.len(), 2);
        assert_eq!(clustering.assignment[0], clustering.assignment[1]);
        assert_ne!(clustering.assignment[0], clustering.assignment[2]);
        assert!(kmeans(&[], &KMeansConfig::default()).centroids.is_empty());
    }
}
