"""Build or extend a reference database from a folder of images (or records).

Per source image, in one transaction: position (coordinates file/record, else
EXIF GPS), panorama detection and perspective views, embeddings, local features.
Unusable files get an `ingest_errors` row and the run goes on. Re-runs skip
images whose sha256 is already stored. The HNSW index is updated at the end and
validated on every open, so a crash or cancel before that is repaired later.
"""
import datetime as _dt
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Tuple

import cv2
import numpy as np

from . import coords as _coords
from . import fsutil, geo, images, panorama
from .refdb import DatabaseError, ReferenceDatabase
from .store import StoreDatabaseError, StoreError

PHOTO_VIEW_MAX_SIDE = 1024  # stored view of an ordinary photo: long side (no upscaling)
MIN_IMAGE_SIDE = 32
# Image files GeoPin does not read: reported per file (never skipped without a word).
UNSUPPORTED_EXTENSIONS = (".gif", ".webp", ".heic", ".heif", ".avif", ".bmp", ".jp2", ".jxl", ".dng", ".cr2",
                          ".nef", ".arw")


@dataclass
class ImageRecord:
    path: str  # local file
    lat: Optional[float] = None
    lon: Optional[float] = None
    heading: Optional[float] = None  # photo: camera heading; panorama: absolute heading of its centre column
    capture_time: Optional[str] = None  # ISO 8601
    source: str = "file"
    source_id: Optional[str] = None
    licence: Optional[str] = None
    attribution: Optional[str] = None
    is_panorama: Optional[bool] = None  # None = detect
    pano_id: Optional[str] = None
    error: Optional[str] = None  # known unusable before reading (bad coordinates row, unsupported format)


@dataclass
class BuildReport:
    added: int = 0
    skipped: int = 0
    failed: int = 0
    errors: List[Tuple[str, str]] = field(default_factory=list)
    database: str = ""
    views_added: int = 0
    canceled: bool = False
    seconds: float = 0.0
    features_upgraded: int = 0  # stored views given the new extractor's features


def find_images(input_dir, unsupported=None):
    """Image files under input_dir (recursive), sorted, by extension. Files of
    image formats GeoPin cannot read are appended to `unsupported` when given."""
    out = []
    for root, dirs, files in os.walk(input_dir):
        dirs.sort()
        for name in sorted(files):
            if name.startswith("."):
                continue
            low = name.lower()
            if low.endswith(images.IMAGE_EXTENSIONS):
                out.append(os.path.join(root, name))
            elif unsupported is not None and low.endswith(UNSUPPORTED_EXTENSIONS):
                unsupported.append(os.path.join(root, name))
    return out


def _opt_float(value):
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def read_coordinates_csv(path) -> Dict[str, dict]:
    """CSV with a header: file, lat, lon and optionally heading, capture_time,
    pano_id (other columns are kept). Keys are the `file` values (see coords.py)."""
    return _coords.read_coordinates_csv(path)


def _record_from_coords(path, rec):
    if isinstance(rec, ImageRecord):
        return rec
    if rec.get(_coords.ERROR_KEY):
        return ImageRecord(path=path, error=rec[_coords.ERROR_KEY])
    heading = _opt_float(rec.get("heading"))
    return ImageRecord(
        path=path, lat=_opt_float(rec.get("lat")), lon=_opt_float(rec.get("lon")),
        heading=None if heading is None or not math.isfinite(heading) else heading % 360.0,
        capture_time=(rec.get("capture_time") or None), source=rec.get("source") or "file",
        source_id=rec.get("source_id") or rec.get("pano_id") or None,
        licence=rec.get("licence") or None, attribution=rec.get("attribution") or None,
        pano_id=rec.get("pano_id") or None)


def _resize_max_side(img, max_side):
    h, w = img.shape[:2]
    scale = max_side / max(h, w)
    if scale >= 1.0:
        return img
    return cv2.resize(img, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)


