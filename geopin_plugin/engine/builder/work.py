"""The work of one source image, with no database access: read and check it,
cut a panorama into perspective views, embed each view, extract its local
features and encode its JPEG. ``process_image`` returns an ``ImageResult``
(never raises for a bad image) that the one writer commits (commit.py); the
same function runs in this process, in worker processes and as Dask tasks.
"""
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np

from . import coords as _coords
from .. import geo, images, panorama
from ..database.store.viewfiles import encode_jpeg
from ..database.views import photo_view
from .config import BuildConfig

MIN_IMAGE_SIDE = 32


@dataclass
class ImageResult:
    """What one image gives the writer: its views (dicts for add_image, with
    ``view_image`` relative to the database folder), embeddings, local features
    and view JPEG bytes; or ``error``, the reason shown to the user."""
    path: str
    digest: str
    source: str = "file"
    source_id: Optional[str] = None
    views: List[dict] = field(default_factory=list)
    embeddings: Optional[np.ndarray] = None
    features: Optional[list] = None
    extractor_id: Optional[str] = None
    jpegs: List[bytes] = field(default_factory=list)
    error: Optional[str] = None
    seconds: Dict[str, float] = field(default_factory=dict)  # CPU seconds per stage (benchmarks)


class _Clock:
    """CPU seconds per stage of one image (process time: other jobs on the cores
    inflate wall time much more)."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.t = time.process_time()

    def lap(self, stage):
        now = time.process_time()
        self.seconds[stage] = self.seconds.get(stage, 0.0) + now - self.t
        self.t = now


def process_image(rec, digest, embedder, extractor, settings: BuildConfig) -> ImageResult:
    """All per-image work for `rec` (an ingest.ImageRecord) whose file has sha256
    `digest`. Bad images come back as ``ImageResult.error``; only an interrupt raises."""
    result = ImageResult(path=str(rec.path), digest=digest, source=rec.source, source_id=rec.source_id,
                         extractor_id=getattr(extractor, "preset_id", None) if extractor is not None else None)
    try:
        _process(rec, digest, embedder, extractor, settings, result)
    except images.ImageError as exc:
        result.error = exc.reason
    except MemoryError:
        result.error = "not enough memory to process this image"
    except OSError as exc:  # reading only: a write problem cannot happen here
        result.error = f"cannot process this file: {exc}"
    except Exception as exc:  # one odd file must not stop the batch; the trace goes to the log
        logging.getLogger("geopin.ingest").exception("Unexpected error on %s", rec.path)
        result.error = f"unexpected error ({type(exc).__name__}: {exc}); please report it"
    if result.error is not None:
        result.views, result.embeddings, result.features, result.jpegs = [], None, None, []
    return result


def _process(rec, digest, embedder, extractor, settings, result):
    clock = _Clock(result.seconds)
    path = rec.path
    max_pixels = settings.max_pixels
    w, h = images.image_size(path)  # header only: the pixel limit before any decoding
    if w * h > max_pixels:
        raise images.ImageError(f"image has {w}x{h} pixels, above the limit of {max_pixels} "
                                "(decompression bomb guard)")
    exif = images.read_exif(path)
    lat, lon = rec.lat, rec.lon
    if lat is None or lon is None:
        if exif["lat"] is None:
            raise images.ImageError(exif["gps_error"] or "no position (no EXIF GPS and no coordinates given)")
        lat, lon = exif["lat"], exif["lon"]
        pos_source = "exif"
    else:
        pos_source = "coordinates"
    reason = _coords.position_problem(lat, lon)
    if reason:
        raise images.ImageError(f"invalid position from {pos_source}: {reason}")
    heading = rec.heading if rec.heading is not None else exif["heading"]
    capture_time = rec.capture_time or exif["capture_time"]
    rgb = images.load_image(path, max_pixels=max_pixels)
    h, w = rgb.shape[:2]
    if min(h, w) < MIN_IMAGE_SIDE:
        raise images.ImageError(f"image too small ({w}x{h} pixels; at least {MIN_IMAGE_SIDE} on each side)")
    gpano = images.read_gpano(path)
    is_pano = rec.is_panorama if rec.is_panorama is not None else panorama.is_equirectangular(w, h, gpano, rgb)
    if is_pano and heading is None and rec.heading is None:
        heading = images.gpano_heading(gpano) if "PoseHeadingDegrees" in gpano else None
    x, y = geo.wgs84_to_rd(lat, lon)
    outside = not geo.inside_netherlands(lat, lon)
    base = {"lat": lat, "lon": lon, "x": x, "y": y, "outside_nl": outside, "capture_time": capture_time,
            "licence": rec.licence, "attribution": rec.attribution, "image_path": str(path),
            "is_panorama": bool(is_pano)}
    clock.lap("read")
    fov = float(settings.view_fov)
    if is_pano:
        pano_id = rec.pano_id or rec.source_id or Path(path).stem
        rel = panorama.evenly_spaced_headings(int(settings.panorama_headings))
        view_imgs = panorama.perspective_views(rgb, rel, fov_deg=fov)
        views = [dict(base, pano_id=pano_id, view_index=i, rel_heading=r, fov=fov,
                      heading=None if heading is None else (heading + r) % 360.0)
                 for i, r in enumerate(rel)]
    else:
        view_imgs = [photo_view(rgb)]
        views = [dict(base, pano_id=None, view_index=0, rel_heading=None, fov=None, heading=heading)]
    del rgb
    clock.lap("views")
    # one view per run: batches of 8 were not faster and cost ~950 MB more (issue 14)
    emb = np.concatenate([np.asarray(embedder.embed([v]), dtype=np.float32).reshape(1, -1) for v in view_imgs])
    dim = int(settings.dim) or emb.shape[1]
    if emb.shape != (len(view_imgs), dim) or not np.all(np.isfinite(emb)):
        raise images.ImageError(f"embedder returned an invalid result of shape {emb.shape}")
    emb /= np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
    clock.lap("embed")
    feats = [extractor.extract(v) for v in view_imgs] if extractor is not None else None
    clock.lap("features")
    if settings.keep_view_images:
        result.jpegs = [encode_jpeg(img) for img in view_imgs]  # the store writes them (store/viewfiles.py)
    clock.lap("jpeg")
    result.views, result.embeddings, result.features = views, emb, feats
