"""Scale benchmark, ingest part: views per second building a reference database
from the shared Amsterdam panoramas (8000x4000, 8 views each) with the default
models, in one run: this process (serial), N local worker processes, a Dask
LocalCluster of 1 and of 2 workers, and optionally the Processing algorithm
through scripts/qgis_process with WORKERS=1 and WORKERS=N. Also the CPU
seconds per view of each stage (read + decode, views = downscale + remap,
embedding, local features, JPEG encode, commit) summed over the workers, the
writer process's own CPU, and the views/s that CPU cost allows on idle cores.

    .venv/bin/python benchmarks/bench_scale.py [--panoramas 17] [--workers N] [--qgis]
        [--only serial,processes,dask1,dask2]

Every configuration builds a new database from the same images, so the ratios
of one run compare like with like even when other jobs share the cores (the
load average is printed beside each row: compare ratios, not absolutes). Writes
build/bench/bench_scale.json.
"""
import argparse
import csv
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from plugin_path import REPO  # noqa: E402  (the checkout as package `geopin`)

from geopin.geopin_plugin.engine import embed, models, panorama, registry  # noqa: E402
from geopin.geopin_plugin.engine.builder import ingest  # noqa: E402
from geopin.geopin_plugin.engine.builder import loaders, runners  # noqa: E402
from geopin.geopin_plugin.engine.paths import datasets_dir  # noqa: E402

OUT = REPO / "build" / "bench"
STAGES = ("read", "views", "embed", "features", "jpeg", "commit")


class Timed:
    """Wraps a runner: sums the workers' per-stage CPU seconds of each result, and
    the writer's commit time (the time the writer holds a result before asking
    for the next: Writer.commit is all that runs there)."""

    def __init__(self, inner):
        self.inner = inner
        self.cpu = dict.fromkeys(STAGES, 0.0)
        self.commit_wall = 0.0
        self.arrivals = []  # perf_counter of each result: first -> last is the steady state

    @property
    def canceled(self):
        return self.inner.canceled

    def results(self, pending, settings, is_canceled=None):
        for result in self.inner.results(pending, settings, is_canceled):
            for stage, sec in result.seconds.items():
                self.cpu[stage] = self.cpu.get(stage, 0.0) + sec
            wall, cpu = time.perf_counter(), time.process_time()
            self.arrivals.append(wall)
            yield result
            self.commit_wall += time.perf_counter() - wall
            self.cpu["commit"] += time.process_time() - cpu


def records(n):
    pano_dir = datasets_dir() / "amsterdam-panoramas"
    with open(pano_dir / "manifest.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))[:n]
    return [ingest.ImageRecord(path=str(pano_dir / r["file"]), lat=float(r["lat"]), lon=float(r["lon"]),
                               pano_id=r["pano_id"]) for r in rows]


def run_engine(name, recs, embedder, extractor, make_runner, work):
    db = work / name / "ref.gpkg"
    db.parent.mkdir(parents=True)
    inner = make_runner()
    runner = Timed(inner)
    load0, t0, c0 = os.getloadavg()[0], time.perf_counter(), time.process_time()
    report = ingest.add_records(db, recs, embedder, extractor, runner=runner)
    wall, parent = time.perf_counter() - t0, time.process_time() - c0
    assert report.failed == 0 and not report.canceled, report.errors
    views = max(report.views_added, 1)
    on_disk = disk_bytes(db.parent)
    row = {"config": name, "views": report.views_added, "seconds": round(wall, 2),
           "views_per_s": round(views / wall, 3), "load_before": round(load0, 2),
           "load_after": round(os.getloadavg()[0], 2),
           "ms_per_view_cpu": {k: round(1000 * v / views, 1) for k, v in runner.cpu.items()},
           "commit_ms_per_view_wall": round(1000 * runner.commit_wall / views, 1),
           "writer_process_cpu_ms_per_view": round(1000 * parent / views, 1),
           "bytes_per_view_all_in": {k: round(v / views) for k, v in on_disk.items()}}
    # throughput once every worker has its models and before the last images run
    # alone: images after the first result / (last - first result); startup = the
    # first result's arrival less one worker's time for an image at that rate
    arrivals = runner.arrivals
    if len(arrivals) >= 3:
        rate = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0])
        row["steady_images_per_s"] = round(rate, 3)
        row["steady_views_per_s"] = round(rate * views / len(arrivals), 3)
        row["startup_s"] = round(arrivals[0] - t0 - workers_of(inner) / rate, 2)
        # where a build's time goes besides the steady state: until the first image's
        # result, and after the last one (masks, index, closing the store)
        row["first_result_s"] = round(arrivals[0] - t0, 2)
        row["after_last_result_s"] = round(t0 + wall - arrivals[-1], 2)
    if not isinstance(inner, runners.SerialRunner):
        # all CPU a view costs (workers' stages + the writer process: hashing, commit,
        # receiving results), and what that allows if the machine's cores were ours alone
        cost = sum(v for k, v in row["ms_per_view_cpu"].items() if k != "commit") + row["writer_process_cpu_ms_per_view"]
        row["all_cpu_ms_per_view"] = round(cost, 1)
        row["views_per_s_if_cores_idle"] = round(min(workers_of(inner), os.cpu_count() or 1) * 1000 / cost, 2)
    return row


