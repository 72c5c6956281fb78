"""The dock's "Advanced" section: candidates retrieved (TOP_K) and verified
(VERIFY_TOP), the search area (everywhere, the map extent or a polygon layer), the
building outlines (none, PDOK BAG or a polygon layer: engine/estimate/buildings.py) and the
background map. Values persist as GeoPin/ settings."""
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsGeometry,
    QgsMapLayerProxyModel,
    QgsProject,
)
from qgis.gui import QgsCollapsibleGroupBox, QgsMapLayerComboBox
from qgis.PyQt.QtWidgets import QComboBox, QFormLayout, QSpinBox

from .. import settings
from ..areas import geometries_in, rings_of
from ..i18n import tr
from .map_context import background_names

RD_NEW = "EPSG:28992"


def building_names():
    return (("", tr("None")), ("pdok", tr("PDOK BAG (online, cached)")), ("layer", tr("My polygon layer")))


class LayerSource:
    """A polygon layer read from the locate task's thread: a feature source made on the
    main thread, with the layer's CRS and fields (parcel_layers.geojson_features)."""

    def __init__(self, layer):
        from qgis.core import QgsVectorLayerFeatureSource

        self._source = QgsVectorLayerFeatureSource(layer)
        self._crs, self._fields = layer.crs(), layer.fields()

    def sourceCrs(self):  # noqa: N802
        return self._crs

    def fields(self):
        return self._fields

    def getFeatures(self, request):  # noqa: N802
        return self._source.getFeatures(request)


def area_names():
    return (("", tr("Everywhere")), ("extent", tr("Map extent")), ("layer", tr("Polygons of a layer")))


def setting_spin_box(key, object_name, tip=""):
    """A spin box over the setting `key` (TOP_K or VERIFY_TOP): its range, its value, saved on change."""
    box = QSpinBox()
    box.setObjectName(object_name)
    box.setToolTip(tip)
    box.setRange(*settings.SEARCH_DEPTH_RANGES[key])
    box.setValue(settings.value(key))
    box.valueChanged.connect(lambda v: settings.set_value(key, v))
    return box


def setting_combo_box(key, object_name, choices, tip=""):
    """A combo box of (code, text) choices over the setting `key`, saved on change."""
    box = QComboBox()
    box.setObjectName(object_name)
    box.setToolTip(tip)
    for code, text in choices:
        box.addItem(text, code)
    box.setCurrentIndex(max(0, box.findData(settings.value(key) or "")))
    box.currentIndexChanged.connect(lambda _i: settings.set_value(key, box.currentData() or ""))
    return box


class AdvancedBox(QgsCollapsibleGroupBox):
    def __init__(self, parent=None):
        super().__init__(tr("Advanced"), parent)
        self.setObjectName("geopinAdvanced")
        self.setCollapsed(True)
        form = QFormLayout(self)
        self.top_k = setting_spin_box("top_k", "geopinTopK", tr(
            "How many of the most similar reference views are searched for each photo"))
        form.addRow(tr("Candidates retrieved per photo"), self.top_k)
        self.verify_top = setting_spin_box("verify_top", "geopinVerifyTop", tr(
            "How many of them are checked geometrically with local features (more: slower, surer)"))
        form.addRow(tr("Candidates verified per photo"), self.verify_top)

        self.area = setting_combo_box("search_area", "geopinArea", area_names(), tr(
            "Search only reference views inside the map extent or the polygons of a layer"))
        self.area.currentIndexChanged.connect(self._area_changed)
        form.addRow(tr("Search area"), self.area)
        self.area_layer = QgsMapLayerComboBox()
        self.area_layer.setObjectName("geopinAreaLayer")
        self.area_layer.setFilters(QgsMapLayerProxyModel.PolygonLayer)
        self.area_layer.setToolTip(tr("The polygon layer that limits the search"))
        form.addRow(tr("Polygon layer"), self.area_layer)

        self.buildings = setting_combo_box("building_outlines", "geopinBuildings", building_names(), tr(
            "Building outlines give a single bearing line its range and keep the camera out of buildings"))
        self.buildings.currentIndexChanged.connect(self._buildings_changed)
        form.addRow(tr("Building outlines"), self.buildings)
        self.buildings_layer = QgsMapLayerComboBox()
        self.buildings_layer.setObjectName("geopinBuildingsLayer")
        self.buildings_layer.setFilters(QgsMapLayerProxyModel.PolygonLayer)
        self.buildings_layer.setToolTip(tr("The polygon layer with the building outlines"))
        form.addRow(tr("Building layer"), self.buildings_layer)
        self._buildings_changed()

        self.background = setting_combo_box("background_map", "geopinBackground", background_names(), tr(
            "A background map added under the results (downloaded from the internet)"))
        form.addRow(tr("Background map"), self.background)
        self._area_changed()

    def _area_changed(self, *_):
        code = self.area.currentData() or ""
        settings.set_value("search_area", code)  # also at start: an unknown stored code becomes ""
        self.area_layer.setEnabled(code == "layer")

    def _buildings_changed(self, *_):
        self.buildings_layer.setEnabled((self.buildings.currentData() or "") == "layer")

    def building_map(self):
        """What the locate task gets for the building outlines: None, "pdok" (the task
        fetches) or a buildings.BuildingMap over the chosen layer. Raises ValueError when
        the layer is missing."""
        code = self.buildings.currentData() or ""
        if code == "pdok":
            return "pdok"
        if code != "layer":
            return None
        layer = self.buildings_layer.currentLayer()
        if layer is None:
            raise ValueError(tr("Choose a polygon layer for the building outlines"))
        from .. import parcel_layers as pl
        from ..engine.estimate.buildings import BuildingMap
        from ..engine.pdok.features import parse_buildings

        source, name = LayerSource(layer), layer.name()
        context = QgsProject.instance().transformContext()
        return BuildingMap(lambda bbox: parse_buildings(pl.geojson_features(source, bbox, context), name), name)

    def set_area(self, code, layer=None):
        self.area.setCurrentIndex(self.area.findData(code))
        if layer is not None:
            self.area_layer.setLayer(layer)

    def background_map(self):
        return self.background.currentData() or ""

    def area_rings(self, canvas=None):
        """The search area in RD New rings, or None for everywhere. Raises ValueError
        when the chosen area is missing or empty."""
        code = self.area.currentData() or ""
        rd = QgsCoordinateReferenceSystem(RD_NEW)
        context = QgsProject.instance().transformContext()
        if code == "extent":
            if canvas is None:
                raise ValueError(tr("There is no map canvas to take the extent from"))
            transform = QgsCoordinateTransform(canvas.mapSettings().destinationCrs(), rd, context)
            rect = transform.transformBoundingBox(canvas.extent())
            return rings_of(QgsGeometry.fromRect(rect))
        if code == "layer":
            layer = self.area_layer.currentLayer()
            if layer is None:
                raise ValueError(tr("Choose a polygon layer for the search area"))
            geoms = [geometry for _, geometry in geometries_in(layer.getFeatures(), layer.crs(), rd, context)]
            if not geoms:
                raise ValueError(tr("The layer {0} has no polygons").format(layer.name()))
            return rings_of(QgsGeometry.unaryUnion(geoms))
        return None
