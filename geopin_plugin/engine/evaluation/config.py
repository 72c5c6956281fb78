"""One evaluated preset (``key=value,...``) and what it runs: the product's
PipelineConfig and verifier, with the preset's overrides.

Every default is the product's: top_k, verify_top and position come from
pipeline.PipelineConfig's fields, the models from the catalogue (models.py), the
thresholds from the verifier's named configuration (verify.CONFS); 0 / -1 / "" in a
threshold sweep leave the measured value.
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace

from ..pipeline import POSITION_METHODS, PipelineConfig

ESTIMATORS = ("pipeline", "top1", "hybrid")
TIERS = ("none", "fast", "cascade", "learned")
_INT_KEYS = ("top_k", "verify_top", "learned_top", "learned_min_inliers", "min_inliers", "matcher_min_inliers",
             "band", "enough_verified", "anchor_min_inliers", "matcher_reranks", "matcher_keypoints",
             "band_min_inliers", "cell_max", "hopeless_after", "hopeless_below")


class EvaluationError(RuntimeError):
    pass


@dataclass(frozen=True)
class EvalConfig:
    """One evaluated preset: embedder (+ whitening), verification tier, TOP_K/VERIFY_TOP."""

    embedder: str = ""  # "" -> models.DEFAULT_EMBEDDER
    whitening: bool = False
    extractor: str = ""  # "" -> models.DEFAULT_EXTRACTOR
    # none: no verification; cascade: the product's verifier for the extractor (XFeat
    # MNN on every candidate + LighterGlue on the undecided band); fast: its first tier
    # only; learned: the fast tier + DISK LightGlue on the band (the registry's verifier "learned")
    tier: str = "cascade"
    top_k: int = PipelineConfig.top_k
    verify_top: int = PipelineConfig.verify_top
    # pipeline: the posterior's estimate; top1: copy the best reference after verification
    # (the baseline's rule); hybrid: the posterior when something verified, else top1
    estimator: str = "pipeline"
    # tier=learned only: LightGlue (DISK) on at most this many candidates the fast tier
    # did not verify (the first by fast-tier inliers, then retrieval order), and the
    # LightGlue MAGSAC inliers that make such a candidate verified (0: verify.LEARNED_MIN_INLIERS)
    learned_top: int = 5
    learned_min_inliers: int = 0
    # threshold sweeps (0 / -1: verify.py's measured defaults for the extractor)
    min_inliers: int = 0
    matcher_min_inliers: int = 0
    band: int = -1
    enough_verified: int = -1  # -1: verify.py's default; 0: verify every candidate
    # the early stop on "nothing will verify" (VerifyConfig.hopeless_*): -1: verify.py's
    # default; hopeless_after=0: never stop early
    hopeless_after: int = -1
    hopeless_below: int = -1
    anchor_min_inliers: int = -1  # -1: verify.py's default for the extractor
    best_point: str = ""  # "": posterior.PosteriorConfig's; mean | mode
    matcher_reranks: int = -1  # -1: verify.py's default; 0/1
    matcher_keypoints: int = 0  # 0: verify.py's default
    band_min_inliers: int = -1  # -1: verify.py's default
    inlier_power: float = 0.0  # 0: posterior.PosteriorConfig's
    mean_radius: float = -1.0  # -1: posterior.PosteriorConfig's mean_radius_m; 0: the whole cluster
    # PipelineConfig.position_method: crossing (the default: bearing lines sharpen the
    # posterior where two cross), pose (a single line too), density (the posterior
    # alone). The heading is estimated either way.
    position: str = PipelineConfig.position_method
    # how the references' local features are stored ("": as a new database stores
    # them, features.storage_of: XFeat int4; int8: databases built before issue 14
    # or with --int8-features)
    storage: str = ""
    # the error radius's bound by the local reference spacing (posterior.PosteriorConfig
    # spacing_factor; -1: its default, 0: off)
    spacing_factor: float = -1.0
    # Search-within-Cell (cells.py): cell side in metres (0: global search only, the
    # default) and the prior's vote scale, mass and most cells (0: cells.CellSearch's)
    cells: float = 0.0
    cell_tau: float = 0.0
    cell_mass: float = 0.0
    cell_max: int = 0
    # album protocols (engine/evaluation/album_protocols.py): "" each frame alone; walking /
    # cycling / driving: the album's joint estimate (engine/album.py) with that motion preset
    album: str = ""
    # building outlines as "the user's layer" (engine/estimate/buildings.py): "" none (the
    # default, as without outlines), "bag" the shared BAG panden
    # (datasets/amsterdam-bag), or a GeoPackage path; building_prior: the posterior's
    # factor inside footprints (-1: posterior.PosteriorConfig's; 1: no prior)
    buildings: str = ""
    building_prior: float = -1.0
    # the overlay guards (verify.py STATIC_DISPLACEMENT, MIN_EXTENT; -1: their defaults, 0: off)
    static_displacement: float = -1.0
    min_extent: float = -1.0
    # static-overlay masks learned per mask group of the references (engine/database/overlay_masks.py;
    # evaluation/masks.py), as a build learns them: 1 on (the product's), 0 off
    overlay_masks: bool = True
    # the queries' own overlay masks, learned per mask group of the protocol's queries as
    # Geolocate photos learns them over a batch (engine/query_overlay.py): 1 on (the product's), 0 off
    query_masks: bool = True

    def resolved(self) -> "EvalConfig":
        from ..models import DEFAULT_EMBEDDER, DEFAULT_EXTRACTOR
        from ..verification.verifier import LEARNED_MIN_INLIERS

        return replace(self, embedder=self.embedder or DEFAULT_EMBEDDER, extractor=self.extractor or DEFAULT_EXTRACTOR,
                       top_k=int(self.top_k), verify_top=int(self.verify_top), learned_top=int(self.learned_top),
                       learned_min_inliers=int(self.learned_min_inliers or LEARNED_MIN_INLIERS))

    def pipeline_config(self) -> PipelineConfig:
        """The product's configuration this preset runs (tier none: nothing verified)."""
        c = self.resolved()
        posterior = PipelineConfig().posterior
        if c.inlier_power:
            posterior = replace(posterior, inlier_power=float(c.inlier_power))
        if c.best_point:
            posterior = replace(posterior, best_point=c.best_point)
        if c.mean_radius >= 0:
            posterior = replace(posterior, mean_radius_m=float(c.mean_radius))
        if c.spacing_factor >= 0:
            posterior = replace(posterior, spacing_factor=float(c.spacing_factor))
        if c.building_prior >= 0:
            posterior = replace(posterior, building_prior=float(c.building_prior))
        cells = None
        if c.cells:
            from ..database.cells import CellSearch

            d = CellSearch()
            cells = CellSearch(float(c.cells), c.cell_tau or d.tau, c.cell_mass or d.mass, c.cell_max or d.max_cells)
        return PipelineConfig(top_k=c.top_k, verify_top=0 if c.tier == "none" else c.verify_top,
                              embedder=c.embedder, extractor=c.extractor, min_inliers=c.min_inliers or None,
                              position_method=c.position, posterior=posterior, cells=cells)

    @property
    def name(self) -> str:
        c = self.resolved()
        w = "+white" if c.whitening else ""
        tier = c.tier if c.tier == "none" else f"{c.tier}:{c.extractor}"
        if c.tier == "learned":
            tier = f"fast:{c.extractor} + lightglue top{c.learned_top} ≥{c.learned_min_inliers}"
        if c.tier != "none":
            vc = make_verifier(c).config
            tier += f" ≥{vc.min_inliers}"
            if vc.matcher and vc.band:
                tier += f" + {vc.matcher} {vc.matcher_keypoints}kp top{vc.band}"
                tier += f" (fast ≥{vc.band_min_inliers})" if vc.band_min_inliers else ""
                tier += f" ≥{vc.matcher_min_inliers}"
            if vc.enough_verified:
                tier += f" stop@{vc.enough_verified}"
            if vc.hopeless_after:
                tier += f" hopeless<{vc.hopeless_below}@{vc.hopeless_after}"
            if vc.anchor_min_inliers:
                tier += f" anchor≥{vc.anchor_min_inliers}"
            if vc.matcher_reranks:
                tier += " (matcher reranks)"
        point = f" ({c.best_point})" if c.best_point else ""
        point += f" (inliers^{c.inlier_power:g})" if c.inlier_power else ""
        point += f" (mean within {c.mean_radius:g} m)" if c.mean_radius >= 0 else ""
        point += f" (radius ≤ {c.spacing_factor:g} x spacing)" if c.spacing_factor >= 0 else ""
        pos = "" if c.position == PipelineConfig.position_method else f" · {c.position}"
        pos += f" · features {c.storage}" if c.storage else ""
        pos += f" · buildings {c.buildings}" if c.buildings else ""
        pos += f" (prior {c.building_prior:g})" if c.building_prior >= 0 else ""
        pos += f" · static<{c.static_displacement:g}" if c.static_displacement >= 0 else ""
        pos += f" · extent≥{c.min_extent:g}" if c.min_extent >= 0 else ""
        if c.cells:
            cs = self.pipeline_config().cells
            pos += f" · cells {cs.cell_m:g} m tau {cs.tau:g} mass {cs.mass:g} max {cs.max_cells}"
        pos += f" · album {c.album}" if c.album else ""
        pos += "" if c.overlay_masks else " · no overlay masks"
        pos += "" if c.query_masks else " · no query masks"
        return f"{c.embedder}{w} · {tier} · k{c.top_k}/v{c.verify_top} · {c.estimator}{point}{pos}"

    @classmethod
    def parse(cls, spec: str) -> "EvalConfig":
        """``key=value,key=value`` (keys: embedder, whitening, extractor, tier,
        top_k, verify_top, estimator, learned_top, learned_min_inliers); an empty
        spec is the default preset."""
        kw = {}
        known = {f.name: f.type for f in fields(cls)}
        for part in filter(None, (p.strip() for p in spec.split(","))):
            if "=" not in part:
                raise ValueError(f"preset spec part {part!r} is not key=value")
            k, v = (s.strip() for s in part.split("=", 1))
            if k not in known:
                raise ValueError(f"unknown preset key {k!r}; known: {', '.join(known)}")
            if k in _INT_KEYS:
                kw[k] = int(v)
            elif k in ("inlier_power", "cells", "cell_tau", "cell_mass", "spacing_factor",
                       "mean_radius", "building_prior", "static_displacement", "min_extent"):
                kw[k] = float(v)
            elif k in ("whitening", "overlay_masks", "query_masks"):
                kw[k] = v.lower() in ("1", "true", "yes", "on")
            else:
                kw[k] = v
        cfg = cls(**kw)
        if cfg.tier not in TIERS:
            raise ValueError(f"tier must be one of {', '.join(TIERS)}, not {cfg.tier!r}")
        if cfg.estimator not in ESTIMATORS:
            raise ValueError(f"estimator must be one of {', '.join(ESTIMATORS)}, not {cfg.estimator!r}")
        if cfg.position not in POSITION_METHODS:
            raise ValueError(f"position must be one of {', '.join(POSITION_METHODS)}, not {cfg.position!r}")
        if cfg.storage not in ("", "int8", "int4", "float16"):
            raise ValueError(f"storage must be int8, int4 or float16, not {cfg.storage!r}")
        if cfg.album:
            from .album_run import album_config

            album_config(cfg.album)  # raises ValueError naming the presets
        if cfg.learned_top < 0 or cfg.learned_min_inliers < 0:
            raise ValueError("learned_top and learned_min_inliers must be >= 0")
        return cfg


