"""How local features are stored. Extractors (``extractor.py``: XFeat, the default;
RootSIFT for databases built before XFeat; DISK) give keypoints as float32 (x, y) in
the pixel frame of the image that was passed in (``image_size`` is its (w, h)),
descriptors unit-norm (float16 or float32), scores float32. How a preset's
features are stored is its ``storage`` (``encode_features``/``decode_features``):
float16 descriptors and float32 keypoints by default; "int8" keeps descriptors
as int8 (x127) and keypoints/scores as float16 (XFeat 2048 kp: 140 KB); "int4"
two descriptor components a byte (XFeat 2048 kp: 76 KB), what new databases store
for presets that say int8 (storage_of, COMPACT). A stored row's storage
is told by its byte lengths, so rows written before a preset changed storage read
as they were written.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..models import ModelError, get_preset
from ..types import LocalFeatures


# Databases store unit-norm descriptors that their preset keeps as int8 at 4 bits
# (issue 14: 76 instead of 140 KB a view; measured on the shared protocols,
# docs/scale.md); compact=False keeps int8.
COMPACT = {"int8": "int4"}


def storage_of(extractor_id: str, compact: bool = True) -> str:
    """How an extractor's features are stored: its preset's storage ("float16"
    unless it says), made compact (COMPACT) unless ``compact`` is False."""
    try:
        storage = get_preset(extractor_id).extra.get("storage", "float16")
    except ModelError:
        storage = "float16"
    return COMPACT.get(storage, storage) if compact else storage


def encode_features(f: LocalFeatures, storage: str = "float16"):
    """-> (n, desc_dim, keypoints bytes, descriptors bytes, scores bytes or None)."""
    n = len(f.keypoints)
    desc = np.asarray(f.descriptors, np.float32).reshape(n, -1) if n else \
        np.zeros((0, np.asarray(f.descriptors).shape[-1] if np.asarray(f.descriptors).ndim == 2 else 0), np.float32)
    if storage == "int4" and desc.shape[1] % 2:
        storage = "int8"  # two components a byte: an odd dimension keeps int8
    if storage == "int8":
        kp = np.asarray(f.keypoints, np.float16).reshape(-1, 2)
        d = np.clip(np.rint(desc * 127.0), -127, 127).astype(np.int8)
        sc = None if f.scores is None else np.asarray(f.scores, np.float16)
    elif storage == "int4":
        kp = np.asarray(f.keypoints, np.float16).reshape(-1, 2)
        d = _pack_int4(desc)
        sc = None if f.scores is None else np.asarray(f.scores, np.float16)
    else:
        kp = np.asarray(f.keypoints, np.float32).reshape(-1, 2)
        d = desc.astype(np.float16)
        sc = None if f.scores is None else np.asarray(f.scores, np.float32)
    return n, int(desc.shape[1]), kp.tobytes(), d.tobytes(), None if sc is None else sc.tobytes()


def stored_format(n: int, dim: int, kp, desc) -> str:
    """Which storage wrote a stored row, from its byte lengths (each storage has its
    own descriptor and keypoint sizes, so databases and rows of different storages
    read alike); ValueError for lengths no storage writes (a damaged row)."""
    n, dim, lk, ld = int(n), int(dim), len(kp or b""), len(desc or b"")
    if n == 0 and lk == 0 and ld == 0:
        return "float16"
    for storage, kp_bytes, desc_bytes in (("float16", 8, 2 * dim), ("int8", 4, dim), ("int4", 4, dim / 2)):
        if lk == n * kp_bytes and ld == n * desc_bytes:
            return storage
    raise ValueError(f"{n} keypoints of dimension {dim} in {lk} + {ld} bytes: no known feature storage")


def decode_features(n, dim, kp, desc, scores, size, storage: Optional[str] = None) -> LocalFeatures:
    """The inverse of encode_features (``storage`` None: told by the lengths,
    stored_format); int8 and int4 descriptors come back as unit float32
    (normalised once here, not per verified pair)."""
    storage = storage or stored_format(n, dim, kp, desc)
    if storage == "int8":
        k = np.frombuffer(kp, np.float16).reshape(n, 2).astype(np.float32)
        d = np.frombuffer(desc, np.int8).reshape(n, dim).astype(np.float32)
        d /= np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-7)
        s = None if scores is None else np.frombuffer(scores, np.float16).astype(np.float32)
    elif storage == "int4":
        k = np.frombuffer(kp, np.float16).reshape(n, 2).astype(np.float32)
        d = _unpack_int4(desc, n, dim)
        d /= np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-7)
        s = None if scores is None else np.frombuffer(scores, np.float16).astype(np.float32)
    else:
        k = np.frombuffer(kp, np.float32).reshape(n, 2).copy()
        d = np.frombuffer(desc, np.float16).reshape(n, dim).copy()
        s = None if scores is None else np.frombuffer(scores, np.float32).copy()
    return LocalFeatures(k, d, (int(size[0]), int(size[1])), s)


# "int4": 16 levels per component, uniform, mid-rise. XFeat's unit 64-d descriptors
# have components of sd 0.125 (|d| p99 0.31, measured on an Amsterdam view); the
# step 0.042 = 0.335 sd is the MSE-optimal uniform 16-level step for a Gaussian.
INT4_STEP = 0.042


def _pack_int4(desc: np.ndarray) -> np.ndarray:
    """Descriptors (n, dim even) -> (n, dim / 2) uint8, two components a byte."""
    q = np.clip(np.floor(desc / INT4_STEP), -8, 7).astype(np.int16) + 8  # 0..15
    q = q.astype(np.uint8).reshape(len(desc), -1, 2)
    return (q[:, :, 0] | (q[:, :, 1] << 4)).astype(np.uint8)


# byte -> its two components (low nibble first): one table look-up a byte
_INT4_TABLE = ((np.stack([np.arange(256) & 0x0F, np.arange(256) >> 4], axis=1) - 7.5) * INT4_STEP).astype(np.float32)


# the same table with a byte's two float32 components as one 8-byte item: one gather
# per byte instead of two (issue 30: 0.13 instead of 0.89 ms for 2048 x 64, identical)
_INT4_PAIRS = np.ascontiguousarray(_INT4_TABLE).view(np.uint64).ravel()


def _unpack_int4(buf, n: int, dim: int) -> np.ndarray:
    b = np.frombuffer(buf, np.uint8).reshape(n, dim // 2)
    return _INT4_PAIRS[b].view(np.float32).reshape(n, dim)


def stored_copy(f: LocalFeatures, extractor_id: str, storage: Optional[str] = None) -> LocalFeatures:
    """The features as a reference database returns them after storing (the
    evaluation verifies against exactly what the product reads); ``storage``
    overrides what a new database stores (storage_of)."""
    storage = storage or storage_of(extractor_id)
    n, dim, kp, desc, scores = encode_features(f, storage)
    return decode_features(n, dim, kp, desc, scores, f.image_size)
