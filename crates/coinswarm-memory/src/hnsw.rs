//! The approximate index: a USearch HNSW graph behind the [`VectorIndex`] port.
//!
//! The graph keys vectors by number; this adapter maps each record's id to a key and keeps
//! ids, namespaces and metadata beside the graph. Namespaces and metadata filters are
//! applied inside the graph search (a predicate on each candidate), so a narrow filter
//! still returns `top_k` matches when that many pass.
//!
//! On disk ([`HnswIndex::save`]) a folder holds the graph (`graph.usearch`), the records'
//! ids and metadata (`entries.json`) and a manifest naming both files' SHA-256; files are
//! written under temporary names and renamed, the manifest last; on Unix the folder is
//! private to its owner (`0700`) and the files too (`0600`: the records describe a trading
//! account's decisions). [`HnswIndex::open`] checks
//! everything and answers [`HnswError::Missing`] or [`HnswError::Corrupt`] rather than
//! loading a damaged index: the caller then rebuilds it from the SQL store.

use coinswarm_core::memory::vector::{check_options, check_records, check_vector};
use coinswarm_core::memory::{Match, Metadata, Metric, QueryOptions, VectorError, VectorIndex, VectorRecord};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use sha2_full::{Digest, Sha256};
use std::path::{Path, PathBuf};
use usearch::{Index, IndexOptions, MetricKind, ScalarKind};

/// The graph's shape and effort; the defaults reach recall@10 ≥ 0.97 on a million clustered
/// 64-dimension vectors (see `docs/BENCHMARKS.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HnswConfig {
    /// Links per node on the upper layers (twice as many on the bottom layer).
    pub connectivity: usize,
    /// Candidates kept while inserting into an empty index, the bulk build
    /// (`efConstruction`): a better graph, a slower build.
    pub expansion_add: usize,
    /// Candidates kept while inserting into an index that already holds vectors (online
    /// inserts): each new node links into a graph that is already good, so it needs less
    /// search than the bulk build. Equal to `expansion_add` makes every insert alike.
    #[serde(default = "default_expansion_insert")]
    pub expansion_insert: usize,
    /// Candidates kept while searching (`ef`), at least `top_k`: recall against speed.
    pub expansion_search: usize,
    /// Threads that insert a large upsert together.
    pub threads: usize,
    /// How the graph stores each vector: half precision halves the memory read per distance
    /// (and the index's size) for a relative error of about 1e-3 per component.
    #[serde(default)]
    pub precision: VectorPrecision,
}

/// The number format of the vectors inside the graph (ids, metadata and answers are unchanged).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VectorPrecision {
    /// 32-bit floats: exact copies of the given vectors.
    #[default]
    F32,
    /// IEEE half precision (11-bit significand).
    F16,
    /// bfloat16 (8-bit significand, f32's range).
    Bf16,
}

impl Default for HnswConfig {
    fn default() -> Self {
        Self {
            connectivity: 16,
            expansion_add: 96,
            expansion_insert: default_expansion_insert(),
            expansion_search: 48,
            threads: 2,
            precision: VectorPrecision::F32,
        }
    }
}

fn default_expansion_insert() -> usize {
    48
}

/// Why a stored index cannot be used (rebuild it), or the graph failed.
#[derive(Debug, thiserror::Error)]
pub enum HnswError {
    #[error("no stored index in {0}")]
    Missing(String),
    #[error("the stored index is damaged: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Io(String),
}

/// What the manifest records about a saved index.
#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    format: u32,
    metric: Metric,
    dimensions: usize,
    config: HnswConfig,
    records: usize,
    graph_sha256: String,
    entries_sha256: String,
}

/// 2: cosine vectors stored normalised under the inner-product metric.
const FORMAT: u32 = 2;
/// Most records an insert thread adds before telling [`HnswIndex::upsert_observed`]'s
/// observer (tens of milliseconds of work).
const ADDED_STEP: usize = 1_024;
const GRAPH: &str = "graph.usearch";
const ENTRIES: &str = "entries.json";
const MANIFEST: &str = "manifest.json";

