"""Generated static overlays: pixels that are not the place, painted identically into
every image of one "rig" (evaluation material for issue 23's protocols).

Crowd-sourced imagery carries its camera into every frame: the nadir cap of a 360°
camera (a dark disc with a logo, a date, a QR code), a dashcam's hood and dashboard,
a burnt-in timestamp. Two images of one rig share those pixels, so local features
match them between different places. These generators paint such an overlay, the
same pixels in every image it is given, deterministically:

* ``cap<N>`` (N = 0, 1, 2): an equirectangular nadir cap from ``CAP_TOP_DEG`` down
  (the height seen on real GoPro Max / Insta360 uploads), dark, with block logos,
  text and a QR-like block code repeated round the horizon (so every view heading
  sees some); the three variants differ in colours, text and codes;
* ``stamp``: a burnt-in date/time text in the bottom-right corner of a photo;
* ``hood<N>``: a dashcam's hood and dashboard across the bottom quarter of a view.

Painted in angular (panorama) or normalised (photo) coordinates, so a panorama of
any size gets the same cap.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np

CAP_TOP_DEG = -10.0  # the cap's upper edge (elevation), as measured on real uploads
CAP_TEMPLATE_W = 4096  # template width: about the resolution a 90° view cut samples
CAPS = ("cap0", "cap1", "cap2")
HOODS = ("hood0", "hood1")
OVERLAYS = CAPS + HOODS + ("stamp",)

_CAP_TEXT = ("GEOCAM MAX 360  2024-05-17", "STREETRIDER 360 CAM  #A17", "VIEW360 MAPPING  2023-09-02")
_CAP_COLOURS = (((25, 25, 28), (240, 240, 240), (230, 60, 40)),
                ((10, 20, 45), (250, 210, 40), (255, 255, 255)),
                ((40, 40, 40), (90, 200, 250), (250, 120, 20)))


def _rng(name: str) -> np.random.Generator:
    return np.random.default_rng(int(hashlib.sha256(name.encode()).hexdigest()[:12], 16))


@lru_cache(maxsize=4)
def cap_template(name: str) -> np.ndarray:
    """(H, CAP_TEMPLATE_W, 3) uint8: the cap from CAP_TOP_DEG to the nadir in
    equirectangular rows at CAP_TEMPLATE_W / 360 pixels a degree."""
    import cv2

    variant = CAPS.index(name)
    bg, fg, accent = _CAP_COLOURS[variant]
    px_deg = CAP_TEMPLATE_W / 360.0
    h = int(round((90.0 + CAP_TOP_DEG) * px_deg))
    cap = np.empty((h, CAP_TEMPLATE_W, 3), np.uint8)
    cap[:] = bg
    rng = _rng(name)
    band = int(round(11 * px_deg))  # the part of the cap a horizontal view sees (down to ~-21°)
    # three rigs, three unrelated designs: motifs a circle, logo shape, font
    motifs = (8, 6, 10)[variant]
    font = (cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_TRIPLEX, cv2.FONT_HERSHEY_SCRIPT_COMPLEX)[variant]
    period = CAP_TEMPLATE_W // motifs  # every view heading sees some
    s = int(band * 0.28)
    y0 = int(band * 0.12)
    for k in range(motifs):
        x0 = k * period + int(rng.uniform(0, period / 4))
        if variant == 0:  # a square ring round a block
            cv2.rectangle(cap, (x0, y0), (x0 + 3 * s, y0 + 3 * s), accent, -1)
            cv2.rectangle(cap, (x0 + s, y0 + s), (x0 + 2 * s, y0 + 2 * s), fg, -1)
        elif variant == 1:  # a disc with a ring
            c = (x0 + 3 * s // 2, y0 + 3 * s // 2)
            cv2.circle(cap, c, 3 * s // 2, fg, -1, cv2.LINE_AA)
            cv2.circle(cap, c, s, accent, max(2, s // 4), cv2.LINE_AA)
        else:  # a triangle over a bar
            pts = np.array([(x0, y0 + 3 * s), (x0 + 3 * s // 2, y0), (x0 + 3 * s, y0 + 3 * s)], np.int32)
            cv2.fillPoly(cap, [pts], accent, cv2.LINE_AA)
            cv2.rectangle(cap, (x0, y0 + 3 * s - s // 3), (x0 + 3 * s, y0 + 3 * s), fg, -1)
        words = _CAP_TEXT[variant].split("  ")
        cv2.putText(cap, words[k % len(words)], (x0 + 3 * s + 12, y0 + 2 * s), font, band / 120.0, fg, 2,
                    cv2.LINE_AA)
        # a QR-like block code under the logo, new in every motif
        cells = rng.uniform(size=(5, 21)) < 0.5
        c = max(3, band // 26)
        qy = y0 + 3 * s + c
        for (i, j) in zip(*np.nonzero(cells)):
            cv2.rectangle(cap, (x0 + j * c, qy + i * c), (x0 + (j + 1) * c - 1, qy + (i + 1) * c - 1), fg, -1)
    return cap


def paint_cap(pano: np.ndarray, name: str) -> np.ndarray:
    """The equirectangular ``pano`` with cap ``name`` over its bottom from CAP_TOP_DEG."""
    import cv2

    h, w = pano.shape[:2]
    top = int(round((90.0 - CAP_TOP_DEG) / 180.0 * h))
    tpl = cap_template(name)
    cap = cv2.resize(tpl, (w, h - top), interpolation=cv2.INTER_AREA if w < tpl.shape[1] else cv2.INTER_LINEAR)
    out = pano.copy()
    out[top:] = cap
    return out


def paint_stamp(rgb: np.ndarray, text: str = "2024/05/17 14:32:07") -> np.ndarray:
    """A dashcam/camera date stamp, yellow with a dark outline, bottom right."""
    import cv2

    h, w = rgb.shape[:2]
    scale = w / 1400.0
    (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 2)
    org = (int(w - tw - 0.03 * w), int(h - 0.04 * h))
    out = rgb.copy()
    cv2.putText(out, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (20, 20, 20), max(4, int(6 * scale)), cv2.LINE_AA)
    cv2.putText(out, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 220, 40), max(2, int(2 * scale)), cv2.LINE_AA)
    return out


def paint_hood(rgb: np.ndarray, name: str) -> np.ndarray:
    """A car's bonnet and dashboard across the bottom quarter: a curved glossy band
    with a reflection stripe, a mount and a speed read-out."""
    import cv2

    variant = HOODS.index(name)
    h, w = rgb.shape[:2]
    out = rgb.copy()
    colour = ((30, 30, 34), (110, 20, 25))[variant]
    top = int(h * 0.75)
    xs = np.arange(w)
    curve = (top + 0.06 * h * ((xs - w / 2) / (w / 2)) ** 2).astype(int)
    for x in range(w):
        out[curve[x]:, x] = colour
    cv2.line(out, (int(0.15 * w), top + int(0.05 * h)), (int(0.85 * w), top + int(0.05 * h)), (200, 200, 205), 3)
    cv2.rectangle(out, (int(0.45 * w), top + int(0.1 * h)), (int(0.55 * w), h - 1), (60, 60, 60), -1)
    cv2.putText(out, ("54 km/h  N 52.37", "GPS 48 KM/H")[variant], (int(0.05 * w), h - int(0.04 * h)),
                cv2.FONT_HERSHEY_SIMPLEX, w / 1600.0, (255, 255, 255), 2, cv2.LINE_AA)
    return out


def paint(rgb: np.ndarray, name: str, equirectangular: bool = False) -> np.ndarray:
    """``rgb`` with overlay ``name`` (a cap only on an equirectangular panorama)."""
    if name in CAPS:
        if not equirectangular:
            raise ValueError(f"overlay {name!r} is a nadir cap: it needs an equirectangular panorama")
        return paint_cap(rgb, name)
    if name in HOODS:
        return paint_hood(rgb, name)
    if name == "stamp":
        return paint_stamp(rgb)
    raise ValueError(f"unknown overlay {name!r}; known: {', '.join(OVERLAYS)}")
