"""Fit GeoPin's confidence calibration from measured evaluation runs and rewrite
geopin_plugin/engine/estimate/calibration.json (the file calibration.load_calibration reads).

    .venv/bin/python scripts/evaluate.py --protocol amsterdam-lopo lund-loo
    .venv/bin/python scripts/fit_calibration.py build/eval/default/00-amsterdam-lopo.csv \
        build/eval/default/01-lund-loo.csv

Prints, per feature set, the out-of-fold (leave-one-place-out) figures: share of
negatives called confident, precision of confident answers, coverage of the
positives; picks the feature set that meets the goals (<= 1 % negatives confident,
>= 98 % precision) with the highest out-of-fold coverage (or, when none meets
them, the fewest confident negatives), fits it on all the given queries and
writes the JSON with the command, the input files (sha256, rows) and both the
in-sample and the out-of-fold figures. ``--dry-run`` only prints.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # also when loaded by runpy/importlib
from plugin_path import REPO  # noqa: E402  (the checkout as package `geopin`)

from geopin.geopin_plugin.engine.evaluation import calibrate as cb  # noqa: E402
from geopin.geopin_plugin.engine.evaluation.results import read_results_csv, summarize  # noqa: E402
from geopin.geopin_plugin.engine.estimate.calibration import CALIBRATION_FILE  # noqa: E402


def _pct(v):
    return "–" if v is None else f"{v:.1f}"


def _pick(rows):
    pooled = [r for r in rows if r["protocol"] == "all"]
    ok = [r for r in pooled if (r["negatives_confident"] or 0) <= 1.0
          and (r["confident_precision"] is None or r["confident_precision"] >= 98.0)]
    if ok:
        return max(ok, key=lambda r: (r["coverage"] or 0.0, -list(cb.FEATURE_SETS).index(r["features"])))
    return min(pooled, key=lambda r: (r["negatives_confident"] or 0.0, -(r["coverage"] or 0.0)))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results", nargs="+", help="per-query CSVs written by scripts/evaluate.py")
    ap.add_argument("--features", choices=list(cb.FEATURE_SETS), help="use this feature set (default: pick by CV)")
    ap.add_argument("--out", default=str(CALIBRATION_FILE))
    ap.add_argument("--dry-run", action="store_true")
    args = ap.parse_args(argv)

    results, inputs = [], []
    for path in args.results:
        rows = read_results_csv(path)
        results += rows
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        inputs.append({"file": os.path.relpath(path, REPO), "sha256": digest, "rows": len(rows)})

    table = cb.compare_feature_sets(results)
    print("| features | protocol | pos | neg | conf. prec. % | coverage % | neg. confident % |")
    print("|---|---|---|---|---|---|---|")
    for r in table:
        print(f"| {r['features']} | {r['protocol']} | {r['positives']} | {r['negatives']} | "
              f"{_pct(r['confident_precision'])} | {_pct(r['coverage'])} | {_pct(r['negatives_confident'])} |")
    name = args.features or _pick(table)["features"]
    feats = cb.FEATURE_SETS[name]
    cal = cb.fit(results, feats)
    in_sample = summarize(cb.apply(cal, results))
    cv = summarize(cb.cross_validate(results, feats))
    keys = ("positives", "negatives", "confident", "confident_precision", "coverage", "negatives_confident")
    print(f"\nchosen features: {name} -> {feats}")
    print(f"thresholds: confident >= {cal.confident_threshold:.4f}, uncertain >= {cal.uncertain_threshold:.4f}")
    print("in-sample:    " + ", ".join(f"{k} {_pct(in_sample[k]) if isinstance(in_sample[k], float) else in_sample[k]}" for k in keys))
    print("out-of-fold:  " + ", ".join(f"{k} {_pct(cv[k]) if isinstance(cv[k], float) else cv[k]}" for k in keys))
    cal.source = {
        "target": "answer within 50 m of the truth (negatives are never right)",
        "command": ".venv/bin/python scripts/fit_calibration.py " + " ".join(os.path.relpath(p, REPO) for p in args.results)
                     + (f" --features {args.features}" if args.features else ""),
        "feature_set": name,
        "rules": {"confident": "smallest confidence with <= 1 % of negatives confident and >= 98 % of "
                               "confident answers within 50 m (training queries)",
                  "uncertain": "smallest confidence with <= 10 % of negatives above 'no match'"},
        "data": inputs,
        "in_sample": {k: in_sample[k] for k in keys},
        "out_of_fold": {k: cv[k] for k in keys},
        "cross_validation": f"leave one place out (truths within {cb.FOLD_LINK_M:g} m linked; "
                            "unlocated queries by panorama)",
    }
    if args.dry_run:
        return 0
    Path(args.out).write_text(json.dumps(cal.to_dict(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
