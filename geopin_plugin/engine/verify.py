"""Geometric verification of retrieval candidates.

Fast tier ("rootsift-mnn"), run on every candidate with cached reference features:
  1. mutual nearest neighbours of the L2-normalised descriptors (one BLAS matmul
     per pair) + Lowe's ratio test;
  2. one-to-one in *position* too (SIFT repeats a keypoint at several
     orientations; duplicates would count one location several times);
  3. fundamental matrix with cv2.USAC_MAGSAC -> inliers;
  4. degeneracy guard: ``spread`` = the share of an 8x6 grid covered by the
     inliers, the smaller of query and reference side, scaled down when the inliers
     lie along a line (window rows, kerbs). Inliers bunched on a tree or a car get a
     low spread and are not ``verified`` however many they are.

``verified`` = inliers >= MIN_INLIERS and spread >= MIN_SPREAD. The thresholds
are the constants below; tests assert against them.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Dict, Optional

import numpy as np

from .types import LocalFeatures

MIN_INLIERS = 20  # unique one-to-one MAGSAC inliers (measured: different places <= 14)
MIN_SPREAD = 0.10  # share of GRID cells holding inliers on both images (>= 5 of 48), line-penalised
GRID = (8, 6)  # cells across, down
RATIO = 0.8  # Lowe ratio on descriptor distances (after the mutual check)
RANSAC_PX = 2.0  # MAGSAC threshold in pixels at a 1024 px long side (scaled with image size)
FAST_KEYPOINTS = 1024  # tier 1: the strongest keypoints per side, every candidate
FULL_KEYPOINTS = 2048  # tier 2: all stored keypoints, only the ambiguous band
REJECT_BELOW = 10  # tier-1 inliers below this: rejected without tier 2


@dataclass
class VerifyConfig:
    min_inliers: int = MIN_INLIERS
    min_spread: float = MIN_SPREAD
    ratio: float = RATIO
    ransac_px: float = RANSAC_PX
    confidence: float = 0.999
    max_iters: int = 2000
    fast_keypoints: int = FAST_KEYPOINTS
    full_keypoints: int = FULL_KEYPOINTS
    reject_below: int = REJECT_BELOW
    grid: tuple = GRID
    tier2_budget_s: Optional[float] = None  # stop tier 2 after this many seconds (None: no limit)


@dataclass
class Verification:
    inliers: int
    inlier_ratio: float  # inliers / tentative matches
    spread: float  # 0..1, how well the inliers cover both images
    verified: bool
    matches: np.ndarray = field(repr=False)  # (M, 4) float32 [xq, yq, xr, yr] inliers
    tier: str = "rootsift-mnn"
    tentative: int = 0
    seconds: float = 0.0

    @property
    def score(self) -> float:
        """A ranking score: inliers weighted by coverage (0 when unverifiable)."""
        return float(self.inliers) * float(self.spread)


def _empty(tier="rootsift-mnn", tentative=0, seconds=0.0) -> Verification:
    return Verification(0, 0.0, 0.0, False, np.zeros((0, 4), np.float32), tier, tentative, seconds)


def _unit(desc: np.ndarray, n: int) -> np.ndarray:
    d = np.asarray(desc[:n], np.float32)
    return d / np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-7)


def mutual_matches(dq: np.ndarray, dr: np.ndarray, ratio: float = RATIO) -> np.ndarray:
    """(K, 2) index pairs: mutual nearest neighbours passing the ratio test.
    dq, dr: unit-norm float32 descriptors."""
    if len(dq) < 2 or len(dr) < 2:
        return np.zeros((0, 2), np.int64)
    sim = dq @ dr.T
    nn_q = sim.argmax(axis=1)
    rows = np.arange(len(dq))
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


def _unique_positions(pq: np.ndarray, pr: np.ndarray, cell: float = 2.0) -> np.ndarray:
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


class Verifier:
    """verify(query, refs) -> {ref_id: Verification}.

    Tier 1 ("rootsift-1k") matches the strongest ``fast_keypoints`` of each side
    for every candidate; a candidate already verified there is accepted, one with
    fewer than ``reject_below`` inliers is rejected, and the band between goes to
    tier 2 ("rootsift-2k"): all ``full_keypoints`` per side, strongest tier-1
    candidates first, within ``tier2_budget_s`` when set.
    """

    def __init__(self, config: Optional[VerifyConfig] = None, matcher=None):
        """matcher: optional learned matcher (engine.learned.LightGlueMatcher) used
        instead of mutual nearest neighbours for every pair (tier "lightglue"); the
        features must then be the matcher's (DISK). Seconds per pair on 2 cores."""
        self.config = config or VerifyConfig()
        self.matcher = matcher

    def verify_pair(self, q: LocalFeatures, r: LocalFeatures, max_keypoints: Optional[int] = None,
                    tier: str = "", _dq: Optional[np.ndarray] = None) -> Verification:
        c = self.config
        k = int(max_keypoints or c.full_keypoints)
        tier = tier or f"rootsift-{k // 1024}k"
        t0 = time.perf_counter()
        nq, nr = min(len(q.keypoints), k), min(len(r.keypoints), k)
        if nq < 8 or nr < 8:
            return _empty(tier, seconds=time.perf_counter() - t0)
        if self.matcher is not None:
            tier = self.matcher.preset_id
            pairs, _ = self.matcher.match(q, r, k)
        else:
            dq = _dq if _dq is not None and len(_dq) == nq else _unit(q.descriptors, nq)
            pairs = mutual_matches(dq, _unit(r.descriptors, nr), c.ratio)
        if len(pairs) < 8:
            return _empty(tier, len(pairs), time.perf_counter() - t0)
        pq = np.asarray(q.keypoints, np.float32)[pairs[:, 0]]
        pr = np.asarray(r.keypoints, np.float32)[pairs[:, 1]]
        keep = _unique_positions(pq, pr)
        pq, pr = pq[keep], pr[keep]
        tentative = len(pq)
        scale = max(max(q.image_size), max(r.image_size)) / 1024.0
        inl = fundamental_inliers(pq, pr, c.ransac_px * max(scale, 0.5), c.confidence, c.max_iters)
        n = int(inl.sum())
        if n == 0:
            return _empty(tier, tentative, time.perf_counter() - t0)
        mq, mr = pq[inl], pr[inl]
        spread = min(coverage(mq, q.image_size, c.grid), coverage(mr, r.image_size, c.grid))
        return Verification(
            inliers=n,
            inlier_ratio=n / float(tentative),
            spread=float(spread),
            verified=bool(n >= c.min_inliers and spread >= c.min_spread),
            matches=np.concatenate([mq, mr], axis=1).astype(np.float32),
            tier=tier,
            tentative=tentative,
            seconds=time.perf_counter() - t0,
        )

    def verify(self, query: LocalFeatures, refs: Dict[int, LocalFeatures],
               progress: Optional[Callable[[float], None]] = None,
               is_canceled: Optional[Callable[[], bool]] = None) -> Dict[int, Verification]:
        c = self.config
        out: Dict[int, Verification] = {}
        total = max(1, len(refs))
        if self.matcher is not None:
            for i, (rid, ref) in enumerate(refs.items()):
                if is_canceled is not None and is_canceled():
                    break
                out[rid] = self.verify_pair(query, ref, c.full_keypoints)
                if progress is not None:
                    progress(100.0 * (i + 1) / total)
            return out
        n1 = min(len(query.keypoints), c.fast_keypoints)
        dq1 = _unit(query.descriptors, n1) if n1 else None
        for i, (rid, ref) in enumerate(refs.items()):
            if is_canceled is not None and is_canceled():
                return out
            out[rid] = self.verify_pair(query, ref, c.fast_keypoints, "rootsift-1k", dq1)
            if progress is not None:
                progress(80.0 * (i + 1) / total)
        more = c.full_keypoints > c.fast_keypoints
        band = [rid for rid, v in out.items()
                if more and not v.verified and v.inliers >= c.reject_below
                and (len(query.keypoints) > c.fast_keypoints or len(refs[rid].keypoints) > c.fast_keypoints)]
        band.sort(key=lambda rid: -out[rid].inliers)
        n2 = min(len(query.keypoints), c.full_keypoints)
        dq2 = _unit(query.descriptors, n2) if band else None
        t0 = time.perf_counter()
        for j, rid in enumerate(band):
            if is_canceled is not None and is_canceled():
                break
            if c.tier2_budget_s is not None and time.perf_counter() - t0 > c.tier2_budget_s:
                break
            v = self.verify_pair(query, refs[rid], c.full_keypoints, "rootsift-2k", dq2)
            v.seconds += out[rid].seconds
            out[rid] = v
            if progress is not None:
                progress(80.0 + 20.0 * (j + 1) / len(band))
        if progress is not None:
            progress(100.0)
        return out


LEARNED_KEYPOINTS = 512  # LightGlue cost grows ~quadratically: 512 kp ~1.5 s/pair on 2 cores
LEARNED_MIN_INLIERS = 60  # LightGlue MAGSAC inliers (DISK, 512 kp): measured, different places <= 58; docs/evaluation.md


class LearnedVerifier(Verifier):
    """The learned tier: LightGlue (ONNX) on DISK features for every pair, then the
    same one-to-one / MAGSAC / spread checks. Reference and query features must
    come from the "disk-640" extractor. Opt-in: seconds per pair here."""

    def __init__(self, config: Optional[VerifyConfig] = None, matcher_preset: str = "lightglue-disk",
                 models_directory=None):
        from .learned import load_matcher

        config = config or VerifyConfig(full_keypoints=LEARNED_KEYPOINTS, min_inliers=LEARNED_MIN_INLIERS)
        super().__init__(config, matcher=load_matcher(matcher_preset, models_directory))
