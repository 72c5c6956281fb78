"""The stages of one query, called by the product (pipeline.Geolocator) and by the
evaluation (evaluation/runner.py) alike, so the evaluation measures the product:

    found = retrieve(query, embedder, index, top_k)                    # embed + search
    checked = verify(query, found.candidates, extractor, features, verifier, verify_top)
    answer = estimate(found.candidates, checked.query_size, posterior_config, ...)

Each stage gets its parts as small objects, which a caller may wrap (the evaluation
reads embeddings, features and pair outcomes from its caches):
``embedder.embed([query]) -> (1, d)``; ``index.search(vector, k, area, exclude) ->
[(view, similarity)]``; ``extractor.extract(query) -> LocalFeatures``;
``features(view_ids) -> {view_id: LocalFeatures}``; ``verifier.verify(query_features,
refs, progress, is_canceled) -> {view_id: Verification}``. A view has ``view_id``, ``x``,
``y`` (RD New), ``pano_id`` (None: it stands alone), ``heading``, ``fov``
(refdb.ReferenceView). ``report(stage, fraction, message)`` and ``check()`` (raises
errors.Cancelled) are called between steps as pipeline.Geolocator documents.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np

from .estimate import posterior as post
from .errors import Cancelled
from .verification.feature_rows import comparable  # a damaged feature row excludes only its view

EXCLUDE_MARGIN = 64  # extra hits fetched when panoramas are left out of the search


def _quiet(stage, fraction, message=""):
    pass


def _go_on():
    pass


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

    def take(self, v, ref_feature_size=None) -> None:
        """Take a verification outcome (its matches in the frame of ``ref_feature_size``)."""
        self.inliers, self.inlier_ratio, self.spread = int(v.inliers), float(v.inlier_ratio), float(v.spread)
        self.verified, self.matches = bool(v.verified), v.matches
        if ref_feature_size is not None:
            self.ref_feature_size = tuple(ref_feature_size)


def group_key(view):
    """Views of one panorama are one witness; other views stand alone."""
    pano = getattr(view, "pano_id", None)
    return ("pano", pano) if pano else ("view", view.view_id)


def verified_order(c: Candidate):
    """The pipeline's order: verified first (heaviest first), then by inliers, then retrieval rank."""
    return not c.verified, -c.weight if c.verified else 0.0, -c.inliers, c.retrieval_rank


# --- retrieve -------------------------------------------------------------------------------

class DatabaseIndex:
    """A reference database as the retrieve stage's index: its search (inside an area),
    panoramas left out by id (EXCLUDE_MARGIN more hits fetched for them)."""

    def __init__(self, db):
        self.db = db

    def search(self, vector: np.ndarray, k: int, area=None, exclude=(), cells=None) -> List[tuple]:
        db, exclude = self.db, set(exclude or ())
        wanted = int(k) + (EXCLUDE_MARGIN if exclude else 0)
        hits = db.search(vector[None, :], k=min(wanted, int(db.count)), area=area, cells=cells)[0]
        views = {v.view_id: v for v in db.views([h.view_id for h in hits])} if hits else {}
        if exclude:
            hits = [h for h in hits if views[h.view_id].pano_id not in exclude][: int(k)]
        return [(views[h.view_id], float(h.similarity)) for h in hits if h.view_id in views]

    def spacing_at(self, x: float, y: float, exclude=()) -> float:
        """The local spacing of the references around (x, y) (cells.local_spacing),
        the left-out panoramas' views not counted."""
        from .database.cells import SPACING_REACH_M, local_spacing

        grid = self.db.cell_grid()
        r = SPACING_REACH_M
        rows = grid.rows_in_box(x - r, y - r, x + r, y + r)
        if exclude and len(rows):
            exclude = set(exclude)
            keep = {v.view_id for v in self.db.views(grid.fids[rows].tolist()) if v.pano_id not in exclude}
            rows = rows[np.isin(grid.fids[rows], list(keep))]
        return local_spacing(grid.xs[rows], grid.ys[rows], x, y)


@dataclass
class Retrieval:
    vector: np.ndarray  # the query's embedding
    candidates: List[Candidate]  # by similarity
    cells: List[Tuple[int, float]] = field(default_factory=list)  # searched cells and their prior (cells.py)


def retrieve(query, embedder, index, top_k: int, area=None, exclude=(), report=None, check=None,
             timings: Optional[Dict[str, float]] = None, cells=None) -> Retrieval:
    """Embed the query and search the index: the ``top_k`` most similar views;
    with ``cells`` (cells.CellSearch) the global hits vote for geographic cells and
    the ``top_k`` come from the chosen cells (Search-within-Cell)."""
    report, check = report or _quiet, check or _go_on
    timings = {} if timings is None else timings
    report("embed", 0.0, "")
    t0 = time.perf_counter()
    vector = np.asarray(embedder.embed([query]))[0]
    timings["embed"] = time.perf_counter() - t0
    report("embed", 1.0, "")
    check()

    report("search", 0.0, "")
    t0 = time.perf_counter()
    hits = index.search(vector, int(top_k), area=area, exclude=exclude)
    searched = []
    if cells is not None and hits:
        from .database.cells import cell_prior, chosen_cells

        prior = cell_prior([v for v, _ in hits], [s for _, s in hits], cells.tau, cells.cell_m)
        keys = chosen_cells(prior, cells.mass, cells.max_cells)
        p = dict(prior)
        searched = [(k, p[k]) for k in keys]
        hits = index.search(vector, int(top_k), area=area, exclude=exclude, cells=(cells.cell_m, keys))
    timings["search"] = time.perf_counter() - t0
    report("search", 1.0, f"{len(hits)}")
    check()
    return Retrieval(vector, [Candidate(rank=i + 1, retrieval_rank=i + 1, view=view, similarity=float(s))
                              for i, (view, s) in enumerate(hits)], searched)


