"""Build or extend a reference database from a shell: on the local cores, or on
Dask (a LocalCluster, or a running cluster's scheduler; see docs/scale.md).

    .venv/bin/python scripts/build_database.py INPUT_DIR DATABASE.gpkg [--coordinates CSV]
        [--headings 8] [--fov 90] [--embedder ID] [--extractor ID]
        [--workers N]                  # N local worker processes (default: one per core; 1: this process)
        [--dask-workers N]             # a Dask LocalCluster of N worker processes
        [--scheduler tcp://HOST:8786]  # a running Dask cluster

The same as the Processing algorithm geopin:buildreferencedatabase: images already
in the database (same content hash) are skipped, so a stopped run is resumed by
running the same command again. Prints the counts and views per second.
"""
import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from plugin_path import REPO  # noqa: E402,F401  (the checkout as package `geopin`)

from geopin.geopin_plugin.engine import embed, models, registry  # noqa: E402
from geopin.geopin_plugin.engine.builder import ingest  # noqa: E402
from geopin.geopin_plugin.engine.builder import loaders  # noqa: E402
from geopin.geopin_plugin.engine.builder.config import BuildConfig  # noqa: E402


def make_runner(args, embedder, extractor):
    """None (this process), a ProcessRunner or a DaskRunner, from the options."""
    recipe = loaders.models_for(embedder, extractor)
    if args.scheduler or args.dask_workers:
        from geopin.geopin_plugin.engine.builder.cluster import DaskRunner

        if recipe is None:
            sys.exit("these models cannot be loaded on Dask workers")
        if args.scheduler:  # other machines: each worker finds the models in its own models folder
            recipe = dataclasses.replace(recipe, embedder_directory=None, extractor_directory=None)
        return DaskRunner(recipe, scheduler=args.scheduler, n_workers=args.dask_workers)
    workers = args.workers or os.cpu_count() or 1
    if workers <= 1 or recipe is None:
        return None
    from geopin.geopin_plugin.engine.builder.pool import ProcessRunner

    return ProcessRunner(recipe, workers)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("input", help="folder with photos and panoramas (searched recursively)")
    ap.add_argument("database", help="the reference database (.gpkg), created or appended")
    ap.add_argument("--coordinates", help="CSV: file, lat, lon[, heading, capture_time, pano_id]")
    ap.add_argument("--headings", type=int, default=BuildConfig.panorama_headings,
                    help=f"views per panorama ({BuildConfig.panorama_headings})")
    ap.add_argument("--fov", type=float, default=BuildConfig.view_fov,
                    help=f"horizontal field of view of a view ({BuildConfig.view_fov:g})")
    ap.add_argument("--embedder", default=models.DEFAULT_EMBEDDER)
    ap.add_argument("--extractor", default=models.DEFAULT_EXTRACTOR)
    ap.add_argument("--keep-view-images", action="store_true",
                    help="write a JPEG copy of every view (~180 KB a view); without, views are cut from the "
                         "source images when shown")
    ap.add_argument("--int8-features", action="store_true",
                    help="store XFeat descriptors as int8 (140 KB a view) instead of 4-bit (76 KB)")
    where = ap.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, help="local worker processes (default: one per CPU core)")
    where.add_argument("--dask-workers", type=int, help="a Dask LocalCluster of this many worker processes")
    where.add_argument("--scheduler", help="address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786")
    args = ap.parse_args(argv)

    embedder_id, _ = ingest.parts_to_add(args.database, args.embedder)  # an existing database keeps its embedder
    if embedder_id != args.embedder:
        print(f"{args.database} was built with {embedder_id}: the new images are embedded with it too", file=sys.stderr)
    embedder = embed.load_embedder(embedder_id)
    extractor = registry.load_extractor(args.extractor)
    runner = make_runner(args, embedder, extractor)
    print(f"computing in {type(runner).__name__ if runner else 'this process'}", file=sys.stderr)
    last = [0.0]

    def progress(stage, fraction, message):
        now = time.monotonic()
        if now - last[0] > 5 or fraction >= 1.0:
            print(f"{100 * fraction:5.1f} % {message}", file=sys.stderr, flush=True)
            last[0] = now

    t0 = time.perf_counter()
    config = BuildConfig(panorama_headings=args.headings, view_fov=args.fov, keep_view_images=args.keep_view_images,
                         compact_features=not args.int8_features)
    report = ingest.build(args.input, args.database, embedder, extractor, coordinates=args.coordinates,
                          config=config, progress=progress, runner=runner)
    seconds = time.perf_counter() - t0
    for file, reason in report.errors[:20]:
        print(f"skipped {file}: {reason}", file=sys.stderr)
    print(f"{report.added} images added ({report.views_added} views), {report.skipped} skipped, "
          f"{report.failed} failed in {seconds:.1f} s: {report.views_added / max(seconds, 1e-9):.2f} views/s")
    return 1 if report.canceled else 0


if __name__ == "__main__":  # worker processes import this file again: never run it there
    sys.exit(main())
