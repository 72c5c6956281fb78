"""The reference database: a GeoPackage (written with sqlite3, no GDAL) holding a
`reference_views` point layer in EPSG:28992, metadata, embeddings, local features,
an ingest-error log and per-image content hashes; beside it the perspective-view
JPEGs and an hnswlib index validated against the GeoPackage on every open.

Layout beside <name>.gpkg:
  <name>_views/<hh>/<sha256>_<i>.jpg           stored views (verification display)
  <name>.<preset>[.w<d>].hnsw + .hnsw.json      HNSW index + sidecar (count, checksum...)

See docs/reference-database.md for the schema and the design decisions.
"""
import datetime as _dt
import errno
import hashlib
import json
import os
import sqlite3
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np

from . import fsutil
from . import index_check
from . import whitening as _whitening
from .types import LocalFeatures, SearchHit

SCHEMA_VERSION = 1
APPLICATION_ID = 0x47504B47  # "GPKG"
USER_VERSION = 10200  # GeoPackage 1.2
LAYER = "reference_views"
ERRORS_TABLE = "ingest_errors"
RD_SRS_ID = 28992

# HNSW parameters (benchmarks/bench_index.py measures them).
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 128
HNSW_EF_SEARCH = 300  # at least k; recall@100 0.995 at 1M in benchmarks/bench_index.py (0.978 at 200)
HNSW_HEADER_BYTES = 96
EXACT_LIMIT = 20_000  # below this many candidates an exact matrix search is used
WHITENING_REFIT_GROWTH = 0.2  # re-learn whitening when the DB grew by 20 %
CHECKSUM_VERIFY_LIMIT = 100_000
HNSW_VECTOR_SAMPLE = 1024  # index elements whose vectors are compared with the DB on open  # recompute the embeddings checksum on open up to here
MAX_DIM = 8192  # an embedding dimension above this is a damaged metadata value, not a model
INTEGRITY_CHECK_MAX_BYTES = 2 << 30  # PRAGMA quick_check on open for GeoPackages up to 2 GiB


class DatabaseError(ValueError):
    """A missing, empty, corrupt or incompatible reference database."""


class MissingRowsError(DatabaseError, KeyError):
    """Rows asked for are absent (unknown ids, or a damaged table); a KeyError for old callers."""

    def __str__(self):
        return ValueError.__str__(self)


@dataclass
class ReferenceView:
    view_id: int
    x: float
    y: float
    lat: float
    lon: float
    source: str
    image_path: str
    view_image_path: str
    pano_id: Optional[str]
    heading: Optional[float]  # absolute compass heading, None when unknown
    rel_heading: Optional[float]  # heading relative to the panorama centre (panoramas)
    fov: Optional[float]
    capture_time: Optional[str]
    licence: Optional[str]
    attribution: Optional[str]
    outside_nl: bool
    source_id: Optional[str] = None
    content_hash: Optional[str] = None


# --- GeoPackage helpers -----------------------------------------------------------------

def gpkg_point(x, y, srs_id=RD_SRS_ID):
    """GeoPackage binary geometry: 'GP', version 0, flags (little endian, no
    envelope), srs_id, then a little-endian WKB Point."""
    return b"GP" + bytes([0, 0x01]) + struct.pack("<i", srs_id) + struct.pack("<BIdd", 1, 1, float(x), float(y))


def parse_gpkg_point(blob):
    if blob[:2] != b"GP":
        raise ValueError("not a GeoPackage geometry")
    flags = blob[3]
    env = (flags >> 1) & 0x07
    env_len = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}[env]
    wkb = blob[8 + env_len:]
    order = "<" if wkb[0] == 1 else ">"
    _, x, y = struct.unpack(order + "Idd", wkb[1:21])
    return x, y


