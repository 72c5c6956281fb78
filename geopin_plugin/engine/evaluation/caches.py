"""The evaluation's caches, and the stages' parts that read them.

* embeddings: ``<cache>/<embedder preset>-<fp>/emb/<item digest>.npz`` (+ the seconds it took);
* local features: ``<cache>/<extractor preset>-<fp>/feat/<item digest>.npz``;
* pair outcomes: ``<cache>/verify/<verifier_id>/<query digest>.json`` (per reference:
  inliers, spread, verified...), one folder per tier (fast, confirm, learned).

The stages (engine/stages.py) run on these through :class:`CachedEmbedder`,
:class:`CachedExtractor`, :class:`ReferenceFeatures` and :class:`CachedVerifier`: the
product's verifier cascade with each pair's outcome read from the cache (computed by
the real verifier the first time). A changed preset never reuses a stale cache: the
names hold the catalogue fingerprints and every setting that decides an outcome.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Dict, Optional, Sequence, Tuple

import numpy as np

from .protocols import Item, item_digest
from ..types import CancelFn, LocalFeatures, ProgressFn, canceled
from ..verification.verifier import Verifier
from .config import EvalConfig, EvaluationError, make_verifier
from .items import render_items


def default_cache_dir() -> Path:
    override = os.environ.get("GEOPIN_EVAL_CACHE")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[3] / "build" / "eval-cache"


def _atomic_save_npz(path: Path, **arrays) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


def _preset_dir(preset_id: str) -> str:
    """<preset id>-<catalogue fingerprint>: a changed preset never reuses a stale cache.
    (Code changes to view cutting or extraction need `rm -r build/eval-cache`.)"""
    from ..models import PRESETS

    p = PRESETS.get(preset_id)
    return f"{preset_id}-{p.fingerprint()[:8]}" if p is not None else preset_id


class FeatureStore:
    """Embeddings and local features of protocol items, cached per preset."""

    def __init__(self, config: EvalConfig, cache_dir: Optional[Path] = None, log: Callable[[str], None] = None):
        self.config = config.resolved()
        self.cache_dir = Path(cache_dir or default_cache_dir())
        self.log = log or (lambda msg: None)
        self._embedder = None
        self._extractor = None

    # lazily loaded models
    @property
    def embedder(self):
        if self._embedder is None:
            from ..embed import load_embedder

            self._embedder = load_embedder(self.config.embedder)
        return self._embedder

    @property
    def extractor(self):
        if self._extractor is None:
            from ..registry import load_extractor

            self._extractor = load_extractor(self.config.extractor)
        return self._extractor

    def _emb_path(self, it: Item) -> Path:
        return self.cache_dir / _preset_dir(self.config.embedder) / "emb" / f"{item_digest(it.key)}.npz"

    def _feat_path(self, it: Item) -> Path:
        return self.cache_dir / _preset_dir(self.config.extractor) / "feat" / f"{item_digest(it.key)}.npz"

    def ensure(self, items: Sequence[Item], features: bool, progress: Optional[ProgressFn] = None,
               is_canceled: Optional[CancelFn] = None, stage: str = "items") -> None:
        """Compute and cache what is missing (embeddings, and local features if asked);
        progress(stage, share of the missing ones done, "i/n")."""
        todo = [it for it in items
                if not self._emb_path(it).exists() or (features and not self._feat_path(it).exists())]
        todo = sorted(set(todo), key=lambda it: (it.path, it.key))
        for i, (it, rgb) in enumerate(render_items(todo)):
            if canceled(is_canceled):
                raise EvaluationError("canceled")
            if not self._emb_path(it).exists():
                t0 = time.perf_counter()
                vec = self.embedder.embed([rgb])[0]
                _atomic_save_npz(self._emb_path(it), vector=vec.astype(np.float32),
                                 seconds=np.float64(time.perf_counter() - t0))
            if features and not self._feat_path(it).exists():
                t0 = time.perf_counter()
                lf = self.extractor.extract(rgb)
                _atomic_save_npz(self._feat_path(it), keypoints=lf.keypoints.astype(np.float32),
                                 descriptors=np.asarray(lf.descriptors),  # as extracted (a query's precision)
                                 scores=(lf.scores if lf.scores is not None else np.zeros(len(lf.keypoints))).astype(np.float32),
                                 image_size=np.array(lf.image_size, np.int64),
                                 seconds=np.float64(time.perf_counter() - t0))
            if progress is not None:
                progress(stage, (i + 1) / len(todo), f"{stage} {i + 1}/{len(todo)}")

    def embedding(self, it: Item) -> Tuple[np.ndarray, float]:
        with np.load(self._emb_path(it)) as z:
            return z["vector"].astype(np.float32), float(z["seconds"])

    def embeddings(self, items: Sequence[Item]) -> np.ndarray:
        return np.stack([self.embedding(it)[0] for it in items]) if items else np.zeros((0, 1), np.float32)

    def features(self, it: Item) -> Tuple[LocalFeatures, float]:
        with np.load(self._feat_path(it)) as z:
            lf = LocalFeatures(z["keypoints"], z["descriptors"], tuple(int(v) for v in z["image_size"]), z["scores"])
            return lf, float(z["seconds"])


def _cache_name(prefix: str, extractor: str, blob: dict) -> str:
    from ..models import get_preset

    blob = dict(blob, extractor=get_preset(extractor).fingerprint())
    digest = hashlib.sha1(json.dumps(blob, sort_keys=True, default=list).encode()).hexdigest()[:10]
    return f"{prefix}-{extractor}-{digest}"


# VerifyConfig settings that choose which pairs are verified, or how their outcomes
# are used, but never change one pair's outcome: no cache key holds them.
_SELECTION_SETTINGS = ("band", "band_min_inliers", "threads", "enough_verified", "chunk", "anchor_min_inliers",
                       "matcher_reranks", "hopeless_after", "hopeless_below")


def reference_storage(config: EvalConfig) -> str:
    """How the preset's references are stored: its ``storage``, else a new database's."""
    from ..verification.storage import storage_of

    return config.storage or storage_of(config.resolved().extractor)


def _add_storage(blob: dict, config: EvalConfig) -> None:
    """Outcomes on references stored otherwise than int8 get their own cache name
    (int8, the storage before int4, keeps the names its caches were filled under)."""
    storage = reference_storage(config)
    if storage != "int8":
        blob["storage"] = storage


def verifier_id(config: EvalConfig) -> str:
    """Cache name of the fast tier's pair outcomes: the extractor (its catalogue
    fingerprint) and every setting of the fast tier. The thresholds are left out
    where they decide nothing but ``verified`` (decided at read time), so a
    threshold sweep reuses one cache; RootSIFT's second pass depends on them."""
    vc = make_verifier(config).identity()
    for k in _SELECTION_SETTINGS + ("matcher", "matcher_keypoints", "matcher_min_inliers"):
        vc.pop(k)
    if vc["full_keypoints"] <= vc["fast_keypoints"]:
        vc.pop("min_inliers")
        vc.pop("min_spread")
    blob = {"verify": vc, "entry": "fast()"}
    _add_storage(blob, config)
    return _cache_name("verify-fast", config.resolved().extractor, blob)


