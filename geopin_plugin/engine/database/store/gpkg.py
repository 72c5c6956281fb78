"""The reference store as a GeoPackage (sqlite3, no GDAL): a `reference_views`
point layer in EPSG:28992, metadata, raw embeddings, local features, an
ingest-error log, per-image content hashes and the learned whitening; the view
JPEGs beside it (viewfiles.py). Every write is one transaction (sqlite.transaction).
"""
import logging
import datetime as _dt
import itertools
import os
from pathlib import Path
from typing import Dict, List, Optional
from zlib import error as zlib_error

import numpy as np

from ... import fsutil
from ...types import LocalFeatures
from .base import DatabaseError, MissingRowsError, ReferenceView
from .schema import (APPLICATION_ID, CAPTURE_GROUPS_SCHEMA, CAPTURE_GROUPS_TABLE, ERRORS_TABLE, LAYER, MASKS_SCHEMA, MASKS_TABLE, SCHEMA_VERSION, append_problem,
                     gpkg_point,
                     init_reference_schema, open_problem, put_meta, read_meta)
from .sqlite import StoreDatabaseError, connect, transaction
from .viewfiles import ViewFiles

INTEGRITY_CHECK_MAX_BYTES = 2 << 30  # PRAGMA quick_check on open for GeoPackages up to 2 GiB
_CHUNK = 500  # ids per IN (...) query


def _now():
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


def _blob_f32(a):
    return np.ascontiguousarray(a, dtype=np.float32).tobytes()


def _chunks(ids):
    for start in range(0, len(ids), _CHUNK):
        yield ids[start:start + _CHUNK]


def _marks(part):
    return ",".join("?" * len(part))


