"""Plain data types shared by the pipeline stages (no QGIS, no torch).

Conventions: images are RGB uint8 numpy arrays of shape (H, W, 3); planar
coordinates are RD New (EPSG:28992) metres; embeddings are float32, L2-normalised.
"""
from dataclasses import dataclass
from typing import Optional, Tuple

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

