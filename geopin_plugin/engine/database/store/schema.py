"""The GeoPackage side of the store: core GeoPackage tables (shared with the PDOK
cache), the reference database's own tables, point geometry blobs and the SRS
rows. Written with sqlite3, no GDAL; docs/reference-database.md has the schema."""
import json
import struct

from .sqlite import transaction

SCHEMA_VERSION = 1
APPLICATION_ID = 0x47504B47  # "GPKG"
USER_VERSION = 10200  # GeoPackage 1.2
LAYER = "reference_views"
ERRORS_TABLE = "ingest_errors"
RD_SRS_ID = 28992
MAX_DIM = 8192  # an embedding dimension above this is a damaged metadata value, not a model

GPKG_CORE_SCHEMA = """
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
"""

UNDEFINED_SRS = [
    ("Undefined cartesian SRS", -1, "NONE", -1, "undefined", "undefined cartesian coordinate reference system"),
    ("Undefined geographic SRS", 0, "NONE", 0, "undefined", "undefined geographic coordinate reference system"),
]

REFERENCE_SCHEMA = f"""
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


# static-overlay masks, one per mask group (overlay_masks.py; created by the first
# build that learns one, so older databases take it without a migration)
MASKS_TABLE = "geopin_overlay_masks"
MASKS_SCHEMA = f"""CREATE TABLE IF NOT EXISTS {MASKS_TABLE} (
  group_key TEXT PRIMARY KEY NOT NULL, images INTEGER NOT NULL, masked_share REAL NOT NULL, method TEXT NOT NULL,
  rows INTEGER NOT NULL, cols INTEGER NOT NULL, mask BLOB NOT NULL, filtered_upto INTEGER NOT NULL,
  learned_at TEXT)"""

# the capture group (sequence, track, capture run) its source gave an image, per content
# hash; created by the first image stored with one, so an older database takes it
# without a migration and its images keep the folder + camera group (mask_build.py)
CAPTURE_GROUPS_TABLE = "geopin_capture_groups"
CAPTURE_GROUPS_SCHEMA = f"""CREATE TABLE IF NOT EXISTS {CAPTURE_GROUPS_TABLE} (
  content_hash TEXT PRIMARY KEY NOT NULL, capture_group TEXT NOT NULL)"""


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
    from ...geo import pyproj  # imported there with PROJ data set up

    return pyproj.CRS.from_epsg(epsg).to_wkt("WKT1_GDAL")


def init_geopackage(con, user_version, tables_sql, srs_rows, contents):
    """Inside a transaction: mark the file a GeoPackage (user_version only when
    unset), create the core tables and `tables_sql`, register the SRS rows and
    the gpkg_contents rows (table, data_type, description, srs_id or None)."""
    con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    if con.execute("PRAGMA user_version").fetchone()[0] == 0:
        con.execute(f"PRAGMA user_version = {user_version}")
    for statement in (GPKG_CORE_SCHEMA + tables_sql).split(";"):
        if statement.strip():
            con.execute(statement)
    con.executemany("INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES (?,?,?,?,?,?)", srs_rows)
    con.executemany("INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) "
                    "VALUES (?, ?, ?, ?, ?)", [(t, kind, t, text, srs) for t, kind, text, srs in contents])


def put_meta(con, values):
    con.executemany("INSERT OR REPLACE INTO geopin_metadata VALUES (?, ?)",
                    [(key, json.dumps(value)) for key, value in values.items()])


def read_meta(con):
    return {k: json.loads(v) for k, v in con.execute("SELECT key, value FROM geopin_metadata")}


def init_reference_schema(con, meta):
    """A new reference database: the GeoPackage, its tables and `meta`, in one transaction."""
    srs = UNDEFINED_SRS + [
        ("WGS 84 geodetic", 4326, "EPSG", 4326, _srs_wkt(4326),
         "longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid"),
        ("Amersfoort / RD New", RD_SRS_ID, "EPSG", RD_SRS_ID, _srs_wkt(RD_SRS_ID), "Dutch national grid (RD New)"),
    ]
    contents = [(LAYER, "features", "GeoPin reference views (one point per stored view)", RD_SRS_ID),
                (ERRORS_TABLE, "attributes", "GeoPin ingest errors: files that could not be indexed, with the reason",
                 None)]
    with transaction(con):
        init_geopackage(con, USER_VERSION, REFERENCE_SCHEMA, srs, contents)
        con.execute("INSERT OR IGNORE INTO gpkg_geometry_columns VALUES (?, 'geom', 'POINT', ?, 0, 0)",
                    (LAYER, RD_SRS_ID))
        put_meta(con, meta)


def open_problem(meta, path):
    """Why a store with this metadata cannot be read by this GeoPin (None if it can)."""
    version = meta.get("schema_version")
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        return f"reference database schema {version} is newer than this GeoPin ({SCHEMA_VERSION})"
    dim = meta.get("dim")
    if not isinstance(dim, int) or isinstance(dim, bool) or not 0 < dim <= MAX_DIM:
        return (f"{path} is damaged: its embedding dimension {dim!r} is not a number from 1 to {MAX_DIM}; "
                "rebuild the database")
    return None


def append_problem(meta, path, model_preset, dim, writable):
    """Why embeddings of `model_preset` (`dim`-d) cannot be added to this store (None if they can)."""
    if not writable:
        return (f"cannot write {path}: the file or its folder is read-only; copy the database to a "
                "writable folder or choose another output")
    if meta.get("schema_version", 0) > SCHEMA_VERSION:
        return f"reference database schema is newer than this GeoPin: {path}"
    if meta.get("model_preset") != model_preset or int(meta.get("dim", -1)) != int(dim):
        return (f"{path} was built with embedder {meta.get('model_preset')} ({meta.get('dim')}-d); "
                f"it cannot take embeddings of {model_preset} ({dim}-d)")
    return None