def confirm_id(config: EvalConfig) -> str:
    """Cache name of the matcher tier's pair outcomes (its matcher's fingerprint and
    settings; ``verified`` is decided at read time)."""
    from ..models import get_preset

    vc = make_verifier(config).identity()
    for k in _SELECTION_SETTINGS + ("min_inliers", "matcher_min_inliers", "min_spread"):
        vc.pop(k)
    vc["matcher_fp"] = get_preset(vc["matcher"]).fingerprint()
    blob = {"verify": vc, "entry": "confirm()"}
    _add_storage(blob, config)
    return _cache_name("verify-confirm", config.resolved().extractor, blob)


class VerificationCache:
    """Per query: {reference key: outcome dict} in one small .npz (JSON inside)."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)

    def _path(self, query: Item) -> Path:
        return self.directory / f"{item_digest(query.key)}.json"

    def load(self, query: Item) -> Dict[str, dict]:
        p = self._path(query)
        if not p.exists():
            return {}
        try:
            data = json.loads(p.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def save(self, query: Item, table: Dict[str, dict]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        p = self._path(query)
        tmp = p.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(table, sort_keys=True))
        os.replace(tmp, p)


def _record(v) -> dict:
    return {"inliers": int(v.inliers), "inlier_ratio": float(v.inlier_ratio), "spread": float(v.spread),
            "verified": bool(v.verified), "tentative": int(v.tentative), "seconds": float(v.seconds),
            "tier": v.tier, "static": int(getattr(v, "static", 0))}


def _outcome(rec: dict, min_inliers: int, min_spread: float, decide: bool = True):
    """A cached record as a Verification (no match coordinates), verified decided
    from the thresholds when ``decide``."""
    from ..verification.verifier import Verification

    verified = (rec["inliers"] >= min_inliers and rec["spread"] >= min_spread) if decide else rec["verified"]
    return Verification(int(rec["inliers"]), float(rec["inlier_ratio"]), float(rec["spread"]), bool(verified),
                        np.zeros((0, 4), np.float32), rec.get("tier", ""), int(rec["tentative"]),
                        float(rec["seconds"]), int(rec.get("static", 0)))


# The learned tier: the registry's verifier "learned" (DISK + LightGlue on every pair)
LEARNED = "learned"


def learned_parts() -> Tuple[str, str]:
    """(extractor, matcher) presets of the learned tier, as the registry names them."""
    from .. import registry

    p = registry.part("verifier", LEARNED)
    return p.features, p.options["pair_matcher"]


def learned_verifier_id(config: EvalConfig) -> str:
    """Cache name of the learned tier's pair outcomes: DISK + LightGlue fingerprints and
    the whole VerifyConfig the learned verifier runs with except ``min_inliers`` (the
    cache keeps inliers and spread; ``verified`` is decided from them at read time)."""
    from ..models import get_preset

    extractor, matcher = learned_parts()
    vc = asdict(learned_verify_config(config))
    vc.pop("min_inliers")
    blob = json.dumps({"verify": vc, "extractor": get_preset(extractor).fingerprint(),
                       "matcher": get_preset(matcher).fingerprint(), "entry": "verify_pair()"},
                      sort_keys=True, default=list)
    return f"verify-learned-{extractor}-{hashlib.sha1(blob.encode()).hexdigest()[:10]}"


def learned_verify_config(config: EvalConfig):
    from ..verification.verifier import conf

    return conf(LEARNED, min_inliers=int(config.resolved().learned_min_inliers))


# --- the stages' parts, read from the caches ----------------------------------------------------

@dataclass
class ItemFeatures(LocalFeatures):
    """A query's cached features, knowing their item (the pair caches are per query);
    ``mask_tag`` names the query mask that dropped some of them (its pairs are cached apart)."""

    item: Optional[Item] = None
    mask_tag: str = ""


class CachedEmbedder:
    """``embed([item])``: the item's cached embedding (FeatureStore.ensure made it)."""

    def __init__(self, store: "FeatureStore"):
        self.store = store
        self.preset_id = store.config.embedder

    def embed(self, items: Sequence[Item]) -> np.ndarray:
        return np.stack([self.store.embedding(it)[0] for it in items])


