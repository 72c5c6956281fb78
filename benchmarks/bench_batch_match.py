"""Issue 30's batched-matching experiment: is one descriptor matrix product per
chunk of references faster than one per pair (matching.mutual_matches), and does
it give the same mutual-NN matches?

The batched variant stacks a chunk's reference descriptors, multiplies once and
runs the same argmax / max / ratio rule on each reference's column block. Queries:
every 17th view of the demo database against 50 other views (XFeat, stored int4
descriptors unpacked as the verifier reads them), chunks of 10 as the verifier's.

    .venv/bin/python benchmarks/bench_batch_match.py
"""
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
import demo  # noqa: E402,F401  (sets sys.path for the plugin)

import numpy as np  # noqa: E402

from geopin.geopin_plugin.engine.verification import geometry as matching  # noqa: E402
from geopin.geopin_plugin.engine.database.refdb import ReferenceDatabase  # noqa: E402
from geopin.geopin_plugin.engine.verification.verifier import XFEAT_RATIO  # noqa: E402

AMS_DB = REPO / "build" / "geolocation" / "amsterdam_all.gpkg"
CHUNK = 10


def mutual_matches_many(dq, refs, ratio):
    """One product for the chunk; per reference a contiguous copy of its block (the
    reductions over a strided view are slower still)."""
    sim = dq @ np.concatenate(refs, axis=0).T
    out, start = [], 0
    for r in refs:
        out.append(matching.matches_from_similarity(np.ascontiguousarray(sim[:, start:start + len(r)]), ratio))
        start += len(r)
    return out


def main():
    with ReferenceDatabase.open(AMS_DB) as db:
        ids = db.ids()
        feats = db.local_features(ids, db.meta["extractor_preset"])
    ds = [np.asarray(feats[i].descriptors, np.float32) for i in ids]
    same = union = 0
    t_pair = t_batch = 0.0
    cpu_pair = cpu_batch = 0.0
    for qi in range(0, len(ds), 17):
        dq = ds[qi]
        refs = [d for j, d in enumerate(ds) if j != qi][:50]
        for _ in range(2):
            t0, c0 = time.perf_counter(), time.process_time()
            a = [matching.mutual_matches(dq, r, XFEAT_RATIO) for r in refs]
            t1, c1 = time.perf_counter(), time.process_time()
            b = [m for s in range(0, len(refs), CHUNK) for m in mutual_matches_many(dq, refs[s:s + CHUNK], XFEAT_RATIO)]
            t2, c2 = time.perf_counter(), time.process_time()
            t_pair, t_batch = t_pair + t1 - t0, t_batch + t2 - t1
            cpu_pair, cpu_batch = cpu_pair + c1 - c0, cpu_batch + c2 - c1
        for x, y in zip(a, b):
            sx, sy = set(map(tuple, x.tolist())), set(map(tuple, y.tolist()))
            same, union = same + len(sx & sy), union + len(sx | sy)
    print(f"per pair: {t_pair:.2f} s wall, {cpu_pair:.2f} s CPU; batched (chunks of {CHUNK}): {t_batch:.2f} s wall, "
          f"{cpu_batch:.2f} s CPU; per-pair / batched wall {t_pair / t_batch:.2f}; "
          f"matches in both {same} of {union}")


if __name__ == "__main__":
    main()
