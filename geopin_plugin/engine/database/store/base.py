"""What a reference store is, apart from how it keeps its data: the
ReferenceStore protocol, the ReferenceView record and the store's errors.

A store holds the reference views (position, source, stored view image), their
raw embeddings, local features, the per-image content hashes that make builds
resumable, an ingest-error log and key/value metadata. The search index is not
part of it (engine/database/index/): the store hands ids and vectors to the index.
"""
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Protocol, Sequence, Set, Tuple

import numpy as np

from ...types import LocalFeatures


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


class ReferenceStore(Protocol):
    """The reading and writing interface of a reference store (GeoPackageStore is
    the one implementation; a server-side store would be another)."""

    path: Path
    meta: dict  # schema_version, model_preset, dim, extractor_preset, whitening, counts, index_checksum, ...
    warnings: List[str]  # problems found on open, shown to the user by the caller

    @property
    def count(self) -> int: ...

    @property
    def writable(self) -> bool: ...

    def ids(self) -> np.ndarray: ...

    def has_image(self, content_hash: str) -> bool: ...

    def source_ids(self, source: str) -> Set[str]: ...

    def add_image(self, content_hash, path, source, source_id, views: List[dict], embeddings,
                  features=None, extractor_id=None, images=None, capture_group=None) -> Optional[List[int]]: ...

    def add_images(self, items: List[dict]) -> List[Optional[List[int]]]:
        """Several add_image calls (their arguments by name) in one transaction."""

    def put_local_features(self, items: Dict[int, LocalFeatures], extractor_id: str) -> None: ...

    def log_error(self, file, reason, content_hash=None, run_started=None) -> None: ...

    def errors(self, run_started=None) -> List[Tuple[str, str]]: ...

    def update_counts_and_extent(self) -> dict: ...

    def views(self, view_ids: Sequence[int]) -> List[ReferenceView]: ...

    def load_view_image(self, view_id: int, exact: bool = True) -> np.ndarray: ...

    def embeddings(self, view_ids=None) -> np.ndarray: ...

    def views_without_features(self, extractor_id: str) -> List[int]: ...

    def local_features(self, view_ids, extractor_id: str) -> Dict[int, LocalFeatures]: ...

    def positions(self) -> Tuple[np.ndarray, np.ndarray, np.ndarray]: ...

    def whitening_fields(self, model_preset: str) -> Optional[dict]: ...

    def put_whitening(self, model_preset: str, whitening) -> None: ...

    def set_meta(self, **values) -> None: ...

    def transaction(self) -> AbstractContextManager: ...

    def warn(self, message: str) -> None: ...

    def close(self) -> None: ...
