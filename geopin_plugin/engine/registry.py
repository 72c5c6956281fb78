"""The pipeline's exchangeable parts, chosen by kind and name and loaded on first use.

    extractor = load("extractor", "xfeat-1024")           # = features.load_extractor
    matcher = load("matcher", "lighterglue-xfeat")
    verifier = load("verifier", "xfeat", min_inliers=40)   # verify.Verifier with that conf
    verifier_for("rootsift-2048")                          # -> "rootsift" (measured for its features)
    models = database_models(db.meta, db.count)            # what a database is searched and verified with
    embedder = shared("embedder", models.embedder)         # one instance per process

As in hloc (a ``confs`` dict per stage, ``dynamic_load(module, name)``): an entry names
the engine module and the callable in it that builds the part, called as
``factory(name, **options)``; the model files are the catalogue's (models.py), the
verifier settings are ``verify.CONFS``. A new extractor, matcher or verifier is one
module (or class) and one entry here; nothing else chooses by name.
"""
from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass, field
from typing import Callable, Dict, Mapping, Optional, Tuple

from .models import DEFAULT_EXTRACTOR, FALLBACK_EXTRACTOR, PRESETS


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
        "rootsift-2048": Part("features", "RootSiftExtractor", verifier="rootsift"),
        "xfeat-640": Part("xfeat", "XFeatExtractor", verifier="xfeat"),
        "xfeat-1024": Part("xfeat", "XFeatExtractor", verifier="xfeat"),
        # mutual nearest neighbours were never measured on DISK: RootSIFT's settings
        # (its learned tier is the verifier "learned")
        "disk-640": Part("learned", "DiskExtractor", verifier="rootsift"),
    },
    "matcher": {
        "lightglue-disk": Part("learned", "LightGlueMatcher"),
        "lighterglue-xfeat": Part("learned", "LightGlueMatcher"),
    },
    "verifier": {
        "rootsift": Part("verify", "build_verifier"),
        "xfeat": Part("verify", "build_verifier"),  # the product's cascade (XFeat MNN, LighterGlue band)
        # DISK + LightGlue on every pair it is given (seconds a pair here: evaluation only)
        "learned": Part("verify", "build_verifier", {"pair_matcher": "lightglue-disk"}, features="disk-640"),
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
    """A new instance of a part: factory(name, **entry options, **options)."""
    return factory(kind, name)(name, **{**part(kind, name).options, **options})


def verifier_for(extractor_id: str) -> str:
    """The verifier conf measured for an extractor's features."""
    p = PARTS["extractor"].get(extractor_id)
    return p.verifier if p is not None and p.verifier else GENERIC_VERIFIER


# --- which models a database needs ------------------------------------------------------

@dataclass(frozen=True)
class DatabaseModels:
    embedder: Optional[str]  # meta model_preset (None: not recorded; model_choice says why that fails)
    extractor: str  # the local features it verifies with
    dim: Optional[int]  # embedding dimension recorded in its meta

    @property
    def verifier(self) -> str:
        return verifier_for(self.extractor)

    @property
    def outdated(self) -> bool:
        """Built before the default extractor: it still locates, with the older verifier."""
        return self.extractor != DEFAULT_EXTRACTOR


def database_models(meta, count: int = 1) -> DatabaseModels:
    """The models of a database from its meta (a dict or an object with attributes).
    A database that holds views without a recorded extractor predates the record
    (RootSIFT, FALLBACK_EXTRACTOR); an empty one takes the defaults."""
    extractor = _meta(meta, "extractor_preset") or (FALLBACK_EXTRACTOR if count else DEFAULT_EXTRACTOR)
    dim = _meta(meta, "dim")
    return DatabaseModels(_meta(meta, "model_preset"), extractor, None if dim is None else int(dim))


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

