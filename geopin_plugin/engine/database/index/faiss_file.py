"""The file layout both faiss indexes share (faiss_ivfpq.py, faiss_hnsw.py): a fixed
header, a JSON block, faiss's serialised index, the view ids (int64, in row order)
and, for IVF-PQ, the float16 vectors (row order). The header records every block's
length, so a truncated or foreign file is refused before faiss parses a byte of it."""
import os
import struct
from typing import Optional

import numpy as np

HEADER = struct.Struct("<8sIIQQQ")  # magic, dim, json length, faiss length, count, reserved


class FileLayout:
    """Where each block of a file starts, from its header (`problem` set when the file is
    not a `name` index or its size disagrees with the header). `vector_bytes`: bytes of
    each stored vector component after the ids (2 for float16, 0 when none are stored)."""

    def __init__(self, path, magic, name, vector_bytes=0):
        self.problem = None
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            head = fh.read(HEADER.size)
        if len(head) < HEADER.size:
            self.problem = f"index file {path} is {size} bytes, shorter than its header"
            return
        found, self.dim, jlen, flen, self.count, _ = HEADER.unpack(head)
        if found != magic:
            self.problem = f"index file {path} is not a GeoPin {name} index"
            return
        self.json_at = HEADER.size
        self.faiss_at = self.json_at + jlen
        self.faiss_len = flen
        self.ids_at = self.faiss_at + flen
        self.vectors_at = self.ids_at + 8 * self.count
        self.end = self.vectors_at + vector_bytes * self.count * self.dim
        if size != self.end:
            self.problem = f"index file {path} is {size} bytes, its header says {self.end}"

    def mismatch(self, path, ids, dim) -> Optional[str]:
        """Why the file is not this database's index (its problem, another dimension,
        other views), or None."""
        if self.problem:
            return self.problem
        if self.dim != int(dim):
            return f"index file {path} holds {self.dim}-d vectors, the database {dim}-d"
        if self.count != len(ids):
            return f"index file {path} holds {self.count} vectors, the database {len(ids)} views"
        stored = self.ids(path)
        if not np.array_equal(np.sort(stored), np.sort(np.asarray(ids, np.int64))):
            return f"index file {path} labels other views than the database holds"
        return None

    def faiss_bytes(self, path) -> np.ndarray:
        """faiss's serialised index (for faiss.deserialize_index)."""
        with open(path, "rb") as fh:
            fh.seek(self.faiss_at)
            return np.frombuffer(fh.read(self.faiss_len), dtype=np.uint8)

    def ids(self, path) -> np.ndarray:
        """The view ids, in row order."""
        return np.fromfile(path, dtype="<i8", count=self.count, offset=self.ids_at)


class StoredIds:
    """The view ids of a faiss index in row order, with their sorted order for lookups."""

    def _set_ids(self, ids):
        self._ids = np.asarray(ids, np.int64)
        self._order = np.argsort(self._ids, kind="stable")

    @property
    def count(self):
        return int(len(self._ids))
