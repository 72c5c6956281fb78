"""Issue 13 probe (not part of the product): does the ground plane fix the scale of a partner-panorama relative pose?
For partner panoramas (GPS baseline 3-80 m), views with similar headings: XFeat
fast-tier matches, relative pose with exact intrinsics both sides, triangulate the
inliers in the reference frame, estimate the (scale-free) camera height c from
points below the horizon; the implied camera height H = c * true baseline should be
one constant (the capture car's) if the method works.

    .venv/bin/python scripts/pose_ground_scale.py
"""
import sys, math, itertools
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from plugin_path import REPO
import numpy as np
from geopin.geopin_plugin.engine.evaluation import protocols as pr
from geopin.geopin_plugin.engine.estimate import relative_pose as pose
from geopin.geopin_plugin.engine import geo, registry
from geopin.geopin_plugin.engine.verification import verifier as verify
from geopin.geopin_plugin.engine.evaluation.items import render_items

refs = pr.amsterdam_references()
by_pano = {}
for it in refs:
    by_pano.setdefault(it.group, []).append(it)
xy = {g: geo.wgs84_to_rd(v[0].lat, v[0].lon) for g, v in by_pano.items()}
pairs = [(a, b) for a, b in itertools.combinations(sorted(by_pano), 2)
         if 3 < math.dist(xy[a], xy[b]) < 80]
print(len(pairs), "partner pairs")
ext = registry.load_extractor("xfeat-1024")
ver = verify.Verifier(verify.conf("xfeat"))
need = sorted({it for a, b in pairs for it in by_pano[a] + by_pano[b]}, key=lambda i: (i.path, i.heading))
feats = {it.key: ext.extract(img) for it, img in render_items(need)}

def triangulate(a, b, R, t):
    # lam_q b = lam_r R a + t  -> [R a, -b] [lam_r, lam_q]^T = -t
    out = []
    for ai, bi in zip(a, b):
        A = np.stack([R @ ai, -bi], axis=1)
        lam, *_ = np.linalg.lstsq(A, -t, rcond=None)
        out.append(lam)
    lam = np.array(out)
    return lam[:, 0:1] * a, lam

rows = []
for A, B in pairs:
    base = math.dist(xy[A], xy[B])
    for ia in by_pano[A]:
        for ib in by_pano[B]:
            d = abs((ia.heading - ib.heading + 180) % 360 - 180)
            if d > 45: continue
            fa, fb = feats[ia.key], feats[ib.key]
            v = ver.verify_pair(fb, fa)  # query = B view, reference = A view
            if v.inliers < 30: continue
            kr = pose.view_intrinsics(ia.fov, fa.image_size)
            kq = pose.view_intrinsics(ib.fov, fb.image_size)
            p = pose.relative_pose(v.matches, kq, kr)
            if p is None or not p.trusted: continue
            m = v.matches.astype(np.float64)
            a, b = pose.rays(m[:, 2:4], kr), pose.rays(m[:, :2], kq)
            X, lam = triangulate(a, b, p.R, p.t)
            ok = (lam[:, 0] > 0) & (lam[:, 1] > 0)
            X = X[ok]
            if len(X) < 10: continue
            elev = np.degrees(np.arctan2(-X[:, 1], np.hypot(X[:, 0], X[:, 2])))
            low = X[elev < -10]
            if len(low) < 5:
                rows.append((A[-12:], B[-12:], round(base, 1), v.inliers, len(X), len(low), None)); continue
            c = float(np.percentile(low[:, 1], 75))
            rows.append((A[-12:], B[-12:], round(base, 1), v.inliers, len(X), len(low), round(c * base, 2)))
H = np.array([r[-1] for r in rows if r[-1] is not None])
pts = np.array([r[4] for r in rows]); low = np.array([r[5] for r in rows])
print(f"view pairs with a trusted pose: {len(rows)}; triangulated points a pair: median {np.median(pts):.0f}; "
      f"below -10 deg elevation: median {np.median(low):.0f}, max {low.max()}; pairs with >= 5 such points: {len(H)}")
if len(H):
    print("implied camera height (m): median", round(float(np.median(H)), 2), "IQR", np.percentile(H, [25, 75]).round(2))
