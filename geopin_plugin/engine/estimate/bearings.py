"""Camera position and heading from the relative poses of verified references.

Each trusted pose (engine/estimate/relative_pose.py) is a *bearing line*: from the reference's known
position (RD New) the query camera lies along ``ref heading + bearing`` (no range;
used as an axial line, both directions, since the sign of the translation flips
on some pairs).
Views cut from one panorama share its position, so their bearings are one line
(weighted circular mean). Two or more lines from different positions intersect;
one line, or nearly parallel ones, only constrain a line.

The lines enter the posterior (engine/estimate/posterior.py) as a likelihood over space,
``prod_lines [eps + (1 - eps) exp(-0.5 (angle / sd)^2)]`` with ``angle`` the
difference between the line's bearing and the bearing from its origin to the cell:
the floor ``eps`` makes it a mixture that one wrong line cannot veto (the cells
two lines agree on beat those one line alone points at).

Heading: each pose (degenerate ones included: a pure rotation still gives the
rotation) gives ``ref heading + yaw``; the weighted circular median picks the
consensus, those within HEADING_GATE_DEG of it are averaged.

RD New grid north differs from true north by the meridian convergence, under
0.6 degrees inside the Netherlands: ignored (below the measured heading noise).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Hashable, List, Optional, Sequence, Tuple

import numpy as np

from ..geo import angle_diff_deg

LINE_EPS = 0.05  # the likelihood floor of a line (an outlier's share)
MIN_CROSSING_DEG = 12.0  # lines crossing at a smaller angle (or from one spot) only make a line
MIN_CROSSING_SIGMA = 2.0  # ... or at less than this many of their combined bearing sds
MIN_BASE_M = 3.0  # lines this close at their origins do not triangulate
HEADING_GATE_DEG = 15.0
LIKELIHOOD_REACH_M = 120.0  # the lines re-weight the grid this far from their origins
FOV_HYPOTHESIS_SD_DEG = 2.0  # extra heading uncertainty when the query FOV was guessed
# ... and bearing uncertainty: the hypothesis is off by a median 10 deg on the
# amsterdam-lopo positives (only 4 of 34 exact), and a bearing moves about 1-1.6 deg
# per degree of FOV (the demo query's two lines between 65 and 80 deg)
FOV_HYPOTHESIS_BEARING_SD_DEG = 10.0


@dataclass
class PoseObservation:
    """One verified reference's pose, in absolute terms."""

    x: float  # reference camera, RD metres
    y: float
    group: Hashable
    heading_deg: float  # the query camera's heading this reference implies
    heading_sd_deg: float
    bearing_deg: Optional[float]  # reference -> query camera (compass), None when degenerate
    bearing_sd_deg: float
    inliers: int
    degenerate: str = ""
    view_id: Optional[object] = None
    range_m: Optional[float] = None  # metric distance reference -> camera from facades (engine/estimate/facades.py)
    range_sd_m: Optional[float] = None
    range_note: str = ""  # why there is no range ("" when there is, or no outlines were given)
    range_angle_deg: float = float("nan")  # the rays' median triangulation angle (facades.py)


@dataclass
class BearingLine:
    x: float
    y: float
    bearing_deg: float
    sd_deg: float
    group: Hashable
    members: List[object] = field(default_factory=list)  # view ids
    range_m: Optional[float] = None  # from facades: the camera at origin + range along the bearing
    range_sd_m: Optional[float] = None


def _circ_mean(deg: np.ndarray, w: np.ndarray) -> float:
    r = np.radians(deg)
    return math.degrees(math.atan2(float(np.dot(w, np.sin(r))), float(np.dot(w, np.cos(r))))) % 360.0


def _circ_median(deg: np.ndarray, w: np.ndarray) -> float:
    """The observed angle with the least weighted absolute circular deviation."""
    cost = [float(np.dot(w, np.abs(angle_diff_deg(deg, d)))) for d in deg]
    return float(deg[int(np.argmin(cost))]) % 360.0


