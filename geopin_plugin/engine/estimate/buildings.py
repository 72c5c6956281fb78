"""Building footprints as the geolocation uses them: where the facades are (a ray
from a reference camera meets one: a metric depth, engine/estimate/facades.py) and where a
street photo's camera is unlikely to stand (the posterior's building prior).

Where the outlines come from is a *source*: a callable ``source(bbox) -> [Building]``
(engine/pdok/features.Building, RD New). Three exist:

- ``geopackage_source(path)``: a polygon layer in a GeoPackage (EPSG:28992), read
  through its R-tree with sqlite3 alone (the evaluation and tests use the shared
  BAG panden as "the user's layer");
- ``pdok_source(fetcher)``: PDOK's BAG OGC API through pdok.fetch.PdokFetcher and
  its cache;
- inside QGIS, a user's polygon layer (processing/ and gui/ wrap
  parcel_layers.geojson_features the same way).

:class:`BuildingMap` asks its source for fixed 250 m tiles around the places the
query needs (the verified references), so a PDOK cache entry serves every later
query near it, and merges them into :class:`Footprints`.
"""
from __future__ import annotations

import math
import sqlite3
import struct
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..geo import first_edge_hits, points_in_polygons
from ..pdok.features import Building

BBox = Tuple[float, float, float, float]
BuildingSource = Callable[[BBox], List[Building]]
TILE_M = 250.0  # the tiles a BuildingMap asks its source for (RD metres, aligned to 0)