class CachedExtractor:
    """``extract(item)``: the item's cached features (extracted first when ``ensure``)."""

    def __init__(self, store: "FeatureStore", ensure: bool = False, masks=None):
        self.store = store
        self.ensure = ensure
        self.preset_id = store.config.extractor
        self.masks = masks  # the queries' own overlay masks (evaluation/masks.ProtocolMasks over the queries)

    def extract(self, item: Item) -> ItemFeatures:
        if self.ensure:
            self.store.ensure([item], True)
        f = self.store.features(item)[0]
        if self.masks is not None:
            f = _masked(f, self.masks.mask_of(item))
        return ItemFeatures(f.keypoints, f.descriptors, f.image_size, f.scores, item=item,
                            mask_tag=getattr(f, "mask_tag", ""))

    def seconds(self, item: Item) -> float:
        """What extracting it took when it was cached."""
        return self.store.features(item)[1]


@dataclass
class MaskedFeatures(LocalFeatures):
    """A reference's features with the keypoints inside its group's overlay mask
    dropped; ``mask_tag`` names the mask, so its pair outcomes are cached apart."""

    mask_tag: str = ""


class ReferenceFeatures:
    """``features(keys)`` for the stages: the references' cached features, as a database
    returns them when ``as_stored`` (XFeat: int8, features.stored_copy), read once;
    with ``masks`` (evaluation/masks.ProtocolMasks) without the keypoints a build's
    overlay mask would not have stored."""

    def __init__(self, store: "FeatureStore", references: Sequence[Item], as_stored: bool = True,
                 ensure: bool = False, masks=None):
        self.store = store
        self.items = {it.key: it for it in references}
        self.as_stored = as_stored
        self.ensure = ensure
        self.masks = masks
        self._read: Dict[str, LocalFeatures] = {}

    def __call__(self, keys: Sequence[str]) -> Dict[str, LocalFeatures]:
        from ..verification.storage import stored_copy

        todo = [k for k in keys if k not in self._read]
        if todo and self.ensure:
            self.store.ensure([self.items[k] for k in todo], True)
        for k in todo:
            f = self.store.features(self.items[k])[0]
            if self.masks is not None:
                f = _masked(f, self.masks.mask_of(self.items[k]))
            self._read[k] = stored_copy(f, self.store.config.extractor, reference_storage(self.store.config)) \
                if self.as_stored else f
            if isinstance(f, MaskedFeatures):
                r = self._read[k]
                self._read[k] = MaskedFeatures(r.keypoints, r.descriptors, r.image_size, r.scores, f.mask_tag)
        return {k: self._read[k] for k in keys}


