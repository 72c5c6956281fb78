"""faiss's HNSW as a VectorIndex: the small-database index where hnswlib has no
wheel (Python 3.13 on every platform; requirements/runtime.txt), with hnswlib's
graph parameters (M 16, efConstruction 128, efSearch 300) over the same
L2-normalised vectors by inner product.

A database records the backend that built it (index_backend), but the index is
only a cache of the stored embeddings: index.backend_for() swaps hnswlib and this
backend when the recorded one is not installed, and the database rebuilds the
index under its own file name (the backend is part of it) from its embeddings.

One file, laid out as faiss_file.py says: a fixed header, a JSON block, faiss's
serialised IndexHNSWFlat and the view ids (int64, in row order). The header
records every block's length, so a truncated or foreign file is refused before
faiss parses a byte of it.
"""
import json
import logging
import time
from typing import Optional

import numpy as np

from .base import default_threads
from .faiss_file import HEADER, FileLayout, StoredIds
from .hnsw import HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH, HNSW_M

MAGIC = b"GPFHNSW1"
EXACT_ALLOWED = 50_000  # a search area with fewer views is searched exactly
BATCH = 10_000  # views added per step of a build; each step is logged (a 100k rebuild takes minutes)
LOG = logging.getLogger("geopin.index")  # the GeoPin log in QGIS (log.py bridges "geopin")


class FaissHnswIndex(StoredIds):
    kind = "faiss-hnsw"
    suffix = ".fhnsw"
    vector_tolerance = 1e-6  # float32 copies of the stored embeddings
    file_params = {"M": HNSW_M, "ef_construction": HNSW_EF_CONSTRUCTION, "space": "ip"}
    params = {"M": HNSW_M, "ef_construction": HNSW_EF_CONSTRUCTION, "ef_search": HNSW_EF_SEARCH, "space": "ip"}

    def __init__(self, dim):
        self.dim = int(dim)
        self._index = None
        self._ids = np.zeros(0, np.int64)
        self._order = np.zeros(0, np.int64)

    def _new(self):
        import faiss

        index = faiss.IndexHNSWFlat(self.dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
        return index

    def build(self, ids, vectors, num_threads=None):
        """Build in steps of BATCH views, logging the progress of a long build."""
        self._index = self._new()
        self._ids = np.zeros(0, np.int64)
        t0, n = time.perf_counter(), len(ids)
        for start in range(0, n, BATCH):
            self.add(ids[start:start + BATCH], vectors[start:start + BATCH], num_threads)
            if n > BATCH:
                LOG.info("Building the search index (faiss HNSW): %d of %d views, %.0f s", min(start + BATCH, n),
                         n, time.perf_counter() - t0)
        return self

    def add(self, ids, vectors, num_threads=None):
        import faiss

        faiss.omp_set_num_threads(default_threads(num_threads))
        self._index.add(np.ascontiguousarray(vectors, np.float32))
        self._set_ids(np.concatenate([self._ids, np.asarray(ids, np.int64)]))

    def save(self, path):
        import faiss

        blob = faiss.serialize_index(self._index).tobytes()
        meta = json.dumps({"kind": self.kind, **self.file_params}).encode()
        with open(path, "wb") as fh:
            fh.write(HEADER.pack(MAGIC, self.dim, len(meta), len(blob), len(self._ids), 0))
            fh.write(meta)
            fh.write(blob)
            fh.write(np.ascontiguousarray(self._ids, "<i8").tobytes())

    def load(self, path, max_elements=None):
        """Load a file that validate() accepted."""
        import faiss

        lay = FileLayout(path, MAGIC, "faiss HNSW")
        if lay.problem:
            raise ValueError(lay.problem)
        self._index = faiss.deserialize_index(lay.faiss_bytes(path))
        self._index.hnsw.efSearch = HNSW_EF_SEARCH
        self._set_ids(lay.ids(path))
        return self

    @staticmethod
    def validate(path, ids, dim) -> Optional[str]:
        lay = FileLayout(path, MAGIC, "faiss HNSW")
        return lay.mismatch(path, ids, dim)

    def _matrix(self):
        """The float32 vectors faiss keeps in the graph's flat storage (row order)."""
        import faiss

        storage = faiss.downcast_index(self._index.storage)
        return faiss.vector_to_array(storage.codes).view(np.float32).reshape(-1, self.dim)

    @staticmethod
    def stored_vectors(path, sample=None):
        lay = FileLayout(path, MAGIC, "faiss HNSW")
        index = FaissHnswIndex(lay.dim).load(path)
        rows = np.arange(lay.count) if not sample or sample >= lay.count else \
            np.linspace(0, lay.count - 1, sample).astype(np.int64)
        return index._ids[rows], np.array(index._matrix()[rows], np.float32)

    # --- search -----------------------------------------------------------------
    def _rows(self, labels):
        pos = np.searchsorted(self._ids, labels, sorter=self._order)
        rows = self._order[np.clip(pos, 0, max(len(self._order) - 1, 0))]
        return rows[self._ids[rows] == labels]

    def search(self, q, k, allowed=None, ef=None):
        """(labels, distances = 1 - inner product), k per query row; `allowed`: only
        these labels (exact over them when few, else a filtered graph search)."""
        import faiss

        q = np.ascontiguousarray(np.atleast_2d(q), np.float32)
        labels = np.full((len(q), k), -1, np.int64)
        dist = np.full((len(q), k), np.inf, np.float32)
        params = faiss.SearchParametersHNSW()
        params.efSearch = max(int(ef or HNSW_EF_SEARCH), k)
        if allowed is not None:
            rows = np.sort(self._rows(np.unique(np.asarray(allowed, np.int64))))
            if len(rows) <= EXACT_ALLOWED:
                sims = q @ self._matrix()[rows].T
                for i, row in enumerate(sims):
                    top = np.argsort(-row, kind="stable")[:k]
                    labels[i, :len(top)] = self._ids[rows[top]]
                    dist[i, :len(top)] = 1.0 - row[top]
                return labels, dist
            selector = faiss.IDSelectorBatch(rows)  # held here: params.sel does not keep it alive
            params.sel = selector
            params.efSearch = max(params.efSearch, int(k * self.count / max(len(rows), 1)))
        sims, found = self._index.search(q, k, params=params)
        ok = found >= 0
        labels[ok] = self._ids[found[ok]]
        dist[ok] = 1.0 - sims[ok]
        return labels, dist
