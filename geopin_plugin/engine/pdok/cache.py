"""PDOK answers cached per (service address, collection, bbox) in a GeoPackage.

One attributes table (``geopin_pdok_cache``, registered in gpkg_contents so QGIS
lists it) holds each answer as GeoJSON text with its bbox and fetch time. A cached
answer whose bbox covers the one asked for serves it (the features are filtered to
the smaller box), so moving the view around inside an area fetched once costs no
request. Entries older than ``max_age_days`` are ignored and replaced (BRK and BAG
change daily; a month is a reasonable default for "which parcel"). Writes are one
transaction each: a crash leaves either the old or the new entry, never half.
"""
from __future__ import annotations

import logging
import datetime as _dt
import json
from pathlib import Path
from typing import List, Optional, Tuple

from ..database.store.schema import APPLICATION_ID, UNDEFINED_SRS, init_geopackage
from ..database.store.sqlite import StoreDatabaseError, connect, transaction
from . import shapes

LOG = logging.getLogger("geopin.pdok")
TABLE = "geopin_pdok_cache"
USER_VERSION = 10300

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  base_url TEXT NOT NULL, collection TEXT NOT NULL,
  min_x REAL NOT NULL, min_y REAL NOT NULL, max_x REAL NOT NULL, max_y REAL NOT NULL,
  fetched_at TEXT NOT NULL, n_features INTEGER NOT NULL, truncated INTEGER NOT NULL,
  geojson TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS idx_pdok_cache_key ON {TABLE}(base_url, collection);
"""

BBox = Tuple[float, float, float, float]


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)


def _intersects(feature: dict, bbox: BBox) -> bool:
    coords = []

    def walk(node):
        if isinstance(node, (list, tuple)) and node and isinstance(node[0], (int, float)):
            coords.append(node)
        elif isinstance(node, (list, tuple)):
            for child in node:
                walk(child)

    walk((feature.get("geometry") or {}).get("coordinates"))
    if not coords:
        return False
    xs = [c[0] for c in coords]
    ys = [c[1] for c in coords]
    return not (max(xs) < bbox[0] or min(xs) > bbox[2] or max(ys) < bbox[1] or min(ys) > bbox[3])


class PdokCache:
    def __init__(self, path, max_age_days: float = 30.0, clock=_now):
        self.path = Path(path)
        self.max_age = _dt.timedelta(days=max_age_days)
        self.clock = clock
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = None
        try:
            con = self._connect()
            app_id = con.execute("PRAGMA application_id").fetchone()[0]
            if app_id not in (0, APPLICATION_ID):
                raise ValueError(f"{self.path} is not a GeoPackage; choose another cache file")
            with transaction(con):
                init_geopackage(con, USER_VERSION, _SCHEMA, UNDEFINED_SRS, [
                    (TABLE, "attributes", "GeoPin: PDOK OGC API Features answers (GeoJSON, EPSG:28992) per bbox",
                     None)])
        except StoreDatabaseError as exc:
            raise ValueError(f"{self.path}: cannot use it as a PDOK cache ({exc}); choose another file") from None
        finally:
            if con is not None:
                con.close()

    def _connect(self):
        return connect(self.path)

    def get(self, base_url: str, collection: str, bbox: BBox) -> Optional[List[dict]]:
        """Features of a fresh cached answer covering ``bbox`` (filtered to it), else None."""
        oldest = (self.clock() - self.max_age).isoformat()
        con = self._connect()
        try:
            row = con.execute(
                f"SELECT geojson, fid FROM {TABLE} WHERE base_url=? AND collection=? AND min_x<=? AND min_y<=? "
                f"AND max_x>=? AND max_y>=? AND fetched_at>=? AND truncated=0 "
                f"ORDER BY (max_x-min_x)*(max_y-min_y) LIMIT 1",
                (base_url, collection, bbox[0], bbox[1], bbox[2], bbox[3], oldest)).fetchone()
        finally:
            con.close()
        if row is None:
            return None
        problem = None
        try:
            features = json.loads(row[0])
        except (ValueError, TypeError) as exc:  # a BLOB that is not UTF-8 JSON, a NULL
            problem = f"not JSON text ({type(exc).__name__})"
        else:
            kept, skipped, _ = shapes.clean(features)
            if skipped:  # only checked features are written: anything else is damage
                problem = skipped.most_common(1)[0][0]
        if problem:
            LOG.warning("Dropped a damaged PDOK cache entry for %s in %s (%s); fetching it again", collection,
                        self.path, problem)
            self._drop(row[1])
            return None
        return [f for f in kept if _intersects(f, bbox)]

    def _drop(self, fid):
        con = self._connect()
        try:
            with transaction(con):
                con.execute(f"DELETE FROM {TABLE} WHERE fid=?", (fid,))
        except StoreDatabaseError as exc:  # a read-only cache: the entry is skipped each time
            LOG.warning("Cannot drop the damaged cache entry in %s: %s", self.path, exc)
        finally:
            con.close()

    def put(self, base_url: str, collection: str, bbox: BBox, features: List[dict], truncated: bool = False):
        con = self._connect()
        try:
            with transaction(con):
                con.execute(f"DELETE FROM {TABLE} WHERE base_url=? AND collection=? AND min_x>=? AND min_y>=? "
                            f"AND max_x<=? AND max_y<=?", (base_url, collection, *bbox))
                con.execute(f"INSERT INTO {TABLE} (base_url, collection, min_x, min_y, max_x, max_y, fetched_at, "
                            f"n_features, truncated, geojson) VALUES (?,?,?,?,?,?,?,?,?,?)",
                            (base_url, collection, *bbox, self.clock().isoformat(), len(features), int(truncated),
                             json.dumps(features, separators=(",", ":"))))
        finally:
            con.close()

    def entries(self) -> int:
        con = self._connect()
        try:
            return con.execute(f"SELECT COUNT(*) FROM {TABLE}").fetchone()[0]
        finally:
            con.close()
