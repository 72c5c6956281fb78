"""Running a protocol with a preset: the product's own stages, on cached parts.

:class:`ProtocolRunner` sends every query through ``stages.retrieve``,
``stages.verify`` (and ``stages.confirm_band`` for tier=learned) and
``stages.estimate``, the functions pipeline.Geolocator calls, with the parts that
read the caches (evaluation/caches.py) and an exact index over the protocol's
references that masks the query's own group(s): leave-one-out without rebuilding
(the ids and order an exact-search database without that group would return, ties
broken by reference order). :class:`DatabaseRunner` scores a built database through
pipeline.Geolocator itself.
"""
from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .. import stages
from ..geo import angle_between, geodesic_distance_m, rd_to_wgs84, wgs84_to_rd
from .protocols import Item, Protocol, Query
from .caches import (LEARNED, CachedEmbedder, CachedExtractor, CachedVerifier, FeatureStore, ReferenceFeatures,
                     VerificationCache, confirm_id, default_cache_dir, learned_parts, learned_verifier_id,
                     learned_verify_config, verifier_id)
from .config import EvalConfig, EvaluationError, building_map, make_verifier
from .items import ProtocolView, load_item_image, reference_heading
from .results import QueryResult, first_correct_ranks
from ..types import CancelFn, ProgressFn, canceled


def masked_search(ref_vectors: np.ndarray, query_vector: np.ndarray, visible: np.ndarray, k: int
                  ) -> Tuple[np.ndarray, np.ndarray]:
    """Exact cosine search over the visible references: (indices, similarities),
    best first, ties broken by reference index (as an exact index would)."""
    sims = ref_vectors @ query_vector.astype(np.float32)
    idx = np.flatnonzero(visible)
    s = sims[idx]
    order = np.lexsort((idx, -s))[:k]
    return idx[order], s[order].astype(np.float32)


class MaskedIndex:
    """The protocol's references as the retrieve stage's index: exact search with the
    query's own groups masked out; with whitening, learned on the references the query
    may see (what a database without the left-out group would have learned)."""

    def __init__(self, views: Sequence[ProtocolView], vectors: np.ndarray, groups: np.ndarray, whitening: bool):
        self.views, self.vectors, self.groups, self.whitening = list(views), vectors, groups, whitening
        self.xs = np.array([v.x for v in self.views], np.float64)  # RD New, for cells and the spacing
        self.ys = np.array([v.y for v in self.views], np.float64)
        self._whitenings: Dict[Tuple[str, ...], object] = {}

    def visible(self, exclude) -> np.ndarray:
        return ~np.isin(self.groups, list(exclude)) if exclude else np.ones(len(self.groups), bool)

    def spacing_at(self, x: float, y: float, exclude=()) -> float:
        """The local spacing of the references the query may see (cells.local_spacing)."""
        from ..database.cells import local_spacing

        visible = self.visible(exclude)
        return local_spacing(self.xs[visible], self.ys[visible], x, y)

    def search(self, vector: np.ndarray, k: int, area=None, exclude=(), cells=None) -> List[tuple]:
        visible = self.visible(exclude)
        if cells is not None:  # (cell_m, keys): the views of those cells only
            from ..database.cells import cell_key

            cell_m, keys = cells
            visible = visible & np.isin(cell_key(self.xs, self.ys, cell_m), np.asarray(list(keys), np.int64))
        refs, qv = self.vectors, vector
        if self.whitening:
            from ..database.index.whitening import fit

            key = tuple(sorted(exclude))
            if key not in self._whitenings:
                self._whitenings[key] = fit(refs[visible])
            w = self._whitenings[key]
            refs, qv = w.apply(refs), w.apply(qv)
        idx, sims = masked_search(refs, qv, visible, k)
        return [(self.views[int(i)], float(s)) for i, s in zip(idx, sims)]