# --- verify ---------------------------------------------------------------------------------

@dataclass
class Verified:
    query_features: object  # LocalFeatures of the query (None: nothing was verified)
    outcomes: Dict[object, object]  # view_id -> verify.Verification

    @property
    def query_size(self) -> Optional[Tuple[int, int]]:
        return None if self.query_features is None else tuple(self.query_features.image_size)


def verify(query, candidates: List[Candidate], extractor, features: Callable, verifier, verify_top: int,
           report=None, check=None, timings: Optional[Dict[str, float]] = None) -> Verified:
    """The verifier's cascade on the first ``verify_top`` candidates (retrieval order);
    their outcomes are set on them."""
    report, check = report or _quiet, check or _go_on
    timings = {} if timings is None else timings
    to_verify = candidates[: max(0, int(verify_top))]
    n_check = len(to_verify)
    report("verify", 0.0, f"0 / {n_check}")
    t0 = time.perf_counter()
    qf, outcomes = None, {}
    if to_verify:
        qf = extractor.extract(query)
        check()
        refs = features([c.view.view_id for c in to_verify])
        outcomes = _run_verifier(verifier, qf, refs, to_verify, report, check)
        for cand in to_verify:
            v = outcomes.get(cand.view.view_id)
            cand.checked = v is not None
            if v is not None:
                ref = refs.get(cand.view.view_id)
                cand.take(v, ref.image_size if ref is not None else None)
    timings["verify"] = time.perf_counter() - t0
    check()
    return Verified(qf, outcomes)


def _run_verifier(verifier, qf, refs, to_verify, report, check):
    ordered = comparable(qf, {c.view.view_id: refs[c.view.view_id] for c in to_verify if c.view.view_id in refs})
    n_check = len(to_verify)
    canceled = [False]

    def is_canceled():
        if not canceled[0]:
            try:
                check()
            except Cancelled:
                canceled[0] = True
        return canceled[0]

    def progress(stage, fraction, message=""):
        n = int(round(n_check * float(fraction)))
        report(stage, n / max(1, n_check), f"{n} / {n_check}")

    results = verifier.verify(qf, ordered, progress=progress, is_canceled=is_canceled)
    if canceled[0]:
        raise Cancelled()
    return results


def confirm_band(query, candidates: List[Candidate], extractor, features: Callable, verifier, size: int) -> Verified:
    """A second verifier with features of its own on the ``size`` candidates the first
    left unverified, the first by their inliers (ties: given order). It can only
    promote: a candidate it verifies takes its outcome, the others keep theirs (its
    sub-threshold counts are on another scale)."""
    band = sorted((c for c in candidates if not c.verified), key=lambda c: -c.inliers)[: max(0, int(size))]
    if not band:
        return Verified(None, {})
    qf = extractor.extract(query)
    refs = features([c.view.view_id for c in band])
    outcomes = verifier.verify(qf, comparable(qf, {c.view.view_id: refs[c.view.view_id] for c in band
                                                   if c.view.view_id in refs}))
    for c in band:
        v = outcomes.get(c.view.view_id)
        if v is not None and v.verified:
            c.take(v, refs[c.view.view_id].image_size)
    return Verified(qf, outcomes)


# --- estimate -------------------------------------------------------------------------------

@dataclass
class Estimate:
    posterior: Optional[post.Posterior]  # None: no candidates
    candidates: List[Candidate]  # in verified_order, ranks set
    confidence: float
    label: str
    n_verified: int
    heading_deg: Optional[float] = None
    heading_sd_deg: Optional[float] = None
    pose: object = None  # localize.PoseStage (None: nothing was verified)
    position_note: str = ""  # with outlines, why the position has no range from facades