def disk_bytes(folder):
    """Bytes a build left in its folder: the GeoPackage, the index and its sidecar,
    the view copies (if kept), and all together."""
    out = {"gpkg": 0, "index": 0, "view files": 0}
    for f in Path(folder).rglob("*"):
        if not f.is_file():
            continue
        kind = "gpkg" if f.suffix == ".gpkg" or f.name.endswith((".gpkg-wal", ".gpkg-shm")) else \
            "view files" if f.suffix == ".jpg" else "index"
        out[kind] += f.stat().st_size
    out["all"] = sum(out.values())
    return out


def workers_of(runner):
    return getattr(runner, "workers", None) or getattr(runner, "n_workers", 1)


def run_qgis(name, recs, workers, work):
    """The Processing algorithm through scripts/qgis_process, on a folder holding
    links to the same panoramas and their coordinates."""
    folder = work / name / "in"
    folder.mkdir(parents=True)
    with open(folder / "coords.csv", "w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["file", "lat", "lon", "pano_id"])
        for r in recs:
            (folder / Path(r.path).name).symlink_to(r.path)
            out.writerow([Path(r.path).name, r.lat, r.lon, r.pano_id])
    db = work / name / "ref.gpkg"
    cmd = [str(REPO / "scripts" / "qgis_process"), "run", "geopin:buildreferencedatabase", "--json", "--",
           f"INPUT={folder}", f"COORDINATES={folder / 'coords.csv'}", f"DATABASE={db}", f"WORKERS={workers}"]
    env = dict(os.environ)
    env.pop("QGIS_CUSTOM_CONFIG_PATH", None)
    load0, t0 = os.getloadavg()[0], time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=7200)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    views = json.loads(proc.stdout)["results"]["VIEWS"]
    return {"config": name, "views": views, "seconds": round(wall, 2), "views_per_s": round(views / wall, 3),
            "load_before": round(load0, 2), "load_after": round(os.getloadavg()[0], 2)}