def bearing_lines(observations: Sequence[PoseObservation]) -> List[BearingLine]:
    """One line per reference group: the inverse-variance circular mean of its trusted
    bearings, members more than 3 sd from the group median dropped."""
    groups = {}
    for o in observations:
        if o.bearing_deg is not None:
            groups.setdefault(o.group, []).append(o)
    lines = []
    for key, obs in groups.items():
        b = np.array([o.bearing_deg for o in obs]) % 360.0
        sd = np.array([o.bearing_sd_deg for o in obs])
        w = 1.0 / sd ** 2
        med = _circ_median(b, w)
        keep = np.abs(angle_diff_deg(b, med)) <= 3.0 * sd
        b, sd, w = b[keep], sd[keep], w[keep]
        mean = _circ_mean(b, w)
        # independent views of one panorama still share its position error: floor
        line_sd = max(float(1.0 / math.sqrt(w.sum())), 0.5 * float(sd.min()))
        kept = [o for o, k in zip(obs, keep) if k]
        rng, rng_sd = _group_range(kept)
        lines.append(BearingLine(obs[0].x, obs[0].y, mean, line_sd, key, [o.view_id for o in kept], rng, rng_sd))
    return lines


def _group_range(obs: Sequence[PoseObservation]) -> Tuple[Optional[float], Optional[float]]:
    """One range for a panorama's views: the inverse-variance mean of their log ranges
    (its sd: the formal one, at least the members' spread; one shared position)."""
    ranged = [o for o in obs if o.range_m is not None]
    if not ranged:
        return None, None
    lr = np.log([o.range_m for o in ranged])
    rel = np.array([o.range_sd_m / o.range_m for o in ranged])
    w = 1.0 / rel ** 2
    mean = float(np.dot(w, lr) / w.sum())
    spread = float(np.sqrt(np.dot(w, (lr - mean) ** 2) / w.sum()))
    rel_sd = max(float(1.0 / math.sqrt(w.sum())), spread, float(rel.min()) / 2.0)
    r = math.exp(mean)
    return r, r * rel_sd


def _crossing_deg(a: BearingLine, b: BearingLine) -> float:
    """The angle (0-90 deg) at which two axial lines cross."""
    cross = abs(float(angle_diff_deg(a.bearing_deg, b.bearing_deg)))
    return min(cross, 180.0 - cross)


def crossing_significance(a: BearingLine, b: BearingLine) -> float:
    """The (axial) crossing angle of two lines over its uncertainty (the two bearing
    sds combined): below 2, the lines cannot be told from parallel ones."""
    return _crossing_deg(a, b) / max(math.hypot(a.sd_deg, b.sd_deg), 1e-9)


def crosses(a: BearingLine, b: BearingLine) -> bool:
    """Two lines triangulate: different spots, a crossing of at least MIN_CROSSING_DEG
    and MIN_CROSSING_SIGMA of its uncertainty. (Measured: the Panoramax panoramas walk
    one line 3 m apart, and their 10-deg lines 'crossed' at 12-27 deg by noise alone;
    the Amsterdam partners' crossings are 31-90 deg, 2.2-6.8 of their sds.)"""
    return (math.hypot(a.x - b.x, a.y - b.y) >= MIN_BASE_M and _crossing_deg(a, b) >= MIN_CROSSING_DEG
            and crossing_significance(a, b) >= MIN_CROSSING_SIGMA)


def position_method(lines: Sequence[BearingLine]) -> str:
    """triangulated (two lines from different spots crossing well), facades (no
    crossing, but a line has a metric range from the building outlines), line, or
    density. A crossing wins over ranges: on amsterdam-lopo the 7 crossings were
    1.8-10.2 m off, and adding their lines' facade ranges moved 4 of them 24-71 m
    (one partner pair's ranges are 3x short; docs/geolocation.md)."""
    if not lines:
        return "density"
    for i in range(len(lines)):
        for j in range(i + 1, len(lines)):
            if crosses(lines[i], lines[j]):
                return "triangulated"
    if any(ln.range_m is not None for ln in lines):
        return "facades"
    return "line"


