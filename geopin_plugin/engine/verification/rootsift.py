"""RootSIFT local features (OpenCV, model-free): the fallback extractor and what
databases built before XFeat hold. Arandjelovic & Zisserman 2012."""
from __future__ import annotations

from typing import Optional

import numpy as np

from .extractor import frame
from ..models import get_preset
from ..types import LocalFeatures


def bottom_mask(height: int, width: int, drop_fraction: float = 0.2) -> np.ndarray:
    """A keep-mask that drops the bottom part of an image (panorama car roof,
    blacked-out bottom of the Amsterdam panoramas)."""
    m = np.ones((height, width), np.uint8)
    cut = int(round(height * (1.0 - drop_fraction)))
    m[cut:] = 0
    return m


class RootSiftExtractor:
    kind = "extractor"

    def __init__(self, preset_id: str = "rootsift-2048", max_keypoints: Optional[int] = None,
                 long_side: Optional[int] = None):
        import cv2

        preset = get_preset(preset_id)
        self.preset_id = preset_id
        self.max_keypoints = int(max_keypoints or preset.extra.get("max_keypoints", 2048))
        self.long_side = int(long_side or max(preset.input_size))
        # contrastThreshold a bit lower than OpenCV's 0.04 so texture-poor street
        # views still reach the keypoint cap; the cap keeps the strongest responses.
        self._sift = cv2.SIFT_create(nfeatures=self.max_keypoints, contrastThreshold=0.02)
        self.dim = 128

    def extract(self, image: np.ndarray, mask: Optional[np.ndarray] = None) -> LocalFeatures:
        import cv2

        fr = frame(image, self.long_side)
        (w, h), scale = fr.size, fr.scale
        gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        if fr.resized:
            gray = cv2.resize(gray, fr.work, interpolation=cv2.INTER_AREA)
        m = fr.mask(mask)
        kps, desc = self._sift.detectAndCompute(gray, None if m is None else m * 255)
        if desc is None or len(kps) == 0:
            return LocalFeatures(np.zeros((0, 2), np.float32), np.zeros((0, 128), np.float16), (w, h),
                                 np.zeros((0,), np.float32))
        resp = np.array([k.response for k in kps], np.float32)
        order = np.argsort(-resp, kind="stable")[: self.max_keypoints]
        xy = np.array([k.pt for k in kps], np.float32)[order] / scale
        desc = desc[order].astype(np.float32)
        # RootSIFT (Arandjelovic & Zisserman 2012): L1-normalise, square root -> unit L2.
        desc /= np.maximum(desc.sum(axis=1, keepdims=True), 1e-7)
        desc = np.sqrt(desc)
        return LocalFeatures(xy.astype(np.float32), desc.astype(np.float16), (w, h), resp[order])
