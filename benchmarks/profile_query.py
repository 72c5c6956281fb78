"""Where a query's time goes (issue 30): the bench's query views through
Geolocator.locate under cProfile, with the verifier's tiers and the query's XFeat
extraction timed apart (wall seconds per query), then the functions by own time.

    .venv/bin/python benchmarks/profile_query.py [--queries 4] [--covered]
"""
import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_geolocate as bench  # noqa: E402  (sets sys.path for the plugin)


def timed(obj, name, into, cpu):
    """Wall seconds of obj.name into ``into``, the process's CPU seconds meanwhile into
    ``cpu`` (all threads: the tiers run one after the other, only the query's XFeat
    extraction overlaps the embedder)."""
    original = getattr(obj, name)

    def wrapper(*a, **k):
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            return original(*a, **k)
        finally:
            into[name] = into.get(name, 0.0) + time.perf_counter() - t0
            cpu[name] = cpu.get(name, 0.0) + time.process_time() - c0

    setattr(obj, name, wrapper)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--queries", type=int, default=4)
    ap.add_argument("--covered", action="store_true")
    args = ap.parse_args(argv)
    from geopin.geopin_plugin.engine.pipeline import Geolocator, PipelineConfig

    qs = bench.queries(args.queries + 1, args.covered)
    geo = Geolocator(bench.AMS_DB, PipelineConfig(top_k=100, verify_top=50, verify_threads=2))
    geo.locate(qs[0][1])  # warm-up
    parts, cpus = {}, {}
    timed(geo.verifier, "fast", parts, cpus)  # the fast tier (XFeat mutual NN + MAGSAC, chunks of 10)
    timed(geo.verifier, "confirm", parts, cpus)  # LighterGlue on the band
    timed(geo.extractor, "extract", parts, cpus)  # the query's XFeat features (beside the embedder)
    stages = {}
    profile = cProfile.Profile()
    t0, c0 = time.perf_counter(), time.process_time()
    profile.enable()
    for pano_id, image in qs[1:]:
        r = geo.locate(image, exclude_panos=[pano_id])
        for k, v in r.timings.items():
            stages[k] = stages.get(k, 0.0) + v
    profile.disable()
    n = len(qs) - 1
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"{n} queries: {wall / n:.3f} s wall, {cpu / n:.3f} s CPU a query")
    print("stages (s a query): " + ", ".join(f"{k} {v / n:.3f}" for k, v in stages.items()))
    print("inside (s a query): " + ", ".join(f"{k} {v / n:.3f}" for k, v in parts.items()))
    print("CPU meanwhile (s a query): " + ", ".join(f"{k} {v / n:.3f}" for k, v in cpus.items()))
    pstats.Stats(profile).sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main()
