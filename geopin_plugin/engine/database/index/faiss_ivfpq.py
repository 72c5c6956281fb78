"""faiss IVF-PQ as a VectorIndex, for databases too large for hnswlib in RAM.

The inverted lists hold 64-byte product-quantised codes (72 B a view with its
id, against hnswlib's 2.2 KB); the float16 vectors sit in the same file behind
them and are memory-mapped, so a query reads only the few hundred rows it
re-ranks exactly. Measured at 1M views in benchmarks/bench_scale.py.

One file: a fixed header, a JSON block (the parameters), faiss's serialised
index, the ids (int64, in row order) and the float16 vectors (row order). The
header records every block's length, so a truncated or foreign file is refused
before faiss parses a byte of it.
"""
import json
from typing import Optional

import numpy as np

from . import faiss_check
from .base import default_threads
from .faiss_file import HEADER, FileLayout, StoredIds

MAGIC = b"GPIVFPQ1"
PQ_M = 64  # sub-quantisers: 64 bytes a code (512-d: 8 dimensions each)
PQ_BITS = 8
NPROBE = 256  # lists visited: recall@100 >= 0.97 with the re-rank (bench_scale.py)
RERANK = 400  # candidates re-ranked with the exact float16 vectors
TRAIN_SAMPLE = 100_000
MIN_TRAIN = 10_000  # PQ with 256 centroids a sub-quantiser wants ~40 points each
EXACT_ALLOWED = 50_000  # a search area with fewer views is searched exactly


def _nlist(n):
    return int(np.clip(2 ** round(np.log2(max(4 * np.sqrt(max(n, 1)), 1))), 64, 8192))


