"""What the fast tier's first chunks say about whether anything will verify
(issue 30: the early stop on "no match"), measured on the evaluation protocols.

For every query the verifier sees (through the product's cascade, pair outcomes
read from the evaluation cache), it records the fast-tier inliers of all
``verify_top`` candidates in retrieval order and what verified in the end (fast
tier or LighterGlue's band). Prints, per protocol, how the best fast-tier count of
the first 10 / 20 / 30 candidates is distributed for the queries where something
verifies and for those where nothing does, and writes the records as JSON:

    .venv/bin/python scripts/stop_distributions.py \
        --protocol amsterdam-lopo amsterdam-xcond lund-loo panoramax --out build/stop.json
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from plugin_path import REPO  # noqa: E402,F401  (the checkout as package `geopin`)

import numpy as np  # noqa: E402

from geopin.geopin_plugin.engine.evaluation import catalogue  # noqa: E402
from geopin.geopin_plugin.engine.evaluation.config import EvalConfig  # noqa: E402
from geopin.geopin_plugin.engine.evaluation.runner import ProtocolRunner  # noqa: E402
from geopin.geopin_plugin.engine.evaluation import caches  # noqa: E402


def record_calls(records: list):
    """Wrap CachedVerifier.verify: every call appends its query's candidates' fast
    outcomes (all of them, examined or not: the cache holds every candidate) and the
    final verdicts."""
    original = caches.CachedVerifier.verify

    def verify(self, query, refs, progress=None, is_canceled=None):
        out = original(self, query, refs, progress, is_canceled)
        table = self._tables.get((self.cache.directory, query.item.key), {})
        c = self.config
        fast = [caches._outcome(table[rid], c.min_inliers, c.min_spread) for rid in refs if rid in table]
        records.append({
            "query": query.item.key,
            "fast_inliers": [int(v.inliers) for v in fast],
            "fast_verified": [bool(v.verified) for v in fast],
            "final_verified": [bool(out[rid].verified) for rid in refs if rid in out],
            "final_tier": [out[rid].tier for rid in refs if rid in out],
            "examined": len(out),
        })
        return out

    caches.CachedVerifier.verify = verify


def best_within(rec, n):
    return max(rec["fast_inliers"][:n], default=0)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--protocol", nargs="*", default=["amsterdam-lopo", "amsterdam-xcond", "lund-loo", "panoramax"])
    ap.add_argument("--max-queries", type=int, default=0, help="evenly spaced subset of each protocol's queries")
    ap.add_argument("--out", default=str(REPO / "build" / "stop_distributions.json"))
    args = ap.parse_args(argv)
    records: list = []
    record_calls(records)
    table = {}
    for name in args.protocol:
        p = catalogue.builtin_protocol(name)
        if args.max_queries:
            p = p.subset(max_queries=args.max_queries)
        start = len(records)
        ProtocolRunner(p, EvalConfig.parse(""), log=lambda m: None).run()
        table[name] = records[start:]
        for r in table[name]:
            r["protocol"] = name
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(table))
    print("| protocol | queries | something verifies | best fast inliers of the first n, verifying queries: min (n=10 / 20 / 30) "
          "| nothing verifies: median / p90 / max (n=10 / 20 / 30) |")
    print("|---|---|---|---|---|")
    for name, recs in table.items():
        yes = [r for r in recs if any(r["final_verified"])]
        no = [r for r in recs if not any(r["final_verified"])]
        mins = " / ".join(str(min((best_within(r, n) for r in yes), default="-")) for n in (10, 20, 30))
        nos = " / ".join(
            "{:.0f}/{:.0f}/{}".format(*((np.median(v), np.percentile(v, 90), max(v)) if v else (0, 0, 0)))
            for v in ([best_within(r, n) for r in no] for n in (10, 20, 30)))
        print(f"| {name} | {len(recs)} | {len(yes)} | {mins} | {nos} |")
    print(f"\nwritten {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
