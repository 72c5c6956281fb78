"""What issue 26's guards cost, measured on this machine (docs/reliability.md):

- ranking one parcel + building polygon of N vertices for one photo
  (whatisinview.analyse), which set pdok/shapes.py's MAX_VERTICES;
- the check update_index makes before a rebuild (refdb._kept_from_trusted_index):
  the index's vectors hashed against the recorded checksum and compared with the
  stored embeddings, at N views x 512.

    .venv/bin/python benchmarks/bench_reliability_costs.py [--views 100000]
"""
import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "build" / "plugins"))

from geopin.geopin_plugin.engine.pdok import whatisinview as wv  # noqa: E402
from geopin.geopin_plugin.engine.database.index.stored import checksum  # noqa: E402
from geopin.geopin_plugin.engine.pdok.parcels import DensityGrid  # noqa: E402
from geopin.geopin_plugin.engine.pdok import shapes  # noqa: E402
from geopin.geopin_plugin.engine.pdok.features import parse_buildings, parse_parcels  # noqa: E402
from geopin.geopin_plugin.engine.pdok.fetch import AreaData  # noqa: E402

CX, CY = 121000.0, 487000.0


def polygon_seconds(n):
    ring = [[CX + 30 * math.cos(2 * math.pi * k / n), CY + 30 * math.sin(2 * math.pi * k / n)] for k in range(n)]
    feature = {"type": "Feature", "id": "x", "properties": {},
               "geometry": {"type": "Polygon", "coordinates": [ring + [ring[0]]]}}
    data = AreaData(parcels=parse_parcels([feature]), buildings=parse_buildings([feature], "BAG pand"))
    grid = DensityGrid.gaussian(CX, CY, error_radius_m=6.0, mass=0.9)
    t = time.perf_counter()
    wv.analyse(grid, (CX, CY), lambda bbox: data)
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--views", type=int, default=100_000)
    args = ap.parse_args()
    for n in (shapes.MAX_VERTICES, 20_000, 100_000):
        print(f"one polygon of {n} vertices: {polygon_seconds(n):.2f} s for one photo")
    ids = np.arange(args.views)
    index_vectors = np.random.default_rng(0).standard_normal((args.views, 512)).astype(np.float32)
    stored = index_vectors.copy()
    t = time.perf_counter()
    checksum(ids, index_vectors)
    hashed = time.perf_counter() - t
    t = time.perf_counter()
    np.abs(index_vectors - stored).max(axis=1)
    compared = time.perf_counter() - t
    print(f"{args.views} views x 512: checksum of the index's vectors {hashed:.2f} s, "
          f"compared with the stored embeddings {compared:.2f} s")


if __name__ == "__main__":
    main()
