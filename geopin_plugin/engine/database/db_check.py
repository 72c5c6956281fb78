"""What a file chosen as the reference database is, read in milliseconds without
opening it as a database (no index load, no models): a GeoPin reference database
(how many views, which area, which models, and whether those models are here),
a GeoPackage of another kind (a results GeoPackage saved from the dock, a PDOK
cache...) or no GeoPackage at all. The dock checks its database picker with it, so
a wrong file is named when it is chosen, not when Locate fails.

Read-only sqlite (mode=ro): checking never changes or locks the user's file.
"""
from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

# store/schema.py's LAYER (not imported: the dock checks without loading the store
# package, which the plugin's unload could not purge; tests/engine/test_db_check.py)
LAYER = "reference_views"

GEOPIN_TABLES = {LAYER, "geopin_metadata", "geopin_embeddings"}


@dataclass
class DatabaseFacts:
    path: str
    kind: str  # "reference" | "results" | "geopackage" | "missing" | "not-geopackage"
    views: int = 0
    extent_lonlat: Optional[Tuple[float, float, float, float]] = None  # min lon, min lat, max lon, max lat
    embedder: str = ""
    extractor: str = ""
    sources: List[str] = field(default_factory=list)
    layers: List[str] = field(default_factory=list)  # of a GeoPackage that is not ours
    missing_models: List[str] = field(default_factory=list)
    problem: str = ""  # an unreadable file: why

    @property
    def usable(self):
        return self.kind == "reference" and self.views > 0 and not self.missing_models


def _value(text):
    """geopin_metadata holds JSON values."""
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text


def _connect(path):
    uri = "file:" + os.path.abspath(path).replace("?", "%3f").replace("#", "%23") + "?mode=ro"
    return sqlite3.connect(uri, uri=True, timeout=2)


def inspect(path, check_models=True) -> DatabaseFacts:
    """The facts of `path`; never raises for a bad file (kind and problem say what it is)."""
    if not path or not os.path.isfile(path):
        return DatabaseFacts(str(path or ""), "missing")
    with open(path, "rb") as fh:
        head = fh.read(16)
    if head != b"SQLite format 3\x00":
        return DatabaseFacts(path, "not-geopackage")
    try:
        con = _connect(path)
        try:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "gpkg_contents" not in tables:
                return DatabaseFacts(path, "not-geopackage")
            if not GEOPIN_TABLES <= tables:
                layers = [r[0] for r in con.execute("SELECT table_name FROM gpkg_contents ORDER BY table_name")]
                # the dock's "Save results…" writes these layers (result_layers.py)
                results = any(name.lower().startswith(("estimate", "posterior", "footprint", "candidate", "viewcone"))
                              for name in layers)
                return DatabaseFacts(path, "results" if results else "geopackage", layers=layers)
            meta = {k: _value(v) for k, v in con.execute("SELECT key, value FROM geopin_metadata")}
            views = con.execute(f"SELECT count(*) FROM {LAYER}").fetchone()[0]
            box = con.execute(f"SELECT min(lon), min(lat), max(lon), max(lat) FROM {LAYER}").fetchone()
            sources = [r[0] for r in con.execute(f"SELECT DISTINCT source FROM {LAYER} ORDER BY source LIMIT 10")]
        finally:
            con.close()
    except sqlite3.Error as exc:
        return DatabaseFacts(path, "not-geopackage", problem=str(exc))
    facts = DatabaseFacts(path, "reference", views=int(views), embedder=str(meta.get("model_preset") or ""),
                          extractor=str(meta.get("extractor_preset") or ""), sources=sources,
                          extent_lonlat=tuple(box) if views and None not in box else None)
    if check_models:
        facts.missing_models = missing_models(facts.embedder, facts.extractor)
    return facts


def missing_models(embedder, extractor):
    """The database's catalogue models that have no usable copy here (a user ONNX
    embedder or a model-free extractor needs none from the catalogue)."""
    from .. import models as M

    out = []
    for preset_id in (embedder, extractor):
        preset = M.PRESETS.get(preset_id)
        if preset is None or not preset.onnx_file:
            continue
        try:
            M.check_built(preset_id)
        except M.ModelError:
            out.append(preset_id)
    matcher = M.PRESETS.get(extractor).extra.get("matcher") if extractor in M.PRESETS else None
    if matcher:
        try:
            M.check_built(matcher)
        except M.ModelError:
            out.append(matcher)
    return out
