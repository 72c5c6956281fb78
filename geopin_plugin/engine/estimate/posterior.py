"""Where the photo was taken, as a distribution over RD New (EPSG:28992).

Steps (all deterministic, numpy + scipy only):

1. Candidates -> *groups*: the views cut from one panorama share its camera
   position, so they are one witness. A group's weight is its best member's
   weight plus a small bonus (``extra_member_weight``) for each further agreeing
   member, never the plain sum.
2. Weights (IM2GPS-style): a verified candidate weighs ``inliers * (0.5 + 0.5 *
   similarity)``; the unverified retrieval candidates share a small fixed mass
   (``unverified_mass``, in inlier units) by a softmax over similarity, so that
   when nothing verifies the posterior is the (wide) retrieval spread.
3. Clusters: DBSCAN over group positions (Search-within-Cell) with radius
   ``cluster_eps_m``; the cluster with the largest weight is the winning place.
4. Best point: the weight-averaged position of the winning cluster's groups
   (the query camera usually stands among the references that see the same
   facades). ``best_point="mode"`` takes the density peak instead; on the
   Amsterdam leave-one-out views the mean was as good or better (the reference
   with the most inliers is not always the nearest: a view along a street
   matches a panorama 40 m down the road best).
5. Posterior grid: a Gaussian kernel per group (sigma 12 m verified, 60 m not),
   each kernel's mass equal to its group weight, accumulated on a square grid
   covering the groups that matter; density per m^2, normalised by the total
   weight (groups dropped from the grid still count in the total).
6. Highest-density regions (50 % / 90 %): the density threshold whose
   super-level set holds that share of the total mass, traced with
   cv2.findContours into RD rings. Error radius: the radius around the best
   point holding ``error_mass`` (68 %, like a GPS accuracy circle) of the mass.
7. Confidence: a logistic model over features of the winning cluster
   (calibration.json, fitted on measured leave-one-out runs), label confident /
   uncertain / no match from thresholds in the same file.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Dict, Hashable, List, Optional, Sequence

import numpy as np

from .density import TILE, TileGrid, hdr_thresholds, mask_to_rings, ring_area, trim

@dataclass
class Observation:
    """One retrieval candidate as seen by the posterior."""

    x: float
    y: float
    similarity: float
    inliers: int = 0
    verified: bool = False
    group: Hashable = None  # panorama id (or view id): views of one panorama share it


@dataclass
class PosteriorConfig:
    sigma_verified_m: float = 12.0
    sigma_unverified_m: float = 60.0
    unverified_mass: float = 2.0
    unverified_temperature: float = 0.02
    extra_member_weight: float = 0.1
    cluster_eps_m: float = 40.0
    min_cell_m: float = 2.0
    min_group_share: float = 0.01
    error_mass: float = 0.68
    levels: tuple = (0.5, 0.9)
    # in the best point (the winning cluster's weighted mean) a verified witness weighs
    # its posterior weight x inliers ** (inlier_power - 1): squared, the references with
    # the most overlap (the nearest) dominate it (lund-loo within 10 m 69.0 -> 89.7 %
    # with XFeat, whose far frames verify too); the density itself is unchanged
    inlier_power: float = 2.0
    # ... over the groups within this distance of the heaviest witness (0: the whole
    # cluster; 40 m: the clusters' own radius): DBSCAN's single linkage chains a street
    # of references 3-10 m apart into one cluster, and a repeated facade 110 m down it,
    # verified, dragged the mean (lund-loo 21.jpg: 12.2 -> 5.6 m; docs/geolocation.md)
    mean_radius_m: float = 40.0
    best_point: str = "mean"  # "mean": weighted mean of the winning cluster; "mode": its density peak
    # With bearing lines from relative poses (engine/estimate/bearings.py) the verified kernels are
    # a wide prior ("within reach of a reference that sees the same facades"), the lines
    # sharpen it, and the best point is the product's peak.
    sigma_pose_prior_m: float = 25.0
    # When nothing verifies, the similarity softmax favours densely covered places; the
    # candidate with the most (sub-threshold) inliers is right far more often
    # (docs/evaluation.md: 81.2 % vs 62.5 % within 50 m on amsterdam-lopo). "similarity"
    # keeps the softmax winner.
    unverified_winner: str = "most_inliers"
    # ... only when that candidate's inliers reach this count: below it the counts are
    # the verifier's noise (XFeat's other-place pairs: median 12, p99.9 21), and the
    # similarity winner stays (registry.verifier_config sets it per extractor)
    anchor_min_inliers: int = 0
    # The error radius is no wider than ``spacing_factor`` x the local spacing of the
    # references (from the reference nearest the best point to its nearest neighbour
    # elsewhere), nor narrower than ``radius_floor_m`` (about the GPS error of the
    # references themselves), once something verified: an answer among references a
    # few metres apart is about that precise, which the kernel's 12 m cannot say.
    # 0.75 measured on the four protocols (docs/geolocation.md); 0 turns it off.
    spacing_factor: float = 0.75
    radius_floor_m: float = 3.0
    # with building outlines, the density inside a footprint times this (engine/estimate/buildings.py):
    # 4 of 3,621 real Amsterdam panorama positions stand in a BAG footprint, which holds
    # 11.6 % of the area within 15 m of them: 0.008 per m^2 (0.011 counting one more);
    # rounded up, as a pedestrian stands nearer the facades (scripts/building_prior.py)
    building_prior: float = 0.01


@dataclass
class Group:
    key: Hashable
    x: float
    y: float
    weight: float
    verified: bool
    max_inliers: int
    members: List[int]  # indices into the observations
    cluster: int = -1


@dataclass
class Posterior:
    x: float
    y: float
    error_radius_m: float
    footprints: Dict[float, List[np.ndarray]]  # level -> rings (N, 2) RD, closed
    grid: np.ndarray  # (rows, cols) float32 probability per m^2 around the best point, row 0 = north
    geotransform: tuple  # GDAL order: (x_min, cell, 0, y_max, 0, -cell)
    groups: List[Group]
    winning_cluster: int
    features: Dict[str, float]
    total_weight: float
    grid_mass: float  # share of the total weight on the grid (the rest: light groups kept as points)
    observation_weights: np.ndarray = field(default_factory=lambda: np.zeros(0))
    position_method: str = "density"  # triangulated / line / density (engine/estimate/bearings.py)
    lines: list = field(default_factory=list)  # the bearing lines that shaped the grid


# --- clustering ------------------------------------------------------------------
def dbscan(points: np.ndarray, eps: float, min_samples: float = 1, weights: Optional[np.ndarray] = None) -> np.ndarray:
    """DBSCAN on 2-D points (metres). A point is core when the (weighted) count of
    points within ``eps`` (itself included) reaches ``min_samples``. Returns labels
    0..k-1 in order of first appearance, -1 for noise. Deterministic."""
    from scipy.spatial import cKDTree

    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    n = len(pts)
    labels = np.full(n, -1, dtype=int)
    if n == 0:
        return labels
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    tree = cKDTree(pts)
    neighbours = tree.query_ball_point(pts, r=eps)
    core = np.array([w[nb].sum() >= min_samples for nb in neighbours])
    current = 0
    for i in range(n):
        if labels[i] != -1 or not core[i]:
            continue
        labels[i] = current
        stack = [i]
        while stack:
            j = stack.pop()
            for k in sorted(neighbours[j]):
                if labels[k] == -1:
                    labels[k] = current
                    if core[k]:
                        stack.append(k)
        current += 1
    return labels


# --- weights and groups ------------------------------------------------------------
def observation_weights(obs: Sequence[Observation], config: PosteriorConfig) -> np.ndarray:
    w = np.zeros(len(obs))
    unverified = [i for i, o in enumerate(obs) if not o.verified]
    for i, o in enumerate(obs):
        if o.verified:
            w[i] = max(int(o.inliers), 1) * (0.5 + 0.5 * float(np.clip(o.similarity, 0.0, 1.0)))
    if unverified:
        sims = np.array([obs[i].similarity for i in unverified], dtype=float)
        z = np.exp((sims - sims.max()) / max(config.unverified_temperature, 1e-6))
        w[unverified] = config.unverified_mass * z / z.sum()
    return w


def make_groups(obs: Sequence[Observation], weights: np.ndarray, config: PosteriorConfig) -> List[Group]:
    by_key: Dict[Hashable, List[int]] = {}
    for i, o in enumerate(obs):
        key = o.group if o.group is not None else ("obs", i)
        by_key.setdefault(key, []).append(i)
    groups = []
    for key, members in by_key.items():
        ws = weights[members]
        order = np.argsort(-ws, kind="stable")
        best = members[int(order[0])]
        weight = float(ws[order[0]] + config.extra_member_weight * (ws.sum() - ws[order[0]]))
        verified = [m for m in members if obs[m].verified]
        groups.append(Group(
            key=key, x=float(obs[best].x), y=float(obs[best].y), weight=weight, verified=bool(verified),
            max_inliers=int(max((obs[m].inliers for m in verified), default=0)), members=list(members),
        ))
    # verified groups of one panorama position but other keys stay separate witnesses
    groups.sort(key=lambda g: (-g.weight, g.x, g.y))
    return groups


def _mode_in_cluster(members, sigmas_by_key, masses, cxs, cys, cell, fallback):
    """The density peak within reach (2 sigma) of the winning cluster's groups,
    refined by the mass-weighted centre of the cells around it."""
    near = np.zeros(len(masses), bool)
    for g in members:
        reach = 2.0 * max(float(sigmas_by_key[g.key]), cell)
        near |= (np.abs(cxs - g.x) <= reach) & (np.abs(cys - g.y) <= reach)
    if not near.any():
        return fallback
    idx = np.flatnonzero(near)
    peak = idx[int(np.argmax(masses[idx]))]
    around = idx[(np.abs(cxs[idx] - cxs[peak]) <= 1.5 * cell) & (np.abs(cys[idx] - cys[peak]) <= 1.5 * cell)]
    w = masses[around]
    return float(np.dot(w, cxs[around]) / w.sum()), float(np.dot(w, cys[around]) / w.sum())


# --- the estimate ----------------------------------------------------------------------
def _most_inliers(obs: Sequence[Observation], min_inliers: int = 0) -> Optional[int]:
    """Index of the unverified answer's anchor: when no candidate verified, the one with
    the most inliers (earliest in retrieval order on ties); None when something verified
    or no candidate has more than max(0, min_inliers - 1) inliers."""
    if any(o.verified for o in obs):
        return None
    best = max(range(len(obs)), key=lambda i: (obs[i].inliers, -i))
    return best if obs[best].inliers > 0 and obs[best].inliers >= min_inliers else None


def _apply_lines(grid: "TileGrid", lines, reach_m: float) -> None:
    """Multiply the grid by the lines' likelihood near their origins, keeping the mass
    of that region (other places' shares of the total stay as they were)."""
    from .bearings import line_likelihood

    ox = np.array([ln.x for ln in lines])
    oy = np.array([ln.y for ln in lines])
    before = after = 0.0
    scaled = {}
    idx = (np.arange(TILE) + 0.5) * grid.cell
    for key, tile in grid.tiles.items():
        cx = key[1] * TILE * grid.cell + idx
        cy = -key[0] * TILE * grid.cell - idx
        xs, ys = np.meshgrid(cx, cy)
        near = np.min(np.hypot(xs[..., None] - ox, ys[..., None] - oy), axis=-1) <= reach_m
        if not near.any():
            continue
        lik = np.where(near, line_likelihood(lines, xs, ys), 1.0)
        before += float(tile[near].sum())
        new = tile * lik
        after += float(new[near].sum())
        scaled[key] = (new, near)
    if after <= 0:
        return
    for key, (new, near) in scaled.items():
        grid.tiles[key] = np.where(near, new * (before / after), new)


def estimate(observations: Sequence[Observation], config: Optional[PosteriorConfig] = None,
             lines: Optional[Sequence] = None, crossing_only: bool = False, buildings=None) -> Optional[Posterior]:
    """The posterior for a list of candidates; None when there are none. ``lines``:
    bearing lines (localize.BearingLine) from the verified references' poses; only
    those of the winning cluster's groups are used, and with ``crossing_only`` only
    when two of them triangulate (a single line has no range: it moves the best point
    along the line as far as the kernels' spread allows). ``buildings``: a
    buildings.BuildingMap; the density inside its footprints around the winning place
    is scaled by ``config.building_prior``."""
    config = config or PosteriorConfig()
    obs = list(observations)
    if not obs:
        return None
    weights = observation_weights(obs, config)
    groups = make_groups(obs, weights, config)
    total = float(sum(g.weight for g in groups))
    sigmas = np.array([config.sigma_verified_m if g.verified else config.sigma_unverified_m for g in groups])

    pts = np.array([[g.x, g.y] for g in groups])
    labels = dbscan(pts, config.cluster_eps_m, min_samples=1)
    for g, lab in zip(groups, labels):
        g.cluster = int(lab)
    cluster_weight: Dict[int, float] = {}
    for g in groups:
        cluster_weight[g.cluster] = cluster_weight.get(g.cluster, 0.0) + g.weight
    ranked = sorted(cluster_weight.items(), key=lambda kv: (-kv[1], kv[0]))
    win = ranked[0][0]
    fallback = _most_inliers(obs, config.anchor_min_inliers) if config.unverified_winner == "most_inliers" else None
    if fallback is not None:
        win = next(g.cluster for g in groups if fallback in g.members)
        ranked.sort(key=lambda kv: kv[0] != win)  # the winner first, the rest by weight
    members = [g for g in groups if g.cluster == win]
    mw = np.array([g.weight for g in members])
    pw = mw * np.array([max(g.max_inliers, 1) ** (config.inlier_power - 1.0) if g.verified else 1.0
                        for g in members])
    if fallback is not None:
        bx, by = float(obs[fallback].x), float(obs[fallback].y)
    else:
        gx, gy = np.array([g.x for g in members]), np.array([g.y for g in members])
        near = np.ones(len(members), bool)
        if config.mean_radius_m > 0:
            a = int(np.argmax(pw))
            near = np.hypot(gx - gx[a], gy - gy[a]) <= config.mean_radius_m
        bx = float(np.dot(pw[near], gx[near]) / pw[near].sum())
        by = float(np.dot(pw[near], gy[near]) / pw[near].sum())
    from .bearings import LIKELIHOOD_REACH_M, crossing_radius, intersect, position_method

    win_keys = {g.key for g in members if g.verified}
    lines = [ln for ln in (lines or []) if ln.group in win_keys] if fallback is None else []
    method = position_method(lines)
    if crossing_only and method == "line":
        lines, method = [], "density"
    if method == "triangulated":
        from .bearings import without_ranges

        lines = without_ranges(lines)
    if method in ("triangulated", "facades"):  # one line alone keeps the references' own spread
        sigmas = np.array([max(s, config.sigma_pose_prior_m) if g.verified and g.cluster == win else s
                           for g, s in zip(groups, sigmas)])
    sigmas_by_key = {g.key: s for g, s in zip(groups, sigmas)}

    # Fine cells where something verified (3 m), coarse when only retrieval spread (15 m).
    any_verified = any(g.verified for g in groups)
    cell = max(config.min_cell_m, (config.sigma_verified_m if any_verified else config.sigma_unverified_m) / 4.0)
    grid = TileGrid(float(np.ceil(cell * 4.0) / 4.0))
    cell = grid.cell
    # Light groups stay off the grid as point masses (they still count in the total).
    on_grid = [i for i, g in enumerate(groups)
               if g.weight > 0 and (g.cluster == win or g.weight >= config.min_group_share * total)]
    off_grid = [i for i, g in enumerate(groups) if g.weight > 0 and i not in set(on_grid)]
    for i in on_grid:
        grid.add_gaussian(groups[i].x, groups[i].y, sigmas[i], groups[i].weight)
    if lines:
        _apply_lines(grid, lines, LIKELIHOOD_REACH_M)
    if buildings is not None and config.building_prior < 1.0:
        from .buildings import apply_prior, prior_region

        footprints, box = prior_region(buildings, members)
        apply_prior(grid, footprints, config.building_prior, box)
    masses, cxs, cys = grid.cells()
    grid_mass = float(masses.sum())
    live = masses > total * 1e-12
    masses, cxs, cys = masses[live], cxs[live], cys[live]
    point = None
    if method in ("triangulated", "facades"):
        # the lines' least-squares crossing (or ranged point): the grid's peak can slide along a weak
        # ridge of near-parallel lines (Panoramax 4.jpg h202.5: 12.9 m instead of 2.4),
        # the crossing cannot; kept only within reach of the place's references
        point = intersect(lines)
        if point is not None and min(math.hypot(point[0] - g.x, point[1] - g.y) for g in members) > \
                2.0 * config.sigma_pose_prior_m:
            point = None
    if point is not None:
        bx, by = point
    elif (config.best_point == "mode" or lines) and fallback is None:
        bx, by = _mode_in_cluster(members, sigmas_by_key, masses, cxs, cys, cell, (bx, by))

    footprints = {level: [] for level in config.levels}
    thresholds = hdr_thresholds(masses, config.levels, total)
    winner_grid = None
    for comp in grid.components():
        arr, x0, y1 = grid.dense(comp)
        for level in config.levels:
            footprints[level].extend(mask_to_rings((arr >= thresholds[level]) & (arr > 0), x0, y1, cell))
        r = int((y1 - by) // cell)
        c = int((bx - x0) // cell)
        if winner_grid is None and 0 <= r < arr.shape[0] and 0 <= c < arr.shape[1] and arr[r, c] > 0:
            winner_grid = trim(arr, x0, y1, cell)
    for level in config.levels:
        footprints[level].sort(key=lambda ring: (-ring_area(ring), ring[0, 0], ring[0, 1]))
    if winner_grid is None:  # the best point between components: take the heaviest one
        comp = max(grid.components(), key=lambda cp: sum(grid.tiles[t].sum() for t in cp))
        winner_grid = trim(*grid.dense(comp), cell)
    mass, x0, y1 = winner_grid

    # error radius: the radius around the best point that holds error_mass of the total
    dist = np.hypot(cxs - bx, cys - by)
    if off_grid:
        dist = np.concatenate([dist, [math.hypot(groups[i].x - bx, groups[i].y - by) for i in off_grid]])
        masses = np.concatenate([masses, [groups[i].weight for i in off_grid]])
    order = np.argsort(dist, kind="stable")
    cum = np.cumsum(masses[order])
    idx = min(int(np.searchsorted(cum, config.error_mass * total)), len(order) - 1)
    radius = max(float(dist[order][idx]) + 0.5 * cell, cell)
    if point is not None and float(mw.sum()) >= config.error_mass * total:
        # a crossing says how well it is pinned; the kernels (25 m wide around the
        # references) do not. Used while the place holds the radius's mass: a rival
        # place keeps the wide radius.
        radius = crossing_radius(lines, point, config.error_mass)

    verified_win = [g for g in members if g.verified]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    features = {
        "cluster_weight": float(mw.sum()),
        "verified_cluster_weight": float(sum(g.weight for g in verified_win)),
        "share": float(mw.sum() / total) if total > 0 else 0.0,
        "max_inliers": float(max((g.max_inliers for g in members), default=0)),
        "n_places": float(len(verified_win)),
        "n_verified_groups": float(sum(1 for g in groups if g.verified)),
        "runner_up_ratio": float(runner_up / mw.sum()) if mw.sum() > 0 else 0.0,
        "n_clusters": float(len(ranked)),
    }
    density = (mass / (total * cell * cell)).astype(np.float32) if total > 0 else mass.astype(np.float32)
    return Posterior(
        x=bx, y=by, error_radius_m=radius, footprints=footprints, grid=density,
        geotransform=(float(x0), cell, 0.0, float(y1), 0.0, -cell), groups=groups, winning_cluster=win,
        features=features, total_weight=total, grid_mass=grid_mass / total if total > 0 else 0.0,
        observation_weights=weights, position_method=method, lines=list(lines),
    )


def bounded_radius(radius: float, spacing: Optional[float], config: PosteriorConfig) -> float:
    """The error radius bounded by the local reference spacing (PosteriorConfig)."""
    if not config.spacing_factor or spacing is None or not np.isfinite(spacing):
        return radius
    return float(min(radius, max(config.radius_floor_m, config.spacing_factor * float(spacing))))


# --- evidence that disagrees about the place (issue 23) ------------------------------
# "Confident" promises a pin within tens of metres: never with an error radius wider
# than CONFIDENT_MAX_RADIUS_M. And the confidence falls with the share of the verified
# evidence farther than AGREEMENT_REACH_M from the answer (references verified
# kilometres apart are an overlay's or a repeated facade's doing, not one place's).
# Measured on the shared data: one place's verified references lie within 180 m of
# each other (Lund's whole street, every photo verifies its neighbours), distinct
# Amsterdam places are >= 473 m apart, the overlay failures 0.6-7.5 km
# (docs/geolocation.md); 100 m cost lund-loo 3 confident answers.
CONFIDENT_MAX_RADIUS_M = 100.0
AGREEMENT_REACH_M = 250.0


def agreeing_confidence(confidence: float, best_xy, verified_xyw, reach_m: float = AGREEMENT_REACH_M) -> float:
    """``confidence`` times the share of the verified references' weight within
    ``reach_m`` of the best point (``verified_xyw``: (x, y, weight) each, RD metres);
    unchanged when every verified reference agrees or none verified."""
    if not verified_xyw:
        return float(confidence)
    a = np.asarray(verified_xyw, float).reshape(-1, 3)
    w = np.maximum(a[:, 2], 0.0)
    if w.sum() <= 0:
        w = np.ones(len(a))
    near = np.hypot(a[:, 0] - float(best_xy[0]), a[:, 1] - float(best_xy[1])) <= reach_m
    return float(confidence) * float(w[near].sum() / w.sum())


def honest_label(label: str, error_radius_m: float, max_radius_m: float = CONFIDENT_MAX_RADIUS_M) -> str:
    """Never "confident" with an error radius wider than ``max_radius_m``."""
    if label == "confident" and not (error_radius_m <= max_radius_m):
        return "uncertain"
    return label
