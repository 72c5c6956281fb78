"""Cells at country scale: what selecting a search area through the cells
(cells.CellGrid, refdb.ReferenceDatabase._allowed) costs against testing the
area polygon on every view, for N synthetic view positions spread over the
Netherlands' bounding box in RD New (default 1M), and the grid's build time.

    .venv/bin/python benchmarks/bench_cells.py [--views 1000000] [--cell 2000]

Areas: a parcel-sized 40-vertex polygon (~200 m across), a 2 km neighbourhood
and a 20 km region; each timed as the median of 9 runs, both ways, with the same
views found.
"""
import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from plugin_path import REPO  # noqa: E402,F401

from geopin.geopin_plugin.engine.database.cells import CellGrid  # noqa: E402
from geopin.geopin_plugin.engine.geo import points_in_polygons  # noqa: E402


def circle(cx, cy, r, n=40):
    a = np.linspace(0, 2 * math.pi, n, endpoint=False)
    return [np.stack([cx + r * np.cos(a), cy + r * np.sin(a)], axis=1)]


def median_s(fn, runs=9):
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        out.append(time.perf_counter() - t)
    return float(np.median(out)), result


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--views", type=int, default=1_000_000)
    ap.add_argument("--cell", type=float, default=2000.0)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    xs, ys = rng.uniform(13_000, 278_000, args.views), rng.uniform(306_000, 619_000, args.views)
    fids = np.arange(1, args.views + 1, dtype=np.int64)
    t = time.perf_counter()
    grid = CellGrid(fids, xs, ys, args.cell)
    build = time.perf_counter() - t
    print(f"{args.views:,} views, {len(grid):,} cells of {args.cell:g} m: grid built in {build * 1000:.0f} ms")
    print(f"{'area':28s} {'views in it':>11s} {'all views (ms)':>15s} {'through cells (ms)':>19s} {'ratio':>6s}")
    for name, r in (("parcel (r 100 m, 40 pts)", 100.0), ("neighbourhood (r 1 km)", 1000.0),
                    ("region (r 10 km)", 10_000.0)):
        area = circle(121_000.0, 487_000.0, r)

        def everything():
            return np.sort(fids[points_in_polygons(xs, ys, [area])])

        def through_cells():
            pts = area[0]
            rows = grid.rows_in_box(*pts.min(axis=0), *pts.max(axis=0))
            rows = rows[points_in_polygons(grid.xs[rows], grid.ys[rows], [area])]
            return np.sort(grid.fids[rows])

        t_all, a = median_s(everything)
        t_cells, b = median_s(through_cells)
        assert np.array_equal(a, b)
        print(f"{name:28s} {len(a):11,d} {t_all * 1000:15.1f} {t_cells * 1000:19.2f} {t_all / max(t_cells, 1e-9):6.0f}")


if __name__ == "__main__":
    main()
