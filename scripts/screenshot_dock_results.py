"""Screenshot of the GeoPin dock with results beside a QGIS map canvas:
build/screenshots/dock_results.png, and of the match viewer for the best
candidate: build/screenshots/match_viewer.png (offscreen grabs, no display needed).

It uses the demo's database (`make demo` builds it; built here when missing)
and geolocates the demo's query view through the dock, exactly as a user would:
set photo, set database, Locate, wait for the task, then the map shows the
result layers over the reference coverage.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshot_dock_results.py
"""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import demo  # noqa: E402  (sets sys.path for the plugin)

OUT = demo.REPO / "build" / "screenshots" / "dock_results.png"


class Iface:
    """The two things the dock needs from QgisInterface."""

    def __init__(self, window, canvas):
        self._window, self._canvas = window, canvas

    def mainWindow(self):  # noqa: N802
        return self._window

    def mapCanvas(self):  # noqa: N802
        return self._canvas


def main():
    from qgis.core import QgsApplication, QgsProject, QgsVectorLayer, QgsCoordinateReferenceSystem
    from qgis.gui import QgsMapCanvas
    from qgis.PyQt.QtCore import QCoreApplication, Qt
    from qgis.PyQt.QtWidgets import QMainWindow

    app = QgsApplication([], True)
    app.initQgis()
    from geopin.geopin_plugin.gui.dock import GeoPinDock

    db = demo.OUT / f"amsterdam_without_{demo.LEAVE_OUT}.gpkg"
    photo = demo.OUT / "query.jpg"
    if not db.exists() or not photo.exists():
        rows = demo.manifest()
        demo.build_database(db, leave_out=[demo.LEAVE_OUT], rows=rows)
        target = [r for r in rows if r["pano_id"] == demo.LEAVE_OUT][0]
        demo.save_rgb(photo, demo.query_view(target["path"]))

    window = QMainWindow()
    window.resize(1500, 950)
    canvas = QgsMapCanvas()
    canvas.setCanvasColor(Qt.white)
    window.setCentralWidget(canvas)
    project = QgsProject.instance()
    project.setCrs(QgsCoordinateReferenceSystem("EPSG:3857"))  # not RD New: the dock reprojects
    canvas.setDestinationCrs(project.crs())
    coverage = QgsVectorLayer(f"{db}|layername=reference_views", "Reference views", "ogr")
    project.addMapLayer(coverage)
    dock = GeoPinDock(Iface(window, canvas), window)
    window.addDockWidget(Qt.RightDockWidgetArea, dock)
    dock.setMinimumWidth(430)
    window.show()

    dock.set_database(str(db))
    dock.set_photo(str(photo))
    dock.locate()
    start = time.time()
    while dock.task is not None and time.time() - start < 600:
        QCoreApplication.processEvents()
        time.sleep(0.05)
    if dock.result is None:
        raise SystemExit(f"locate failed: {dock.stage_label.text()}")
    canvas.setLayers([layer for layer in dock.result_layers] + [coverage])
    extent = canvas.extent()
    canvas.refresh()
    for _ in range(100):  # let the canvas render
        QCoreApplication.processEvents()
        time.sleep(0.03)
    canvas.waitWhileRendering()
    QCoreApplication.processEvents()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(OUT), "PNG")
    # the match viewer of the best candidate
    dock.results_list.setCurrentRow(0)
    viewer = dock.show_matches()
    if viewer is not None:
        viewer.resize(1400, 640)
        for _ in range(20):
            QCoreApplication.processEvents()
            time.sleep(0.02)
        viewer.grab().save(str(OUT.with_name("match_viewer.png")), "PNG")
        viewer.close()
    r = dock.result
    print(f"{OUT}: {r.label} confidence {r.confidence:.2f} ±{r.error_radius_m:.0f} m, "
          f"{r.n_verified} verified, canvas extent {extent.toString(0)}")
    dock.close_and_cleanup()
    app.exitQgis()


if __name__ == "__main__":
    main()
