"""Areas and spatially even sampling for the street-imagery sources (no QGIS here)."""
from __future__ import annotations

import math
from typing import Dict, List, Optional, Sequence, Tuple

from .image import SourceImage

BBox = Tuple[float, float, float, float]  # min_lon, min_lat, max_lon, max_lat (WGS84)


class Area:
    """A WGS84 bounding box, optionally clipped by a polygon (list of (lon, lat))."""

    def __init__(self, bbox: Optional[BBox] = None, polygon: Optional[Sequence[Tuple[float, float]]] = None):
        if polygon is not None:
            ring = [(float(x), float(y)) for x, y in polygon]
            if len(ring) < 3:
                raise ValueError("a polygon needs at least three vertices")
            xs = [p[0] for p in ring]
            ys = [p[1] for p in ring]
            self.polygon = ring
            self.bbox = (min(xs), min(ys), max(xs), max(ys))
        elif bbox is not None:
            x0, y0, x1, y1 = (float(v) for v in bbox)
            if not (x1 > x0 and y1 > y0):
                raise ValueError(f"empty bounding box: {bbox}")
            self.polygon = None
            self.bbox = (x0, y0, x1, y1)
        else:
            raise ValueError("give a bbox or a polygon")

    @classmethod
    def of(cls, value) -> "Area":
        if isinstance(value, Area):
            return value
        if isinstance(value, dict) and value.get("type") == "Polygon":
            return cls(polygon=value["coordinates"][0])
        seq = list(value)
        if len(seq) == 4 and all(isinstance(v, (int, float)) for v in seq):
            return cls(bbox=tuple(seq))
        return cls(polygon=seq)

    def contains(self, lon: float, lat: float) -> bool:
        x0, y0, x1, y1 = self.bbox
        if not (x0 <= lon <= x1 and y0 <= lat <= y1):
            return False
        if self.polygon is None:
            return True
        return _point_in_ring(lon, lat, self.polygon)

    def intersects(self, cell: BBox) -> bool:
        x0, y0, x1, y1 = cell
        ax0, ay0, ax1, ay1 = self.bbox
        if x1 < ax0 or x0 > ax1 or y1 < ay0 or y0 > ay1:
            return False
        if self.polygon is None:
            return True
        corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
        if any(_point_in_ring(x, y, self.polygon) for x, y in corners):
            return True
        if any(x0 <= x <= x1 and y0 <= y <= y1 for x, y in self.polygon):
            return True
        edges = list(zip(corners, corners[1:] + corners[:1]))
        ring = self.polygon
        for a, b in zip(ring, ring[1:] + ring[:1]):
            if any(_segments_cross(a, b, c, d) for c, d in edges):
                return True
        return False


def _point_in_ring(x: float, y: float, ring: Sequence[Tuple[float, float]]) -> bool:
    inside = False
    n = len(ring)
    j = n - 1
    for i in range(n):
        xi, yi = ring[i]
        xj, yj = ring[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / ((yj - yi) or 1e-300) + xi:
            inside = not inside
        j = i
    return inside


def _segments_cross(a, b, c, d) -> bool:
    def orient(p, q, r):
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])

    o1, o2, o3, o4 = orient(a, b, c), orient(a, b, d), orient(c, d, a), orient(c, d, b)
    return (o1 > 0) != (o2 > 0) and (o3 > 0) != (o4 > 0)


def metres_per_degree(lat: float) -> Tuple[float, float]:
    """(metres per degree of longitude, of latitude) near ``lat``."""
    return 111_320.0 * math.cos(math.radians(lat)), 110_574.0


def even_sample(images: List[SourceImage], k: int, bbox: BBox) -> List[SourceImage]:
    """At most ``k`` images spread over ``bbox``: round robin over a grid of cells
    (about 2k cells), nearest-to-cell-centre first within each cell. Deterministic."""
    if len(images) <= k:
        return list(images)
    return spread_order(images, bbox, k)[:k]


def spread_order(images: List[SourceImage], bbox: BBox, k: Optional[int] = None) -> List[SourceImage]:
    """All ``images`` reordered so that every prefix is spread over ``bbox`` (the
    order even_sample takes the first ``k`` in; the grid is sized for ``k``). For
    answers that come edge-first (Mapillary)."""
    if len(images) <= 1:
        return list(images)
    k = k or len(images)
    x0, y0, x1, y1 = bbox
    side = max(1, int(math.ceil(math.sqrt(2 * k))))
    w = (x1 - x0) or 1e-12
    h = (y1 - y0) or 1e-12
    buckets: Dict[Tuple[int, int], List[SourceImage]] = {}
    for im in images:
        i = min(side - 1, max(0, int((im.lon - x0) / w * side)))
        j = min(side - 1, max(0, int((im.lat - y0) / h * side)))
        buckets.setdefault((i, j), []).append(im)
    queues = []
    for (i, j), members in buckets.items():
        cx, cy = x0 + (i + 0.5) * w / side, y0 + (j + 0.5) * h / side
        members.sort(key=lambda im: ((im.lon - cx) ** 2 + (im.lat - cy) ** 2, im.source_id))
        queues.append((_spread_key(i, j, side), i, j, members))
    # cells in bit-reversed Morton order: every prefix of it is spread over the whole
    # area, so a last, incomplete round is not one corner or one row
    queues.sort()
    chosen: List[SourceImage] = []
    depth = 0
    while len(chosen) < len(images):
        progressed = False
        for _, _, _, members in queues:
            if depth < len(members):
                chosen.append(members[depth])
                progressed = True
        if not progressed:
            break
        depth += 1
    return chosen


def _spread_key(i: int, j: int, side: int) -> int:
    bits = max(1, (side - 1).bit_length())
    code = 0
    for b in range(bits):  # Morton (Z-order) code of the cell
        code |= ((i >> b) & 1) << (2 * b) | ((j >> b) & 1) << (2 * b + 1)
    return int(format(code, f"0{2 * bits}b")[::-1], 2)  # bit-reversed: coarse to fine
