"""The dock's "Advanced" section: candidates retrieved (TOP_K) and verified
(VERIFY_TOP), the search area (everywhere, the map extent or a polygon layer) and
the background map. Values persist as GeoPin/ settings."""
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
from ..i18n import tr
from .map_context import background_names

RD_NEW = "EPSG:28992"


def area_names():
    return (("", tr("Everywhere")), ("extent", tr("Map extent")), ("layer", tr("Polygons of a layer")))


def rings_of(geometry):
    """Outer rings and holes of a (multi)polygon as [(x, y), ...] lists."""
    polygons = geometry.asMultiPolygon() if geometry.isMultipart() else [geometry.asPolygon()]
    return [[(p.x(), p.y()) for p in ring] for polygon in polygons for ring in polygon]


class AdvancedBox(QgsCollapsibleGroupBox):
    def __init__(self, parent=None):
        super().__init__(tr("Advanced"), parent)
        self.setObjectName("geopinAdvanced")
        self.setCollapsed(True)
        form = QFormLayout(self)
        self.top_k = QSpinBox()
        self.top_k.setObjectName("geopinTopK")
        self.top_k.setRange(1, 1000)
        self.top_k.setValue(settings.value("top_k"))
        self.top_k.valueChanged.connect(lambda v: settings.set_value("top_k", v))
        form.addRow(tr("Candidates retrieved per photo"), self.top_k)
        self.verify_top = QSpinBox()
        self.verify_top.setObjectName("geopinVerifyTop")
        self.verify_top.setRange(0, 1000)
        self.verify_top.setValue(settings.value("verify_top"))
        self.verify_top.valueChanged.connect(lambda v: settings.set_value("verify_top", v))
        form.addRow(tr("Candidates verified per photo"), self.verify_top)

        self.area = QComboBox()
        self.area.setObjectName("geopinArea")
        for code, text in area_names():
            self.area.addItem(text, code)
        self.area.setCurrentIndex(max(0, self.area.findData(settings.value("search_area") or "")))
        self.area.currentIndexChanged.connect(self._area_changed)
        form.addRow(tr("Search area"), self.area)
        self.area_layer = QgsMapLayerComboBox()
        self.area_layer.setObjectName("geopinAreaLayer")
        self.area_layer.setFilters(QgsMapLayerProxyModel.PolygonLayer)
        form.addRow(tr("Polygon layer"), self.area_layer)

        self.background = QComboBox()
        self.background.setObjectName("geopinBackground")
        for code, text in background_names():
            self.background.addItem(text, code)
        self.background.setCurrentIndex(max(0, self.background.findData(settings.value("background_map") or "")))
        self.background.currentIndexChanged.connect(
            lambda _i: settings.set_value("background_map", self.background.currentData() or ""))
        form.addRow(tr("Background map"), self.background)
        self._area_changed()

    def _area_changed(self, *_):
        code = self.area.currentData() or ""
        settings.set_value("search_area", code)
        self.area_layer.setEnabled(code == "layer")

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
            transform = QgsCoordinateTransform(layer.crs(), rd, context)
            geoms = []
            for feature in layer.getFeatures():
                geometry = QgsGeometry(feature.geometry())
                if not geometry.isEmpty():
                    geometry.transform(transform)
                    geoms.append(geometry)
            if not geoms:
                raise ValueError(tr("The layer {0} has no polygons").format(layer.name()))
            return rings_of(QgsGeometry.unaryUnion(geoms))
        return None