/// What the graph does not hold about a record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Entry {
    key: u64,
    id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Metadata::is_empty")]
    metadata: Metadata,
    /// The vector's length before it was normalised (cosine), so reads return it as given.
    scale: f32,
}

/// An HNSW index of records (see the module documentation).
pub struct HnswIndex {
    metric: Metric,
    dimensions: usize,
    config: HnswConfig,
    graph: Index,
    /// By key; `None` once deleted or replaced.
    entries: Vec<Option<Entry>>,
    key_of: FxHashMap<String, u64>,
    /// The folder [`VectorIndex::flush`] saves to: where it was opened from, or set by
    /// [`HnswIndex::persist_to`].
    home: Option<PathBuf>,
}

impl std::fmt::Debug for HnswIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HnswIndex")
            .field("metric", &self.metric)
            .field("dimensions", &self.dimensions)
            .field("config", &self.config)
            .field("records", &self.key_of.len())
            .finish()
    }
}

fn graph_error(err: impl std::fmt::Display) -> VectorError {
    VectorError::Index(err.to_string())
}

impl HnswIndex {
    /// An empty index.
    pub fn new(metric: Metric, dimensions: usize, config: HnswConfig) -> Result<Self, VectorError> {
        if dimensions == 0 {
            return Err(VectorError::Dimensions { expected: 1, got: 0 });
        }
        let options = IndexOptions {
            dimensions,
            metric: match metric {
                // Vectors are normalised on the way in, so the cosine is a plain dot product
                // (no norms computed per comparison).
                Metric::Cosine => MetricKind::IP,
                Metric::Euclidean => MetricKind::L2sq,
            },
            quantization: match config.precision {
                VectorPrecision::F32 => ScalarKind::F32,
                VectorPrecision::F16 => ScalarKind::F16,
                VectorPrecision::Bf16 => ScalarKind::BF16,
            },
            connectivity: config.connectivity,
            expansion_add: config.expansion_add,
            expansion_search: config.expansion_search,
            multi: false,
        };
        let graph = Index::new(&options).map_err(graph_error)?;
        Ok(Self { metric, dimensions, config, graph, entries: Vec::new(), key_of: FxHashMap::default(), home: None })
    }

    /// Changes the search effort (`ef`) of later queries.
    pub fn set_expansion_search(&mut self, expansion_search: usize) {
        self.config.expansion_search = expansion_search;
        self.graph.change_expansion_search(expansion_search);
    }

    /// Whether a record with this id is stored.
    pub fn contains(&self, id: &str) -> bool {
        self.key_of.contains_key(id)
    }

    /// Threads for later large upserts and query batches.
    pub fn set_threads(&mut self, threads: usize) {
        self.config.threads = threads.max(1);
    }

    pub fn config(&self) -> HnswConfig {
        self.config
    }

    /// Bytes the graph and its vectors hold (USearch's own count; ids and metadata beside it
    /// are not included).
    pub fn memory_usage(&self) -> usize {
        self.graph.memory_usage()
    }

