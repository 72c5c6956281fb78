"""One evaluated preset (``key=value,...``) and what it runs: the product's
PipelineConfig and verifier, with the preset's overrides.

Every default is the product's: top_k, verify_top and position come from
pipeline.PipelineConfig's fields, the models from the catalogue (models.py), the
thresholds from the verifier's named configuration (verifier.CONFS). A field left at
None keeps the product's value; any value given, 0 included, is used as given (where
0 means "off", the comment says so).
"""
from __future__ import annotations

import typing
from dataclasses import dataclass, fields, replace
from typing import Optional

from ..pipeline import POSITION_METHODS, PipelineConfig

ESTIMATORS = ("pipeline", "top1", "hybrid")
TIERS = ("none", "fast", "cascade", "learned")
STORAGES = ("int8", "int4", "float16")


class EvaluationError(RuntimeError):
    pass


@dataclass(frozen=True)
class EvalConfig:
    """One evaluated preset: embedder (+ whitening), verification tier, TOP_K/VERIFY_TOP,
    and overrides of the product's verifier and posterior (None: the product's)."""

    embedder: Optional[str] = None  # None: models.DEFAULT_EMBEDDER
    whitening: bool = False
    extractor: Optional[str] = None  # None: models.DEFAULT_EXTRACTOR
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
    # LightGlue MAGSAC inliers that make such a candidate verified (None: verifier.LEARNED_MIN_INLIERS)
    learned_top: int = 5
    learned_min_inliers: Optional[int] = None
    # the verifier's thresholds (VerifyConfig of the extractor's verifier)
    min_inliers: Optional[int] = None
    matcher_min_inliers: Optional[int] = None
    band: Optional[int] = None
    enough_verified: Optional[int] = None  # 0: verify every candidate
    # the early stop on "nothing will verify" (VerifyConfig.hopeless_*); hopeless_after=0: never
    hopeless_after: Optional[int] = None
    hopeless_below: Optional[int] = None
    anchor_min_inliers: Optional[int] = None
    matcher_reranks: Optional[bool] = None
    matcher_keypoints: Optional[int] = None
    band_min_inliers: Optional[int] = None
    # the overlay guards (VerifyConfig.static_displacement, min_extent; 0: off)
    static_displacement: Optional[float] = None
    min_extent: Optional[float] = None
    # the posterior (posterior.PosteriorConfig): best_point mean | mode; mean_radius 0:
    # the whole cluster; spacing_factor (the error radius's bound by the local reference
    # spacing) 0: off; building_prior 1: no prior
    best_point: Optional[str] = None
    inlier_power: Optional[float] = None
    mean_radius: Optional[float] = None
    spacing_factor: Optional[float] = None
    building_prior: Optional[float] = None
    # PipelineConfig.position_method: crossing (the default: bearing lines sharpen the
    # posterior where two cross), pose (a single line too), density (the posterior
    # alone). The heading is estimated either way.
    position: str = PipelineConfig.position_method
    # how the references' local features are stored (None: as a new database stores
    # them, storage.storage_of: XFeat int4; int8: databases built before issue 14
    # or with --int8-features)
    storage: Optional[str] = None
    # Search-within-Cell (cells.py): cell side in metres (0: global search only, the
    # default) and the prior's vote scale, mass and most cells (None: cells.CellSearch's)
    cells: float = 0.0
    cell_tau: Optional[float] = None
    cell_mass: Optional[float] = None
    cell_max: Optional[int] = None
    # album protocols (engine/evaluation/album_protocols.py): "" each frame alone; walking /
    # cycling / driving: the album's joint estimate (engine/album.py) with that motion preset
    album: str = ""
    # building outlines as "the user's layer" (engine/estimate/buildings.py): "" none (the
    # default, as without outlines), "bag" the shared BAG panden
    # (datasets/amsterdam-bag), or a GeoPackage path
    buildings: str = ""
    # static-overlay masks learned per mask group of the references (engine/database/overlay_masks.py;
    # evaluation/masks.py), as a build learns them: 1 on (the product's), 0 off
    overlay_masks: bool = True
    # the queries' own overlay masks, learned per mask group of the protocol's queries as
    # Geolocate photos learns them over a batch when asked (engine/query_overlay.py): 0 off (the
    # product's default: docs/evaluation.md says why), 1 on
    query_masks: bool = False

    def resolved(self) -> "EvalConfig":
        """The preset with the parts named: what a new database is built and searched
        with (registry.parts_for), the preset's own where it names them."""
        from .. import registry
        from ..verification.verifier import LEARNED_MIN_INLIERS

        parts = registry.parts_for({}, 0, self)
        return replace(self, embedder=parts.embedder, extractor=parts.extractor,
                       top_k=int(self.top_k), verify_top=int(self.verify_top), learned_top=int(self.learned_top),
                       learned_min_inliers=int(LEARNED_MIN_INLIERS if self.learned_min_inliers is None
                                               else self.learned_min_inliers))

    def posterior_overrides(self) -> dict:
        return {k: v for k, v in (("inlier_power", self.inlier_power), ("best_point", self.best_point),
                                  ("mean_radius_m", self.mean_radius), ("spacing_factor", self.spacing_factor),
                                  ("building_prior", self.building_prior)) if v is not None}

    def verifier_overrides(self) -> dict:
        keys = ("matcher_min_inliers", "band", "enough_verified", "hopeless_after", "hopeless_below",
                "anchor_min_inliers", "matcher_reranks", "matcher_keypoints", "band_min_inliers",
                "static_displacement", "min_extent")
        out = {k: getattr(self, k) for k in keys if getattr(self, k) is not None}
        for k in ("enough_verified", "hopeless_after"):  # 0 turns them off: VerifyConfig says None
            if out.get(k) == 0:
                out[k] = None
        return out

    def pipeline_config(self) -> PipelineConfig:
        """The product's configuration this preset runs (tier none: nothing verified)."""
        c = self.resolved()
        posterior = replace(PipelineConfig().posterior, **c.posterior_overrides())
        cells = None
        if c.cells:
            from ..database.cells import CellSearch

            d = CellSearch()
            cells = CellSearch(float(c.cells), d.tau if c.cell_tau is None else c.cell_tau,
                               d.mass if c.cell_mass is None else c.cell_mass,
                               d.max_cells if c.cell_max is None else c.cell_max)
        return PipelineConfig(top_k=c.top_k, verify_top=0 if c.tier == "none" else c.verify_top,
                              embedder=c.embedder, extractor=c.extractor, min_inliers=c.min_inliers,
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
        point += f" (mean within {c.mean_radius:g} m)" if c.mean_radius is not None else ""
        point += f" (radius ≤ {c.spacing_factor:g} x spacing)" if c.spacing_factor is not None else ""
        pos = "" if c.position == PipelineConfig.position_method else f" · {c.position}"
        pos += f" · features {c.storage}" if c.storage else ""
        pos += f" · buildings {c.buildings}" if c.buildings else ""
        pos += f" (prior {c.building_prior:g})" if c.building_prior is not None else ""
        pos += f" · static<{c.static_displacement:g}" if c.static_displacement is not None else ""
        pos += f" · extent≥{c.min_extent:g}" if c.min_extent is not None else ""
        if c.cells:
            cs = self.pipeline_config().cells
            pos += f" · cells {cs.cell_m:g} m tau {cs.tau:g} mass {cs.mass:g} max {cs.max_cells}"
        pos += f" · album {c.album}" if c.album else ""
        pos += "" if c.overlay_masks else " · no overlay masks"
        pos += " · query masks" if c.query_masks else ""
        return f"{c.embedder}{w} · {tier} · k{c.top_k}/v{c.verify_top} · {c.estimator}{point}{pos}"

    @classmethod
    def parse(cls, spec: str) -> "EvalConfig":
        """``key=value,key=value`` with the fields' names; each value is read as its
        field's type (bool: 1/true/yes/on). An empty spec is the default preset."""
        kw = {}
        types = typing.get_type_hints(cls)
        for part in filter(None, (p.strip() for p in spec.split(","))):
            if "=" not in part:
                raise ValueError(f"preset spec part {part!r} is not key=value")
            k, v = (s.strip() for s in part.split("=", 1))
            if k not in types:
                raise ValueError(f"unknown preset key {k!r}; known: {', '.join(f.name for f in fields(cls))}")
            kind = next((t for t in typing.get_args(types[k]) if t is not type(None)), types[k])
            try:
                kw[k] = v.lower() in ("1", "true", "yes", "on") if kind is bool else kind(v)
            except ValueError:
                what = {int: "a whole number", float: "a number"}.get(kind, kind.__name__)
                raise ValueError(f"preset key {k!r} needs {what}, not {v!r}") from None
        cfg = cls(**kw)
        if cfg.tier not in TIERS:
            raise ValueError(f"tier must be one of {', '.join(TIERS)}, not {cfg.tier!r}")
        if cfg.estimator not in ESTIMATORS:
            raise ValueError(f"estimator must be one of {', '.join(ESTIMATORS)}, not {cfg.estimator!r}")
        if cfg.position not in POSITION_METHODS:
            raise ValueError(f"position must be one of {', '.join(POSITION_METHODS)}, not {cfg.position!r}")
        if cfg.storage is not None and cfg.storage not in STORAGES:
            raise ValueError(f"storage must be int8, int4 or float16, not {cfg.storage!r}")
        negative = [f.name for f in fields(cls) if isinstance(getattr(cfg, f.name), (int, float))
                    and not isinstance(getattr(cfg, f.name), bool) and getattr(cfg, f.name) < 0]
        if negative:
            raise ValueError(f"{', '.join(negative)} must be >= 0 (leave a key out for the product's value)")
        if cfg.album:
            from .album_run import album_config

            album_config(cfg.album)  # raises ValueError naming the presets
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
    name = registry.parts_for({}, 0, c).verifier
    vc = conf(name, min_inliers=pc.min_inliers, min_spread=pc.min_spread, threads=pc.verify_threads)
    vc = replace(vc, **c.verifier_overrides())
    if c.tier in ("fast", "learned"):
        vc = replace(vc, matcher=None, band=0)
    return registry.load("verifier", name, config=vc)
