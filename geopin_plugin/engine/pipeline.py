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
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np

from . import posterior as post
from .geo import geodesic_distance_m, rd_to_wgs84

ProgressFn = Callable[[str, float, str], None]
EXCLUDE_MARGIN = 64  # extra hits fetched when panoramas are left out of the search
MIN_QUERY_SIDE = 32  # the ingest's limit too (ingest.MIN_IMAGE_SIDE): below it nothing is recognisable


class PipelineError(Exception):
    """A database or model problem the user must fix; str() is the reason."""


class Cancelled(Exception):
    """The caller's is_canceled() returned True."""


@dataclass
class PipelineConfig:
    top_k: int = 100
    verify_top: int = 50
    embedder: Optional[str] = None  # None: the database's model preset
    extractor: Optional[str] = None  # None: the database's local-feature preset
    min_inliers: Optional[int] = None  # None: verify.py's measured defaults
    min_spread: Optional[float] = None
    verify_threads: int = 2
    calibration_path: Optional[str] = None  # None: the extractor's (posterior.calibration_file)
    # "pose": the verified references' bearing lines (engine/localize.py) sharpen the
    # posterior; "density": the references' positions only (the default: on amsterdam-lopo
    # pose gained within 10 m but lost within 25/50 m, docs/geolocation.md). The heading
    # comes from the relative poses either way.
    position_method: str = "density"
    posterior: post.PosteriorConfig = field(default_factory=post.PosteriorConfig)

    def identity(self) -> str:
        blob = json.dumps(asdict(self), sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:12]


@dataclass
class Candidate:
    rank: int  # 1-based, after verification (verified first, by weight)
    retrieval_rank: int  # 1-based rank by embedding similarity
    view: object  # refdb.ReferenceView
    similarity: float
    inliers: int = 0
    inlier_ratio: float = 0.0
    spread: float = 0.0
    verified: bool = False
    checked: bool = False  # geometric verification was run on it
    matches: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), np.float32), repr=False)
    ref_feature_size: Optional[Tuple[int, int]] = None
    weight: float = 0.0  # its weight in the posterior
    bearing_deg: Optional[float] = None  # compass bearing from it to the query camera (trusted pose)
    pose_note: str = ""  # "pinned" (its line shaped the estimate), "rotation" (no parallax), ...
    distance_m: Optional[float] = None  # to the estimate (RD metres)


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
    position_method: str = "density"  # triangulated / line / density
    hfov_deg: Optional[float] = None  # the photo's horizontal field of view used for the pose
    fov_source: str = ""  # exif / hypotheses / "" (no pose)


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


# Models are heavy: one instance per preset for the whole process.
_MODEL_LOCK = threading.Lock()
_MODELS: Dict[Tuple[str, str], object] = {}


def _model(kind: str, preset: str, make: Optional[Callable[[], object]] = None):
    with _MODEL_LOCK:
        key = (kind, preset)
        if key not in _MODELS:
            if make is not None:
                _MODELS[key] = make()
            elif kind == "embedder":
                from .embed import load_embedder

                _MODELS[key] = load_embedder(preset)
            else:
                from .features import load_extractor

                _MODELS[key] = load_extractor(preset)
        return _MODELS[key]


