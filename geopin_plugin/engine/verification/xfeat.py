"""XFeat local features (Potje et al., CVPR 2024) with onnxruntime: the default
extractor of the verifier.

The ONNX graph (``make models``, scripts/build_models.py) maps a gray image to
unit dense descriptors at 1/8 resolution, a full-resolution keypoint heatmap and
a reliability map at 1/8. What XFeat's own ``detectAndCompute`` does after the
network runs here in numpy, the same way (a parity test holds it to the torch
reference): 5x5 non-maximum suppression above ``detection_threshold``, score =
heatmap x bilinear reliability, the strongest ``max_keypoints``, descriptors
sampled bicubically (PyTorch's grid_sample, align_corners=False, zero padding)
and L2-normalised.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from .extractor import frame
from ..models import check_built, get_preset, make_session
from ..types import LocalFeatures

NMS_WINDOW = 5
CUBIC_A = -0.75  # PyTorch's bicubic convolution coefficient


class XFeatExtractor:
    """extract(rgb, mask=None) -> LocalFeatures: keypoints (x, y) in the input's
    pixel frame, strongest first; unit float32 descriptors (64-d)."""

    kind = "extractor"

    def __init__(self, preset_id: str = "xfeat-1024", models_directory=None, max_keypoints: Optional[int] = None,
                 threads: Optional[int] = None):
        preset = get_preset(preset_id)
        self.preset_id = preset_id
        self.long_side = max(preset.input_size)
        self.max_keypoints = int(max_keypoints or preset.extra.get("max_keypoints", 2048))
        self.threshold = float(preset.extra.get("detection_threshold", 0.05))
        self.dim = preset.dim
        self.path = check_built(preset_id, models_directory)
        self.session = make_session(self.path, threads)  # threads: onnxruntime intra-op (None: all cores)

    def dense(self, gray: np.ndarray):
        """(1, 1, H, W) float32 0..255, H and W multiples of 32 -> descriptors
        (64, H/8, W/8), heatmap (H, W), reliability (H/8, W/8)."""
        desc, heat, rel = self.session.run(None, {"image": gray})
        return desc[0], heat[0, 0], rel[0, 0]

    def extract(self, image: np.ndarray, mask: Optional[np.ndarray] = None) -> LocalFeatures:
        import cv2

        fr = frame(image, self.long_side, multiple=32, minimum=32)
        (w, h), (sw, sh) = fr.size, fr.work
        # XFeat's network input is the channel mean (not luminance)
        gray = image.astype(np.float32).mean(axis=2)
        if fr.resized:
            interp = cv2.INTER_AREA if fr.scale < 1.0 else cv2.INTER_LINEAR
            gray = cv2.resize(gray, (sw, sh), interpolation=interp)
        desc, heat, rel = self.dense(np.ascontiguousarray(gray[None, None], dtype=np.float32))
        xy = nms_positions(heat, self.threshold)
        m = fr.mask(mask)
        if m is not None:
            xy = xy[m[xy[:, 1], xy[:, 0]] > 0]
        pts = xy.astype(np.float32)
        scores = heat[xy[:, 1], xy[:, 0]] * sample_bilinear(rel[None], pts, sw, sh)[:, 0]
        order = np.argsort(-scores, kind="stable")[: self.max_keypoints]
        order = order[scores[order] > 0]
        pts, scores = pts[order], scores[order].astype(np.float32)
        d = sample_bicubic(desc, pts, sw, sh)
        d /= np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-12)
        return LocalFeatures(fr.to_input(pts), d.astype(np.float32), (w, h), scores)


def nms_positions(heat: np.ndarray, threshold: float, window: int = NMS_WINDOW) -> np.ndarray:
    """(K, 2) int (x, y) where ``heat`` equals its window maximum and exceeds
    ``threshold``, in row-major order (as torch's max-pool NMS + nonzero)."""
    import cv2

    dil = cv2.dilate(heat.astype(np.float32), np.ones((window, window), np.uint8), borderType=cv2.BORDER_REPLICATE)
    yx = np.argwhere((heat == dil) & (heat > threshold))
    return yx[:, ::-1].astype(np.int64)


def _grid_coords(pts: np.ndarray, fw: int, fh: int, w: int, h: int):
    """XFeat normalises pixel positions with (W-1, H-1) and samples with
    align_corners=False: the feature-map coordinate is x/(W-1)*fw - 0.5."""
    ix = pts[:, 0] / max(w - 1, 1) * fw - 0.5
    iy = pts[:, 1] / max(h - 1, 1) * fh - 0.5
    return ix, iy


def _taps(feat: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """feat (C, fh, fw) at integer positions, zero outside: (N, C)."""
    c, fh, fw = feat.shape
    ok = (xs >= 0) & (xs < fw) & (ys >= 0) & (ys < fh)
    out = feat[:, np.clip(ys, 0, fh - 1), np.clip(xs, 0, fw - 1)].T
    return out * ok[:, None]


def sample_bilinear(feat: np.ndarray, pts: np.ndarray, w: int, h: int) -> np.ndarray:
    c, fh, fw = feat.shape
    ix, iy = _grid_coords(pts, fw, fh, w, h)
    x0, y0 = np.floor(ix).astype(np.int64), np.floor(iy).astype(np.int64)
    tx, ty = (ix - x0)[:, None], (iy - y0)[:, None]
    return ((1 - tx) * (1 - ty) * _taps(feat, x0, y0) + tx * (1 - ty) * _taps(feat, x0 + 1, y0)
            + (1 - tx) * ty * _taps(feat, x0, y0 + 1) + tx * ty * _taps(feat, x0 + 1, y0 + 1)).astype(np.float32)


def _cubic_weights(t: np.ndarray) -> np.ndarray:
    """(N, 4) weights of taps at -1, 0, 1, 2 for fractional offsets t (Keys, A=-0.75)."""
    a = CUBIC_A

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return np.stack([far(t + 1), near(t), near(1 - t), far(2 - t)], axis=1)


def _taps_hwc(hwc: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """_taps on the (fh, fw, C) layout: each tap gathers one contiguous row of C
    values instead of C strided ones (the same values)."""
    fh, fw, c = hwc.shape
    ok = (xs >= 0) & (xs < fw) & (ys >= 0) & (ys < fh)
    return hwc[np.clip(ys, 0, fh - 1), np.clip(xs, 0, fw - 1)] * ok[:, None]


def sample_bicubic(feat: np.ndarray, pts: np.ndarray, w: int, h: int) -> np.ndarray:
    """grid_sample(mode='bicubic', align_corners=False, padding_mode='zeros') of
    feat (C, fh, fw) at pixel positions pts (N, 2) of a (w, h) image -> (N, C)."""
    c, fh, fw = feat.shape
    ix, iy = _grid_coords(pts, fw, fh, w, h)
    x0, y0 = np.floor(ix).astype(np.int64), np.floor(iy).astype(np.int64)
    wx, wy = _cubic_weights(ix - x0), _cubic_weights(iy - y0)
    # 16 taps of 2048 points: gathered from the channels-last copy (issue 30: the
    # strided gathers were as slow as the network on a view)
    hwc = np.ascontiguousarray(feat.transpose(1, 2, 0))
    out = np.zeros((len(pts), c), np.float64)
    for j in range(4):
        for i in range(4):
            out += (wx[:, i] * wy[:, j])[:, None] * _taps_hwc(hwc, x0 + i - 1, y0 + j - 1)
    return out.astype(np.float32)
