"""LightGlue (ONNX, onnxruntime): the learned matcher, on DISK features
("lightglue-disk") and on XFeat's ("lighterglue-xfeat", the verifier's band).

Built by ``make models`` (see scripts/build_models.py). LightGlue on DISK is far
slower than RootSIFT on a 2-core CPU (seconds per pair, see docs/models.md), so
the verifier uses it only when asked (the registry's verifier "learned" on DISK feature stores).
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..models import check_built, get_preset, make_session
from ..types import LocalFeatures


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

    @classmethod
    def feeds(cls, f0: LocalFeatures, f1: LocalFeatures, max_keypoints: Optional[int] = None) -> dict:
        """The graph's inputs for a pair: the strongest ``max_keypoints`` a side."""
        k = max_keypoints or max(len(f0.keypoints), len(f1.keypoints))
        return {
            "kpts0": cls.normalize(np.asarray(f0.keypoints[:k], np.float32), f0.image_size)[None],
            "kpts1": cls.normalize(np.asarray(f1.keypoints[:k], np.float32), f1.image_size)[None],
            "desc0": np.asarray(f0.descriptors[:k], np.float32)[None],
            "desc1": np.asarray(f1.descriptors[:k], np.float32)[None],
        }

    def scores(self, f0: LocalFeatures, f1: LocalFeatures, max_keypoints: Optional[int] = None) -> np.ndarray:
        return self.session.run(None, self.feeds(f0, f1, max_keypoints))[0][0]

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
