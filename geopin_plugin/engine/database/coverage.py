"""How far a position lies from a reference database's coverage: the distance to
its nearest reference view. Used to warn first when a photo's EXIF GPS is far
outside the area the database can answer for (a "no match" is then expected)."""
import os

import numpy as np

from ..geo import wgs84_to_rd

FAR_OUTSIDE_M = 2000.0  # farther than this from every reference view: outside the coverage
_CACHE = {}


def reference_positions(database_path):
    """RD New (x, y) of every reference view, cached per file and modification time."""
    path = os.path.abspath(str(database_path))
    key = (path, os.path.getmtime(path))
    if key not in _CACHE:
        from .refdb import ReferenceDatabase

        with ReferenceDatabase.read_only(path) as db:
            _, xs, ys = db.positions()
        _CACHE.clear()
        _CACHE[key] = np.column_stack([xs, ys])
    return _CACHE[key]


def distance_to_coverage_m(database_path, lat, lon):
    """Metres from (lat, lon) to the nearest reference view; None for an empty database."""
    xy = reference_positions(database_path)
    if not len(xy):
        return None
    x, y = wgs84_to_rd(float(lat), float(lon))
    return float(np.sqrt(((xy - (x, y)) ** 2).sum(axis=1)).min())
