"""Which embedder preset retrieves the same place best? Amsterdam panoramas cut
into 8 perspective views (90° FOV, 1024x768, bottom masked as the reference
database does); every view of a panorama that has a partner panorama (same place,
another capture run or position, see ../shared/datasets/README.md) queries the
views of all *other* panoramas; a hit is a top-k view from a partner.

    .venv/bin/python benchmarks/bench_embedder_retrieval.py

Prints Recall@1/5 per preset and writes build/bench/bench_embedder_retrieval.json.
"""
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PLUGINS = REPO / "build" / "plugins"
sys.path.insert(0, str(PLUGINS))
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO]

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from geopin.geopin_plugin.engine import models as M  # noqa: E402
from geopin.geopin_plugin.engine.embed import load_embedder  # noqa: E402
from geopin.geopin_plugin.engine.panorama import perspective_views  # noqa: E402
from geopin.geopin_plugin.engine.paths import datasets_dir  # noqa: E402

GROUPS = [
    ["000992_pano_0001_000323", "001041_pano_0002_002709", "001041_pano_0002_002827", "001631_pano_0000_000280"],
    ["000711_pano_0000_003648", "000998_pano_0004_001175"],
    ["000105_pano_0001_002965", "000105_pano_0001_002993"],
]
HEADINGS = [0, 45, 90, 135, 180, 225, 270, 315]


def main():
    pano_dir = datasets_dir() / "amsterdam-panoramas"
    files = sorted(pano_dir.glob("*.jpg"))
    views, owner = [], []
    for i, f in enumerate(files):
        pano = cv2.cvtColor(cv2.imread(str(f)), cv2.COLOR_BGR2RGB)
        views += perspective_views(pano, HEADINGS)
        owner += [i] * len(HEADINGS)
    owner = np.array(owner)
    group_of = {}
    for g, members in enumerate(GROUPS):
        for i, f in enumerate(files):
            if any(f.stem.endswith(m) for m in members):
                group_of[i] = g
    result = {}
    for pid, preset in M.PRESETS.items():
        if preset.kind != "embedder":
            continue
        emb = load_embedder(pid)
        t = time.perf_counter()
        x = emb.embed(views)
        secs = (time.perf_counter() - t) / len(views)
        r1 = r5 = n = 0
        for q in range(len(views)):
            if owner[q] not in group_of:
                continue
            sims = x @ x[q]
            sims[owner == owner[q]] = -2  # leave the query's own panorama out
            top = np.argsort(-sims)[:5]
            hit = [group_of.get(owner[t_]) == group_of[owner[q]] for t_ in top]
            r1 += hit[0]
            r5 += any(hit)
            n += 1
        result[pid] = {"recall@1": r1 / n, "recall@5": r5 / n, "queries": n, "s_per_image": secs}
        print(f"{pid:32s} R@1 {100 * r1 / n:5.1f} %  R@5 {100 * r5 / n:5.1f} %  ({n} queries, {secs * 1000:.0f} ms/img)")
    out = REPO / "build" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_embedder_retrieval.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
