"""What a vector index is to GeoPin: the VectorIndex protocol, and the exact
search every backend is measured against (and that searches small subsets).

A backend indexes L2-normalised (optionally whitened) vectors labelled by the
store's view ids and knows nothing of the store. It also checks its own files
before its library parses them (`validate`): a bad file must be a reason to
rebuild, never a crash. Backends are registered by kind in index.backends.
"""
import os
from typing import List, Optional, Protocol, Tuple

import numpy as np


class VectorIndex(Protocol):
    kind: str  # the key in index.backends, recorded in the sidecar
    suffix: str  # file name ending
    vector_tolerance: float  # how far the file's copy of a vector may be from the stored embedding
    file_params: dict  # build parameters recorded in the sidecar
    params: dict  # build and search parameters recorded in the database's metadata

    def __init__(self, dim: int): ...

    def build(self, ids, vectors, num_threads=None) -> "VectorIndex": ...

    def add(self, ids, vectors, num_threads=None) -> None: ...

    def search(self, q, k, allowed=None, ef=None) -> Tuple[np.ndarray, np.ndarray]:
        """(labels, distances = 1 - inner product), both (len(q), k); `allowed`: only these labels."""

    def save(self, path) -> None: ...

    def load(self, path, max_elements: int) -> "VectorIndex": ...

    @property
    def count(self) -> int: ...

    @staticmethod
    def validate(path, ids, dim) -> Optional[str]:
        """Why the file at `path` is not an index of `ids` in `dim` dimensions (None if it is)."""

    @staticmethod
    def stored_vectors(path, sample=None) -> Tuple[np.ndarray, np.ndarray]:
        """(labels, vectors) in the file: all, or up to `sample` evenly spaced."""


def exact_search(q, ids, vectors, k) -> List[Tuple[np.ndarray, np.ndarray]]:
    """Brute-force top-k by inner product: per query row (labels, similarities),
    best first, ties in id order."""
    ids = np.asarray(ids, dtype=np.int64)
    sims = q @ vectors.T
    kk = min(k, len(ids))
    out = []
    for row in sims:
        top = np.argpartition(-row, kk - 1)[:kk] if kk < len(row) else np.arange(len(row))
        top = top[np.argsort(-row[top], kind="stable")]
        out.append((ids[top], row[top]))
    return out


def default_threads(num_threads=None) -> int:
    """Threads for building an index: as asked, else at most 2 (QGIS keeps working)."""
    return num_threads or min(2, os.cpu_count() or 1)
