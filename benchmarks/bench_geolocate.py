"""End-to-end geolocation latency per query: embed, search, verify, posterior.

Two databases:

* ``amsterdam``: the real Amsterdam reference database (17 panoramas x 8 views,
  build/geolocation/amsterdam_all.gpkg, built when missing); queries are 65°
  views from each panorama at headings between the reference views, searched
  with their own panorama left out.
* ``1m``: 1,000,000 views: the real Amsterdam embeddings plus synthetic
  embeddings (each a real one plus Gaussian noise, so the top-k mixes real and
  synthetic hits) in an hnswlib index with the reference database's parameters
  (HNSW_M, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH, inner product), synthetic
  positions spread over the Netherlands. Verification cost is real: a synthetic
  view carries the stored RootSIFT features of the real view it was derived
  from. The index is built once and cached in build/bench/.

``--covered``: only queries from the panoramas whose place another panorama
covers (a partner within COVERED_M: the place is in the database although the
query's own panorama is left out; they verify). Without it most bench queries
come from places without a partner ("no match").

Each query runs through the real Geolocator.locate (top_k 100, verify_top 50).
Prints p50/p90 per stage and total, and writes build/bench/bench_geolocate.json.

    .venv/bin/python benchmarks/bench_geolocate.py [--db amsterdam 1m] [--queries 24] [--size 1000000] [--covered]
"""
import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
import demo  # noqa: E402  (sets sys.path for the plugin)

import numpy as np  # noqa: E402

OUT = REPO / "build" / "bench"
AMS_DB = REPO / "build" / "geolocation" / "amsterdam_all.gpkg"
HEADINGS = (22.5, 112.5, 202.5, 292.5)
STAGES = ("embed", "search", "verify", "posterior")
COVERED_M = 50.0  # a partner panorama this close covers the place (the dataset's pairs: 23-45 m)


class SyntheticDatabase:
    """The ReferenceDatabase reading interface over a big synthetic hnswlib index
    whose views borrow the stored features and images of real views."""

    def __init__(self, real, size, seed=7, noise=1.0, log=print):
        import hnswlib

        from geopin.geopin_plugin.engine.database.index import hnsw

        self.real = real
        self.real_ids = np.asarray(real.ids(), dtype=np.int64)
        self.real_vecs = real.embeddings(self.real_ids)
        self.n_real = len(self.real_ids)
        self.count = int(size)
        self.meta = dict(real.meta)
        self.seed = seed
        dim = int(self.meta["dim"])
        self.ef = hnsw.HNSW_EF_SEARCH
        path = OUT / f"synthetic_{self.count}_{seed}_{noise:g}_{self.meta['model_preset']}_m{hnsw.HNSW_M}.bin"
        self.index = hnswlib.Index(space="ip", dim=dim)
        if path.exists():
            t0 = time.perf_counter()
            self.index.load_index(str(path), max_elements=self.count)
            log(f"loaded {path.name} ({time.perf_counter() - t0:.1f} s)")
        else:
            OUT.mkdir(parents=True, exist_ok=True)
            self.index.init_index(max_elements=self.count, M=hnsw.HNSW_M, ef_construction=hnsw.HNSW_EF_CONSTRUCTION,
                                  random_seed=seed)
            t0 = time.perf_counter()
            chunk = 50_000
            for start in range(0, self.count, chunk):
                n = min(chunk, self.count - start)
                self.index.add_items(self.vectors(start, n, noise), np.arange(start, start + n), num_threads=2)
                log(f"  index {start + n}/{self.count} ({time.perf_counter() - t0:.0f} s)")
            self.index.save_index(str(path))
            log(f"built {path.name} in {time.perf_counter() - t0:.0f} s")
        self.index.set_ef(self.ef)
        rng = np.random.default_rng(seed)
        # positions: the real views keep theirs (ids < n_real); the rest anywhere in the Netherlands (RD)
        self.xy = np.column_stack([rng.uniform(13000, 278000, self.count), rng.uniform(306000, 619000, self.count)])
        real_views = real.views(self.real_ids)
        self.xy[: self.n_real] = [(v.x, v.y) for v in real_views]
        self.real_views = real_views

    def vectors(self, start, n, noise):
        ids = np.arange(start, start + n)
        base = self.real_vecs[ids % self.n_real]
        rng = np.random.default_rng([self.seed, start])
        v = base + noise * rng.standard_normal(base.shape).astype(np.float32) / np.sqrt(base.shape[1])
        v[ids < self.n_real] = base[ids < self.n_real]  # the first n_real are the real views themselves
        return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)

    def search(self, vectors, k=100, area=None, ef=None, cells=None):
        """ReferenceDatabase.search without areas or cells (the bench asks for neither)."""
        from geopin.geopin_plugin.engine.types import SearchHit

        if area is not None or cells is not None:
            raise NotImplementedError("the synthetic database searches the whole index only")

        self.index.set_ef(max(self.ef, k))
        labels, dist = self.index.knn_query(np.atleast_2d(vectors).astype(np.float32), k=min(k, self.count))
        return [[SearchHit(int(i), float(1.0 - d)) for i, d in zip(li, di)] for li, di in zip(labels, dist)]

    def cell_grid(self, cell_m=None):
        """The views by cell (the error radius's bound by the local reference spacing)."""
        from geopin.geopin_plugin.engine.database.cells import CELL_M, CellGrid

        if getattr(self, "_grid", None) is None:
            self._grid = CellGrid(np.arange(self.count), self.xy[:, 0], self.xy[:, 1], cell_m=float(cell_m or CELL_M))
        return self._grid

    def views(self, ids):
        from dataclasses import replace

        out = []
        for i in ids:
            src = self.real_views[int(i) % self.n_real]
            if int(i) < self.n_real:
                out.append(replace(src))
            else:
                out.append(replace(src, view_id=int(i), x=float(self.xy[i, 0]), y=float(self.xy[i, 1]),
                                   pano_id=f"synthetic-{int(i) // 8}"))
        return out

    def local_features(self, ids, extractor_id):
        real = self.real.local_features([int(self.real_ids[int(i) % self.n_real]) for i in ids], extractor_id)
        return {int(i): real[int(self.real_ids[int(i) % self.n_real])] for i in ids
                if int(self.real_ids[int(i) % self.n_real]) in real}

    def load_view_image(self, view_id):
        return self.real.load_view_image(int(self.real_ids[int(view_id) % self.n_real]))


