"""The saved index of one database: file names, sidecar, validation and atomic
save. It knows nothing of the store: the database hands in its ids, the vectors
it indexes (a callable, read only when a check needs them) and the checksum it
recorded when the index was last saved.

Files beside the database, named by the database's file name and the index's
identity (backend, embedder preset, whitening):
  <name>.gpkg.<backend>.<preset>[.w<dim_out>n<n_fit>]<suffix>   e.g. city.gpkg.hnswlib.mobilenetv2-gem512-1024.hnsw
  ... + .json                                                    sidecar: count, dim, identity, checksum, backend
The older names (<stem>.<preset>[...].hnsw) made `city.gpkg` and `city.north.gpkg`
share a prefix, which once cost an index; such a file is moved to its new name
when its sidecar holds this database's checksum, else left alone and rebuilt.
"""
import datetime as _dt
import errno
import glob
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from ... import fsutil

CHECKSUM_VERIFY_LIMIT = 100_000  # recompute the (ids, vectors) checksum on open up to here
VECTOR_SAMPLE = 1024  # index elements whose vectors are compared with the database's on open
LEGACY_BACKEND = "hnswlib"  # sidecars written before the backend was recorded


def checksum(ids, vectors):
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(ids, dtype="<i8").tobytes())
    h.update(np.ascontiguousarray(vectors, dtype="<f4").tobytes())
    return h.hexdigest()


def read_sidecar(path) -> dict:
    """The index sidecar as a dict; ValueError when it is not a JSON object."""
    with open(path, "r", encoding="utf-8") as fh:
        info = json.load(fh)
    if not isinstance(info, dict):
        raise ValueError(f"sidecar is JSON {type(info).__name__}, not an object")
    return info


def _safe(text):
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text)


def _sidecar(path):
    return Path(str(path) + ".json")


@dataclass(frozen=True)
class IndexIdentity:
    """What an index was built from: a changed setting never reuses an index."""
    backend: str
    model_preset: str
    dim: int  # of the indexed (whitened) vectors
    whitening: Optional[dict] = None  # {"dim_out", "n_fit"} when on

    @property
    def tag(self):
        w = self.whitening
        return self.model_preset + (f".w{w['dim_out']}n{w['n_fit']}" if w else "")

    @property
    def name(self):
        return _safe(f"{self.backend}.{self.tag}")


