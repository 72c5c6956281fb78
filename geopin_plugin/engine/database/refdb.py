"""The reference database: a store (engine/database/store/: a GeoPackage holding the
views, embeddings, local features, and the view JPEGs beside it) composed with
a vector index (engine/database/index/: hnswlib) that is validated against the store on
every open and rebuilt from the stored embeddings when it does not match.

Layout beside <name>.gpkg:
  <name>_views/<hh>/<sha256>_<i>.jpg                            stored views (verification display)
  <name>.gpkg.hnswlib.<preset>[.w<d>n<n>].hnsw + .hnsw.json     index + sidecar (count, checksum...)

See docs/reference-database.md for the schema and the design decisions.
"""
import functools
from typing import List

import numpy as np

from .. import fsutil
from .index import (COMPRESSED_BACKEND, DEFAULT_BACKEND, IndexFiles, IndexIdentity, backend, backend_for,
                    exact_search, faiss_available)
from .index import whitening as _whitening
from .store import DatabaseError, GeoPackageStore, StoreDatabaseError, StoreError
from ..types import SearchHit

EXACT_LIMIT = 20_000  # below this many candidates an exact matrix search is used
WHITENING_REFIT_GROWTH = 0.2  # re-learn whitening when the DB grew by 20 %


def _store_method(name):
    """A method that calls the store's method of that name (same signature and docs)."""
    @functools.wraps(getattr(GeoPackageStore, name))
    def call(self, *args, **kwargs):
        return getattr(self.store, name)(*args, **kwargs)
    return call


def _store_property(name):
    return property(lambda self: getattr(self.store, name), doc=f"the store's {name}")


