"""Range from facades: a bearing line from one verified reference becomes a position.

A relative pose (engine/estimate/relative_pose.py) gives the query camera's direction from the
reference and, triangulated with a unit baseline, every inlier's depth up to one
scale factor. The reference's position and heading are known, so each inlier's ray
from the reference can be followed on the map to the first building footprint it
meets (engine/estimate/buildings.py): that facade's horizontal distance is the point's metric
depth. The ratio metric / relative depth over the inliers whose rays hit a facade
(robust: their median in log space) fixes the scale; the query camera stands at
``reference + scale x (horizontal baseline)`` along the bearing line.

It fails, and says why (``FacadeRange.note``), when too few rays meet a facade
within reach, when the rays' scales disagree (trees, cars, a facade behind an open
square: the points are not on the first facade), or when the range is implausible.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np

MAX_FACADE_M = 80.0  # a ray's first facade farther than this does not count
MIN_FACADE_M = 1.5
MIN_RAY_ANGLE_DEG = 1.0  # triangulation angle below this: the relative depth is noise
# a ray grazing a facade (a street seen along its length) meets it at a distance a
# degree of bearing or a metre of GPS moves by many metres, and the matched point is
# often farther down the street: such rays do not count
MIN_INCIDENCE_DEG = 30.0
MIN_MEDIAN_ANGLE_DEG = 6.0  # the rays' median triangulation angle below this: no range
MIN_RAYS = 8  # rays with a facade and a relative depth needed for a scale
MAX_RAYS = 64  # rays followed on the map per pair (evenly chosen; a median needs no more)
MAX_LOG_SPREAD = 0.35  # robust sd of the rays' log scales above this: no common scale
MAX_RANGE_M = 100.0  # a verified partner is never farther (the protocols: 3-80 m)
# The range's sd: the rays' own disagreement, at least SCALE_SD_FLOOR of the range
# (the pose's direction and the FOV guess scale every ray alike), plus
# FACADE_SD_M (BAG outlines and the reference's GPS: a metre or two at the facade).
# Measured on amsterdam-lopo: ranged observations off by a median 36 % (p68 62 %, one
# partner pair 3x short); the floor was set so the answers' radii hold the truth
# about 68 % of the time (docs/geolocation.md).
SCALE_SD_FLOOR = 0.30
FACADE_SD_M = 2.0


@dataclass
class FacadeRange:
    range_m: Optional[float]  # horizontal distance reference -> query camera; None: no range
    range_sd_m: Optional[float]
    n_rays: int  # rays with a relative depth
    n_hits: int  # ... whose first facade lies within reach
    n_used: int  # ... whose scale agrees with the median
    spread: float  # robust sd of the log scales
    note: str = ""  # why there is no range
    angle_deg: float = float("nan")  # median triangulation angle of the rays used


def triangulate(a: np.ndarray, d: np.ndarray, c: np.ndarray):
    """Depths (lam, mu) along unit rays a (from the origin) and d (from c) of the points
    nearest to both, and the angle between the rays (degrees)."""
    ad = np.sum(a * d, axis=1)
    ac = a @ c
    dc = d @ c
    den = np.maximum(1.0 - ad ** 2, 1e-12)
    lam = (ac - ad * dc) / den
    mu = (ad * ac - dc) / den
    return lam, mu, np.degrees(np.arccos(np.clip(ad, -1.0, 1.0)))


def facade_range(matches: np.ndarray, k_query, k_ref, rel_pose, ref_x: float, ref_y: float, ref_heading_deg: float,
                 footprints) -> FacadeRange:
    """The metric range of one verified pair (see the module's docstring)."""
    from .relative_pose import rays

    def fail(note, n_rays=0, n_hits=0, spread=float("nan"), n_used=0):
        return FacadeRange(None, None, n_rays, n_hits, n_used, spread, note)

    if rel_pose is None or rel_pose.bearing_deg is None:
        return fail("no bearing")
    m = np.asarray(matches, np.float64)
    idx = rel_pose.inlier_index if rel_pose.inlier_index is not None else np.arange(len(m))
    m = m[idx]
    a = rays(m[:, 2:4], k_ref)  # reference frame
    d = rays(m[:, :2], k_query) @ rel_pose.R  # query rays in the reference frame (R^T b)
    c = -rel_pose.R.T @ rel_pose.t  # the query camera, unit baseline
    lam, mu, angle = triangulate(a, d, c)
    ok = (lam > 0) & (mu > 0) & (angle >= MIN_RAY_ANGLE_DEG)
    n_rays = int(ok.sum())
    if n_rays < MIN_RAYS:
        return fail("too little parallax", n_rays)
    keep = np.flatnonzero(ok)
    if len(keep) > MAX_RAYS:
        keep = keep[np.linspace(0, len(keep) - 1, MAX_RAYS).round().astype(int)]
    ok = np.zeros(len(ok), bool)
    ok[keep] = True
    a, lam = a[ok], lam[ok]
    horiz = np.hypot(a[:, 0], a[:, 2])
    rel_depth = lam * horiz  # horizontal, in baselines
    bearings = ref_heading_deg + np.degrees(np.arctan2(a[:, 0], a[:, 2]))
    dist, _, incidence = footprints.first_hits(ref_x, ref_y, bearings, MAX_FACADE_M)
    hit = np.isfinite(dist) & (dist >= MIN_FACADE_M) & (incidence >= MIN_INCIDENCE_DEG)
    n_hits = int(hit.sum())
    if n_hits < MIN_RAYS:
        return fail("no facade within reach", n_rays, n_hits)
    log_s = np.log(dist[hit] / rel_depth[hit])
    med = float(np.median(log_s))
    spread = 1.4826 * float(np.median(np.abs(log_s - med)))
    if spread > MAX_LOG_SPREAD:
        return fail("facade scales disagree", n_rays, n_hits, spread)
    near = np.abs(log_s - med) <= max(3.0 * spread, 0.05)
    scale = math.exp(float(np.median(log_s[near])))
    baseline = math.hypot(float(c[0]), float(c[2])) * scale
    if not baseline <= MAX_RANGE_M:
        return fail("range beyond reach", n_rays, n_hits, spread, int(near.sum()))
    rel_sd = max(spread / math.sqrt(max(int(near.sum()), 1)), SCALE_SD_FLOOR)
    rel_sd = math.hypot(rel_sd, FACADE_SD_M / max(float(np.median(dist[hit][near])), MIN_FACADE_M))
    ang = float(np.median(angle[ok][hit][near]))
    if ang < MIN_MEDIAN_ANGLE_DEG:
        return fail("too little parallax", n_rays, n_hits, spread, int(near.sum()))
    return FacadeRange(baseline, baseline * rel_sd, n_rays, n_hits, int(near.sum()), spread, "", ang)
