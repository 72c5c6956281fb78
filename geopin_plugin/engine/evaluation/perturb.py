"""Phone-photo conditions applied to evaluation query views (protocol amsterdam-xcond).

The shared Amsterdam queries come from the same camera as the references; real
phone photos differ in light, sharpness, compression, framing and zoom. Each
condition here is deterministic (its random parts seeded by the item key), so a
protocol gives the same pixels every run:

* ``night``: gamma 2.2 darkening to ~30 % brightness, warm cast (sodium light),
  sensor noise sigma 6 (in 0..255), then JPEG 75;
* ``blur``: linear motion blur, 15 px at 1024 px width, direction from the seed;
* ``jpeg40``: JPEG quality 40;
* ``tilt``: in-plane rotation of +-15 degrees (sign from the seed), cropped to the
  largest axis-aligned rectangle so no black corners;
* ``zoom``: 1.5x digital zoom (the central 2/3, upscaled back);
* ``portrait``: a 3:4 portrait crop of the centre (a phone held upright).
"""
from __future__ import annotations

import hashlib
import math

import numpy as np

CONDITIONS = ("night", "blur", "jpeg40", "tilt", "zoom", "portrait")
# Frames that should fail alone (the album protocols, engine/evaluation/album_protocols.py):
# ``blur40`` motion blur 40 px at 1024 px width; ``dark`` a night frame (gamma 2.2
# x 0.25, warm cast: 13-15 % of the mean brightness on Lund 05 and 20), noise
# sigma 10, JPEG 60; ``ground`` the bottom 30 % (road, cobbles), ``sky`` the top
# 25 %, ``facade`` the central 20 % x 20 % (a detail with no context), each
# upscaled back to the frame size. Not all of them fail alone (docs/geolocation.md).
DEGRADATIONS = ("blur40", "dark", "ground", "sky", "facade")
REFRAMING = ("tilt", "zoom", "portrait", "ground", "sky", "facade")  # these crop, zoom or turn: the pinhole changes


def _rng(key: str) -> np.random.Generator:
    return np.random.default_rng(int(hashlib.sha256(key.encode()).hexdigest()[:12], 16))


def _jpeg(rgb: np.ndarray, quality: int) -> np.ndarray:
    import cv2

    ok, buf = cv2.imencode(".jpg", rgb[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    return np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR)[:, :, ::-1])


def night(rgb: np.ndarray, rng) -> np.ndarray:
    x = (rgb.astype(np.float32) / 255.0) ** 2.2 * 0.9
    x *= np.array([1.15, 0.95, 0.7], np.float32)  # warm street light
    x = x * 255.0 + rng.normal(0.0, 6.0, x.shape).astype(np.float32)
    return _jpeg(np.clip(x, 0, 255).astype(np.uint8), 75)


def _motion_blur(rgb: np.ndarray, rng, px_at_1024: int) -> np.ndarray:
    import cv2

    length = max(3, int(round(px_at_1024 * rgb.shape[1] / 1024.0)))
    angle = float(rng.uniform(0, 180))
    k = np.zeros((length, length), np.float32)
    c = (length - 1) / 2.0
    dx, dy = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    for t in np.linspace(-c, c, 4 * length):
        k[int(round(c + t * dy)), int(round(c + t * dx))] = 1.0
    return cv2.filter2D(rgb, -1, k / k.sum(), borderType=cv2.BORDER_REFLECT)


def blur(rgb: np.ndarray, rng) -> np.ndarray:
    return _motion_blur(rgb, rng, 15)


def tilt(rgb: np.ndarray, rng) -> np.ndarray:
    import cv2

    h, w = rgb.shape[:2]
    angle = 15.0 if rng.uniform() < 0.5 else -15.0
    m = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle, 1.0)
    rot = cv2.warpAffine(rgb, m, (w, h), flags=cv2.INTER_LINEAR)
    # largest axis-aligned rectangle of the same aspect inside the rotated frame
    a = math.radians(abs(angle))
    s = min(w / (w * math.cos(a) + h * math.sin(a)), h / (w * math.sin(a) + h * math.cos(a)))
    cw, ch = int(w * s), int(h * s)
    x0, y0 = (w - cw) // 2, (h - ch) // 2
    return np.ascontiguousarray(rot[y0:y0 + ch, x0:x0 + cw])


def zoom(rgb: np.ndarray, rng) -> np.ndarray:
    import cv2

    h, w = rgb.shape[:2]
    cw, ch = int(round(w / 1.5)), int(round(h / 1.5))
    x0, y0 = (w - cw) // 2, (h - ch) // 2
    return cv2.resize(rgb[y0:y0 + ch, x0:x0 + cw], (w, h), interpolation=cv2.INTER_CUBIC)


def portrait(rgb: np.ndarray, rng) -> np.ndarray:
    h, w = rgb.shape[:2]
    cw = min(w, int(round(h * 3 / 4)))
    x0 = (w - cw) // 2
    return np.ascontiguousarray(rgb[:, x0:x0 + cw])


def _crop_up(rgb: np.ndarray, top: float, bottom: float, left: float, right: float) -> np.ndarray:
    """The crop (fractions of the frame) upscaled back to the frame's size."""
    import cv2

    h, w = rgb.shape[:2]
    crop = rgb[int(round(top * h)):int(round(bottom * h)), int(round(left * w)):int(round(right * w))]
    return cv2.resize(np.ascontiguousarray(crop), (w, h), interpolation=cv2.INTER_CUBIC)


def dark(rgb: np.ndarray, rng) -> np.ndarray:
    x = (rgb.astype(np.float32) / 255.0) ** 2.2 * 0.25
    x *= np.array([1.15, 0.95, 0.7], np.float32)
    x = x * 255.0 + rng.normal(0.0, 10.0, x.shape).astype(np.float32)
    return _jpeg(np.clip(x, 0, 255).astype(np.uint8), 60)


DEGRADE = {
    "blur40": lambda rgb, rng: _motion_blur(rgb, rng, 40),
    "dark": dark,
    "ground": lambda rgb, rng: _crop_up(rgb, 0.70, 1.0, 0.0, 1.0),
    "sky": lambda rgb, rng: _crop_up(rgb, 0.0, 0.25, 0.0, 1.0),
    "facade": lambda rgb, rng: _crop_up(rgb, 0.40, 0.60, 0.40, 0.60),
}


def apply(rgb: np.ndarray, condition: str, key: str) -> np.ndarray:
    """The view as a phone would have taken it under ``condition``."""
    rng = _rng(key)
    if condition == "jpeg40":
        return _jpeg(rgb, 40)
    fns = {"night": night, "blur": blur, "tilt": tilt, "zoom": zoom, "portrait": portrait, **DEGRADE}
    if condition not in fns:
        raise ValueError(f"unknown condition {condition!r}; known: {', '.join(CONDITIONS + DEGRADATIONS)}")
    return fns[condition](np.ascontiguousarray(rgb), rng)
