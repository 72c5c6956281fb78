"""Measure the building prior's factor: how much less likely a street-level camera
stands inside a BAG footprint than outside, per m^2, from real camera positions.

    .venv/bin/python scripts/building_prior.py [--radius 30]

Camera positions: the 5,187 Amsterdam panorama positions of the shared datasets
(amsterdam-pano-positions.csv), those inside the shared BAG set's extent. The area
share of footprints around them: points drawn uniformly within ``radius`` of each
camera (the posterior's reach). factor = (share of cameras inside / area share
inside) / (share outside / area share outside); "k+1" counts one more camera inside
(a cautious estimate from so few).
"""
from __future__ import annotations

import argparse
import csv
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from plugin_path import REPO  # noqa: E402

from geopin.geopin_plugin.engine.estimate import buildings as B  # noqa: E402
from geopin.geopin_plugin.engine.geo import wgs84_to_rd  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    data = Path(os.environ.get("GEOPIN_DATASETS", REPO.parent / "shared" / "datasets"))
    ap.add_argument("--radius", type=float, nargs="*", default=[15.0, 30.0, 60.0])
    ap.add_argument("--samples", type=int, default=64, help="area points per camera")
    args = ap.parse_args(argv)
    src = B.geopackage_source(data / "amsterdam-bag" / "bag_pand_amsterdam_2019.gpkg")
    with open(data / "amsterdam-pano-positions.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    xy = np.array([wgs84_to_rd(float(r["lat"]), float(r["lon"])) for r in rows])
    ext = (119000.0, 476812.0, 132890.0, 493756.0)  # the set's extent (amsterdam-bag/README.md)
    ok = (xy[:, 0] > ext[0] + 100) & (xy[:, 0] < ext[2] - 100) & (xy[:, 1] > ext[1] + 100) & (xy[:, 1] < ext[3] - 100)
    xy = xy[ok]
    bmap = B.BuildingMap(src)
    rng = np.random.default_rng(0)
    inside = np.zeros(len(xy), bool)
    shares = {r: [] for r in args.radius}
    for i, (x, y) in enumerate(xy):
        fp = bmap.around([(x, y)], max(args.radius))
        inside[i] = bool(fp.inside(np.array([x]), np.array([y]))[0])
        for r in args.radius:
            a = rng.uniform(0, 2 * np.pi, args.samples)
            d = r * np.sqrt(rng.uniform(0, 1, args.samples))
            shares[r].append(fp.inside(x + d * np.sin(a), y + d * np.cos(a)).mean())
        if len(bmap._tiles) > 400:
            bmap._tiles.clear()
            bmap._merged.clear()
    n, k = len(xy), int(inside.sum())
    print(f"cameras in the BAG extent: {n}; inside a footprint: {k} ({100.0 * k / n:.2f} %)")
    for r in args.radius:
        s = float(np.mean(shares[r]))
        p_in = k / n
        factor = (p_in / s) / ((1 - p_in) / (1 - s))
        print(f"radius {r:g} m: footprint area share {100 * s:.1f} %; factor {factor:.4f} "
              f"(k+1: {((k + 1) / n / s) / ((1 - (k + 1) / n) / (1 - s)):.4f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