    /// Queries many vectors at once, spread over the configured threads; results in order.
    pub fn query_batch(&self, vectors: &[Vec<f32>], options: &QueryOptions) -> Result<Vec<Vec<Match>>, VectorError> {
        check_options(options)?;
        for vector in vectors {
            check_vector(vector, self.dimensions, self.metric)?;
        }
        let threads = self.config.threads.clamp(1, vectors.len().max(1));
        let chunk = vectors.len().div_ceil(threads).max(1);
        let results: Vec<Result<Vec<Vec<Match>>, VectorError>> = std::thread::scope(|scope| {
            let workers: Vec<_> = vectors
                .chunks(chunk)
                .map(|part| scope.spawn(move || part.iter().map(|v| self.search(v, options)).collect()))
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().unwrap_or_else(|_| Err(graph_error("a query thread panicked"))))
                .collect()
        });
        let mut all = Vec::with_capacity(vectors.len());
        for part in results {
            all.extend(part?);
        }
        Ok(all)
    }

    /// [`VectorIndex::upsert`], telling `added` how many records have joined the graph as
    /// they do: from the insert threads, at most 1,024 at a time, `records.len()` in
    /// all when it succeeds. A large upsert (a build, a rebuild) takes minutes; this is how
    /// its caller shows how far it has got.
    pub fn upsert_observed(
        &mut self,
        records: Vec<VectorRecord>,
        added: &(dyn Fn(usize) + Sync),
    ) -> Result<usize, VectorError> {
        check_records(&records, self.dimensions, self.metric)?;
        self.reserve(records.len())?;
        let written = records.len();
        // Replaced records leave the graph first; new keys follow the last one.
        for record in &records {
            if let Some(old) = self.key_of.remove(&record.id) {
                self.graph.remove(old).map_err(graph_error)?;
                self.entries[old as usize] = None;
            }
        }
        let first = self.entries.len() as u64;
        let expansion = if self.graph.size() == 0 { self.config.expansion_add } else { self.config.expansion_insert };
        self.graph.change_expansion_add(expansion.max(1));
        let prepared: Vec<(std::borrow::Cow<'_, [f32]>, f32)> =
            records.iter().map(|r| self.prepare(&r.values)).collect();
        // Threads pay off from a few hundred records (each insert is tens of microseconds).
        let threads = if records.len() >= 256 { self.config.threads.max(1) } else { 1 };
        let chunk = records.len().div_ceil(threads).max(1);
        let graph = &self.graph;
        let outcomes: Vec<Result<(), VectorError>> = std::thread::scope(|scope| {
            let workers: Vec<_> = prepared
                .chunks(chunk)
                .enumerate()
                .map(|(part, slice)| {
                    scope.spawn(move || {
                        for (i, (values, _)) in slice.iter().enumerate() {
                            let key = first + (part * chunk + i) as u64;
                            graph.add(key, values).map_err(graph_error)?;
                            if (i + 1) % ADDED_STEP == 0 {
                                added(ADDED_STEP);
                            }
                        }
                        if slice.len() % ADDED_STEP != 0 {
                            added(slice.len() % ADDED_STEP);
                        }
                        Ok(())
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().unwrap_or_else(|_| Err(graph_error("an insert thread panicked"))))
                .collect()
        });
        for outcome in outcomes {
            outcome?;
        }
        let scales: Vec<f32> = prepared.iter().map(|(_, scale)| *scale).collect();
        drop(prepared);
        for (i, (record, scale)) in records.into_iter().zip(scales).enumerate() {
            let key = first + i as u64;
            self.key_of.insert(record.id.clone(), key);
            self.entries.push(Some(Entry {
                key,
                id: record.id,
                namespace: record.namespace,
                metadata: record.metadata,
                scale,
            }));
        }
        Ok(written)
    }

    /// Makes [`VectorIndex::flush`] save the index to `dir`.
    pub fn persist_to(&mut self, dir: &Path) {
        self.home = Some(dir.to_path_buf());
    }

    /// Writes the index to `dir` (created if needed), replacing what was there.
    pub fn save(&self, dir: &Path) -> Result<(), HnswError> {
        let io = |what: &str, err: &dyn std::fmt::Display| {
            HnswError::Io(format!("cannot {what} in {}: {err}", dir.display()))
        };
        std::fs::create_dir_all(dir).map_err(|e| io("create the folder", &e))?;
        owner_only(dir, 0o700).map_err(|e| io("restrict the folder", &e))?;
        let graph_tmp = dir.join(format!("{GRAPH}.tmp"));
        self.graph.save(&graph_tmp.to_string_lossy()).map_err(|e| io("write the graph", &e))?;
        let live: Vec<&Entry> = self.entries.iter().flatten().collect();
        let entries = serde_json::to_vec(&live).map_err(|e| io("encode the entries", &e))?;
        let entries_tmp = dir.join(format!("{ENTRIES}.tmp"));
        std::fs::write(&entries_tmp, &entries).map_err(|e| io("write the entries", &e))?;
        let manifest = Manifest {
            format: FORMAT,
            metric: self.metric,
            dimensions: self.dimensions,
            config: self.config,
            records: live.len(),
            graph_sha256: sha256_file(&graph_tmp).map_err(|e| io("read the graph", &e))?,
            entries_sha256: hex::encode(Sha256::digest(&entries)),
        };
        let manifest_tmp = dir.join(format!("{MANIFEST}.tmp"));
        let text = serde_json::to_vec_pretty(&manifest).map_err(|e| io("encode the manifest", &e))?;
        std::fs::write(&manifest_tmp, text).map_err(|e| io("write the manifest", &e))?;
        for (tmp, name) in [(graph_tmp, GRAPH), (entries_tmp, ENTRIES), (manifest_tmp, MANIFEST)] {
            owner_only(&tmp, 0o600).map_err(|e| io("restrict the files", &e))?;
            std::fs::rename(&tmp, dir.join(name)).map_err(|e| io("rename the files", &e))?;
        }
        Ok(())
    }

    /// Loads the index saved in `dir`, after checking every file against the manifest.
    pub fn open(dir: &Path) -> Result<Self, HnswError> {
        let manifest_path = dir.join(MANIFEST);
        if !manifest_path.exists() {
            return Err(HnswError::Missing(dir.display().to_string()));
        }
        let corrupt = |what: String| HnswError::Corrupt(format!("{what} ({})", dir.display()));
        let text = std::fs::read(&manifest_path).map_err(|e| corrupt(format!("manifest unreadable: {e}")))?;
        let manifest: Manifest =
            serde_json::from_slice(&text).map_err(|e| corrupt(format!("manifest unreadable: {e}")))?;
        if manifest.format != FORMAT {
            return Err(corrupt(format!("format {} is not {FORMAT}", manifest.format)));
        }
        let graph_path = dir.join(GRAPH);
        let graph_sha = sha256_file(&graph_path).map_err(|e| corrupt(format!("graph unreadable: {e}")))?;
        if graph_sha != manifest.graph_sha256 {
            return Err(corrupt("the graph file does not match its checksum".into()));
        }
        let entries = std::fs::read(dir.join(ENTRIES)).map_err(|e| corrupt(format!("entries unreadable: {e}")))?;
        if hex::encode(Sha256::digest(&entries)) != manifest.entries_sha256 {
            return Err(corrupt("the entries file does not match its checksum".into()));
        }
        let entries: Vec<Entry> =
            serde_json::from_slice(&entries).map_err(|e| corrupt(format!("entries unreadable: {e}")))?;
        let mut index = Self::new(manifest.metric, manifest.dimensions, manifest.config)
            .map_err(|e| corrupt(format!("manifest describes no valid index: {e}")))?;
        index.graph.load(&graph_path.to_string_lossy()).map_err(|e| corrupt(format!("graph unreadable: {e}")))?;
        index.graph.change_expansion_search(manifest.config.expansion_search);
        if index.graph.size() != manifest.records || entries.len() != manifest.records {
            return Err(corrupt(format!(
                "{} records in the manifest, {} in the graph, {} entries",
                manifest.records,
                index.graph.size(),
                entries.len()
            )));
        }
        for entry in entries {
            let key = entry.key as usize;
            if !index.graph.contains(entry.key) || index.key_of.insert(entry.id.clone(), entry.key).is_some() {
                return Err(corrupt(format!("entry {} does not match the graph", entry.id)));
            }
            if index.entries.len() <= key {
                index.entries.resize(key + 1, None);
            }
            index.entries[key] = Some(entry);
        }
        index.home = Some(dir.to_path_buf());
        Ok(index)
    }

    fn search(&self, vector: &[f32], options: &QueryOptions) -> Result<Vec<Match>, VectorError> {
        if self.key_of.is_empty() {
            return Ok(Vec::new());
        }
        // (USearch widens `ef` to `top_k` itself when `top_k` is larger.)
        let (normalised, _) = self.prepare(vector);
        let vector: &[f32] = &normalised;
        let narrowed = options.namespace.is_some() || options.filter.is_some();
        let found = if narrowed {
            self.graph.filtered_search(vector, options.top_k, |key| {
                self.entries.get(key as usize).and_then(Option::as_ref).is_some_and(|entry| {
                    (options.namespace.is_none() || entry.namespace == options.namespace)
                        && options.filter.as_ref().is_none_or(|f| f.passes(&entry.metadata))
                })
            })
        } else {
            self.graph.search(vector, options.top_k)
        }
        .map_err(graph_error)?;
        let mut matches = Vec::with_capacity(found.keys.len());
        for (key, distance) in found.keys.iter().zip(&found.distances) {
            let Some(entry) = self.entries.get(*key as usize).and_then(Option::as_ref) else { continue };
            let score = match self.metric {
                Metric::Cosine => 1.0 - distance,
                Metric::Euclidean => distance.max(0.0).sqrt(),
            };
            let values = if options.return_values {
                Some(self.stored_values(*key, entry.scale).ok_or_else(|| graph_error("a stored vector is missing"))?)
            } else {
                None
            };
            matches.push(Match {
                id: entry.id.clone(),
                score,
                metadata: options.return_metadata.then(|| entry.metadata.clone()),
                values,
            });
        }
        Ok(matches)
    }

    /// The vector as the graph holds it (unit length for cosine) and the length it had.
    fn prepare<'a>(&self, values: &'a [f32]) -> (std::borrow::Cow<'a, [f32]>, f32) {
        match self.metric {
            Metric::Cosine => {
                let norm = values.iter().map(|v| v * v).sum::<f32>().sqrt();
                (values.iter().map(|v| v / norm).collect::<Vec<f32>>().into(), norm)
            }
            Metric::Euclidean => (values.into(), 1.0),
        }
    }

    /// A stored vector at the length it was given.
    fn stored_values(&self, key: u64, scale: f32) -> Option<Vec<f32>> {
        let mut values = vec![0.0_f32; self.dimensions];
        self.graph.get(key, &mut values).ok()?;
        if self.metric == Metric::Cosine {
            values.iter_mut().for_each(|v| *v *= scale);
        }
        Some(values)
    }

    fn reserve(&self, more: usize) -> Result<(), VectorError> {
        let needed = self.graph.size() + more;
        if needed > self.graph.capacity() {
            // Growth by half again: each reserve copies the index, so grow geometrically.
            let capacity = needed.max(self.graph.capacity() + self.graph.capacity() / 2).max(1024);
            self.graph.reserve_capacity_and_threads(capacity, self.config.threads.max(1)).map_err(graph_error)?;
        }
        Ok(())
    }
}

impl VectorIndex for HnswIndex {
    fn metric(&self) -> Metric {
        self.metric
    }

    fn dimensions(&self) -> usize {
        self.dimensions
    }

    fn len(&self) -> usize {
        self.key_of.len()
    }

    fn upsert(&mut self, records: Vec<VectorRecord>) -> Result<usize, VectorError> {
        self.upsert_observed(records, &|_| {})
    }

    fn query(&self, vector: &[f32], options: &QueryOptions) -> Result<Vec<Match>, VectorError> {
        check_vector(vector, self.dimensions, self.metric)?;
        check_options(options)?;
        self.search(vector, options)
    }

    fn get_by_ids(&self, ids: &[&str]) -> Vec<VectorRecord> {
        ids.iter()
            .filter_map(|id| {
                let key = *self.key_of.get(*id)?;
                let entry = self.entries[key as usize].as_ref()?;
                let values = self.stored_values(key, entry.scale)?;
                Some(VectorRecord {
                    id: entry.id.clone(),
                    values,
                    namespace: entry.namespace.clone(),
                    metadata: entry.metadata.clone(),
                })
            })
            .collect()
    }

    fn delete_by_ids(&mut self, ids: &[&str]) -> usize {
        let mut deleted = 0;
        for id in ids {
            if let Some(key) = self.key_of.remove(*id) {
                let _ = self.graph.remove(key);
                self.entries[key as usize] = None;
                deleted += 1;
            }
        }
        deleted
    }

    fn flush(&mut self) -> Result<(), VectorError> {
        match &self.home {
            Some(home) => self.save(home).map_err(|e| VectorError::Index(e.to_string())),
            None => Ok(()),
        }
    }
}

/// Sets `path`'s permission bits to `mode` (Unix; elsewhere nothing to do).
fn owner_only(path: &Path, mode: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
    }
    #[cfg(not(unix))]
    {
        let _ = (path, mode);
        Ok(())
    }
}

fn sha256_file(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0_u8; 1 << 20];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}
