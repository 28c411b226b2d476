//! Seeded vector workloads for tests and `coinswarm bench vectors`: clustered vectors shaped
//! like market-state embeddings, and uniform random vectors, the worst case for a graph index.
//!
//! Embeddings of real states have a low intrinsic dimension: their features (returns over
//! several horizons, indicators on the same prices, volatility) move together, so states
//! lie near a few low-dimensional sheets, not all over the space. The clustered workload
//! draws that shape: a few typical states (centres), around each a sheet of
//! [`LATENT_DIMENSIONS`] dimensions (a random linear map of normal draws), plus a little
//! noise in every dimension.

use crate::synthetic::noise::Noise;

/// Dimensions of the sheet around each centre.
pub const LATENT_DIMENSIONS: usize = 8;
/// Standard deviation of each entry of a sheet's linear map.
const LATENT_SCALE: f64 = 0.1;
/// Standard deviation of the noise added to every dimension.
const NOISE: f64 = 0.01;

/// `n` vectors of `dimensions` around `clusters` centres (each uniform in [-1, 1]ᵈ); vector
/// `i` belongs to cluster `i % clusters`. The same seed gives the same vectors.
pub fn clustered(n: usize, dimensions: usize, clusters: usize, seed: u64) -> Vec<Vec<f32>> {
    let clusters = clusters.max(1);
    let mut noise = Noise::new(seed);
    let centres: Vec<Vec<f64>> =
        (0..clusters).map(|_| (0..dimensions).map(|_| noise.uniform() * 2.0 - 1.0).collect()).collect();
    let sheets: Vec<Vec<f64>> = (0..clusters)
        .map(|_| (0..dimensions * LATENT_DIMENSIONS).map(|_| LATENT_SCALE * noise.normal()).collect())
        .collect();
    let mut latent = [0.0_f64; LATENT_DIMENSIONS];
    (0..n)
        .map(|i| {
            let (centre, sheet) = (&centres[i % clusters], &sheets[i % clusters]);
            latent.iter_mut().for_each(|z| *z = noise.normal());
            (0..dimensions)
                .map(|d| {
                    let row = &sheet[d * LATENT_DIMENSIONS..(d + 1) * LATENT_DIMENSIONS];
                    let on_sheet: f64 = row.iter().zip(&latent).map(|(a, z)| a * z).sum();
                    (centre[d] + on_sheet + NOISE * noise.normal()) as f32
                })
                .collect()
        })
        .collect()
}

/// `n` vectors with every value uniform in [-1, 1].
pub fn uniform(n: usize, dimensions: usize, seed: u64) -> Vec<Vec<f32>> {
    let mut noise = Noise::new(seed);
    (0..n).map(|_| (0..dimensions).map(|_| (noise.uniform() * 2.0 - 1.0) as f32).collect()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workloads_are_reproducible_and_clustered_vectors_sit_near_their_centre() {
        assert_eq!(clustered(10, 4, 3, 1), clustered(10, 4, 3, 1));
        assert_ne!(clustered(10, 4, 3, 1), clustered(10, 4, 3, 2));
        let v = clustered(3_000, 64, 3, 9);
        let distance = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f32>().sqrt();
        let within: f32 = (0..300).map(|i| distance(&v[3 * i], &v[3 * i + 3])).sum::<f32>() / 300.0;
        let across: f32 = (0..300).map(|i| distance(&v[3 * i], &v[3 * i + 1])).sum::<f32>() / 300.0;
        assert!(within * 2.0 < across, "clusters are apart: within {within}, across {across}");
        assert!(uniform(100, 4, 3).iter().flatten().all(|x| (-1.0..1.0).contains(x)));
    }
}