def without_ranges(lines: Sequence[BearingLine]) -> List[BearingLine]:
    """The lines as plain bearing lines (a crossing ignores the facade ranges)."""
    from dataclasses import replace

    return [replace(ln, range_m=None, range_sd_m=None) for ln in lines]


def intersect(lines: Sequence[BearingLine]) -> Optional[Tuple[float, float]]:
    """Least-squares point nearest to the lines (perpendicular distances weighted by
    1 / sd^2); None when they do not triangulate. Lines with a range from facades:
    see ``ranged_point``."""
    method = position_method(lines)
    if method == "facades":
        return ranged_point(lines)
    if method != "triangulated":
        return None
    A = np.zeros((2, 2))
    b = np.zeros(2)
    for ln in lines:
        u = np.array([math.sin(math.radians(ln.bearing_deg)), math.cos(math.radians(ln.bearing_deg))])
        P = (np.eye(2) - np.outer(u, u)) / math.radians(ln.sd_deg) ** 2
        A += P
        b += P @ np.array([ln.x, ln.y])
    try:
        x, y = np.linalg.solve(A, b)
    except np.linalg.LinAlgError:
        return None
    return float(x), float(y)


REFERENCE_POSITION_SD_M = 1.0  # the panorama cars' own position error (Overtoom: 0.1-0.5 m, one 6.4 m)


def _information(lines: Sequence[BearingLine], point: Tuple[float, float]):
    """(A, b): the summed information matrices of the lines at ``point`` and A's
    pull towards each line's own point (its origin, or origin + range). A ranged line
    is a point with sd range_sd along the bearing and range x bearing sd across; a
    line without range constrains only across, by its distance from ``point``."""
    A = np.zeros((2, 2))
    b = np.zeros(2)
    for ln in lines:
        u = np.array([math.sin(math.radians(ln.bearing_deg)), math.cos(math.radians(ln.bearing_deg))])
        o = np.array([ln.x, ln.y])
        P = np.eye(2) - np.outer(u, u)
        if ln.range_m is not None:
            across = math.hypot(ln.range_m * math.radians(ln.sd_deg), REFERENCE_POSITION_SD_M)
            along = math.hypot(ln.range_sd_m, REFERENCE_POSITION_SD_M)
            W = P / across ** 2 + np.outer(u, u) / along ** 2
            target = o + ln.range_m * u
        else:
            d = math.hypot(point[0] - ln.x, point[1] - ln.y)
            W = P / math.hypot(d * math.radians(ln.sd_deg), REFERENCE_POSITION_SD_M) ** 2
            target = o
        A += W
        b += W @ target
    return A, b


def ranged_point(lines: Sequence[BearingLine]) -> Optional[Tuple[float, float]]:
    """The generalised least-squares point of ranged lines (and the unranged lines
    that cross them): started at the ranged lines' own points, refined once with the
    unranged lines' perpendicular sds at that distance."""
    ranged = [ln for ln in lines if ln.range_m is not None]
    if not ranged:
        return None
    point = (0.0, 0.0)
    A, b = _information(ranged, point)
    for _ in range(2):
        try:
            point = tuple(float(v) for v in np.linalg.solve(A, b))
        except np.linalg.LinAlgError:
            return None
        A, b = _information(lines, point)
    try:
        return tuple(float(v) for v in np.linalg.solve(A, b))
    except np.linalg.LinAlgError:
        return None