class IndexFiles:
    def __init__(self, db_path, identity: IndexIdentity, backend):
        self.db_path = Path(db_path)
        self.identity = identity
        self.backend = backend  # the VectorIndex class: validate, stored_vectors, suffix, file_params
        self.path = self.db_path.with_name(f"{self.db_path.name}.{identity.name}{backend.suffix}")

    @property
    def sidecar(self):
        return _sidecar(self.path)

    def _expected(self, count, recorded_checksum):
        i = self.identity
        return {"backend": i.backend, "count": count, "dim": i.dim, "model_preset": i.model_preset,
                "whitening": i.whitening, "checksum": recorded_checksum}

    @staticmethod
    def _found(info, key):
        return info.get(key, LEGACY_BACKEND) if key == "backend" else info.get(key)

    # ---- the old naming -------------------------------------------------------------
    def legacy_path(self) -> Optional[Path]:
        if self.identity.backend != LEGACY_BACKEND:
            return None
        return self.db_path.with_name(f"{self.db_path.stem}.{_safe(self.identity.tag)}.hnsw")

    def adopt_legacy(self, recorded_checksum) -> bool:
        """Move an index saved under the old name to this one when its sidecar
        holds `recorded_checksum` (so it is provably this database's). Returns True
        when moved; on a read-only folder the old file is used where it is."""
        legacy = self.legacy_path()
        if recorded_checksum is None or legacy is None or self.path.exists() or not legacy.exists():
            return False
        try:
            if read_sidecar(_sidecar(legacy)).get("checksum") != recorded_checksum:
                return False
        except (OSError, ValueError):
            return False
        try:
            os.replace(_sidecar(legacy), self.sidecar)
            os.replace(legacy, self.path)
        except FileNotFoundError:  # another process moved it first
            return False
        except OSError:
            self.path = legacy
            return False
        return True

    # ---- checks ---------------------------------------------------------------------------
    def problem(self, ids, recorded_checksum, vectors_of: Callable, warn: Callable) -> Optional[str]:
        """Why the saved index cannot be used for these ids (None if it can)."""
        if not self.path.exists():
            return "no index file"
        if not self.sidecar.exists():
            return "no index sidecar"
        try:
            info = read_sidecar(self.sidecar)
        except (OSError, ValueError) as exc:
            return f"unreadable sidecar: {exc}"
        for key, value in self._expected(len(ids), recorded_checksum).items():
            if self._found(info, key) != value:
                return f"sidecar {key} {self._found(info, key)!r} != {value!r}"
        problem = self.backend.validate(self.path, ids, self.identity.dim)
        if problem is not None:
            return problem
        if len(ids) <= CHECKSUM_VERIFY_LIMIT:
            stored = vectors_of(ids)
            if checksum(ids, stored) != info.get("checksum"):
                return self._damaged_embeddings_problem(ids, stored, info["checksum"], warn)
        return self._sample_problem(vectors_of) if len(ids) else None

    def _damaged_embeddings_problem(self, ids, stored, recorded, warn):
        """The embeddings differ from the checksum the index was built with. When the
        index file itself still matches that checksum, the store's embeddings are
        what is damaged: keep searching with the intact index (a rebuild from
        damaged vectors would silently turn good answers into "no match") and warn."""
        labels, vectors = self.backend.stored_vectors(self.path)
        if not np.array_equal(labels, ids) or checksum(labels, vectors) != recorded:
            return "checksum of ids and embeddings differs"
        bad = ids[~np.all(np.isclose(vectors, stored, atol=self.backend.vector_tolerance), axis=1)]
        warn(f"the stored embeddings of {len(bad)} view(s) (ids {', '.join(map(str, bad[:5].tolist()))}) "
             "differ from the search index built from them: the GeoPackage is damaged. GeoPin searches with "
             "the intact index; restore the database from a backup or rebuild it to repair it")
        return None

    def _sample_problem(self, vectors_of):
        """Compare the vectors stored in the index file with the database's for up
        to VECTOR_SAMPLE elements (evenly spaced): catches an index with the right
        ids and sidecar but other vectors."""
        labels, vecs = self.backend.stored_vectors(self.path, sample=VECTOR_SAMPLE)
        if not np.allclose(vecs, vectors_of(labels), atol=self.backend.vector_tolerance):
            return "vectors in the index differ from the stored embeddings"
        return None

    def trusted_copy(self, ids, recorded_checksum):
        """(labels, vectors) of the saved index when it is byte for byte what the
        builder saved (its vectors hash to the checksum the database recorded) and
        holds the first ids of `ids`; else None. Such a file is the one good copy of
        the embeddings when the GeoPackage's differ: a rebuild from those would
        launder damaged embeddings into a fresh, "valid" index (issue 26)."""
        if recorded_checksum is None or not (self.path.exists() and self.sidecar.exists()):
            return None
        try:
            info = read_sidecar(self.sidecar)
            n = int(info.get("count", -1))
            if info.get("checksum") != recorded_checksum or not 0 < n <= len(ids) \
                    or self.backend.validate(self.path, ids[:n], self.identity.dim) is not None:
                return None
            labels, vectors = self.backend.stored_vectors(self.path)
        except (OSError, ValueError, TypeError):
            return None
        if not np.array_equal(labels, ids[:n]) or checksum(labels, vectors) != recorded_checksum:
            return None  # float16 copies (IVF-PQ) never hash equal: no trusted copy there
        return labels, vectors

    def reusable(self, ids, recorded_checksum, vectors_of) -> Optional[np.ndarray]:
        """The ids held by a valid saved index when they are the first ids of `ids`
        (views are only appended), so new views can be added to it; else None."""
        if not (self.path.exists() and self.sidecar.exists()):
            return None
        try:
            info = read_sidecar(self.sidecar)
            old = ids[: int(info.get("count", -1))]
            i = self.identity
            usable = (0 < len(old) <= len(ids)
                      and all(self._found(info, key) == value for key, value in (
                          ("backend", i.backend), ("dim", i.dim), ("model_preset", i.model_preset),
                          ("checksum", recorded_checksum)))
                      and self.backend.validate(self.path, old, i.dim) is None
                      and self._sample_problem(vectors_of) is None)
        except (OSError, ValueError, TypeError):
            return None
        return old if usable else None

    # ---- writing (callers hold the database's index lock) ------------------------------------
    def save(self, index, ids, vectors, record_checksum: Callable):
        """Write index + sidecar through temp names unique to this writer; the
        written index is validated before it replaces the old one (hnswlib writes
        a short file on a full disk without raising). `record_checksum` stores the
        checksum in the database first: an index without a matching database
        checksum is rebuilt on the next open."""
        dim = vectors.shape[1] if len(vectors) else self.identity.dim
        value = checksum(ids, vectors)
        tmp = fsutil.unique_tmp(self.path)
        try:
            index.save(tmp)
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            problem = self.backend.validate(tmp, ids, dim)
            if problem is not None:
                raise OSError(errno.ENOSPC, f"the search index was written incomplete ({problem}); "
                                            "is the disk full?", str(self.path))
            record_checksum(value)
            os.replace(tmp, self.path)
        finally:
            fsutil.remove_quietly(tmp)
        i = self.identity
        info = {"count": len(ids), "dim": dim, "model_preset": i.model_preset, "whitening": i.whitening,
                "checksum": value, **self.backend.file_params, "backend": i.backend,
                "built_at": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()}
        fsutil.atomic_write_bytes(self.sidecar, json.dumps(info, indent=1).encode())
        self._remove_stale()

    def remove_leftover_tmp(self):
        """Temp files of this index and sidecar that a killed writer left (kill -9
        between write and rename: 5.7 GB once). Callers hold the database's index
        lock, so no writer of these files is running; only fsutil.unique_tmp's
        names (<name>.<pid>-<thread>-<8 hex>.tmp) are removed."""
        own = re.compile(r"\.\d+-\d+-[0-9a-f]{8}\.tmp")
        for name in (self.path.name, self.sidecar.name):
            for leftover in self.db_path.parent.glob(glob.escape(name) + ".*.tmp"):
                if own.fullmatch(leftover.name[len(name):]):
                    fsutil.remove_quietly(leftover)

    def _remove_stale(self):
        """This database's indexes of the same backend and embedder for an older
        whitening. The names carry the database's full file name, so `city.gpkg`
        never matches `city.north.gpkg`'s files."""
        i = self.identity
        own = re.compile(re.escape(f"{self.db_path.name}.{_safe(i.backend + '.' + i.model_preset)}")
                         + r"(\.w\d+n\d+)?" + re.escape(self.backend.suffix))
        for stale in self.db_path.parent.glob(glob.escape(self.db_path.name) + ".*" + self.backend.suffix):
            if stale != self.path and own.fullmatch(stale.name):
                for p in (stale, _sidecar(stale)):
                    fsutil.remove_quietly(p)
