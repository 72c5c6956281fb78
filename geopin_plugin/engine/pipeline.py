"""One photo in, a geolocation out: embed -> search -> verify -> posterior.

    geo = Geolocator("amsterdam.gpkg")          # opens the database, loads models once
    result = geo.locate(rgb, progress=cb)       # Geolocation (see below)

The database decides the models (its meta names the embedder and local-feature
presets); an empty database or one built with a model this installation lacks or
with another dimension is a :class:`PipelineError` raised by the constructor,
before any photo is touched. ``progress(stage, fraction, message)`` is called
with stages ``embed``, ``search``, ``verify`` ("verifying n of k") and
``posterior``; ``is_canceled()`` is polled between stages and between verified
candidates (:class:`Cancelled` is raised).
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from typing import Dict, List, Optional, Tuple

import numpy as np

from .estimate import posterior as post
from . import registry, stages
from .estimate.calibration import CalibrationError, load_calibration
from .errors import Cancelled
from .geo import geodesic_distance_m, rd_to_wgs84
from .models import DEFAULT_EXTRACTOR
from .types import CancelFn, ProgressFn
from .stages import Candidate  # noqa: F401  (Geolocation.candidates holds these)

# A locate's stages as shares of the whole (start, length): the dock's progress bar and
# Processing's per-photo progress both read them through locate_fraction().
LOCATE_STAGES = {
    "load": (0.0, 0.05),
    "embed": (0.05, 0.15),
    "search": (0.20, 0.05),
    "verify": (0.25, 0.65),
    "posterior": (0.90, 0.10),
}


def locate_fraction(stage: str, fraction: float) -> float:
    """The share of a whole locate done at ``fraction`` of ``stage`` (0 for other stages)."""
    start, span = LOCATE_STAGES.get(stage, (0.0, 0.0))
    return min(1.0, start + span * max(0.0, min(1.0, float(fraction))))


MIN_QUERY_SIDE = 32  # the ingest's limit too (ingest.MIN_IMAGE_SIDE): below it nothing is recognisable


class PipelineError(Exception):
    """A database or model problem the user must fix; str() is the reason (English, for
    logs). `reason` names the kind of problem ("not_found", "unusable", "empty",
    "models", "incompatible", "photo_size") so the GUI can say it in the user's language."""

    def __init__(self, message, reason=""):
        super().__init__(message)
        self.reason = reason


POSITION_METHODS = ("density", "pose", "crossing")  # PipelineConfig.position_method


@dataclass
class PipelineConfig:
    """The pipeline's settings and their defaults, in one place: the Geolocator, the
    evaluation (EvalConfig derives its defaults from these fields), Processing and
    the dock read them; ``identity()`` names the cached Geolocator."""

    top_k: int = 100
    verify_top: int = 50
    embedder: Optional[str] = None  # None: the database's model preset
    extractor: Optional[str] = None  # None: the database's local-feature preset
    min_inliers: Optional[int] = None  # None: verify.py's measured defaults
    min_spread: Optional[float] = None
    verify_threads: int = 2
    calibration_path: Optional[str] = None  # None: the extractor's (calibration.calibration_file)
    # "crossing" (the default): the verified references' bearing lines (engine/estimate/bearings.py)
    # sharpen the posterior where two of them triangulate; "pose": a single line too
    # (it has no range: on amsterdam-lopo it lost within 25/50 m); "density": the
    # references' positions only (docs/geolocation.md). The heading comes from the
    # relative poses either way.
    position_method: str = "crossing"
    posterior: post.PosteriorConfig = field(default_factory=post.PosteriorConfig)
    # Search-within-Cell (cells.CellSearch): the global hits vote for cells, the
    # candidates come from the chosen cells. None (the default): one global search
    # (measured on the shared protocols, docs/scale.md).
    cells: Optional[object] = None

    def identity(self) -> str:
        blob = json.dumps(asdict(self), sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:12]

    def posterior_for(self, verifier) -> post.PosteriorConfig:
        """The posterior settings with the verifier's anchor threshold (0 without one)."""
        anchor = verifier.config.anchor_min_inliers if verifier is not None else 0
        return replace(self.posterior, anchor_min_inliers=anchor)


