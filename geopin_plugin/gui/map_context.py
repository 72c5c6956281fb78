"""Map context for the results: a background map and the reference database's
coverage, both in a "GeoPin" group at the bottom of the layer tree.

The dock adds the background map (PDOK by default; the "Background map" choice, stored
as GeoPin/background_map, turns it off) once its tile server answers: offline nothing
is added and the coverage layer gives the context. Processing never adds one. Both
maps are XYZ tile layers in EPSG:3857: PDOK's BRT Achtergrondkaart (its WMTS in
the RESTful tile form) and OpenStreetMap. Their tile addresses are settings
(GeoPin/pdok_tile_url, GeoPin/osm_tile_url), so an offline mirror or a test
server can stand in."""
import os

from qgis.core import QgsDataSourceUri, QgsProject, QgsRasterLayer, QgsVectorLayer

from .. import settings
from ..i18n import tr
from ..result_styles import apply_style

BACKGROUNDS = {
    "pdok": ("pdok_tile_url", "https://service.pdok.nl/brt/achtergrondkaart/wmts/v2_0/standaard/EPSG:3857/"
             "{z}/{x}/{y}.png", 19, "© Kadaster / PDOK (CC BY 4.0)"),
    "osm": ("osm_tile_url", "https://tile.openstreetmap.org/{z}/{x}/{y}.png", 19,
            "© OpenStreetMap contributors (ODbL)"),
}
COVERAGE_PROPERTY = "geopin/coverage_database"
BACKGROUND_PROPERTY = "geopin/background"


def background_names():
    """(code, display name) of the background maps, "" for none."""
    return [("", tr("No background map")), ("pdok", tr("PDOK BRT Achtergrondkaart")),
            ("osm", tr("OpenStreetMap"))]


def context_group(project=None):
    """The "GeoPin" group (made at the bottom of the layer tree when missing)."""
    project = project or QgsProject.instance()
    root = project.layerTreeRoot()
    name = tr("GeoPin")
    group = root.findGroup(name)
    if group is None:
        group = root.addGroup(name)
    return group


def _find_in_group(group, prop, value):
    for node in group.findLayers():
        layer = node.layer()
        if layer is not None and layer.customProperty(prop) == value:
            return layer
    return None


def tile_url(kind):
    key, default, _zmax, _credit = BACKGROUNDS[kind]
    return settings.value(key) or default


def background_layer(kind):
    """An XYZ layer for `kind` ("pdok" or "osm"); nothing is fetched until it is drawn."""
    _key, _default, zmax, credit = BACKGROUNDS[kind]
    uri = QgsDataSourceUri()
    uri.setParam("type", "xyz")
    uri.setParam("url", tile_url(kind))
    uri.setParam("zmin", "0")
    uri.setParam("zmax", str(zmax))
    name = dict(background_names())[kind]
    layer = QgsRasterLayer(bytes(uri.encodedUri()).decode(), name, "wms")
    layer.setAttribution(credit)
    layer.setCustomProperty(BACKGROUND_PROPERTY, kind)
    return layer


def add_background_map(kind, project=None):
    """Add (once) the background map `kind` at the bottom of the "GeoPin" group. None for ""."""
    if kind not in BACKGROUNDS:
        return None
    project = project or QgsProject.instance()
    group = context_group(project)
    existing = _find_in_group(group, BACKGROUND_PROPERTY, kind)
    if existing is not None:
        return existing
    layer = background_layer(kind)
    if not layer.isValid():
        raise ValueError(tr("Cannot make the background map {0}").format(tile_url(kind)))
    project.addMapLayer(layer, False)
    group.addLayer(layer)  # the bottom of the group: under the coverage
    return layer


def add_reference_coverage(database, project=None):
    """The database's reference views as a styled point layer (source, capture date in
    the map tip) at the top of the "GeoPin" group; added once per database."""
    project = project or QgsProject.instance()
    database = os.path.abspath(database)
    group = context_group(project)
    existing = _find_in_group(group, COVERAGE_PROPERTY, database)
    if existing is not None:
        return existing
    layer = QgsVectorLayer(f"{database}|layername=reference_views",
                           tr("Reference coverage: {0}").format(os.path.basename(database)), "ogr")
    if not layer.isValid():
        raise ValueError(tr("{0} has no reference_views layer").format(database))
    apply_style(layer, "coverage")
    layer.setCustomProperty(COVERAGE_PROPERTY, database)
    project.addMapLayer(layer, False)
    group.insertLayer(0, layer)
    return layer


_ONLINE = {}  # tile address -> whether its server answered this session
_PROBES = []  # replies in flight (kept alive until they finish)


def add_background_when_online(kind, project=None, done=None):
    """Add the background map `kind` once its tile server answers a request for one tile;
    offline nothing is added (the coverage layer still shows where the references are).
    `done(layer or None)` is called when known. Returns the layer if already known."""
    from qgis.core import QgsNetworkAccessManager
    from qgis.PyQt.QtCore import QUrl
    from qgis.PyQt.QtNetwork import QNetworkReply, QNetworkRequest

    if kind not in BACKGROUNDS:
        return None
    url = tile_url(kind).replace("{z}", "0").replace("{x}", "0").replace("{y}", "0")
    if url in _ONLINE:
        layer = add_background_map(kind, project) if _ONLINE[url] else None
        if done is not None:
            done(layer)
        return layer
    request = QNetworkRequest(QUrl(url))
    request.setTransferTimeout(5000) if hasattr(request, "setTransferTimeout") else None
    reply = QgsNetworkAccessManager.instance().get(request)
    _PROBES.append(reply)

    def finished():
        _PROBES.remove(reply)
        _ONLINE[url] = reply.error() == QNetworkReply.NoError
        reply.deleteLater()
        layer = None
        if _ONLINE[url]:
            try:
                layer = add_background_map(kind, project)
            except (ValueError, RuntimeError):  # the project was closed meanwhile
                layer = None
        if done is not None:
            done(layer)

    reply.finished.connect(finished)
    return None


def add_map_context(database, background=None, project=None):
    """Coverage of `database` and, if chosen (argument or setting), the background map."""
    background = settings.value("background_map") if background is None else background
    layers = [add_reference_coverage(database, project)]
    if background:
        layers.append(add_background_map(background, project))
    return layers
