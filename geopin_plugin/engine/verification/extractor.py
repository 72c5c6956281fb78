"""What every local-feature extractor shares: the input check, the working copy it
runs on (long side at most the preset's, sides rounded as its network needs), the
keep-mask at that size and the way back to the input's pixel frame.

An extractor is ``extract(rgb, mask=None) -> LocalFeatures`` with keypoints in the
pixel frame of the image it was given (``rootsift.py``, ``xfeat.py``, ``disk.py``);
``registry.load_extractor`` builds one by preset name.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np

from ..models import ModelError


class ExtractorError(ModelError):
    """An extractor cannot run on this input or preset."""


@dataclass(frozen=True)
class Frame:
    """An input image of ``size`` (w, h) and the working copy of ``work`` (w, h)."""
    size: Tuple[int, int]
    work: Tuple[int, int]
    scale: float  # working / input, at most 1 before rounding

    @property
    def resized(self) -> bool:
        return self.work != self.size

    def mask(self, mask: Optional[np.ndarray]) -> Optional[np.ndarray]:
        """The keep-mask (non-zero: keep) as 0/1 uint8 at the working size."""
        import cv2

        if mask is None:
            return None
        mask = np.asarray(mask)
        if mask.shape[:2] != self.size[::-1]:
            raise ExtractorError(f"mask shape {mask.shape[:2]} does not match image {self.size[::-1]}")
        return cv2.resize((mask > 0).astype(np.uint8), self.work, interpolation=cv2.INTER_NEAREST)

    def to_input(self, xy: np.ndarray) -> np.ndarray:
        """Working-copy (x, y) -> the input's pixel frame, float32 (computed in float32
        for float32 points, in float64 for integer ones)."""
        (w, h), (sw, sh) = self.size, self.work
        factor = np.array([w / float(sw), h / float(sh)], np.result_type(xy.dtype, np.float32))
        return (xy * factor).astype(np.float32)


def frame(image: np.ndarray, long_side: int, multiple: int = 1, minimum: int = 1) -> Frame:
    """Check an RGB uint8 image and size its working copy: scaled so the long side is
    at most ``long_side`` (never up), each side rounded down to ``multiple`` and at
    least ``minimum`` pixels."""
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ExtractorError(f"expected an RGB uint8 (H, W, 3) image, got {image.dtype} {image.shape}")
    h, w = image.shape[:2]
    scale = min(1.0, long_side / float(max(h, w)))
    sw = max(minimum, int(round(w * scale)) // multiple * multiple)
    sh = max(minimum, int(round(h * scale)) // multiple * multiple)
    return Frame((w, h), (sw, sh), scale)
