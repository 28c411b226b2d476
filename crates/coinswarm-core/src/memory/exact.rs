//! The exact index: compares a query with every stored vector. Slow on millions of vectors
//! and always right, so it is the oracle the approximate index's recall is measured against,
//! and the index of small memories (and of backtests, where it keeps runs reproducible).

use super::vector::{
    Match, Metadata, Metric, QueryOptions, VectorError, VectorIndex, VectorRecord, check_options, check_records,
    check_vector,
};
use rustc_hash::FxHashMap;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Every vector in one flat array, compared in full on each query.
#[derive(Debug, Clone)]
pub struct ExactIndex {
    metric: Metric,
    dimensions: usize,
    ids: Vec<String>,
    /// `dimensions` values per record, as given.
    values: Vec<f32>,
    /// Each record's Euclidean norm (for the cosine).
    norms: Vec<f32>,
    namespaces: Vec<Option<String>>,
    metadata: Vec<Metadata>,
    slot_of: FxHashMap<String, usize>,
}

impl ExactIndex {
    pub fn new(metric: Metric, dimensions: usize) -> Self {
        Self {
            metric,
            dimensions,
            ids: Vec::new(),
            values: Vec::new(),
            norms: Vec::new(),
            namespaces: Vec::new(),
            metadata: Vec::new(),
            slot_of: FxHashMap::default(),
        }
    }

    fn vector(&self, slot: usize) -> &[f32] {
        &self.values[slot * self.dimensions..(slot + 1) * self.dimensions]
    }

    fn remove_slot(&mut self, slot: usize) {
        let last = self.ids.len() - 1;
        self.slot_of.remove(&self.ids[slot]);
        if slot != last {
            let d = self.dimensions;
            self.values.copy_within(last * d..(last + 1) * d, slot * d);
            self.slot_of.insert(self.ids[last].clone(), slot);
        }
        self.values.truncate(last * self.dimensions);
        self.ids.swap_remove(slot);
        self.norms.swap_remove(slot);
        self.namespaces.swap_remove(slot);
        self.metadata.swap_remove(slot);
    }

    fn record(&self, slot: usize) -> VectorRecord {
        VectorRecord {
            id: self.ids[slot].clone(),
            values: self.vector(slot).to_vec(),
            namespace: self.namespaces[slot].clone(),
            metadata: self.metadata[slot].clone(),
        }
    }
}

impl VectorIndex for ExactIndex {
    fn metric(&self) -> Metric {
        self.metric
    }

    fn dimensions(&self) -> usize {
        self.dimensions
    }

    fn len(&self) -> usize {
        self.ids.len()
    }

    fn upsert(&mut self, records: Vec<VectorRecord>) -> Result<usize, VectorError> {
        check_records(&records, self.dimensions, self.metric)?;
        let written = records.len();
        for record in records {
            if let Some(slot) = self.slot_of.get(&record.id).copied() {
                self.remove_slot(slot);
            }
            self.slot_of.insert(record.id.clone(), self.ids.len());
            self.norms.push(norm(&record.values));
            self.values.extend_from_slice(&record.values);
            self.ids.push(record.id);
            self.namespaces.push(record.namespace);
            self.metadata.push(record.metadata);
        }
        Ok(written)
    }

    fn query(&self, vector: &[f32], options: &QueryOptions) -> Result<Vec<Match>, VectorError> {
        check_vector(vector, self.dimensions, self.metric)?;
        check_options(options)?;
        let query_norm = norm(vector);
        let mut best: BinaryHeap<Ranked<'_>> = BinaryHeap::with_capacity(options.top_k + 1);
        for slot in 0..self.ids.len() {
            let score = match self.metric {
                Metric::Cosine => dot(vector, self.vector(slot)) / (query_norm * self.norms[slot]),
                Metric::Euclidean => squared_distance(vector, self.vector(slot)).sqrt(),
            };
            let candidate = Ranked { score, id: &self.ids[slot], slot, metric: self.metric };
            let enters = best.len() < options.top_k || best.peek().is_some_and(|worst| candidate < *worst);
            // The namespace and the filter are looked at only for a record that would enter
            // the best k: most records are dismissed by their score alone.
            if !enters
                || (options.namespace.is_some() && self.namespaces[slot] != options.namespace)
                || options.filter.as_ref().is_some_and(|filter| !filter.passes(&self.metadata[slot]))
            {
                continue;
            }
            if best.len() == options.top_k {
                best.pop();
            }
            best.push(candidate);
        }
        Ok(best
            .into_sorted_vec()
            .into_iter()
            .map(|r| Match {
                id: r.id.to_string(),
                score: r.score,
                metadata: options.return_metadata.then(|| self.metadata[r.slot].clone()),
                values: options.return_values.then(|| self.vector(r.slot).to_vec()),
            })
            .collect())
    }

    fn get_by_ids(&self, ids: &[&str]) -> Vec<VectorRecord> {
        ids.iter().filter_map(|id| self.slot_of.get(*id)).map(|slot| self.record(*slot)).collect()
    }

    fn delete_by_ids(&mut self, ids: &[&str]) -> usize {
        let mut deleted = 0;
        for id in ids {
            if let Some(slot) = self.slot_of.get(*id).copied() {
                self.remove_slot(slot);
                deleted += 1;
            }
        }
        deleted
    }
}

/// A scored record; `Less` means nearer (so a max-heap keeps the worst on top).
struct Ranked<'a> {
    score: f32,
    id: &'a str,
    slot: usize,
    metric: Metric,
}

