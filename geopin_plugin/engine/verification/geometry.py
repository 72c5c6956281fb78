"""Matching two images' local features, the geometry under verify.py's verdicts:
mutual nearest neighbours with Lowe's ratio test, one match per location, MAGSAC
fundamental-matrix inliers and how well the inliers cover an image (``spread``).
"""
from __future__ import annotations

import numpy as np

GRID = (8, 6)  # coverage cells across, down
RATIO = 0.8  # Lowe ratio on descriptor distances (after the mutual check)


def mutual_matches(dq: np.ndarray, dr: np.ndarray, ratio: float = RATIO) -> np.ndarray:
    """(K, 2) index pairs: mutual nearest neighbours passing the ratio test.
    dq, dr: unit-norm float32 descriptors."""
    if len(dq) < 2 or len(dr) < 2:
        return np.zeros((0, 2), np.int64)
    return matches_from_similarity(dq @ dr.T, ratio)


def matches_from_similarity(sim: np.ndarray, ratio: float = RATIO) -> np.ndarray:
    """mutual_matches after its product: ``sim`` (query x reference cosine
    similarities, at least 2 x 2) is modified."""
    nn_q = sim.argmax(axis=1)
    rows = np.arange(len(sim))
    best = sim[rows, nn_q]
    # mutual: the reference descriptor's best query is this one (max over axis 0
    # is vectorised in numpy, argmax over axis 0 is not: 20x slower)
    mutual = best >= sim.max(axis=0)[nn_q]
    sim[rows, nn_q] = -2.0
    second = sim.max(axis=1)
    # distances of unit vectors: d^2 = 2 - 2 s
    d1 = np.sqrt(np.maximum(2.0 - 2.0 * best, 0.0))
    d2 = np.sqrt(np.maximum(2.0 - 2.0 * second, 1e-12))
    keep = np.flatnonzero(mutual & (d1 < ratio * d2))
    # exact ties (duplicate descriptors) could pass the mutual test twice: one query per reference
    _, first = np.unique(nn_q[keep], return_index=True)
    keep = keep[np.sort(first)]
    return np.stack([rows[keep], nn_q[keep]], axis=1)


def unique_positions(pq: np.ndarray, pr: np.ndarray, cell: float = 2.0) -> np.ndarray:
    """Indices keeping the first match per query location and per reference location."""
    kq = np.round(pq / cell).astype(np.int64)
    kr = np.round(pr / cell).astype(np.int64)
    _, iq = np.unique(kq, axis=0, return_index=True)
    keep = np.zeros(len(pq), bool)
    keep[iq] = True
    idx = np.flatnonzero(keep)
    _, ir = np.unique(kr[idx], axis=0, return_index=True)
    return np.sort(idx[ir])


def coverage(points: np.ndarray, size, grid=GRID) -> float:
    """Share of grid cells over an image of size (w, h) holding at least one point,
    times a line penalty (minor/major axis ratio of the points, saturating at 0.25)."""
    if len(points) == 0:
        return 0.0
    w, h = float(size[0]), float(size[1])
    gx = np.clip((points[:, 0] / w * grid[0]).astype(int), 0, grid[0] - 1)
    gy = np.clip((points[:, 1] / h * grid[1]).astype(int), 0, grid[1] - 1)
    cells = len(set(zip(gx.tolist(), gy.tolist()))) / float(grid[0] * grid[1])
    if len(points) < 3:
        return cells * 0.0
    c = (points - points.mean(axis=0)) / np.array([w, h])
    s = np.linalg.svd(c, compute_uv=False)
    elong = s[1] / max(s[0], 1e-9)
    return float(cells * min(1.0, elong / 0.25))


def fundamental_inliers(pq: np.ndarray, pr: np.ndarray, thr: float, conf: float, iters: int) -> np.ndarray:
    import cv2

    if len(pq) < 8:
        return np.zeros(len(pq), bool)
    try:
        F, mask = cv2.findFundamentalMat(pq, pr, cv2.USAC_MAGSAC, thr, conf, iters)
    except cv2.error:
        return np.zeros(len(pq), bool)
    if F is None or mask is None:
        return np.zeros(len(pq), bool)
    return mask.ravel().astype(bool)


def displacement(pq: np.ndarray, pr: np.ndarray, size_q, size_r) -> np.ndarray:
    """Each match's move between the two images in normalised positions (x / width,
    y / height): an overlay the camera carries (a nadir cap, a hood, a date stamp)
    sits at the same normalised position in every image of its rig, the scene moves."""
    if len(pq) == 0:
        return np.zeros(0, np.float32)
    nq = np.asarray(pq, np.float64) / np.array([float(size_q[0]), float(size_q[1])])
    nr = np.asarray(pr, np.float64) / np.array([float(size_r[0]), float(size_r[1])])
    return np.hypot(*(nq - nr).T).astype(np.float32)


def vertical_extent(points: np.ndarray, size) -> float:
    """The height of the band holding the central 80 % of the points (10th to 90th
    percentile of y / height): small when every inlier lies along one horizontal band
    (a horizon, the edge of a cap), which the line penalty of ``coverage`` misses when
    the band is a few rows of cells high."""
    if len(points) < 2:
        return 0.0
    y = np.asarray(points, np.float64)[:, 1] / float(size[1])
    lo, hi = np.percentile(y, [10, 90])
    return float(hi - lo)
