"""Build or extend a reference database from a folder of images (or records).

Per source image, committed in one transaction: position (coordinates file/record,
else EXIF GPS), panorama detection and perspective views, embeddings, local
features (computed by builder/work.py in this process, in worker processes or on
a Dask cluster; only this process writes). Unusable files get an `ingest_errors`
row and the run goes on. Re-runs skip images whose sha256 is already stored. The HNSW index is updated at the end and
validated on every open, so a crash or cancel before that is repaired later.
"""
import datetime as _dt
import math
import os
from dataclasses import dataclass, field, replace
from typing import Dict, Iterable, List, Optional, Tuple

from . import coords as _coords
from .. import fsutil, images
from ..database import source_files
from . import runners
from .config import BuildConfig
from ..database.store import DatabaseError
from ..database.refdb import ReferenceDatabase
from ..database.store import StoreDatabaseError, StoreError
from ..types import CancelFn, ProgressFn, canceled

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
    # the source's sequence / track / capture run: the static-overlay mask's group (mask_build.py)
    capture_group: Optional[str] = None


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
    masks: Optional[object] = None  # mask_build.MaskReport: overlay masks learned per capture group


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
    pano_id, capture_group (or capture_run, sequence; other columns are kept). Keys are the `file` values (see coords.py)."""
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
        pano_id=rec.get("pano_id") or None,
        capture_group=(rec.get("capture_group") or rec.get("capture_run") or rec.get("sequence") or None))


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
        if canceled(is_canceled):
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
            progress("features", (start + len(batch)) / len(todo),
                     f"adding {new} features to stored views: {start + len(batch)}/{len(todo)}")
    if not store.views_without_features(new):
        store.set_meta(extractor_preset=new)


def parts_to_add(database, chosen_embedder: Optional[str] = None) -> Tuple[str, str]:
    """(embedder, extractor) preset ids that views are added to ``database`` with
    (registry.DatabaseParts.to_add): an existing database keeps its embedder, a new
    one (or a path that is not a readable database yet) takes ``chosen_embedder``."""
    from .. import registry

    meta, count = {}, 0
    if database and os.path.isfile(str(database)):
        try:
            with ReferenceDatabase.open(database, repair_index=False) as db:
                meta, count = dict(db.meta), db.count
        except Exception:  # not a database (yet): create_or_open says what is wrong when the build starts
            pass
    return registry.parts_for(meta, count).to_add(chosen_embedder)


def add_records(database, records: Iterable[ImageRecord], embedder, extractor, config: Optional[BuildConfig] = None,
                progress: Optional[ProgressFn] = None, is_canceled: Optional[CancelFn] = None,
                whitening=None, total=None,
                runner=None) -> BuildReport:
    """Add ImageRecords (local files with known or EXIF positions) to `database`,
    creating it when absent, cut and stored as ``config`` says (BuildConfig: the
    defaults when None). Returns a BuildReport; errors are also in the DB.

    runner: who computes the per-image results (builder/runners.py): None = this
    process with `embedder` and `extractor`; builder.pool.ProcessRunner (local
    cores) or builder.cluster.DaskRunner. This process commits in every case."""
    t0 = _dt.datetime.now()
    records = list(records)
    total = total or len(records)
    run_started = _dt.datetime.now(_dt.timezone.utc).isoformat()
    report = BuildReport(database=str(database))
    try:
        settings = (config or BuildConfig()).check()
        return _add_records(database, records, embedder, extractor, settings, progress,
                            is_canceled, whitening, total, t0, run_started, report, runner)
    except (OSError, StoreError) as exc:
        message = fsutil.describe_write_error(exc, database)
        if message is None and isinstance(exc, StoreDatabaseError):
            message = f"{database} is damaged ({exc}); restore it from a backup or build a new database"
        if message is None:
            raise
        raise DatabaseError(message) from exc


def _add_records(database, records, embedder, extractor, settings, progress, is_canceled,
                 whitening, total, t0, run_started, report, runner):
    db = ReferenceDatabase.create_or_open(
        database, embedder.preset_id, int(embedder.dim),
        getattr(extractor, "preset_id", None) if extractor is not None else None, whitening)
    db.store.compact_features = bool(settings.compact_features)
    try:
        if extractor is not None and db.count:
            upgrade_features(db.store, extractor, report, progress, is_canceled)
            if report.canceled:
                return report
        settings = replace(settings, dim=int(db.meta["dim"]))
        source_files.record_roots(db.store, (r.path for r in records))  # where stored paths may point
        runners.run(db, records, runner or runners.SerialRunner(embedder, extractor), settings, report,
                    run_started, progress, is_canceled, total)
        if db.count and not report.canceled and db.meta.get("extractor_preset"):
            from . import mask_build  # static overlays (logos, caps, hoods) are not stored as evidence

            report.masks = mask_build.learn_and_apply(db.store, db.meta["extractor_preset"], progress, is_canceled)
        db.store.update_counts_and_extent()
        if db.count:
            if progress is not None:
                done = report.added + report.skipped + report.failed
                progress("index", 1.0 if not report.canceled else done / max(total, 1), "updating the search index")
            db.update_index()
    finally:
        db.close()
    report.seconds = (_dt.datetime.now() - t0).total_seconds()
    if progress is not None and not report.canceled:
        progress("build", 1.0, f"{report.added} added, {report.skipped} skipped, {report.failed} failed")
    return report


def build(input_dir, database, embedder, extractor, coordinates=None, config: Optional[BuildConfig] = None,
          progress=None, is_canceled=None, whitening=None, runner=None) -> BuildReport:
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
    return add_records(database, records, embedder, extractor, config, progress, is_canceled, whitening,
                       total=len(records), runner=runner)
