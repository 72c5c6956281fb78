"""A database built with one graph index backend, opened where only the other is
installed (hnswlib has no wheel for Python 3.13): the time the rebuild from the
stored embeddings takes at N views (default 100k), through the product's own
ReferenceDatabase (read the embeddings from the GeoPackage, build, validate, save).

The database: 24 photos through the tests' 512-d pixel embedder, then synthetic
views appended as benchmarks/bench_scale_db.py does (each a real view's embedding
plus noise, written with the store's add_images in batches).

    .venv/bin/python benchmarks/bench_backend_switch.py [--views 100000]
"""
import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO / "tests" / "engine"))
import bench_scale_db as sd  # noqa: E402  (sets sys.path for the plugin)


def open_timed(path, log, label):
    from geopin.geopin_plugin.engine.database.refdb import ReferenceDatabase

    t0 = time.perf_counter()
    with ReferenceDatabase.open(path) as db:
        db.ensure_index()
        seconds = time.perf_counter() - t0
        kind = type(db._index).kind
        hits = db.search(db.embeddings(db.ids()[:1]), k=5)[0]
    log(f"{label}: {kind} index ready in {seconds:.1f} s (first hit id {hits[0].view_id})")
    return kind, seconds


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--views", type=int, default=100_000)
    ap.add_argument("--work", type=Path, default=REPO / "build" / "bench" / "backend_switch")
    args = ap.parse_args(argv)
    log = lambda m: print(m, flush=True)  # noqa: E731
    from fixtures_refdb import make_photos
    from refdb_helpers import PixelEmbedder

    from geopin.geopin_plugin.engine.database import index
    from geopin.geopin_plugin.engine.builder import ingest

    args.work.mkdir(parents=True, exist_ok=True)
    base, big = args.work / "base.gpkg", args.work / f"switch_{args.views}.gpkg"
    if not base.exists():
        make_photos(args.work / "photos", 24)
        ingest.build(args.work / "photos", base, PixelEmbedder(dim=512), None)
    if not big.exists():
        writer, _ = sd.synthesize(base, big, args.views, 1.0, log)
        log(f"wrote {args.views:,} views ({writer:,.0f} views/s)")
    for p in big.parent.glob(big.name + ".*"):
        if p.suffix in (".hnsw", ".fhnsw", ".json"):
            p.unlink()
    log(f"{args.views:,} views, 512-d, {os.cpu_count()} CPUs (shared, loaded machine)")
    open_timed(big, log, "first open, hnswlib installed (build)")
    open_timed(big, log, "second open, hnswlib installed (load)")
    index.hnswlib_available = lambda: False  # what a QGIS on Python 3.13 has
    open_timed(big, log, "open where only faiss is installed (rebuild)")
    open_timed(big, log, "next open, faiss only (load)")
    index.hnswlib_available = lambda: True
    index.faiss_available = lambda: False
    for p in big.parent.glob(big.name + ".*.hnsw*"):
        p.unlink()  # back on a machine with hnswlib only, its index gone too
    open_timed(big, log, "open where only hnswlib is installed (rebuild)")


if __name__ == "__main__":
    main()
