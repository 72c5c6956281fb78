"""Cost of validating a GeoPin IVF-PQ index file at N views (default 1M, 512-d)
before faiss reads it (engine/database/index/faiss_check.py: the structure walk, the list
ids against the id table, sha256 of the faiss block and ids, the Fletcher sums
over the float16 re-rank vectors), against the load that follows.

The file is the product's own save() of an index whose quantisers are trained on
20k random vectors and whose inverted lists are filled directly with random codes
(encoding 1M vectors would take this 2-core machine minutes and changes no byte
count): the same layout and sizes as a real 1M build (nlist 4096, 64-byte codes,
1 GB of float16 vectors).

    .venv/bin/python benchmarks/bench_faiss_check.py [--views 1000000] [--dir /tmp]
"""
import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "build" / "plugins"))

from geopin.geopin_plugin.engine.database.index import faiss_ivfpq  # noqa: E402
from geopin.geopin_plugin.engine.database.index.faiss_ivfpq import FaissIvfPqIndex  # noqa: E402


def synthetic(n, dim):
    import faiss

    rng = np.random.default_rng(0)
    train = rng.standard_normal((20_000, dim)).astype(np.float32)
    train /= np.linalg.norm(train, axis=1, keepdims=True)
    nlist = faiss_ivfpq._nlist(n)
    index = faiss.IndexIVFPQ(faiss.IndexFlatIP(dim), dim, nlist, faiss_ivfpq.PQ_M, faiss_ivfpq.PQ_BITS,
                             faiss.METRIC_INNER_PRODUCT)
    index.cp.niter = 2
    index.pq.cp.niter = 2
    index.train(train)
    ids = np.arange(n, dtype=np.int64) * 2 + 1
    lists = rng.integers(0, nlist, n)
    order = np.argsort(lists, kind="stable")
    bounds = np.searchsorted(lists[order], np.arange(nlist + 1))
    codes = rng.integers(0, 256, (n, faiss_ivfpq.PQ_M), dtype=np.uint8)
    invlists = index.invlists
    for li in range(nlist):
        rows = order[bounds[li]:bounds[li + 1]]
        if len(rows):
            list_ids, list_codes = np.ascontiguousarray(ids[rows]), np.ascontiguousarray(codes[rows])  # kept alive
            invlists.add_entries(li, len(rows), faiss.swig_ptr(list_ids), faiss.swig_ptr(list_codes))
    index.ntotal = n
    ix = FaissIvfPqIndex(dim)
    ix._index, ix._ids = index, ids
    ix._vectors = np.empty((n, dim), np.float16)
    for s in range(0, n, 65536):  # no float64 copy of the whole matrix
        ix._vectors[s:s + 65536] = rng.standard_normal((min(65536, n - s), dim), dtype=np.float32)
    return ix, ids


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--views", type=int, default=1_000_000)
    ap.add_argument("--dim", type=int, default=512)
    ap.add_argument("--dir", default=tempfile.gettempdir())
    args = ap.parse_args()
    ix, ids = synthetic(args.views, args.dim)
    path = Path(args.dir) / "bench_faiss_check.ivfpq"
    try:
        t = time.perf_counter()
        ix.save(path)
        save_s = time.perf_counter() - t
        del ix
        print(f"{args.views} views, {args.dim}-d: file {path.stat().st_size / 1e6:.0f} MB, save with checks "
              f"{save_s:.2f} s")
        for run in range(3):
            t = time.perf_counter()
            problem = FaissIvfPqIndex.validate(path, ids, args.dim)
            validate_s = time.perf_counter() - t
            t = time.perf_counter()
            FaissIvfPqIndex(args.dim).load(path)
            load_s = time.perf_counter() - t
            print(f"run {run}: validate {validate_s:.2f} s ({problem or 'accepted'}), load {load_s:.2f} s")
    finally:
        path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