def estimate(candidates: List[Candidate], query_size, posterior_config: post.PosteriorConfig,
             position_method: str = "density", calibration=None, hfov: Optional[float] = None,
             timings: Optional[Dict[str, float]] = None, spacing_at: Optional[Callable] = None,
             query_camera: Optional[Callable] = None, buildings=None) -> Estimate:
    """The posterior over the candidates (sharpened by the verified references' bearing
    lines: all of them when ``position_method`` is "pose", only where two cross when
    "crossing"), the heading from their relative poses, the confidence and label
    (``calibration`` None: 0 and "uncalibrated"). ``spacing_at(x, y)``: the local
    spacing of the references, which bounds the error radius once something verified
    (posterior.bounded_radius). ``query_camera``: the query's pinhole per FOV for the
    pose (localize.pose_stage; None: a photo's, principal point centred).
    ``buildings`` (buildings.BuildingMap or None): footprints give the bearing lines a
    range (engine/estimate/facades.py) and the posterior its building prior."""
    timings = {} if timings is None else timings
    t0 = time.perf_counter()
    stage = None
    if query_size is not None:
        stage = pose_stage_for(candidates, query_size, hfov, query_camera, buildings)
        timings["pose"] = time.perf_counter() - t0
        t0 = time.perf_counter()
    if not candidates:
        timings["posterior"] = time.perf_counter() - t0
        return Estimate(None, [], 0.0, "no match", 0, pose=stage)
    obs = [post.Observation(x=float(c.view.x), y=float(c.view.y), similarity=c.similarity, inliers=c.inliers,
                            verified=c.verified, group=group_key(c.view)) for c in candidates]
    use_lines = stage is not None and position_method in ("pose", "crossing")
    p = post.estimate(obs, posterior_config, lines=stage.lines if use_lines else None,
                      crossing_only=position_method == "crossing", buildings=buildings)
    for c, w in zip(candidates, p.observation_weights):
        c.weight = float(w)
        c.distance_m = float(np.hypot(c.view.x - p.x, c.view.y - p.y))
    heading, heading_sd = apply_pose_stage(stage, p, candidates)
    ranked = sorted(candidates, key=verified_order)
    for i, c in enumerate(ranked):
        c.rank = i + 1
    n_verified = sum(1 for c in ranked if c.verified)
    if n_verified and spacing_at is not None:
        p.error_radius_m = post.bounded_radius(p.error_radius_m, spacing_at(p.x, p.y), posterior_config)
    if calibration is None:
        confidence, label = 0.0, "uncalibrated"
    else:
        confidence = calibration.confidence(p.features)
        # verified references far from the answer disagree about the place: less confident
        confidence = post.agreeing_confidence(confidence, (p.x, p.y),
                                              [(c.view.x, c.view.y, c.weight) for c in ranked if c.verified])
        label = post.honest_label(calibration.label(confidence, n_verified), p.error_radius_m)
    timings["posterior"] = time.perf_counter() - t0
    return Estimate(p, ranked, confidence, label, n_verified, heading, heading_sd, stage,
                    position_note(stage, p) if buildings is not None else "")


def pose_inputs(candidates, query_size):
    """PoseInputs for the verified panorama views with a known heading and FOV (the
    references whose camera is known exactly). A view that knows its own cut
    (``view_size``, ``min_elevation``: the evaluation's) says so; a database view is
    cut as the ingest cuts."""
    from .estimate.bearings import PoseInput
    from .estimate.relative_pose import view_intrinsics

    out = []
    for c in candidates:
        v = c.view
        if not c.verified or c.ref_feature_size is None or not getattr(v, "pano_id", None):
            continue
        if v.heading is None or not v.fov or len(c.matches) == 0:
            continue
        cut = {"view_size": v.view_size, "min_elevation_deg": v.min_elevation} if hasattr(v, "view_size") else {}
        out.append(PoseInput(c.matches, view_intrinsics(float(v.fov), c.ref_feature_size, **cut), float(v.heading),
                             float(v.x), float(v.y), group_key(v), v.view_id))
    return out


def pose_stage_for(candidates, query_size, hfov=None, query_camera=None, buildings=None):
    from .estimate.bearings import pose_stage

    inputs = pose_inputs(candidates, query_size)
    footprints = None
    if buildings is not None and inputs:
        from .estimate.facades import MAX_FACADE_M

        footprints = buildings.around(sorted({(p.x, p.y) for p in inputs}), MAX_FACADE_M)
    return pose_stage(query_size, inputs, hfov, query_camera, footprints)


def position_note(stage, p) -> str:
    """Why the winning place's bearing lines got no range from the facades ("" when
    one did, or there were no lines): the most common reason among its poses."""
    if stage is None or p.position_method == "facades":
        return ""
    win = {g.key for g in p.groups if g.cluster == p.winning_cluster and g.verified}
    notes = [o.range_note for o in stage.observations if o.group in win and o.range_note]
    if not notes:
        return ""
    return "no range from facades: " + max(sorted(set(notes)), key=notes.count)


def apply_pose_stage(stage, p, candidates):
    """The heading from the winning place's references, and per candidate what its
    pose did (bearing, note). Returns (heading, heading_sd) or (None, None)."""
    if stage is None or not stage.observations:
        return None, None
    from .estimate.bearings import fuse_heading

    win = {g.key for g in p.groups if g.cluster == p.winning_cluster and g.verified}
    heading, heading_sd = fuse_heading([o for o in stage.observations if o.group in win])
    pinned = {m for ln in p.lines for m in ln.members}
    by_id = {o.view_id: o for o in stage.observations}
    for c in candidates:
        o = by_id.get(c.view.view_id)
        if o is None:
            continue
        c.bearing_deg = o.bearing_deg
        c.pose_note = "pinned" if c.view.view_id in pinned else (o.degenerate or "unused")
    return heading, heading_sd
