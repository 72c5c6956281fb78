"""The dock's "Parcels and addresses" section.

After a locate, *Find parcels and addresses* runs engine/pdok/whatisinview.py in a
QgsTask (PDOK through QGIS's network stack, cached in the profile's
geopin/pdok_cache.gpkg), lists the top parcels and buildings (with their
addresses) and their probabilities, adds the styled layers and highlights the
clicked row on the map. *Load PDOK layers* adds BRK perceel, BAG pand and BAG
verblijfsobject as live OGC API Features layers (QGIS's OAPIF provider) for the
area. Service addresses can be changed with QgsSettings GeoPin/pdok/<brk|bgt|bag>_url.
"""

from qgis.core import QgsApplication, QgsCoordinateReferenceSystem, QgsProject, QgsTask, QgsVectorLayer, QgsWkbTypes
from qgis.PyQt.QtCore import Qt, pyqtSignal
from qgis.PyQt.QtGui import QColor
from qgis.gui import QgsCollapsibleGroupBox
from qgis.PyQt.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTreeWidget, QTreeWidgetItem, QVBoxLayout

from .. import settings
from ..i18n import tr
from ..log import get_logger
from .dock_results import zoom_canvas

PDOK_LAYERS = (("brk", "perceel"), ("bag", "pand"), ("bag", "verblijfsobject"))


def service_urls():
    from ..engine.pdok.services import SERVICES

    return {key: settings.value(f"pdok/{key}_url", SERVICES[key][1]) or SERVICES[key][1] for key in SERVICES}


def posterior_grid(geo):
    from ..engine.pdok.parcels import DensityGrid

    if geo.posterior is not None and geo.posterior.size and geo.geotransform is not None:
        return DensityGrid(geo.posterior, geo.geotransform)
    return DensityGrid.gaussian(geo.x, geo.y, geo.error_radius_m)


class ParcelsTask(QgsTask):
    """``done(answer or None, error text)`` on the main thread."""

    done = pyqtSignal(object, str)

    def __init__(self, grid, estimate, base_urls, cache_path, buildings_from="bag", load=None):
        super().__init__(tr("GeoPin: parcels and addresses"), QgsTask.CanCancel)
        self.grid, self.estimate = grid, estimate
        self.base_urls, self.cache_path, self.buildings_from = base_urls, cache_path, buildings_from
        self.load = load
        self.answer, self.error = None, ""

    def run(self):
        from ..engine.pdok import whatisinview as wv
        from ..engine.pdok.cache import PdokCache
        from ..engine.pdok.fetch import PdokFetcher
        from ..qgis_http import QgisHttpClient

        http = None
        try:
            load = self.load
            if load is None:
                http = QgisHttpClient(timeout_ms=60000)
                fetcher = PdokFetcher(http, self.base_urls, cache=PdokCache(self.cache_path),
                                      is_canceled=self.isCanceled)
                load = lambda bbox: fetcher.fetch(bbox, self.buildings_from)  # noqa: E731
            self.answer = wv.analyse(self.grid, self.estimate, load)
            return True
        except Exception as exc:  # shown in the panel; the trace goes to the log
            get_logger("dock").exception("Parcels and addresses failed")
            self.error = str(exc) or type(exc).__name__
            return False
        finally:
            if http is not None:
                http.close()

    def finished(self, ok):
        self.done.emit(self.answer if ok else None, "" if ok else (self.error or tr("Cancelled")))


