"""Cost of validating an hnswlib index file before loading it
(engine/database/index/hnsw_file.py validate_hnsw_file: header, every level-0 and
upper-level link, labels).

The file is synthetic but has hnswlib 0.8's exact layout (random valid links, a
geometric level distribution with mult 1/ln(M), random vectors): validation reads
the same bytes as on a real index of that size, and building a real 1M index
would take hours on this machine.

    .venv/bin/python benchmarks/bench_index_check.py --count 1000000 --dim 512
"""
import argparse
import os
import struct
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "build" / "plugins"))
from geopin.geopin_plugin.engine.database.index import hnsw_file  # noqa: E402


def write_synthetic(path, count, dim, m=16, seed=0):
    rng = np.random.default_rng(seed)
    max_m0, size_links0 = 2 * m, 2 * m * 4 + 4
    sdpe = size_links0 + dim * 4 + 8
    mult = 1 / np.log(m)
    levels = np.floor(-np.log(rng.random(count)) * mult).astype(np.int64)
    ep = int(np.argmax(levels))
    header = struct.pack("<6Q i I 3Q d Q", 0, count, count, sdpe, size_links0 + dim * 4, size_links0,
                         int(levels[ep]), ep, m, max_m0, m, mult, 128)
    with open(path, "wb") as fh:
        fh.write(header)
        for start in range(0, count, 50_000):
            n = min(50_000, count - start)
            rec = np.zeros((n, sdpe), dtype=np.uint8)
            links = np.empty((n, max_m0 + 1), dtype="<u4")
            links[:, 0] = max_m0
            links[:, 1:] = rng.integers(0, count, (n, max_m0))
            rec[:, :size_links0] = links.view(np.uint8).reshape(n, -1)
            rec[:, size_links0:size_links0 + 4 * dim] = rng.standard_normal((n, dim), dtype=np.float32).view(
                np.uint8).reshape(n, -1)
            rec[:, size_links0 + 4 * dim:] = np.arange(start + 1, start + n + 1, dtype="<u8").view(np.uint8).reshape(n, -1)
            fh.write(rec.tobytes())
        size_links = m * 4 + 4
        by_level = {lv: np.flatnonzero(levels >= lv) for lv in range(1, int(levels.max()) + 1)}
        out = bytearray()
        for element in range(count):
            lv = int(levels[element])
            out += struct.pack("<I", lv * size_links)
            for level in range(1, lv + 1):
                pool = by_level[level]
                ids = rng.choice(pool, size=min(m, len(pool)), replace=False) if len(pool) > 1 else pool[:0]
                row = np.zeros(m + 1, dtype="<u4")
                row[0] = len(ids)
                row[1:1 + len(ids)] = ids
                out += row.tobytes()
        fh.write(bytes(out))
    return np.arange(1, count + 1, dtype=np.int64)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=1_000_000)
    ap.add_argument("--dim", type=int, default=512)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "synthetic.hnsw"
        t0 = time.perf_counter()
        ids = write_synthetic(path, args.count, args.dim)
        print(f"wrote {os.path.getsize(path) / 1e9:.2f} GB in {time.perf_counter() - t0:.1f} s")
        times = []
        for _ in range(args.repeat):  # warm page cache after the first: what a second open costs
            t0 = time.perf_counter()
            problem = hnsw_file.validate_hnsw_file(path, args.count, args.dim, ids)
            times.append(time.perf_counter() - t0)
            assert problem is None, problem
        print(f"validate_hnsw_file at {args.count} views, {args.dim}-d: first {times[0]:.2f} s, "
              f"best {min(times):.2f} s (of {args.repeat})")


if __name__ == "__main__":
    main()
