"""Fit the confidence calibration (``calibration.json``) from measured evaluation runs.

Input: per-query results of protocol runs (:class:`evaluate.QueryResult`, with the
posterior's features in ``raw``). Target: "answered within 50 m" (a negative is
never right). Model: the logistic model :class:`calibration.Calibration` reads,
fitted with :func:`calibration.fit_logistic` on all queries (the pipeline asks it
for every answer; "no match" still follows from nothing verifying).

Thresholds, chosen on the training queries:

* confident: the smallest confidence at which at most ``max_negative_rate``
  (1 %) of the negatives are confident *and* the confident answers are at
  least ``min_precision`` (98 %) within 50 m;
* uncertain (below it: "no match"): the smallest confidence at which at most
  ``max_negative_uncertain_rate`` (10 %) of the negatives rise above "no match".

Honesty: :func:`cross_validate` refits model and thresholds with each spatial
fold left out (queries whose truths lie within ``FOLD_LINK_M`` of each other
form one fold; queries without a truth are grouped by their source image)
and labels the left-out queries; the fit script reports those
out-of-fold figures next to the in-sample ones.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .results import QueryResult, summarize, threshold_for_negatives
from ..geo import geodesic_distance_m
from ..estimate.calibration import Calibration, feature_vector, fit_logistic

FEATURE_SETS: Dict[str, List[str]] = {
    "inliers": ["log1p:max_inliers"],
    "inliers+share": ["log1p:max_inliers", "share"],
    "weight+share+runnerup": ["log1p:verified_cluster_weight", "share", "runner_up_ratio"],
    "all": ["log1p:verified_cluster_weight", "log1p:max_inliers", "share", "runner_up_ratio", "n_places",
            "log1p:n_verified_groups"],
}
DEFAULT_FEATURES = "weight+share+runnerup"
FOLD_LINK_M = 200.0
L2 = 1.0


def _target(r: QueryResult) -> float:
    return 1.0 if (r.positive and r.correct) else 0.0


def spatial_folds(results: Sequence[QueryResult], link_m: float = FOLD_LINK_M) -> List[str]:
    """A fold key per result: connected components of truths within ``link_m``
    (single linkage); queries without a truth are grouped by their source image."""
    keys: List[Optional[str]] = [None] * len(results)
    located = [i for i, r in enumerate(results) if r.truth_lat is not None]
    parent = {i: i for i in located}

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    # distinct truth positions first (many queries share one panorama position)
    pos: Dict[Tuple[float, float], List[int]] = {}
    for i in located:
        pos.setdefault((results[i].truth_lat, results[i].truth_lon), []).append(i)
    uniq = sorted(pos)
    lat = np.array([p[0] for p in uniq])
    lon = np.array([p[1] for p in uniq])
    for a in range(len(uniq)):
        if a + 1 < len(uniq):
            d = np.atleast_1d(geodesic_distance_m(lat[a], lon[a], lat[a + 1:], lon[a + 1:]))
            for b in np.flatnonzero(d <= link_m) + a + 1:
                ra, rb = find(pos[uniq[a]][0]), find(pos[uniq[int(b)]][0])
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
        first = pos[uniq[a]][0]
        for i in pos[uniq[a]][1:]:
            ra, rb = find(first), find(i)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    for i in located:
        keys[i] = f"place:{results[find(i)].protocol}:{find(i)}"
    for i, r in enumerate(results):
        if keys[i] is None:
            keys[i] = f"group:{r.protocol}:{r.group}"
    return keys  # type: ignore[return-value]


def fit(results: Sequence[QueryResult], feature_names: Sequence[str], max_negative_rate: float = 0.01,
        min_precision: float = 0.98, max_negative_uncertain_rate: float = 0.10, l2: float = L2) -> Calibration:
    """Fit the logistic confidence and choose the two thresholds (see the module doc)."""
    train = list(results)  # the pipeline asks the model for every answer, verified or not
    if len(train) < 4 or len({_target(r) for r in train}) < 2:
        raise ValueError("calibration needs answers that are right and some that are wrong")
    X = np.stack([feature_vector(r.raw, feature_names) for r in train])
    y = np.array([_target(r) for r in train])
    coef, intercept = fit_logistic(X, y, l2=l2)
    cal = Calibration(list(feature_names), [float(c) for c in coef], float(intercept), 1.0, 0.0)
    conf = np.array([cal.confidence(r.raw) for r in results])
    neg = np.array([not r.positive for r in results])
    right = np.array([_target(r) for r in results]) > 0
    t_neg = threshold_for_negatives(conf[neg], max_negative_rate)
    t_prec = _precision_threshold(conf, right, min_precision)
    cal.confident_threshold = float(min(1.0, max(t_neg, t_prec)))
    t_unc = threshold_for_negatives(conf[neg], max_negative_uncertain_rate)
    cal.uncertain_threshold = float(min(t_unc, cal.confident_threshold))
    return cal


def _precision_threshold(conf: np.ndarray, right: np.ndarray, min_precision: float) -> float:
    """Smallest threshold t with precision(conf >= t) >= min_precision (t > 0)."""
    order = np.argsort(-conf, kind="stable")
    c, ok = conf[order], right[order]
    best = float(np.nextafter(c[0], np.inf)) if len(c) else 1.0  # nothing confident
    tp = 0
    for i in range(len(c)):
        tp += int(ok[i])
        if (i + 1 < len(c) and c[i + 1] == c[i]) or c[i] <= 0:
            continue
        if tp / (i + 1) >= min_precision:
            best = float(c[i])
    return best


def apply(cal: Calibration, results: Sequence[QueryResult]) -> List[QueryResult]:
    """The results relabelled with a calibration (as the pipeline would label them)."""
    out = []
    for r in results:
        c = cal.confidence(r.raw) if r.raw else 0.0
        out.append(replace(r, confidence=float(c), label=cal.label(c, r.n_verified)))
    return out


def cross_validate(results: Sequence[QueryResult], feature_names: Sequence[str], **kw) -> List[QueryResult]:
    """Out-of-fold labels: each spatial fold labelled by a calibration fitted without it."""
    folds = spatial_folds(results)
    out: List[Optional[QueryResult]] = [None] * len(results)
    for fold in sorted(set(folds)):
        train = [r for r, f in zip(results, folds) if f != fold]
        idx = [i for i, f in enumerate(folds) if f == fold]
        cal = fit(train, feature_names, **kw)
        for i, r in zip(idx, apply(cal, [results[i] for i in idx])):
            out[i] = r
    return out  # type: ignore[return-value]


def compare_feature_sets(results: Sequence[QueryResult], sets: Dict[str, List[str]] = FEATURE_SETS,
                         **kw) -> List[dict]:
    """Out-of-fold confidence figures per feature set and protocol (the table that picks the features)."""
    rows = []
    for name, feats in sets.items():
        cv = cross_validate(results, feats, **kw)
        for proto in sorted({r.protocol for r in cv}) + ["all"]:
            sub = [r for r in cv if proto == "all" or r.protocol == proto]
            s = summarize(sub)
            rows.append({"features": name, "protocol": proto, "positives": s["positives"],
                         "negatives": s["negatives"], "confident_precision": s["confident_precision"],
                         "coverage": s["coverage"], "negatives_confident": s["negatives_confident"]})
    return rows
