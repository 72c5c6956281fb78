"""Evaluation harness: run a protocol with a preset and measure it.

Stages, each cached on disk so repeated runs (other TOP_K, other verification
tier, other estimator) are cheap:

* images: panoramas are read once per file and cut into every view the
  protocol needs (:mod:`.panorama`);
* embeddings: ``<cache>/<embedder preset>/emb/<item digest>.npy`` (+ the
  seconds it took);
* local features: ``<cache>/<extractor preset>/feat/<item digest>.npz``;
* verification: ``<cache>/verify-<extractor>-<verifier config hash>/<query digest>.npz``
  (per reference: inliers, spread, verified...).

Leave-one-out without rebuilding: the full reference set of a protocol is
embedded once; a query's search runs exactly over all references with its own
group(s) masked out, so it returns the ids and order an exact-search database
without that group would return (ties broken by reference order).

Results are :class:`QueryResult` rows; :func:`summarize` turns them into the
paper-style tables. Everything is deterministic: sorted inputs, exact search,
stable sorts; only the timing columns vary between machines and runs.
"""
from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import time
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from .geo import geodesic_distance_m, wgs84_to_rd
from .protocols import Item, Protocol, Query, item_digest
from .types import LocalFeatures

DISTANCE_THRESHOLDS_M = (10.0, 25.0, 50.0, 100.0, 1000.0, 25000.0)
RECALL_AT = (1, 5, 10)
CONFIDENT_LABEL = "confident"
# A confident answer is "right" when within this distance of the truth (the
# design's meaning of confidence: of answers called confident, the share within 50 m).
CONFIDENT_RADIUS_M = 50.0
ESTIMATORS = ("pipeline", "top1", "hybrid")
TIERS = ("none", "fast", "cascade", "learned")


class EvaluationError(RuntimeError):
    pass


def default_cache_dir() -> Path:
    override = os.environ.get("GEOPIN_EVAL_CACHE")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "build" / "eval-cache"


# --- configuration ---------------------------------------------------------------------

@dataclass(frozen=True)
class EvalConfig:
    """One evaluated preset: embedder (+ whitening), verification tier, TOP_K/VERIFY_TOP."""

    embedder: str = ""  # "" -> models.DEFAULT_EMBEDDER
    whitening: bool = False
    extractor: str = ""  # "" -> models.DEFAULT_EXTRACTOR
    # none: no verification; cascade: the product's verifier for the extractor (XFeat
    # MNN on every candidate + LighterGlue on the undecided band); fast: its first tier
    # only; learned: the fast tier + DISK LightGlue on the band (evaluation only)
    tier: str = "cascade"
    top_k: int = 100
    verify_top: int = 50
    # pipeline: the posterior's estimate; top1: copy the best reference after verification
    # (the baseline's rule); hybrid: the posterior when something verified, else top1
    estimator: str = "pipeline"
    # tier=learned only: LightGlue (DISK) on at most this many candidates the fast tier
    # did not verify (the first by fast-tier inliers, then retrieval order), and the
    # LightGlue MAGSAC inliers that make such a candidate verified (0: verify.LEARNED_MIN_INLIERS)
    learned_top: int = 5
    learned_min_inliers: int = 0
    # threshold sweeps (0 / -1: verify.py's measured defaults for the extractor)
    min_inliers: int = 0
    matcher_min_inliers: int = 0
    band: int = -1
    enough_verified: int = -1  # -1: verify.py's default; 0: verify every candidate
    anchor_min_inliers: int = -1  # -1: verify.py's default for the extractor
    best_point: str = ""  # "": posterior.PosteriorConfig's; mean | mode
    matcher_reranks: int = -1  # -1: verify.py's default; 0/1
    matcher_keypoints: int = 0  # 0: verify.py's default
    band_min_inliers: int = -1  # -1: verify.py's default
    inlier_power: float = 0.0  # 0: posterior.PosteriorConfig's
    # pose: the verified references' bearing lines sharpen the posterior
    # (pipeline.PipelineConfig.position_method); density: the posterior alone. The
    # heading is estimated either way.
    position: str = "density"

    def resolved(self) -> "EvalConfig":
        from .models import DEFAULT_EMBEDDER, DEFAULT_EXTRACTOR
        from .verify import LEARNED_MIN_INLIERS

        return replace(self, embedder=self.embedder or DEFAULT_EMBEDDER, extractor=self.extractor or DEFAULT_EXTRACTOR,
                       top_k=int(self.top_k), verify_top=int(self.verify_top), learned_top=int(self.learned_top),
                       learned_min_inliers=int(self.learned_min_inliers or LEARNED_MIN_INLIERS))

    @property
    def name(self) -> str:
        c = self.resolved()
        w = "+white" if c.whitening else ""
        tier = c.tier if c.tier == "none" else f"{c.tier}:{c.extractor}"
        if c.tier == "learned":
            tier = f"fast:{c.extractor} + lightglue top{c.learned_top} ≥{c.learned_min_inliers}"
        if c.tier != "none":
            vc = make_verifier(c).config
            tier += f" ≥{vc.min_inliers}"
            if vc.matcher and vc.band:
                tier += f" + {vc.matcher} {vc.matcher_keypoints}kp top{vc.band}"
                tier += f" (fast ≥{vc.band_min_inliers})" if vc.band_min_inliers else ""
                tier += f" ≥{vc.matcher_min_inliers}"
            if vc.enough_verified:
                tier += f" stop@{vc.enough_verified}"
            if vc.anchor_min_inliers:
                tier += f" anchor≥{vc.anchor_min_inliers}"
            if vc.matcher_reranks:
                tier += " (matcher reranks)"
        point = f" ({c.best_point})" if c.best_point else ""
        point += f" (inliers^{c.inlier_power:g})" if c.inlier_power else ""
        pos = "" if c.position == "density" else f" · {c.position}"
        return f"{c.embedder}{w} · {tier} · k{c.top_k}/v{c.verify_top} · {c.estimator}{point}{pos}"

    @classmethod
    def parse(cls, spec: str) -> "EvalConfig":
        """``key=value,key=value`` (keys: embedder, whitening, extractor, tier,
        top_k, verify_top, estimator, learned_top, learned_min_inliers); an empty
        spec is the default preset."""
        kw = {}
        known = {f.name: f.type for f in fields(cls)}
        for part in filter(None, (p.strip() for p in spec.split(","))):
            if "=" not in part:
                raise ValueError(f"preset spec part {part!r} is not key=value")
            k, v = (s.strip() for s in part.split("=", 1))
            if k not in known:
                raise ValueError(f"unknown preset key {k!r}; known: {', '.join(known)}")
            if k in ("top_k", "verify_top", "learned_top", "learned_min_inliers", "min_inliers",
                     "matcher_min_inliers", "band", "enough_verified", "anchor_min_inliers", "matcher_reranks", "matcher_keypoints", "band_min_inliers"):
                kw[k] = int(v)
            elif k == "inlier_power":
                kw[k] = float(v)
            elif k == "whitening":
                kw[k] = v.lower() in ("1", "true", "yes", "on")
            else:
                kw[k] = v
        cfg = cls(**kw)
        if cfg.tier not in TIERS:
            raise ValueError(f"tier must be one of {', '.join(TIERS)}, not {cfg.tier!r}")
        if cfg.estimator not in ESTIMATORS:
            raise ValueError(f"estimator must be one of {', '.join(ESTIMATORS)}, not {cfg.estimator!r}")
        if cfg.position not in ("pose", "density"):
            raise ValueError(f"position must be pose or density, not {cfg.position!r}")
        if cfg.learned_top < 0 or cfg.learned_min_inliers < 0:
            raise ValueError("learned_top and learned_min_inliers must be >= 0")
        return cfg