class ProtocolRunner:
    """Runs one protocol with one preset through the product's stages; caches every
    expensive part."""

    def __init__(self, protocol: Protocol, config: EvalConfig, cache_dir: Optional[Path] = None,
                 calibration=None, log: Callable[[str], None] = None):
        from ..estimate.calibration import CalibrationError, calibration_file, load_calibration

        self.protocol = protocol
        self.config = config.resolved()
        self.pipeline = self.config.pipeline_config()
        self.cache_dir = Path(cache_dir or default_cache_dir())
        self.log = log or (lambda msg: None)
        self.store = FeatureStore(self.config, self.cache_dir, self.log)
        refs = protocol.references
        self.ref_lat = np.array([r.lat for r in refs], float)
        self.ref_lon = np.array([r.lon for r in refs], float)
        self.ref_x, self.ref_y = (np.asarray(v, float) for v in wgs84_to_rd(self.ref_lat, self.ref_lon))
        self.ref_group = np.array([r.group for r in refs], dtype=object)
        self.views = [ProtocolView.of(i, r, self.ref_x[i], self.ref_y[i]) for i, r in enumerate(refs)]
        self.embedder, self.extractor = CachedEmbedder(self.store), CachedExtractor(self.store)
        self.features = ReferenceFeatures(self.store, refs)
        self.verifier = self.vcache = self.ccache = self.learned = None
        product = make_verifier(self.config)
        if product is not None:
            vc, verify_dir = product.config, self.cache_dir / "verify"
            self.verifier = CachedVerifier(vc, lambda: product, VerificationCache(verify_dir / verifier_id(self.config)),
                                           VerificationCache(verify_dir / confirm_id(self.config))
                                           if vc.matcher and vc.band else None)
            self.vcache, self.ccache = self.verifier.cache, self.verifier.confirm_cache
        if self.config.tier == LEARNED:
            self._init_learned()
        if calibration is None and calibration_file(self.config.extractor).exists():
            try:
                calibration = load_calibration(extractor=self.config.extractor)
            except CalibrationError as exc:
                self.log(f"no usable calibration: {exc}")
        self.calibration = calibration
        self.buildings = building_map(self.config)
        self._ref_vectors = None
        self.index: Optional[MaskedIndex] = None
        self.evidence = {}  # query key -> album.PhotoEvidence (preset album=...)

    def _init_learned(self):
        """tier=learned: the registry's learned verifier on the band, its DISK features
        extracted lazily (only items that reach the band), its pair outcomes cached."""
        from .. import registry

        extractor, _ = learned_parts()
        vc = learned_verify_config(self.config)
        store = FeatureStore(replace(self.config, extractor=extractor), self.cache_dir, self.log)
        self.learned = CachedVerifier(vc, lambda: registry.load("verifier", LEARNED, config=vc),
                                      VerificationCache(self.cache_dir / "verify" / learned_verifier_id(self.config)))
        self.learned_extractor = CachedExtractor(store, ensure=True)
        self.learned_features = ReferenceFeatures(store, self.protocol.references, as_stored=False, ensure=True)

    def settings(self) -> dict:
        """What this run ran with, in full (the report prints it)."""
        out = {"pipeline": dict(asdict(self.pipeline), identity=self.pipeline.identity()), "album": self.config.album}
        for name, v in (("verifier", self.verifier), ("learned verifier", self.learned)):
            if v is not None:
                out[name] = asdict(v.config)
        return out

    # -- preparation
    def prepare(self, progress: Optional[ProgressFn] = None, is_canceled: Optional[CancelFn] = None) -> None:
        features = self.verifier is not None
        refs = self.protocol.references
        queries = [q.item for q in self.protocol.queries]
        self.store.ensure(refs, features, progress, is_canceled, stage="references")
        self.store.ensure(queries, features, progress, is_canceled, stage="queries")
        from .masks import ProtocolMasks

        if features and self.config.overlay_masks:  # what a build would not have stored (overlay_masks.py)
            self.features.masks = ProtocolMasks(refs, self.cache_dir, self.log).learn()
        if features and self.config.query_masks:  # the queries' own overlay, as a batch of photos learns it
            self.extractor.masks = ProtocolMasks(queries, self.cache_dir, lambda m: self.log("query " + m)).learn()
        self._ref_vectors = self.store.embeddings(refs)
        self.index = MaskedIndex(self.views, self._ref_vectors, self.ref_group, self.config.whitening)

    def _match_for_pose(self, query_features, candidates) -> None:
        """The caches keep no match coordinates: each verified reference with a known
        heading is matched again with the fast tier for the pose stage (~10 ms; a pair
        a later tier promoted gets these matches too, not that tier's)."""
        for c in candidates:
            if c.verified and c.view.heading is not None:
                ref = self.features([c.view.view_id])[c.view.view_id]
                v = self.verifier.verify_pair(query_features, ref, self.verifier.config.fast_keypoints)
                c.matches, c.ref_feature_size = v.matches, tuple(ref.image_size)

    def _verify(self, q: Query, cands) -> Tuple[Optional[tuple], float]:
        """stages.verify (and confirm_band for tier=learned): (the query's feature size,
        the seconds it took pair by pair, the cached extraction included)."""
        pc = self.pipeline
        top = cands[: pc.verify_top]
        checked = stages.verify(q.item, cands, self.extractor, self.features, self.verifier, pc.verify_top)
        if checked.query_features is None:
            return None, 0.0
        seconds = self.extractor.seconds(q.item) + sum(float(v.seconds) for v in checked.outcomes.values())
        if self.learned is not None:
            second = stages.confirm_band(q.item, top, self.learned_extractor, self.learned_features, self.learned,
                                         self.config.learned_top)
            if second.query_features is not None:
                seconds += self.learned_extractor.seconds(q.item) + sum(float(v.seconds)
                                                                        for v in second.outcomes.values())
        self._match_for_pose(checked.query_features, top)
        return checked.query_size, seconds

    # -- one query
    def run_query(self, q: Query) -> QueryResult:
        cfg, pc = self.config, self.pipeline
        timings: Dict[str, float] = {}
        cands = stages.retrieve(q.item, self.embedder, self.index, pc.top_k, exclude=q.exclude_groups,
                                timings=timings, cells=pc.cells).candidates
        query_size, t_verify = self._verify(q, cands) if self.verifier is not None and cands else (None, 0.0)
        answer = stages.estimate(cands, query_size, pc.posterior_for(self.verifier), pc.position_method,
                                 self.calibration, timings=timings,
                                 spacing_at=lambda x, y: self.index.spacing_at(x, y, q.exclude_groups),
                                 query_camera=query_camera(q.item), buildings=self.buildings)
        post, stage = answer.posterior, answer.pose
        if cfg.album:  # the album sees each query's witnesses (evaluation/album_run.py)
            from ..album import evidence_of

            self.evidence[q.item.key] = evidence_of(
                answer.candidates, (post.x, post.y) if post is not None else None,
                post.error_radius_m if post is not None else 0.0, answer.label, pc.posterior_for(self.verifier))
        features = dict(post.features) if post is not None else {}
        if post is None:
            est_lat = est_lon = radius = None
        else:
            est_lat, est_lon = rd_to_wgs84(post.x, post.y)
            radius = float(post.error_radius_m)

        # ranks of the first correct reference before and after verification (the pipeline's order)
        idx = np.array([c.view.index for c in cands], int)
        reranked = [c.retrieval_rank - 1 for c in answer.candidates]
        visible = self.index.visible(q.exclude_groups)
        truth = q.item.lat is not None
        rank_r = rank_v = None
        correct_ref = ""
        top_ref_dist = error = None
        if truth and cands:
            d = np.asarray(geodesic_distance_m(q.item.lat, q.item.lon, self.ref_lat[idx], self.ref_lon[idx]), float)
            ok = np.atleast_1d(d <= self.protocol.correct_radius_m)
            rank_r, rank_v = first_correct_ranks(ok, reranked)
            if rank_r is not None:
                correct_ref = cands[rank_r - 1].view.view_id
            top_ref_dist = float(np.atleast_1d(d)[reranked[0]])
        if truth and not correct_ref:
            dall = np.asarray(geodesic_distance_m(q.item.lat, q.item.lon, self.ref_lat, self.ref_lon), float)
            dall = np.where(visible, np.atleast_1d(dall), np.inf)
            if np.isfinite(dall).any() and dall.min() <= self.protocol.correct_radius_m:
                correct_ref = self.protocol.references[int(np.argmin(dall))].key
        top = answer.candidates[0] if cands else None
        if top is not None and (cfg.estimator == "top1" or (cfg.estimator == "hybrid" and answer.n_verified == 0)):
            # the baseline answer: copy the best re-ranked reference's position
            # (hybrid: only when nothing verified, else the posterior's estimate)
            est_lat, est_lon = top.view.lat, top.view.lon
        if truth and est_lat is not None:
            error = float(geodesic_distance_m(q.item.lat, q.item.lon, est_lat, est_lon))
        heading_err = None
        truth_heading = reference_heading(q.item) if q.positive else None
        if answer.heading_deg is not None and truth_heading is not None:
            heading_err = angle_between(answer.heading_deg, truth_heading)
        answer_ref = ""
        if est_lat is not None and cands:
            d_est = np.atleast_1d(geodesic_distance_m(est_lat, est_lon, self.ref_lat[idx], self.ref_lon[idx]))
            answer_ref = cands[int(np.argmin(d_est))].view.view_id
        t_embed, t_pose, t_estimate = self.store.embedding(q.item)[1], timings.get("pose", 0.0), timings["posterior"]
        return QueryResult(
            protocol=self.protocol.name, query=q.item.label, key=q.item.key, group=q.item.group,
            place=q.item.place, kind=q.kind, positive=q.positive,
            truth_lat=q.item.lat, truth_lon=q.item.lon,
            est_lat=None if est_lat is None else float(est_lat), est_lon=None if est_lon is None else float(est_lon),
            error_m=error, confidence=float(answer.confidence), label=answer.label, error_radius_m=radius,
            rank_retrieval=rank_r, rank_verified=rank_v, n_verified=answer.n_verified,
            top_ref=top.view.view_id if top else "", top_ref_dist_m=top_ref_dist, correct_ref=correct_ref,
            answer_ref=answer_ref,
            top_similarity=float(top.similarity) if top else 0.0, top_inliers=int(top.inliers) if top else 0,
            top_spread=float(top.spread) if top else 0.0,
            t_embed=t_embed, t_search=timings["search"], t_verify=t_verify, t_estimate=t_estimate,
            t_total=t_embed + timings["search"] + t_verify + t_estimate + t_pose,
            position_method=post.position_method if post is not None else "",
            heading_deg=answer.heading_deg, heading_sd_deg=answer.heading_sd_deg, heading_error_deg=heading_err,
            hfov_deg=stage.hfov_deg if stage is not None and stage.fov_source else None, t_pose=t_pose,
            raw={k: float(v) for k, v in features.items()},
        )

    def run(self, progress: Optional[ProgressFn] = None, is_canceled: Optional[CancelFn] = None) -> List[QueryResult]:
        self.prepare(progress, is_canceled)
        results = run_queries(self, progress, is_canceled)
        if self.config.album and getattr(self.protocol, "albums", None):
            from .album_run import album_config, apply_albums

            results = apply_albums(self.protocol, results, self.evidence, album_config(self.config.album))
        return results


