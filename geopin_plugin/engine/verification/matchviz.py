"""The match picture: query and reference side by side, inlier matches as lines."""
from __future__ import annotations

from typing import Optional, Tuple

import numpy as np


def _fit_height(image: np.ndarray, height: int) -> Tuple[np.ndarray, float]:
    import cv2

    h, w = image.shape[:2]
    scale = height / float(h)
    out = cv2.resize(image, (max(1, int(round(w * scale))), height),
                     interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    return out, scale


def draw_matches(query: np.ndarray, reference: np.ndarray, matches: Optional[np.ndarray],
                 query_feature_size: Optional[Tuple[int, int]] = None,
                 reference_feature_size: Optional[Tuple[int, int]] = None,
                 height: int = 480, gap: int = 8, max_lines: int = 300,
                 reference_mask: Optional[np.ndarray] = None) -> np.ndarray:
    """RGB picture (height, wq + gap + wr, 3). ``matches`` (M, 4) [xq, yq, xr, yr] are in
    the pixel frames of the images the features were extracted from, of sizes
    ``*_feature_size`` (w, h); they default to the images' own sizes.
    ``reference_mask``: the reference's static-overlay mask (bool cells over the view,
    overlay_masks.py), drawn hatched: no keypoint there was stored."""
    import cv2

    q, sq = _fit_height(np.ascontiguousarray(query, np.uint8), height)
    r, sr = _fit_height(np.ascontiguousarray(reference, np.uint8), height)
    if reference_mask is not None and np.any(reference_mask):
        r = shade_mask(r, reference_mask)
    canvas = np.full((height, q.shape[1] + gap + r.shape[1], 3), 255, np.uint8)
    canvas[:, :q.shape[1]] = q
    off = q.shape[1] + gap
    canvas[:, off:] = r
    if matches is None or len(matches) == 0:
        return canvas
    m = np.asarray(matches, dtype=float)
    qfw = (query_feature_size or (query.shape[1], query.shape[0]))[0]
    rfw = (reference_feature_size or (reference.shape[1], reference.shape[0]))[0]
    kq = sq * query.shape[1] / float(qfw)
    kr = sr * reference.shape[1] / float(rfw)
    step = max(1, int(np.ceil(len(m) / float(max_lines))))
    for i, (xq, yq, xr, yr) in enumerate(m[::step]):
        hue = int(180 * i / max(1, len(m[::step])))
        colour = cv2.cvtColor(np.uint8([[[hue, 220, 255]]]), cv2.COLOR_HSV2RGB)[0, 0].tolist()
        p1 = (int(round(xq * kq)), int(round(yq * kq)))
        p2 = (int(round(xr * kr)) + off, int(round(yr * kr)))
        cv2.line(canvas, p1, p2, colour, 1, cv2.LINE_AA)
        cv2.circle(canvas, p1, 3, colour, 1, cv2.LINE_AA)
        cv2.circle(canvas, p2, 3, colour, 1, cv2.LINE_AA)
    return canvas


MASK_COLOUR = (255, 0, 200)


def shade_mask(rgb: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """``rgb`` with the mask's cells tinted and hatched (visible on any scene)."""
    import cv2

    h, w = rgb.shape[:2]
    inside = cv2.resize(np.asarray(cells, np.uint8), (w, h), interpolation=cv2.INTER_NEAREST) > 0
    yy, xx = np.mgrid[0:h, 0:w]
    hatch = ((xx + yy) % 8) < 2
    out = rgb.copy()
    out[inside] = (0.55 * out[inside] + 0.45 * np.array(MASK_COLOUR)).astype(np.uint8)
    out[inside & hatch] = MASK_COLOUR
    return out
