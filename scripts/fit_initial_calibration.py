"""Fit geopin_plugin/engine/calibration.json from a small measured leave-one-out run
on the Amsterdam panoramas, through the real pipeline (Geolocator.locate).

Queries: phone-like 65° views at 4 headings (22.5° + k·90°, between the 8
reference headings) from each located panorama, searched with that panorama
left out; negatives: 2 views each from the first 12 amsterdam-unlocated
panoramas (places not in the database). A query is correct when the estimate
is within 50 m of the truth; negatives are never correct.

The logistic model maps the posterior's features to P(correct), fitted on all
queries (L2-regularised: on this data verified answers separate perfectly); the
"confident" threshold is the smallest that puts no measured wrong answer above
it (plus a margin), "uncertain" a fixed lower bar. The evaluation engineer's
scripts/evaluate.py refits this on the full protocols; this is the first,
measured fit. Writes the per-query table to build/geolocation/calibration_run.csv.

    .venv/bin/python scripts/fit_initial_calibration.py
"""
import csv
import datetime as dt
import json
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import demo  # noqa: E402  (sets sys.path for the plugin)

from geopin.geopin_plugin.engine import posterior as post  # noqa: E402

OUT = demo.REPO / "build" / "geolocation"
FEATURES = ["log1p:verified_cluster_weight", "share", "n_places"]
CORRECT_M = 50.0
HEADINGS = (22.5, 112.5, 202.5, 292.5)
NEG_PANOS = 12
NEG_HEADINGS = (45.0, 225.0)
MARGIN = 0.05
UNCERTAIN = 0.2


def main():
    from geopin.geopin_plugin.engine.geo import geodesic_distance_m
    from geopin.geopin_plugin.engine.images import load_image
    from geopin.geopin_plugin.engine.panorama import perspective_view
    from geopin.geopin_plugin.engine.pipeline import Geolocator, PipelineConfig

    OUT.mkdir(parents=True, exist_ok=True)
    db_path = OUT / "amsterdam_all.gpkg"
    rows = demo.manifest()
    demo.build_database(db_path, rows=rows)
    # features only: a neutral calibration so nothing depends on an earlier fit
    neutral = OUT / "neutral_calibration.json"
    neutral.write_text(json.dumps(post.Calibration(["share"], [0.0], 0.0, 0.99, 0.01).to_dict()))
    geo = Geolocator(db_path, PipelineConfig(calibration_path=str(neutral)))

    queries = []
    for r in rows:
        for h in HEADINGS:
            queries.append(("positive", r["path"], h, float(r["lat"]), float(r["lon"]), r["pano_id"]))
    unlocated = sorted(p for p in (demo.datasets_dir() / "amsterdam-unlocated").glob("*.jpg") if p.stat().st_size)
    for p in unlocated[:NEG_PANOS]:
        for h in NEG_HEADINGS:
            queries.append(("negative", str(p), h, None, None, None))

    table = []
    pano, pano_path = None, None
    t_start = time.perf_counter()
    for i, (kind, path, heading, lat, lon, pano_id) in enumerate(queries):
        if path != pano_path:
            try:
                pano, pano_path = load_image(path), path
            except Exception as exc:  # a broken distractor file: skip it
                print(f"skip {path}: {exc}")
                pano_path, pano = path, None
        if pano is None:
            continue
        view = perspective_view(pano, heading, 65.0, (1024, 768))
        res = geo.locate(view, exclude_panos=[pano_id] if pano_id else None)
        error = float(geodesic_distance_m(lat, lon, res.lat, res.lon)) if lat is not None else None
        correct = bool(error is not None and error <= CORRECT_M)
        row = {"kind": kind, "file": Path(path).name, "heading": heading, "error_m": error, "correct": correct,
               "n_verified": res.n_verified, "seconds": sum(res.timings.values()), **res.features}
        table.append(row)
        print(f"{i + 1:3d}/{len(queries)} {kind:8s} {Path(path).stem[-24:]} h={heading:5.1f} "
              f"verified={res.n_verified:2d} share={res.features.get('share', 0):.2f} "
              f"w={res.features.get('verified_cluster_weight', 0):6.1f} "
              f"err={'-' if error is None else f'{error:7.1f}'} {'OK' if correct else ''}", flush=True)
    wall = time.perf_counter() - t_start

    with open(OUT / "calibration_run.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(table[0].keys()))
        w.writeheader()
        w.writerows(table)

    import numpy as np

    fit_rows = table  # verified or not: nothing verified is a (low) measured probability too
    x = np.array([post.feature_vector(r, FEATURES) for r in fit_rows])
    y = np.array([1.0 if r["correct"] else 0.0 for r in fit_rows])
    if len(set(y.tolist())) < 2:
        # logistic regression needs both outcomes; say so instead of inventing one
        raise SystemExit(f"all {len(y)} verified answers are {'correct' if y[0] else 'wrong'}: "
                         "cannot fit; add harder queries")
    coef, intercept = post.fit_logistic(x, y, l2=1.0)
    cal = post.Calibration(FEATURES, coef.tolist(), intercept, 0.5, UNCERTAIN)
    conf = np.array([cal.confidence(r) for r in table])
    wrong = np.array([not r["correct"] for r in table])
    top_wrong = float(conf[wrong].max()) if wrong.any() else 0.0
    cal.confident_threshold = float(min(0.99, max(0.5, top_wrong + MARGIN)))
    labels = [cal.label(c, r["n_verified"]) for c, r in zip(conf, table)]
    confident = [r for r, lab in zip(table, labels) if lab == "confident"]
    positives = [r for r in table if r["kind"] == "positive"]
    negatives = [r for r in table if r["kind"] == "negative"]
    answerable = [r for r in positives if r["correct"]]
    measured = {
        "queries": len(table),
        "positive_queries": len(positives),
        "negative_queries": len(negatives),
        "within_50m": sum(r["correct"] for r in table),
        "confident": len(confident),
        "confident_within_50m": sum(r["correct"] for r in confident),
        "confident_precision": (sum(r["correct"] for r in confident) / len(confident)) if confident else None,
        "negatives_confident": sum(1 for r, lab in zip(table, labels) if lab == "confident" and r["kind"] == "negative"),
        "share_of_correct_answers_called_confident": (
            sum(1 for r, lab in zip(table, labels) if lab == "confident" and r["correct"]) / len(answerable)
            if answerable else None),
        "highest_confidence_of_a_wrong_answer": top_wrong,
        "seconds_per_query_mean": float(np.mean([r["seconds"] for r in table])),
        "wall_seconds": wall,
    }
    data = cal.to_dict()
    data.update({
        "target": f"P(estimate within {CORRECT_M:.0f} m of the truth)",
        "command": ".venv/bin/python scripts/fit_initial_calibration.py",
        "fitted": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "data": (f"amsterdam-panoramas leave-one-panorama-out, 65 deg views at headings {list(HEADINGS)}; "
                 f"negatives: {NEG_PANOS} amsterdam-unlocated panoramas x {list(NEG_HEADINGS)}"),
        "database": f"{len(rows)} panoramas x 8 headings, {geo.db.meta.get('model_preset')} + "
                    f"{geo.db.meta.get('extractor_preset')}",
        "threshold_rule": f"confident = max(0.5, highest confidence of a wrong answer + {MARGIN}); "
                          f"uncertain = {UNCERTAIN}",
        "measured": measured,
    })
    path = post.CALIBRATION_FILE
    path.write_text(json.dumps(data, indent=2) + "\n")
    print(json.dumps(data, indent=2))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
