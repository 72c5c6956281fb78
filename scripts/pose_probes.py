"""Issue 13 probes (not part of the product): three ways to pin more amsterdam-lopo
positives than two crossing bearing lines do, each measured and each rejected
(docs/geolocation.md, "Camera pose"). All run the product's stages on the
positives through the evaluation's runner and caches.

    GEOPIN_EVAL_CACHE=build/eval-cache .venv/bin/python scripts/pose_probes.py range
    GEOPIN_EVAL_CACHE=build/eval-cache .venv/bin/python scripts/pose_probes.py expand [--min-inliers 15]
    GEOPIN_EVAL_CACHE=build/eval-cache .venv/bin/python scripts/pose_probes.py fov

range:  a bearing line has no range. Its reference's matched keypoints are
        triangulated against the neighbouring reference panoramas (known poses, so
        metric); where the query's inliers land on such a keypoint (within 6 px),
        depth / unit-baseline depth is the scale of the query's translation.
expand: "nearby evidence": every view of the panoramas within 60 m of the best
        verified one is matched with the query (fast tier, at least --min-inliers),
        and their poses are added as bearing lines before triangulating.
fov:    the query's FOV: the product's hypothesis (most essential-matrix inliers
        over 50/65/80/95 deg) against a focal length from the fundamental matrix
        (one unknown focal: the FOV whose E = Kq^T F Kr has the closest two singular
        values, 40-110 deg, summed over the references).
"""
import argparse
import math
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from plugin_path import REPO  # noqa: F401,E402  (the checkout as package `geopin`)

import numpy as np  # noqa: E402

from geopin.geopin_plugin.engine.evaluation.config import EvalConfig  # noqa: E402
from geopin.geopin_plugin.engine.evaluation.runner import ProtocolRunner  # noqa: E402
from geopin.geopin_plugin.engine.estimate import bearings as L  # noqa: E402
from geopin.geopin_plugin.engine.estimate import relative_pose as P  # noqa: E402
from geopin.geopin_plugin.engine.evaluation import protocols as pr  # noqa: E402
from geopin.geopin_plugin.engine import stages  # noqa: E402
from geopin.geopin_plugin.engine.evaluation.runner import query_camera  # noqa: E402
from geopin.geopin_plugin.engine.geo import wgs84_to_rd  # noqa: E402


def cam_to_world(heading_deg):
    """Columns: a level camera's right, down, forward in (east, north, up)."""
    r = math.radians(heading_deg)
    return np.stack([[math.cos(r), -math.sin(r), 0.0], [0.0, 0.0, -1.0], [math.sin(r), math.cos(r), 0.0]], axis=1)


def ray_depths(c1, d1, c2, d2):
    """(l1, l2) minimising |c1 + l1 d1 - c2 - l2 d2|, or None when parallel."""
    A = np.array([[d1 @ d1, -d1 @ d2], [d1 @ d2, -d2 @ d2]])
    try:
        return np.linalg.solve(A, np.array([(c2 - c1) @ d1, (c2 - c1) @ d2]))
    except np.linalg.LinAlgError:
        return None


def verified(runner, q):
    cands = stages.retrieve(q.item, runner.embedder, runner.index, runner.pipeline.top_k,
                            exclude=q.exclude_groups).candidates
    size, _ = runner._verify(q, cands)
    return cands, size, (stages.pose_inputs(cands, size) if size else [])


def view_camera(v, f):
    return P.view_intrinsics(float(v.fov), tuple(f.image_size), view_size=v.view_size, min_elevation_deg=v.min_elevation)


def probe_range(runner, qs, fk):
    ranged = []
    for q in qs:
        cands, size, inputs = verified(runner, q)
        if not inputs:
            continue
        stage = L.pose_stage(size, inputs, None, query_camera(q.item))
        tx, ty = wgs84_to_rd(q.item.lat, q.item.lon)
        kq = (query_camera(q.item) or P.centred_intrinsics)(size, stage.hfov_deg)
        best = None
        for inp in inputs:
            pz = stage.poses.get(inp.view_id)
            if pz is None or pz.bearing_deg is None:
                continue
            va = next(v for v in runner.views if v.view_id == inp.view_id)
            fa = runner.features([va.view_id])[va.view_id]
            ca, ra = np.array([va.x, va.y, 0.0]), cam_to_world(va.heading)
            depth = {}
            for vb in runner.views:
                if vb.pano_id == va.pano_id or vb.pano_id in q.exclude_groups or vb.heading is None:
                    continue
                if math.hypot(vb.x - va.x, vb.y - va.y) > 60 or abs((vb.heading - va.heading + 180) % 360 - 180) > 67.5:
                    continue
                fb = runner.features([vb.view_id])[vb.view_id]
                m = runner.verifier.verify_pair(fa, fb, fk).matches
                if len(m) < 15:
                    continue
                cb, rb = np.array([vb.x, vb.y, 0.0]), cam_to_world(vb.heading)
                for (xa, ya), d1, d2 in zip(m[:, :2], P.rays(m[:, :2], inp.ref_intrinsics) @ ra.T,
                                            P.rays(m[:, 2:4], view_camera(vb, fb)) @ rb.T):
                    if math.degrees(math.acos(np.clip(d1 @ d2, -1, 1))) < 1.5:
                        continue
                    s = ray_depths(ca, d1, cb, d2)
                    if s is None or s[0] <= 1 or s[1] <= 1 or s[0] > 150:
                        continue
                    if np.linalg.norm(ca + s[0] * d1 - cb - s[1] * d2) <= 0.02 * s[0]:
                        depth.setdefault((float(xa), float(ya)), []).append(s[0])
            if not depth:
                continue
            keys = np.array(list(depth)), np.array([np.median(v) for v in depth.values()])
            cq = -pz.R.T @ pz.t  # the query camera in the reference frame, unit baseline
            ratios = []
            for (xa, ya), dq, da in zip(inp.matches[:, 2:4], P.rays(inp.matches[:, :2], kq) @ pz.R,
                                        P.rays(inp.matches[:, 2:4], inp.ref_intrinsics)):
                dist = np.hypot(keys[0][:, 0] - xa, keys[0][:, 1] - ya)
                j = int(np.argmin(dist))
                s = ray_depths(np.zeros(3), da, cq, dq) if dist[j] <= 6.0 else None
                if s is not None and s[0] > 0 and s[1] > 0:
                    ratios.append(keys[1][j] / s[0])
            if len(ratios) >= 3 and (best is None or len(ratios) > best[0]):
                w = ra @ cq * float(np.median(ratios))
                best = (len(ratios), math.hypot(va.x + w[0] - tx, va.y + w[1] - ty))
        if best:
            ranged.append(best[1])
            print(f"{q.item.label}: range from {best[0]} points, {best[1]:.1f} m off", flush=True)
    e = np.array(ranged)
    print(f"{len(qs)} positives, {len(e)} with a range; within 10 m {int((e <= 10).sum())}"
          + (f", median {np.median(e):.1f} m" if len(e) else ""))


