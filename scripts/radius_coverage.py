"""Does the stated error radius hold? For each protocol of an evaluation run, the
share of positives (and of confident answers among them) whose true error is
within the estimate's `error_radius_m`, against its nominal rate (posterior
PosteriorConfig.error_mass: 68 %, a GPS-style accuracy circle).

    .venv/bin/python scripts/evaluate.py --out build/eval          # writes build/eval/default/*.csv
    .venv/bin/python scripts/radius_coverage.py build/eval/default
"""
import argparse
import csv
import sys
from pathlib import Path

from plugin_path import REPO  # noqa: F401  (the checkout as package `geopin`)


def coverage(rows):
    rows = [r for r in rows if r["error_m"] and r["error_radius_m"]]
    if not rows:
        return None, 0
    inside = sum(float(r["error_m"]) <= float(r["error_radius_m"]) for r in rows)
    return 100.0 * inside / len(rows), len(rows)


def main(argv=None):
    from geopin.geopin_plugin.engine.estimate.posterior import PosteriorConfig

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run_dir", type=Path, help="a run folder of scripts/evaluate.py (its per-protocol CSVs)")
    args = ap.parse_args(argv)
    nominal = 100.0 * PosteriorConfig().error_mass
    print(f"| protocol | positives: truth within the radius | confident positives: within | median radius, "
          f"confident (m) | nominal |")
    print("|---|---|---|---|---|")
    for path in sorted(args.run_dir.glob("*.csv")):
        rows = [r for r in csv.DictReader(open(path, newline="")) if r["positive"] == "1"]
        if not rows:
            continue
        (c_all, n_all), (c_conf, n_conf) = coverage(rows), coverage([r for r in rows if r["label"] == "confident"])
        radii = sorted(float(r["error_radius_m"]) for r in rows if r["label"] == "confident" and r["error_radius_m"])
        fmt = lambda c, n: "–" if c is None else f"{c:.1f} % of {n}"  # noqa: E731
        print(f"| {rows[0]['protocol']} | {fmt(c_all, n_all)} | {fmt(c_conf, n_conf)} | "
              f"{radii[len(radii) // 2]:.1f} | {nominal:.0f} % |" if radii else "| – |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