class ParcelsPanel(QgsCollapsibleGroupBox):
    """Collapsed until asked (keeps room for the dock's results list); opens on Find."""

    def __init__(self, iface, parent=None):
        super().__init__(tr("Parcels and addresses"), parent)
        self.setObjectName("geopinParcels")
        self.setCollapsed(True)
        self.iface = iface
        self.geo = self.photo = self.task = self.answer = None
        self.layers, self.rubber_band = [], None
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.find_button = QPushButton(tr("Find parcels and addresses"))
        self.find_button.setToolTip(tr("Which parcels the camera probably stood on and which buildings and "
                                       "addresses are in the photo (PDOK)"))
        # clicked(bool) would reach find() as load=False: call it without arguments
        self.find_button.clicked.connect(lambda _checked=False: self.find())
        self.load_button = QPushButton(tr("Load PDOK layers"))
        self.load_button.setToolTip(tr("BRK parcels, BAG buildings and addresses as live layers (PDOK OGC API)"))
        self.load_button.clicked.connect(lambda _checked=False: self.load_pdok_layers())
        row.addWidget(self.find_button)
        row.addWidget(self.load_button)
        layout.addLayout(row)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels([tr("What"), tr("Probability")])
        self.tree.setToolTip(tr("Click a row to show it on the map"))
        self.tree.itemClicked.connect(self._clicked)
        layout.addWidget(self.tree, 1)
        self.set_result(None, None)

    # --- state ------------------------------------------------------------------------------
    def set_result(self, photo, geo):
        """Called by the dock after a locate (geo None: nothing located)."""
        self.photo, self.geo, self.answer = photo, geo, None
        self.tree.clear()
        self._clear_highlight()
        located = geo is not None and geo.x is not None
        self.find_button.setEnabled(located and self.task is None)
        self.load_button.setEnabled(located)
        self.status.setText("" if located else tr("Locate a photo first"))

    def find(self, load=None):
        if self.geo is None or self.geo.x is None or self.task is not None:
            return None
        cache = settings.pdok_cache_path()
        self.task = ParcelsTask(posterior_grid(self.geo), (self.geo.x, self.geo.y), service_urls(), cache, load=load)
        self.task.done.connect(self._done)
        self.find_button.setEnabled(False)
        self.setCollapsed(False)
        self.status.setText(tr("Asking PDOK for parcels, buildings and addresses…"))
        QgsApplication.taskManager().addTask(self.task)
        return self.task

    def _done(self, answer, error):
        self.task = None
        self.find_button.setEnabled(self.geo is not None)
        if answer is None:
            self.status.setText(tr("Could not get parcels and addresses: {0}").format(error))
            return
        self.show_answer(answer)

    # --- results ------------------------------------------------------------------------------
    def show_answer(self, answer):
        from ..engine.pdok.whatisinview import percent
        from ..parcel_layers import answer_layers

        self.answer = answer
        self.tree.clear()
        parcels = QTreeWidgetItem([tr("Parcels (camera stood on)"), ""])
        for r in answer.parcels:
            item = QTreeWidgetItem([r.parcel.aanduiding or r.parcel.id, percent(r.probability)])
            item.setData(0, Qt.UserRole, r.parcel.polygons)
            parcels.addChild(item)
        buildings = QTreeWidgetItem([tr("Buildings (in the photo)"), ""])
        for r in answer.buildings:
            item = QTreeWidgetItem([tr("{0} {1} · {2:.0f} m").format(r.building.source, r.building.id, r.distance_m),
                                    percent(r.probability)])
            item.setData(0, Qt.UserRole, r.building.polygons)
            for a in answer.addresses:
                if a.building_id == r.building.id:
                    item.addChild(QTreeWidgetItem([a.address.label, percent(a.probability)]))
            buildings.addChild(item)
        for top in (parcels, buildings):
            self.tree.addTopLevelItem(top)
            top.setExpanded(True)
        self.tree.resizeColumnToContents(0)
        lines = [tr("Posterior mass {0:.2f}; {1} requests").format(answer.grid_mass, answer.requests)]
        lines += answer.warnings
        self.status.setText("\n".join(lines))
        project = QgsProject.instance()
        self.layers = answer_layers(self.photo or "", answer, tr)
        group = project.layerTreeRoot().insertGroup(0, tr("GeoPin parcels: {0}").format(self.photo or ""))
        for layer in self.layers:
            project.addMapLayer(layer, False)
            group.addLayer(layer)

    def _canvas(self):
        return self.iface.mapCanvas() if self.iface is not None else None

    def _clear_highlight(self):
        if self.rubber_band is not None:
            self.rubber_band.reset(QgsWkbTypes.PolygonGeometry)
            canvas = self._canvas()
            if canvas is not None:
                canvas.scene().removeItem(self.rubber_band)
            self.rubber_band = None

    def _clicked(self, item, column=0):
        polygons = item.data(0, Qt.UserRole)
        canvas = self._canvas()
        if not polygons or canvas is None:
            return None
        from qgis.gui import QgsRubberBand

        from ..parcel_layers import polygons_geometry

        self._clear_highlight()
        geom = polygons_geometry(polygons)
        self.rubber_band = QgsRubberBand(canvas, QgsWkbTypes.PolygonGeometry)
        self.rubber_band.setColor(QColor(255, 0, 160, 200))
        self.rubber_band.setFillColor(QColor(255, 0, 160, 50))
        self.rubber_band.setWidth(3)
        self.rubber_band.setToGeometry(geom, QgsCoordinateReferenceSystem("EPSG:28992"))
        rect = geom.boundingBox()
        rect.grow(max(20.0, rect.width()))
        zoom_canvas(canvas, rect)
        return self.rubber_band

    def load_pdok_layers(self):
        """Live OAPIF layers (QGIS fetches what the map shows, in CRS84 as QGIS 3.22 asks, reprojected
        on the fly); returns the valid ones."""
        urls = service_urls()
        project = QgsProject.instance()
        group = project.layerTreeRoot().insertGroup(0, tr("PDOK"))
        added = []
        for service, collection in PDOK_LAYERS:
            uri = f"url='{urls[service]}' typename='{collection}' restrictToRequestBBOX='1' pagingEnabled='true'"
            layer = QgsVectorLayer(uri, f"{service.upper()} {collection}", "OAPIF")
            if not layer.isValid():
                get_logger("dock").warning("Could not open %s %s at %s", service, collection, urls[service])
                continue
            project.addMapLayer(layer, False)
            group.addLayer(layer)
            added.append(layer)
        if not added:
            self.status.setText(tr("Could not open the PDOK layers (see the GeoPin log)"))
        elif self.geo is not None and self.geo.x is not None and self._canvas() is not None:
            self._zoom(self.geo.x, self.geo.y)
        return added

    def _zoom(self, x, y, half=80.0):
        from qgis.core import QgsRectangle

        zoom_canvas(self._canvas(), QgsRectangle(x - half, y - half, x + half, y + half))

    def cleanup(self):
        self._clear_highlight()
        if self.task is not None:
            try:
                self.task.done.disconnect(self._done)
            except TypeError:
                pass
            self.task.cancel()
            self.task = None