class ReferenceDatabase:
    """An open reference database. Use ReferenceDatabase.open(path) to read,
    ReferenceDatabase.create_or_open(path, ...) from the ingest. `store` is the
    ReferenceStore; the reading and writing methods below are its own."""

    def __init__(self, store):
        self.store = store
        self.path = store.path
        self._index = None
        self._index_ids = None
        self._whitening = None
        self._grid = None  # (the positions it was built from, cells.CellGrid)

    # ---- opening -------------------------------------------------------------------
    @classmethod
    def open(cls, path, repair_index=True):
        """Open and validate the store, then the index (a missing or mismatched one
        is rebuilt); a damaged SQLite file is a DatabaseError naming the fix, never
        a traceback."""
        try:
            db = cls(GeoPackageStore.open(path))
            if repair_index:
                db.ensure_index()
            return db
        except DatabaseError:
            raise
        except (StoreDatabaseError, TypeError, ValueError, KeyError) as exc:  # damaged rows or pages
            raise DatabaseError(f"{path} is damaged or unreadable ({type(exc).__name__}: {exc}); restore it from "
                                "a backup or rebuild it") from exc

    @classmethod
    def read_only(cls, path):
        """A quick reading handle: no validation, no index (what the importer and the
        coverage warning read: stored source ids, positions); the file must exist."""
        return cls(GeoPackageStore.read_only(path))

    @classmethod
    def create_or_open(cls, path, model_preset, dim, extractor_preset=None, whitening=None):
        """Open for writing, creating an empty database when absent. An existing
        database must use the same embedder preset and dimension."""
        return cls(GeoPackageStore.create_or_open(path, model_preset, dim, extractor_preset, whitening,
                                                  extra_meta={"hnsw": backend(DEFAULT_BACKEND).params}))

    def close(self):
        self._index = None
        self.store.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- the store's interface (engine/database/store/base.py) --------------------------------
    meta = _store_property("meta")
    warnings = _store_property("warnings")
    count = _store_property("count")
    writable = _store_property("writable")
    warn = _store_method("warn")
    set_meta = _store_method("set_meta")
    has_image = _store_method("has_image")
    source_ids = _store_method("source_ids")
    ids = _store_method("ids")
    add_image = _store_method("add_image")
    add_images = _store_method("add_images")
    put_local_features = _store_method("put_local_features")
    log_error = _store_method("log_error")
    errors = _store_method("errors")
    update_counts_and_extent = _store_method("update_counts_and_extent")
    views = _store_method("views")
    positions = _store_method("positions")
    load_view_image = _store_method("load_view_image")
    embeddings = _store_method("embeddings")
    views_without_features = _store_method("views_without_features")
    local_features = _store_method("local_features")

    # ---- whitening -----------------------------------------------------------------------
    def whitening(self):
        """The stored whitening of this database's embedder (None when off/unfitted)."""
        if not self.meta.get("whitening"):
            return None
        if self._whitening is None:
            fields = self.store.whitening_fields(self.meta["model_preset"])
            if fields is None:
                return None
            self._whitening = _whitening.Whitening(**fields)
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
        self.store.put_whitening(self.meta["model_preset"], w)
        self._whitening = w
        return True

    def _index_vectors(self, raw):
        w = self.whitening()
        return raw if w is None else w.apply(raw)

    def _vectors_of(self, ids):
        """What the index holds for these ids: their stored embeddings, whitened when on."""
        return self._index_vectors(self.embeddings(ids))

    # ---- the index -------------------------------------------------------------------------
    def _backend(self):
        kind = backend_for(self.count, self.meta.get("index_backend"))
        if kind == COMPRESSED_BACKEND and not faiss_available():
            raise DatabaseError(f"{self.path} uses the compressed search index ({kind}); install faiss-cpu "
                                "(requirements/dev.txt names the version) to open it")
        try:
            return backend(kind)
        except KeyError:
            raise DatabaseError(f"{self.path} uses the search index backend {kind!r}, which this GeoPin does not "
                                "have; update GeoPin") from None

    def _index_files(self):
        w = self.whitening()
        identity = IndexIdentity(self._backend().kind, self.meta["model_preset"],
                                 w.dim_out if w is not None else int(self.meta["dim"]),
                                 None if w is None else {"dim_out": w.dim_out, "n_fit": w.n_fit})
        return IndexFiles(self.path, identity, self._backend())

    def index_path(self):
        return self._index_files().path

    def _current_index_files(self):
        """The index files to use now: one saved under the old naming is moved to its name first."""
        files = self._index_files()
        if files.adopt_legacy(self.meta.get("index_checksum")) and self.writable:
            self.set_meta(index_file=files.path.name)
        return files

    def _problem(self, files, ids):
        return files.problem(ids, self.meta.get("index_checksum"), self._vectors_of, self.warn)

    def _lock(self):
        """Serialises index writes between processes (two builds, a build and a locate)."""
        return fsutil.file_lock(self.path.with_name(self.path.name + ".lock"))

    def ensure_index(self, rebuild=False):
        """Load the index after validating it; rebuild from stored embeddings when
        it is missing or does not match (a warning). On a read-only folder or a
        full disk the rebuilt index is used from memory. Returns the path."""
        ids = self.ids()
        files = self._current_index_files()
        problem = "rebuild requested" if rebuild else self._problem(files, ids)
        if problem is None:
            return self._load(files, ids)
        if problem != "no index file":
            self.warn(f"Rebuilding the search index: {problem}")
        if not self.writable:
            self._use(self._built(ids)[0], ids)
            self.warn(f"{self.path.parent} is read-only: the search index was rebuilt in memory and is not "
                      "saved (this repeats at every open); copy the database to a writable folder to keep it")
            return files.path
        with self._lock():
            ids = self.ids()
            if not rebuild and self._problem(files, ids) is None:  # another process just built it
                return self._load(files, ids)
            index, vectors = self._built(ids)
            try:
                self._save_index(index, files, ids, vectors)
            except (OSError, StoreError) as exc:
                message = fsutil.describe_write_error(exc, files.path)
                if message is None:
                    raise
                self._use(index, ids)
                self.warn(f"the rebuilt search index is used from memory only: {message}")
        return files.path

    def _load(self, files, ids):
        self._use(self._backend()(files.identity.dim).load(files.path, len(ids)), ids)
        return files.path

    def _use(self, index, ids):
        self._index = index
        self._index_ids = ids

    def _built(self, ids, num_threads=None):
        # the embeddings of exactly these ids: a build committing views meanwhile
        # (another process) must not give more vectors than labels
        vectors = self._vectors_of(ids)
        dim = vectors.shape[1] if len(vectors) else int(self.meta["dim"])
        return self._backend()(dim).build(ids, vectors, num_threads), vectors

    def _save_index(self, index, files, ids, vectors):
        """Save through `files` (the database records the checksum first); callers hold self._lock()."""
        files.save(index, ids, vectors, lambda checksum: self.set_meta(index_checksum=checksum,
                                                                       index_file=files.path.name))
        self._use(index, ids)

    def update_index(self, num_threads=None):
        """After adding views: refit the whitening if due, then add the new views
        to the existing index when it is valid for the views it holds (ids are
        increasing, so those are the first `count` ids), else rebuild. Held under
        the index lock, so concurrent builds serialise here. Returns the path."""
        refitted = self.refit_whitening()
        with self._lock():
            ids = self.ids()
            files = self._current_index_files()
            files.remove_leftover_tmp()  # a killed build's half-written index
            old = None if refitted else files.reusable(ids, self.meta.get("index_checksum"), self._vectors_of)
            if old is None and not refitted and self._kept_from_trusted_index(files, ids, num_threads):
                return files.path
            if old is not None and len(old) == len(ids):
                return files.path if self._index is not None else self._load(files, ids)
            if old is not None:
                vectors = self._vectors_of(ids)  # exactly these ids (see _built)
                index = self._backend()(files.identity.dim).load(files.path, len(ids))
                index.add(ids[len(old):], vectors[len(old):], num_threads)
            else:
                index, vectors = self._built(ids, num_threads)
            self._save_index(index, files, ids, vectors)
        return files.path

    def _kept_from_trusted_index(self, files, ids, num_threads=None) -> bool:
        """When the saved index is the builder's intact copy and the stored embeddings
        of some of its views differ from it, the GeoPackage is what is damaged: keep
        the index (new views added to it, their vectors from the store), warn with the
        ids, and return True; a rebuild would silently turn those views into misses."""
        trusted = files.trusted_copy(ids, self.meta.get("index_checksum"))
        if trusted is None:
            return False
        labels, kept = trusted
        differ = np.abs(kept - self._vectors_of(labels)).max(axis=1) > files.backend.vector_tolerance
        if not differ.any():
            return False
        bad = labels[differ]
        self.warn(f"the stored embeddings of {len(bad)} view(s) (ids {', '.join(map(str, bad[:5].tolist()))}) "
                  "differ from the search index built from them: the GeoPackage is damaged. GeoPin keeps the "
                  "intact index instead of rebuilding it from them; restore the database from a backup")
        index = self._backend()(files.identity.dim).load(files.path, len(ids))
        new = ids[len(labels):]
        if len(new):
            fresh = self._vectors_of(new)
            index.add(new, fresh, num_threads)
            self._save_index(index, files, ids, np.concatenate([kept, fresh]))
        else:
            self._use(index, ids)
        return True

    # ---- search -------------------------------------------------------------------------
    def search(self, vectors, k=100, area=None, ef=None, cells=None) -> List[List[SearchHit]]:
        """Top-k views per query vector (raw embeddings of this DB's embedder).

        area: polygon in RD New (list of rings, each (N, 2)); cells: (cell_m, keys)
        of geographic cells (cells.py). The k hits then all come from inside them
        (exact search over the subset when it is small, filtered index search
        otherwise); the views tested against the polygon are those of the cells its
        bounding box touches."""
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
        if area is not None or cells is not None:
            allowed = self._allowed(area, cells)
            if len(allowed) == 0:
                return [[] for _ in range(len(q))]
            if len(allowed) <= EXACT_LIMIT or len(allowed) <= k:
                return self._exact(q, allowed, k)
            return self._hits(*self._index.search(q, min(k, len(allowed)), allowed=allowed, ef=ef))
        kk = min(k, len(self._index_ids))
        if kk == 0:
            return [[] for _ in range(len(q))]
        return self._hits(*self._index.search(q, kk, ef=ef))

    def cell_grid(self, cell_m=None):
        """The views grouped in cells of ``cell_m`` metres (cells.CellGrid), kept
        until the store's positions change."""
        from .cells import CELL_M, CellGrid

        cell_m = float(cell_m or CELL_M)
        positions = self.store.positions()
        cached = self._grid
        if cached is None or cached[0] is not positions or cached[1].cell_m != cell_m:
            self._grid = (positions, CellGrid(*positions, cell_m=cell_m))
        return self._grid[1]

    def _allowed(self, area, cells):
        """View ids inside the area polygon and/or the given cells, sorted."""
        from ..geo import points_in_polygons

        grid = self.cell_grid(cells[0] if cells is not None else None)
        if area is not None:
            pts = np.concatenate([np.asarray(r, np.float64).reshape(-1, 2) for r in area])
            rows = grid.rows_in_box(*pts.min(axis=0), *pts.max(axis=0))
            rows = rows[points_in_polygons(grid.xs[rows], grid.ys[rows], [area])]
            allowed = np.sort(grid.fids[rows])
            if cells is not None:
                allowed = np.intersect1d(allowed, grid.ids_in_cells(cells[1]))
            return allowed
        return grid.ids_in_cells(cells[1])

    def exact_search(self, vectors, k=100):
        """Brute-force search over all views (reference for recall checks)."""
        q = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
        q = self._index_vectors(q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12))
        return self._exact(q, self.ids(), k)

    def _exact(self, q, allowed, k):
        allowed = np.asarray(allowed, dtype=np.int64)
        rows = exact_search(q, allowed, self._vectors_of(allowed), k)
        return [[SearchHit(int(l), float(s)) for l, s in zip(labels, sims)] for labels, sims in rows]

    @staticmethod
    def _hits(labels, dist):
        return [[SearchHit(int(l), float(1.0 - d)) for l, d in zip(lr, dr)] for lr, dr in zip(labels, dist)]