def _masked(f: LocalFeatures, mask) -> LocalFeatures:
    """``f`` without the keypoints inside ``mask``; tagged when it dropped any."""
    from ..database.overlay_masks import drop_masked

    out = drop_masked(f, mask)
    if out is f:
        return f
    tag = hashlib.sha1(mask.blob()).hexdigest()[:10]
    return MaskedFeatures(out.keypoints, out.descriptors, out.image_size, out.scores, tag)


def _pair_key(rid: str, f, query=None) -> str:
    """A pair's key in its query's outcome table: a masked reference's outcome is its
    own, and so is a masked query's."""
    tag, qtag = getattr(f, "mask_tag", ""), getattr(query, "mask_tag", "")
    return rid + (f"|mask={tag}" if tag else "") + (f"|qmask={qtag}" if qtag else "")


class CachedVerifier(Verifier):
    """The product's verifier cascade (Verifier.verify: the fast tier in chunks until
    ``enough_verified``, the undecided band, the matcher, promote), each pair's outcome
    read from the caches of its query (ItemFeatures.item). Pairs not cached yet are
    computed by the real verifier, built by ``build`` on first need; the fast tier
    measures every candidate it is given, examined or not, so a sweep of the stopping
    rule or the thresholds reuses one cache (``verified`` is decided at read time where
    the thresholds decide nothing else). The outcomes carry no match coordinates."""

    def __init__(self, config, build: Callable[[], Verifier], cache: "VerificationCache",
                 confirm_cache: Optional["VerificationCache"] = None):
        super().__init__(config)
        self._build = build
        self._verifier: Optional[Verifier] = None
        self.cache = cache
        self.confirm_cache = confirm_cache
        # RootSIFT's second pass depends on the thresholds: its records keep their verdict
        self.decide_fast = config.full_keypoints <= config.fast_keypoints
        self._tables: Dict[Tuple[Path, str], Dict[str, dict]] = {}

    @property
    def inner(self) -> Verifier:
        if self._verifier is None:
            self._verifier = self._build()
        return self._verifier

    def fast(self, query, refs, progress=None, is_canceled=None):
        self._table(self.cache, query, refs, lambda todo: self.inner._fast_all(query, todo, None, is_canceled))
        return super().fast(query, refs, progress, is_canceled)

    def _fast_all(self, query, refs, progress, is_canceled):
        table = self._table(self.cache, query, {})
        c = self.config
        return {rid: _outcome(table[_pair_key(rid, f, query)], c.min_inliers, c.min_spread, self.decide_fast)
                for rid, f in refs.items()}

    def confirm(self, query, refs, is_canceled=None):
        table = self._table(self.confirm_cache, query, refs, lambda todo: self.inner.confirm(query, todo, is_canceled))
        c = self.config
        return {rid: _outcome(table[_pair_key(rid, f, query)], c.matcher_min_inliers, c.min_spread)
                for rid, f in refs.items()}

    def _table(self, cache: "VerificationCache", query: ItemFeatures, refs, compute=None) -> Dict[str, dict]:
        """The query's table in ``cache``, with the outcomes of ``refs`` it lacked added."""
        key = (cache.directory, query.item.key)
        if key not in self._tables:
            self._tables = {k: v for k, v in self._tables.items() if k[1] == query.item.key}  # this query's only
            self._tables[key] = cache.load(query.item)
        table = self._tables[key]
        todo = {rid: f for rid, f in refs.items() if _pair_key(rid, f, query) not in table}
        if todo:
            table.update({_pair_key(rid, todo[rid], query): _record(v) for rid, v in compute(todo).items()})
            cache.save(query.item, table)
        return table