def crossing_radius(lines: Sequence[BearingLine], point: Tuple[float, float], mass: float = 0.68) -> float:
    """The radius around ``point`` (the lines' crossing) holding ``mass`` of its
    uncertainty: each line's perpendicular sd at the point is its distance times its
    bearing sd (plus the reference's own position error); their information sums, and
    the radius of a 2-D Gaussian with that covariance's mean variance holds ``mass``
    (Rayleigh: exact when round). Ranged lines add their range information."""
    if any(ln.range_m is not None for ln in lines):
        A, _ = _information(lines, point)
        try:
            cov = np.linalg.inv(A)
        except np.linalg.LinAlgError:
            return float("inf")
        return float(math.sqrt(-2.0 * math.log(1.0 - mass)) * math.sqrt(max(np.trace(cov), 0.0) / 2.0))
    A = np.zeros((2, 2))
    for ln in lines:
        d = math.hypot(point[0] - ln.x, point[1] - ln.y)
        u = np.array([math.sin(math.radians(ln.bearing_deg)), math.cos(math.radians(ln.bearing_deg))])
        perp = math.hypot(d * math.radians(ln.sd_deg), REFERENCE_POSITION_SD_M)
        A += (np.eye(2) - np.outer(u, u)) / perp ** 2
    try:
        cov = np.linalg.inv(A)
    except np.linalg.LinAlgError:
        return float("inf")
    return float(math.sqrt(-2.0 * math.log(1.0 - mass)) * math.sqrt(max(np.trace(cov), 0.0) / 2.0))


def line_likelihood(lines: Sequence[BearingLine], xs: np.ndarray, ys: np.ndarray, eps: float = LINE_EPS) -> np.ndarray:
    """The lines' joint likelihood at points (xs, ys); 1 where no line reaches."""
    out = np.ones(np.shape(xs))
    for ln in lines:
        dx, dy = xs - ln.x, ys - ln.y
        dist = np.hypot(dx, dy)
        # axial: the translation's sign flips on some pairs (measured: 12 of 80 partner
        # pairs at Overtoom pointed exactly backwards), so a line, not a ray
        ang = np.abs(angle_diff_deg(np.degrees(np.arctan2(dx, dy)), ln.bearing_deg))
        if ln.range_m is None:
            ang = np.minimum(ang, 180.0 - ang)
            lik = eps + (1.0 - eps) * np.exp(-0.5 * (ang / ln.sd_deg) ** 2)
        else:  # a ray with a range: the triangulated points fixed the sign
            along = math.hypot(ln.range_sd_m, REFERENCE_POSITION_SD_M)
            lik = eps + (1.0 - eps) * np.exp(-0.5 * (ang / ln.sd_deg) ** 2 - 0.5 * ((dist - ln.range_m) / along) ** 2)
        lik = np.where(dist < 1.0, 1.0, lik)  # at the origin the bearing is undefined
        out *= lik
    return out


def fuse_heading(observations: Sequence[PoseObservation]) -> Tuple[Optional[float], Optional[float]]:
    """(heading, sd) in degrees from the references' implied headings, or (None, None)."""
    obs = [o for o in observations if o.heading_deg is not None and math.isfinite(o.heading_deg)]
    if not obs:
        return None, None
    h = np.array([o.heading_deg for o in obs]) % 360.0
    sd = np.array([max(o.heading_sd_deg, 0.5) for o in obs])
    w = 1.0 / sd ** 2
    med = _circ_median(h, w)
    keep = np.abs(angle_diff_deg(h, med)) <= HEADING_GATE_DEG
    h, sd, w = h[keep], sd[keep], w[keep]
    mean = _circ_mean(h, w)
    spread = float(np.sqrt(np.dot(w, angle_diff_deg(h, mean) ** 2) / w.sum())) if len(h) > 1 else 0.0
    # one reference: its own sd; several: the formal sd, at least their spread / sqrt(n)
    est_sd = max(float(1.0 / math.sqrt(w.sum())), spread / math.sqrt(len(h)), float(sd.min()) / 2.0)
    if len(obs) > len(h):  # outvoted references widen it a little
        est_sd *= 1.0 + 0.5 * (len(obs) - len(h)) / len(obs)
    return mean, est_sd


@dataclass
class PoseInput:
    """A verified candidate as the pose stage needs it."""

    matches: np.ndarray  # (M, 4) [xq, yq, xr, yr] verifier inliers
    ref_intrinsics: object  # pose.Intrinsics in the reference's feature frame
    ref_heading_deg: float  # compass heading of the reference view's optical axis
    x: float
    y: float
    group: Hashable
    view_id: object = None


MAX_POSE_REFS = 8  # the references with the most inliers (cost: ~3 ms a pose)
HYPOTHESIS_REFS = 2  # FOV hypotheses are scored on this many of them