@dataclass
class Geolocation:
    x: Optional[float]  # RD New estimate (None only when the search found nothing)
    y: Optional[float]
    lat: Optional[float]
    lon: Optional[float]
    confidence: float
    label: str  # confident / uncertain / no match
    error_radius_m: float
    n_verified: int
    candidates: List[Candidate]
    footprints: Dict[float, List[np.ndarray]]
    posterior: Optional[np.ndarray]  # float32 probability per m^2
    geotransform: Optional[tuple]  # GDAL order, EPSG:28992
    timings: Dict[str, float]
    features: Dict[str, float] = field(default_factory=dict)
    query_feature_size: Optional[Tuple[int, int]] = None
    exif_lat: Optional[float] = None
    exif_lon: Optional[float] = None
    exif_distance_m: Optional[float] = None
    database: str = ""
    message: str = ""
    heading_deg: Optional[float] = None  # the camera's compass heading (relative poses), None: unknown
    heading_sd_deg: Optional[float] = None
    position_method: str = "density"  # facades / triangulated / line / density
    position_note: str = ""  # with building outlines: why the position has no range from facades
    hfov_deg: Optional[float] = None  # the photo's horizontal field of view used for the pose
    fov_source: str = ""  # exif / hypotheses / "" (no pose)
    # a 360° panorama query (panorama_query.py): each view's (heading in the panorama,
    # compass heading or None), the views located together; None for a photo
    panorama_views: Optional[List[tuple]] = None


def read_photo(path) -> Tuple[np.ndarray, dict]:
    """(RGB uint8, EXIF dict) for a photo file; images.ImageError when unreadable.
    A broken EXIF block never fails the read (the dict then holds Nones)."""
    from .images import load_image, read_exif

    rgb = load_image(path)
    try:
        exif = read_exif(path) or {}
    except Exception as exc:  # EXIF is optional information
        exif = {"gps_error": str(exc)}
    return rgb, exif


class _Extracted:
    """The extractor for stages.verify whose extract(query) is the query's features,
    extracted beforehand (a future)."""

    def __init__(self, extractor, future):
        self.preset_id = extractor.preset_id
        self._future = future

    def extract(self, image, mask=None):
        return self._future.result()


def _extract(extractor, image, query_mask=None):
    """The query's local features, without those inside its camera's overlay mask."""
    features = extractor.extract(image)
    if query_mask is None:
        return features
    from .database.overlay_masks import drop_masked

    return drop_masked(features, query_mask)


