"""Coordinates: WGS84 <-> RD New (EPSG:28992) with PROJ, geodesic distances,
point-in-polygon.

RD New is only meaningful in and around the Netherlands: points outside are
still transformed (PROJ's answer is returned) but flagged by inside_netherlands(),
so callers keep them marked instead of silently trusting a mis-projection.
"""
import os
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np


def _ensure_proj_data():
    """In a venv, Debian's pyproj looks for proj.db under the venv's prefix and
    warns. Point it at the interpreter's own PROJ data when nothing is set."""
    if os.environ.get("PROJ_DATA") or os.environ.get("PROJ_LIB"):
        return
    for base in (sys.prefix, sys.base_prefix, "/usr"):
        candidate = Path(base) / "share" / "proj"
        if (candidate / "proj.db").exists():
            os.environ["PROJ_DATA"] = str(candidate)
            return


_ensure_proj_data()

import pyproj  # noqa: E402

RD_NEW = "EPSG:28992"
WGS84 = "EPSG:4326"

# Generous WGS84 bounds of the Netherlands including the territorial sea.
NL_BOUNDS = (50.70, 3.20, 53.70, 7.30)  # lat_min, lon_min, lat_max, lon_max


@lru_cache(maxsize=None)
def _transformer(src, dst):
    # always_xy: (lon, lat) / (x, y) order regardless of the CRS axis definition.
    # PROJ picks the best operation available (Amersfoort datum shift; the RDNAPTRANS
    # grid when installed, else the 7-parameter Helmert, good to about 1 m).
    return pyproj.Transformer.from_crs(src, dst, always_xy=True)


def wgs84_to_rd(lat, lon):
    """WGS84 degrees -> RD New metres (x, y). Scalars or arrays (vectorised)."""
    x, y = _transformer(WGS84, RD_NEW).transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    if np.ndim(x) == 0:
        return float(x), float(y)
    return np.asarray(x), np.asarray(y)


def rd_to_wgs84(x, y):
    """RD New metres -> WGS84 degrees (lat, lon)."""
    lon, lat = _transformer(RD_NEW, WGS84).transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    if np.ndim(lat) == 0:
        return float(lat), float(lon)
    return np.asarray(lat), np.asarray(lon)


_GEOD = pyproj.Geod(ellps="WGS84")


def geodesic_distance_m(lat1, lon1, lat2, lon2):
    """Ellipsoidal (WGS84) distance in metres; vectorised over arrays."""
    lat1, lon1, lat2, lon2 = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (lat1, lon1, lat2, lon2))
    )
    _, _, dist = _GEOD.inv(lon1, lat1, lon2, lat2)
    dist = np.asarray(dist)
    return float(dist) if dist.ndim == 0 else dist


def valid_wgs84(lat, lon):
    """Reason string when (lat, lon) is not a usable position, else None."""
    try:
        lat = float(lat)
        lon = float(lon)
    except (TypeError, ValueError):
        return "coordinates are not numbers"
    if not (np.isfinite(lat) and np.isfinite(lon)):
        return "coordinates are NaN or infinite"
    if not (-90.0 <= lat <= 90.0) or not (-180.0 <= lon <= 180.0):
        return f"coordinates out of range (lat {lat}, lon {lon})"
    if lat == 0.0 and lon == 0.0:
        return "coordinates are 0,0 (a GPS without a fix)"
    return None


def inside_netherlands(lat, lon):
    """True where a WGS84 position lies in the Netherlands' bounding box (vectorised)."""
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    inside = (lat >= NL_BOUNDS[0]) & (lat <= NL_BOUNDS[2]) & (lon >= NL_BOUNDS[1]) & (lon <= NL_BOUNDS[3])
    return bool(inside) if inside.ndim == 0 else inside


# --- polygons: a list of polygons, each a list of rings (outer ring, then holes), each (N, 2)
def polygon_edges(polygons) -> np.ndarray:
    """(E, 4) segments x0, y0, x1, y1 of every ring (closed)."""
    segs = []
    for poly in polygons:
        for ring in poly:
            r = np.asarray(ring, dtype=float)
            if np.allclose(r[0], r[-1]):
                r = r[:-1]
            if len(r) < 3:
                continue
            nxt = np.roll(r, -1, axis=0)
            segs.append(np.hstack([r, nxt]))
    return np.vstack(segs) if segs else np.zeros((0, 4))


def points_in_polygons(px: np.ndarray, py: np.ndarray, polygons) -> np.ndarray:
    """Even-odd, half-open crossing test over all rings (holes and parts alike)."""
    inside = np.zeros(px.shape, dtype=bool)
    for x0, y0, x1, y1 in polygon_edges(polygons):
        if y0 == y1:
            continue
        straddles = (y0 > py) != (y1 > py)
        x_cross = (x1 - x0) * (py - y0) / (y1 - y0) + x0
        inside ^= straddles & (px < x_cross)
    return inside


def first_edge_hits(cx, cy, dirs, edges, max_distance):
    """Where each ray from (cx, cy) with direction dirs (R, 2: east, north) first meets
    one of the edges (E, 4: x0, y0, x1, y1) within max_distance: (distance, inf where
    none; the edge's index; the rays' cross product with that edge, whose size over the
    edge's length is the sine of the incidence)."""
    ax, ay = edges[:, 0] - cx, edges[:, 1] - cy
    sx, sy = edges[:, 2] - edges[:, 0], edges[:, 3] - edges[:, 1]
    dx, dy = dirs[:, 0:1], dirs[:, 1:2]
    denom = dx * sy - dy * sx  # (R, E)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (ax * sy - ay * sx) / denom
        u = (ax * dy - ay * dx) / denom
    valid = (np.abs(denom) > 1e-12) & (t > 1e-6) & (t <= max_distance) & (u >= 0.0) & (u <= 1.0)
    t = np.where(valid, t, np.inf)
    j = np.argmin(t, axis=1)
    rows = np.arange(len(dirs))
    return t[rows, j], j, denom[rows, j]


def angle_diff_deg(a, b):
    """a - b on the circle, in [-180, 180) degrees (numbers or arrays)."""
    return (np.asarray(a, float) - np.asarray(b, float) + 180.0) % 360.0 - 180.0


def angle_between(a: float, b: float) -> float:
    """|a - b| on the circle, 0..180 degrees."""
    return abs((float(a) - float(b) + 180.0) % 360.0 - 180.0)