class Geolocator:
    def __init__(self, database_path, config: Optional[PipelineConfig] = None, database=None):
        """``database``: an already open object with the ReferenceDatabase reading
        interface (count, meta, search, views, local_features, load_view_image),
        used from every thread; benchmarks pass a synthetic one."""
        from .refdb import DatabaseError
        from .verify import Verifier, config_for

        self.config = config or PipelineConfig()
        self.database_path = str(database_path)
        self._dbs: Dict[int, object] = {}
        self._shared_db = database
        self._open_lock = threading.Lock()
        if database is None:
            if not os.path.exists(self.database_path):
                raise PipelineError(f"reference database not found: {self.database_path}")
            try:
                self._open_db()
            except DatabaseError as exc:
                raise PipelineError(
                    f"cannot use reference database {os.path.basename(self.database_path)}: {exc}") from exc
        if not self.db.count:
            raise PipelineError(f"reference database {os.path.basename(self.database_path)} is empty: build it first")
        meta = self.db.meta
        db_model = _meta(meta, "model_preset")
        db_extractor = _meta(meta, "extractor_preset")
        model = self.config.embedder or db_model
        from .model_choice import ModelChoiceError, resolve_embedder

        try:  # the database's model_preset selects a catalogue preset only, never a file
            self.embedder = _model("embedder", model, lambda: resolve_embedder(db_model, self.config.embedder))
        except ModelChoiceError as exc:
            raise PipelineError(str(exc)) from exc
        except Exception as exc:
            raise PipelineError(f"the database needs embedder {model!r}, which cannot be loaded: {exc}") from exc
        if getattr(self.embedder, "preset_id", db_model) != db_model:  # a cached model chosen for another database
            raise PipelineError(f"the database was built with embedder {db_model!r}, not "
                                f"{self.embedder.preset_id!r}: use the same model or rebuild the database")
        db_dim = _meta(meta, "dim")
        if db_dim is not None and int(db_dim) != int(self.embedder.dim):
            raise PipelineError(
                f"the database holds {int(db_dim)}-d embeddings but {model!r} makes {self.embedder.dim}-d ones: "
                "incompatible database"
            )
        extractor = self.config.extractor or db_extractor
        if not extractor:
            from .models import FALLBACK_EXTRACTOR

            extractor = FALLBACK_EXTRACTOR  # databases from before the preset was recorded
        from .models import DEFAULT_EXTRACTOR

        # a database built before XFeat: it still locates, with the verifier it was built for
        self.notice = "" if extractor == DEFAULT_EXTRACTOR else (
            f"this database holds {extractor} local features: it is verified with the older "
            f"{extractor.split('-')[0]} verifier; re-run 'Build reference database' on it to add "
            f"{DEFAULT_EXTRACTOR} features (no re-embedding)")
        try:
            self.extractor = _model("extractor", extractor)
        except Exception as exc:
            raise PipelineError(f"the database needs local features {extractor!r}, which cannot be loaded: {exc}") from exc
        self.verifier = Verifier(config_for(
            extractor, min_inliers=self.config.min_inliers, min_spread=self.config.min_spread,
            threads=self.config.verify_threads))
        try:
            self.calibration = post.load_calibration(self.config.calibration_path, extractor)
        except post.CalibrationError as exc:
            raise PipelineError(str(exc)) from exc
        self._lock = threading.Lock()

    # SQLite handles belong to the thread that opened them: a QgsTask runs each
    # locate on a pool thread, so each thread gets its own handle (models are shared).
    def _open_db(self):
        from .refdb import ReferenceDatabase

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

    # --- the pipeline ------------------------------------------------------------
    def locate(self, image_rgb: np.ndarray, area=None, exif_gps=None, progress: Optional[ProgressFn] = None,
               is_canceled: Optional[Callable[[], bool]] = None, exclude_panos=None,
               focal_35mm: Optional[float] = None) -> Geolocation:
        """Geolocate one RGB image. ``area``: RD New rings to search inside;
        ``exif_gps``: (lat, lon) to report the distance to; ``exclude_panos``:
        panorama ids whose views are left out (leave-one-out measurements);
        ``focal_35mm``: EXIF FocalLengthIn35mmFilm (the photo's field of view)."""
        with self._lock:  # one query at a time per Geolocator
            return self._locate(image_rgb, area, exif_gps, progress, is_canceled, exclude_panos, focal_35mm)

    def _locate(self, image, area, exif_gps, progress, is_canceled, exclude_panos=None,
                focal_35mm=None) -> Geolocation:
        cfg = self.config
        report = progress or (lambda stage, fraction, message="": None)

        def check():
            if is_canceled is not None and is_canceled():
                raise Cancelled()

        timings: Dict[str, float] = {}
        image = np.ascontiguousarray(image)
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise PipelineError(f"expected an RGB uint8 (H, W, 3) image, got {image.dtype} {image.shape}")
        if min(image.shape[:2]) < MIN_QUERY_SIDE:
            raise PipelineError(f"the photo is {image.shape[1]}x{image.shape[0]} pixels; at least {MIN_QUERY_SIDE} "
                                "on each side is needed to recognise a place")

        report("embed", 0.0, "")
        t0 = time.perf_counter()
        vector = self.embedder.embed([image])
        timings["embed"] = time.perf_counter() - t0
        report("embed", 1.0, "")
        check()

        report("search", 0.0, "")
        t0 = time.perf_counter()
        db = self.db
        exclude = set(exclude_panos or ())
        k = int(cfg.top_k) + (EXCLUDE_MARGIN if exclude else 0)
        hits = db.search(vector, k=min(k, int(db.count)), area=area)[0]
        views = {v.view_id: v for v in db.views([h.view_id for h in hits])} if hits else {}
        if exclude:
            hits = [h for h in hits if views[h.view_id].pano_id not in exclude][: int(cfg.top_k)]
        timings["search"] = time.perf_counter() - t0
        report("search", 1.0, f"{len(hits)}")
        check()

        candidates = [
            Candidate(rank=i + 1, retrieval_rank=i + 1, view=views[h.view_id], similarity=float(h.similarity))
            for i, h in enumerate(hits) if h.view_id in views
        ]
        to_verify = candidates[: max(0, int(cfg.verify_top))]
        n_check = len(to_verify)
        report("verify", 0.0, f"0 / {n_check}")
        t0 = time.perf_counter()
        query_size = None
        if to_verify:
            qf = self.extractor.extract(image)
            query_size = tuple(qf.image_size)
            check()
            refs = db.local_features([c.view.view_id for c in to_verify], self.extractor.preset_id)
            results = self._verify(qf, refs, to_verify, n_check, report, check)
            for cand in to_verify:
                v = results.get(cand.view.view_id)
                ref = refs.get(cand.view.view_id)
                cand.checked = v is not None
                if v is None:
                    continue
                cand.inliers = int(v.inliers)
                cand.inlier_ratio = float(v.inlier_ratio)
                cand.spread = float(v.spread)
                cand.verified = bool(v.verified)
                cand.matches = v.matches
                cand.ref_feature_size = tuple(ref.image_size) if ref is not None else None
        timings["verify"] = time.perf_counter() - t0
        check()

        report("posterior", 0.0, "")
        t0 = time.perf_counter()
        stage = None
        if query_size is not None:
            from .pose import hfov_from_35mm

            hfov = hfov_from_35mm(focal_35mm, image.shape[1::-1]) if focal_35mm else None
            stage = pose_stage_for(candidates, query_size, hfov)
            timings["pose"] = time.perf_counter() - t0
            t0 = time.perf_counter()
        result = self._estimate(candidates, query_size, timings, stage)
        timings["posterior"] = time.perf_counter() - t0
        result.timings = timings
        if self.notice:
            result.message = "; ".join(m for m in (result.message, self.notice) if m)
        if exif_gps is not None and result.lat is not None:
            result.exif_lat, result.exif_lon = float(exif_gps[0]), float(exif_gps[1])
            result.exif_distance_m = float(geodesic_distance_m(result.lat, result.lon, *exif_gps))
        report("posterior", 1.0, result.label)
        return result

    def _verify(self, qf, refs, to_verify, n_check, report, check):
        """The verifier's cascade over the candidates in retrieval order."""
        ordered = {c.view.view_id: refs[c.view.view_id] for c in to_verify if c.view.view_id in refs}
        canceled = [False]

        def is_canceled():
            if not canceled[0]:
                try:
                    check()
                except Cancelled:
                    canceled[0] = True
            return canceled[0]

        def progress(percent):
            n = int(round(n_check * float(percent) / 100.0))
            report("verify", n / max(1, n_check), f"{n} / {n_check}")

        results = self.verifier.verify(qf, ordered, progress=progress, is_canceled=is_canceled)
        if canceled[0]:
            raise Cancelled()
        return results

    def _estimate(self, candidates: List[Candidate], query_size, timings, stage=None) -> Geolocation:
        if not candidates:
            return Geolocation(
                x=None, y=None, lat=None, lon=None, confidence=0.0, label="no match", error_radius_m=0.0,
                n_verified=0, candidates=[], footprints={lvl: [] for lvl in self.config.posterior.levels},
                posterior=None, geotransform=None, timings=timings, query_feature_size=query_size,
                database=self.database_path, message="the search returned no reference views",
            )
        obs = [
            post.Observation(
                x=float(c.view.x), y=float(c.view.y), similarity=c.similarity, inliers=c.inliers,
                verified=c.verified, group=_group_key(c.view),
            )
            for c in candidates
        ]
        use_lines = stage is not None and self.config.position_method == "pose"
        p = post.estimate(obs, replace(self.config.posterior, anchor_min_inliers=self.verifier.config.anchor_min_inliers),
                          lines=stage.lines if use_lines else None)
        for c, w in zip(candidates, p.observation_weights):
            c.weight = float(w)
            c.distance_m = float(np.hypot(c.view.x - p.x, c.view.y - p.y))
        heading, heading_sd = apply_pose_stage(stage, p, candidates, key=lambda c: c.view.view_id)
        # verified first (heaviest first), then the rest in retrieval order
        candidates.sort(key=lambda c: (not c.verified, -c.weight if c.verified else 0.0, -c.inliers, c.retrieval_rank))
        for i, c in enumerate(candidates):
            c.rank = i + 1
        n_verified = sum(1 for c in candidates if c.verified)
        confidence = self.calibration.confidence(p.features)
        label = self.calibration.label(confidence, n_verified)
        lat, lon = rd_to_wgs84(p.x, p.y)
        return Geolocation(
            x=p.x, y=p.y, lat=lat, lon=lon, confidence=confidence, label=label, error_radius_m=p.error_radius_m,
            n_verified=n_verified, candidates=candidates, footprints=p.footprints, posterior=p.grid,
            geotransform=p.geotransform, timings=timings, features=dict(p.features),
            query_feature_size=query_size, database=self.database_path,
            heading_deg=heading, heading_sd_deg=heading_sd, position_method=p.position_method,
            hfov_deg=stage.hfov_deg if stage and stage.fov_source else None,
            fov_source=stage.fov_source if stage else "",
        )

    def reference_image(self, view_id: int) -> np.ndarray:
        """The reference view's pixels (RGB), as verified."""
        with self._lock:
            return self.db.load_view_image(view_id)

    def close(self):
        """Close this thread's database handle (handles of other threads close with them)."""
        handle = self._dbs.pop(threading.get_ident(), None)
        if handle is not None:
            handle.close()


