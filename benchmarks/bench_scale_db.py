"""One reference database at scale: a real GeoPackage of N views (default 1M)
built from the real Amsterdam database plus synthetic records, measured through
the product's own ReferenceDatabase and Geolocator.

The synthetic records are real-looking: each embedding is a real view's plus
Gaussian noise (bench_geolocate.py's rule, so the top-k mixes real and synthetic
hits), positions anywhere in the Netherlands, the view image of the real view it
came from; they are written with the store's add_images in batches, the way a
build's writer commits. They carry no local features of their own (1M x 140 KB
would not fit this disk): for the query timing the database lends each synthetic
view the stored features of its real view, so verification costs what it would.

Prints: the writer's views/s, the index build time, open time (validation +
load, warm and after dropping nothing: the page cache is the OS's), index RAM a
view (RSS growth when the index loads), disk a view (GeoPackage, index file;
and the real database all in: GeoPackage + index + view JPEGs), recall@100 of
the chosen index against exact search, query p50 against the real database in
the same run.

    .venv/bin/python benchmarks/bench_scale_db.py [--views 1000000] [--queries 8]
"""
import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
import bench_geolocate as bg  # noqa: E402  (sets sys.path for the plugin)

import numpy as np  # noqa: E402
from memory import rss_mb  # noqa: E402

BATCH_IMAGES = 500  # synthetic panoramas of 8 views per add_images transaction




def folder_bytes(path):
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file()) if Path(path).exists() else 0


def all_in_bytes(db_path):
    """GeoPackage + every index file and sidecar beside it + the view JPEGs."""
    db_path = Path(db_path)
    side = sum(p.stat().st_size for p in db_path.parent.glob(db_path.name + ".*") if p.is_file())
    return db_path.stat().st_size + side, folder_bytes(db_path.with_name(db_path.stem + "_views"))


def synthesize(real_path, big_path, views, noise, log):
    """Copy the real database and append synthetic panoramas until it holds `views` views."""
    from geopin.geopin_plugin.engine.database.refdb import ReferenceDatabase
    from geopin.geopin_plugin.engine.database.store import GeoPackageStore

    with ReferenceDatabase.open(real_path) as real:
        real_ids = real.ids()
        real_vecs = real.embeddings(real_ids)
        real_views = real.views(real_ids)
        preset, dim = real.meta["model_preset"], int(real.meta["dim"])
    big_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(real_path, big_path)
    real_views_dir = Path(real_path).with_name(Path(real_path).stem + "_views")
    copy = big_path.parent / real_views_dir.name  # the stored paths are relative to the GeoPackage's folder
    if real_views_dir.is_dir() and not copy.exists():  # a real database built with view copies
        shutil.copytree(real_views_dir, copy)
    # a synthetic view names its real view's copy, or none (the default build keeps none:
    # LentFeatures.load_view_image reads the real view instead)
    stored_view = [os.path.relpath(v.view_image_path, Path(real_path).parent) if v.view_image_path else ""
                   for v in real_views]
    store = GeoPackageStore.create_or_open(big_path, preset, dim)
    n_real = len(real_ids)
    rng = np.random.default_rng(11)
    t0 = time.perf_counter()
    done = n_real
    pano = 0
    while done < views:
        items = []
        for _ in range(BATCH_IMAGES):
            if done >= views:
                break
            n = min(8, views - done)
            src = (np.arange(done, done + n)) % n_real
            vec = real_vecs[src] + noise * rng.standard_normal((n, dim)).astype(np.float32) / np.sqrt(dim)
            vec /= np.linalg.norm(vec, axis=1, keepdims=True)
            x, y = rng.uniform(13000, 278000), rng.uniform(306000, 619000)
            items.append(dict(content_hash=f"synthetic-{pano}", path=f"synthetic/{pano}.jpg", source="synthetic",
                              source_id=str(pano), embeddings=vec, views=[
                                  {"x": x, "y": y, "lat": 52.0, "lon": 5.0, "view_image": stored_view[s],
                                   "image_path": f"synthetic/{pano}.jpg", "pano_id": f"synthetic-{pano}",
                                   "view_index": i, "is_panorama": True, "heading": 45.0 * i, "fov": 90.0}
                                  for i, s in enumerate(src)]))
            done += n
            pano += 1
        store.add_images(items)
        if pano % 20000 < BATCH_IMAGES:
            log(f"  {done:,}/{views:,} views ({done / (time.perf_counter() - t0):,.0f} views/s)")
    writer = (views - n_real) / (time.perf_counter() - t0)
    store.update_counts_and_extent()
    store.close()
    return writer, n_real


class LentFeatures:
    """The 1M database with each synthetic view lending its real view's features
    and image (the i-th view after the real ones came from real view i mod n_real)."""

    def __init__(self, db, n_real):
        self._db = db
        self._ids = db.ids()
        self._n_real = n_real

    def __getattr__(self, name):
        return getattr(self._db, name)

    def _source(self, view_id):
        row = int(np.searchsorted(self._ids, view_id))
        return int(self._ids[row % self._n_real]) if row >= self._n_real else int(view_id)

    def local_features(self, view_ids, extractor_id):
        src = {int(v): self._source(v) for v in view_ids}
        real = self._db.local_features(sorted(set(src.values())), extractor_id)
        return {v: real[s] for v, s in src.items() if s in real}

    def load_view_image(self, view_id):
        return self._db.load_view_image(self._source(view_id))


