"""Deterministic stand-ins for the real models, for the reference-database unit
tests only (never for the demo): a colour/layout random projection embedder and
OpenCV ORB local features; and the check that a database's search agrees with
an exact one."""
import cv2
import numpy as np
import pytest

from geopin.geopin_plugin.engine.types import LocalFeatures


class PixelEmbedder:
    """Downscaled 16x12 RGB pixels, centred, through a fixed random projection to
    `dim`, L2-normalised. Similar images get similar vectors."""

    def __init__(self, dim=64, preset_id="test-pixels-v1", seed=0):
        self.dim = dim
        self.preset_id = preset_id
        self._proj = np.random.default_rng(seed).standard_normal((16 * 12 * 3, dim)).astype(np.float32)
        self.calls = 0

    def embed(self, images):
        self.calls += len(images)
        rows = []
        for img in images:
            small = cv2.resize(img, (16, 12), interpolation=cv2.INTER_AREA).astype(np.float32).reshape(-1) / 255.0
            rows.append((small - small.mean()) @ self._proj)
        out = np.stack(rows).astype(np.float32)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


class OrbExtractor:
    preset_id = "test-orb-200"

    def __init__(self):
        self._orb = cv2.ORB_create(nfeatures=200)

    def extract(self, image):
        grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        kps, desc = self._orb.detectAndCompute(grey, None)
        if desc is None:
            desc = np.zeros((0, 32), dtype=np.uint8)
        return LocalFeatures(
            keypoints=np.array([k.pt for k in kps], dtype=np.float32).reshape(-1, 2),
            descriptors=desc.astype(np.float16),
            image_size=(image.shape[1], image.shape[0]),
            scores=np.array([k.response for k in kps], dtype=np.float32))


def assert_search_matches_exact(db, n_queries=5, k=10):
    vecs = db.embeddings(db.ids()[:n_queries])
    approx = db.search(vecs, k=k)
    exact = db.exact_search(vecs, k=k)
    all_ids = set(db.ids().tolist())
    for a, e in zip(approx, exact):
        assert {h.view_id for h in a} <= all_ids
        assert a[0].view_id == e[0].view_id
        assert a[0].similarity == pytest.approx(1.0, abs=1e-4)
        assert len({h.view_id for h in a} & {h.view_id for h in e}) >= k - 1


# Model recipes for worker processes (engine/builder/loaders.py): module-level, so a
# spawned worker or a Dask worker imports them by name. POISON_RGB is a colour the
# crashing embedder dies on, like a decoder that segfaults on one damaged file.
POISON_RGB = (255, 0, 255)
SLOW_EMBED_S = 0.25


def pixel_models():
    return PixelEmbedder(), OrbExtractor()


class _SlowEmbedder(PixelEmbedder):
    def embed(self, images):
        import time

        time.sleep(SLOW_EMBED_S)
        return super().embed(images)


def slow_pixel_models():
    return _SlowEmbedder(), None


class _PoisonedEmbedder(PixelEmbedder):
    def embed(self, images):
        import os
        import signal

        for img in images:
            if np.abs(img.reshape(-1, 3).mean(axis=0) - POISON_RGB).max() < 2:
                os.kill(os.getpid(), signal.SIGKILL)
        return super().embed(images)


def poisoned_pixel_models():
    return _PoisonedEmbedder(), None


def broken_models():
    raise RuntimeError("model file not built")
