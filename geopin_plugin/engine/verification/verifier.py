"""Geometric verification of retrieval candidates.

Fast tier ("xfeat-2k" by default, "rootsift-1k/2k" for databases built before
XFeat), run on every candidate with cached reference features:
  1. mutual nearest neighbours of the unit descriptors (one BLAS matmul per pair)
     + Lowe's ratio test;
  2. one-to-one in *position* too (SIFT repeats a keypoint at several
     orientations; duplicates would count one location several times);
  3. fundamental matrix with cv2.USAC_MAGSAC -> inliers;
  4. degeneracy guard: ``spread`` = the share of an 8x6 grid covered by the
     inliers, the smaller of query and reference side, scaled down when the inliers
     lie along a line (window rows, kerbs). Inliers bunched on a tree or a car get a
     low spread and are not ``verified`` however many they are.

``verified`` = inliers >= the extractor's threshold and spread >= MIN_SPREAD.
Then, for XFeat, the matcher tier: LighterGlue on the few best still-unverified
candidates, which it can only promote (``Verifier.verify``). ``registry.verifier_config``
and ``CONFS`` hold each extractor's measured settings (the registry's "verifier"
kind); tests assert against the constants.
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from typing import Callable, Dict, Optional

import numpy as np

from .blas_threads import single_threaded_blas
from .geometry import (GRID, RATIO, coverage, displacement, fundamental_inliers, mutual_matches, unique_positions,
                       vertical_extent)
from ..types import CancelFn, LocalFeatures, ProgressFn, canceled, scaled

MIN_INLIERS = 20  # unique one-to-one MAGSAC inliers (measured: different places <= 14)
MIN_SPREAD = 0.10  # share of GRID cells holding inliers on both images (>= 5 of 48), line-penalised
RANSAC_PX = 2.0  # MAGSAC threshold in pixels at a 1024 px long side (scaled with image size)
FAST_KEYPOINTS = 1024  # tier 1: the strongest keypoints per side, every candidate
FULL_KEYPOINTS = 2048  # tier 2: all stored keypoints, only the ambiguous band
REJECT_BELOW = 10  # tier-1 inliers below this: rejected without tier 2

# XFeat (the default extractor): every candidate with all 2048 keypoints (64-d: one
# 2048 x 2048 matmul is ~3 ms), no RootSIFT-style second pass.
XFEAT_KEYPOINTS = 2048
XFEAT_RATIO = 0.9  # Lowe ratio for XFeat's 64-d descriptors (not swept)
# Thresholds = the largest other-place count measured + 6 (twice the +-3 inliers a
# rerun on another CPU moved counts by), rounded up; scripts/inlier_distributions.py
# --protocol amsterdam-lopo amsterdam-xcond lund-loo (docs/evaluation.md):
# XFeat fast tier, Amsterdam pairs of other places (> 100 m; 20,912 pairs): median 12,
# p99.9 21, max 26; same-place pairs (<= 25 m, any heading, all three protocols)
# median 16, 35 % >= 30.
XFEAT_MIN_INLIERS = 32
# LighterGlue confirms the undecided band: the CONFIRM_BAND best unverified
# candidates by XFeat inliers. Its MAGSAC inliers (1024 kp), other places (377
# pairs): median 13, p99 36, max 42; same place median 52.
CONFIRM_BAND = 5
CONFIRM_MIN_FAST = 0
LIGHTERGLUE_KEYPOINTS = 1024
LIGHTERGLUE_MIN_INLIERS = 50
# The posterior's most-inliers anchor needs no floor with XFeat either: measured on
# amsterdam-lopo (cascade with LighterGlue >= 60, inlier_power 1), floors 18/22/26/never
# gave 75.0/70.3/65.6/64.1 % within 50 m against 73.4 % with none (docs/evaluation.md).
XFEAT_ANCHOR_MIN_INLIERS = 0
# LighterGlue's counts also re-rank the band when nothing verifies (the anchor then
# ranks by them): amsterdam-lopo 73.4 -> 76.6 %, amsterdam-xcond 72.9 -> 75.0 % within
# 50 m, Lund unchanged (docs/evaluation.md)
MATCHER_RERANKS = True
# Stop once 3 candidates verified (chunks of 10 in retrieval order; LighterGlue then
# skipped): measured on amsterdam-lopo / amsterdam-xcond / lund-loo, coverage and
# within 50 m unchanged, lund-loo within 10 m 89.7 -> 93.1 %, amsterdam-lopo within
# 25 m 51.6 -> 48.4 %, Lund's verification 4.5 -> 0.8 s a query (docs/evaluation.md)
ENOUGH_VERIFIED = 3
# Pixels that are not the place (issue 23): a camera's own overlay (nadir cap, hood,
# date stamp) matches at the same normalised position in two images of one rig; the
# scene moves. Tentative matches that moved less than STATIC_DISPLACEMENT (of the
# image's width / height) are dropped before MAGSAC, and a pair whose inliers lie in
# one horizontal band (10th-90th percentile of y within MIN_EXTENT of the height, on
# either image) gets spread 0: not verified. Measured by scripts/overlay_distributions.py
# (docs/geolocation.md "Pixels that are not the place").
STATIC_DISPLACEMENT = 0.005
MIN_EXTENT = 0.05
LEARNED_KEYPOINTS = 512  # LightGlue cost grows ~quadratically: 512 kp ~1.5 s/pair on 2 cores
LEARNED_MIN_INLIERS = 60  # LightGlue MAGSAC inliers (DISK, 512 kp): measured, different places <= 58; docs/evaluation.md


@dataclass
class VerifyConfig:
    name: str = "rootsift"  # the fast tier's name in Verification.tier
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
    static_displacement: float = STATIC_DISPLACEMENT  # 0: static matches count
    min_extent: float = MIN_EXTENT  # 0: no one-band check
    tier2_budget_s: Optional[float] = None  # stop tier 2 after this many seconds (None: no limit)
    threads: int = 2  # fast-tier threads
    matcher: Optional[str] = None  # matcher preset of the confirm tier (None: no confirm tier)
    band: int = 0  # unverified candidates the matcher sees
    band_min_inliers: int = 0  # ... with at least these fast-tier inliers
    matcher_keypoints: int = 1024
    matcher_min_inliers: int = 0
    # stop once this many candidates are verified (checked in chunks of ``chunk`` in
    # retrieval order; the matcher tier is then skipped); None: verify all
    enough_verified: Optional[int] = None
    chunk: int = 10
    # stop on evidence that nothing will verify (issue 30): once ``hopeless_after``
    # candidates (whole chunks) are examined, none verified and the best fast-tier count
    # among them is below ``hopeless_below``, the rest and the matcher tier are skipped;
    # None: never
    hopeless_after: Optional[int] = None
    hopeless_below: int = 0
    # the posterior's most-inliers anchor (nothing verified) needs at least this many
    # fast-tier inliers: below, the counts are this verifier's noise
    anchor_min_inliers: int = 0
    # the matcher's outcome replaces the fast tier's for every band candidate where it
    # found more inliers, verified or not (so the unverified anchor ranks by them)
    matcher_reranks: bool = False
    models_directory: Optional[str] = None


# Named verifier configurations (the registry's kind "verifier"): the settings measured
# for one kind of features, as VerifyConfig keywords.
CONFS = {
    "rootsift": {},  # VerifyConfig's defaults, measured on RootSIFT (databases built before XFeat)
    "xfeat": dict(name="xfeat", min_inliers=XFEAT_MIN_INLIERS, fast_keypoints=XFEAT_KEYPOINTS,
                  full_keypoints=XFEAT_KEYPOINTS, reject_below=0, ratio=XFEAT_RATIO,
                  matcher="lighterglue-xfeat", band=CONFIRM_BAND, band_min_inliers=CONFIRM_MIN_FAST,
                  matcher_keypoints=LIGHTERGLUE_KEYPOINTS, matcher_min_inliers=LIGHTERGLUE_MIN_INLIERS,
                  anchor_min_inliers=XFEAT_ANCHOR_MIN_INLIERS, matcher_reranks=MATCHER_RERANKS,
                  enough_verified=ENOUGH_VERIFIED),
    "learned": dict(full_keypoints=LEARNED_KEYPOINTS, min_inliers=LEARNED_MIN_INLIERS),  # + LightGlue, every pair
}


def conf(name: str, **overrides) -> VerifyConfig:
    """A named configuration with overrides (None leaves a setting as measured)."""
    return replace(VerifyConfig(**CONFS[name]), **{k: v for k, v in overrides.items() if v is not None})


def build_verifier(name: str, config: Optional[VerifyConfig] = None, pair_matcher: Optional[str] = None,
                   models_directory=None, load_matcher: Optional[Callable] = None, **overrides):
    """The registry's verifier factory: ``config``, else conf ``name`` with overrides;
    ``pair_matcher``: a learned matcher on every pair instead of mutual nearest neighbours;
    ``load_matcher(preset, models_directory)``: how matchers are built (the registry's)."""
    config = config or conf(name, **overrides)
    if pair_matcher:
        return LearnedVerifier(config, pair_matcher, models_directory, load_matcher=load_matcher)
    return Verifier(config, load_matcher=load_matcher)


def lightglue_matcher(preset_id: str, models_directory=None):
    """The matcher of a verifier built without the registry (tests, scripts): LightGlue."""
    from .lightglue import LightGlueMatcher

    return LightGlueMatcher(preset_id, models_directory=models_directory)


@dataclass
class Verification:
    inliers: int
    inlier_ratio: float  # inliers / tentative matches
    spread: float  # 0..1, how well the inliers cover both images
    verified: bool
    matches: np.ndarray = field(repr=False)  # (M, 4) float32 [xq, yq, xr, yr] inliers
    tier: str = "rootsift-1k"
    tentative: int = 0
    seconds: float = 0.0
    static: int = 0  # tentative matches dropped as static (an overlay's, not the scene's)

    @property
    def score(self) -> float:
        """A ranking score: inliers weighted by coverage (0 when unverifiable)."""
        return float(self.inliers) * float(self.spread)


def _empty(tier="rootsift-mnn", tentative=0, seconds=0.0, static=0) -> Verification:
    return Verification(0, 0.0, 0.0, False, np.zeros((0, 4), np.float32), tier, tentative, seconds, static)


def _as_f32(desc: np.ndarray, n: int) -> np.ndarray:
    """The first n descriptors as float32. Extractors and the feature store hand
    out unit descriptors, so no renormalisation per pair (float16 rounding moves a
    norm by < 1e-3, which changes no nearest neighbour that matters)."""
    return np.asarray(desc[:n], np.float32)


class Verifier:
    """verify(query, refs) -> {ref_id: Verification}: the fast tier on every
    candidate, then the matcher tier on the undecided band (when the config names
    a matcher).

    Fast tier: mutual nearest neighbours on the strongest ``fast_keypoints`` of
    each side for every candidate (``threads`` interleaved shares: the BLAS matmul
    and MAGSAC release the GIL); a candidate verified there is accepted, one with
    fewer than ``reject_below`` inliers is rejected, and, when ``full_keypoints`` is
    larger (RootSIFT), the band between is matched again with all keypoints within
    ``tier2_budget_s``.

    Matcher tier ("confirm"): the ``band`` best still-unverified candidates by
    fast-tier inliers (at least ``band_min_inliers``) are matched by the learned
    matcher (LighterGlue for XFeat) on ``matcher_keypoints`` per side; it can only
    promote: a candidate it verifies (``matcher_min_inliers``) takes its outcome.
    """

    def __init__(self, config: Optional[VerifyConfig] = None, matcher=None, load_matcher: Optional[Callable] = None):
        """matcher: a learned matcher used *instead of* mutual nearest neighbours for
        every pair (the DISK + LightGlue evaluation tier); the confirm tier's
        matcher is ``load_matcher(config.matcher, config.models_directory)``."""
        self.config = config or VerifyConfig()
        self.matcher = matcher
        self._load_matcher = load_matcher or lightglue_matcher
        self._confirm_matcher = None

    @property
    def confirm_matcher(self):
        if self._confirm_matcher is None and self.config.matcher:
            self._confirm_matcher = self._load_matcher(self.config.matcher, self.config.models_directory)
        return self._confirm_matcher

    def identity(self) -> dict:
        """What decides an outcome (cache keys): the whole config and the matchers."""
        d = asdict(self.config)
        d.pop("models_directory", None)
        for guard in ("static_displacement", "min_extent"):  # off: the outcomes from before the guards
            if not d[guard]:
                d.pop(guard)
        d["pair_matcher"] = getattr(self.matcher, "preset_id", None)
        return d

    def verify_pair(self, q: LocalFeatures, r: LocalFeatures, max_keypoints: Optional[int] = None,
                    tier: str = "", _dq: Optional[np.ndarray] = None, matcher=None,
                    min_inliers: Optional[int] = None) -> Verification:
        c = self.config
        matcher = matcher if matcher is not None else self.matcher
        k = int(max_keypoints or c.full_keypoints)
        tier = tier or f"{c.name}-{k}"
        t0 = time.perf_counter()
        nq, nr = min(len(q.keypoints), k), min(len(r.keypoints), k)
        if nq < 8 or nr < 8:
            return _empty(tier, seconds=time.perf_counter() - t0)
        if matcher is not None:
            tier = matcher.preset_id
            pairs, _ = matcher.match(q, r, k)
        else:
            dq = _dq if _dq is not None and len(_dq) == nq else _as_f32(q.descriptors, nq)
            pairs = mutual_matches(dq, _as_f32(r.descriptors, nr), c.ratio)
        if len(pairs) < 8:
            return _empty(tier, len(pairs), time.perf_counter() - t0)
        pq = np.asarray(q.keypoints, np.float32)[pairs[:, 0]]
        pr = np.asarray(r.keypoints, np.float32)[pairs[:, 1]]
        keep = unique_positions(pq, pr)
        pq, pr = pq[keep], pr[keep]
        static = 0
        if c.static_displacement > 0:  # an overlay's matches, not the scene's: before MAGSAC fits them
            moved = displacement(pq, pr, q.image_size, r.image_size) >= c.static_displacement
            static = int(len(pq) - moved.sum())
            pq, pr = pq[moved], pr[moved]
            if len(pq) < 8:
                return _empty(tier, len(pq), time.perf_counter() - t0, static)
        tentative = len(pq)
        scale = max(max(q.image_size), max(r.image_size)) / 1024.0
        inl = fundamental_inliers(pq, pr, c.ransac_px * max(scale, 0.5), c.confidence, c.max_iters)
        n = int(inl.sum())
        if n == 0:
            return _empty(tier, tentative, time.perf_counter() - t0, static)
        mq, mr = pq[inl], pr[inl]
        spread = min(coverage(mq, q.image_size, c.grid), coverage(mr, r.image_size, c.grid))
        if c.min_extent > 0 and min(vertical_extent(mq, q.image_size), vertical_extent(mr, r.image_size)) < c.min_extent:
            spread = 0.0  # one horizontal band: a horizon or a cap's edge, not a place
        need = c.min_inliers if min_inliers is None else min_inliers
        return Verification(
            inliers=n,
            inlier_ratio=n / float(tentative),
            spread=float(spread),
            verified=bool(n >= need and spread >= c.min_spread),
            matches=np.concatenate([mq, mr], axis=1).astype(np.float32),
            tier=tier,
            tentative=tentative,
            seconds=time.perf_counter() - t0,
            static=static,
        )

    # --- the fast tier -------------------------------------------------------------
    def _fast_part(self, query: LocalFeatures, refs: Dict[int, LocalFeatures], progress, is_canceled):
        c = self.config
        out: Dict[int, Verification] = {}
        total = max(1, len(refs))
        n1 = min(len(query.keypoints), c.fast_keypoints)
        dq1 = _as_f32(query.descriptors, n1) if n1 else None
        fast_tier = f"{c.name}-{c.fast_keypoints // 1024}k"
        for i, (rid, ref) in enumerate(refs.items()):
            if canceled(is_canceled):
                return out
            out[rid] = self.verify_pair(query, ref, c.fast_keypoints, fast_tier, dq1)
            if progress is not None:
                progress("verify", (i + 1) / total, "")
        more = c.full_keypoints > c.fast_keypoints
        band = [rid for rid, v in out.items()
                if more and not v.verified and v.inliers >= c.reject_below
                and (len(query.keypoints) > c.fast_keypoints or len(refs[rid].keypoints) > c.fast_keypoints)]
        band.sort(key=lambda rid: -out[rid].inliers)
        n2 = min(len(query.keypoints), c.full_keypoints)
        dq2 = _as_f32(query.descriptors, n2) if band else None
        t0 = time.perf_counter()
        for rid in band:
            if canceled(is_canceled):
                break
            if c.tier2_budget_s is not None and time.perf_counter() - t0 > c.tier2_budget_s:
                break
            v = self.verify_pair(query, refs[rid], c.full_keypoints, f"{c.name}-{c.full_keypoints // 1024}k", dq2)
            v.seconds += out[rid].seconds
            out[rid] = v
        return out

    def hopeless(self, outcomes: Dict[int, Verification]) -> bool:
        """Nothing will verify: the first ``hopeless_after`` outcomes (in the callers'
        order) hold no verified one and no count reaching ``hopeless_below``."""
        c = self.config
        if not c.hopeless_after or len(outcomes) < c.hopeless_after:
            return False
        first = list(outcomes.values())[: c.hopeless_after]
        return not any(v.verified for v in first) and max(v.inliers for v in first) < c.hopeless_below

    def enough(self, outcomes: Dict[int, Verification]) -> bool:
        c = self.config
        return bool(c.enough_verified) and sum(1 for v in outcomes.values() if v.verified) >= c.enough_verified

    def fast(self, query: LocalFeatures, refs: Dict[int, LocalFeatures], progress: Optional[ProgressFn] = None,
             is_canceled: Optional[CancelFn] = None) -> Dict[int, Verification]:
        """The fast tier over the candidates in order (all, or until ``enough_verified``
        of them verify); progress("verify", fraction of refs done, "")."""
        c = self.config
        if c.enough_verified and self.matcher is None:
            items = list(refs.items())
            out: Dict[int, Verification] = {}
            for start in range(0, len(items), c.chunk):
                part = dict(items[start:start + c.chunk])
                base = start / max(1, len(items))
                share = len(part) / max(1, len(items))
                out.update(self._fast_all(query, part, scaled(progress, base, share), is_canceled))
                if self.enough(out) or self.hopeless(out) or canceled(is_canceled):
                    break
            return out
        return self._fast_all(query, refs, progress, is_canceled)

    def _fast_all(self, query, refs, progress, is_canceled) -> Dict[int, Verification]:
        if self.matcher is not None:  # a learned matcher on every pair
            out = {}
            for i, (rid, ref) in enumerate(refs.items()):
                if canceled(is_canceled):
                    break
                out[rid] = self.verify_pair(query, ref, self.config.full_keypoints)
                if progress is not None:
                    progress("verify", (i + 1) / max(1, len(refs)), "")
            return out
        items = list(refs.items())
        threads = max(1, min(int(self.config.threads), len(items)))
        parts = [dict(items[i::threads]) for i in range(threads)]
        done = [0.0] * threads
        lock = threading.Lock()

        def run(i):
            def part_progress(stage, fraction, message=""):
                with lock:
                    done[i] = len(parts[i]) * fraction
                    total = sum(done)
                if progress is not None:
                    progress(stage, total / max(1, len(items)), message)

            return self._fast_part(query, parts[i], part_progress, is_canceled)

        out: Dict[int, Verification] = {}
        if threads == 1:
            out.update(run(0) if items else {})
        else:  # our threads, not OpenBLAS's as well: four spinning threads on two cores (blas_threads.py)
            with single_threaded_blas(), ThreadPoolExecutor(max_workers=threads) as pool:
                for part in pool.map(run, range(threads)):
                    out.update(part)
        # in the callers' order
        return {rid: out[rid] for rid in refs if rid in out}

    # --- the matcher tier ------------------------------------------------------------
    def band(self, fast: Dict[int, Verification]) -> list:
        """The candidates the matcher sees: not verified by the fast tier, at least
        ``band_min_inliers``, the ``band`` best by fast inliers (ties: given order)."""
        c = self.config
        if not c.matcher or c.band <= 0:
            return []
        undecided = [rid for rid, v in fast.items() if not v.verified and v.inliers >= c.band_min_inliers]
        return sorted(undecided, key=lambda rid: -fast[rid].inliers)[: c.band]

    def confirm(self, query: LocalFeatures, refs: Dict[int, LocalFeatures],
                is_canceled: Optional[CancelFn] = None) -> Dict[int, Verification]:
        """The matcher's outcome for each of refs (verified at ``matcher_min_inliers``)."""
        c = self.config
        matcher = self.confirm_matcher

        def one(item):
            rid, ref = item
            if canceled(is_canceled):
                return rid, None
            return rid, self.verify_pair(query, ref, c.matcher_keypoints, matcher=matcher,
                                         min_inliers=c.matcher_min_inliers)

        # pairs in parallel: one LighterGlue run keeps about one core busy
        # (bench_models: 447 ms CPU in 480 ms wall at 1024 keypoints)
        threads = max(1, min(int(c.threads), len(refs)))
        if threads == 1:
            pairs = [one(item) for item in refs.items()]
        else:
            with ThreadPoolExecutor(max_workers=threads) as pool:
                pairs = list(pool.map(one, refs.items()))
        return {rid: v for rid, v in pairs if v is not None}

    def promote(self, fast: Dict[int, Verification], confirmed: Dict[int, Verification]) -> Dict[int, Verification]:
        """The matcher can only promote: a candidate it verifies takes its outcome; one
        it does not keeps the fast tier's (the matcher's sub-threshold counts are on
        another scale, and the posterior's most-inliers fallback ranks by fast ones),
        unless ``matcher_reranks``."""
        out = dict(fast)
        for rid, v in confirmed.items():
            if v.verified or (self.config.matcher_reranks and v.inliers > fast[rid].inliers):
                v.seconds += fast[rid].seconds
                out[rid] = v
            else:
                out[rid].seconds += v.seconds
        return out

    def verify(self, query: LocalFeatures, refs: Dict[int, LocalFeatures], progress: Optional[ProgressFn] = None,
               is_canceled: Optional[CancelFn] = None) -> Dict[int, Verification]:
        """progress("verify", fraction, ""): the fast tier is the first 80 %, the matcher the rest."""
        has_band = bool(self.config.matcher) and self.config.band > 0 and self.matcher is None
        out = self.fast(query, refs, scaled(progress, 0.0, 0.8 if has_band else 1.0), is_canceled)
        if has_band and not self.enough(out) and not self.hopeless(out) and not canceled(is_canceled):
            band = self.band(out)
            if band:
                out = self.promote(out, self.confirm(query, {rid: refs[rid] for rid in band}, is_canceled))
        if progress is not None:
            progress("verify", 1.0, "")
        return out


class LearnedVerifier(Verifier):
    """The learned tier: LightGlue (ONNX) on DISK features for every pair, then the
    same one-to-one / MAGSAC / spread checks. Reference and query features must
    come from the "disk-640" extractor. Opt-in: seconds per pair here."""

    def __init__(self, config: Optional[VerifyConfig] = None, matcher_preset: str = "lightglue-disk",
                 models_directory=None, load_matcher: Optional[Callable] = None):
        load_matcher = load_matcher or lightglue_matcher
        config = config or conf("learned")
        super().__init__(config, matcher=load_matcher(matcher_preset, models_directory), load_matcher=load_matcher)