def recall_at_100(db, n_queries=100, seed=5):
    rng = np.random.default_rng(seed)
    ids = db.ids()
    q = db.embeddings(ids[rng.choice(len(ids), n_queries, replace=False)])
    q = q + 0.5 * rng.standard_normal(q.shape).astype(np.float32) / np.sqrt(q.shape[1])
    t0 = time.perf_counter()
    found = db.search(q, k=100)
    t_index = (time.perf_counter() - t0) / n_queries
    t0 = time.perf_counter()
    truth = db.exact_search(q, k=100)
    t_exact = (time.perf_counter() - t0) / n_queries
    rec = np.mean([len({h.view_id for h in f} & {h.view_id for h in t}) / 100 for f, t in zip(found, truth)])
    return float(rec), t_index, t_exact


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--views", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=8)
    ap.add_argument("--noise", type=float, default=1.0)
    ap.add_argument("--work", type=Path, default=REPO / "build" / "bench" / "scale")
    args = ap.parse_args(argv)
    log = lambda m: print(m, flush=True)  # noqa: E731

    from geopin.geopin_plugin.engine.pipeline import Geolocator, PipelineConfig
    from geopin.geopin_plugin.engine.database.refdb import ReferenceDatabase
    from geopin.geopin_plugin.engine.database.store import GeoPackageStore

    if not bg.AMS_DB.exists():
        bg.demo.build_database(bg.AMS_DB)
    big = args.work / f"synthetic_{args.views}.gpkg"
    out = {"views": args.views, "cpu_count": os.cpu_count()}
    with ReferenceDatabase.open(bg.AMS_DB) as real:
        real_count = real.count
    gpkg, jpegs = all_in_bytes(bg.AMS_DB)
    out["real_all_in_bytes_per_view"] = (gpkg + jpegs) / real_count
    log(f"real database, {real_count} views: {(gpkg + jpegs) / real_count / 1024:.0f} KB a view all in "
        f"(GeoPackage + index {gpkg / real_count / 1024:.0f} KB, view JPEGs {jpegs / real_count / 1024:.0f} KB)")
    if not big.exists():
        log(f"writing {args.views:,} views (synthetic records after the real ones)")
        out["writer_views_per_s"], _ = synthesize(bg.AMS_DB, big, args.views, args.noise, log)
        log(f"writer: {out['writer_views_per_s']:,.0f} views/s (add_images, {BATCH_IMAGES} panoramas a transaction)")
        t0 = time.perf_counter()
        with ReferenceDatabase.open(big) as db:
            out["index_build_s"] = time.perf_counter() - t0
            log(f"first open built the {db._backend().kind} index in {out['index_build_s']:.0f} s")
    opens, ram = [], []
    for _ in range(3):
        r0 = rss_mb()
        t0 = time.perf_counter()
        db = ReferenceDatabase(GeoPackageStore.open(big))
        r1 = rss_mb()
        db.ensure_index()
        opens.append(time.perf_counter() - t0)
        ram.append((rss_mb() - r1) * 1024 * 1024 / db.count)
        assert not db.warnings, db.warnings
        if len(opens) < 3:
            db.close()
    out["backend"] = db._backend().kind
    out["open_s"] = float(np.median(opens))
    out["index_ram_bytes_per_view"] = float(np.median(ram))
    gpkg_size = big.stat().st_size
    index_size = db.index_path().stat().st_size
    out["gpkg_bytes_per_view"] = gpkg_size / db.count
    out["index_file_bytes_per_view"] = index_size / db.count
    log(f"{db.count:,} views, {out['backend']}: open {out['open_s']:.2f} s (median of 3: "
        f"{', '.join(f'{t:.2f}' for t in opens)}), index RAM {out['index_ram_bytes_per_view']:.0f} B a view, "
        f"GeoPackage {out['gpkg_bytes_per_view']:.0f} B a view (no features), index file "
        f"{out['index_file_bytes_per_view']:.0f} B a view")
    out["recall_at_100"], t_index, t_exact = recall_at_100(db)
    log(f"recall@100 against exact search {out['recall_at_100']:.3f} ({t_index * 1000:.1f} ms a query; "
        f"exact {t_exact * 1000:.0f} ms)")
    config = PipelineConfig()
    qs = bg.queries(args.queries)
    for which, geo in (("real", Geolocator(bg.AMS_DB, config)),
                       ("scaled", Geolocator(bg.AMS_DB, config, database=LentFeatures(db, real_count)))):
        geo.locate(qs[0][1])  # warm-up
        log(f"{which}:")
        rows = bg.measure(geo, qs, which == "real", log)
        out[which] = bg.summary(rows)
    log(f"query p50: real {out['real']['total']['p50']:.2f} s, {db.count:,} views {out['scaled']['total']['p50']:.2f} s "
        f"(search p50 {out['real']['search']['p50'] * 1000:.0f} -> {out['scaled']['search']['p50'] * 1000:.0f} ms)")
    (args.work / "bench_scale_db.json").write_text(json.dumps(out, indent=2))
    log(f"written {args.work / 'bench_scale_db.json'}")


if __name__ == "__main__":
    main()
