"""Evaluate GeoPin on the built-in protocols (``make eval``) and compare presets.

    .venv/bin/python scripts/evaluate.py                       # all protocols, default preset
    .venv/bin/python scripts/evaluate.py --protocol lund-loo --max-queries 10
    .venv/bin/python scripts/evaluate.py --compare "" "tier=none" "whitening=1" \
        "embedder=efficientnetlite0-gem512-1024" "top_k=20,verify_top=10"

A preset is ``key=value,...`` over embedder, whitening, extractor, tier
(none/fast/learned), top_k, verify_top, estimator (pipeline/top1/hybrid),
learned_top and learned_min_inliers (tier=learned: LightGlue on the first
learned_top candidates the fast tier left unverified); "" is the default.
Writes build/eval/<name>/report.html (summary, plots, failure gallery), one per-query CSV per (preset, protocol) and summary.md; embeddings, local
features and verifications are cached under build/eval-cache/ so a second run
only re-does the cheap stages. The same command gives the same tables (timing
columns apart).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # also when loaded by runpy/importlib
from plugin_path import REPO  # noqa: E402  (the checkout as package `geopin`)

from geopin.geopin_plugin.engine.evaluation.config import EvalConfig  # noqa: E402
from geopin.geopin_plugin.engine.evaluation.runner import ProtocolRunner  # noqa: E402
from geopin.geopin_plugin.engine.evaluation import report as er  # noqa: E402
from geopin.geopin_plugin.engine.evaluation import catalogue  # noqa: E402


def _progress(prefix):
    state = {"stage": None, "t": 0.0}

    def cb(stage, fraction, message):
        now = time.monotonic()
        if stage != state["stage"] or fraction >= 1.0 or now - state["t"] > 10:
            print(f"  {prefix} {message}", file=sys.stderr, flush=True)
            state["stage"], state["t"] = stage, now

    return cb


def bootstrap_table(runs) -> str:
    """The headline figures with 95 % bootstrap intervals over places."""
    from geopin.geopin_plugin.engine.evaluation.bootstrap import HEADLINE, place_intervals, with_interval

    out = ["| protocol | preset | " + " | ".join(HEADLINE) + " |", "|" + "---|" * (len(HEADLINE) + 2)]
    for run in runs:
        s = run.summary
        ci = place_intervals(run.results)
        out.append(f"| {run.protocol.name} | {run.config_name} | "
                   + " | ".join(with_interval(s.get(k), ci.get(k)) for k in HEADLINE) + " |")
    return "95 % intervals: bootstrap over places (1000 draws, seed 0)\n" + "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--protocol", nargs="*", default=list(catalogue.BUILTIN), help="built-in protocols (default: all)")
    ap.add_argument("--preset", default="", help="the preset to evaluate (key=value,...)")
    ap.add_argument("--compare", nargs="*", help="several presets side by side (overrides --preset)")
    ap.add_argument("--max-queries", type=int, default=0, help="evenly spaced subset of each protocol's queries")
    ap.add_argument("--name", default="", help="run folder name under build/eval (default from the arguments)")
    ap.add_argument("--out", default=str(REPO / "build" / "eval"), help="parent folder of the run folders")
    ap.add_argument("--cache", default="", help="cache folder (default build/eval-cache)")
    ap.add_argument("--positives", action="store_true", help="only the positive queries (a quick regression check)")
    ap.add_argument("--gallery", type=int, default=24, help="failures shown per run")
    args = ap.parse_args(argv)

    specs = args.compare if args.compare is not None else [args.preset]
    configs = [EvalConfig.parse(s) for s in specs]
    name = args.name or ("compare" if len(configs) > 1 else "default" if not specs[0] else
                         "".join(ch if ch.isalnum() or ch in "-_=" else "_" for ch in specs[0]))
    if args.max_queries:
        name += f"-q{args.max_queries}"
    if args.positives:
        name += "-positives"
    run_dir = Path(args.out) / name
    cache = Path(args.cache) if args.cache else None
    command = "scripts/evaluate.py " + " ".join(repr(a) if (not a or " " in a) else a for a in (argv or sys.argv[1:]))

    protocols = []
    for pname in args.protocol:
        p = catalogue.builtin_protocol(pname)
        if args.positives:
            p.queries = [q for q in p.queries if q.positive]
        if args.max_queries:
            p = p.subset(max_queries=args.max_queries)
        protocols.append(p)

    runs, rows = [], []
    for cfg in configs:
        for p in protocols:
            print(f"{p.name} · {cfg.name}: {len(p.queries)} queries, {len(p.references)} references",
                  file=sys.stderr, flush=True)
            runner = ProtocolRunner(p, cfg, cache_dir=cache, log=lambda m: print("  " + m, file=sys.stderr))
            results = runner.run(progress=_progress(p.name))
            run = er.Run(p, cfg.name, results, runner.settings())
            runs.append(run)
            rows.append(dict(run.summary, protocol=p.name, preset=cfg.name))
    report = er.write_report(run_dir, runs, command=command, gallery_limit=args.gallery)
    print(er.markdown_table(rows))
    print("\n" + bootstrap_table(runs))
    from geopin.geopin_plugin.engine.evaluation.album_run import album_table

    albums = album_table(runs)
    if albums:
        print("\n" + albums)
    print(f"\nreport: {report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
