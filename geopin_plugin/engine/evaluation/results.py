"""Per-query results of an evaluation run and the paper-style metrics over them:
:class:`QueryResult` rows, their CSV form (``write_results_csv`` / ``read_results_csv``)
and :func:`summarize` (accuracy and Recall@N over positives, confidence precision,
coverage, negatives called confident). Deterministic; numpy only.
"""
from __future__ import annotations

import csv
import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

DISTANCE_THRESHOLDS_M = (10.0, 25.0, 50.0, 100.0, 1000.0, 25000.0)
RECALL_AT = (1, 5, 10)
CONFIDENT_LABEL = "confident"
# A confident answer is "right" when within this distance of the truth (the
# design's meaning of confidence: of answers called confident, the share within 50 m).
CONFIDENT_RADIUS_M = 50.0


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


def first_correct_ranks(ok_by_retrieval, verified_order) -> Tuple[Optional[int], Optional[int]]:
    """The rank rule of every runner: 1-based ranks of the first correct reference before
    verification (retrieval order) and after it (the pipeline's order). ``ok_by_retrieval``:
    correct or not per retrieval position; ``verified_order``: retrieval positions in the
    pipeline's order."""
    ok = np.atleast_1d(np.asarray(ok_by_retrieval, bool))
    hits = np.flatnonzero(ok)
    after = [p for p, i in enumerate(verified_order) if ok[i]]
    return (int(hits[0]) + 1 if len(hits) else None), (after[0] + 1 if after else None)


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
