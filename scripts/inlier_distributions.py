"""Inlier distributions of same-place and other-place pairs, from an evaluation's
verification caches: where the verifier's thresholds come from (verify.py).

    .venv/bin/python scripts/inlier_distributions.py --protocol amsterdam-lopo lund-loo \
        --preset "" [--tier fast|confirm]

Run scripts/evaluate.py with the same preset first (it fills the caches). A pair
is *same place* when the reference lies within --same metres of the query's truth
(default 25), *other place* when farther than --other metres (default 100) or the
query has no position (unlocated panoramas); pairs in between are left out.
Counts are MAGSAC inliers of pairs whose spread passes MIN_SPREAD.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import plugin_path  # noqa: E402,F401

from geopin.geopin_plugin.engine.evaluation.config import EvalConfig  # noqa: E402
from geopin.geopin_plugin.engine.evaluation.runner import ProtocolRunner  # noqa: E402
from geopin.geopin_plugin.engine.evaluation import catalogue  # noqa: E402
from geopin.geopin_plugin.engine.geo import geodesic_distance_m  # noqa: E402


def pairs(protocol_name: str, config: EvalConfig, tier: str, same_m: float, other_m: float):
    protocol = catalogue.builtin_protocol(protocol_name)
    runner = ProtocolRunner(protocol, config)
    cache = runner.vcache if tier == "fast" else runner.ccache
    if cache is None:
        raise SystemExit(f"the preset has no {tier} tier")
    refs = {r.key: r for r in protocol.references}
    min_spread = runner.verifier.config.min_spread
    same, other = [], []
    for q in protocol.queries:
        table = cache.load(q.item)
        for key, rec in table.items():
            if rec["spread"] < min_spread or key not in refs:
                continue
            r = refs[key]
            if q.item.lat is None:
                other.append(rec["inliers"])
                continue
            d = float(geodesic_distance_m(q.item.lat, q.item.lon, r.lat, r.lon))
            if d <= same_m:
                same.append(rec["inliers"])
            elif d > other_m:
                other.append(rec["inliers"])
    return np.array(same, int), np.array(other, int)


def describe(name, a):
    if not len(a):
        return f"{name}: none"
    q = np.percentile(a, [50, 90, 99, 99.9])
    return (f"{name}: n={len(a)} median {q[0]:.0f} p90 {q[1]:.0f} p99 {q[2]:.0f} p99.9 {q[3]:.0f} "
            f"max {a.max()}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--protocol", nargs="*", default=["amsterdam-lopo", "lund-loo"])
    ap.add_argument("--preset", default="")
    ap.add_argument("--tier", choices=("fast", "confirm"), default="fast")
    ap.add_argument("--same", type=float, default=25.0)
    ap.add_argument("--other", type=float, default=100.0)
    args = ap.parse_args(argv)
    config = EvalConfig.parse(args.preset)
    same_all, other_all = [], []
    for name in args.protocol:
        s, o = pairs(name, config, args.tier, args.same, args.other)
        print(f"{name} ({args.tier}):\n  {describe('same place', s)}\n  {describe('other place', o)}")
        same_all.append(s)
        other_all.append(o)
    s, o = np.concatenate(same_all), np.concatenate(other_all)
    print("all:")
    print("  " + describe("same place", s))
    print("  " + describe("other place", o))
    for t in range(10, 201, 5):
        fp = (o >= t).mean() * 100 if len(o) else 0.0
        tp = (s >= t).mean() * 100 if len(s) else 0.0
        print(f"  >= {t:3d}: same place {tp:5.1f} %  other place {fp:6.3f} % ({int((o >= t).sum())} pairs)")


if __name__ == "__main__":
    main()
