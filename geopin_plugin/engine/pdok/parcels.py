"""Which parcel, which building, which address: the posterior joined to BRK/BAG.

The posterior (engine/estimate/posterior.py) is a density per m² on a square RD grid whose
cells sum (times the cell area) to at most 1 — the share of the evidence on the
grid. Three questions, answered as probabilities under that density:

- **P(the camera stood on parcel p)** = the integral of the density over p's
  polygon. Each cell counts with the share of it inside: found with 4×4
  sub-samples (half-open point-in-polygon), and for the cells the boundary cuts,
  computed exactly by clipping the polygon to the cell. Parcels do not overlap,
  so the masses sum to ≤ 1.
- **P(building b is what the photo shows)**: for camera positions drawn from the
  posterior (cells pooled into ≤ ``max_samples`` mass-weighted samples), cast
  ``rays`` viewing directions (all around, or only those whose first hit lies in
  a view cone when one is given) up to ``max_distance_m``; each ray is taken by
  the *first* facade it meets (nearer buildings hide farther ones; a facade seen
  edge-on takes few rays). P(b) = Σ mass(c) · share of c's rays that hit b first:
  the probability that the photo's centre line falls on b, with the unknown
  heading uniform. Camera positions inside a building are dropped (street-level
  photos are taken outdoors) and the rest renormalised to the same total mass.
  Rays that hit nothing (street, sky, water) keep their mass, so Σ P(b) ≤ 1.
- **Addresses**: the verblijfsobjecten of a ranked building (by BAG pand id, else
  the address point inside the footprint) inherit its probability — a photo of a
  facade cannot tell the flats behind it apart.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..geo import first_edge_hits, points_in_polygons, polygon_edges
from .features import Address, Building, Parcel, Polygon, bbox_of

SUPERSAMPLE = 4


@dataclass
class DensityGrid:
    grid: np.ndarray  # (rows, cols) probability per m², row 0 = north
    geotransform: tuple  # GDAL order (x_min, cell, 0, y_max, 0, -cell)

    def __post_init__(self):
        self.grid = np.nan_to_num(np.asarray(self.grid, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
        self.grid[self.grid < 0] = 0.0
        gt = self.geotransform
        if abs(abs(gt[1]) - abs(gt[5])) > 1e-6 * abs(gt[1]) or gt[2] or gt[4]:
            raise ValueError("the posterior raster must have square, north-up cells")

    @property
    def cell(self) -> float:
        return abs(float(self.geotransform[1]))

    @property
    def extent(self) -> Tuple[float, float, float, float]:
        x0, y1 = float(self.geotransform[0]), float(self.geotransform[3])
        rows, cols = self.grid.shape
        return x0, y1 - rows * self.cell, x0 + cols * self.cell, y1

    def cell_mass(self) -> np.ndarray:
        return self.grid * self.cell * self.cell

    def total_mass(self) -> float:
        return float(self.cell_mass().sum())

    @classmethod
    def gaussian(cls, x: float, y: float, error_radius_m: float, mass: float = 1.0) -> "DensityGrid":
        """A stand-in when only the estimate is known: an isotropic Gaussian whose
        68 % circle is the error radius (r68 = 1.51 σ in 2-D)."""
        sigma = max(float(error_radius_m), 1.0) / math.sqrt(-2.0 * math.log(1.0 - 0.68))
        cell = max(0.5, sigma / 6.0)
        half = int(math.ceil(4.0 * sigma / cell))
        offsets = (np.arange(-half, half) + 0.5) * cell
        g = np.exp(-0.5 * (offsets / sigma) ** 2)
        k = np.outer(g[::-1], g)
        k *= mass / (k.sum() * cell * cell)
        return cls(k, (x - half * cell, cell, 0.0, y + half * cell, 0.0, -cell))


# --- geometry helpers ---------------------------------------------------------------
def coverage(grid: DensityGrid, polygons: Sequence[Polygon]):
    """(row0, col0, fraction) of the grid window that the polygons cover, or None."""
    gx0, gy0, gx1, gy1 = grid.extent
    bx0, by0, bx1, by1 = bbox_of(polygons)
    if bx1 <= gx0 or bx0 >= gx1 or by1 <= gy0 or by0 >= gy1:
        return None
    cell = grid.cell
    rows, cols = grid.grid.shape
    c0 = max(0, int(math.floor((bx0 - gx0) / cell)))
    c1 = min(cols, int(math.ceil((bx1 - gx0) / cell)))
    r0 = max(0, int(math.floor((gy1 - by1) / cell)))
    r1 = min(rows, int(math.ceil((gy1 - by0) / cell)))
    if c1 <= c0 or r1 <= r0:
        return None
    s = SUPERSAMPLE
    sub = (np.arange(s) + 0.5) / s
    xs = gx0 + (np.arange(c0, c1)[:, None] + sub[None, :]).ravel() * cell
    ys = gy1 - (np.arange(r0, r1)[:, None] + sub[None, :]).ravel() * cell
    px, py = np.meshgrid(xs, ys)
    inside = points_in_polygons(px, py, polygons)
    fraction = inside.reshape(r1 - r0, s, c1 - c0, s).mean(axis=(1, 3))
    for r, c in zip(*np.nonzero((fraction > 0) & (fraction < 1))):  # cut by the boundary: exact share
        cx0 = gx0 + (c0 + c) * cell
        cy1 = gy1 - (r0 + r) * cell
        fraction[r, c] = _clipped_area(polygons, cx0, cy1 - cell, cx0 + cell, cy1) / (cell * cell)
    return r0, c0, fraction


def _clip_ring(ring: np.ndarray, x0, y0, x1, y1) -> np.ndarray:
    """Sutherland–Hodgman: the ring clipped to an axis-aligned box (area-exact)."""
    pts = ring[:-1] if len(ring) > 1 and np.allclose(ring[0], ring[-1]) else ring
    for axis, bound, keep_above in ((0, x0, True), (0, x1, False), (1, y0, True), (1, y1, False)):
        if not len(pts):
            break
        nxt = np.roll(pts, -1, axis=0)
        a_in = pts[:, axis] >= bound if keep_above else pts[:, axis] <= bound
        b_in = nxt[:, axis] >= bound if keep_above else nxt[:, axis] <= bound
        out = []
        for p, q, pin, qin in zip(pts, nxt, a_in, b_in):
            if pin:
                out.append(p)
            if pin != qin:
                t = (bound - p[axis]) / (q[axis] - p[axis])
                out.append(p + t * (q - p))
        pts = np.array(out).reshape(-1, 2)
    return pts


def _ring_area(pts: np.ndarray) -> float:
    if len(pts) < 3:
        return 0.0
    x, y = pts[:, 0], pts[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def _clipped_area(polygons: Sequence[Polygon], x0, y0, x1, y1) -> float:
    area = 0.0
    for poly in polygons:
        area += _ring_area(_clip_ring(np.asarray(poly[0], float), x0, y0, x1, y1))
        for hole in poly[1:]:
            area -= _ring_area(_clip_ring(np.asarray(hole, float), x0, y0, x1, y1))
    return max(0.0, min(area, (x1 - x0) * (y1 - y0)))


def polygon_mass(grid: DensityGrid, polygons: Sequence[Polygon], cell_mass: Optional[np.ndarray] = None) -> float:
    cov = coverage(grid, polygons)
    if cov is None:
        return 0.0
    r0, c0, fraction = cov
    mass = grid.cell_mass() if cell_mass is None else cell_mass
    window = mass[r0:r0 + fraction.shape[0], c0:c0 + fraction.shape[1]]
    return float((window * fraction).sum())


def distance_to_polygons(x: float, y: float, polygons: Sequence[Polygon]) -> float:
    """0 inside, else the distance to the nearest edge."""
    if points_in_polygons(np.array([x]), np.array([y]), polygons)[0]:
        return 0.0
    e = polygon_edges(polygons)
    if not len(e):
        return float("inf")
    a, b = e[:, :2], e[:, 2:]
    ab = b - a
    t = np.clip(((np.array([x, y]) - a) * ab).sum(1) / np.maximum((ab * ab).sum(1), 1e-12), 0.0, 1.0)
    nearest = a + t[:, None] * ab
    return float(np.hypot(nearest[:, 0] - x, nearest[:, 1] - y).min())


# --- the three answers -------------------------------------------------------------------
@dataclass
class RankedParcel:
    parcel: Parcel
    probability: float
    distance_m: float  # from the best estimate (0 when it lies on the parcel)


@dataclass
class RankedBuilding:
    building: Building
    probability: float
    visible_share: float  # mean share of the view the building fills, over camera positions that see it
    distance_m: float  # from the best estimate to the footprint


@dataclass
class RankedAddress:
    address: Address
    building_id: str
    probability: float


def rank_parcels(grid: DensityGrid, parcels: Sequence[Parcel], estimate: Optional[Tuple[float, float]] = None,
                 min_probability: float = 1e-4) -> List[RankedParcel]:
    mass = grid.cell_mass()
    out = []
    for parcel in parcels:
        p = polygon_mass(grid, parcel.polygons, mass)
        if p < min_probability:
            continue
        d = distance_to_polygons(*estimate, parcel.polygons) if estimate else float("nan")
        out.append(RankedParcel(parcel, p, d))
    out.sort(key=lambda r: (-r.probability, r.parcel.id))
    return out


def camera_samples(grid: DensityGrid, max_samples: int = 300, keep_mass: float = 0.995):
    """(xs, ys, masses): grid cells pooled into blocks so that the blocks holding
    ``keep_mass`` of the mass are at most ``max_samples``; each block's position is
    its mass-weighted centre."""
    mass = grid.cell_mass()
    total = mass.sum()
    if total <= 0:
        return np.zeros(0), np.zeros(0), np.zeros(0)
    rows, cols = mass.shape
    cell = grid.cell
    gx0, _, _, gy1 = grid.extent
    cy, cx = np.mgrid[0:rows, 0:cols]
    xc = gx0 + (cx + 0.5) * cell
    yc = gy1 - (cy + 0.5) * cell
    block = 1
    while True:
        br, bc = (rows + block - 1) // block, (cols + block - 1) // block
        idx = (cy // block) * bc + (cx // block)
        m = np.bincount(idx.ravel(), mass.ravel(), br * bc)
        order = np.argsort(-m, kind="stable")
        cum = np.cumsum(m[order])
        n = int(np.searchsorted(cum, keep_mass * total) + 1)
        if n <= max_samples or block >= max(rows, cols):
            break
        block *= 2
    chosen = order[:n]
    chosen = chosen[m[chosen] > 0]
    mx = np.bincount(idx.ravel(), (mass * xc).ravel(), br * bc)
    my = np.bincount(idx.ravel(), (mass * yc).ravel(), br * bc)
    return mx[chosen] / m[chosen], my[chosen] / m[chosen], m[chosen]


def _first_hits(cx, cy, dirs, edges, owner, max_distance):
    """Index (into owner) of the building each ray meets first, -1 for none; and hit points."""
    near = (np.minimum(edges[:, 0], edges[:, 2]) <= cx + max_distance) & \
           (np.maximum(edges[:, 0], edges[:, 2]) >= cx - max_distance) & \
           (np.minimum(edges[:, 1], edges[:, 3]) <= cy + max_distance) & \
           (np.maximum(edges[:, 1], edges[:, 3]) >= cy - max_distance)
    hit = np.full(len(dirs), -1)
    t_best = np.full(len(dirs), np.inf)
    if not near.any():
        return hit, t_best
    t_best, j, _ = first_edge_hits(cx, cy, dirs, edges[near], max_distance)
    hit = np.where(np.isfinite(t_best), owner[near][j], -1)
    return hit, t_best


def rank_buildings(grid: DensityGrid, buildings: Sequence[Building], estimate: Optional[Tuple[float, float]] = None,
                   view_cone: Optional[Sequence[Polygon]] = None, max_distance_m: float = 60.0, rays: int = 180,
                   max_samples: int = 300, min_probability: float = 1e-4) -> List[RankedBuilding]:
    if not buildings:
        return []
    xs, ys, ms = camera_samples(grid, max_samples)
    if not len(xs):
        return []
    all_edges, owners = [], []
    for i, b in enumerate(buildings):
        e = polygon_edges(b.polygons)
        all_edges.append(e)
        owners.append(np.full(len(e), i))
    edges, owner = np.vstack(all_edges), np.concatenate(owners)
    indoors = np.zeros(len(xs), dtype=bool)
    for b in buildings:
        bx0, by0, bx1, by1 = bbox_of(b.polygons)
        box = (xs >= bx0) & (xs <= bx1) & (ys >= by0) & (ys <= by1)
        if box.any():
            indoors[box] |= points_in_polygons(xs[box], ys[box], b.polygons)
    kept = ~indoors
    if not kept.any():
        return []
    weights = ms[kept] * (ms.sum() / ms[kept].sum())  # renormalised to the mass sampled
    angles = (np.arange(rays) + 0.5) * 2 * math.pi / rays
    dirs = np.stack([np.sin(angles), np.cos(angles)], axis=1)  # heading clockwise from north
    prob = np.zeros(len(buildings))
    seen_mass = np.zeros(len(buildings))
    for cx, cy, w in zip(xs[kept], ys[kept], weights):
        hit, t = _first_hits(cx, cy, dirs, edges, owner, max_distance_m)
        if view_cone is not None:
            ok = hit >= 0
            hx, hy = cx + dirs[:, 0] * np.where(ok, t, 0), cy + dirs[:, 1] * np.where(ok, t, 0)
            in_cone = np.zeros(len(hit), dtype=bool)
            if ok.any():
                in_cone[ok] = points_in_polygons(hx[ok], hy[ok], view_cone)
            hit = np.where(in_cone, hit, -1)
        counts = np.bincount(hit[hit >= 0], minlength=len(buildings)) / float(rays)
        prob += w * counts
        seen_mass += w * (counts > 0)
    out = []
    for i, b in enumerate(buildings):
        if prob[i] < min_probability:
            continue
        d = distance_to_polygons(*estimate, b.polygons) if estimate else float("nan")
        out.append(RankedBuilding(b, float(prob[i]), float(prob[i] / seen_mass[i]) if seen_mass[i] else 0.0, d))
    out.sort(key=lambda r: (-r.probability, r.distance_m if math.isfinite(r.distance_m) else 0.0, r.building.id))
    return out


def addresses_of(ranked: Sequence[RankedBuilding], addresses: Sequence[Address]) -> List[RankedAddress]:
    by_pand: Dict[str, List[Address]] = {}
    for a in addresses:
        if a.pand_id:
            by_pand.setdefault(a.pand_id, []).append(a)
    out, taken = [], set()
    xs = np.array([a.x for a in addresses]) if addresses else np.zeros(0)
    ys = np.array([a.y for a in addresses]) if addresses else np.zeros(0)
    for rb in ranked:
        members = list(by_pand.get(rb.building.id, []))
        if not members and len(xs):
            bx0, by0, bx1, by1 = bbox_of(rb.building.polygons)
            box = np.nonzero((xs >= bx0) & (xs <= bx1) & (ys >= by0) & (ys <= by1))[0]
            if len(box):
                inside = points_in_polygons(xs[box], ys[box], rb.building.polygons)
                members = [addresses[i] for i in box[inside]]
        for a in sorted(members, key=lambda a: (a.street, a.number, a.id)):
            if a.id in taken:
                continue
            taken.add(a.id)
            out.append(RankedAddress(a, rb.building.id, rb.probability))
    return out
