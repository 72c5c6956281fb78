"""Where verify.py's overlay guards come from: the inlier displacement and the
inliers' vertical extent of same-place and other-place pairs.

    .venv/bin/python scripts/overlay_distributions.py --protocol amsterdam-lopo lund-loo amsterdam-overlay \
        [--tier fast|confirm] [--max-queries N] [--top 10]

Run scripts/evaluate.py on the protocols first (it fills the feature caches and
says which candidates each query verified). For every query, the ``--top`` pairs
with the most fast-tier inliers (tier confirm: the pairs LighterGlue saw) are
matched again with both guards off; then per pair: each MAGSAC inlier's
displacement in normalised positions (matching.displacement) and, after dropping
the static ones (< --static), the inliers' vertical extent (matching.vertical_extent).
Same place: the reference within --same m of the truth; other place: beyond --other m
or no truth (unlocated). Only pairs that verify with the guards off are counted
(the ones the guards could change).
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import plugin_path  # noqa: E402,F401

from geopin.geopin_plugin.engine.evaluation.config import EvalConfig  # noqa: E402
from geopin.geopin_plugin.engine.evaluation.runner import ProtocolRunner  # noqa: E402
from geopin.geopin_plugin.engine.evaluation import catalogue  # noqa: E402
from geopin.geopin_plugin.engine.geo import geodesic_distance_m  # noqa: E402
from geopin.geopin_plugin.engine.verification.geometry import displacement, vertical_extent  # noqa: E402
from geopin.geopin_plugin.engine.verification.verifier import Verifier  # noqa: E402

THRESHOLDS = (0.002, 0.005, 0.01, 0.02, 0.05)


def pairs(name, config, tier, top, same_m, other_m, max_queries):
    protocol = catalogue.builtin_protocol(name)
    if max_queries:
        protocol = protocol.subset(max_queries=max_queries)
    runner = ProtocolRunner(protocol, config)
    product = runner.verifier.inner
    raw = Verifier(replace(product.config, static_displacement=0.0, min_extent=0.0))
    cache = runner.vcache if tier == "fast" else runner.ccache
    refs = {r.key: r for r in protocol.references}
    out = []
    for q in protocol.queries:
        table = cache.load(q.item)
        if not table:
            continue
        keys = sorted((k for k in table if k in refs), key=lambda k: -table[k]["inliers"])
        keys = keys[:top] if tier == "fast" else keys
        qf = runner.extractor.extract(q.item)
        qf = getattr(qf, "features", qf)
        feats = runner.features(keys)
        for k in keys:
            r = refs[k]
            if q.item.lat is None:
                label = "other"
            else:
                d = float(geodesic_distance_m(q.item.lat, q.item.lon, r.lat, r.lon))
                label = "same" if d <= same_m else "other" if d > other_m else None
            if label is None:
                continue
            if tier == "fast":
                v = raw.verify_pair(qf, feats[k], raw.config.fast_keypoints)
            else:
                v = raw.verify_pair(qf, feats[k], raw.config.matcher_keypoints, matcher=product.confirm_matcher,
                                    min_inliers=raw.config.matcher_min_inliers)
            if not v.verified:
                continue
            m = v.matches
            disp = displacement(m[:, :2], m[:, 2:], qf.image_size, feats[k].image_size)
            out.append(dict(label=label, query=q.item.label, ref=k, kind=q.kind, inliers=v.inliers, disp=disp,
                            qsize=qf.image_size, rsize=feats[k].image_size, m=m))
    return out


def describe(rows, static):
    disp = np.concatenate([r["disp"] for r in rows]) if rows else np.zeros(0)
    lines = [f"    pairs {len(rows)}, inliers {len(disp)}"]
    if not len(disp):
        return "\n".join(lines)
    lines.append("    inlier displacement percentiles 1/5/10/50: "
                 + " / ".join(f"{v:.4f}" for v in np.percentile(disp, [1, 5, 10, 50])))
    lines.append("    share of inliers below: " + "  ".join(f"<{t:g}: {100 * (disp < t).mean():.2f} %"
                                                         for t in THRESHOLDS))
    shares = np.array([(r["disp"] < static).mean() for r in rows])
    lines.append(f"    pairs with >= 50 % static (< {static:g}) inliers: {int((shares >= 0.5).sum())}; "
                 f"per-pair static share max {shares.max():.3f}, median {np.median(shares):.3f}")
    moving = [r["m"][r["disp"] >= static] for r in rows]
    ext = np.array([min(vertical_extent(m[:, :2], r["qsize"]), vertical_extent(m[:, 2:], r["rsize"]))
                    if len(m) >= 2 else 0.0 for m, r in zip(moving, rows)])
    left = np.array([len(m) for m in moving])
    lines.append("    after dropping static: inliers left p0/p5/p50 "
                 + " / ".join(f"{v:.0f}" for v in np.percentile(left, [0, 5, 50]))
                 + "; vertical extent p0/p1/p5/p50 " + " / ".join(f"{v:.3f}" for v in np.percentile(ext, [0, 1, 5, 50])))
    lines.append("    extent below 0.05/0.08/0.10/0.15: "
                 + "  ".join(f"{int((ext < t).sum())}" for t in (0.05, 0.08, 0.10, 0.15)))
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--protocol", nargs="*", default=["amsterdam-lopo", "lund-loo", "amsterdam-overlay"])
    ap.add_argument("--preset", default="")
    ap.add_argument("--tier", choices=("fast", "confirm"), default="fast")
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--max-queries", type=int, default=0)
    ap.add_argument("--static", type=float, default=0.01)
    ap.add_argument("--same", type=float, default=25.0)
    ap.add_argument("--other", type=float, default=100.0)
    ap.add_argument("--show", action="store_true", help="list the other-place pairs that verify")
    args = ap.parse_args(argv)
    config = EvalConfig.parse(args.preset)
    for name in args.protocol:
        rows = pairs(name, config, args.tier, args.top, args.same, args.other, args.max_queries)
        print(f"{name} ({args.tier}, guards off, pairs that verify):")
        for label in ("same", "other"):
            sel = [r for r in rows if r["label"] == label]
            print(f"  {label} place:\n" + describe(sel, args.static))
            if args.show and label == "other":
                for r in sel:
                    d = r["disp"]
                    print(f"      {r['query']} -> {r['ref']}: {r['inliers']} inliers, static {(d < args.static).sum()}, "
                          f"disp p50 {np.median(d):.3f}")


if __name__ == "__main__":
    main()