def run_queries(runner, progress: Optional[ProgressFn] = None, is_canceled: Optional[CancelFn] = None) -> List[QueryResult]:
    """runner.run_query over runner.protocol.queries in order, with progress and cancel."""
    out = []
    n = len(runner.protocol.queries)
    for i, q in enumerate(runner.protocol.queries):
        if canceled(is_canceled):
            raise EvaluationError("canceled")
        out.append(runner.run_query(q))
        if progress is not None:
            progress("evaluate", (i + 1) / n, f"query {i + 1}/{n}")
    return out


def query_camera(item):
    """The pose stage's query pinhole per FOV for a view cut from a panorama: its bottom
    row at ``min_elevation`` moves the principal point down (panorama.perspective_view),
    which a photo's centred pinhole would get wrong by up to 177 px (90 deg views).
    The FOV stays unknown to the stage. None (a photo's) for everything else, and for
    the phone-photo conditions that crop, zoom or turn the view (perturb.py: their
    principal point is not the cut's)."""
    if getattr(item, "min_elevation", None) is None or not getattr(item, "size", None) or item.pitch:
        return None
    from .perturb import REFRAMING

    if item.condition in REFRAMING:
        return None
    from ..estimate.relative_pose import view_intrinsics

    return lambda size, hfov: view_intrinsics(hfov, size, view_size=tuple(item.size),
                                              min_elevation_deg=item.min_elevation)


