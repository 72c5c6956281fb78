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


PROBE_AFTER = 20  # the probe looks at the first this many candidates in retrieval order
PROBES = 2  # ... and matches their best this many by fast-tier inliers with LighterGlue
PROBE_BOUNDS = (20, 30, 40)


def record_calls(records: list, probe_after: int = PROBE_AFTER):
    """Wrap CachedVerifier.verify: every call appends its query's candidates' fast
    outcomes (all of them, examined or not: the cache holds every candidate), the
    final verdicts, and the probe: LighterGlue's inliers on the best fast-tier
    candidates among the first ``probe_after`` (computed and cached when the band
    had not already matched them)."""
    original = caches.CachedVerifier.verify

    def verify(self, query, refs, progress=None, is_canceled=None):
        out = original(self, query, refs, progress, is_canceled)
        table = self._tables.get((self.cache.directory, query.item.key), {})
        c = self.config
        keyed = [(rid, caches._pair_key(rid, f, query)) for rid, f in refs.items()]
        fast_of = {rid: caches._outcome(table[k], c.min_inliers, c.min_spread) for rid, k in keyed if k in table}
        fast = [fast_of[rid] for rid in refs if rid in fast_of]
        first = sorted([rid for rid in list(refs)[:probe_after] if rid in fast_of],
                       key=lambda rid: -fast_of[rid].inliers)[:PROBES]
        probe = self.confirm(query, {rid: refs[rid] for rid in first}) if c.matcher and first else {}
        records.append({
            "probe_inliers": [int(probe[rid].inliers) for rid in first if rid in probe],
            "probe_fast": [int(fast_of[rid].inliers) for rid in first],
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
    print(f"\nThe probe: nothing fast-verified in the first {PROBE_AFTER}, and LighterGlue on their best "
          f"{PROBES} by fast-tier inliers finds fewer than L inliers (verifying queries lost / no-match queries stopped)")
    print("| protocol | " + " | ".join(f"L = {v}" for v in PROBE_BOUNDS) + " |")
    print("|---|" + "---|" * len(PROBE_BOUNDS))
    for name, recs in table.items():
        cells = []
        for bound in PROBE_BOUNDS:
            fires = [not any(r["fast_verified"][:PROBE_AFTER]) and max(r["probe_inliers"], default=0) < bound
                     for r in recs]
            lost = sum(f and any(r["final_verified"]) for f, r in zip(fires, recs))
            stopped = sum(f and not any(r["final_verified"]) for f, r in zip(fires, recs))
            cells.append(f"{lost} / {stopped} of {sum(not any(r['final_verified']) for r in recs)}")
        print(f"| {name} | " + " | ".join(cells) + " |")
    print(f"\nwritten {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
