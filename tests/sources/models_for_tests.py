"""Small deterministic stand-ins for the real models (unit tests of the import only)."""
import cv2
import numpy as np

from geopin.geopin_plugin.engine.types import LocalFeatures


class TinyEmbedder:
    """12x9 RGB pixels, centred, through a fixed random projection; L2-normalised."""

    preset_id = "test-sources-pixels-v1"
    dim = 32

    def __init__(self):
        self._proj = np.random.default_rng(7).standard_normal((12 * 9 * 3, self.dim)).astype(np.float32)

    def embed(self, images):
        rows = []
        for img in images:
            small = cv2.resize(img, (12, 9), interpolation=cv2.INTER_AREA).astype(np.float32).reshape(-1) / 255.0
            rows.append((small - small.mean()) @ self._proj)
        out = np.stack(rows).astype(np.float32)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


class TinyOrb:
    preset_id = "test-sources-orb-100"

    def __init__(self):
        self._orb = cv2.ORB_create(nfeatures=100)

    def extract(self, image):
        grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        kps, desc = self._orb.detectAndCompute(grey, None)
        if desc is None:
            desc = np.zeros((0, 32), dtype=np.uint8)
        return LocalFeatures(keypoints=np.array([k.pt for k in kps], dtype=np.float32).reshape(-1, 2),
                             descriptors=desc.astype(np.float16), image_size=(image.shape[1], image.shape[0]),
                             scores=np.array([k.response for k in kps], dtype=np.float32))
