"""GeoJSON features from PDOK (or its cache) checked before anything computes with
them: a server and a cache file are untrusted input.

A feature is kept when it is an object whose `properties` is an object (or
absent) and whose geometry is a Point, Polygon or MultiPolygon nested exactly as
GeoJSON says, with finite numbers for coordinates and rings of at least three
positions. Anything else is skipped and counted with its reason (it gave
AttributeError/TypeError tracebacks, or numpy messages naming neither service nor
layer). A feature of more than MAX_VERTICES positions is thinned to about that
many (every k-th position, rings closed): one polygon of a million vertices took
177 s of ranking for one photo.
"""
from __future__ import annotations

import math
from collections import Counter
from typing import List, Optional, Tuple

# a real BAG pand has tens of vertices, a BRK parcel up to a few thousand; ranking a
# parcel and a building costs ~0.2 ms a vertex (20k: 4.5 s, 100k: 20 s for one photo)
MAX_VERTICES = 5_000
_DEPTH = {"Point": 1, "Polygon": 3, "MultiPolygon": 4}  # list levels above a number


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _position_problem(pos) -> Optional[str]:
    if not isinstance(pos, list) or not 2 <= len(pos) <= 4:
        return "a position is not a list of 2-4 numbers"
    if not all(_is_number(v) for v in pos):
        return "a coordinate is not a finite number"
    return None


def _rings_problem(rings) -> Tuple[Optional[str], int]:
    """(problem, positions) of a polygon's list of rings."""
    if not isinstance(rings, list) or not rings:
        return "a polygon is not a list of rings", 0
    n = 0
    for ring in rings:
        if not isinstance(ring, list) or len(ring) < 3:
            return "a ring has fewer than three positions", 0
        for pos in ring:
            problem = _position_problem(pos)
            if problem:
                return problem, 0
        n += len(ring)
    return None, n


def geometry_problem(geometry) -> Tuple[Optional[str], int]:
    """(None, positions) when the geometry is usable, else (reason, 0)."""
    if not isinstance(geometry, dict):
        return "no geometry object", 0
    kind, coords = geometry.get("type"), geometry.get("coordinates")
    if kind not in _DEPTH:
        return f"geometry type {str(kind)[:30]!r} is not a point or polygon", 0
    if kind == "Point":
        problem = _position_problem(coords)
        return problem, 0 if problem else 1
    polygons = [coords] if kind == "Polygon" else coords
    if not isinstance(polygons, list) or not polygons:
        return "a multipolygon is not a list of polygons", 0
    total = 0
    for rings in polygons:
        problem, n = _rings_problem(rings)
        if problem:
            return problem, 0
        total += n
    return None, total


def _thinned(geometry: dict, n: int) -> dict:
    step = math.ceil(n / MAX_VERTICES)

    def ring(r):
        kept = r[::step]
        if len(kept) < 3:
            kept = r[:: max(1, len(r) // 3)][:3]
        return kept + [kept[0]] if kept[-1] != kept[0] else kept

    if geometry["type"] == "Polygon":
        return {"type": "Polygon", "coordinates": [ring(r) for r in geometry["coordinates"]]}
    return {"type": "MultiPolygon", "coordinates": [[ring(r) for r in p] for p in geometry["coordinates"]]}


def clean(features) -> Tuple[List[dict], Counter, int]:
    """(usable features, Counter of skip reasons, features thinned). `features`
    that is not a list is one reason for everything."""
    skipped = Counter()
    if not isinstance(features, list):
        skipped[f"the answer is a {type(features).__name__}, not a list of features"] += 1
        return [], skipped, 0
    kept, thinned = [], 0
    for f in features:
        if not isinstance(f, dict):
            skipped[f"a feature is a {type(f).__name__}, not an object"] += 1
            continue
        props = f.get("properties")
        if props is not None and not isinstance(props, dict):
            skipped[f"properties is a {type(props).__name__}, not an object"] += 1
            continue
        problem, n = geometry_problem(f.get("geometry"))
        if problem:
            skipped[problem] += 1
            continue
        if n > MAX_VERTICES:
            f = dict(f, geometry=_thinned(f["geometry"], n))
            thinned += 1
        kept.append(f)
    return kept, skipped, thinned


def warning(title: str, collection: str, skipped: Counter, thinned: int) -> Optional[str]:
    parts = []
    if skipped:
        top = "; ".join(f"{n} x {r}" for r, n in skipped.most_common(4))
        parts.append(f"{sum(skipped.values())} malformed feature(s) skipped ({top})")
    if thinned:
        parts.append(f"{thinned} feature(s) of more than {MAX_VERTICES} vertices thinned to about that many")
    return f"{title} {collection}: " + "; ".join(parts) if parts else None
