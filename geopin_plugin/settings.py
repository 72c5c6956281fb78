"""Plugin settings, stored with QgsSettings under "GeoPin/"; files kept in the profile."""
import os

from qgis.core import QgsApplication, QgsSettings

from .engine.pipeline import PipelineConfig

PREFIX = "GeoPin/"
# Candidates retrieved (TOP_K) and verified (VERIFY_TOP): the engine's defaults, and the
# range the dock and geopin:geolocatephotos offer.
_ENGINE_DEFAULTS = PipelineConfig()
SEARCH_DEPTH_RANGES = {"top_k": (1, 1000), "verify_top": (0, 1000)}

DEFAULTS = {
    "database": "",
    "top_k": _ENGINE_DEFAULTS.top_k,
    "verify_top": _ENGINE_DEFAULTS.verify_top,
    "deps_dir": "",
    "background_map": "pdok",  # "", "pdok" or "osm": the dock adds it when its server answers ("" = none)
    "pdok_tile_url": "",  # "" = PDOK's own address (gui/map_context.py); a mirror or test server
    "osm_tile_url": "",
    "search_area": "",  # "", "extent" or "layer"
    "dock_open": False,  # the panel was open when QGIS closed: open it again at start
    "building_outlines": "",  # "", "pdok" or "layer" (engine/estimate/buildings.py)
}


def value(key, default=None):
    fallback = DEFAULTS.get(key) if default is None else default
    raw = QgsSettings().value(PREFIX + key, fallback)
    if isinstance(fallback, bool):
        return raw in (True, "true", "True", "1", 1)
    if isinstance(fallback, int) and not isinstance(fallback, bool):
        try:
            return int(raw)
        except (TypeError, ValueError):
            return fallback
    return raw


def set_value(key, val):
    QgsSettings().setValue(PREFIX + key, val)


def pdok_cache_path():
    """The profile's cache of PDOK answers (engine/pdok/cache.py), shared by the dock's
    parcels panel, building outlines from PDOK and geopin:whatisinview."""
    return os.path.join(QgsApplication.qgisSettingsDirPath(), "geopin", "pdok_cache.gpkg")
