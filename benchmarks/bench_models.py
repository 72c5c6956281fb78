"""Model costs on this CPU: per-image embedding time at each embedder preset's
input size (batch 1 and batch 8), per-image RootSIFT extraction, per-pair matching
for each verifier tier, the tiered verification of 50 candidates, and model memory.

    .venv/bin/python benchmarks/bench_models.py [--repeats 5]

Uses the built models (make models) and real images from ../shared/datasets
(Lund frames; perspective views of Amsterdam panoramas). Prints a table and
writes build/bench/bench_models.json.
"""
import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from plugin_path import REPO  # noqa: E402  (the checkout as package `geopin`)

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from geopin.geopin_plugin.engine import models as M  # noqa: E402
from geopin.geopin_plugin.engine.embed import load_embedder  # noqa: E402
from geopin.geopin_plugin.engine.features import load_extractor  # noqa: E402
from geopin.geopin_plugin.engine.panorama import perspective_views  # noqa: E402
from geopin.geopin_plugin.engine.paths import datasets_dir  # noqa: E402
from geopin.geopin_plugin.engine.verify import Verifier, fundamental_inliers, mutual_matches  # noqa: E402

OUT = REPO / "build" / "bench"


def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def rgb(path):
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


CPU_TIMES = {}


def timeit(fn, repeats, key=None):
    """Median wall seconds; the median CPU seconds of this process go to CPU_TIMES[key]
    (wall time inflates when other jobs share the cores, CPU time much less)."""
    fn()  # warm-up
    ts, cs = [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        fn()
        ts.append(time.perf_counter() - t)
        cs.append(time.process_time() - c)
    if key:
        CPU_TIMES[key] = float(np.median(cs))
    return float(np.median(ts))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    data = datasets_dir()
    lund = sorted((data / "lund").glob("*.jpg"))
    frames = [rgb(p) for p in lund[:8]]
    rows, result = [], {"cpu_count": os.cpu_count(), "machine": platform.processor() or platform.machine(),
                        "load_avg_start": os.getloadavg(), "embedders": {}, "extractors": {}, "matching": {}}

    for pid, preset in M.PRESETS.items():
        if preset.kind != "embedder":
            continue
        before = rss_mb()
        emb = load_embedder(pid)
        emb.embed(frames[:1])
        mem = rss_mb() - before
        t1 = timeit(lambda: emb.embed(frames[:1]), args.repeats, pid)
        t8 = timeit(lambda: emb.embed(frames), max(1, args.repeats // 2)) / len(frames)
        size = emb.size_for(frames[0])
        result["embedders"][pid] = {"input": list(size), "s_per_image_batch1": t1, "s_per_image_batch8": t8,
                                    "rss_increase_mb": mem, "cpu_s_per_image_batch1": CPU_TIMES[pid], "file_mb": emb.path.stat().st_size / 1e6}
        rows.append((f"embed {pid}", f"{size[0]}x{size[1]}", f"{t1 * 1000:.0f} ms/img (b1; CPU {CPU_TIMES[pid] * 1000:.0f} ms), {t8 * 1000:.0f} ms/img (b8)",
                     f"file {emb.path.stat().st_size / 1e6:.1f} MB, +{mem:.0f} MB RSS"))
        del emb

    ex = load_extractor(M.DEFAULT_EXTRACTOR)
    te = timeit(lambda: ex.extract(frames[0]), args.repeats, "extract")
    result["extractors"][ex.preset_id] = {"input": [1024, 768], "s_per_image": te, "cpu_s_per_image": CPU_TIMES["extract"]}
    rows.append((f"extract {ex.preset_id}", "1024x768", f"{te * 1000:.0f} ms/img (CPU {CPU_TIMES['extract'] * 1000:.0f} ms)", "model-free"))

    # Matching on real views: one query view against 50 reference views cut from
    # Amsterdam panoramas (one shares its crossroads, the rest are other places).
    pano_dir = data / "amsterdam-panoramas"
    query_pano = "TMX7316010203-000992_pano_0001_000323.jpg"
    partner = "TMX7316010203-001041_pano_0002_002709.jpg"  # same crossroads, another capture run
    names = [query_pano, partner] + sorted(p.name for p in pano_dir.glob("*.jpg") if p.name not in (query_pano, partner))
    refs, q = [], None
    heads = [0, 45, 90, 135, 180, 225, 270, 315]
    for n in names:
        views = perspective_views(rgb(pano_dir / n), heads)
        if n == query_pano:
            q = ex.extract(views[7])
            continue
        refs += [ex.extract(v) for v in views]
        if len(refs) >= 50:
            break
    refs = dict(enumerate(refs[:50]))
    verifier = Verifier()
    c = verifier.config
    for k, tier in ((c.fast_keypoints, "rootsift-1k"), (c.full_keypoints, "rootsift-2k")):
        tp = timeit(lambda: [verifier.verify_pair(q, r, k, tier) for r in list(refs.values())[:10]], 3, tier) / 10
        cp = CPU_TIMES[tier] / 10
        dq = q.descriptors[:k].astype(np.float32)
        dr = refs[0].descriptors[:k].astype(np.float32)
        tm = timeit(lambda: mutual_matches(dq, dr), 5)
        result["matching"][tier] = {"keypoints": k, "s_per_pair": tp, "cpu_s_per_pair": cp, "s_mutual_nn": tm}
        rows.append((f"match {tier}", f"{k} kp/side", f"{tp * 1000:.1f} ms/pair (CPU {cp * 1000:.1f} ms)",
                     f"of which mutual NN {tm * 1000:.1f} ms"))
    pairs = mutual_matches(q.descriptors.astype(np.float32), refs[0].descriptors.astype(np.float32))
    pq, pr = q.keypoints[pairs[:, 0]], refs[0].keypoints[pairs[:, 1]]
    tr = timeit(lambda: fundamental_inliers(pq, pr, 2.0, 0.999, 2000), 5)
    rows.append(("MAGSAC F-matrix", f"{len(pairs)} tentative", f"{tr * 1000:.1f} ms", "cv2.USAC_MAGSAC"))
    result["matching"]["magsac"] = {"tentative": int(len(pairs)), "s": tr}

    t50, c50 = [], []
    for _ in range(3):
        t, c = time.perf_counter(), time.process_time()
        res = verifier.verify(q, refs)
        t50.append(time.perf_counter() - t)
        c50.append(time.process_time() - c)
    n2 = sum(v.tier == "rootsift-2k" for v in res.values())
    nv = sum(v.verified for v in res.values())
    result["verify_top50"] = {"s": float(np.median(t50)), "cpu_s": float(np.median(c50)), "tier2_pairs": n2, "verified": nv}
    rows.append(("verify top-50 (tiered)", "50 real views", f"{np.median(t50) * 1000:.0f} ms/query (CPU {np.median(c50) * 1000:.0f} ms)",
                 f"{n2} pairs went to tier 2, {nv} verified"))
    # Learned tier (opt-in): DISK extraction and LightGlue per pair.
    from geopin.geopin_plugin.engine.learned import load_matcher

    before = rss_mb()
    disk = load_extractor("disk-640")
    lg = load_matcher("lightglue-disk")
    fd = [disk.extract(fr) for fr in frames[:2]]
    mem = rss_mb() - before
    td = timeit(lambda: disk.extract(frames[0]), 2, "disk")
    result["extractors"]["disk-640"] = {"input": [640, 480], "s_per_image": td, "cpu_s_per_image": CPU_TIMES["disk"],
                                        "rss_increase_mb_with_lightglue": mem}
    rows.append(("extract disk-640", "640x480", f"{td * 1000:.0f} ms/img (CPU {CPU_TIMES['disk'] * 1000:.0f} ms)",
                 f"+{mem:.0f} MB RSS with LightGlue"))
    for k in (512, 1024, 2048):
        tl = timeit(lambda: lg.match(fd[0], fd[1], k), 1, f"lg{k}")
        result["matching"][f"lightglue-disk-{k}"] = {"keypoints": k, "s_per_pair": tl, "cpu_s_per_pair": CPU_TIMES[f"lg{k}"]}
        rows.append((f"match lightglue-disk", f"{k} kp/side", f"{tl * 1000:.0f} ms/pair (CPU {CPU_TIMES[f'lg{k}'] * 1000:.0f} ms)",
                     "ONNX, no pruning"))
    result["load_avg_end"] = os.getloadavg()

    w = [max(len(r[i]) for r in rows) for i in range(4)]
    print(f"CPU: {os.cpu_count()} cores, load average at start {result['load_avg_start'][0]:.2f}, "
          f"at end {result['load_avg_end'][0]:.2f}")
    for r in rows:
        print("  ".join(s.ljust(w[i]) for i, s in enumerate(r)))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "bench_models.json").write_text(json.dumps(result, indent=1))
    print(f"wrote {OUT / 'bench_models.json'}")


if __name__ == "__main__":
    main()