def _srs_wkt(epsg):
    from .geo import pyproj  # imported there with PROJ data set up

    return pyproj.CRS.from_epsg(epsg).to_wkt("WKT1_GDAL")


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
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
CREATE TABLE IF NOT EXISTS {LAYER} (
  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  geom POINT,
  source TEXT NOT NULL, source_id TEXT, image_path TEXT NOT NULL, view_image TEXT NOT NULL,
  pano_id TEXT, view_index INTEGER NOT NULL, is_panorama INTEGER NOT NULL,
  heading REAL, rel_heading REAL, fov REAL, capture_time TEXT,
  lat REAL NOT NULL, lon REAL NOT NULL, x REAL NOT NULL, y REAL NOT NULL,
  outside_nl INTEGER NOT NULL, content_hash TEXT NOT NULL, licence TEXT, attribution TEXT,
  added_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS idx_views_hash ON {LAYER}(content_hash);
CREATE TABLE IF NOT EXISTS {ERRORS_TABLE} (
  fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, file TEXT NOT NULL, reason TEXT NOT NULL,
  content_hash TEXT, run_started TEXT, logged_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS geopin_images (
  content_hash TEXT PRIMARY KEY NOT NULL, path TEXT NOT NULL, source TEXT, source_id TEXT,
  n_views INTEGER NOT NULL, added_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS geopin_metadata (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS geopin_embeddings (
  view_id INTEGER PRIMARY KEY NOT NULL REFERENCES {LAYER}(fid), vector BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS geopin_local_features (
  view_id INTEGER NOT NULL REFERENCES {LAYER}(fid), extractor_id TEXT NOT NULL,
  n INTEGER NOT NULL, desc_dim INTEGER NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL,
  keypoints BLOB NOT NULL, descriptors BLOB NOT NULL, scores BLOB,
  PRIMARY KEY (view_id, extractor_id));
CREATE TABLE IF NOT EXISTS geopin_whitening (
  model_preset TEXT PRIMARY KEY NOT NULL, dim_in INTEGER NOT NULL, dim_out INTEGER NOT NULL,
  n_fit INTEGER NOT NULL, shrinkage REAL NOT NULL, mean BLOB NOT NULL, projection BLOB NOT NULL);
"""


def _now():
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


def _connect(path):
    con = sqlite3.connect(str(path), timeout=30.0, isolation_level=None)  # explicit transactions
    con.execute("PRAGMA foreign_keys = ON")
    con.execute("PRAGMA synchronous = FULL")
    return con


def _init_schema(con, meta):
    con.execute("BEGIN IMMEDIATE")
    try:
        con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        con.execute(f"PRAGMA user_version = {USER_VERSION}")
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                con.execute(statement)
        srs = [
            ("Undefined cartesian SRS", -1, "NONE", -1, "undefined", "undefined cartesian coordinate reference system"),
            ("Undefined geographic SRS", 0, "NONE", 0, "undefined", "undefined geographic coordinate reference system"),
            ("WGS 84 geodetic", 4326, "EPSG", 4326, _srs_wkt(4326), "longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid"),
            ("Amersfoort / RD New", RD_SRS_ID, "EPSG", RD_SRS_ID, _srs_wkt(RD_SRS_ID), "Dutch national grid (RD New)"),
        ]
        con.executemany("INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES (?,?,?,?,?,?)", srs)
        con.execute(
            "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) "
            "VALUES (?, 'features', ?, ?, ?)",
            (LAYER, LAYER, "GeoPin reference views (one point per stored view)", RD_SRS_ID))
        con.execute(
            "INSERT OR IGNORE INTO gpkg_geometry_columns VALUES (?, 'geom', 'POINT', ?, 0, 0)", (LAYER, RD_SRS_ID))
        con.execute(
            "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description) "
            "VALUES (?, 'attributes', ?, ?)",
            (ERRORS_TABLE, ERRORS_TABLE, "GeoPin ingest errors: files that could not be indexed, with the reason"))
        for key, value in meta.items():
            con.execute("INSERT OR REPLACE INTO geopin_metadata VALUES (?, ?)", (key, json.dumps(value)))
        con.execute("COMMIT")
    except BaseException:
        _rollback(con)
        raise


def _rollback(con):
    """Roll back when a transaction is open. SQLite already rolled back after
    SQLITE_FULL; a second ROLLBACK would replace "database or disk is full" by
    "cannot rollback - no transaction is active"."""
    try:
        if con.in_transaction:
            con.execute("ROLLBACK")
    except sqlite3.Error:
        pass


def _read_meta(con):
    return {k: json.loads(v) for k, v in con.execute("SELECT key, value FROM geopin_metadata")}


def _blob_f32(a):
    return np.ascontiguousarray(a, dtype=np.float32).tobytes()


# --- hnswlib file validation ---------------------------------------------------------------

def write_hnsw(index, path):
    """hnswlib's save (a function of its own so the fault tests can make it write short)."""
    index.save_index(str(path))


def read_hnsw_header(path):
    """The fixed header of an hnswlib 0.8 index file (see hnswalg.h saveIndex)."""
    with open(path, "rb") as fh:
        head = fh.read(HNSW_HEADER_BYTES)
    if len(head) < HNSW_HEADER_BYTES:
        raise DatabaseError("index file too short")
    return index_check.parse_header(head)


def validate_hnsw_file(path, count, dim, ids):
    """Check an hnswlib file's header and layout against what the DB expects,
    without letting hnswlib parse it (a bad file can crash hnswlib). Returns None
    when it matches, else the reason. Also compares the stored labels with `ids`."""
    try:
        h = read_hnsw_header(path)
    except (OSError, struct.error, DatabaseError) as exc:
        return f"unreadable header: {exc}"
    size_links0 = h["maxM0"] * 4 + 4
    expected_sdpe = size_links0 + dim * 4 + 8
    if h["count"] != count:
        return f"element count {h['count']} != {count} views in the database"
    if h["offset_level0"] != 0 or h["offset_data"] != size_links0 or h["size_data_per_element"] != expected_sdpe \
            or h["label_offset"] != size_links0 + dim * 4:
        return f"data size per element {h['size_data_per_element']} does not match dimension {dim}"
    if h["count"] > h["max_elements"] or (count and h["enterpoint"] >= count) or h["maxlevel"] < 0 \
            or h["M"] == 0 or h["maxM0"] != 2 * h["M"]:
        return "inconsistent header fields"
    file_size = os.path.getsize(path)
    level0_end = HNSW_HEADER_BYTES + count * h["size_data_per_element"]
    if file_size < level0_end + 4 * count:
        return f"file truncated ({file_size} bytes)"
    # every link of every level (a bad neighbour id segfaults hnswlib)
    problem = index_check.graph_problem(path, h)
    if problem:
        return problem
    if count:
        mm = np.memmap(path, dtype=np.uint8, mode="r", offset=HNSW_HEADER_BYTES,
                       shape=(count, h["size_data_per_element"]))
        labels = np.frombuffer(
            np.ascontiguousarray(mm[:, h["label_offset"]:h["label_offset"] + 8]).tobytes(), dtype="<u8")
        del mm
        if not np.array_equal(np.sort(labels.astype(np.int64)), np.sort(np.asarray(ids, dtype=np.int64))):
            return "labels in the index are not the view ids of the database"
    return None


def _polygon_contains(rings, x, y):
    """Even-odd point-in-polygon for (N,) arrays; rings: outer ring then holes."""
    inside = np.zeros(len(x), dtype=bool)
    for ring in rings:
        ring = np.asarray(ring, dtype=np.float64)
        if len(ring) < 3:
            continue
        xi, yi = ring[:, 0], ring[:, 1]
        xj, yj = np.roll(xi, 1), np.roll(yi, 1)
        for a, b, c, d in zip(xi, yi, xj, yj):
            crosses = ((b > y) != (d > y)) & (x < (c - a) * (y - b) / np.where(d - b == 0, 1e-300, d - b) + a)
            inside ^= crosses
    return inside


class ReferenceDatabase:
    """An open reference database. Use ReferenceDatabase.open(path) to read,
    ReferenceDatabase.create_or_open(path, ...) from the ingest."""

    def __init__(self, path, con, log=None):
        self.path = Path(path)
        self._con = con
        self._log = log
        self._index = None
        self._index_ids = None
        self._whitening = None
        self._xy = None
        self.meta = _read_meta(con)
        self.warnings: List[str] = []  # shown to the user by the caller (Processing feedback, dock)
        self._writable = None

    def warn(self, message):
        from ..log import get_logger

        get_logger("refdb").warning("%s: %s", self.path.name, message)
        if message not in self.warnings:
            self.warnings.append(message)

    @property
    def writable(self):
        """Whether the GeoPackage and its folder accept writes (tried, not guessed)."""
        if self._writable is None:
            self._writable = os.access(self.path, os.W_OK) and fsutil.folder_writable(self.path)
        return self._writable

    # ---- opening -------------------------------------------------------------------
    @classmethod
    def open(cls, path, repair_index=True):
        """Open and validate (see _open_checked); a damaged SQLite file is a
        DatabaseError naming the fix, never a traceback."""
        try:
            return cls._open_checked(path, repair_index)
        except DatabaseError:
            raise
        except (sqlite3.DatabaseError, TypeError, ValueError, KeyError) as exc:  # damaged rows or pages
            raise DatabaseError(f"{path} is damaged or unreadable ({type(exc).__name__}: {exc}); restore it from "
                                "a backup or rebuild it") from exc

    @classmethod
    def _open_checked(cls, path, repair_index=True):
        """Open and validate an existing database. Raises DatabaseError with a
        clear reason when it is missing, not a GeoPin GeoPackage, from a newer
        schema or empty. A missing or mismatched index is rebuilt."""
        path = Path(path)
        if not path.exists():
            raise DatabaseError(f"reference database not found: {path}")
        if path.stat().st_size == 0:
            raise DatabaseError(f"reference database is an empty file: {path}")
        try:
            con = _connect(path)
            app_id = con.execute("PRAGMA application_id").fetchone()[0]
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        except sqlite3.DatabaseError as exc:
            raise DatabaseError(f"not a GeoPackage/SQLite file: {path} ({exc})") from exc
        if app_id != APPLICATION_ID or "geopin_metadata" not in tables or LAYER not in tables:
            con.close()
            raise DatabaseError(f"not a GeoPin reference database: {path}")
        db = cls(path, con)
        version = db.meta.get("schema_version")
        if not isinstance(version, int) or version > SCHEMA_VERSION:
            con.close()
            raise DatabaseError(f"reference database schema {version} is newer than this GeoPin ({SCHEMA_VERSION})")
        dim = db.meta.get("dim")
        if not isinstance(dim, int) or isinstance(dim, bool) or not 0 < dim <= MAX_DIM:
            con.close()
            raise DatabaseError(f"{path} is damaged: its embedding dimension {dim!r} is not a number from 1 to "
                                f"{MAX_DIM}; rebuild the database")
        if db.count == 0:
            con.close()
            raise DatabaseError(f"reference database holds no views yet: {path}")
        db._check_integrity()
        if repair_index:
            db.ensure_index()
        return db

    @classmethod
    def create_or_open(cls, path, model_preset, dim, extractor_preset=None, whitening=None):
        """Open for writing, creating an empty database when absent. An existing
        database must use the same embedder preset and dimension."""
        path = Path(path)
        exists = path.exists() and path.stat().st_size > 0
        if exists:
            try:
                con = _connect(path)
                app_id = con.execute("PRAGMA application_id").fetchone()[0]
                has_meta = con.execute(
                    "SELECT 1 FROM sqlite_master WHERE type='table' AND name='geopin_metadata'").fetchone()
            except sqlite3.DatabaseError as exc:
                raise DatabaseError(f"not a GeoPackage/SQLite file: {path} ({exc})") from exc
            if app_id != APPLICATION_ID or not has_meta:
                con.close()
                raise DatabaseError(f"{path} exists and is not a GeoPin reference database; choose another file")
            db = cls(path, con)
            if not db.writable:
                con.close()
                raise DatabaseError(f"cannot write {path}: the file or its folder is read-only; copy the database "
                                    "to a writable folder or choose another output")
            if db.meta.get("schema_version", 0) > SCHEMA_VERSION:
                con.close()
                raise DatabaseError(f"reference database schema is newer than this GeoPin: {path}")
            if db.meta.get("model_preset") != model_preset or int(db.meta.get("dim", -1)) != int(dim):
                con.close()
                raise DatabaseError(
                    f"{path} was built with embedder {db.meta.get('model_preset')} ({db.meta.get('dim')}-d); "
                    f"it cannot take embeddings of {model_preset} ({dim}-d)")
            if whitening is not None and bool(db.meta.get("whitening")) != bool(whitening):
                db.set_meta(whitening=bool(whitening))
            if extractor_preset and not db.meta.get("extractor_preset"):
                # views stored before the preset was recorded hold RootSIFT features
                from .models import FALLBACK_EXTRACTOR

                db.set_meta(extractor_preset=extractor_preset if not db.count else FALLBACK_EXTRACTOR)
            return db
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseError(fsutil.describe_write_error(exc, path) or f"cannot create {path.parent}: {exc}")
        if not fsutil.folder_writable(path):
            raise DatabaseError(f"cannot create {path}: the folder is read-only; choose a writable folder")
        con = _connect(path)
        meta = {
            "schema_version": SCHEMA_VERSION,
            "model_preset": model_preset,
            "dim": int(dim),
            "extractor_preset": extractor_preset,
            "whitening": bool(whitening),
            "hnsw": {"M": HNSW_M, "ef_construction": HNSW_EF_CONSTRUCTION, "ef_search": HNSW_EF_SEARCH,
                     "space": "ip"},
            "created_at": _now(),
            "counts": {"views": 0, "images": 0, "panoramas": 0, "errors": 0},
        }
        _init_schema(con, meta)
        return cls(path, con)

    def _check_integrity(self):
        """PRAGMA quick_check on files small enough to read at every open: a damaged
        GeoPackage page gets a warning naming the fix instead of silent use."""
        try:
            if self.path.stat().st_size > INTEGRITY_CHECK_MAX_BYTES:
                return
            rows = [r[0] for r in self._con.execute("PRAGMA quick_check(5)")]
        except sqlite3.DatabaseError as exc:
            rows = [str(exc)]
        if rows != ["ok"]:
            self.warn(f"the GeoPackage fails SQLite's integrity check ({'; '.join(rows)[:300]}); answers may be "
                      "wrong: restore it from a backup or rebuild it")

    def close(self):
        self._index = None
        if self._con is not None:
            self._con.close()
            self._con = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- metadata ---------------------------------------------------------------------
    def set_meta(self, **values):
        self._con.execute("BEGIN IMMEDIATE")
        try:
            for key, value in values.items():
                self._con.execute("INSERT OR REPLACE INTO geopin_metadata VALUES (?, ?)", (key, json.dumps(value)))
            self._con.execute("COMMIT")
        except BaseException:
            _rollback(self._con)
            raise
        self.meta.update(values)

    @property
    def count(self):
        return int(self._con.execute(f"SELECT count(*) FROM {LAYER}").fetchone()[0])

    @property
    def views_dir(self):
        return self.path.with_name(self.path.stem + "_views")

    def has_image(self, content_hash):
        return self._con.execute("SELECT 1 FROM geopin_images WHERE content_hash=?", (content_hash,)).fetchone() is not None

    def ids(self):
        return np.array([r[0] for r in self._con.execute(f"SELECT fid FROM {LAYER} ORDER BY fid")], dtype=np.int64)

    # ---- writing (one transaction per source image) ------------------------------------
    def add_image(self, content_hash, path, source, source_id, views, embeddings, features=None, extractor_id=None):
        """Store one source image's views atomically. `views`: list of dicts with
        keys x, y, lat, lon, view_image (relative path), pano_id, view_index,
        is_panorama, heading, rel_heading, fov, capture_time, outside_nl, licence,
        attribution, image_path. Returns the new view ids, or None when another
        process (a second build on the same database) stored this image first."""
        embeddings = np.asarray(embeddings, dtype=np.float32)
        if embeddings.shape != (len(views), int(self.meta["dim"])):
            raise ValueError(f"embeddings shape {embeddings.shape} does not match {len(views)} views "
                             f"of dimension {self.meta['dim']}")
        con = self._con
        now = _now()
        con.execute("BEGIN IMMEDIATE")
        try:
            # claimed first, under the write lock: a concurrent build that also found
            # the image new skips it instead of failing on the UNIQUE constraint
            claimed = con.execute("INSERT OR IGNORE INTO geopin_images VALUES (?,?,?,?,?,?)",
                                  (content_hash, str(path), source, source_id, len(views), now)).rowcount
            if not claimed:
                con.execute("ROLLBACK")
                return None
            ids = []
            for i, v in enumerate(views):
                cur = con.execute(
                    f"INSERT INTO {LAYER} (geom, source, source_id, image_path, view_image, pano_id, view_index, "
                    "is_panorama, heading, rel_heading, fov, capture_time, lat, lon, x, y, outside_nl, content_hash, "
                    "licence, attribution, added_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (gpkg_point(v["x"], v["y"]), source, source_id, v["image_path"], v["view_image"], v.get("pano_id"),
                     int(v.get("view_index", i)), int(bool(v.get("is_panorama"))), v.get("heading"),
                     v.get("rel_heading"), v.get("fov"), v.get("capture_time"), float(v["lat"]), float(v["lon"]),
                     float(v["x"]), float(v["y"]), int(bool(v.get("outside_nl"))), content_hash,
                     v.get("licence"), v.get("attribution"), now))
                vid = int(cur.lastrowid)
                ids.append(vid)
                con.execute("INSERT INTO geopin_embeddings VALUES (?, ?)", (vid, _blob_f32(embeddings[i])))
                if features is not None and features[i] is not None and extractor_id:
                    self._put_features(vid, extractor_id, features[i])
            con.execute("COMMIT")
        except BaseException:
            _rollback(con)
            raise
        self._xy = None
        return ids

    def _put_features(self, view_id, extractor_id, f: LocalFeatures):
        from .features import encode_features, storage_of

        n, dim, kp, desc, scores = encode_features(f, storage_of(extractor_id))
        self._con.execute(
            "INSERT OR REPLACE INTO geopin_local_features VALUES (?,?,?,?,?,?,?,?,?)",
            (int(view_id), extractor_id, n, dim, int(f.image_size[0]), int(f.image_size[1]), kp, desc, scores))

    def put_local_features(self, items: Dict[int, LocalFeatures], extractor_id):
        """Add or replace cached local features (e.g. re-extraction with another extractor)."""
        self._con.execute("BEGIN IMMEDIATE")
        try:
            for vid, f in items.items():
                self._put_features(vid, extractor_id, f)
            self._con.execute("COMMIT")
        except BaseException:
            _rollback(self._con)
            raise

    def log_error(self, file, reason, content_hash=None, run_started=None):
        self._con.execute("BEGIN IMMEDIATE")
        try:
            self._con.execute(f"INSERT INTO {ERRORS_TABLE} (file, reason, content_hash, run_started, logged_at) "
                              "VALUES (?,?,?,?,?)", (str(file), str(reason), content_hash, run_started, _now()))
            self._con.execute("COMMIT")
        except BaseException:
            _rollback(self._con)
            raise

    def errors(self, run_started=None):
        sql = f"SELECT file, reason FROM {ERRORS_TABLE}"
        args = ()
        if run_started is not None:
            sql += " WHERE run_started = ?"
            args = (run_started,)
        return [(f, r) for f, r in self._con.execute(sql + " ORDER BY fid", args)]

    def update_counts_and_extent(self):
        c = self._con
        views = self.count
        images = c.execute("SELECT count(*) FROM geopin_images").fetchone()[0]
        panos = c.execute(f"SELECT count(DISTINCT content_hash) FROM {LAYER} WHERE is_panorama=1").fetchone()[0]
        errors = c.execute(f"SELECT count(*) FROM {ERRORS_TABLE}").fetchone()[0]
        outside = c.execute(f"SELECT count(*) FROM {LAYER} WHERE outside_nl=1").fetchone()[0]
        ext = c.execute(f"SELECT min(x), min(y), max(x), max(y) FROM {LAYER}").fetchone()
        c.execute("BEGIN IMMEDIATE")
        try:
            c.execute("UPDATE gpkg_contents SET min_x=?, min_y=?, max_x=?, max_y=?, "
                      "last_change=strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE table_name=?", (*ext, LAYER))
            counts = {"views": views, "images": images, "panoramas": panos, "errors": errors, "outside_nl": outside}
            c.execute("INSERT OR REPLACE INTO geopin_metadata VALUES ('counts', ?)", (json.dumps(counts),))
            c.execute("COMMIT")
        except BaseException:
            _rollback(c)
            raise
        self.meta["counts"] = counts
        return counts

    # ---- reading ---------------------------------------------------------------------------
    _VIEW_COLS = ("fid, x, y, lat, lon, source, image_path, view_image, pano_id, heading, rel_heading, fov, "
                  "capture_time, licence, attribution, outside_nl, source_id, content_hash")

    def views(self, view_ids) -> List[ReferenceView]:
        """ReferenceView records in the order of `view_ids` (KeyError for unknown ids)."""
        view_ids = [int(v) for v in view_ids]
        found = {}
        for chunk in range(0, len(view_ids), 500):
            part = view_ids[chunk:chunk + 500]
            q = f"SELECT {self._VIEW_COLS} FROM {LAYER} WHERE fid IN ({','.join('?' * len(part))})"
            for r in self._con.execute(q, part):
                found[r[0]] = ReferenceView(
                    view_id=r[0], x=r[1], y=r[2], lat=r[3], lon=r[4], source=r[5], image_path=r[6],
                    view_image_path=self._view_file(r[7]), pano_id=r[8], heading=r[9], rel_heading=r[10],
                    fov=r[11], capture_time=r[12], licence=r[13], attribution=r[14], outside_nl=bool(r[15]),
                    source_id=r[16], content_hash=r[17])
        missing = [v for v in view_ids if v not in found]
        if missing:
            raise KeyError(f"unknown view ids: {missing[:10]}")
        return [found[v] for v in view_ids]

    def _view_file(self, stored):
        """A stored view path resolved inside the database's folder; "" when the
        value is absolute or escapes it (a crafted GeoPackage must not make GeoPin
        read other files)."""
        target = fsutil.confined(self.path.parent, stored)
        return "" if target is None else str(target)

    def load_view_image(self, view_id):
        from .images import ImageError, load_image

        path = self.views([view_id])[0].view_image_path
        if not path:
            raise ImageError(f"the stored image path of view {view_id} points outside the folder of {self.path.name}"
                             "; the database is damaged or crafted: rebuild it")
        return load_image(path)

    def _vector(self, view_id, blob, dim):
        if not isinstance(blob, bytes) or len(blob) != 4 * dim:
            raise DatabaseError(f"{self.path} is damaged: the embedding of view {view_id} has "
                                f"{len(blob) if isinstance(blob, bytes) else 0} bytes, not {4 * dim}; "
                                "rebuild the database")
        return np.frombuffer(blob, dtype=np.float32)

    def embeddings(self, view_ids=None):
        """Stored (raw, unwhitened) embeddings, float32 (n, dim), in the order given
        (all views in fid order when None)."""
        dim = int(self.meta["dim"])
        if view_ids is None:
            n = int(self._con.execute("SELECT count(*) FROM geopin_embeddings").fetchone()[0])
            out = np.empty((n, dim), dtype=np.float32)  # filled row by row: no second copy
            rows = self._con.execute("SELECT view_id, vector FROM geopin_embeddings ORDER BY view_id")
            for i, (vid, blob) in enumerate(rows):
                if i >= n:
                    break
                out[i] = self._vector(vid, blob, dim)
            return out
        view_ids = [int(v) for v in view_ids]
        out = np.empty((len(view_ids), dim), dtype=np.float32)
        pos = {}
        for i, v in enumerate(view_ids):
            pos.setdefault(v, []).append(i)
        for chunk in range(0, len(view_ids), 500):
            part = list(dict.fromkeys(view_ids[chunk:chunk + 500]))
            q = f"SELECT view_id, vector FROM geopin_embeddings WHERE view_id IN ({','.join('?' * len(part))})"
            for vid, blob in self._con.execute(q, part):
                for i in pos.pop(vid, []):
                    out[i] = self._vector(vid, blob, dim)
        if pos:
            raise MissingRowsError(f"{self.path} has no embeddings for view ids {list(pos)[:10]} (damaged?); "
                                   "rebuild the database")
        return out

    def views_without_features(self, extractor_id) -> List[int]:
        """View ids that hold no local features of ``extractor_id`` (fid order)."""
        rows = self._con.execute(
            f"SELECT fid FROM {LAYER} WHERE fid NOT IN "
            "(SELECT view_id FROM geopin_local_features WHERE extractor_id=?) ORDER BY fid", (extractor_id,))
        return [int(r[0]) for r in rows]

    def local_features(self, view_ids, extractor_id) -> Dict[int, LocalFeatures]:
        """Cached local features for the views that have them (missing ones are absent)."""
        from .features import decode_features, storage_of

        storage = storage_of(extractor_id)
        out = {}
        view_ids = [int(v) for v in view_ids]
        for chunk in range(0, len(view_ids), 500):
            part = view_ids[chunk:chunk + 500]
            q = ("SELECT view_id, n, desc_dim, width, height, keypoints, descriptors, scores FROM "
                 f"geopin_local_features WHERE extractor_id=? AND view_id IN ({','.join('?' * len(part))})")
            for vid, n, d, w, h, kp, desc, sc in self._con.execute(q, [extractor_id, *part]):
                out[vid] = decode_features(n, d, kp, desc, sc, (w, h), storage)
        return out

    def _positions(self):
        if self._xy is None:
            rows = self._con.execute(f"SELECT fid, x, y FROM {LAYER} ORDER BY fid").fetchall()
            arr = np.array(rows, dtype=np.float64).reshape(-1, 3)
            self._xy = (arr[:, 0].astype(np.int64), arr[:, 1], arr[:, 2])
        return self._xy

    # ---- whitening -----------------------------------------------------------------------
    def whitening(self):
        """The stored whitening of this database's embedder (None when off/unfitted)."""
        if not self.meta.get("whitening"):
            return None
        if self._whitening is None:
            r = self._con.execute("SELECT dim_in, dim_out, n_fit, shrinkage, mean, projection FROM geopin_whitening "
                                  "WHERE model_preset=?", (self.meta["model_preset"],)).fetchone()
            if r is None:
                return None
            self._whitening = _whitening.Whitening(
                mean=np.frombuffer(r[4], dtype=np.float32).copy(),
                projection=np.frombuffer(r[5], dtype=np.float32).reshape(r[0], r[1]).copy(),
                n_fit=r[2], shrinkage=r[3])
        return self._whitening

    def refit_whitening(self, force=False):
        """(Re-)learn the whitening on all stored embeddings when on and the database
        grew by WHITENING_REFIT_GROWTH since the last fit. Returns True if refitted."""
        if not self.meta.get("whitening"):
            return False
        current = self.whitening()
        n = self.count
        if n < 3:
            return False
        if current is not None and not force and n <= current.n_fit * (1 + WHITENING_REFIT_GROWTH):
            return False
        w = _whitening.fit(self.embeddings())
        self._con.execute("BEGIN IMMEDIATE")
        try:
            self._con.execute("INSERT OR REPLACE INTO geopin_whitening VALUES (?,?,?,?,?,?,?)",
                              (self.meta["model_preset"], w.dim_in, w.dim_out, w.n_fit, w.shrinkage,
                               _blob_f32(w.mean), _blob_f32(w.projection)))
            self._con.execute("COMMIT")
        except BaseException:
            _rollback(self._con)
            raise
        self._whitening = w
        return True

    def _index_vectors(self, raw):
        w = self.whitening()
        return raw if w is None else w.apply(raw)

    # ---- the HNSW index ------------------------------------------------------------------
    def index_path(self):
        w = self.whitening()
        tag = self.meta["model_preset"] + (f".w{w.dim_out}n{w.n_fit}" if w is not None else "")
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in tag)
        return self.path.with_name(f"{self.path.stem}.{safe}.hnsw")

    def _checksum(self, ids, vectors):
        h = hashlib.sha256()
        h.update(np.ascontiguousarray(ids, dtype="<i8").tobytes())
        h.update(np.ascontiguousarray(vectors, dtype="<f4").tobytes())
        return h.hexdigest()

    def _index_dim(self):
        w = self.whitening()
        return w.dim_out if w is not None else int(self.meta["dim"])

    def _index_problem(self, path, ids):
        """Why the index file at `path` cannot be used for this DB (None if it can)."""
        sidecar = Path(str(path) + ".json")
        if not path.exists():
            return "no index file"
        if not sidecar.exists():
            return "no index sidecar"
        try:
            info = index_check.read_sidecar(sidecar)
        except (OSError, ValueError) as exc:
            return f"unreadable sidecar: {exc}"
        w = self.whitening()
        dim = self._index_dim()
        expect = {"count": len(ids), "dim": dim, "model_preset": self.meta["model_preset"],
                  "whitening": None if w is None else {"dim_out": w.dim_out, "n_fit": w.n_fit},
                  "checksum": self.meta.get("index_checksum")}
        for key, value in expect.items():
            if info.get(key) != value:
                return f"sidecar {key} {info.get(key)!r} != {value!r}"
        problem = validate_hnsw_file(path, len(ids), dim, ids)
        if problem is not None:
            return problem
        if len(ids) <= CHECKSUM_VERIFY_LIMIT:
            stored = self._index_vectors(self.embeddings(ids))
            if self._checksum(ids, stored) != info.get("checksum"):
                return self._damaged_embeddings_problem(path, ids, stored, info["checksum"])
        return self._sample_vectors_problem(path, ids) if len(ids) else None

    def _damaged_embeddings_problem(self, path, ids, stored, checksum):
        """The embeddings differ from the checksum the index was built with. When the
        index file itself still matches that checksum, the GeoPackage's embeddings
        are what is damaged: keep searching with the intact index (a rebuild from
        damaged vectors would silently turn good answers into "no match") and warn."""
        labels, vectors = index_check.index_vectors(path, read_hnsw_header(path))
        if not np.array_equal(labels, ids) or self._checksum(labels, vectors) != checksum:
            return "checksum of ids and embeddings differs"
        bad = ids[~np.all(np.isclose(vectors, stored, atol=1e-6), axis=1)]
        self.warn(f"the stored embeddings of {len(bad)} view(s) (ids {', '.join(map(str, bad[:5].tolist()))}) "
                  "differ from the search index built from them: the GeoPackage is damaged. GeoPin searches with "
                  "the intact index; restore the database from a backup or rebuild it to repair it")
        return None

    def _sample_vectors_problem(self, path, ids, n_sample=HNSW_VECTOR_SAMPLE):
        """Compare the vectors stored in the index file with the database's for
        up to n_sample elements (evenly spaced): catches an index with the right
        ids and sidecar but other vectors."""
        h = read_hnsw_header(path)
        rows = np.unique(np.linspace(0, h["count"] - 1, min(h["count"], n_sample)).astype(np.int64))
        labels, vecs = index_check.index_vectors(path, h, rows)
        expected = self._index_vectors(self.embeddings(labels))
        if not np.allclose(vecs, expected, atol=1e-6):
            return "vectors in the index differ from the stored embeddings"
        return None

    def _lock(self):
        """Serialises index writes between processes (two builds, a build and a locate)."""
        return fsutil.file_lock(self.path.with_name(self.path.name + ".lock"))

    def ensure_index(self, rebuild=False):
        """Load the index after validating it; rebuild from stored embeddings when
        it is missing or does not match (a warning). On a read-only folder or a
        full disk the rebuilt index is used from memory. Returns the path."""
        ids = self.ids()
        path = self.index_path()
        problem = "rebuild requested" if rebuild else self._index_problem(path, ids)
        if problem is None:
            self._load_index(path, ids)
            return path
        if problem != "no index file":
            self.warn(f"Rebuilding the search index: {problem}")
        if not self.writable:
            self._set_index(self._new_index(ids)[0], ids)
            self.warn(f"{self.path.parent} is read-only: the search index was rebuilt in memory and is not "
                      "saved (this repeats at every open); copy the database to a writable folder to keep it")
            return path
        with self._lock():
            ids = self.ids()
            if not rebuild and self._index_problem(path, ids) is None:  # another process just built it
                self._load_index(path, ids)
                return path
            index, vectors = self._new_index(ids)
            try:
                self._save_index(index, path, ids, vectors)
            except (OSError, sqlite3.Error) as exc:
                message = fsutil.describe_write_error(exc, path)
                if message is None:
                    raise
                self._set_index(index, ids)
                self.warn(f"the rebuilt search index is used from memory only: {message}")
        return path

    def _load_index(self, path, ids):
        import hnswlib

        index = hnswlib.Index(space="ip", dim=self._index_dim())
        index.load_index(str(path), max_elements=len(ids))
        self._set_index(index, ids)

    def _set_index(self, index, ids):
        index.set_ef(max(HNSW_EF_SEARCH, 1))
        index.set_num_threads(1)
        self._index = index
        self._index_ids = ids

    def _new_index(self, ids, num_threads=None):
        import hnswlib

        # the embeddings of exactly these ids: a build committing views meanwhile
        # (another process) must not give more vectors than labels
        vectors = self._index_vectors(self.embeddings(ids))
        dim = vectors.shape[1] if len(vectors) else int(self.meta["dim"])
        index = hnswlib.Index(space="ip", dim=dim)
        index.init_index(max_elements=max(len(ids), 1), M=HNSW_M, ef_construction=HNSW_EF_CONSTRUCTION,
                         random_seed=100)
        if len(ids):
            index.add_items(vectors, ids, num_threads=num_threads or min(2, os.cpu_count() or 1))
        return index, vectors

    def _build_index(self, path, ids, num_threads=None):
        index, vectors = self._new_index(ids, num_threads)
        self._save_index(index, path, ids, vectors)

    def _save_index(self, index, path, ids, vectors):
        """Write index + sidecar through temp names unique to this writer; the
        written index is validated before it replaces the old one (hnswlib writes
        a short file on a full disk without raising). Callers hold self._lock()."""
        dim = vectors.shape[1] if len(vectors) else int(self.meta["dim"])
        checksum = self._checksum(ids, vectors)
        tmp = fsutil.unique_tmp(path)
        try:
            write_hnsw(index, tmp)
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            problem = validate_hnsw_file(tmp, len(ids), dim, ids)
            if problem is not None:
                raise OSError(errno.ENOSPC, f"the search index was written incomplete ({problem}); "
                                            "is the disk full?", str(path))
            # record the checksum in the DB first: an index without a matching DB
            # checksum is rebuilt on the next open
            self.set_meta(index_checksum=checksum, index_file=path.name)
            os.replace(tmp, path)
        finally:
            fsutil.remove_quietly(tmp)
        w = self.whitening()
        info = {"count": len(ids), "dim": dim, "model_preset": self.meta["model_preset"],
                "whitening": None if w is None else {"dim_out": w.dim_out, "n_fit": w.n_fit},
                "checksum": checksum, "M": HNSW_M, "ef_construction": HNSW_EF_CONSTRUCTION,
                "space": "ip", "built_at": _now()}
        fsutil.atomic_write_bytes(Path(str(path) + ".json"), json.dumps(info, indent=1).encode())
        self._set_index(index, ids)
        self._remove_stale_indexes(path)

    def _remove_stale_indexes(self, keep):
        """Indexes of this database for an older whitening. Only names made by
        index_path() for this database's preset count: `city.gpkg` must not touch
        `city.north.gpkg`'s index."""
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in self.meta["model_preset"])
        others = [g.stem + "." for g in self.path.parent.glob(f"{self.path.stem}.*.gpkg")]
        for stale in self.path.parent.glob(f"{self.path.stem}.{safe}*.hnsw"):
            tag = stale.name[len(self.path.stem) + 1:-len(".hnsw")]
            if stale == keep or not (tag == safe or tag.startswith(safe + ".w")) \
                    or any(stale.name.startswith(o) for o in others):
                continue
            for p in (stale, Path(str(stale) + ".json")):
                fsutil.remove_quietly(p)

    # ---- search -------------------------------------------------------------------------
    def search(self, vectors, k=100, area=None, ef=None) -> List[List[SearchHit]]:
        """Top-k views per query vector (raw embeddings of this DB's embedder).

        area: polygon in RD New (list of rings, each (N, 2)); the k hits then all
        come from inside it (exact search over the subset when it is small,
        filtered HNSW otherwise)."""
        q = np.asarray(vectors, dtype=np.float32)
        if q.ndim == 1:
            q = q[None, :]
        if q.shape[1] != int(self.meta["dim"]):
            raise ValueError(f"query vectors are {q.shape[1]}-d; this database holds {self.meta['dim']}-d "
                             f"embeddings of {self.meta['model_preset']}")
        q = q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)
        q = self._index_vectors(q)
        if self._index is None:
            self.ensure_index()
        ids = self._index_ids
        if area is not None:
            fids, xs, ys = self._positions()
            allowed = fids[_polygon_contains(area, xs, ys)]
            if len(allowed) == 0:
                return [[] for _ in range(len(q))]
            if len(allowed) <= EXACT_LIMIT or len(allowed) <= k:
                return self._exact(q, allowed, k)
            allowed_set = set(allowed.tolist())
            kk = min(k, len(allowed))
            self._index.set_ef(max(ef or HNSW_EF_SEARCH, kk, int(kk * len(ids) / len(allowed))))
            try:
                labels, dist = self._index.knn_query(q, k=kk, filter=lambda label: label in allowed_set)
            finally:
                self._index.set_ef(max(HNSW_EF_SEARCH, 1))
            return self._hits(labels, dist)
        kk = min(k, len(ids))
        if kk == 0:
            return [[] for _ in range(len(q))]
        self._index.set_ef(max(ef or HNSW_EF_SEARCH, kk))
        labels, dist = self._index.knn_query(q, k=kk)
        return self._hits(labels, dist)

    def exact_search(self, vectors, k=100):
        """Brute-force search over all views (reference for recall checks)."""
        q = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
        q = self._index_vectors(q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12))
        return self._exact(q, self.ids(), k)

    def _exact(self, q, allowed, k):
        allowed = np.asarray(allowed, dtype=np.int64)
        vecs = self._index_vectors(self.embeddings(allowed))
        sims = q @ vecs.T
        kk = min(k, len(allowed))
        out = []
        for row in sims:
            top = np.argpartition(-row, kk - 1)[:kk] if kk < len(row) else np.arange(len(row))
            top = top[np.argsort(-row[top], kind="stable")]
            out.append([SearchHit(int(allowed[i]), float(row[i])) for i in top])
        return out

    @staticmethod
    def _hits(labels, dist):
        return [[SearchHit(int(l), float(1.0 - d)) for l, d in zip(lr, dr)] for lr, dr in zip(labels, dist)]

    # ---- index maintenance after ingest -----------------------------------------------------
    def update_index(self, num_threads=None):
        """After adding views: refit the whitening if due, then add the new views
        to the existing index when it is valid for the views it holds (ids are
        increasing, so those are the first `count` ids), else rebuild. Held under
        the index lock, so concurrent builds serialise here. Returns the path."""
        import hnswlib

        refitted = self.refit_whitening()
        with self._lock():
            ids = self.ids()
            path = self.index_path()
            side = Path(str(path) + ".json")
            if not refitted and path.exists() and side.exists():
                try:
                    info = index_check.read_sidecar(side)
                    old = ids[: int(info.get("count", -1))]
                    dim = self._index_dim()
                    usable = (0 < len(old) <= len(ids) and info.get("dim") == dim
                              and info.get("model_preset") == self.meta["model_preset"]
                              and info.get("checksum") == self.meta.get("index_checksum")
                              and validate_hnsw_file(path, len(old), dim, old) is None
                              and self._sample_vectors_problem(path, old) is None)
                except (OSError, ValueError, TypeError):
                    usable = False
                if usable and len(old) == len(ids):
                    if self._index is None:
                        self._load_index(path, ids)
                    return path
                if usable:
                    vectors = self._index_vectors(self.embeddings(ids))  # exactly these ids (see _new_index)
                    index = hnswlib.Index(space="ip", dim=dim)
                    index.load_index(str(path), max_elements=len(ids))
                    index.add_items(vectors[len(old):], ids[len(old):],
                                    num_threads=num_threads or min(2, os.cpu_count() or 1))
                    self._save_index(index, path, ids, vectors)
                    return path
            self._build_index(path, ids, num_threads=num_threads)
        return path
