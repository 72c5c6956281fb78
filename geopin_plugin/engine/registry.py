"""The pipeline's exchangeable parts, chosen by kind and name and loaded on first use.

    extractor = load_extractor("xfeat-1024")               # load("extractor", ...), the preset checked
    matcher = load_matcher("lighterglue-xfeat")
    verifier = load("verifier", "xfeat", min_inliers=40)   # verify.Verifier with that conf
    verifier_for("rootsift-2048")                          # -> "rootsift" (measured for its features)
    parts = parts_for(db.meta, db.count, config)           # what a database is searched and verified with
    embedder_id, extractor_id = parts.to_add(chosen)       # what a build or an import adds to it with
    embedder = shared("embedder", parts.embedder)          # one instance per process

As in hloc (a ``confs`` dict per stage, ``dynamic_load(module, name)``): an entry names
the engine module and the callable in it that builds the part, called as
``factory(name, **options)``; the model files are the catalogue's (models.py), the
verifier settings are ``verify.CONFS``. A new extractor, matcher or verifier is one
module (or class) and one entry here; nothing else chooses by name, and no part
imports this module (a verifier gets its matcher loader from here when built).
"""
from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass, field
from typing import Callable, Dict, Mapping, Optional, Tuple

from .models import DEFAULT_EMBEDDER, DEFAULT_EXTRACTOR, FALLBACK_EXTRACTOR, PRESETS


@dataclass(frozen=True)
class Part:
    module: str  # engine module, imported on first use
    factory: str  # callable in it: factory(name, **options)
    options: Mapping = field(default_factory=dict)
    verifier: str = ""  # an extractor's: the verifier conf measured for its features
    features: str = ""  # a verifier's own extractor, where it does not verify the database's features


PARTS: Dict[str, Dict[str, Part]] = {
    # every catalogue embedder (user ONNX files are loaded by embed.load_embedder directly)
    "embedder": {p.id: Part("embed", "load_embedder") for p in PRESETS.values() if p.kind == "embedder"},
    "extractor": {
        "rootsift-2048": Part("verification.rootsift", "RootSiftExtractor", verifier="rootsift"),
        "xfeat-640": Part("verification.xfeat", "XFeatExtractor", verifier="xfeat"),
        "xfeat-1024": Part("verification.xfeat", "XFeatExtractor", verifier="xfeat"),
        # mutual nearest neighbours were never measured on DISK: RootSIFT's settings
        # (its learned tier is the verifier "learned")
        "disk-640": Part("verification.disk", "DiskExtractor", verifier="rootsift"),
    },
    "matcher": {
        "lightglue-disk": Part("verification.lightglue", "LightGlueMatcher"),
        "lighterglue-xfeat": Part("verification.lightglue", "LightGlueMatcher"),
    },
    "verifier": {
        "rootsift": Part("verification.verifier", "build_verifier"),
        "xfeat": Part("verification.verifier", "build_verifier"),  # the product's cascade (XFeat MNN, LighterGlue band)
        # DISK + LightGlue on every pair it is given (seconds a pair here: evaluation only)
        "learned": Part("verification.verifier", "build_verifier", {"pair_matcher": "lightglue-disk"}, features="disk-640"),
    },
}
GENERIC_VERIFIER = "rootsift"  # features of an extractor this registry does not know


class UnknownPart(KeyError):
    """No part of that kind has that name; str() lists the known ones."""

    def __str__(self):
        return str(self.args[0])


def part(kind: str, name: str) -> Part:
    try:
        return PARTS[kind][name]
    except KeyError:
        known = ", ".join(sorted(PARTS.get(kind, {}))) or "none"
        raise UnknownPart(f"no {kind} named {name!r} (known: {known})") from None


def factory(kind: str, name: str) -> Callable:
    """The callable that builds a part (its module imported now)."""
    p = part(kind, name)
    module = importlib.import_module(f"{__package__}.{p.module}")
    return getattr(module, p.factory)


def load(kind: str, name: str, **options):
    """A new instance of a part: factory(name, **entry options, **options). A
    verifier loads the matchers its conf names through this registry."""
    options = {**part(kind, name).options, **options}
    if kind == "verifier":
        options.setdefault("load_matcher", load_matcher)
    return factory(kind, name)(name, **options)


