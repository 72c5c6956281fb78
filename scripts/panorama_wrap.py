"""Where panorama.WRAP_MAX_SCORE comes from: panorama.wrap_score of the shared 360°
panoramas (as they are, and downscaled to 2048 and 1024 px wide) and of ordinary
2:1 images (2:1 crops of the shared photos, and 2:1 crops of the panoramas: a
180 x 90° window, and their left and right halves).

    .venv/bin/python scripts/panorama_wrap.py
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import plugin_path  # noqa: E402,F401

from geopin.geopin_plugin.engine.images import load_image  # noqa: E402
from geopin.geopin_plugin.engine.panorama import WRAP_MAX_SCORE, wrap_score  # noqa: E402
from geopin.geopin_plugin.engine.paths import datasets_dir  # noqa: E402


def _resize(rgb, width):
    import cv2

    return cv2.resize(rgb, (width, width // 2), interpolation=cv2.INTER_AREA)


def _crop21(rgb, x0=0.0):
    """The widest 2:1 window of ``rgb``, its left edge at x0 (share of the spare width)."""
    h, w = rgb.shape[:2]
    cw = min(w, 2 * h)
    ch = cw // 2
    x = int((w - cw) * x0)
    y = (h - ch) // 2
    return rgb[y:y + ch, x:x + cw]


def main():
    root = datasets_dir()
    panos, others = [], []
    files = sorted((root / "amsterdam-panoramas").glob("*.jpg")) + sorted((root / "amsterdam-unlocated").glob("*.jpg"))
    files += [p for p in sorted((root / "panoramax-samples").glob("*.jpg"))]
    for path in files:
        rgb = load_image(str(path))
        h, w = rgb.shape[:2]
        if abs(w - 2 * h) > 2:
            others.append((f"{path.name} crop 2:1", wrap_score(_crop21(rgb, 0.5))))
            continue
        if rgb.std() < 1:  # a blank file
            continue
        panos.append((f"{path.name} {w}", wrap_score(rgb)))
        for width in (2048, 1024):
            panos.append((f"{path.name} {width}", wrap_score(_resize(rgb, width))))
        quarter = rgb[h // 4:3 * h // 4]  # 180 x 90 degrees: a 2:1 window that does not wrap
        others.append((f"{path.name} 180x90 window", wrap_score(quarter[:, w // 4:3 * w // 4])))
        others.append((f"{path.name} left half", wrap_score(_crop21(rgb[:, :w // 2]))))
    from geopin.geopin_plugin.engine.images import read_gpano

    for path in sorted((root / "lund").glob("*.jpg")) + sorted((root / "bad-inputs").glob("*.jpg")):
        rgb = load_image(str(path))
        if read_gpano(str(path)).get("ProjectionType"):  # bad-inputs' GoPro panoramas (xpcomment, crop, 1_blurred)
            if abs(rgb.shape[1] - 2 * rgb.shape[0]) <= 2:
                panos.append((f"{path.parent.name}/{path.name}", wrap_score(rgb)))
            continue
        for x0 in (0.0, 1.0):
            others.append((f"{path.parent.name}/{path.name} crop 2:1 at {x0:g}", wrap_score(_crop21(rgb, x0))))
    p = np.array([s for _, s in panos])
    o = np.array([s for _, s in others])
    print(f"panoramas (n={len(p)}): wrap_score median {np.median(p):.2f}, p95 {np.percentile(p, 95):.2f}, max {p.max():.2f}")
    print(f"2:1 non-panoramas (n={len(o)}): min {o.min():.2f}, p5 {np.percentile(o, 5):.2f}, median {np.median(o):.2f}")
    print(f"threshold {WRAP_MAX_SCORE}: panoramas recognised {int((p <= WRAP_MAX_SCORE).sum())}/{len(p)}, "
          f"non-panoramas taken for one {int((o <= WRAP_MAX_SCORE).sum())}/{len(o)}")
    for name, s in sorted(panos, key=lambda t: -t[1])[:5]:
        print(f"  highest panorama: {name} {s:.2f}")
    for name, s in sorted(others, key=lambda t: t[1])[:5]:
        print(f"  lowest non-panorama: {name} {s:.2f}")


if __name__ == "__main__":
    main()