class GeoPackageStore:
    """An open GeoPackage reference store: GeoPackageStore.open(path) to use an
    existing one, create_or_open(...) from the ingest, read_only(path) for a
    quick look without validation (importer, coverage)."""

    def __init__(self, path, con):
        self.path = Path(path)
        self._con = con
        self._meta = None
        self._xy = None
        self._count = None
        self._source_views = None  # views.SourceViews, on first need (databases without view copies)
        # local features this handle writes: compact (features.storage_of) unless a
        # build asks for int8; rows of either storage read alike
        self.compact_features = True
        self._writable = None
        self.view_files = ViewFiles(self.path)
        self.warnings: List[str] = []  # shown to the user by the caller (Processing feedback, dock)

    # ---- opening -------------------------------------------------------------------
    @classmethod
    def _connect_geopin(cls, path, refusal, need_layer=True):
        """Connect and check it is a GeoPin GeoPackage; DatabaseError(refusal) otherwise."""
        try:
            con = connect(path)
            app_id = con.execute("PRAGMA application_id").fetchone()[0]
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        except StoreDatabaseError as exc:
            raise DatabaseError(f"not a GeoPackage/SQLite file: {path} ({exc})") from exc
        if app_id != APPLICATION_ID or "geopin_metadata" not in tables or (need_layer and LAYER not in tables):
            con.close()
            raise DatabaseError(refusal)
        return cls(path, con)

    @classmethod
    def open(cls, path):
        """Open and validate an existing store. Raises DatabaseError with a clear
        reason when it is missing, not a GeoPin GeoPackage, from a newer schema,
        damaged in its dimension or empty; a failed integrity check is a warning."""
        path = Path(path)
        if not path.exists():
            raise DatabaseError(f"reference database not found: {path}")
        if path.stat().st_size == 0:
            raise DatabaseError(f"reference database is an empty file: {path}")
        store = cls._connect_geopin(path, f"not a GeoPin reference database: {path}")
        problem = open_problem(store.meta, path) or (
            f"reference database holds no views yet: {path}" if store.count == 0 else None)
        if problem:
            store.close()
            raise DatabaseError(problem)
        store._check_integrity()
        return store

    @classmethod
    def create_or_open(cls, path, model_preset, dim, extractor_preset=None, whitening=None, extra_meta=None):
        """Open for writing, creating an empty store when absent. An existing one
        must use the same embedder preset and dimension."""
        path = Path(path)
        if path.exists() and path.stat().st_size > 0:
            store = cls._connect_geopin(
                path, f"{path} exists and is not a GeoPin reference database; choose another file", need_layer=False)
            problem = append_problem(store.meta, path, model_preset, dim, store.writable)
            if problem:
                store.close()
                raise DatabaseError(problem)
            if whitening is not None and bool(store.meta.get("whitening")) != bool(whitening):
                store.set_meta(whitening=bool(whitening))
            if extractor_preset and not store.meta.get("extractor_preset"):
                # views stored before the preset was recorded hold RootSIFT features
                from ...models import FALLBACK_EXTRACTOR

                store.set_meta(extractor_preset=extractor_preset if not store.count else FALLBACK_EXTRACTOR)
            return store
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseError(fsutil.describe_write_error(exc, path) or f"cannot create {path.parent}: {exc}")
        if not fsutil.folder_writable(path):
            raise DatabaseError(f"cannot create {path}: the folder is read-only; choose a writable folder")
        con = connect(path)
        meta = {"schema_version": SCHEMA_VERSION, "model_preset": model_preset, "dim": int(dim),
                "extractor_preset": extractor_preset, "whitening": bool(whitening), **(extra_meta or {}),
                "created_at": _now(), "counts": {"views": 0, "images": 0, "panoramas": 0, "errors": 0}}
        init_reference_schema(con, meta)
        return cls(path, con)

    @classmethod
    def read_only(cls, path):
        """Open without validation or writes (the file must exist); reading a table
        of a file that is not a GeoPin store raises StoreDatabaseError."""
        return cls(path, connect(path, read_only=True))

    def _check_integrity(self):
        """PRAGMA quick_check on files small enough to read at every open: a damaged
        GeoPackage page gets a warning naming the fix instead of silent use."""
        try:
            if self.path.stat().st_size > INTEGRITY_CHECK_MAX_BYTES:
                return
            rows = [r[0] for r in self._con.execute("PRAGMA quick_check(5)")]
        except StoreDatabaseError as exc:
            rows = [str(exc)]
        if rows != ["ok"]:
            self.warn(f"the GeoPackage fails SQLite's integrity check ({'; '.join(rows)[:300]}); answers may be "
                      "wrong: restore it from a backup or rebuild it")

    def warn(self, message):
        logging.getLogger("geopin.refdb").warning("%s: %s", self.path.name, message)
        if message not in self.warnings:
            self.warnings.append(message)

    @property
    def writable(self):
        """Whether the GeoPackage and its folder accept writes (tried, not guessed)."""
        if self._writable is None:
            self._writable = os.access(self.path, os.W_OK) and fsutil.folder_writable(self.path)
        return self._writable

    def close(self):
        if self._con is not None:
            self._con.close()
            self._con = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def transaction(self):
        """`with store.transaction() as con:` one atomic write."""
        return transaction(self._con)

    # ---- metadata ---------------------------------------------------------------------
    @property
    def meta(self):
        if self._meta is None:
            self._meta = read_meta(self._con)
        return self._meta

    def set_meta(self, **values):
        with self.transaction() as con:
            put_meta(con, values)
        self.meta.update(values)

    @property
    def count(self):
        """Views stored: counted once (a scan of the layer, 0.3 s at 1M views) and
        again only after this store wrote; a query never counts."""
        if self._count is None:
            self._count = int(self._con.execute(f"SELECT count(*) FROM {LAYER}").fetchone()[0])
        return self._count

    def has_image(self, content_hash):
        return self._con.execute("SELECT 1 FROM geopin_images WHERE content_hash=?", (content_hash,)).fetchone() is not None

    def source_ids(self, source) -> set:
        """Source ids of `source`'s images already stored (the importer skips them before downloading)."""
        rows = self._con.execute("SELECT source_id FROM geopin_images WHERE source = ? AND source_id IS NOT NULL",
                                 (source,))
        return {str(r[0]) for r in rows}

    def ids(self):
        ids = np.fromiter((r[0] for r in self._con.execute(f"SELECT fid FROM {LAYER} ORDER BY fid")), dtype=np.int64)
        self._count = len(ids)  # the count for free
        return ids

    # ---- writing (one transaction per source image, or per batch) ------------------------------
    def add_image(self, content_hash, path, source, source_id, views, embeddings, features=None, extractor_id=None,
                  images=None, capture_group=None):
        """Store one source image's views atomically. `views`: list of dicts with
        keys x, y, lat, lon, view_image (relative path; set here when `images`,
        the views' RGB arrays, are given: their JPEGs are written first), pano_id,
        view_index, is_panorama, heading, rel_heading, fov, capture_time,
        outside_nl, licence, attribution, image_path. `capture_group`: the source's
        sequence / track / capture run, when it names one. Returns the new view ids, or
        None when another process (a second build on the same store) stored this image first."""
        return self.add_images([dict(content_hash=content_hash, path=path, source=source, source_id=source_id,
                                     views=views, embeddings=embeddings, features=features,
                                     extractor_id=extractor_id, images=images, capture_group=capture_group)])[0]

    def add_images(self, items):
        """Store several source images in one transaction (all or none): each item
        holds add_image's arguments by name. One commit (one fsync) for a batch is
        what lets a writer keep up with many workers. Returns add_image's result per item."""
        dim = int(self.meta["dim"])
        for item in items:
            item["embeddings"] = np.asarray(item["embeddings"], dtype=np.float32)
            if item["embeddings"].shape != (len(item["views"]), dim):
                raise ValueError(f"embeddings shape {item['embeddings'].shape} does not match "
                                 f"{len(item['views'])} views of dimension {dim}")
        for item in items:
            for i, img in enumerate(item.get("images") or ()):
                item["views"][i]["view_image"] = self.view_files.write(item["content_hash"], i, img)
        now = _now()
        with self.transaction() as con:
            out = [self._insert_image(con, now, **item) for item in items]
        self._xy = None
        self._count = None
        return out

    def _insert_image(self, con, now, content_hash, path, source, source_id, views, embeddings, features=None,
                      extractor_id=None, images=None, capture_group=None):
        # claimed first, under the write lock: a concurrent build that also found
        # the image new skips it instead of failing on the UNIQUE constraint
        claimed = con.execute("INSERT OR IGNORE INTO geopin_images VALUES (?,?,?,?,?,?)",
                              (content_hash, str(path), source, source_id, len(views), now)).rowcount
        if not claimed:
            return None
        if capture_group:
            con.execute(CAPTURE_GROUPS_SCHEMA)
            con.execute(f"INSERT OR REPLACE INTO {CAPTURE_GROUPS_TABLE} VALUES (?,?)", (content_hash, str(capture_group)))
        ids = []
        for i, v in enumerate(views):
            cur = con.execute(
                f"INSERT INTO {LAYER} (geom, source, source_id, image_path, view_image, pano_id, view_index, "
                "is_panorama, heading, rel_heading, fov, capture_time, lat, lon, x, y, outside_nl, content_hash, "
                "licence, attribution, added_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (gpkg_point(v["x"], v["y"]), source, source_id, v["image_path"], v.get("view_image") or "", v.get("pano_id"),
                 int(v.get("view_index", i)), int(bool(v.get("is_panorama"))), v.get("heading"),
                 v.get("rel_heading"), v.get("fov"), v.get("capture_time"), float(v["lat"]), float(v["lon"]),
                 float(v["x"]), float(v["y"]), int(bool(v.get("outside_nl"))), content_hash,
                 v.get("licence"), v.get("attribution"), now))
            vid = int(cur.lastrowid)
            ids.append(vid)
            con.execute("INSERT INTO geopin_embeddings VALUES (?, ?)", (vid, _blob_f32(embeddings[i])))
            if features is not None and features[i] is not None and extractor_id:
                self._put_features(vid, extractor_id, features[i])
        return ids

    def _put_features(self, view_id, extractor_id, f: LocalFeatures):
        from ...verification.storage import encode_features, storage_of

        n, dim, kp, desc, scores = encode_features(f, storage_of(extractor_id, self.compact_features))
        self._con.execute(
            "INSERT OR REPLACE INTO geopin_local_features VALUES (?,?,?,?,?,?,?,?,?)",
            (int(view_id), extractor_id, n, dim, int(f.image_size[0]), int(f.image_size[1]), kp, desc, scores))

    def put_local_features(self, items: Dict[int, LocalFeatures], extractor_id):
        """Add or replace cached local features (e.g. re-extraction with another extractor)."""
        with self.transaction():
            for vid, f in items.items():
                self._put_features(vid, extractor_id, f)

    def log_error(self, file, reason, content_hash=None, run_started=None):
        with self.transaction() as con:
            con.execute(f"INSERT INTO {ERRORS_TABLE} (file, reason, content_hash, run_started, logged_at) "
                        "VALUES (?,?,?,?,?)", (str(file), str(reason), content_hash, run_started, _now()))

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
        counts = {"views": views, "images": images, "panoramas": panos, "errors": errors, "outside_nl": outside}
        with self.transaction():
            c.execute("UPDATE gpkg_contents SET min_x=?, min_y=?, max_x=?, max_y=?, "
                      "last_change=strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE table_name=?", (*ext, LAYER))
            put_meta(c, {"counts": counts})
        self.meta["counts"] = counts
        return counts

    def put_whitening(self, model_preset, w):
        """Store a learned whitening (anything with dim_in, dim_out, n_fit, shrinkage, mean, projection)."""
        with self.transaction() as con:
            con.execute("INSERT OR REPLACE INTO geopin_whitening VALUES (?,?,?,?,?,?,?)",
                        (model_preset, w.dim_in, w.dim_out, w.n_fit, w.shrinkage, _blob_f32(w.mean),
                         _blob_f32(w.projection)))

    # ---- reading ---------------------------------------------------------------------------
    _VIEW_COLS = ("fid, x, y, lat, lon, source, image_path, view_image, pano_id, heading, rel_heading, fov, "
                  "capture_time, licence, attribution, outside_nl, source_id, content_hash")

    def views(self, view_ids) -> List[ReferenceView]:
        """ReferenceView records in the order of `view_ids` (KeyError for unknown ids)."""
        view_ids = [int(v) for v in view_ids]
        found = {}
        for part in _chunks(view_ids):
            for r in self._con.execute(f"SELECT {self._VIEW_COLS} FROM {LAYER} WHERE fid IN ({_marks(part)})", part):
                found[r[0]] = ReferenceView(
                    view_id=r[0], x=r[1], y=r[2], lat=r[3], lon=r[4], source=r[5], image_path=r[6],
                    view_image_path=self.view_files.resolve(r[7]), pano_id=r[8], heading=r[9], rel_heading=r[10],
                    fov=r[11], capture_time=r[12], licence=r[13], attribution=r[14], outside_nl=bool(r[15]),
                    source_id=r[16], content_hash=r[17])
        missing = [v for v in view_ids if v not in found]
        if missing:
            raise KeyError(f"unknown view ids: {missing[:10]}")
        return [found[v] for v in view_ids]

    def load_view_image(self, view_id, exact=True):
        """The view's pixels: its stored JPEG copy, or (a database built without
        copies: an empty view_image) cut again from its source image
        (views.SourceViews; ``exact`` False: quicker, for a picture to show)."""
        cut = self.view_cuts([view_id]).get(int(view_id))
        if cut is None:
            raise KeyError(f"unknown view ids: [{view_id}]")
        if self._source_views is None:
            self._source_views = self.source_views()
        from ..views import cut_view

        return cut_view(view_id, cut, self._source_views, self.view_files, self.path.name, exact)

    def view_cuts(self, view_ids) -> Dict[int, tuple]:
        """{view id: (stored copy, source path, content hash, rel heading, fov)}: what
        ``cut_view`` needs, read here so the pixels can be cut on other threads
        (this connection stays on its own)."""
        out = {}
        for part in _chunks([int(v) for v in view_ids]):
            for vid, *cut in self._con.execute(
                    f"SELECT fid, view_image, image_path, content_hash, rel_heading, fov FROM {LAYER} "
                    f"WHERE fid IN ({_marks(part)})", part):
                out[int(vid)] = tuple(cut)
        return out

    def source_views(self):
        """A views.SourceViews over the folders this database's builds recorded (one a
        thread: it keeps the last source decoded)."""
        from ..source_files import recorded_roots
        from ..views import SourceViews

        return SourceViews(roots=recorded_roots(self.meta))

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
        for chunk in range(0, len(view_ids), _CHUNK):
            part = list(dict.fromkeys(view_ids[chunk:chunk + _CHUNK]))
            q = f"SELECT view_id, vector FROM geopin_embeddings WHERE view_id IN ({_marks(part)})"
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
        from ...verification.storage import decode_features

        out = {}
        for part in _chunks([int(v) for v in view_ids]):
            q = ("SELECT view_id, n, desc_dim, width, height, keypoints, descriptors, scores FROM "
                 f"geopin_local_features WHERE extractor_id=? AND view_id IN ({_marks(part)})")
            for vid, n, d, w, h, kp, desc, sc in self._con.execute(q, [extractor_id, *part]):
                try:
                    out[vid] = decode_features(n, d, kp, desc, sc, (w, h))
                except (ValueError, TypeError) as exc:  # this view only: logged, left out of verification
                    self.warn(f"{self.path} is damaged: the local features of view {vid} cannot be read ({exc}); "
                              "that view is not verified. Rebuild the database to repair it")
        return out

    # -- static-overlay masks (overlay_masks.py, mask_build.py): one row per mask group
    def overlay_masks(self) -> Dict[str, "object"]:
        """{group: OverlayMask} as stored, each validated; a damaged row is a warning and
        left out (its group is learned again on the next build)."""
        from ..overlay_masks import OverlayMask

        if not self._has_table(MASKS_TABLE):
            return {}
        out = {}
        for row in self._con.execute(f"SELECT group_key, images, rows, cols, method, mask, filtered_upto "
                                     f"FROM {MASKS_TABLE}"):
            try:
                m = OverlayMask.from_blob(row[0], row[2], row[3], row[5], row[1], row[4])
                out[row[0]] = (m, int(row[6]))
            except (ValueError, TypeError, zlib_error) as exc:
                self.warn(f"{self.path}: the overlay mask of {row[0]!r} cannot be read ({exc}); "
                          "it is learned again on the next build")
        return out

    def put_overlay_mask(self, mask, filtered_upto: int):
        with self.transaction() as con:
            con.execute(MASKS_SCHEMA)
            con.execute(f"INSERT OR REPLACE INTO {MASKS_TABLE} VALUES (?,?,?,?,?,?,?,?,?)",
                        (mask.group, int(mask.images), float(mask.masked_share), mask.method,
                         int(mask.cells.shape[0]), int(mask.cells.shape[1]), mask.blob(), int(filtered_upto), _now()))

    def drop_feature_rows(self, keep: Dict[int, np.ndarray], extractor_id):
        """Keep only the rows ``keep[view_id]`` (bool per keypoint) of the views' stored
        features, byte for byte (no re-encoding: int4 stays exactly as stored)."""
        with self.transaction() as con:
            for vid, mask in keep.items():
                row = con.execute("SELECT n, keypoints, descriptors, scores FROM geopin_local_features "
                                  "WHERE view_id=? AND extractor_id=?", (int(vid), extractor_id)).fetchone()
                if row is None or len(mask) != row[0] or row[0] == 0:
                    continue
                n = row[0]
                rows = [None if b is None else np.frombuffer(b, np.uint8).reshape(n, -1)[mask].tobytes()
                        for b in row[1:]]
                con.execute("UPDATE geopin_local_features SET n=?, keypoints=?, descriptors=?, scores=? "
                            "WHERE view_id=? AND extractor_id=?", (int(mask.sum()), *rows, int(vid), extractor_id))

    def _has_table(self, name) -> bool:
        return self._con.execute("SELECT 1 FROM sqlite_master WHERE name=?", (name,)).fetchone() is not None

    def view_rows_for_masks(self):
        """(fid, image_path, source, rel_heading, fov, capture_group) of every view
        (rel_heading None: a photo; capture_group None: its source named none)."""
        if not self._has_table(CAPTURE_GROUPS_TABLE):  # a database from before capture groups
            return [(*r, None) for r in self._con.execute(
                f"SELECT fid, image_path, source, rel_heading, fov FROM {LAYER} ORDER BY fid")]
        return list(self._con.execute(
            f"SELECT v.fid, v.image_path, v.source, v.rel_heading, v.fov, g.capture_group FROM {LAYER} v "
            f"LEFT JOIN {CAPTURE_GROUPS_TABLE} g ON g.content_hash = v.content_hash ORDER BY v.fid"))

    def capture_groups(self, content_hashes) -> Dict[str, str]:
        """{content hash: capture group} for the images whose source named one."""
        if not self._has_table(CAPTURE_GROUPS_TABLE):
            return {}
        hashes, out = sorted({str(h) for h in content_hashes if h}), {}
        for part in _chunks(hashes):
            out.update(self._con.execute(f"SELECT content_hash, capture_group FROM {CAPTURE_GROUPS_TABLE} "
                                         f"WHERE content_hash IN ({_marks(part)})", part))
        return out

    def positions(self):
        """(view ids, x, y) of every view in RD New, fid order (cached until the next add)."""
        if self._xy is None:
            # one flat float iterator: 0.52 s for 1M views instead of 1.2 s through a list of tuples
            rows = self._con.execute(f"SELECT fid, x, y FROM {LAYER} ORDER BY fid")
            arr = np.fromiter(itertools.chain.from_iterable(rows), dtype=np.float64).reshape(-1, 3)
            self._xy = (arr[:, 0].astype(np.int64), arr[:, 1], arr[:, 2])
        return self._xy

    def whitening_fields(self, model_preset) -> Optional[dict]:
        """The stored whitening of `model_preset` as Whitening(...) keyword arguments, None when unfitted."""
        r = self._con.execute("SELECT dim_in, dim_out, n_fit, shrinkage, mean, projection FROM geopin_whitening "
                              "WHERE model_preset=?", (model_preset,)).fetchone()
        if r is None:
            return None
        return {"mean": np.frombuffer(r[4], dtype=np.float32).copy(),
                "projection": np.frombuffer(r[5], dtype=np.float32).reshape(r[0], r[1]).copy(),
                "n_fit": r[2], "shrinkage": r[3]}
