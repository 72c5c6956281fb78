"""Plain data types shared by the pipeline stages (no QGIS, no torch).

Conventions: images are RGB uint8 numpy arrays of shape (H, W, 3); planar
coordinates are RD New (EPSG:28992) metres; embeddings are float32, L2-normalised.
"""
from dataclasses import dataclass
from typing import Callable, Optional, Tuple

import numpy as np


@dataclass
class LocalFeatures:
    keypoints: np.ndarray  # (N, 2) float32 pixel x, y in the extracted image
    descriptors: np.ndarray  # (N, D) float16 when stored, float32 in memory is fine
    image_size: Tuple[int, int]  # (width, height) of the image the keypoints refer to
    scores: Optional[np.ndarray] = None  # (N,) float32 detector scores


@dataclass
class SearchHit:
    view_id: int
    similarity: float  # cosine similarity of the L2-normalised embeddings


# The one progress/cancel contract of the engine. Every long call (locate, build, import,
# mask learning, evaluation) takes ``progress(stage, fraction, message)`` -- the step it
# is in ("embed", "verify", "build", "masks", "references", ...), the share of the call
# (or of that stage, where the caller says so) done in 0..1, and a message for people
# that may be "" -- and ``is_canceled()``, asked between steps. Processing and the dock
# each turn it into their feedback in one place (processing/base.py, gui/locate_task.py).
ProgressFn = Callable[[str, float, str], None]
CancelFn = Callable[[], bool]


def scaled(progress: Optional[ProgressFn], start: float, share: float) -> Optional[ProgressFn]:
    """``progress`` for a part of a call that covers [start, start + share] of it."""
    if progress is None:
        return None
    return lambda stage, fraction, message="": progress(stage, start + share * fraction, message)


def canceled(is_canceled: Optional[CancelFn]) -> bool:
    return is_canceled is not None and bool(is_canceled())
