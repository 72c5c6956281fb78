"""DISK local features (ONNX, onnxruntime; the learned evaluation tier's extractor)."""
from __future__ import annotations

from typing import Optional, Tuple

import numpy as np

from .extractor import frame
from ..models import check_built, get_preset, make_session
from ..types import LocalFeatures

NMS_WINDOW = 5


class DiskExtractor:
    """DISK keypoints/descriptors: extract(rgb, mask=None) -> LocalFeatures
    (keypoints in the input's pixel frame, unit float16 descriptors)."""

    kind = "extractor"

    def __init__(self, preset_id: str = "disk-640", models_directory=None, max_keypoints: Optional[int] = None,
                 threads: Optional[int] = None):
        preset = get_preset(preset_id)
        self.preset_id = preset_id
        self.long_side = max(preset.input_size)
        self.max_keypoints = int(max_keypoints or preset.extra.get("max_keypoints", 2048))
        self.dim = preset.dim
        self.path = check_built(preset_id, models_directory)
        self.session = make_session(self.path, threads)  # threads: onnxruntime intra-op (None: all cores)

    def dense(self, x: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """(1, 3, H, W) float32 0..1, H, W multiples of 16 -> heatmap (H, W), descriptors (128, H, W)."""
        heat, desc = self.session.run(None, {"image": x})
        return heat[0, 0], desc[0]

    def extract(self, image: np.ndarray, mask: Optional[np.ndarray] = None) -> LocalFeatures:
        import cv2

        fr = frame(image, self.long_side, minimum=16)
        (w, h), (sw, sh) = fr.size, fr.work
        small = cv2.resize(image, (sw, sh), interpolation=cv2.INTER_AREA) if fr.resized else image
        ph, pw = -sh % 16, -sw % 16
        x = np.zeros((1, 3, sh + ph, sw + pw), np.float32)
        x[0, :, :sh, :sw] = small.transpose(2, 0, 1).astype(np.float32) / 255.0
        heat, desc = self.dense(x)
        heat, desc = heat[:sh, :sw], desc[:, :sh, :sw]
        yx = nms_keypoints(heat, self.max_keypoints)
        m = fr.mask(mask)
        if m is not None:
            yx = yx[m[yx[:, 0], yx[:, 1]] > 0]
        scores = heat[yx[:, 0], yx[:, 1]].astype(np.float32)
        d = desc[:, yx[:, 0], yx[:, 1]].T.astype(np.float32)
        d /= np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-7)
        order = np.argsort(-scores, kind="stable")
        kp = fr.to_input(yx[order, ::-1])
        return LocalFeatures(kp, d[order].astype(np.float16), (w, h), scores[order])


def nms_keypoints(heat: np.ndarray, n: int, window: int = NMS_WINDOW, threshold: float = 0.0) -> np.ndarray:
    """(K, 2) int (row, col) of the strict local maxima of `heat` above `threshold`,
    at most `n` (strongest). Like kornia's DISK: a position whose window runs off
    the image is never a keypoint."""
    import cv2

    r = window // 2
    dil = cv2.dilate(heat.astype(np.float32), np.ones((window, window), np.uint8), borderType=cv2.BORDER_REPLICATE)
    peak = (heat >= dil) & (heat > threshold)
    # strict: no other equal value in the window
    eq = cv2.boxFilter((heat == dil).astype(np.float32), -1, (window, window), normalize=False,
                       borderType=cv2.BORDER_CONSTANT)
    peak &= eq <= 1.5
    peak[:r] = peak[-r:] = False
    peak[:, :r] = peak[:, -r:] = False
    yx = np.argwhere(peak)
    if len(yx) > n:
        s = heat[yx[:, 0], yx[:, 1]]
        yx = yx[np.argsort(-s, kind="stable")[:n]]
    return yx