# --- footprints ----------------------------------------------------------------------------
@dataclass
class Footprints:
    """Polygons (outer ring then holes, RD metres) with their ids, edges for ray
    casting and boxes for point tests."""

    polygons: List[list]
    ids: List[str]
    points: np.ndarray = field(init=False, repr=False)  # (P, 2) every ring's points, rings closed
    ring_start: np.ndarray = field(init=False, repr=False)  # (R + 1,) offsets into points
    ring_owner: np.ndarray = field(init=False, repr=False)  # (R,) polygon index
    ring_hole: np.ndarray = field(init=False, repr=False)  # (R,)
    edges: np.ndarray = field(init=False, repr=False)  # (E, 4)
    owner: np.ndarray = field(init=False, repr=False)  # (E,) polygon index
    boxes: np.ndarray = field(init=False, repr=False)  # (P, 4)

    def __post_init__(self):
        rings = [(i, k, r) for i, poly in enumerate(self.polygons) for k, r in enumerate(poly) if len(r) >= 4]
        if not rings:
            self.points, self.ring_start = np.zeros((0, 2)), np.zeros(1, int)
            self.ring_owner, self.ring_hole = np.zeros(0, int), np.zeros(0, bool)
            self.edges, self.owner, self.boxes = np.zeros((0, 4)), np.zeros(0, int), np.zeros((0, 4))
            return
        lengths = np.array([len(r) for _, _, r in rings])
        self.points = np.vstack([r for _, _, r in rings])  # closed rings, one after another
        self.ring_start = np.concatenate([[0], np.cumsum(lengths)])
        self.ring_owner = np.array([i for i, _, _ in rings])
        self.ring_hole = np.array([k > 0 for _, k, _ in rings])
        last = np.zeros(len(self.points), bool)
        last[self.ring_start[1:] - 1] = True  # a ring's closing point starts no edge
        first = np.flatnonzero(~last)
        self.edges = np.hstack([self.points[first], self.points[first + 1]])
        self.owner = np.repeat(self.ring_owner, lengths - 1)
        boxes = np.full((len(self.polygons), 4), np.nan)
        outer = ~self.ring_hole
        starts = self.ring_start[:-1][outer]
        for col, fn, axis in ((0, np.minimum, 0), (1, np.minimum, 1), (2, np.maximum, 0), (3, np.maximum, 1)):
            boxes[self.ring_owner[outer], col] = fn.reduceat(self.points[:, axis], starts)[:len(starts)] \
                if len(starts) else []
        self.boxes = boxes

    def __len__(self):
        return len(self.polygons)

    @classmethod
    def of(cls, buildings: Sequence[Building]) -> "Footprints":
        polys, ids = [], []
        for b in buildings:
            for poly in b.polygons:
                rings = []
                for r in poly:
                    r = np.asarray(r, float)
                    if len(r) and (r[0, 0] != r[-1, 0] or r[0, 1] != r[-1, 1]):
                        r = np.vstack([r, r[:1]])
                    rings.append(r)
                if rings and len(rings[0]) >= 4:
                    polys.append(rings)
                    ids.append(str(b.id))
        return cls(polys, ids)

    def containing(self, x: float, y: float) -> List[int]:
        """Indices of the polygons that hold the point."""
        box = np.flatnonzero((self.boxes[:, 0] <= x) & (self.boxes[:, 2] >= x) &
                             (self.boxes[:, 1] <= y) & (self.boxes[:, 3] >= y))
        return [int(i) for i in box if points_in_polygons(np.array([x]), np.array([y]), [self.polygons[i]])[0]]

    def inside(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """Whether each point lies inside a footprint."""
        xs, ys = np.asarray(xs, float), np.asarray(ys, float)
        out = np.zeros(xs.shape, bool)
        if not xs.size:
            return out
        near = np.flatnonzero((self.boxes[:, 2] >= xs.min()) & (self.boxes[:, 0] <= xs.max()) &
                              (self.boxes[:, 3] >= ys.min()) & (self.boxes[:, 1] <= ys.max()))
        for i in near:
            b = self.boxes[i]
            box = (xs >= b[0]) & (xs <= b[2]) & (ys >= b[1]) & (ys <= b[3])
            if box.any():
                out[box] |= points_in_polygons(xs[box], ys[box], [self.polygons[i]])
        return out

    def first_hits(self, x: float, y: float, bearings_deg: np.ndarray, max_distance_m: float
                   ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(distance, polygon index, incidence in degrees) of the first facade each ray
        (compass bearing from (x, y)) meets within ``max_distance_m``; inf, -1 and nan
        where none. Incidence: the angle between the ray and the facade (90: head-on).
        A ray starting inside a footprint (a reference under an arcade, or its GPS a
        metre off) ignores that footprint's own walls."""
        b = np.radians(np.asarray(bearings_deg, float))
        n = len(b)
        dist, owner, incidence = np.full(n, np.inf), np.full(n, -1), np.full(n, np.nan)
        own = self.containing(x, y)
        e = self.edges
        keep = ~np.isin(self.owner, own) if own else np.ones(len(e), bool)
        keep &= (np.minimum(e[:, 0], e[:, 2]) <= x + max_distance_m) & (np.maximum(e[:, 0], e[:, 2]) >= x - max_distance_m) \
            & (np.minimum(e[:, 1], e[:, 3]) <= y + max_distance_m) & (np.maximum(e[:, 1], e[:, 3]) >= y - max_distance_m)
        if not keep.any() or not n:
            return dist, owner, incidence
        e, who = e[keep], self.owner[keep]
        dirs = np.column_stack([np.sin(b), np.cos(b)])
        dist, j, cross = first_edge_hits(x, y, dirs, e, max_distance_m)
        hit = np.isfinite(dist)
        owner = np.where(hit, who[j], -1)
        seg = np.hypot(e[j, 2] - e[j, 0], e[j, 3] - e[j, 1])
        sin_inc = np.abs(cross) / np.maximum(seg, 1e-12)  # |ray x facade| / |facade|
        incidence = np.where(hit, np.degrees(np.arcsin(np.clip(sin_inc, 0.0, 1.0))), np.nan)
        return dist, owner, incidence

    def mask(self, x0: float, y1: float, cell: float, shape: Tuple[int, int]) -> np.ndarray:
        """Cells (row 0 north, cell centres) of a grid window that lie inside a footprint."""
        import cv2

        rows, cols = shape
        out = np.zeros((rows, cols), np.uint8)
        x1, y0 = x0 + cols * cell, y1 - rows * cell
        near = np.flatnonzero((self.boxes[:, 2] >= x0) & (self.boxes[:, 0] <= x1) &
                              (self.boxes[:, 3] >= y0) & (self.boxes[:, 1] <= y1))
        shift = 4  # sub-cell precision of the vertices
        scale = float(1 << shift)
        px = np.empty(self.points.shape, np.int32)
        px[:, 0] = np.round(((self.points[:, 0] - x0) / cell - 0.5) * scale)
        px[:, 1] = np.round(((y1 - self.points[:, 1]) / cell - 0.5) * scale)
        near_rings = np.flatnonzero(np.isin(self.ring_owner, near))
        for r in near_rings:  # one ring at a time: fillPoly is even-odd where rings overlap
            cv2.fillPoly(out, [px[self.ring_start[r]:self.ring_start[r + 1]]], 0 if self.ring_hole[r] else 1,
                         lineType=cv2.LINE_8, shift=shift)
        return out.astype(bool)


# --- sources ------------------------------------------------------------------------------
def _wkb_polygons(wkb: bytes, pos: int = 0):
    """(polygons, next position) of a 2-D/Z/M (Multi)Polygon in WKB (ISO or EWKB dims)."""
    order = "<" if wkb[pos] == 1 else ">"
    (kind,) = struct.unpack_from(order + "I", wkb, pos + 1)
    pos += 5
    dims = 2
    if kind & 0x80000000 or kind & 0x40000000:  # EWKB Z / M flags
        dims += bool(kind & 0x80000000) + bool(kind & 0x40000000)
        kind &= 0xFFFF
    elif kind > 1000:
        dims += {1: 1, 2: 1, 3: 2}[kind // 1000]
        kind %= 1000
    if kind == 6:
        (n,) = struct.unpack_from(order + "I", wkb, pos)
        pos += 4
        out = []
        for _ in range(n):
            polys, pos = _wkb_polygons(wkb, pos)
            out.extend(polys)
        return out, pos
    if kind != 3:
        return [], len(wkb)  # not an area
    (n_rings,) = struct.unpack_from(order + "I", wkb, pos)
    pos += 4
    rings = []
    for _ in range(n_rings):
        (n,) = struct.unpack_from(order + "I", wkb, pos)
        pos += 4
        pts = np.frombuffer(wkb, np.dtype(order + "f8"), n * dims, pos).reshape(n, dims)[:, :2].astype(float)
        pos += 8 * n * dims
        if n >= 4:
            rings.append(pts)
    return ([rings] if rings else []), pos


def gpkg_polygons(blob: bytes) -> list:
    """Polygons of a GeoPackage geometry blob (empty for other or empty geometries)."""
    if blob is None or blob[:2] != b"GP":
        return []
    flags = blob[3]
    if flags & 0x10:
        return []
    env = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}.get((flags >> 1) & 0x07, 0)
    return _wkb_polygons(blob, 8 + env)[0]


def geopackage_source(path, layer: Optional[str] = None, id_field: Optional[str] = None) -> BuildingSource:
    """Footprints from a polygon layer of a GeoPackage in EPSG:28992 (its R-tree when
    it has one). ``id_field``: None picks identificatie, pand_diva_id or the fid."""
    uri = f"file:{path}?mode=ro"
    con = sqlite3.connect(uri, uri=True, check_same_thread=False)
    rows = con.execute("SELECT table_name, column_name, srs_id FROM gpkg_geometry_columns").fetchall()
    if layer is not None:
        rows = [r for r in rows if r[0] == layer]
    if not rows:
        con.close()
        raise ValueError(f"{path}: no polygon layer {layer or ''} found")
    table, geom, srs = rows[0]
    if int(srs) != 28992:
        con.close()
        raise ValueError(f"{path}: layer {table} is in EPSG:{srs}, not EPSG:28992")
    columns = [r[1] for r in con.execute(f'PRAGMA table_info("{table}")')]
    pk = next((r[1] for r in con.execute(f'PRAGMA table_info("{table}")') if r[5]), "rowid")
    ident = id_field or next((c for c in ("identificatie", "pand_diva_id") if c in columns), pk)
    rtree = f"rtree_{table}_{geom}"
    has_rtree = con.execute("SELECT 1 FROM sqlite_master WHERE name=?", (rtree,)).fetchone() is not None
    if has_rtree:
        sql = (f'SELECT t."{ident}", t."{geom}" FROM "{table}" t JOIN "{rtree}" r ON t."{pk}" = r.id '
               "WHERE r.maxx >= ? AND r.minx <= ? AND r.maxy >= ? AND r.miny <= ?")
    else:
        sql = f'SELECT "{ident}", "{geom}" FROM "{table}"'

    def source(bbox: BBox) -> List[Building]:
        args = (bbox[0], bbox[2], bbox[1], bbox[3]) if has_rtree else ()
        out = []
        for ident_value, blob in con.execute(sql, args):
            polys = gpkg_polygons(blob)
            if polys:
                out.append(Building(str(ident_value), table, None, "", polys))
        return out

    source.close = con.close  # type: ignore[attr-defined]
    return source


def pdok_source(fetcher) -> BuildingSource:
    """BAG panden from PDOK (pdok.fetch.PdokFetcher, with its cache and limits)."""

    def source(bbox: BBox) -> List[Building]:
        data = fetcher.fetch(tuple(bbox), "bag", want=("buildings",))
        return list(data.buildings)

    return source


class BuildingMap:
    """A source's footprints, asked for in fixed tiles and kept: ``around(points,
    reach_m)`` gives the Footprints of every tile within ``reach_m`` of the points.
    A source that fails (PDOK unreachable, a broken layer) gives no outlines for that
    tile, and the reason is kept in ``errors``: the photo is located without them."""

    def __init__(self, source: BuildingSource, name: str = ""):
        self.source, self.name = source, name
        self._tiles: Dict[Tuple[int, int], List[Building]] = {}
        self._merged: Dict[tuple, Footprints] = {}  # the last few tile sets asked for
        self.requests = 0
        self.errors: List[str] = []

    def _tile(self, key: Tuple[int, int]) -> List[Building]:
        if key not in self._tiles:
            x0, y0 = key[0] * TILE_M, key[1] * TILE_M
            self.requests += 1
            try:
                self._tiles[key] = list(self.source((x0, y0, x0 + TILE_M, y0 + TILE_M)))
            except Exception as exc:  # outlines are optional information
                self._tiles[key] = []
                self.errors.append(str(exc))
        return self._tiles[key]

    def around(self, points: Sequence[Tuple[float, float]], reach_m: float) -> Footprints:
        keys = set()
        for x, y in points:
            for i in range(int(math.floor((x - reach_m) / TILE_M)), int(math.floor((x + reach_m) / TILE_M)) + 1):
                for j in range(int(math.floor((y - reach_m) / TILE_M)), int(math.floor((y + reach_m) / TILE_M)) + 1):
                    keys.add((i, j))
        keys = tuple(sorted(keys))
        if keys in self._merged:
            return self._merged[keys]
        seen, chosen = set(), []
        for key in keys:
            for b in self._tile(key):
                if b.id not in seen:  # a building on a tile border comes with both tiles
                    seen.add(b.id)
                    chosen.append(b)
        if len(self._merged) >= 8:
            self._merged.pop(next(iter(self._merged)))
        self._merged[keys] = Footprints.of(chosen)
        return self._merged[keys]


# --- the prior ----------------------------------------------------------------------------
def apply_prior(grid, footprints: Footprints, factor: float, reach: Optional[BBox] = None) -> float:
    """Multiply the posterior grid's cells inside a footprint by ``factor``, within
    ``reach`` (the box the footprints were loaded for), keeping that region's mass:
    other places' shares of the total stay as they were. Returns the share of the
    region's mass that stood inside footprints before."""
    from .density import TILE

    if not len(footprints) or factor >= 1.0:
        return 0.0
    cell = grid.cell
    side = TILE * cell
    keys = [k for k in grid.tiles if reach is None or not (
        k[1] * side > reach[2] or (k[1] + 1) * side < reach[0] or -k[0] * side < reach[1] or -(k[0] + 1) * side > reach[3])]
    if not keys:
        return 0.0
    r0, r1 = min(k[0] for k in keys), max(k[0] for k in keys)
    c0, c1 = min(k[1] for k in keys), max(k[1] for k in keys)
    mask = footprints.mask(c0 * side, -r0 * side, cell, ((r1 - r0 + 1) * TILE, (c1 - c0 + 1) * TILE))
    before = inside_mass = after = 0.0
    new_tiles = {}
    for key in keys:
        tile = grid.tiles[key]
        m = mask[(key[0] - r0) * TILE:(key[0] - r0 + 1) * TILE, (key[1] - c0) * TILE:(key[1] - c0 + 1) * TILE]
        before += float(tile.sum())
        inside_mass += float(tile[m].sum())
        t = np.where(m, tile * factor, tile)
        after += float(t.sum())
        new_tiles[key] = t
    if after <= 0:
        return 0.0
    for key, t in new_tiles.items():
        grid.tiles[key] = t * (before / after)
    return inside_mass / before if before > 0 else 0.0


PRIOR_REACH_M = 120.0  # the winning place's kernels reach this far (4 x 25 m plus a margin)


def prior_region(building_map: BuildingMap, groups) -> Tuple[Footprints, BBox]:
    """The footprints around a place's reference groups and the box they cover."""
    pts = [(g.x, g.y) for g in groups]
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    box = (min(xs) - PRIOR_REACH_M, min(ys) - PRIOR_REACH_M, max(xs) + PRIOR_REACH_M, max(ys) + PRIOR_REACH_M)
    return building_map.around(pts, PRIOR_REACH_M), box
