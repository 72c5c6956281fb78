"""Where the camera looked, as a map polygon: the view cone of a located photo.

    cone = view_cone(geolocation)      # None without a camera heading
    cone.ring()                        # closed (N, 2) RD New ring: apex, arc, apex

Apex at the estimate; centred on the camera heading the relative poses gave
(engine/estimate/bearings.py); opening the photo's horizontal field of view the pose used
(``Geolocation.fov_source``: "exif" from FocalLengthIn35mmFilm, "hypotheses" the FOV
hypothesis whose essential matrices held the most inliers); depth the distance to
the farthest verified reference that lies inside that opening ("references": the
photo matched what is there) or DEFAULT_DEPTH_M ("default") when none does.

``pinned_by`` is the reference that pinned the heading: of the verified references
with a pose at the estimated place (pose_note set, within PLACE_REACH_M of the
estimate), one whose bearing line shaped the estimate ("pinned") first, else the
one with the most inliers (the smallest rotation uncertainty, so the largest
weight in the heading's weighted circular median).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

import numpy as np

from ..geo import angle_between

DEFAULT_DEPTH_M = 50.0
MIN_DEPTH_M = 10.0  # a nearer reference in view (a partner beside the camera) leaves the default
MAX_DEPTH_M = 150.0  # a verified reference farther away in that direction belongs to another place
PLACE_REACH_M = 80.0  # twice the posterior's cluster radius (40 m): the references of the estimated place
DEFAULT_FOV_DEG = 65.0  # only if a heading came without the FOV it was computed with
ARC_STEPS = 24  # even, so one arc vertex lies exactly on the heading


@dataclass
class ViewCone:
    x: float  # apex: the estimated camera position (RD New metres)
    y: float
    heading_deg: float  # compass heading of the optical axis, clockwise from north
    heading_sd_deg: Optional[float]
    fov_deg: float  # horizontal field of view (the opening)
    fov_source: str  # exif / hypotheses / default
    depth_m: float
    depth_source: str  # references / default
    position_method: str  # triangulated / line / density
    pinned_by: object = None  # the candidate (pipeline.Candidate) that pinned the heading, or None

    def ring(self, steps: int = ARC_STEPS) -> np.ndarray:
        return cone_ring(self.x, self.y, self.heading_deg, self.fov_deg, self.depth_m, steps)


def compass_bearing(x0: float, y0: float, x1: float, y1: float) -> float:
    """Degrees clockwise from north (RD grid north) from (x0, y0) to (x1, y1)."""
    return math.degrees(math.atan2(x1 - x0, y1 - y0)) % 360.0


def cone_ring(x: float, y: float, heading_deg: float, fov_deg: float, depth_m: float,
              steps: int = ARC_STEPS) -> np.ndarray:
    """Closed ring (steps + 3, 2): the apex, an arc of ``fov_deg`` centred on
    ``heading_deg`` at ``depth_m`` from it (clockwise, left edge first), the apex."""
    steps = max(2, int(steps) + int(steps) % 2)
    half = float(fov_deg) / 2.0
    angles = np.radians(float(heading_deg) - half + float(fov_deg) * np.arange(steps + 1) / steps)
    arc = np.stack([x + depth_m * np.sin(angles), y + depth_m * np.cos(angles)], axis=1)
    apex = np.array([[float(x), float(y)]])
    return np.concatenate([apex, arc, apex])


def pinning_candidate(candidates: Sequence, x: float, y: float, reach_m: float = PLACE_REACH_M):
    """The verified reference with a pose at the estimated place that pinned the
    heading (see the module docstring), or None."""
    posed = [c for c in candidates if c.verified and getattr(c, "pose_note", "")
             and math.hypot(float(c.view.x) - x, float(c.view.y) - y) <= reach_m]
    if not posed:
        return None
    return min(posed, key=lambda c: (c.pose_note != "pinned", -int(c.inliers), c.rank))


def cone_depth(x: float, y: float, heading_deg: float, fov_deg: float, candidates: Sequence) -> Tuple[float, str]:
    """(depth, source): the farthest verified reference inside the opening, between
    MIN_DEPTH_M and MAX_DEPTH_M away, else (DEFAULT_DEPTH_M, "default")."""
    seen = []
    for c in candidates:
        if not c.verified:
            continue
        dx, dy = float(c.view.x) - x, float(c.view.y) - y
        dist = math.hypot(dx, dy)
        if MIN_DEPTH_M <= dist <= MAX_DEPTH_M and \
                angle_between(compass_bearing(x, y, c.view.x, c.view.y), heading_deg) <= fov_deg / 2.0:
            seen.append(dist)
    return (max(seen), "references") if seen else (DEFAULT_DEPTH_M, "default")


def no_cone_reason(geo) -> str:
    """"" when the photo gets a cone, else why not: "no match" (nothing located) or
    "no heading" (no verified reference with a known heading gave a usable pose)."""
    if geo.x is None or geo.label == "no match":
        return "no match"
    heading = getattr(geo, "heading_deg", None)
    if heading is None or not math.isfinite(float(heading)):
        return "no heading"
    return ""


def view_cone(geo) -> Optional[ViewCone]:
    """The cone of a located photo with a camera heading (pipeline.Geolocation), else None."""
    if no_cone_reason(geo):
        return None
    x, y, heading = float(geo.x), float(geo.y), float(geo.heading_deg) % 360.0
    fov = getattr(geo, "hfov_deg", None)
    fov_source = getattr(geo, "fov_source", "") or "default"
    if not fov or not math.isfinite(float(fov)):
        fov, fov_source = DEFAULT_FOV_DEG, "default"
    fov = min(max(float(fov), 1.0), 179.0)  # a half-plane or more is no cone
    depth, depth_source = cone_depth(x, y, heading, fov, geo.candidates)
    sd = getattr(geo, "heading_sd_deg", None)
    return ViewCone(x, y, heading, None if sd is None else float(sd), fov, fov_source, depth, depth_source,
                    getattr(geo, "position_method", "density") or "density", pinning_candidate(geo.candidates, x, y))