def covered_rows(rows):
    """The manifest rows with another panorama within COVERED_M."""
    from geopin.geopin_plugin.engine.geo import geodesic_distance_m

    return [r for r in rows if any(o is not r and geodesic_distance_m(float(r["lat"]), float(r["lon"]), float(o["lat"]),
                                                                      float(o["lon"])) <= COVERED_M for o in rows)]


def queries(n, covered=False):
    from geopin.geopin_plugin.engine.images import load_image
    from geopin.geopin_plugin.engine.panorama import perspective_view

    rows = demo.manifest()
    if covered:
        rows = covered_rows(rows)
    out = []
    for r in rows:
        pano = load_image(r["path"])
        for h in HEADINGS:
            out.append((r["pano_id"], perspective_view(pano, h, 65.0, (1024, 768))))
            if len(out) >= n:
                return out
        del pano
    return out


def measure(geolocator, qs, exclude, log):
    rows = []
    for i, (pano_id, image) in enumerate(qs):
        t0 = time.perf_counter()
        res = geolocator.locate(image, exclude_panos=[pano_id] if exclude else None)
        total = time.perf_counter() - t0
        row = {s: res.timings.get(s, 0.0) for s in STAGES}
        row["total"] = total
        row["n_verified"] = res.n_verified
        row["checked"] = sum(1 for c in res.candidates if c.checked)
        row["label"] = res.label
        rows.append(row)
        log(f"  {i + 1:3d}/{len(qs)} " + " ".join(f"{s} {row[s]:.3f}" for s in STAGES) +
            f" total {total:.3f} s, {row['checked']} verified-checked, {res.n_verified} verified")
    return rows


