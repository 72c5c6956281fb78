"""docs/screenshots/facades_houthavens.png: range from facades on a real query.

    .venv/bin/python scripts/facades_figure.py

A phone-like 65 deg view (heading 337.5) of Houthavens panorama 002993, left out; its
only partner panorama (002965, 23 m away) verifies. Drawn: the shared BAG footprints,
the rays from the partner to the facades its inliers lie on (grey: not used), the
bearing line, the ranged camera position with its 68 % radius, and the truth.
"""
from __future__ import annotations

import csv
import math
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from plugin_path import REPO  # noqa: E402

from geopin.geopin_plugin.engine.estimate import buildings as B  # noqa: E402
from geopin.geopin_plugin.engine.estimate import facades as F  # noqa: E402
from geopin.geopin_plugin.engine.estimate import bearings as localize, relative_pose as pose  # noqa: E402
from geopin.geopin_plugin.engine.registry import load_extractor  # noqa: E402
from geopin.geopin_plugin.engine.geo import wgs84_to_rd  # noqa: E402
from geopin.geopin_plugin.engine.models import DEFAULT_EXTRACTOR  # noqa: E402
from geopin.geopin_plugin.engine.panorama import DEFAULT_MIN_ELEVATION_DEG, perspective_view, perspective_views  # noqa: E402
from geopin.geopin_plugin.engine.paths import datasets_dir  # noqa: E402
from geopin.geopin_plugin.engine.verification.verifier import Verifier  # noqa: E402
from geopin.geopin_plugin.engine.registry import verifier_config as config_for  # noqa: E402

QUERY = ("TMX7315120208-000105_pano_0001_002993", 337.5, 65.0)
PARTNER = "TMX7315120208-000105_pano_0001_002965"
REF_HEADINGS = (270.0, 315.0, 0.0, 45.0)


def rgb(path):
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


def main() -> int:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = datasets_dir()
    with open(data / "amsterdam-panoramas" / "manifest.csv", newline="") as fh:
        pos = {r["pano_id"]: wgs84_to_rd(float(r["lat"]), float(r["lon"])) for r in csv.DictReader(fh)}
    ex = load_extractor(DEFAULT_EXTRACTOR)
    name, heading, fov = QUERY
    qv = perspective_view(rgb(data / "amsterdam-panoramas" / f"{name}.jpg"), heading, fov,
                          min_elevation_deg=DEFAULT_MIN_ELEVATION_DEG)
    fq = ex.extract(qv)
    views = perspective_views(rgb(data / "amsterdam-panoramas" / f"{PARTNER}.jpg"), REF_HEADINGS)
    refs = {i: ex.extract(v) for i, v in enumerate(views)}
    px, py = pos[PARTNER]
    inputs = [localize.PoseInput(v.matches, pose.view_intrinsics(90.0, refs[i].image_size), REF_HEADINGS[i], px, py,
                                 PARTNER, i)
              for i, v in Verifier(config_for(DEFAULT_EXTRACTOR)).verify(fq, refs).items() if v.verified]
    camera = lambda size, hfov: pose.view_intrinsics(hfov, size, view_size=qv.shape[1::-1])  # noqa: E731
    bag = data / "amsterdam-bag" / "bag_pand_amsterdam_2019.gpkg"
    fp = B.BuildingMap(B.geopackage_source(str(bag))).around([(px, py)], 90.0)
    stage = localize.pose_stage(tuple(fq.image_size), inputs, query_camera=camera, footprints=fp)
    x, y = localize.intersect(stage.lines)
    radius = localize.crossing_radius(stage.lines, (x, y))
    tx, ty = pos[name]

    fig, ax = plt.subplots(figsize=(7, 7))
    for poly in fp.polygons:
        ax.fill(poly[0][:, 0], poly[0][:, 1], color="#d9c7a7", ec="#8a7458", lw=0.6)
    kq = camera(tuple(fq.image_size), stage.hfov_deg)
    for inp in inputs:  # the rays followed to the facades
        p = stage.poses.get(inp.view_id)
        if p is None or p.bearing_deg is None:
            continue
        m = inp.matches[p.inlier_index]
        a = pose.rays(m[:, 2:4], inp.ref_intrinsics)
        d = pose.rays(m[:, :2], kq) @ p.R
        lam, mu, ang = F.triangulate(a, d, -p.R.T @ p.t)
        ok = (lam > 0) & (mu > 0) & (ang >= F.MIN_RAY_ANGLE_DEG)
        b = inp.ref_heading_deg + np.degrees(np.arctan2(a[ok, 0], a[ok, 2]))
        dist, _, inc = fp.first_hits(px, py, b, F.MAX_FACADE_M)
        for bb, dd, ii in zip(b, dist, inc):
            if np.isfinite(dd):
                used = ii >= F.MIN_INCIDENCE_DEG
                ax.plot([px, px + dd * math.sin(math.radians(bb))], [py, py + dd * math.cos(math.radians(bb))],
                        color="#1f77b4" if used else "#bbbbbb", lw=0.5, alpha=0.6)
    for ln in stage.lines:
        u = (math.sin(math.radians(ln.bearing_deg)), math.cos(math.radians(ln.bearing_deg)))
        ax.plot([ln.x - 60 * u[0], ln.x + 60 * u[0]], [ln.y - 60 * u[1], ln.y + 60 * u[1]], "--", color="#555555",
                lw=1, label="bearing line (no range without outlines)")
    ax.add_patch(plt.Circle((x, y), radius, fill=False, color="#d62728", lw=1.5))
    ax.plot(px, py, "s", color="#1f77b4", ms=8, label="partner panorama (23 m from the truth)")
    ax.plot(x, y, "*", color="#d62728", ms=14, label=f"ranged position ({math.hypot(x - tx, y - ty):.1f} m off, "
                                                     f"68 % radius {radius:.1f} m)")
    ax.plot(tx, ty, "x", color="k", ms=10, mew=2, label="truth (left-out panorama)")
    ax.set_xlim(px - 70, px + 70)
    ax.set_ylim(py - 70, py + 70)
    ax.set_aspect("equal")
    ax.set_title("Range from facades: Houthavens, one partner panorama\n"
                 "blue: inlier rays meeting a BAG facade (grey: grazing, not used)", fontsize=10)
    ax.legend(loc="lower left", fontsize=8)
    ax.set_xlabel("RD x (m)")
    ax.set_ylabel("RD y (m)")
    out = REPO / "docs" / "screenshots" / "facades_houthavens.png"
    fig.savefig(out, dpi=110, bbox_inches="tight")
    print(out, f"error {math.hypot(x - tx, y - ty):.1f} m, radius {radius:.1f} m, method "
               f"{localize.position_method(stage.lines)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