# --- per-query results -------------------------------------------------------------------

@dataclass
class QueryResult:
    protocol: str
    query: str  # human label: file (+ heading, fov)
    key: str  # the item's cache key
    group: str
    place: str
    kind: str
    positive: bool
    truth_lat: Optional[float]
    truth_lon: Optional[float]
    est_lat: Optional[float]
    est_lon: Optional[float]
    error_m: Optional[float]  # geodesic metres; None: no truth or no estimate
    confidence: float
    label: str
    error_radius_m: Optional[float]
    rank_retrieval: Optional[int]  # 1-based rank of the first correct reference, retrieval order
    rank_verified: Optional[int]  # same after verification re-ranking
    n_verified: int
    top_ref: str  # the best reference after verification (key)
    top_ref_dist_m: Optional[float]  # its distance to the truth
    correct_ref: str  # the first correct reference in retrieval order, else the nearest visible one
    answer_ref: str  # the candidate nearest to the estimate: the reference the answer rests on
    top_similarity: float
    top_inliers: int
    top_spread: float
    t_embed: float = 0.0
    t_search: float = 0.0
    t_verify: float = 0.0
    t_estimate: float = 0.0
    t_total: float = 0.0
    position_method: str = ""  # triangulated / line / density
    heading_deg: Optional[float] = None
    heading_sd_deg: Optional[float] = None
    heading_error_deg: Optional[float] = None  # |estimate - truth| where the truth heading is known
    hfov_deg: Optional[float] = None  # the query FOV the pose stage used
    t_pose: float = 0.0
    raw: Dict[str, float] = field(default_factory=dict)  # estimator features (calibration input)

    @property
    def confident(self) -> bool:
        return self.label == CONFIDENT_LABEL

    @property
    def correct(self) -> bool:
        """Answered within CONFIDENT_RADIUS_M of the truth (never for a query without truth)."""
        return self.error_m is not None and self.error_m <= CONFIDENT_RADIUS_M


TIMING_COLUMNS = ("t_embed", "t_search", "t_verify", "t_estimate", "t_total", "t_pose")


def result_columns() -> List[str]:
    return [f.name for f in fields(QueryResult) if f.name != "raw"]


def results_to_rows(results: Sequence[QueryResult]) -> Tuple[List[str], List[list]]:
    raw_keys = sorted({k for r in results for k in r.raw})
    cols = result_columns() + [f"raw_{k}" for k in raw_keys]
    rows = []
    for r in results:
        d = asdict(r)
        row = [d[c] for c in result_columns()] + [r.raw.get(k) for k in raw_keys]
        rows.append(row)
    return cols, rows


