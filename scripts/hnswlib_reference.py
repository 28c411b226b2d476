#!/usr/bin/env python3
# Reference point for `coinswarm bench vectors` (docs/BENCHMARKS.md, issue 6): the same
# kind of clustered workload built with hnswlib. Needs `pip install hnswlib numpy`.
# Usage: python3 scripts/hnswlib_reference.py [EF_CONSTRUCTION] [M]
# Comparison: hnswlib (the widely used C++ HNSW library) on the same kind of workload as
# `coinswarm bench vectors --workload clustered`: 1,000 centres uniform in [-1,1]^64, an
# 8-dim sheet around each (random linear map of N(0,1) draws, entries N(0, 0.1^2)), plus
# N(0, 0.01^2) noise. Cosine. 2 threads.
import sys, time, numpy as np, hnswlib
n, dim = 1_000_000, 64
efc = int(sys.argv[1]) if len(sys.argv) > 1 else 96
M = int(sys.argv[2]) if len(sys.argv) > 2 else 16
rng = np.random.default_rng(7)
centres = rng.uniform(-1, 1, (1000, dim)).astype(np.float32)
maps = rng.normal(0, 0.1, (1000, 8, dim)).astype(np.float32)
def gen(count):
    c = rng.integers(0, 1000, count)
    z = rng.normal(0, 1, (count, 8)).astype(np.float32)
    x = centres[c] + np.einsum('ij,ijk->ik', z, maps[c]) + rng.normal(0, 0.01, (count, dim)).astype(np.float32)
    return x.astype(np.float32)
data = gen(n); extra = gen(50_000); queries = gen(1000)
index = hnswlib.Index(space='cosine', dim=dim)
index.init_index(max_elements=n + 50_000, ef_construction=efc, M=M)
t = time.time(); index.add_items(data, np.arange(n), num_threads=2); build = time.time() - t
t = time.time()
for i in range(0, 50_000, 1000):
    index.add_items(extra[i:i+1000], np.arange(n + i, n + i + 1000), num_threads=2)
ins = 50_000 / (time.time() - t)
index.set_ef(48)
# exact top-10 over the 1,050,000 (cosine)
allv = np.vstack([data, extra]); allv /= np.linalg.norm(allv, axis=1, keepdims=True)
q = queries / np.linalg.norm(queries, axis=1, keepdims=True)
truth = np.argsort(-(q @ allv.T), axis=1)[:, :10]
lat = []
found = []
for v in q:
    t = time.perf_counter(); l, _ = index.knn_query(v, k=10, num_threads=1); lat.append(time.perf_counter() - t); found.append(l[0])
recall = np.mean([len(set(f) & set(tr)) / 10 for f, tr in zip(found, truth)])
lat = np.array(lat) * 1000
print(f"hnswlib M{M} efc{efc}: build {build:.1f} s ({n/build:.0f}/s), inserts {ins:.0f}/s, k10 p50 {np.percentile(lat,50):.3f} p99 {np.percentile(lat,99):.3f} ms at ef 48, recall@10 {recall:.4f}")
for ef in (64, 96):
    index.set_ef(ef)
    found = [index.knn_query(v, k=10)[0][0] for v in q]
    print(f"  ef {ef}: recall@10 {np.mean([len(set(f) & set(tr)) / 10 for f, tr in zip(found, truth)]):.4f}")
