"""HNSW (hnswlib) vs exact numpy search on synthetic clustered 512-d embeddings.

Measures, per size (10k, 100k, 1M): index build time and memory, single-thread
top-100 query latency p50/p99 for a few `ef` values, recall@100 against exact
search, and exact numpy search latency. Prints a table and writes JSON to
build/bench/bench_index.json. Not a timed test; run it by hand or via `make bench`:

    nice .venv/bin/python benchmarks/bench_index.py            # 10k, 100k, 1M
    .venv/bin/python benchmarks/bench_index.py --sizes 10000   # quick

Vectors are generated chunk by chunk from a seeded generator, so the 1M matrix
(2 GB) is never held while the index is measured: the index process RSS is the
index's own footprint. Exact ground truth is merged chunk by chunk; the exact
search latency is measured afterwards on the full matrix with the index freed.

The index parameters are the ones the reference database uses
(geopin_plugin/engine/database/index/hnsw.py: HNSW_M, HNSW_EF_CONSTRUCTION, inner product).
"""
import argparse
import json
import os
import sys
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # exact search single-threaded, like the queries

import hnswlib  # noqa: E402
import numpy as np  # noqa: E402
from memory import rss_mb  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DIM = 512
K = 100
M = 16
EF_CONSTRUCTION = 128
CHUNK = 50_000
EF_VALUES = (100, 150, 200, 300, 400)




def centers(n_clusters, seed):
    rng = np.random.default_rng(seed)
    c = rng.standard_normal((n_clusters, DIM)).astype(np.float32)
    return c / np.linalg.norm(c, axis=1, keepdims=True)


def chunk_vectors(cent, start, count, seed, noise=0.6):
    """Points around random cluster centres (a few hundred vectors per cluster,
    like views of one street), L2-normalised as embeddings are."""
    rng = np.random.default_rng([seed, start])
    labels = rng.integers(0, len(cent), size=count)
    x = cent[labels] + noise * rng.standard_normal((count, DIM)).astype(np.float32) / np.sqrt(DIM)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32)


def merge_topk(best_s, best_i, sims, offset):
    """Keep the K largest similarities per query row across chunks."""
    idx = np.argpartition(-sims, K - 1, axis=1)[:, :K]
    s = np.take_along_axis(sims, idx, axis=1)
    all_s = np.concatenate([best_s, s], axis=1)
    all_i = np.concatenate([best_i, idx + offset], axis=1)
    keep = np.argpartition(-all_s, K - 1, axis=1)[:, :K]
    return np.take_along_axis(all_s, keep, axis=1), np.take_along_axis(all_i, keep, axis=1)


def bench_size(n, n_queries, threads, seed=7):
    n_clusters = max(10, n // 500)
    cent = centers(n_clusters, seed)
    queries = chunk_vectors(cent, n + 10**9, n_queries, seed)  # not in the set
    best_s = np.full((n_queries, K), -np.inf, dtype=np.float32)
    best_i = np.zeros((n_queries, K), dtype=np.int64)

    rss0 = rss_mb()
    index = hnswlib.Index(space="ip", dim=DIM)
    index.init_index(max_elements=n, M=M, ef_construction=EF_CONSTRUCTION, random_seed=seed)
    index.set_num_threads(threads)
    build_s = 0.0
    for start in range(0, n, CHUNK):
        count = min(CHUNK, n - start)
        x = chunk_vectors(cent, start, count, seed)
        best_s, best_i = merge_topk(best_s, best_i, queries @ x.T, start)
        t0 = time.perf_counter()
        index.add_items(x, np.arange(start, start + count))
        build_s += time.perf_counter() - t0
        del x
        print(f"  n={n}: added {start + count}/{n}  build {build_s:.0f}s", file=sys.stderr, flush=True)
    index_rss = rss_mb() - rss0
    gt = [set(row.tolist()) for row in best_i]

    index.set_num_threads(1)
    sweep = []
    for ef in EF_VALUES:
        index.set_ef(ef)
        lat = []
        hits = 0
        for qi in range(n_queries):
            t0 = time.perf_counter()
            labels, _ = index.knn_query(queries[qi : qi + 1], k=K)
            lat.append(time.perf_counter() - t0)
            hits += len(gt[qi].intersection(labels[0].tolist()))
        lat_ms = np.array(lat) * 1000
        sweep.append({
            "ef": ef,
            "recall_at_100": hits / (n_queries * K),
            "p50_ms": float(np.percentile(lat_ms, 50)),
            "p99_ms": float(np.percentile(lat_ms, 99)),
        })
        print(f"  n={n} ef={ef}: recall {sweep[-1]['recall_at_100']:.4f} p50 {sweep[-1]['p50_ms']:.2f} ms", file=sys.stderr, flush=True)
    del index

    # Exact numpy search latency on the full matrix (single thread is enforced by
    # OMP/OPENBLAS_NUM_THREADS=1 set before numpy is imported in main()).
    full = np.empty((n, DIM), dtype=np.float32)
    for start in range(0, n, CHUNK):
        count = min(CHUNK, n - start)
        full[start : start + count] = chunk_vectors(cent, start, count, seed)
    n_exact = min(n_queries, 30 if n >= 1_000_000 else 100)
    lat = []
    exact_hits = 0
    for qi in range(n_exact):
        t0 = time.perf_counter()
        sims = full @ queries[qi]
        top = np.argpartition(-sims, K - 1)[:K]
        top = top[np.argsort(-sims[top])]
        lat.append(time.perf_counter() - t0)
        exact_hits += len(gt[qi].intersection(top.tolist()))
    del full
    exact_ms = np.array(lat) * 1000
    return {
        "n": n,
        "dim": DIM,
        "clusters": n_clusters,
        "queries": n_queries,
        "M": M,
        "ef_construction": EF_CONSTRUCTION,
        "build_threads": threads,
        "build_s": build_s,
        "index_rss_mb": index_rss,
        "index_bytes_estimate_mb": n * (DIM * 4 + 2 * M * 4 + 4 + 8) / 2**20,
        "exact_p50_ms": float(np.percentile(exact_ms, 50)),
        "exact_p99_ms": float(np.percentile(exact_ms, 99)),
        "exact_self_check_recall": exact_hits / (n_exact * K),
        "sweep": sweep,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--threads", type=int, default=2, help="hnswlib build threads")
    ap.add_argument("--out", default=str(REPO / "build" / "bench" / "bench_index.json"))
    args = ap.parse_args()
    results = []
    for n in (int(s) for s in args.sizes.split(",")):
        results.append(bench_size(n, args.queries, args.threads))
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(results, indent=2))

    print("| vectors | build (2 thr) | index RSS | exact p50 | ef | recall@100 | HNSW p50 | HNSW p99 | speed-up (p50) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        for s in r["sweep"]:
            print(f"| {r['n']:,} | {r['build_s']:.1f} s | {r['index_rss_mb']:.0f} MB | {r['exact_p50_ms']:.2f} ms "
                  f"| {s['ef']} | {s['recall_at_100']:.4f} | {s['p50_ms']:.3f} ms | {s['p99_ms']:.3f} ms "
                  f"| {r['exact_p50_ms'] / s['p50_ms']:.0f}× |")
    print(f"JSON: {args.out}")


if __name__ == "__main__":
    main()
