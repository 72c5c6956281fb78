"""Local features: RootSIFT (OpenCV, model-free, the fast tier); DISK (ONNX,
engine/learned.py) via the same ``load_extractor``.

``load_extractor(preset_id)`` -> object with ``preset_id`` and
``extract(rgb, mask=None) -> LocalFeatures``. Keypoints are float32 (x, y) in the
pixel frame of the image that was passed in (``image_size`` is its (w, h)),
descriptors are float16 (store them as they come), scores float32.

Extraction runs on a copy resized so the long side is at most the preset's
long side (1024), so a reference view and a phone photo are compared at
similar scales; keypoints are mapped back to the input's pixel frame.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from .models import ModelError, get_preset
from .types import LocalFeatures


class ExtractorError(ModelError):
    pass


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

        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ExtractorError(f"expected an RGB uint8 (H, W, 3) image, got {image.dtype} {image.shape}")
        h, w = image.shape[:2]
        scale = min(1.0, self.long_side / float(max(h, w)))
        gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        m = None
        if mask is not None:
            if mask.shape[:2] != (h, w):
                raise ExtractorError(f"mask shape {mask.shape[:2]} does not match image {(h, w)}")
            m = (np.asarray(mask) > 0).astype(np.uint8) * 255
        if scale < 1.0:
            size = (max(1, int(round(w * scale))), max(1, int(round(h * scale))))
            gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
            if m is not None:
                m = cv2.resize(m, size, interpolation=cv2.INTER_NEAREST)
        kps, desc = self._sift.detectAndCompute(gray, m)
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


def load_extractor(preset_id: Optional[str] = None, **kwargs):
    from .models import DEFAULT_EXTRACTOR

    preset_id = preset_id or DEFAULT_EXTRACTOR
    preset = get_preset(preset_id)
    if preset.kind != "extractor":
        raise ExtractorError(f"preset {preset_id!r} is a {preset.kind}, not an extractor")
    if preset_id.startswith("rootsift"):
        return RootSiftExtractor(preset_id, **kwargs)
    if preset_id.startswith("disk"):
        from .learned import DiskExtractor

        return DiskExtractor(preset_id, **kwargs)
    raise ExtractorError(f"extractor {preset_id!r} is not available in this version")