# --- evaluating an existing database through the product pipeline ------------------------------

class DatabaseRunner:
    """Query images with ground truth against a built reference database, through
    :class:`pipeline.Geolocator` itself (no leave-one-out: the database is used as is).
    The database decides the embedder, whitening and local features; the preset
    gives TOP_K, VERIFY_TOP and the tier (``none`` verifies nothing)."""

    def __init__(self, database_path, queries: Sequence[Query], config: EvalConfig = EvalConfig(),
                 correct_radius_m: float = 25.0, name: str = "database"):
        from ..pipeline import Geolocator, PipelineConfig

        self.config = config
        verify_top = 0 if config.tier == "none" else int(config.verify_top)
        self.geo = Geolocator(str(database_path), PipelineConfig(top_k=int(config.top_k), verify_top=verify_top))
        db = self.geo.db
        refs = []
        for v in db.views(db.ids()):
            group = v.pano_id or f"view:{v.view_id}"
            refs.append(_reference_item(v, group))
        self.ref_by_view = {int(v): r for v, r in zip(db.ids(), refs)}
        from .protocols import mark_positives

        self.protocol = Protocol(name, f"queries against {Path(str(database_path)).name}", refs,
                                 mark_positives(refs, queries, correct_radius_m), correct_radius_m)

    def run_query(self, q: Query) -> QueryResult:
        rgb = load_item_image(q.item)
        g = self.geo.locate(rgb)
        cands = list(g.candidates)  # in the pipeline's order after verification
        truth = q.item.lat is not None
        rank_r = rank_v = None
        correct_ref = ""
        error = top_dist = None
        if truth and cands:
            d = np.atleast_1d(geodesic_distance_m(q.item.lat, q.item.lon, [c.view.lat for c in cands],
                                                  [c.view.lon for c in cands]))
            ok = d <= self.protocol.correct_radius_m
            # only the candidates the pipeline returns are known: the others count as not correct
            ok_by_retrieval = np.zeros(max(c.retrieval_rank for c in cands), bool)
            ok_by_retrieval[[c.retrieval_rank - 1 for c, o in zip(cands, ok) if o]] = True
            by_rank = {c.retrieval_rank: c for c in cands}
            rank_r, rank_v = first_correct_ranks(ok_by_retrieval, [c.retrieval_rank - 1 for c in cands])
            if rank_r is not None:
                correct_ref = self.ref_by_view[by_rank[rank_r].view.view_id].key
            top_dist = float(d[0])
        if truth and g.lat is not None:
            error = float(geodesic_distance_m(q.item.lat, q.item.lon, g.lat, g.lon))
        top = cands[0] if cands else None
        t = g.timings
        return QueryResult(
            protocol=self.protocol.name, query=q.item.label, key=q.item.key, group=q.item.group,
            place=q.item.place, kind=q.kind, positive=q.positive, truth_lat=q.item.lat, truth_lon=q.item.lon,
            est_lat=g.lat, est_lon=g.lon, error_m=error, confidence=float(g.confidence), label=g.label,
            error_radius_m=float(g.error_radius_m), rank_retrieval=rank_r, rank_verified=rank_v,
            n_verified=int(g.n_verified), top_ref=self.ref_by_view[top.view.view_id].key if top else "",
            top_ref_dist_m=top_dist, correct_ref=correct_ref,
            answer_ref=self.ref_by_view[min(cands, key=lambda c: float("inf") if c.distance_m is None else c.distance_m).view.view_id].key
            if cands and g.lat is not None else "",
            top_similarity=float(top.similarity) if top else 0.0, top_inliers=int(top.inliers) if top else 0,
            top_spread=float(top.spread) if top else 0.0,
            t_embed=t.get("embed", 0.0), t_search=t.get("search", 0.0), t_verify=t.get("verify", 0.0),
            t_estimate=t.get("posterior", 0.0), t_total=float(sum(t.values())),
            raw={k: float(v) for k, v in g.features.items()},
        )

    def run(self, progress: Optional[ProgressFn] = None, is_canceled: Optional[CancelFn] = None) -> List[QueryResult]:
        return run_queries(self, progress, is_canceled)


def _reference_item(v, group) -> Item:
    """A database view as a protocol item: its stored copy, or (a database without
    view copies) the view cut from its source as the build cut it."""
    from ..panorama import DEFAULT_MIN_ELEVATION_DEG
    from ..database.views import PHOTO_VIEW_MAX_SIDE

    if v.view_image_path:
        return Item(v.view_image_path, float(v.lat), float(v.lon), group, group)
    if v.rel_heading is None:
        return Item(v.image_path, float(v.lat), float(v.lon), group, group, max_side=PHOTO_VIEW_MAX_SIDE)
    return Item(v.image_path, float(v.lat), float(v.lon), group, group, heading=float(v.rel_heading),
                fov=float(v.fov or 90.0), min_elevation=DEFAULT_MIN_ELEVATION_DEG)