def grid_ms():
    """What the remap grid cache saves: computing one 1024x768 grid, CPU ms."""
    t = time.process_time()
    for heading in range(0, 360, 45):
        panorama._maps(4301, 2150, heading, 90.0, panorama.VIEW_SIZE, 0.0, panorama.DEFAULT_MIN_ELEVATION_DEG)
    return round(1000 * (time.process_time() - t) / 8, 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--panoramas", type=int, default=17, help="how many of the 17 shared panoramas (8 views each)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="local worker processes (N)")
    ap.add_argument("--only", default="serial,processes,dask1,dask2", help="configurations, comma-separated")
    ap.add_argument("--qgis", action="store_true", help="also through scripts/qgis_process, WORKERS=1 and N")
    args = ap.parse_args()
    recs = records(args.panoramas)
    embedder = embed.load_embedder(models.DEFAULT_EMBEDDER)
    extractor = registry.load_extractor(models.DEFAULT_EXTRACTOR)
    recipe = loaders.models_for(embedder, extractor)
    n = args.workers

    def processes():
        from geopin.geopin_plugin.engine.builder.pool import ProcessRunner

        return ProcessRunner(recipe, n)

    def dask(k):
        from geopin.geopin_plugin.engine.builder.cluster import DaskRunner

        return lambda: DaskRunner(recipe, n_workers=k)

    configs = {"serial": lambda: runners.SerialRunner(embedder, extractor), "processes": processes,
               "dask1": dask(1), "dask2": dask(2)}
    rows = []
    work = Path(tempfile.mkdtemp(prefix="geopin-bench-scale-"))
    try:
        for name in args.only.split(","):
            label = f"processes{n}" if name == "processes" else name
            rows.append(run_engine(label, recs, embedder, extractor, configs[name], work))
            print(json.dumps(rows[-1]), flush=True)
        if args.qgis:
            for w in (1, n):
                rows.append(run_qgis(f"qgis_process WORKERS={w}", recs, w, work))
                print(json.dumps(rows[-1]), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    by = {r["config"]: r["views_per_s"] for r in rows}
    ratios = {}
    if "serial" in by and f"processes{n}" in by:
        ratios[f"processes{n} / serial"] = round(by[f"processes{n}"] / by["serial"], 2)
    if "dask1" in by and "dask2" in by:
        ratios["dask2 / dask1"] = round(by["dask2"] / by["dask1"], 2)
        steady = {r["config"]: r.get("steady_views_per_s") for r in rows}
        if steady.get("dask1") and steady.get("dask2"):
            ratios["dask2 / dask1 steady"] = round(steady["dask2"] / steady["dask1"], 2)
    if "qgis_process WORKERS=1" in by and f"qgis_process WORKERS={n}" in by:
        ratios[f"qgis_process WORKERS={n} / 1"] = round(by[f"qgis_process WORKERS={n}"] / by["qgis_process WORKERS=1"], 2)
    print(f"\n{'configuration':26s} {'views':>5s} {'s':>7s} {'views/s':>8s} {'load':>11s}   "
          + " ".join(f"{s:>8s}" for s in STAGES) + f" {'writer':>8s} {'all':>6s}  (CPU ms per view)  idle views/s")
    for r in rows:
        cpu = r.get("ms_per_view_cpu", {})
        print(f"{r['config']:26s} {r['views']:5d} {r['seconds']:7.1f} {r['views_per_s']:8.2f} "
              f"{r['load_before']:5.1f}>{r['load_after']:<5.1f}   " + " ".join(f"{cpu.get(s, 0):8.1f}" for s in STAGES)
              + f" {r.get('writer_process_cpu_ms_per_view', 0):8.1f} {r.get('all_cpu_ms_per_view', 0):6.0f}"
              + f"  {r.get('views_per_s_if_cores_idle', '')}"
              + (f"  steady {r['steady_views_per_s']:.2f} views/s, startup {r['startup_s']:.1f} s"
                 if "steady_views_per_s" in r else ""))
    print("ratios:", json.dumps(ratios), f"| remap grid, uncached: {grid_ms()} ms CPU per view")
    sizes = next((r["bytes_per_view_all_in"] for r in rows if "bytes_per_view_all_in" in r), None)
    if sizes:
        print("bytes a view on disk (first build):", ", ".join(f"{k} {v / 1024:.1f} KB" for k, v in sizes.items()))
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "bench_scale.json").write_text(json.dumps({
        "rows": rows, "ratios": ratios, "cpu_count": os.cpu_count(), "panoramas": args.panoramas,
        "children_cpu_s": round(usage.ru_utime + usage.ru_stime, 1)}, indent=1))


if __name__ == "__main__":  # worker processes import this file again: never run it there
    main()
