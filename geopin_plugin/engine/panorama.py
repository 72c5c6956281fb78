"""360° equirectangular panoramas -> perspective views (OpenCV remap).

Conventions: a view's heading is measured clockwise from the panorama's centre
column (relative heading); it becomes an absolute compass heading only when the
source says where that centre column points. Pitch 0 keeps the optical axis
horizontal so facades stay vertical. `min_elevation_deg` shifts the image window
upwards (an off-axis "shift lens", not a tilt) so the lowest ray of the view stays
above the capture car's roof and the blacked-out bottom of the panorama.
"""
import math
import threading
from collections import OrderedDict

import cv2
import numpy as np

# Full 360° panoramas without XMP are recognised by a 2:1 aspect (±1 %) and, when
# the pixels are at hand, by their left and right edges continuing each other
# (``wrap_score``: the seam differs no more than neighbouring columns do); without
# the pixels, by at least this width, so an ordinary wide photo is not cut into views.
MIN_PANORAMA_WIDTH = 3000
ASPECT_TOLERANCE = 0.01
# wrap_score at or below this: the edges continue each other. Measured by
# scripts/panorama_wrap.py on the shared panoramas (8000, 4000, 2048 and 1024 px wide)
# and 2:1 crops of shared photos and panoramas (docs/geolocation.md).
WRAP_MAX_SCORE = 3.0

# Lowest elevation seen by a stored view. Measured on the Amsterdam panoramas
# (8000x4000): the black band starts at row 3300 (-58.5°); the car roof's top edge
# lies between about -25° and -30° depending on heading and car. At -22° the
# centred 90° view would reach -36.9°, so the window is shifted up by ~0.3 f.
DEFAULT_MIN_ELEVATION_DEG = -22.0
VIEW_SIZE = (1024, 768)
# Remap grids kept per (prepared panorama size, view geometry): every panorama of
# one capture system has the same size, and computing a 1024x768 grid costs
# ~35 ms CPU per view (7 % of a view's ingest) while remapping with it costs ~7 ms.
# A grid in OpenCV's fixed-point form takes 4.5 MB: 16 entries are 2 view sets of 8.
REMAP_CACHE_SIZE = 16
_remap_cache = OrderedDict()
_remap_lock = threading.Lock()  # views may be cut in several threads


def wrap_score(rgb) -> float:
    """How much the seam between the last and the first column differs, relative to
    neighbouring columns: about 1 where the image wraps around (a 360° panorama, any
    size), several times more where the edges are unrelated (a crop, a wide photo).
    Rows of the middle 80 % (the sky and a nadir cap are flat everywhere); the
    neighbours' figure is the larger of the median next to the seam (4 pairs, the
    seam's own texture) and the median over 64 evenly spaced pairs (so a smooth edge
    of a photo does not make any seam look large)."""
    a = np.asarray(rgb)
    h, w = a.shape[:2]
    if w < 8 or h < 8:
        return float("inf")
    band = a[int(0.1 * h):max(int(0.9 * h), int(0.1 * h) + 1)].astype(np.float32)
    if band.ndim == 3:
        band = band.mean(axis=2)

    def diff(i, j):
        return float(np.mean(np.abs(band[:, i] - band[:, j])))

    local = float(np.median([diff(0, 1), diff(1, 2), diff(w - 3, w - 2), diff(w - 2, w - 1)]))
    spread = float(np.median([diff(c, c + 1) for c in np.linspace(1, w - 3, 64).astype(int)]))
    return diff(w - 1, 0) / max(local, spread, 1.0)


def wraps_around(rgb) -> bool:
    return wrap_score(rgb) <= WRAP_MAX_SCORE


def is_equirectangular(width, height, gpano=None, rgb=None):
    """True for a full 360x180° equirectangular image.

    XMP GPano decides when present (ProjectionType equirectangular, not cropped);
    otherwise a 2:1 aspect and, given the pixels ``rgb``, edges that continue each
    other (any size: a 2048 x 1024 upload too); without them, a width of at least
    MIN_PANORAMA_WIDTH."""
    gpano = gpano or {}
    proj = gpano.get("ProjectionType")
    if proj is not None:
        if proj.strip().lower() != "equirectangular":
            return False
        try:  # "inf"/"nan"/"1e999" in the XMP: ignored like missing values, never an OverflowError
            full_w = int(float(gpano.get("FullPanoWidthPixels", 0)))
            full_h = int(float(gpano.get("FullPanoHeightPixels", 0)))
            crop_w = int(float(gpano.get("CroppedAreaImageWidthPixels", full_w)))
            crop_h = int(float(gpano.get("CroppedAreaImageHeightPixels", full_h)))
        except (TypeError, ValueError, OverflowError):
            full_w = full_h = crop_w = crop_h = 0
        if full_w and full_h and (crop_w < full_w or crop_h < full_h):
            return False  # a partial panorama: not handled as a full sphere
        return abs(width / max(height, 1) - 2.0) <= 2.0 * ASPECT_TOLERANCE
    if abs(width / max(height, 1) - 2.0) > 2.0 * ASPECT_TOLERANCE:
        return False
    if rgb is not None:
        return wraps_around(rgb)
    return width >= MIN_PANORAMA_WIDTH