def _fmt(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        return f"{v:.7f}" if abs(v) < 1000 else f"{v:.3f}"
    return str(v)


def write_results_csv(results: Sequence[QueryResult], path) -> Path:
    cols, rows = results_to_rows(results)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(cols)
        for row in rows:
            w.writerow([_fmt(v) for v in row])
    return path


def read_results_csv(path) -> List[QueryResult]:
    """Read a per-query table back (for calibration fitting and reports)."""
    out = []
    types = {f.name: f.type for f in fields(QueryResult)}
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            kw, raw = {}, {}
            for k, v in row.items():
                if k.startswith("raw_"):
                    if v != "":
                        raw[k[4:]] = float(v)
                    continue
                t = str(types[k])
                if v == "" and "Optional" in t:
                    kw[k] = None
                elif "bool" in t:
                    kw[k] = v == "1"
                elif "int" in t and "Optional" not in t:
                    kw[k] = int(v)
                elif "Optional[int]" in t:
                    kw[k] = int(v)
                elif "float" in t:
                    kw[k] = float(v) if v != "" else float("nan")
                else:
                    kw[k] = v
            out.append(QueryResult(raw=raw, **kw))
    return out


# --- metrics ---------------------------------------------------------------------------------

def _pct(num, den) -> Optional[float]:
    return 100.0 * num / den if den else None


def summarize(results: Sequence[QueryResult]) -> dict:
    """The paper-style summary of one protocol run.

    Accuracy and recall are over positives (queries whose place the references
    cover); an unanswered positive counts as wrong at every distance. Confidence:
    precision = confident answers within 50 m / all confident answers (negatives
    included: a confident negative is always wrong); coverage = positives answered
    confidently and within 50 m / positives; negatives_confident = confident
    negatives / negatives.
    """
    pos = [r for r in results if r.positive]
    neg = [r for r in results if not r.positive]
    n_pos = len(pos)
    s: dict = {"queries": len(results), "positives": n_pos, "negatives": len(neg)}
    errs = np.array([r.error_m if r.error_m is not None else np.inf for r in pos], float)
    for t in DISTANCE_THRESHOLDS_M:
        s[f"within_{t:g}m"] = _pct(int(np.sum(errs <= t)), n_pos)
    s["median_error_m"] = float(np.median(errs)) if n_pos else None
    for n in RECALL_AT:
        s[f"R@{n}_retrieval"] = _pct(sum(1 for r in pos if r.rank_retrieval is not None and r.rank_retrieval <= n), n_pos)
        s[f"R@{n}_verified"] = _pct(sum(1 for r in pos if r.rank_verified is not None and r.rank_verified <= n), n_pos)
    conf = [r for r in results if r.confident]
    s["confident"] = len(conf)
    s["confident_precision"] = _pct(sum(1 for r in conf if r.positive and r.correct), len(conf))
    s["coverage"] = _pct(sum(1 for r in pos if r.confident and r.correct), n_pos)
    s["negatives_confident"] = _pct(sum(1 for r in neg if r.confident), len(neg))
    totals = np.array([r.t_total for r in results], float)
    s["t_median_s"] = float(np.median(totals)) if len(totals) else None
    s["t_p90_s"] = float(np.percentile(totals, 90)) if len(totals) else None
    return s


def reliability(results: Sequence[QueryResult], bins: int = 10) -> List[dict]:
    """Reliability diagram data over all queries: per confidence bin, the mean
    confidence and the share answered within 50 m (negatives count as wrong)."""
    conf = np.array([r.confidence for r in results], float)
    ok = np.array([r.positive and r.correct for r in results], float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.clip(np.digitize(conf, edges[1:-1], right=False), 0, bins - 1)
    out = []
    for b in range(bins):
        m = idx == b
        out.append({"lo": float(edges[b]), "hi": float(edges[b + 1]), "n": int(m.sum()),
                    "mean_confidence": float(conf[m].mean()) if m.any() else None,
                    "accuracy": float(ok[m].mean()) if m.any() else None})
    return out


def expected_calibration_error(results: Sequence[QueryResult], bins: int = 10) -> Optional[float]:
    rel = reliability(results, bins)
    n = sum(b["n"] for b in rel)
    if not n:
        return None
    return float(sum(b["n"] * abs(b["mean_confidence"] - b["accuracy"]) for b in rel if b["n"]) / n)


def per_kind(results: Sequence[QueryResult]) -> Dict[str, dict]:
    kinds = sorted({r.kind for r in results})
    return {k: summarize([r for r in results if r.kind == k]) for k in kinds}


# --- calibration fitting (numpy/scipy only) -----------------------------------------------------

def threshold_for_negatives(neg_scores: Sequence[float], max_rate: float = 0.01) -> float:
    """The smallest threshold t such that at most ``max_rate`` of the negatives
    have a score >= t (a score at t counts as confident)."""
    s = np.sort(np.asarray(neg_scores, float))[::-1]
    if len(s) == 0:
        return 0.0
    allowed = int(math.floor(max_rate * len(s)))
    if allowed >= len(s):
        return float(s[-1])
    # scores strictly above s[allowed] are at most `allowed` many
    t = float(np.nextafter(s[allowed], np.inf))
    return t


# --- the cached stages ------------------------------------------------------------------------

def _atomic_save_npz(path: Path, **arrays) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


def render_items(items: Sequence[Item]) -> Iterator[Tuple[Item, np.ndarray]]:
    """Yield (item, RGB uint8) in the given order; each source file is read once
    per run of consecutive items from it (sort the items by path for that)."""
    from .images import load_image
    from .ingest import _resize_max_side
    from .panorama import perspective_view, _prepare

    current_path, pano, prepared = None, None, {}
    for it in items:
        if it.path != current_path:
            pano = load_image(it.path)
            current_path, prepared = it.path, {}
        if not it.is_view:
            yield it, _conditioned(it, pano if it.max_side is None else
                                   np.ascontiguousarray(_resize_max_side(pano, it.max_side)))
            continue
        pkey = (it.fov, it.size[0])
        if pkey not in prepared:
            prepared[pkey] = _prepare(pano, it.fov, it.size[0])
        view = perspective_view(prepared[pkey], it.heading, it.fov, it.size, it.pitch,
                                min_elevation_deg=it.min_elevation, _prepared=True)
        yield it, _conditioned(it, view)


def _conditioned(it: Item, rgb: np.ndarray) -> np.ndarray:
    if not it.condition:
        return rgb
    from .perturb import apply

    return apply(rgb, it.condition, it.key)


def load_item_image(item: Item) -> np.ndarray:
    return next(render_items([item]))[1]


def _preset_dir(preset_id: str) -> str:
    """<preset id>-<catalogue fingerprint>: a changed preset never reuses a stale cache.
    (Code changes to view cutting or extraction need `rm -r build/eval-cache`.)"""
    from .models import PRESETS

    p = PRESETS.get(preset_id)
    return f"{preset_id}-{p.fingerprint()[:8]}" if p is not None else preset_id


class FeatureStore:
    """Embeddings and local features of protocol items, cached per preset."""

    def __init__(self, config: EvalConfig, cache_dir: Optional[Path] = None, log: Callable[[str], None] = None):
        self.config = config.resolved()
        self.cache_dir = Path(cache_dir or default_cache_dir())
        self.log = log or (lambda msg: None)
        self._embedder = None
        self._extractor = None

    # lazily loaded models
    @property
    def embedder(self):
        if self._embedder is None:
            from .embed import load_embedder

            self._embedder = load_embedder(self.config.embedder)
        return self._embedder

    @property
    def extractor(self):
        if self._extractor is None:
            from .features import load_extractor

            self._extractor = load_extractor(self.config.extractor)
        return self._extractor

    def _emb_path(self, it: Item) -> Path:
        return self.cache_dir / _preset_dir(self.config.embedder) / "emb" / f"{item_digest(it.key)}.npz"

    def _feat_path(self, it: Item) -> Path:
        return self.cache_dir / _preset_dir(self.config.extractor) / "feat" / f"{item_digest(it.key)}.npz"

    def ensure(self, items: Sequence[Item], features: bool, progress: Callable[[int, int], None] = None,
               is_canceled: Callable[[], bool] = None) -> None:
        """Compute and cache what is missing (embeddings, and local features if asked)."""
        todo = [it for it in items
                if not self._emb_path(it).exists() or (features and not self._feat_path(it).exists())]
        todo = sorted(set(todo), key=lambda it: (it.path, it.key))
        for i, (it, rgb) in enumerate(render_items(todo)):
            if is_canceled is not None and is_canceled():
                raise EvaluationError("canceled")
            if not self._emb_path(it).exists():
                t0 = time.perf_counter()
                vec = self.embedder.embed([rgb])[0]
                _atomic_save_npz(self._emb_path(it), vector=vec.astype(np.float32),
                                 seconds=np.float64(time.perf_counter() - t0))
            if features and not self._feat_path(it).exists():
                t0 = time.perf_counter()
                lf = self.extractor.extract(rgb)
                _atomic_save_npz(self._feat_path(it), keypoints=lf.keypoints.astype(np.float32),
                                 descriptors=np.asarray(lf.descriptors),  # as extracted (a query's precision)
                                 scores=(lf.scores if lf.scores is not None else np.zeros(len(lf.keypoints))).astype(np.float32),
                                 image_size=np.array(lf.image_size, np.int64),
                                 seconds=np.float64(time.perf_counter() - t0))
            if progress is not None:
                progress(i + 1, len(todo))

    def embedding(self, it: Item) -> Tuple[np.ndarray, float]:
        with np.load(self._emb_path(it)) as z:
            return z["vector"].astype(np.float32), float(z["seconds"])

    def embeddings(self, items: Sequence[Item]) -> np.ndarray:
        return np.stack([self.embedding(it)[0] for it in items]) if items else np.zeros((0, 1), np.float32)

    def features(self, it: Item) -> Tuple[LocalFeatures, float]:
        with np.load(self._feat_path(it)) as z:
            lf = LocalFeatures(z["keypoints"], z["descriptors"], tuple(int(v) for v in z["image_size"]), z["scores"])
            return lf, float(z["seconds"])


# --- retrieval with leave-one-out masking -------------------------------------------------------

def masked_search(ref_vectors: np.ndarray, query_vector: np.ndarray, visible: np.ndarray, k: int
                  ) -> Tuple[np.ndarray, np.ndarray]:
    """Exact cosine search over the visible references: (indices, similarities),
    best first, ties broken by reference index (as an exact index would)."""
    sims = ref_vectors @ query_vector.astype(np.float32)
    idx = np.flatnonzero(visible)
    s = sims[idx]
    order = np.lexsort((idx, -s))[:k]
    return idx[order], s[order].astype(np.float32)


def make_verifier(config: EvalConfig):
    """The product's Verifier for the preset's extractor (verify.config_for), with the
    preset's threshold overrides; tiers fast and learned drop its matcher tier."""
    if config.tier == "none":
        return None
    if config.tier not in TIERS:
        raise EvaluationError(f"unknown verification tier {config.tier!r}")
    from .verify import Verifier, config_for

    c = config.resolved()
    vc = config_for(c.extractor, min_inliers=c.min_inliers or None, matcher_min_inliers=c.matcher_min_inliers or None,
                    band=None if c.band < 0 else c.band)
    if c.enough_verified >= 0:
        vc = replace(vc, enough_verified=c.enough_verified or None)
    if c.anchor_min_inliers >= 0:
        vc = replace(vc, anchor_min_inliers=c.anchor_min_inliers)
    if c.matcher_reranks >= 0:
        vc = replace(vc, matcher_reranks=bool(c.matcher_reranks))
    if c.matcher_keypoints:
        vc = replace(vc, matcher_keypoints=c.matcher_keypoints)
    if c.band_min_inliers >= 0:
        vc = replace(vc, band_min_inliers=c.band_min_inliers)
    if c.tier in ("fast", "learned"):
        vc = replace(vc, matcher=None, band=0)
    return Verifier(vc)


def _cache_name(prefix: str, extractor: str, blob: dict) -> str:
    from .models import get_preset

    blob = dict(blob, extractor=get_preset(extractor).fingerprint())
    digest = hashlib.sha1(json.dumps(blob, sort_keys=True, default=list).encode()).hexdigest()[:10]
    return f"{prefix}-{extractor}-{digest}"


# VerifyConfig settings that choose which pairs are verified, or how their outcomes
# are used, but never change one pair's outcome: no cache key holds them.
_SELECTION_SETTINGS = ("band", "band_min_inliers", "threads", "enough_verified", "chunk", "anchor_min_inliers",
                       "matcher_reranks")


def verifier_id(config: EvalConfig) -> str:
    """Cache name of the fast tier's pair outcomes: the extractor (its catalogue
    fingerprint) and every setting of the fast tier. The thresholds are left out
    where they decide nothing but ``verified`` (decided at read time), so a
    threshold sweep reuses one cache; RootSIFT's second pass depends on them."""
    vc = make_verifier(config).identity()
    for k in _SELECTION_SETTINGS + ("matcher", "matcher_keypoints", "matcher_min_inliers"):
        vc.pop(k)
    if vc["full_keypoints"] <= vc["fast_keypoints"]:
        vc.pop("min_inliers")
        vc.pop("min_spread")
    return _cache_name("verify-fast", config.resolved().extractor, {"verify": vc, "entry": "fast()"})


def confirm_id(config: EvalConfig) -> str:
    """Cache name of the matcher tier's pair outcomes (its matcher's fingerprint and
    settings; ``verified`` is decided at read time)."""
    from .models import get_preset

    vc = make_verifier(config).identity()
    for k in _SELECTION_SETTINGS + ("min_inliers", "matcher_min_inliers", "min_spread"):
        vc.pop(k)
    vc["matcher_fp"] = get_preset(vc["matcher"]).fingerprint()
    return _cache_name("verify-confirm", config.resolved().extractor, {"verify": vc, "entry": "confirm()"})


class VerificationCache:
    """Per query: {reference key: outcome dict} in one small .npz (JSON inside)."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)

    def _path(self, query: Item) -> Path:
        return self.directory / f"{item_digest(query.key)}.json"

    def load(self, query: Item) -> Dict[str, dict]:
        p = self._path(query)
        if not p.exists():
            return {}
        try:
            data = json.loads(p.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def save(self, query: Item, table: Dict[str, dict]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        p = self._path(query)
        tmp = p.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(table, sort_keys=True))
        os.replace(tmp, p)


def _record(v) -> dict:
    return {"inliers": int(v.inliers), "inlier_ratio": float(v.inlier_ratio), "spread": float(v.spread),
            "verified": bool(v.verified), "tentative": int(v.tentative), "seconds": float(v.seconds),
            "tier": v.tier}


def _outcome(rec: dict, min_inliers: int, min_spread: float, decide: bool = True):
    """A cached record as a Verification (no match coordinates), verified decided
    from the thresholds when ``decide``."""
    from .verify import Verification

    verified = (rec["inliers"] >= min_inliers and rec["spread"] >= min_spread) if decide else rec["verified"]
    return Verification(int(rec["inliers"]), float(rec["inlier_ratio"]), float(rec["spread"]), bool(verified),
                        np.zeros((0, 4), np.float32), rec.get("tier", ""), int(rec["tentative"]),
                        float(rec["seconds"]))


LEARNED_EXTRACTOR = "disk-640"


def learned_verifier_id(config: EvalConfig) -> str:
    """Cache name of the learned tier's pair outcomes: DISK + LightGlue fingerprints and
    the whole VerifyConfig the LearnedVerifier runs with except ``min_inliers`` (the
    cache keeps inliers and spread; ``verified`` is decided from them at read time)."""
    from .models import DEFAULT_MATCHER, get_preset

    vc = asdict(learned_verify_config(config))
    vc.pop("min_inliers")
    blob = json.dumps({"verify": vc, "extractor": get_preset(LEARNED_EXTRACTOR).fingerprint(),
                       "matcher": get_preset(DEFAULT_MATCHER).fingerprint(), "entry": "verify_pair()"},
                      sort_keys=True, default=list)
    return f"verify-learned-{LEARNED_EXTRACTOR}-{hashlib.sha1(blob.encode()).hexdigest()[:10]}"


def learned_verify_config(config: EvalConfig):
    from .verify import LEARNED_KEYPOINTS, VerifyConfig

    return VerifyConfig(full_keypoints=LEARNED_KEYPOINTS, min_inliers=int(config.resolved().learned_min_inliers))


class LearnedTier:
    """tier=learned after the fast tier: LightGlue on DISK features for the undecided
    band of one query. DISK features are cached like the RootSIFT ones
    (``<cache>/disk-640-<fp>/feat``), extracted lazily (only items that reach the
    band); pair outcomes per query under ``<cache>/verify/<learned_verifier_id>``."""

    def __init__(self, config: EvalConfig, cache_dir: Path, log: Callable[[str], None] = None):
        self.config = config.resolved()
        self.vconfig = learned_verify_config(self.config)
        self.store = FeatureStore(replace(self.config, extractor=LEARNED_EXTRACTOR), cache_dir, log)
        self.cache = VerificationCache(Path(cache_dir) / "verify" / learned_verifier_id(self.config))
        self._verifier = None

    @property
    def verifier(self):
        if self._verifier is None:
            from .verify import LearnedVerifier

            self._verifier = LearnedVerifier(self.vconfig)
        return self._verifier

    def band(self, cands: Sequence["Candidate"]) -> List["Candidate"]:
        """The candidates LightGlue sees: not verified by the fast tier, the first
        ``learned_top`` by fast-tier inliers (ties: retrieval order)."""
        undecided = [c for c in cands if not c.verified]
        return sorted(undecided, key=lambda c: -c.inliers)[: self.config.learned_top]  # stable: retrieval order

    def verify(self, query: Item, refs: Sequence[Item]) -> Tuple[Dict[str, dict], float]:
        """{ref key: outcome with ``verified`` decided here}, and the query's DISK seconds."""
        if not refs:
            return {}, 0.0
        table = self.cache.load(query)
        missing = [it for it in refs if it.key not in table]
        self.store.ensure([query] + missing, True)
        qfeat, t_extract = self.store.features(query)
        if missing:
            for it in missing:
                v = self.verifier.verify_pair(qfeat, self.store.features(it)[0], self.vconfig.full_keypoints)
                table[it.key] = {"inliers": int(v.inliers), "inlier_ratio": float(v.inlier_ratio),
                                 "spread": float(v.spread), "verified": bool(v.verified),
                                 "tentative": int(v.tentative), "seconds": float(v.seconds)}
            self.cache.save(query, table)
        c = self.vconfig
        out = {}
        for it in refs:
            rec = dict(table[it.key])
            rec["verified"] = bool(rec["inliers"] >= c.min_inliers and rec["spread"] >= c.min_spread)
            out[it.key] = rec
        return out, t_extract


@dataclass
class Candidate:
    index: int  # into protocol.references
    item: Item
    similarity: float
    x: float
    y: float
    inliers: int = 0
    spread: float = 0.0
    verified: bool = False
    weight: float = 0.0


def reference_heading(item: Item) -> Optional[float]:
    """The compass heading of a panorama view's optical axis, where the panorama's
    orientation is known: the Amsterdam panoramas are published north-centred (the
    panorama API's convention; measured on the partner panoramas, docs/geolocation.md),
    so a view's heading in the panorama is its compass heading. None elsewhere."""
    if item.is_view and Path(item.path).parent.name == "amsterdam-panoramas":
        return float(item.heading) % 360.0
    return None


class ProtocolRunner:
    """Runs one protocol with one preset; caches every expensive stage."""

    def __init__(self, protocol: Protocol, config: EvalConfig, cache_dir: Optional[Path] = None,
                 calibration=None, log: Callable[[str], None] = None):
        from .posterior import CalibrationError, calibration_file, load_calibration

        self.protocol = protocol
        self.config = config.resolved()
        self.cache_dir = Path(cache_dir or default_cache_dir())
        self.log = log or (lambda msg: None)
        self.store = FeatureStore(self.config, self.cache_dir, self.log)
        self.verifier = make_verifier(self.config)
        self.vcache = self.ccache = None
        if self.verifier is not None:
            vc = self.verifier.config
            self._decide_fast = vc.full_keypoints <= vc.fast_keypoints  # else cached with its thresholds
            self.vcache = VerificationCache(self.cache_dir / "verify" / verifier_id(self.config))
            if vc.matcher and vc.band:
                self.ccache = VerificationCache(self.cache_dir / "verify" / confirm_id(self.config))
        self.learned = LearnedTier(self.config, self.cache_dir, self.log) if self.config.tier == "learned" else None
        if calibration is None and calibration_file(self.config.extractor).exists():
            try:
                calibration = load_calibration(extractor=self.config.extractor)
            except CalibrationError as exc:
                self.log(f"no usable calibration: {exc}")
        self.calibration = calibration
        refs = protocol.references
        self.ref_lat = np.array([r.lat for r in refs], float)
        self.ref_lon = np.array([r.lon for r in refs], float)
        self.ref_x, self.ref_y = (np.asarray(v, float) for v in wgs84_to_rd(self.ref_lat, self.ref_lon))
        self.ref_group = np.array([r.group for r in refs], dtype=object)
        self._ref_vectors = None
        self._whitenings: Dict[Tuple[str, ...], object] = {}

    # -- preparation
    def prepare(self, progress: Callable[[str, int, int], None] = None, is_canceled=None) -> None:
        features = self.verifier is not None
        refs = self.protocol.references
        queries = [q.item for q in self.protocol.queries]
        self.store.ensure(refs, features, (lambda i, n: progress("references", i, n)) if progress else None,
                          is_canceled)
        self.store.ensure(queries, features, (lambda i, n: progress("queries", i, n)) if progress else None,
                          is_canceled)
        self._ref_vectors = self.store.embeddings(refs)

    def _vectors_for(self, exclude: Tuple[str, ...], visible: np.ndarray, qvec: np.ndarray):
        refs = self._ref_vectors
        if not self.config.whitening:
            return refs, qvec
        from .index.whitening import fit

        key = tuple(sorted(exclude))
        if key not in self._whitenings:
            # learned on the references the query may see: what a database without
            # the left-out group would have learned
            self._whitenings[key] = fit(refs[visible])
        w = self._whitenings[key]
        return w.apply(refs), w.apply(qvec)

    def posterior_config(self):
        """The pipeline's posterior settings with the verifier's anchor threshold."""
        from .posterior import PosteriorConfig

        vc = self.verifier.config if self.verifier is not None else None
        pc = replace(PosteriorConfig(), anchor_min_inliers=vc.anchor_min_inliers if vc else 0)
        if self.config.inlier_power:
            pc = replace(pc, inlier_power=float(self.config.inlier_power))
        return replace(pc, best_point=self.config.best_point) if self.config.best_point else pc

    def _reference_features(self, it: Item) -> LocalFeatures:
        """A reference's features as a database stores them (XFeat: int8)."""
        from .features import stored_copy

        return stored_copy(self.store.features(it)[0], self.config.extractor)

    def _verify(self, q: Query, top: Sequence["Candidate"]) -> float:
        """The product verifier's stages (Verifier.fast, .band, .confirm, .promote) on
        the candidates, each pair's outcome cached; sets inliers/spread/verified on
        them and returns the seconds they took (extraction included)."""
        qfeat, seconds = self.store.features(q.item)
        vc = self.verifier.config
        table = self.vcache.load(q.item)
        missing = [c.item for c in top if c.item.key not in table]
        if missing:
            outs = self.verifier.fast(qfeat, {it.key: self._reference_features(it) for it in missing})
            table.update({k: _record(v) for k, v in outs.items()})
            self.vcache.save(q.item, table)
        outcome = {c.item.key: _outcome(table[c.item.key], vc.min_inliers, vc.min_spread, self._decide_fast)
                   for c in top}
        # enough_verified: the candidates the product would not have examined get no outcome
        seen = self.verifier.examined([outcome[c.item.key] for c in top])
        for c in top[seen:]:
            outcome.pop(c.item.key)
        band = [] if self.verifier.enough(outcome) else self.verifier.band(outcome)
        if band:
            ctable = self.ccache.load(q.item)
            todo = [k for k in band if k not in ctable]
            if todo:
                by_key = {c.item.key: c.item for c in top}
                outs = self.verifier.confirm(qfeat, {k: self._reference_features(by_key[k]) for k in todo})
                ctable.update({k: _record(v) for k, v in outs.items()})
                self.ccache.save(q.item, ctable)
            confirmed = {k: _outcome(ctable[k], vc.matcher_min_inliers, vc.min_spread) for k in band}
            outcome = self.verifier.promote(outcome, confirmed)
        for c in top:
            v = outcome.get(c.item.key)
            if v is not None:
                c.inliers, c.spread, c.verified = int(v.inliers), float(v.spread), bool(v.verified)
                seconds += float(v.seconds)
        return seconds

    def _pose_stage(self, q: Query, top: Sequence["Candidate"]):
        """The product's pose stage (localize.pose_stage) on the verified candidates.
        The verification cache keeps no match coordinates, so each verified pair is
        matched again with the fast tier (XFeat mutual nearest neighbours, ~10 ms; a
        pair the LighterGlue tier promoted gets these matches too, not LighterGlue's)."""
        from .localize import PoseInput, pose_stage
        from .pose import view_intrinsics

        qfeat = self.store.features(q.item)[0]
        inputs = []
        for c in top:
            heading = reference_heading(c.item)
            if not c.verified or heading is None:
                continue
            ref = self._reference_features(c.item)
            v = self.verifier.verify_pair(qfeat, ref, self.verifier.config.fast_keypoints)
            k = view_intrinsics(c.item.fov, ref.image_size, c.item.size, c.item.min_elevation)
            inputs.append(PoseInput(v.matches, k, heading, c.x, c.y, c.item.group, c.item.key))
        return pose_stage(tuple(qfeat.image_size), inputs)

    # -- one query
    def run_query(self, q: Query) -> QueryResult:
        from .posterior import Observation, estimate, observation_weights, PosteriorConfig
        from .geo import rd_to_wgs84

        cfg = self.config
        qvec, t_embed = self.store.embedding(q.item)
        visible = ~np.isin(self.ref_group, list(q.exclude_groups)) if q.exclude_groups else \
            np.ones(len(self.ref_group), bool)
        t0 = time.perf_counter()
        refs_v, qv = self._vectors_for(q.exclude_groups, visible, qvec)
        idx, sims = masked_search(refs_v, qv, visible, cfg.top_k)
        t_search = time.perf_counter() - t0
        cands = [Candidate(int(i), self.protocol.references[int(i)], float(s), float(self.ref_x[i]),
                           float(self.ref_y[i])) for i, s in zip(idx, sims)]

        t_verify = 0.0
        if self.verifier is not None and cands:
            t_verify += self._verify(q, cands[: cfg.verify_top])
            if self.learned is not None:
                # LightGlue can only promote: a band candidate it verifies takes its outcome
                # (inliers, spread); one it does not verify keeps the fast tier's (LightGlue's
                # sub-threshold counts are on another scale: measured, ranking the unverified
                # by them loses the most-inliers fallback's right answers)
                band = self.learned.band(cands[: cfg.verify_top])
                table_l, t_disk = self.learned.verify(q.item, [c.item for c in band])
                if band:
                    t_verify += t_disk
                for c in band:
                    rec = table_l[c.item.key]
                    if rec["verified"]:
                        c.inliers, c.spread, c.verified = int(rec["inliers"]), float(rec["spread"]), True
                    t_verify += float(rec["seconds"])

        t0 = time.perf_counter()
        stage = self._pose_stage(q, cands[: cfg.verify_top]) if self.verifier else None
        t_pose = time.perf_counter() - t0
        t0 = time.perf_counter()
        obs = [Observation(c.x, c.y, c.similarity, c.inliers, c.verified, c.item.group) for c in cands]
        pconf = self.posterior_config()
        post = estimate(obs, pconf, lines=stage.lines if stage is not None and cfg.position == "pose" else None)
        weights = observation_weights(obs, pconf) if obs else np.zeros(0)
        for c, w in zip(cands, weights):
            c.weight = float(w)
        n_verified = sum(1 for c in cands if c.verified)
        features = dict(post.features) if post is not None else {}
        if post is None:
            est_lat = est_lon = None
            confidence, label, radius = 0.0, "no match", None
        else:
            est_lat, est_lon = rd_to_wgs84(post.x, post.y)
            radius = float(post.error_radius_m)
            if self.calibration is not None:
                confidence = self.calibration.confidence(features)
                label = self.calibration.label(confidence, n_verified)
            else:
                confidence, label = 0.0, "uncalibrated"
        t_estimate = time.perf_counter() - t0

        # ranks of the first correct reference before and after verification
        # the pipeline's order: verified first (heaviest first), then the rest by inliers, retrieval rank
        reranked = sorted(range(len(cands)), key=lambda i: (not cands[i].verified,
                                                            -cands[i].weight if cands[i].verified else 0.0,
                                                            -cands[i].inliers, i))
        truth = q.item.lat is not None
        rank_r = rank_v = None
        correct_ref = ""
        top_ref_dist = error = None
        if truth and cands:
            d = np.asarray(geodesic_distance_m(q.item.lat, q.item.lon, self.ref_lat[idx], self.ref_lon[idx]), float)
            ok = np.atleast_1d(d <= self.protocol.correct_radius_m)
            hits = np.flatnonzero(ok)
            if len(hits):
                rank_r = int(hits[0]) + 1
                correct_ref = cands[int(hits[0])].item.key
            pos_v = [p for p, i in enumerate(reranked) if ok[i]]
            rank_v = pos_v[0] + 1 if pos_v else None
            top_ref_dist = float(np.atleast_1d(d)[reranked[0]])
        if truth and not correct_ref:
            dall = np.asarray(geodesic_distance_m(q.item.lat, q.item.lon, self.ref_lat, self.ref_lon), float)
            dall = np.where(visible, np.atleast_1d(dall), np.inf)
            if np.isfinite(dall).any() and dall.min() <= self.protocol.correct_radius_m:
                correct_ref = self.protocol.references[int(np.argmin(dall))].key
        top = cands[reranked[0]] if cands else None
        if top is not None and (cfg.estimator == "top1" or (cfg.estimator == "hybrid" and n_verified == 0)):
            # the baseline answer: copy the best re-ranked reference's position
            # (hybrid: only when nothing verified, else the posterior's estimate)
            est_lat, est_lon = top.item.lat, top.item.lon
        if truth and est_lat is not None:
            error = float(geodesic_distance_m(q.item.lat, q.item.lon, est_lat, est_lon))
        heading = heading_sd = heading_err = None
        if post is not None and stage is not None:
            from .pipeline import apply_pose_stage

            heading, heading_sd = apply_pose_stage(stage, post, cands, key=lambda c: c.item.key)
            truth_heading = reference_heading(q.item) if q.positive else None
            if heading is not None and truth_heading is not None:
                heading_err = abs((heading - truth_heading + 180.0) % 360.0 - 180.0)
        answer_ref = ""
        if est_lat is not None and cands:
            d_est = np.atleast_1d(geodesic_distance_m(est_lat, est_lon, self.ref_lat[idx], self.ref_lon[idx]))
            answer_ref = cands[int(np.argmin(d_est))].item.key
        return QueryResult(
            protocol=self.protocol.name, query=q.item.label, key=q.item.key, group=q.item.group,
            place=q.item.place, kind=q.kind, positive=q.positive,
            truth_lat=q.item.lat, truth_lon=q.item.lon,
            est_lat=None if est_lat is None else float(est_lat), est_lon=None if est_lon is None else float(est_lon),
            error_m=error, confidence=float(confidence), label=label, error_radius_m=radius,
            rank_retrieval=rank_r, rank_verified=rank_v, n_verified=n_verified,
            top_ref=top.item.key if top else "", top_ref_dist_m=top_ref_dist, correct_ref=correct_ref,
            answer_ref=answer_ref,
            top_similarity=float(top.similarity) if top else 0.0, top_inliers=int(top.inliers) if top else 0,
            top_spread=float(top.spread) if top else 0.0,
            t_embed=t_embed, t_search=t_search, t_verify=t_verify, t_estimate=t_estimate,
            t_total=t_embed + t_search + t_verify + t_estimate + t_pose,
            position_method=post.position_method if post is not None else "",
            heading_deg=heading, heading_sd_deg=heading_sd, heading_error_deg=heading_err,
            hfov_deg=stage.hfov_deg if stage is not None and stage.fov_source else None, t_pose=t_pose,
            raw={k: float(v) for k, v in features.items()},
        )

    def run(self, progress: Callable[[str, int, int], None] = None, is_canceled=None) -> List[QueryResult]:
        self.prepare(progress, is_canceled)
        return run_queries(self, progress, is_canceled)


def run_queries(runner, progress: Callable[[str, int, int], None] = None, is_canceled=None) -> List[QueryResult]:
    """runner.run_query over runner.protocol.queries in order, with progress and cancel."""
    out = []
    n = len(runner.protocol.queries)
    for i, q in enumerate(runner.protocol.queries):
        if is_canceled is not None and is_canceled():
            raise EvaluationError("canceled")
        out.append(runner.run_query(q))
        if progress is not None:
            progress("evaluate", i + 1, n)
    return out


# --- evaluating an existing database through the product pipeline ------------------------------

class DatabaseRunner:
    """Query images with ground truth against a built reference database, through
    :class:`pipeline.Geolocator` itself (no leave-one-out: the database is used as is).
    The database decides the embedder, whitening and local features; the preset
    gives TOP_K, VERIFY_TOP and the tier (``none`` verifies nothing)."""

    def __init__(self, database_path, queries: Sequence[Query], config: EvalConfig = EvalConfig(),
                 correct_radius_m: float = 25.0, name: str = "database"):
        from .pipeline import Geolocator, PipelineConfig

        self.config = config
        verify_top = 0 if config.tier == "none" else int(config.verify_top)
        self.geo = Geolocator(str(database_path), PipelineConfig(top_k=int(config.top_k), verify_top=verify_top))
        db = self.geo.db
        refs = []
        for v in db.views(db.ids()):
            group = v.pano_id or f"view:{v.view_id}"
            refs.append(Item(v.view_image_path, float(v.lat), float(v.lon), group, group))
        self.ref_by_view = {int(v): r for v, r in zip(db.ids(), refs)}
        from .protocols import mark_positives

        self.protocol = Protocol(name, f"queries against {Path(str(database_path)).name}", refs,
                                 mark_positives(refs, queries, correct_radius_m), correct_radius_m)

    def run_query(self, q: Query) -> QueryResult:
        rgb = load_item_image(q.item)
        g = self.geo.locate(rgb)
        cands = list(g.candidates)  # in the pipeline's order after verification
        truth = q.item.lat is not None
        rank_r = rank_v = None
        correct_ref = ""
        error = top_dist = None
        if truth and cands:
            d = np.atleast_1d(geodesic_distance_m(q.item.lat, q.item.lon, [c.view.lat for c in cands],
                                                  [c.view.lon for c in cands]))
            ok = d <= self.protocol.correct_radius_m
            if ok.any():
                rank_v = int(np.flatnonzero(ok)[0]) + 1
                best = min((c for c, o in zip(cands, ok) if o), key=lambda c: c.retrieval_rank)
                rank_r = int(best.retrieval_rank)
                correct_ref = self.ref_by_view[best.view.view_id].key
            top_dist = float(d[0])
        if truth and g.lat is not None:
            error = float(geodesic_distance_m(q.item.lat, q.item.lon, g.lat, g.lon))
        top = cands[0] if cands else None
        t = g.timings
        return QueryResult(
            protocol=self.protocol.name, query=q.item.label, key=q.item.key, group=q.item.group,
            place=q.item.place, kind=q.kind, positive=q.positive, truth_lat=q.item.lat, truth_lon=q.item.lon,
            est_lat=g.lat, est_lon=g.lon, error_m=error, confidence=float(g.confidence), label=g.label,
            error_radius_m=float(g.error_radius_m), rank_retrieval=rank_r, rank_verified=rank_v,
            n_verified=int(g.n_verified), top_ref=self.ref_by_view[top.view.view_id].key if top else "",
            top_ref_dist_m=top_dist, correct_ref=correct_ref,
            answer_ref=self.ref_by_view[min(cands, key=lambda c: float("inf") if c.distance_m is None else c.distance_m).view.view_id].key
            if cands and g.lat is not None else "",
            top_similarity=float(top.similarity) if top else 0.0, top_inliers=int(top.inliers) if top else 0,
            top_spread=float(top.spread) if top else 0.0,
            t_embed=t.get("embed", 0.0), t_search=t.get("search", 0.0), t_verify=t.get("verify", 0.0),
            t_estimate=t.get("posterior", 0.0), t_total=float(sum(t.values())),
            raw={k: float(v) for k, v in g.features.items()},
        )

    def run(self, progress: Callable[[str, int, int], None] = None, is_canceled=None) -> List[QueryResult]:
        return run_queries(self, progress, is_canceled)
