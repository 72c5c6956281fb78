"""Bootstrap intervals over places for the evaluation's headline figures.

Queries of one place are not independent (8 views of one panorama share its
pixels), so the resampling unit is the place: draw places with replacement,
take all their queries, recompute the figure. The 95 % interval is the 2.5th and
97.5th percentile of ``n`` draws with a fixed seed (the same table every run).
"""
from __future__ import annotations

from typing import Dict, Sequence, Tuple

import numpy as np

HEADLINE = ("within_10m", "within_25m", "within_50m", "coverage", "confident_precision", "negatives_confident",
            "R@1_verified")


def place_intervals(results: Sequence, n: int = 1000, seed: int = 0,
                    keys: Sequence[str] = HEADLINE) -> Dict[str, Tuple[float, float]]:
    """{figure: (low, high)} 95 % intervals; figures undefined in a draw are skipped."""
    from .results import summarize

    by_place: Dict[str, list] = {}
    for r in results:
        by_place.setdefault(r.place or r.group, []).append(r)
    places = sorted(by_place)
    if not places:
        return {}
    rng = np.random.default_rng(seed)
    draws: Dict[str, list] = {k: [] for k in keys}
    for _ in range(n):
        pick = rng.integers(0, len(places), len(places))
        sample = [r for i in pick for r in by_place[places[i]]]
        s = summarize(sample)
        for k in keys:
            if s.get(k) is not None:
                draws[k].append(float(s[k]))
    return {k: (float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5))) for k, v in draws.items() if v}


def with_interval(value, interval) -> str:
    """'81.2 [68.8–90.6]' for a table cell."""
    if value is None:
        return "—"
    if not interval:
        return f"{value:.1f}"
    return f"{value:.1f} [{interval[0]:.1f}–{interval[1]:.1f}]"