def evenly_spaced_headings(n, offset_deg=0.0):
    return [((offset_deg + i * 360.0 / n) % 360.0) for i in range(int(n))]


def _prepare(pano, fov_deg, out_w):
    """Downscale with area averaging to about the view's angular resolution, so
    the bilinear remap does not alias."""
    h, w = pano.shape[:2]
    need_w = int(math.ceil(out_w * 360.0 / max(fov_deg, 1e-3) * 1.05))
    if w > need_w:
        new_h = max(2, int(round(h * need_w / w)))
        pano = cv2.resize(pano, (need_w, new_h), interpolation=cv2.INTER_AREA)
    return pano


def _maps(pano_w, pano_h, heading_deg, fov_deg, size, pitch_deg, min_elevation_deg):
    out_w, out_h = size
    f = (out_w / 2.0) / math.tan(math.radians(fov_deg) / 2.0)
    cx = (out_w - 1) / 2.0
    cy = (out_h - 1) / 2.0
    if min_elevation_deg is not None and pitch_deg == 0:
        # bottom row at min_elevation: move the principal point down in the image
        bottom = f * math.tan(math.radians(-min_elevation_deg))
        cy = max(cy, (out_h - 1) - bottom)
    xs = (np.arange(out_w, dtype=np.float64) - cx) / f
    ys = (np.arange(out_h, dtype=np.float64) - cy) / f
    x, y = np.meshgrid(xs, ys)
    z = np.ones_like(x)
    # camera: x right, y down, z forward; pitch up rotates about x
    p = math.radians(pitch_deg)
    y2 = y * math.cos(p) - z * math.sin(p)
    z2 = y * math.sin(p) + z * math.cos(p)
    lon = np.arctan2(x, z2) + math.radians(heading_deg)
    lat = -np.arctan2(y2, np.hypot(x, z2))
    u = ((lon / (2 * math.pi) + 0.5) * pano_w) % pano_w
    v = np.clip((0.5 - lat / math.pi) * pano_h, 0, pano_h - 1)
    return u.astype(np.float32) - 0.5, v.astype(np.float32) - 0.5


def remap_grid(pano_w, pano_h, heading_deg, fov_deg, size, pitch_deg, min_elevation_deg):
    """The fixed-point remap grid of one view, cached (most recently used kept).
    OpenCV converts float grids to this form inside remap anyway, so the views
    are bit-identical to remapping with the float grid."""
    key = (int(pano_w), int(pano_h), float(heading_deg), float(fov_deg), tuple(size), float(pitch_deg),
           None if min_elevation_deg is None else float(min_elevation_deg))
    with _remap_lock:
        grid = _remap_cache.get(key)
        if grid is not None:
            _remap_cache.move_to_end(key)
            return grid
    map_x, map_y = _maps(pano_w, pano_h, heading_deg, fov_deg, size, pitch_deg, min_elevation_deg)
    grid = cv2.convertMaps(map_x, map_y, cv2.CV_16SC2)
    with _remap_lock:
        _remap_cache[key] = grid
        while len(_remap_cache) > REMAP_CACHE_SIZE:
            _remap_cache.popitem(last=False)
    return grid


def perspective_view(pano_rgb, heading_deg, fov_deg=90.0, size=VIEW_SIZE, pitch_deg=0.0,
                     min_elevation_deg=None, _prepared=False):
    """A pinhole view (size = (w, h)) of an equirectangular panorama looking at
    `heading_deg` (clockwise from the centre column) with horizontal FOV `fov_deg`."""
    pano = pano_rgb if _prepared else _prepare(pano_rgb, fov_deg, size[0])
    h, w = pano.shape[:2]
    map_xy, map_frac = remap_grid(w, h, heading_deg, fov_deg, size, pitch_deg, min_elevation_deg)
    return cv2.remap(pano, map_xy, map_frac, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP)


def perspective_views(pano_rgb, headings, fov_deg=90.0, size=VIEW_SIZE, pitch_deg=0.0,
                      min_elevation_deg=DEFAULT_MIN_ELEVATION_DEG):
    """Views at several headings, downscaling the panorama once."""
    pano = _prepare(pano_rgb, fov_deg, size[0])
    return [perspective_view(pano, hd, fov_deg, size, pitch_deg, min_elevation_deg, _prepared=True)
            for hd in headings]