impl Ord for Ranked<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        let by_score = match self.metric {
            Metric::Cosine => other.score.total_cmp(&self.score),
            Metric::Euclidean => self.score.total_cmp(&other.score),
        };
        by_score.then_with(|| self.id.cmp(other.id))
    }
}

impl PartialOrd for Ranked<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Ranked<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Ranked<'_> {}

/// The dot product, summed in eight lanes (which the compiler turns into SIMD) and then
/// across them, always in the same order: the same inputs give the same bits everywhere.
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0_f32; 8];
    let (chunks_a, chunks_b) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = chunks_a.remainder().iter().zip(chunks_b.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in chunks_a.zip(chunks_b) {
        for lane in 0..8 {
            lanes[lane] += x[lane] * y[lane];
        }
    }
    lanes.iter().sum::<f32>() + tail
}

pub(crate) fn norm(a: &[f32]) -> f32 {
    dot(a, a).sqrt()
}

pub(crate) fn squared_distance(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::{Condition, Filter};

    fn index(metric: Metric) -> ExactIndex {
        let mut index = ExactIndex::new(metric, 2);
        index
            .upsert(vec![
                VectorRecord::new("east", vec![1.0, 0.0]).with("regime", "trending").with("time", 1_i64),
                VectorRecord::new("north", vec![0.0, 2.0]).with("regime", "ranging").with("time", 2_i64),
                VectorRecord::new("north-east", vec![1.0, 1.0]).with("regime", "trending").with("time", 3_i64),
                VectorRecord::new("west", vec![-3.0, 0.0]).in_namespace("BTC-USD"),
            ])
            .unwrap();
        index
    }

    #[test]
    fn cosine_ranks_by_direction_and_euclidean_by_distance() {
        let cosine = index(Metric::Cosine);
        let found = cosine.query(&[2.0, 0.2], &QueryOptions::top(3)).unwrap();
        assert_eq!(found.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), ["east", "north-east", "north"]);
        assert!((found[0].score - 0.995_037).abs() < 1e-5, "{}", found[0].score);

        let euclidean = index(Metric::Euclidean);
        let found = euclidean.query(&[0.0, 1.5], &QueryOptions::top(2)).unwrap();
        assert_eq!(found.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), ["north", "north-east"]);
        assert!((found[0].score - 0.5).abs() < 1e-6);
    }

    #[test]
    fn namespaces_and_filters_narrow_a_query_and_metadata_comes_back_when_asked() {
        let index = index(Metric::Cosine);
        let mut options = QueryOptions::top(10);
        options.namespace = Some("BTC-USD".into());
        let found = index.query(&[1.0, 0.0], &options).unwrap();
        assert_eq!(found.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), ["west"]);

        let mut options = QueryOptions::top(10);
        options.filter = Some(
            Filter::new().and("regime", Condition::Eq("trending".into())).and("time", Condition::Gt(1_i64.into())),
        );
        options.return_metadata = true;
        let found = index.query(&[1.0, 0.0], &options).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].id, "north-east");
        assert_eq!(found[0].metadata.as_ref().unwrap()["time"], 3_i64.into());
        assert!(found[0].values.is_none());
    }

    #[test]
    fn upsert_replaces_by_id_and_delete_and_get_work_by_id() {
        let mut index = index(Metric::Euclidean);
        index.upsert(vec![VectorRecord::new("east", vec![0.0, -5.0])]).unwrap();
        assert_eq!(index.len(), 4);
        assert_eq!(index.get_by_ids(&["east", "nobody"])[0].values, vec![0.0, -5.0]);
        assert_eq!(index.delete_by_ids(&["north", "north", "nobody"]), 1);
        assert_eq!(index.len(), 3);
        let found = index.query(&[0.0, 2.0], &QueryOptions::top(10)).unwrap();
        assert_eq!(found.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), ["north-east", "west", "east"]);
    }

    #[test]
    fn bad_vectors_and_options_are_refused_and_change_nothing() {
        let mut index = index(Metric::Cosine);
        let before = index.len();
        let bad = [
            (vec![VectorRecord::new("a", vec![1.0])], VectorError::Dimensions { expected: 2, got: 1 }),
            (vec![VectorRecord::new("a", vec![1.0, f32::NAN])], VectorError::NotFinite(1)),
            (vec![VectorRecord::new("a", vec![0.0, 0.0])], VectorError::ZeroVector),
            (vec![VectorRecord::new("", vec![1.0, 0.0])], VectorError::EmptyId),
            (
                vec![VectorRecord::new("a", vec![1.0, 0.0]), VectorRecord::new("a", vec![0.0, 1.0])],
                VectorError::DuplicateId("a".into()),
            ),
            (
                vec![VectorRecord::new("b", vec![1.0, 0.0]), VectorRecord::new("c", vec![f32::INFINITY, 0.0])],
                VectorError::NotFinite(0),
            ),
        ];
        for (records, error) in bad {
            assert_eq!(index.upsert(records), Err(error));
        }
        assert_eq!(index.len(), before, "a refused upsert writes nothing, not even its good records");
        assert_eq!(index.query(&[1.0, 0.0], &QueryOptions::top(0)), Err(VectorError::TopK(0)));
        assert_eq!(index.query(&[1.0, 0.0], &QueryOptions::top(1001)), Err(VectorError::TopK(1001)));
    }
}