@dataclass
class PoseStage:
    observations: List[PoseObservation]
    lines: List[BearingLine]
    hfov_deg: Optional[float]
    fov_source: str  # "exif", "hypotheses" or "" (no pose)
    heading_deg: Optional[float]
    heading_sd_deg: Optional[float]
    poses: dict = field(default_factory=dict)  # view_id -> pose.RelativePose


def pose_stage(query_size: Tuple[int, int], inputs: Sequence[PoseInput],
               query_hfov_deg: Optional[float] = None, query_camera: Optional[Callable] = None,
               footprints=None) -> PoseStage:
    """Relative poses of the best verified candidates -> observations, lines, heading.
    The query's FOV: ``query_hfov_deg`` (EXIF) or, when None, the hypothesis
    (pose.FOV_HYPOTHESES) whose essential matrices hold the most inliers on the
    HYPOTHESIS_REFS best candidates. ``query_camera(size, hfov)``: the query's pinhole
    for a FOV (default: principal point centred, as in a photo). ``footprints``
    (buildings.Footprints around the references, or None): each trusted pose gets a
    metric range from the facades its inliers' rays meet (engine/estimate/facades.py)."""
    from . import relative_pose as P

    camera = query_camera or P.centred_intrinsics
    todo = sorted(inputs, key=lambda p: -len(p.matches))[:MAX_POSE_REFS]
    todo = [p for p in todo if len(p.matches) >= P.MIN_POSE_INLIERS]
    if not todo:
        return PoseStage([], [], query_hfov_deg, "", None, None)
    source = "exif" if query_hfov_deg else "hypotheses"
    known = {}
    if not query_hfov_deg:
        score = {fov: 0 for fov in P.FOV_HYPOTHESES}
        for j, inp in enumerate(todo[:HYPOTHESIS_REFS]):
            for fov in P.FOV_HYPOTHESES:
                p = P.relative_pose(inp.matches, camera(query_size, fov), inp.ref_intrinsics)
                known[(j, fov)] = p
                score[fov] += p.inliers if p is not None else 0
        query_hfov_deg = max(P.FOV_HYPOTHESES, key=lambda f: (score[f], -f))
    kq = camera(query_size, query_hfov_deg)
    guessed = source == "hypotheses"
    extra_sd = FOV_HYPOTHESIS_SD_DEG if guessed else 0.0
    extra_bearing_sd = FOV_HYPOTHESIS_BEARING_SD_DEG if guessed else 0.0
    observations, poses = [], {}
    for j, inp in enumerate(todo):
        p = known.get((j, query_hfov_deg)) if (j, query_hfov_deg) in known else \
            P.relative_pose(inp.matches, kq, inp.ref_intrinsics)
        if p is None:
            continue
        poses[inp.view_id] = p
        rng = None
        if footprints is not None and p.bearing_deg is not None:
            from .facades import facade_range

            rng = facade_range(inp.matches, kq, inp.ref_intrinsics, p, inp.x, inp.y, inp.ref_heading_deg, footprints)
        observations.append(PoseObservation(
            x=inp.x, y=inp.y, group=inp.group,
            heading_deg=(inp.ref_heading_deg + p.yaw_deg) % 360.0,
            heading_sd_deg=math.hypot(p.yaw_sd_deg, extra_sd),
            bearing_deg=None if p.bearing_deg is None else (inp.ref_heading_deg + p.bearing_deg) % 360.0,
            bearing_sd_deg=math.hypot(p.bearing_sd_deg, extra_bearing_sd), inliers=p.inliers, degenerate=p.degenerate,
            view_id=inp.view_id, range_m=rng.range_m if rng else None, range_sd_m=rng.range_sd_m if rng else None,
            range_note=rng.note if rng else "", range_angle_deg=rng.angle_deg if rng else float("nan")))
    heading, heading_sd = fuse_heading(observations)
    return PoseStage(observations, bearing_lines(observations), query_hfov_deg, source, heading, heading_sd, poses)
