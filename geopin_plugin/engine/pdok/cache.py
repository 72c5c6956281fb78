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

import datetime as _dt
import json
import sqlite3
from pathlib import Path
from typing import List, Optional, Tuple

from ...log import get_logger

LOG = get_logger("pdok")
TABLE = "geopin_pdok_cache"
APPLICATION_ID = 0x47504B47  # "GPKG"
USER_VERSION = 10300

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY, organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
CREATE TABLE IF NOT EXISTS gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
  description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name));
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
        con = self._connect()
        try:
            app_id = con.execute("PRAGMA application_id").fetchone()[0]
            if app_id not in (0, APPLICATION_ID):
                raise ValueError(f"{self.path} is not a GeoPackage; choose another cache file")
            con.execute("BEGIN IMMEDIATE")
            con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            if con.execute("PRAGMA user_version").fetchone()[0] == 0:
                con.execute(f"PRAGMA user_version = {USER_VERSION}")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    con.execute(statement)
            con.executemany("INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES (?,?,?,?,?,?)", [
                ("Undefined cartesian SRS", -1, "NONE", -1, "undefined", "undefined cartesian coordinate reference system"),
                ("Undefined geographic SRS", 0, "NONE", 0, "undefined", "undefined geographic coordinate reference system"),
            ])
            con.execute("INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description) "
                        "VALUES (?, 'attributes', ?, ?)",
                        (TABLE, TABLE, "GeoPin: PDOK OGC API Features answers (GeoJSON, EPSG:28992) per bbox"))
            con.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            raise ValueError(f"{self.path}: cannot use it as a PDOK cache ({exc}); choose another file") from None
        finally:
            con.close()

    def _connect(self):
        return sqlite3.connect(str(self.path), timeout=30.0, isolation_level=None)

    def get(self, base_url: str, collection: str, bbox: BBox) -> Optional[List[dict]]:
        """Features of a fresh cached answer covering ``bbox`` (filtered to it), else None."""
        oldest = (self.clock() - self.max_age).isoformat()
        con = self._connect()
        try:
            row = con.execute(
                f"SELECT geojson FROM {TABLE} WHERE base_url=? AND collection=? AND min_x<=? AND min_y<=? "
                f"AND max_x>=? AND max_y>=? AND fetched_at>=? AND truncated=0 "
                f"ORDER BY (max_x-min_x)*(max_y-min_y) LIMIT 1",
                (base_url, collection, bbox[0], bbox[1], bbox[2], bbox[3], oldest)).fetchone()
        finally:
            con.close()
        if row is None:
            return None
        try:
            features = json.loads(row[0])
        except json.JSONDecodeError:
            LOG.warning("Ignoring a damaged cache entry in %s", self.path)
            return None
        return [f for f in features if _intersects(f, bbox)]

    def put(self, base_url: str, collection: str, bbox: BBox, features: List[dict], truncated: bool = False):
        con = self._connect()
        try:
            con.execute("BEGIN IMMEDIATE")
            con.execute(f"DELETE FROM {TABLE} WHERE base_url=? AND collection=? AND min_x>=? AND min_y>=? "
                        f"AND max_x<=? AND max_y<=?", (base_url, collection, *bbox))
            con.execute(f"INSERT INTO {TABLE} (base_url, collection, min_x, min_y, max_x, max_y, fetched_at, "
                        f"n_features, truncated, geojson) VALUES (?,?,?,?,?,?,?,?,?,?)",
                        (base_url, collection, *bbox, self.clock().isoformat(), len(features), int(truncated),
                         json.dumps(features, separators=(",", ":"))))
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            con.close()

    def entries(self) -> int:
        con = self._connect()
        try:
            return con.execute(f"SELECT COUNT(*) FROM {TABLE}").fetchone()[0]
        finally:
            con.close()