class Geolocator:
    def __init__(self, database_path, config: Optional[PipelineConfig] = None, database=None):
        """``database``: an already open object with the ReferenceDatabase reading
        interface (count, meta, search, views, local_features, load_view_image),
        used from every thread; benchmarks pass a synthetic one."""
        from .database.store import DatabaseError

        self.config = config or PipelineConfig()
        self.database_path = str(database_path)
        self._dbs: Dict[int, object] = {}
        self._shared_db = database
        self._open_lock = threading.Lock()
        if database is None:
            if not os.path.exists(self.database_path):
                raise PipelineError(f"reference database not found: {self.database_path}", "not_found")
            try:
                self._open_db()
            except DatabaseError as exc:
                raise PipelineError(
                    f"cannot use reference database {os.path.basename(self.database_path)}: {exc}", "unusable") from exc
        if not self.db.count:
            raise PipelineError(f"reference database {os.path.basename(self.database_path)} is empty: build it first",
                                "empty")
        parts = registry.parts_for(self.db.meta, self.db.count, self.config)
        self.embedder = self._load_embedder(parts)
        extractor = parts.extractor
        # a database built before XFeat: it still locates, with the verifier it was built for
        self.notice = "" if not parts.outdated else (
            f"this database holds {extractor} local features: it is verified with the older "
            f"{extractor.split('-')[0]} verifier; re-run 'Build reference database' on it to add "
            f"{DEFAULT_EXTRACTOR} features (no re-embedding)")
        try:  # load_extractor's errors name what is wrong with the preset
            self.extractor = registry.shared("extractor", extractor, lambda: registry.load_extractor(extractor))
        except Exception as exc:
            raise PipelineError(f"the database needs local features {extractor!r}, which cannot be loaded: {exc}",
                                "models") from exc
        self.verifier = registry.load("verifier", parts.verifier,
                                      min_inliers=self.config.min_inliers, min_spread=self.config.min_spread,
                                      threads=self.config.verify_threads)
        try:
            self.calibration = load_calibration(self.config.calibration_path, extractor)
        except CalibrationError as exc:
            raise PipelineError(str(exc)) from exc
        self._lock = threading.Lock()

    def _load_embedder(self, parts):
        from .model_choice import ModelChoiceError, resolve_embedder

        model = parts.embedder
        try:  # the database's model_preset selects a catalogue preset only, never a file
            embedder = registry.shared("embedder", model, lambda: resolve_embedder(parts.recorded_embedder, self.config.embedder))
        except ModelChoiceError as exc:
            raise PipelineError(str(exc)) from exc
        except Exception as exc:
            raise PipelineError(f"the database needs embedder {model!r}, which cannot be loaded: {exc}",
                                "models") from exc
        if getattr(embedder, "preset_id", parts.recorded_embedder) != parts.recorded_embedder:  # cached for another database
            raise PipelineError(f"the database was built with embedder {parts.recorded_embedder!r}, not "
                                f"{embedder.preset_id!r}: use the same model or rebuild the database", "incompatible")
        if parts.dim is not None and parts.dim != int(embedder.dim):
            raise PipelineError(
                f"the database holds {parts.dim}-d embeddings but {model!r} makes {embedder.dim}-d ones: "
                "incompatible database", "incompatible"
            )
        return embedder

    # SQLite handles belong to the thread that opened them: a QgsTask runs each
    # locate on a pool thread, so each thread gets its own handle (models are shared).
    def _open_db(self):
        from .database.refdb import ReferenceDatabase

        handle = ReferenceDatabase.open(self.database_path)
        with self._open_lock:
            self._dbs[threading.get_ident()] = handle
        return handle

    @property
    def db(self):
        if self._shared_db is not None:
            return self._shared_db
        handle = self._dbs.get(threading.get_ident())
        return handle if handle is not None else self._open_db()

    # --- the pipeline: the stages (engine/stages.py) in a row ------------------------------
    def locate(self, image_rgb: np.ndarray, area=None, exif_gps=None, progress: Optional[ProgressFn] = None,
               is_canceled: Optional[CancelFn] = None, exclude_panos=None,
               focal_35mm: Optional[float] = None, buildings=None, query_mask=None) -> Geolocation:
        """Geolocate one RGB image. ``area``: RD New rings to search inside;
        ``exif_gps``: (lat, lon) to report the distance to; ``exclude_panos``:
        panorama ids whose views are left out (leave-one-out measurements);
        ``focal_35mm``: EXIF FocalLengthIn35mmFilm (the photo's field of view);
        ``buildings``: a buildings.BuildingMap (outlines give the bearing lines a
        range and the posterior its building prior; None: without outlines);
        ``query_mask``: the static overlay of the photo's camera, learned over a batch
        (query_overlay.py): its keypoints there are not matched."""
        with self._lock:  # one query at a time per Geolocator
            return self._locate(image_rgb, area, exif_gps, progress, is_canceled, exclude_panos, focal_35mm,
                                buildings, query_mask)

    def _locate(self, image, area, exif_gps, progress, is_canceled, exclude_panos=None,
                focal_35mm=None, buildings=None, query_mask=None) -> Geolocation:
        cfg = self.config
        report = progress or (lambda stage, fraction, message="": None)

        def check():
            if is_canceled is not None and is_canceled():
                raise Cancelled()

        image = np.ascontiguousarray(image)
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise PipelineError(f"expected an RGB uint8 (H, W, 3) image, got {image.dtype} {image.shape}")
        if min(image.shape[:2]) < MIN_QUERY_SIDE:
            raise PipelineError(f"the photo is {image.shape[1]}x{image.shape[0]} pixels; at least {MIN_QUERY_SIDE} "
                                "on each side is needed to recognise a place", "photo_size")
        timings: Dict[str, float] = {}
        db = self.db
        # the query's local features are extracted while it is embedded and searched (issue 30:
        # two onnxruntime runs side by side on the machine's cores)
        with ThreadPoolExecutor(max_workers=1) as pool:
            extracted = _Extracted(self.extractor, pool.submit(_extract, self.extractor, image, query_mask))
            found = stages.retrieve(image, self.embedder, stages.DatabaseIndex(db), cfg.top_k, area=area,
                                    exclude=exclude_panos, report=report, check=check, timings=timings,
                                    cells=cfg.cells)
            checked = stages.verify(image, found.candidates, extracted,
                                    lambda ids: db.local_features(ids, self.extractor.preset_id), self.verifier,
                                    cfg.verify_top, report=report, check=check, timings=timings)
        report("posterior", 0.0, "")
        hfov = None
        if focal_35mm and checked.query_size is not None:
            from .estimate.relative_pose import hfov_from_35mm

            hfov = hfov_from_35mm(focal_35mm, image.shape[1::-1])
        index = stages.DatabaseIndex(db)
        answer = stages.estimate(found.candidates, checked.query_size, cfg.posterior_for(self.verifier),
                                 cfg.position_method, self.calibration, hfov, timings,
                                 spacing_at=lambda x, y: index.spacing_at(x, y, exclude_panos or ()),
                                 buildings=buildings)
        result = self._geolocation(answer, checked.query_size, timings)
        if self.notice:
            result.message = "; ".join(m for m in (result.message, self.notice) if m)
        if exif_gps is not None and result.lat is not None:
            result.exif_lat, result.exif_lon = float(exif_gps[0]), float(exif_gps[1])
            result.exif_distance_m = float(geodesic_distance_m(result.lat, result.lon, *exif_gps))
        report("posterior", 1.0, result.label)
        return result

    def _geolocation(self, answer: "stages.Estimate", query_size, timings) -> Geolocation:
        p, stage = answer.posterior, answer.pose
        if p is None:
            return Geolocation(
                x=None, y=None, lat=None, lon=None, confidence=0.0, label="no match", error_radius_m=0.0,
                n_verified=0, candidates=[], footprints={lvl: [] for lvl in self.config.posterior.levels},
                posterior=None, geotransform=None, timings=timings, query_feature_size=query_size,
                database=self.database_path, message="the search returned no reference views",
            )
        lat, lon = rd_to_wgs84(p.x, p.y)
        return Geolocation(
            x=p.x, y=p.y, lat=lat, lon=lon, confidence=answer.confidence, label=answer.label,
            error_radius_m=p.error_radius_m, n_verified=answer.n_verified, candidates=answer.candidates,
            footprints=p.footprints, posterior=p.grid, geotransform=p.geotransform, timings=timings,
            features=dict(p.features), query_feature_size=query_size, database=self.database_path,
            heading_deg=answer.heading_deg, heading_sd_deg=answer.heading_sd_deg, position_method=p.position_method,
            position_note=answer.position_note,
            hfov_deg=stage.hfov_deg if stage and stage.fov_source else None,
            fov_source=stage.fov_source if stage else "",
        )

    def reference_image(self, view_id: int) -> np.ndarray:
        """The reference view's pixels (RGB) to show (a database without view copies
        cuts them from the source, at the resolution shown)."""
        with self._lock:
            return self.db.load_view_image(view_id, exact=False)

    def close(self):
        """Close this thread's database handle (handles of other threads close with them)."""
        handle = self._dbs.pop(threading.get_ident(), None)
        if handle is not None:
            handle.close()


# One Geolocator per (database file, its modification time, configuration).
_GEOLOCATORS: Dict[tuple, Geolocator] = {}
_GEOLOCATORS_LOCK = threading.Lock()


def get_geolocator(database_path, config: Optional[PipelineConfig] = None) -> Geolocator:
    config = config or PipelineConfig()
    path = os.path.abspath(str(database_path))
    try:
        stamp = os.path.getmtime(path)
    except OSError:
        stamp = None
    key = (path, stamp, config.identity())
    with _GEOLOCATORS_LOCK:
        geo = _GEOLOCATORS.get(key)
        if geo is None:
            for old in [k for k in _GEOLOCATORS if k[0] == path]:
                _GEOLOCATORS.pop(old).close()
            geo = _GEOLOCATORS[key] = Geolocator(path, config)
        return geo
