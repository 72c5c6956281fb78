"""hnswlib as a VectorIndex: inner-product HNSW over L2-normalised vectors, the
labels being the store's view ids. Files are checked by hnsw_file.py before
hnswlib loads them (a bad file can crash it)."""
from typing import Optional

import numpy as np

from . import hnsw_file
from .base import default_threads

# HNSW parameters (benchmarks/bench_index.py measures them).
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 128
HNSW_EF_SEARCH = 300  # at least k; recall@100 0.995 at 1M in benchmarks/bench_index.py (0.978 at 200)


def write_hnsw(index, path):
    """hnswlib's save (a function of its own so the fault tests can make it write short)."""
    index.save_index(str(path))


class HnswIndex:
    kind = "hnswlib"
    suffix = ".hnsw"
    vector_tolerance = 1e-6  # float32 copies of the stored embeddings
    file_params = {"M": HNSW_M, "ef_construction": HNSW_EF_CONSTRUCTION, "space": "ip"}  # written to the sidecar
    params = {"M": HNSW_M, "ef_construction": HNSW_EF_CONSTRUCTION, "ef_search": HNSW_EF_SEARCH, "space": "ip"}

    def __init__(self, dim):
        self.dim = int(dim)
        self._index = None

    def _ready(self, index):
        index.set_ef(max(HNSW_EF_SEARCH, 1))
        index.set_num_threads(1)
        self._index = index
        return self

    def build(self, ids, vectors, num_threads=None):
        import hnswlib

        index = hnswlib.Index(space="ip", dim=self.dim)
        index.init_index(max_elements=max(len(ids), 1), M=HNSW_M, ef_construction=HNSW_EF_CONSTRUCTION,
                         random_seed=100)
        if len(ids):
            index.add_items(vectors, ids, num_threads=default_threads(num_threads))
        return self._ready(index)

    def add(self, ids, vectors, num_threads=None):
        needed = self._index.get_current_count() + len(ids)
        if needed > self._index.get_max_elements():
            self._index.resize_index(needed)
        self._index.add_items(vectors, ids, num_threads=default_threads(num_threads))

    def load(self, path, max_elements):
        """Load a file that validate() accepted, with room for `max_elements`."""
        import hnswlib

        index = hnswlib.Index(space="ip", dim=self.dim)
        index.load_index(str(path), max_elements=max_elements)
        return self._ready(index)

    def save(self, path):
        write_hnsw(self._index, path)

    @property
    def count(self):
        return self._index.get_current_count()

    def search(self, q, k, allowed=None, ef=None):
        """(labels, distances = 1 - inner product), k per query row; `allowed`:
        only these labels (a filtered search, ef widened by how few they are)."""
        if allowed is None:
            self._index.set_ef(max(ef or HNSW_EF_SEARCH, k))
            return self._index.knn_query(q, k=k)
        allowed_set = set(np.asarray(allowed).tolist())
        self._index.set_ef(max(ef or HNSW_EF_SEARCH, k, int(k * self.count / len(allowed_set))))
        try:
            return self._index.knn_query(q, k=k, filter=lambda label: label in allowed_set)
        finally:
            self._index.set_ef(max(HNSW_EF_SEARCH, 1))

    @staticmethod
    def validate(path, ids, dim) -> Optional[str]:
        return hnsw_file.validate_hnsw_file(path, len(ids), dim, ids)

    @staticmethod
    def stored_vectors(path, sample=None):
        return hnsw_file.index_vectors(path, sample)