class _Ingestor:
    def __init__(self, store, embedder, extractor, panorama_headings, view_fov, max_pixels, run_started):
        self.store = store
        self.embedder = embedder
        self.extractor = extractor
        self.headings = int(panorama_headings)
        self.fov = float(view_fov)
        self.max_pixels = max_pixels
        self.run_started = run_started
        if self.headings < 1:
            raise ValueError("panorama_headings must be at least 1")
        if not (10.0 <= self.fov <= 150.0):
            raise ValueError("view_fov must be between 10 and 150 degrees")

    def one(self, rec: ImageRecord, report: BuildReport):
        path = rec.path
        if rec.error:
            return self._fail(report, path, rec.error)
        try:
            digest = fsutil.sha256_file(path)
        except OSError as exc:
            return self._fail(report, path, f"cannot read file: {exc.strerror or exc}")
        if self.store.has_image(digest):
            report.skipped += 1
            return
        try:
            self._add(rec, digest, report)
        except images.ImageError as exc:
            self._fail(report, path, exc.reason, digest)
        except MemoryError:
            self._fail(report, path, "not enough memory to process this image", digest)
        except (OSError, StoreError) as exc:
            message = fsutil.describe_write_error(exc, path)
            if message is not None:  # a full disk or a read-only folder stops the run with the reason
                raise DatabaseError(message) from exc
            if isinstance(exc, StoreError):
                raise
            self._fail(report, path, f"cannot process this file: {exc}", digest)
        except Exception as exc:  # one odd file must not stop the batch; the trace goes to the log
            from ..log import get_logger

            get_logger("ingest").exception("Unexpected error on %s", path)
            self._fail(report, path, f"unexpected error ({type(exc).__name__}: {exc}); please report it", digest)

    def _fail(self, report, path, reason, digest=None):
        report.failed += 1
        report.errors.append((str(path), reason))
        self.store.log_error(path, reason, digest, self.run_started)

    def _add(self, rec, digest, report):
        path = rec.path
        w, h = images.image_size(path)  # header only: the pixel limit before any decoding
        if w * h > self.max_pixels:
            raise images.ImageError(f"image has {w}x{h} pixels, above the limit of {self.max_pixels} "
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
        rgb = images.load_image(path, max_pixels=self.max_pixels)
        h, w = rgb.shape[:2]
        if min(h, w) < MIN_IMAGE_SIDE:
            raise images.ImageError(f"image too small ({w}x{h} pixels; at least {MIN_IMAGE_SIDE} on each side)")
        gpano = images.read_gpano(path)
        is_pano = rec.is_panorama if rec.is_panorama is not None else panorama.is_equirectangular(w, h, gpano)
        if is_pano and heading is None and rec.heading is None:
            heading = images.gpano_heading(gpano) if "PoseHeadingDegrees" in gpano else None
        x, y = geo.wgs84_to_rd(lat, lon)
        outside = not geo.inside_netherlands(lat, lon)
        base = {"lat": lat, "lon": lon, "x": x, "y": y, "outside_nl": outside, "capture_time": capture_time,
                "licence": rec.licence, "attribution": rec.attribution, "image_path": str(path),
                "is_panorama": bool(is_pano)}
        if is_pano:
            pano_id = rec.pano_id or rec.source_id or Path(path).stem
            rel = panorama.evenly_spaced_headings(self.headings)
            view_imgs = panorama.perspective_views(rgb, rel, fov_deg=self.fov)
            views = [dict(base, pano_id=pano_id, view_index=i, rel_heading=r, fov=self.fov,
                          heading=None if heading is None else (heading + r) % 360.0)
                     for i, r in enumerate(rel)]
        else:
            view = np.ascontiguousarray(_resize_max_side(rgb, PHOTO_VIEW_MAX_SIDE))
            view_imgs = [view]
            views = [dict(base, pano_id=None, view_index=0, rel_heading=None, fov=None, heading=heading)]
        del rgb
        emb = np.asarray(self.embedder.embed(view_imgs), dtype=np.float32)
        if emb.shape != (len(view_imgs), int(self.store.meta["dim"])) or not np.all(np.isfinite(emb)):
            raise images.ImageError(f"embedder returned an invalid result of shape {emb.shape}")
        emb /= np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
        feats = [self.extractor.extract(v) for v in view_imgs] if self.extractor is not None else None
        ids = self.store.add_image(digest, path, rec.source, rec.source_id, views, emb, feats,
                                   getattr(self.extractor, "preset_id", None), images=view_imgs)
        if ids is None:  # another build on this database stored it meanwhile
            report.skipped += 1
            return
        report.added += 1
        report.views_added += len(views)


UPGRADE_BATCH = 32  # views per transaction when adding a new extractor's features


def upgrade_features(store, extractor, report: BuildReport, progress=None, is_canceled=None) -> None:
    """Give every stored view the features of ``extractor`` when the database was
    built with another one (RootSIFT before XFeat), from the stored view images:
    nothing is re-embedded and the old features stay. Resumable: each batch is
    committed, and the database's extractor_preset switches only when every view
    has the new features, so until then it keeps locating with the old verifier."""
    new = extractor.preset_id
    if store.meta.get("extractor_preset") == new:
        return
    todo = store.views_without_features(new)
    for start in range(0, len(todo), UPGRADE_BATCH):
        if is_canceled is not None and is_canceled():
            report.canceled = True
            return
        batch = {}
        for vid in todo[start:start + UPGRADE_BATCH]:
            try:
                batch[vid] = extractor.extract(store.load_view_image(vid))
            except Exception as exc:  # a missing or damaged view file: reported, the rest goes on
                report.failed += 1
                report.errors.append((f"view {vid}", f"cannot add {new} features: {exc}"))
        store.put_local_features(batch, new)
        report.features_upgraded += len(batch)
        if progress is not None:
            progress(0.0, f"adding {new} features to stored views: {start + len(batch)}/{len(todo)}")
    if not store.views_without_features(new):
        store.set_meta(extractor_preset=new)


def add_records(database, records: Iterable[ImageRecord], embedder, extractor, panorama_headings=8,
                view_fov=90.0, progress: Optional[Callable[[float, str], None]] = None,
                is_canceled: Optional[Callable[[], bool]] = None, whitening=None,
                max_pixels=images.DEFAULT_MAX_PIXELS, total=None) -> BuildReport:
    """Add ImageRecords (local files with known or EXIF positions) to `database`,
    creating it when absent. Returns a BuildReport; errors are also in the DB."""
    t0 = _dt.datetime.now()
    records = list(records)
    total = total or len(records)
    run_started = _dt.datetime.now(_dt.timezone.utc).isoformat()
    report = BuildReport(database=str(database))
    try:
        return _add_records(database, records, embedder, extractor, panorama_headings, view_fov, progress,
                            is_canceled, whitening, max_pixels, total, t0, run_started, report)
    except (OSError, StoreError) as exc:
        message = fsutil.describe_write_error(exc, database)
        if message is None and isinstance(exc, StoreDatabaseError):
            message = f"{database} is damaged ({exc}); restore it from a backup or build a new database"
        if message is None:
            raise
        raise DatabaseError(message) from exc


def _add_records(database, records, embedder, extractor, panorama_headings, view_fov, progress, is_canceled,
                 whitening, max_pixels, total, t0, run_started, report):
    db = ReferenceDatabase.create_or_open(
        database, embedder.preset_id, int(embedder.dim),
        getattr(extractor, "preset_id", None) if extractor is not None else None, whitening)
    try:
        if extractor is not None and db.count:
            upgrade_features(db.store, extractor, report, progress, is_canceled)
            if report.canceled:
                return report
        worker = _Ingestor(db.store, embedder, extractor, panorama_headings, view_fov, max_pixels, run_started)
        for i, rec in enumerate(records):
            if is_canceled is not None and is_canceled():
                report.canceled = True
                break
            if progress is not None:
                progress(i / max(total, 1), f"{i + 1}/{total} {os.path.basename(rec.path)}: "
                                            f"{report.added} added, {report.skipped} skipped, {report.failed} failed")
            worker.one(rec, report)
        db.store.update_counts_and_extent()
        if db.count:
            if progress is not None:
                progress(1.0 if not report.canceled else i / max(total, 1), "updating the search index")
            db.update_index()
    finally:
        db.close()
    report.seconds = (_dt.datetime.now() - t0).total_seconds()
    if progress is not None and not report.canceled:
        progress(1.0, f"{report.added} added, {report.skipped} skipped, {report.failed} failed")
    return report


def build(input_dir, database, embedder, extractor, coordinates=None, panorama_headings=8, view_fov=90.0,
          progress=None, is_canceled=None, whitening=None, max_pixels=images.DEFAULT_MAX_PIXELS) -> BuildReport:
    """Index every image under `input_dir` into `database` (created or appended).

    coordinates: CSV path (file, lat, lon[, heading, capture_time, pano_id]) or a
    dict file -> record dict/ImageRecord; it overrides EXIF positions."""
    input_dir = str(input_dir)
    if not os.path.isdir(input_dir):
        raise DatabaseError(f"input folder not found: {input_dir}")
    coords = read_coordinates_csv(coordinates) if isinstance(coordinates, (str, os.PathLike)) else (coordinates or {})
    unsupported = []
    files = find_images(input_dir, unsupported)
    counts = _coords.basename_counts(files)
    records = [ImageRecord(path=f, error=f"{os.path.splitext(f)[1].lower()} images are not supported; convert "
                                         "it to JPEG, PNG or TIFF") for f in unsupported]
    for f in files:
        rec = _coords.lookup(coords, f, input_dir, counts)
        if rec is None:
            records.append(ImageRecord(path=f))
        else:
            r = _record_from_coords(f, rec)
            r.path = f
            records.append(r)
    return add_records(database, records, embedder, extractor, panorama_headings, view_fov, progress,
                       is_canceled, whitening, max_pixels, total=len(records))