def load_extractor(preset_id: Optional[str] = None, **options):
    """A catalogue extractor (the default when None); a preset that is not an
    extractor, or one this version cannot run, is an ExtractorError naming it."""
    from .verification.extractor import ExtractorError
    from .models import get_preset

    preset_id = preset_id or DEFAULT_EXTRACTOR
    preset = get_preset(preset_id)
    if preset.kind != "extractor":
        raise ExtractorError(f"preset {preset_id!r} is a {preset.kind}, not an extractor")
    if preset_id not in PARTS["extractor"]:
        raise ExtractorError(f"extractor {preset_id!r} is not available in this version")
    return load("extractor", preset_id, **options)


def load_matcher(preset_id: str = "lightglue-disk", models_directory=None):
    """A catalogue matcher; a preset that is not a matcher is a ModelError."""
    from .models import ModelError, get_preset

    preset = get_preset(preset_id)
    if preset.kind != "matcher":
        raise ModelError(f"preset {preset_id!r} is a {preset.kind}, not a matcher")
    return load("matcher", preset_id, models_directory=models_directory)


def verifier_for(extractor_id: str) -> str:
    """The verifier conf measured for an extractor's features."""
    p = PARTS["extractor"].get(extractor_id)
    return p.verifier if p is not None and p.verifier else GENERIC_VERIFIER


def verifier_config(extractor_id: str, **overrides):
    """The verifier settings measured for an extractor's features (RootSIFT's for
    databases built before XFeat, whose thresholds stay as measured then)."""
    from .verification.verifier import conf

    return conf(verifier_for(extractor_id), **overrides)


# --- which parts a database is searched and verified with -------------------------------

@dataclass(frozen=True)
class DatabaseParts:
    # the configured one, else meta model_preset, else (an empty database) the default;
    # None: a database with views that does not record its embedder
    embedder: Optional[str]
    recorded_embedder: Optional[str]  # meta model_preset: what the database was built with
    extractor: str  # the configured local features, else the database's
    dim: Optional[int]  # embedding dimension recorded in its meta

    @property
    def verifier(self) -> str:
        """The verifier conf measured for the extractor's features."""
        return verifier_for(self.extractor)

    @property
    def matcher(self) -> Optional[str]:
        """The matcher the verifier conf runs on its band (None: none)."""
        return verifier_config(self.extractor).matcher

    @property
    def outdated(self) -> bool:
        """Built before the default extractor: it still locates, with the older verifier."""
        return self.extractor != DEFAULT_EXTRACTOR

    def to_add(self, chosen_embedder: Optional[str] = None) -> Tuple[str, str]:
        """(embedder, extractor) a build or an import adds views with: the embedder the
        database was built with (its index holds that model's vectors; ``chosen_embedder``
        applies to a new database), and the default extractor (an older database's views
        get its features on the way, without re-embedding: builder/ingest.upgrade_features)."""
        return self.recorded_embedder or chosen_embedder or DEFAULT_EMBEDDER, DEFAULT_EXTRACTOR


def parts_for(meta, count: int = 1, config=None) -> DatabaseParts:
    """The parts of a database from its meta (a dict or an object with attributes),
    ``config``'s ``embedder``/``extractor`` taking precedence where set. A database
    that holds views without a recorded extractor predates the record (RootSIFT,
    FALLBACK_EXTRACTOR); an empty one takes the defaults."""
    recorded = _meta(meta, "extractor_preset") or (FALLBACK_EXTRACTOR if count else DEFAULT_EXTRACTOR)
    dim = _meta(meta, "dim")
    embedder = _meta(meta, "model_preset")
    configured = getattr(config, "embedder", None) or embedder or (None if count else DEFAULT_EMBEDDER)
    return DatabaseParts(configured, embedder,
                         getattr(config, "extractor", None) or recorded, None if dim is None else int(dim))


def _meta(meta, key):
    if isinstance(meta, dict):
        return meta.get(key)
    return getattr(meta, key, None)


# --- one loaded instance per (kind, name) for the whole process ---------------------------

_SHARED_LOCK = threading.Lock()
_SHARED: Dict[Tuple[str, str], object] = {}


def shared(kind: str, name: str, make: Optional[Callable[[], object]] = None):
    """The process's instance of a part (models are heavy: loaded once); ``make``
    builds it the first time instead of :func:`load`."""
    with _SHARED_LOCK:
        key = (kind, name)
        if key not in _SHARED:
            _SHARED[key] = make() if make is not None else load(kind, name)
        return _SHARED[key]