def feature_read(path, log, n=50, repeats=5):
    """Seconds to read and decode the stored local features of n candidates, and
    their stored size per view (what verification reads per query)."""
    from geopin.geopin_plugin.engine.database.refdb import ReferenceDatabase

    with ReferenceDatabase.open(path) as db:
        extractor = db.meta["extractor_preset"]
        ids = db.ids()[::max(1, len(db.ids()) // n)][:n]
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            feats = db.local_features(ids, extractor)
            times.append(time.perf_counter() - t0)
        size = db.store._con.execute(
            "SELECT avg(length(keypoints) + length(descriptors) + ifnull(length(scores), 0)) "
            "FROM geopin_local_features WHERE extractor_id=?", (extractor,)).fetchone()[0]
    out = {"extractor": extractor, "views": len(feats), "s_median": float(np.median(times)),
           "bytes_per_view": float(size)}
    log(f"reading the {extractor} features of {len(feats)} views: {out['s_median'] * 1000:.1f} ms "
        f"(median of {repeats}); {size / 1024:.1f} KB per view")
    return out


def summary(rows):
    out = {}
    for key in STAGES + ("total",):
        vals = np.array([r[key] for r in rows])
        out[key] = {"p50": float(np.percentile(vals, 50)), "p90": float(np.percentile(vals, 90))}
    found = np.array([r["total"] for r in rows if r["n_verified"]])  # the place verified: the chunk stop ends it
    out["total_verified"] = {"queries": int(len(found)), "p50": float(np.percentile(found, 50)) if len(found) else None,
                             "p90": float(np.percentile(found, 90)) if len(found) else None}
    out["queries"] = len(rows)
    out["checked_mean"] = float(np.mean([r["checked"] for r in rows]))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", nargs="+", default=["amsterdam", "1m"], choices=["amsterdam", "1m"])
    ap.add_argument("--queries", type=int, default=24)
    ap.add_argument("--size", type=int, default=1_000_000)
    ap.add_argument("--verify-top", type=int, default=50)
    ap.add_argument("--threads", type=int, default=2, help="verification threads")
    ap.add_argument("--covered", action="store_true", help="only queries whose place a partner panorama covers")
    ap.add_argument("--hopeless", type=int, nargs=2, metavar=("AFTER", "BELOW"),
                    help="the early stop (VerifyConfig.hopeless_after / hopeless_below; off by default)")
    args = ap.parse_args(argv)
    log = lambda m: print(m, flush=True)  # noqa: E731

    from geopin.geopin_plugin.engine.pipeline import Geolocator, PipelineConfig
    from geopin.geopin_plugin.engine.database.refdb import ReferenceDatabase

    if not AMS_DB.exists():
        demo.build_database(AMS_DB)
    config = PipelineConfig(top_k=100, verify_top=args.verify_top, verify_threads=args.threads)
    log(f"rendering {args.queries} {'covered-place ' if args.covered else ''}query views")
    qs = queries(args.queries, args.covered)
    results = {"cpu_count": os.cpu_count(), "config": {"top_k": 100, "verify_top": args.verify_top,
                                                         "verify_threads": args.threads},
               "covered": args.covered, "hopeless": args.hopeless}
    results["feature_read"] = feature_read(AMS_DB, log)
    for which in args.db:
        if which == "amsterdam":
            geo = Geolocator(AMS_DB, config)
            exclude = True
            label = f"amsterdam ({geo.db.count} views)"
        else:
            real = ReferenceDatabase.open(AMS_DB)
            synth = SyntheticDatabase(real, args.size, log=log)
            geo = Geolocator(AMS_DB, config, database=synth)
            exclude = False  # the synthetic views already outnumber the real ones
            label = f"synthetic {synth.count:,} views"
        if args.hopeless:
            from dataclasses import replace

            geo.verifier.config = replace(geo.verifier.config, hopeless_after=args.hopeless[0],
                                          hopeless_below=args.hopeless[1])
        geo.locate(qs[0][1])  # warm-up (first-run allocations), not counted
        log(f"{label}:")
        rows = measure(geo, qs, exclude, log)
        results[which] = dict(summary(rows), label=label, rows=rows)
    OUT.mkdir(parents=True, exist_ok=True)
    name = "bench_geolocate" + ("_covered" if args.covered else "") + ("_hopeless" if args.hopeless else "")
    (OUT / f"{name}.json").write_text(json.dumps(results, indent=2))
    print()
    print(f"| database | queries | " + " | ".join(f"{s} p50 / p90 (s)" for s in STAGES + ("total",)) + " |")
    print("|---|---|" + "---|" * (len(STAGES) + 1))
    for which in args.db:
        r = results[which]
        print(f"| {r['label']} | {r['queries']} | " +
              " | ".join(f"{r[s]['p50']:.3f} / {r[s]['p90']:.3f}" for s in STAGES + ("total",)) + " |")
    for which in args.db:
        v = results[which]["total_verified"]
        if v["queries"]:
            print(f"{which}: the {v['queries']} queries where something verified: total p50 / p90 "
                  f"{v['p50']:.3f} / {v['p90']:.3f} s")
    print(f"\nwritten {OUT / (name + '.json')}")


if __name__ == "__main__":
    main()