def pose_inputs(candidates, query_size):
    """PoseInputs for the verified panorama views with a known heading and FOV (the
    references whose camera is known exactly)."""
    from .localize import PoseInput
    from .pose import view_intrinsics

    out = []
    for c in candidates:
        v = c.view
        if not c.verified or c.ref_feature_size is None or not getattr(v, "pano_id", None):
            continue
        if v.heading is None or not v.fov or len(c.matches) == 0:
            continue
        out.append(PoseInput(c.matches, view_intrinsics(float(v.fov), c.ref_feature_size), float(v.heading),
                             float(v.x), float(v.y), _group_key(v), v.view_id))
    return out


def pose_stage_for(candidates, query_size, hfov=None):
    from .localize import pose_stage

    return pose_stage(query_size, pose_inputs(candidates, query_size), hfov)


def apply_pose_stage(stage, p, candidates, key):
    """The heading from the winning place's references, and per candidate what its
    pose did (bearing, note). Returns (heading, heading_sd) or (None, None)."""
    if stage is None or not stage.observations:
        return None, None
    from .localize import fuse_heading

    win = {g.key for g in p.groups if g.cluster == p.winning_cluster and g.verified}
    heading, heading_sd = fuse_heading([o for o in stage.observations if o.group in win])
    pinned = {m for ln in p.lines for m in ln.members}
    by_id = {o.view_id: o for o in stage.observations}
    for c in candidates:
        o = by_id.get(key(c))
        if o is None:
            continue
        c.bearing_deg = o.bearing_deg
        c.pose_note = "pinned" if key(c) in pinned else (o.degenerate or "unused")
    return heading, heading_sd


def _meta(meta, key):
    if isinstance(meta, dict):
        return meta.get(key)
    return getattr(meta, key, None)


def _group_key(view):
    """Views of one panorama are one witness; other views stand alone."""
    pano = getattr(view, "pano_id", None)
    return ("pano", pano) if pano else ("view", view.view_id)


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


def clear_cache():
    with _GEOLOCATORS_LOCK:
        for geo in _GEOLOCATORS.values():
            geo.close()
        _GEOLOCATORS.clear()
