"""Issue 23's failure count from per-query evaluation tables: confident answers
farther than the protocol's radius from the truth (a negative answered confidently
counts too) and confident answers whose error radius exceeds 100 m, per query kind.

    .venv/bin/python scripts/confident_failures.py build/eval/<run>/*.csv [--radius 50]
"""
from __future__ import annotations

import argparse
import collections
import csv

RADII = {"amsterdam-lopo": 50.0, "amsterdam-xcond": 50.0, "amsterdam-overlay": 50.0, "dashcam": 50.0}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("tables", nargs="+")
    ap.add_argument("--radius", type=float, default=0.0, help="correct radius (default: the protocol's, else 25 m)")
    args = ap.parse_args(argv)
    for path in args.tables:
        rows = list(csv.DictReader(open(path, newline="", encoding="utf-8")))
        if not rows:
            continue
        radius = args.radius or RADII.get(rows[0]["protocol"], 25.0)
        stats = collections.defaultdict(collections.Counter)
        for r in rows:
            s = stats[r["kind"]]
            s["queries"] += 1
            s["positives"] += r["positive"] == "1"
            if r["label"] != "confident":
                continue
            s["confident"] += 1
            err = float(r["error_m"]) if r["error_m"] else float("inf")
            s["confident wrong"] += r["positive"] != "1" or err > radius
            s["confident radius > 100 m"] += float(r["error_radius_m"]) > 100.0
        print(f"{path} ({rows[0]['protocol']}, correct within {radius:g} m)")
        total = collections.Counter()
        for kind, s in sorted(stats.items()):
            total.update(s)
            print(f"  {kind:24s} " + "  ".join(f"{k} {s[k]}" for k in ("queries", "positives", "confident",
                                                                       "confident wrong", "confident radius > 100 m")))
        print(f"  {'all':24s} " + "  ".join(f"{k} {total[k]}" for k in ("queries", "positives", "confident",
                                                                       "confident wrong", "confident radius > 100 m")))


if __name__ == "__main__":
    main()