class FaissIvfPqIndex(StoredIds):
    kind = "faiss-ivfpq"
    suffix = ".ivfpq"
    vector_tolerance = 2e-3  # float16 copies of unit vectors: half an ulp at 1 is 4.9e-4
    file_params = {"pq_m": PQ_M, "pq_bits": PQ_BITS, "metric": "ip", "rerank": "float16"}
    params = {"pq_m": PQ_M, "pq_bits": PQ_BITS, "nprobe": NPROBE, "rerank": RERANK, "metric": "ip"}

    @staticmethod
    def min_train():
        return MIN_TRAIN

    def __init__(self, dim):
        self.dim = int(dim)
        self._index = None
        self._ids = np.zeros(0, np.int64)
        self._vectors = np.zeros((0, self.dim), np.float16)  # a memmap once loaded
        self._order = np.zeros(0, np.int64)

    # --- building ---------------------------------------------------------------
    def build(self, ids, vectors, num_threads=None):
        import faiss

        faiss.omp_set_num_threads(default_threads(num_threads))
        ids = np.asarray(ids, np.int64)
        vectors = np.ascontiguousarray(vectors, np.float32)
        if len(ids) < MIN_TRAIN:
            raise ValueError(f"an IVF-PQ index needs at least {MIN_TRAIN} views to train, not {len(ids)}")
        nlist = _nlist(len(ids))
        index = faiss.IndexIVFPQ(faiss.IndexFlatIP(self.dim), self.dim, nlist, PQ_M, PQ_BITS,
                                 faiss.METRIC_INNER_PRODUCT)
        rng = np.random.default_rng(100)
        sample = rng.choice(len(ids), min(len(ids), TRAIN_SAMPLE), replace=False)
        index.train(vectors[np.sort(sample)])
        self._index = index
        self._ids = np.zeros(0, np.int64)
        self._vectors = np.zeros((0, self.dim), np.float16)
        self.add(ids, vectors, num_threads)
        return self

    def add(self, ids, vectors, num_threads=None):
        import faiss

        faiss.omp_set_num_threads(default_threads(num_threads))
        ids = np.asarray(ids, np.int64)
        vectors = np.ascontiguousarray(vectors, np.float32)
        self._index.add_with_ids(vectors, ids)
        self._set_ids(np.concatenate([self._ids, ids]))
        self._vectors = np.concatenate([np.asarray(self._vectors), vectors.astype(np.float16)])

    # --- files ------------------------------------------------------------------
    def save(self, path):
        import faiss

        blob = faiss.serialize_index(self._index).tobytes()
        meta = json.dumps({"kind": self.kind, "nlist": int(self._index.nlist), **self.file_params,
                           "checks": faiss_check.checks(blob, self._ids, self._vectors)}).encode()
        with open(path, "wb") as fh:
            fh.write(HEADER.pack(MAGIC, self.dim, len(meta), len(blob), len(self._ids), 0))
            fh.write(meta)
            fh.write(blob)
            fh.write(np.ascontiguousarray(self._ids, "<i8").tobytes())
            for s in range(0, len(self._ids), 65536):  # no second copy of the matrix in RAM
                fh.write(np.ascontiguousarray(self._vectors[s:s + 65536], "<f2").tobytes())

    def load(self, path, max_elements=None):
        """Load a file that validate() accepted; the vectors stay on disk (memory-mapped)."""
        import faiss

        lay = FileLayout(path, MAGIC, "IVF-PQ", 2)
        if lay.problem:
            raise ValueError(lay.problem)
        self._index = faiss.deserialize_index(lay.faiss_bytes(path))
        self._set_ids(lay.ids(path))
        self._vectors = np.memmap(path, dtype="<f2", mode="r", offset=lay.vectors_at, shape=(lay.count, self.dim))
        return self

    @staticmethod
    def validate(path, ids, dim) -> Optional[str]:
        lay = FileLayout(path, MAGIC, "IVF-PQ", 2)
        problem = lay.mismatch(path, ids, dim)
        if problem:
            return problem
        with open(path, "rb") as fh:  # faiss aborts or divides by zero on a bad block: walk it first
            fh.seek(lay.json_at)
            meta, blob = fh.read(lay.faiss_at - lay.json_at), fh.read(lay.faiss_len)
        vectors = np.memmap(path, dtype="<f2", mode="r", offset=lay.vectors_at, shape=(lay.count, lay.dim))
        problem = faiss_check.file_problem(meta, blob, lay.ids(path), vectors, lay.dim, PQ_M, PQ_BITS)
        return None if problem is None else f"index file {path}: {problem}"

    @staticmethod
    def stored_vectors(path, sample=None):
        lay = FileLayout(path, MAGIC, "IVF-PQ", 2)
        ids = lay.ids(path)
        vectors = np.memmap(path, dtype="<f2", mode="r", offset=lay.vectors_at, shape=(lay.count, lay.dim))
        rows = np.arange(lay.count) if not sample or sample >= lay.count else \
            np.linspace(0, lay.count - 1, sample).astype(np.int64)
        return ids[rows], np.asarray(vectors[rows], np.float32)

    # --- search -----------------------------------------------------------------
    def _rows(self, labels):
        pos = np.searchsorted(self._ids, labels, sorter=self._order)
        return self._order[np.clip(pos, 0, len(self._order) - 1)]

    def _rerank(self, q, rows, k):
        rows = np.sort(rows)  # ascending rows: the memory map reads forward
        sims = np.asarray(self._vectors[rows], np.float32) @ q
        top = np.argsort(-sims, kind="stable")[:k]
        labels = np.full(k, -1, np.int64)
        dist = np.full(k, np.inf, np.float32)
        labels[:len(top)] = self._ids[rows[top]]
        dist[:len(top)] = 1.0 - sims[top]
        return labels, dist

    def search(self, q, k, allowed=None, ef=None):
        """(labels, distances = 1 - inner product), k per query row; the IVF-PQ
        shortlist of max(RERANK, 4k) re-ranked with the float16 vectors. An area
        of few views is searched exactly; `ef` widens the shortlist."""
        import faiss

        q = np.ascontiguousarray(np.atleast_2d(q), np.float32)
        labels = np.full((len(q), k), -1, np.int64)
        dist = np.full((len(q), k), np.inf, np.float32)
        if allowed is not None:
            allowed = np.unique(np.asarray(allowed, np.int64))
            if len(allowed) <= EXACT_ALLOWED:
                rows = self._rows(allowed)
                rows = rows[self._ids[rows] == allowed]
                for i, row in enumerate(q):
                    labels[i], dist[i] = self._rerank(row, rows, k)
                return labels, dist
        shortlist = max(RERANK, 4 * k, int(ef or 0))
        params = faiss.SearchParametersIVF(nprobe=NPROBE)
        if allowed is not None:
            params.sel = faiss.IDSelectorBatch(allowed)
        _, cand = self._index.search(q, shortlist, params=params)
        for i, row in enumerate(q):
            found = cand[i][cand[i] >= 0]
            labels[i], dist[i] = self._rerank(row, self._rows(found), k)
        return labels, dist
