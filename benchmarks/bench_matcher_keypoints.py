"""Issue 30: would LighterGlue on fewer keypoints a side keep the verifier's verdicts?

1. Time: ``LightGlueMatcher.match`` on real pairs of the demo database (stored XFeat
   features) at each keypoint count, alternating the counts, in one process.
2. Verdicts: two confirm caches of the evaluation (``scripts/evaluate.py --compare ""
   "matcher_keypoints=512"`` fills both; caches.confirm_id names them) compared pair by
   pair: the inliers at the smaller count of the pairs that verify at the product's
   count (``matcher_min_inliers``), and what each threshold would lose and add.

    .venv/bin/python benchmarks/bench_matcher_keypoints.py --keypoints 1024 512 \\
        --caches build/eval-cache/verify/<product confirm cache> build/eval-cache/verify/<512 confirm cache>
"""
import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
import demo  # noqa: E402,F401  (sets sys.path for the plugin)

import numpy as np  # noqa: E402

from geopin.geopin_plugin.engine import registry  # noqa: E402
from geopin.geopin_plugin.engine.database.refdb import ReferenceDatabase  # noqa: E402
from geopin.geopin_plugin.engine.verification.verifier import conf  # noqa: E402

AMS_DB = REPO / "build" / "geolocation" / "amsterdam_all.gpkg"


def time_pairs(counts, n_pairs=6, repeats=2):
    with ReferenceDatabase.open(AMS_DB) as db:
        ids = db.ids()[: 2 * n_pairs]
        feats = db.local_features(ids, db.meta["extractor_preset"])
    matcher = registry.load_matcher(conf("xfeat").matcher)
    pairs = [(feats[ids[i]], feats[ids[i + n_pairs]]) for i in range(n_pairs)]
    matcher.match(*pairs[0], counts[0])  # warm-up
    seconds = {k: [] for k in counts}
    for rep in range(repeats):
        for k in counts if rep % 2 == 0 else counts[::-1]:
            for a, b in pairs:
                t0 = time.perf_counter()
                matcher.match(a, b, k)
                seconds[k].append(time.perf_counter() - t0)
    for k in counts:
        print(f"{k} keypoints: median {np.median(seconds[k]):.3f} s a pair over {len(seconds[k])}")


def compare_caches(product_dir, other_dir, need):
    rows = []
    for path in Path(other_dir).glob("*.json"):
        mine = Path(product_dir) / path.name
        if not mine.exists():
            continue
        a, b = json.loads(mine.read_text()), json.loads(path.read_text())
        rows += [(a[k]["inliers"], b[k]["inliers"]) for k in b if k in a]
    r = np.array(rows, float).reshape(-1, 2)
    verified = r[:, 0] >= need
    print(f"{len(r)} pairs in both caches; {int(verified.sum())} verify at the product's count (>= {need})")
    if verified.any():
        print(f"their inliers at the other count: {int(r[verified, 1].min())}-{int(r[verified, 1].max())}, "
              f"median {np.median(r[verified, 1]):.0f}")
    print(f"the others': up to {int(r[~verified, 1].max())}, p90 {np.percentile(r[~verified, 1], 90):.0f}")
    for t in range(int(need * 0.3), need + 1, 2):
        kept = r[:, 1] >= t
        print(f"  threshold {t}: loses {int((verified & ~kept).sum())} verified pairs, "
              f"adds {int((~verified & kept).sum())}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--keypoints", type=int, nargs="+", default=[1024, 512])
    ap.add_argument("--caches", nargs=2, metavar=("PRODUCT", "OTHER"))
    args = ap.parse_args(argv)
    time_pairs(args.keypoints)
    if args.caches:
        compare_caches(*args.caches, need=conf("xfeat").matcher_min_inliers)


if __name__ == "__main__":
    main()