def building_map(config: EvalConfig):
    """The preset's buildings.BuildingMap, or None (buildings="")."""
    if not config.buildings:
        return None
    from pathlib import Path

    from ..estimate.buildings import BuildingMap, geopackage_source
    from ..paths import datasets_dir

    path = Path(datasets_dir()) / "amsterdam-bag" / "bag_pand_amsterdam_2019.gpkg" \
        if config.buildings == "bag" else Path(config.buildings)
    if not path.exists():
        raise EvaluationError(f"building outlines not found: {path}")
    return BuildingMap(geopackage_source(str(path)), path.name)


def make_verifier(config: EvalConfig):
    """The product's verifier for the preset's extractor (the registry's conf for its
    features, as the Geolocator builds it), with the preset's threshold overrides;
    tiers fast and learned drop its matcher tier. None for tier none."""
    if config.tier == "none":
        return None
    if config.tier not in TIERS:
        raise EvaluationError(f"unknown verification tier {config.tier!r}")
    from .. import registry
    from ..verification.verifier import conf

    c = config.resolved()
    pc = c.pipeline_config()
    name = registry.verifier_for(c.extractor)
    vc = conf(name, min_inliers=pc.min_inliers, min_spread=pc.min_spread, threads=pc.verify_threads,
              matcher_min_inliers=c.matcher_min_inliers or None, band=None if c.band < 0 else c.band)
    if c.enough_verified >= 0:
        vc = replace(vc, enough_verified=c.enough_verified or None)
    if c.hopeless_after >= 0:
        vc = replace(vc, hopeless_after=c.hopeless_after or None)
    if c.hopeless_below >= 0:
        vc = replace(vc, hopeless_below=c.hopeless_below)
    if c.anchor_min_inliers >= 0:
        vc = replace(vc, anchor_min_inliers=c.anchor_min_inliers)
    if c.matcher_reranks >= 0:
        vc = replace(vc, matcher_reranks=bool(c.matcher_reranks))
    if c.matcher_keypoints:
        vc = replace(vc, matcher_keypoints=c.matcher_keypoints)
    if c.band_min_inliers >= 0:
        vc = replace(vc, band_min_inliers=c.band_min_inliers)
    if c.static_displacement >= 0:
        vc = replace(vc, static_displacement=c.static_displacement)
    if c.min_extent >= 0:
        vc = replace(vc, min_extent=c.min_extent)
    if c.tier in ("fast", "learned"):
        vc = replace(vc, matcher=None, band=0)
    return registry.load("verifier", name, config=vc)