def probe_expand(runner, qs, fk, min_inliers):
    before = after = 0
    errs = []
    for q in qs:
        cands, size, inputs = verified(runner, q)
        if not inputs:
            continue
        best = max(inputs, key=lambda i: len(i.matches))
        done = {i.view_id for i in inputs}
        qf = runner.extractor.extract(q.item)
        extra = []
        for v in runner.views:
            if v.view_id in done or v.pano_id in q.exclude_groups or v.heading is None:
                continue
            if math.hypot(v.x - best.x, v.y - best.y) > 60:
                continue
            f = runner.features([v.view_id])[v.view_id]
            m = runner.verifier.verify_pair(qf, f, fk).matches
            if len(m) >= min_inliers:
                extra.append(L.PoseInput(m, view_camera(v, f), float(v.heading), v.x, v.y, v.pano_id, v.view_id))
        cam = query_camera(q.item)
        s0, s1 = L.pose_stage(size, inputs, None, cam), L.pose_stage(size, inputs + extra, None, cam)
        tx, ty = wgs84_to_rd(q.item.lat, q.item.lon)
        p0, p1 = L.intersect(s0.lines), L.intersect(s1.lines)
        before += p0 is not None and math.hypot(p0[0] - tx, p0[1] - ty) <= 10
        if p1 is not None:
            errs.append(math.hypot(p1[0] - tx, p1[1] - ty))
            after += errs[-1] <= 10
        print(f"{q.item.label}: {len(extra)} more views, {L.position_method(s0.lines)} -> "
              f"{L.position_method(s1.lines)}", flush=True)
    print(f"min inliers {min_inliers}: triangulated {len(errs)}, within 10 m {before} -> {after}; "
          f"errors {sorted(round(e, 1) for e in errs)}")


def probe_fov(runner, qs):
    import cv2

    grid = np.arange(40.0, 111.0, 1.0)
    rows = []
    for q in qs:
        cands, size, inputs = verified(runner, q)
        inputs = sorted([i for i in inputs if len(i.matches) >= P.MIN_POSE_INLIERS], key=lambda i: -len(i.matches))[:8]
        if not inputs:
            continue
        cam = query_camera(q.item) or P.centred_intrinsics
        hyp = L.pose_stage(size, inputs, None, query_camera(q.item)).hfov_deg
        cost = np.zeros(len(grid))
        for inp in inputs:
            m = inp.matches.astype(np.float64)
            cv2.setRNGSeed(0)
            F, mask = cv2.findFundamentalMat(m[:, 2:4], m[:, :2], cv2.USAC_MAGSAC, 1.5, 0.999, 2000)
            if F is None or F.shape != (3, 3):
                continue
            for i, fov in enumerate(grid):
                s = np.linalg.svd(cam(size, fov).K.T @ F @ inp.ref_intrinsics.K, compute_uv=False)
                cost[i] += (s[0] - s[1]) / (s[0] + s[1]) * math.sqrt(int(mask.sum()))
        rows.append((float(q.item.fov), hyp, float(grid[int(np.argmin(cost))])))
    a = np.array(rows)
    for name, col in (("hypotheses", 1), ("fundamental matrix", 2)):
        err = np.abs(a[:, col] - a[:, 0])
        print(f"{name}: {len(a)} queries, median FOV error {np.median(err):.1f} deg, within 7.5 deg "
              f"{100 * np.mean(err <= 7.5):.0f} %")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("probe", choices=("range", "expand", "fov"))
    ap.add_argument("--min-inliers", type=int, default=15)
    args = ap.parse_args(argv)
    protocol = pr.amsterdam_lopo()
    qs = [q for q in protocol.queries if q.positive]
    runner = ProtocolRunner(replace(protocol, queries=qs), EvalConfig())
    runner.prepare()
    fk = runner.verifier.config.fast_keypoints
    if args.probe == "range":
        probe_range(runner, qs, fk)
    elif args.probe == "expand":
        probe_expand(runner, qs, fk, args.min_inliers)
    else:
        probe_fov(runner, qs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
