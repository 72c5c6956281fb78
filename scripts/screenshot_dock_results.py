"""Screenshots of the GeoPin dock with results beside a QGIS map canvas and its
layer tree (legend with the error circle), in Dutch (default) or English:
build/screenshots/dock_results[_en].png (a located photo), dock_no_match[_en].png (a
photo from Lund: outside the coverage, no match), match_viewer[_en].png (the best
candidate), results_table[_en].png (Results table… over both) and legend[_en].png
(the layer tree) — offscreen grabs, no display needed.

It uses the demo's database (`make demo` builds it; built here when missing) or the
one given, and geolocates through the dock as a user would: database and photo set,
Locate clicked, the task waited for. The background map is the default (PDOK),
pointed at a local tile server (tests/tile_server.py: generated tiles, nothing
downloaded).

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshot_dock_results.py [--locale en_US]
        [--database DB.gpkg --photo QUERY.jpg]
"""
import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import demo  # noqa: E402  (sets sys.path for the plugin)

sys.path.insert(0, str(demo.REPO / "tests"))
from tile_server import TileServer  # noqa: E402

OUT = demo.REPO / "build" / "screenshots" / "dock_results.png"


class Iface:
    """What the dock needs from QgisInterface."""

    def __init__(self, window, canvas):
        self._window, self._canvas = window, canvas

    def mainWindow(self):  # noqa: N802
        return self._window

    def mapCanvas(self):  # noqa: N802
        return self._canvas

    def messageBar(self):  # noqa: N802
        return None


def render(canvas, seconds=3.0):
    from qgis.PyQt.QtCore import QCoreApplication

    canvas.refresh()
    end = time.time() + seconds
    while time.time() < end:  # let the canvas fetch its tiles and render
        QCoreApplication.processEvents()
        time.sleep(0.03)
    canvas.waitWhileRendering()
    QCoreApplication.processEvents()


def locate(dock, photo):
    from qgis.PyQt.QtCore import QCoreApplication, Qt
    from qgis.PyQt.QtTest import QTest

    dock.set_photo(str(photo))
    QTest.mouseClick(dock.locate_button, Qt.LeftButton)
    start = time.time()
    while dock.task is not None and time.time() - start < 600:
        QCoreApplication.processEvents()
        time.sleep(0.05)
    if dock.result is None:
        raise SystemExit(f"locate failed: {dock.stage_label.text()}")
    return dock.result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--locale", default="nl_NL")
    parser.add_argument("--database", type=Path, help="a GeoPin database (default: the demo's)")
    parser.add_argument("--photo", type=Path, help="a photo it locates (default: the demo's query)")
    args = parser.parse_args()
    suffix = "" if args.locale.startswith("nl") else "_" + args.locale.split("_")[0]
    from qgis.core import QgsApplication, QgsProject, QgsCoordinateReferenceSystem
    from qgis.gui import QgsLayerTreeMapCanvasBridge, QgsLayerTreeView, QgsMapCanvas
    from qgis.core import QgsLayerTreeModel
    from qgis.PyQt.QtCore import QLocale, Qt
    from qgis.PyQt.QtWidgets import QDockWidget, QMainWindow

    app = QgsApplication([], True)
    app.initQgis()
    QLocale.setDefault(QLocale(args.locale))
    from qgis.core import QgsSettings

    from geopin.geopin_plugin import settings
    from geopin.geopin_plugin.i18n import install_translator

    QgsSettings().remove("GeoPin/background_map")  # the default: PDOK when its server answers
    translator = install_translator(args.locale)  # kept: a collected QTranslator stops translating  # noqa: F841
    from geopin.geopin_plugin.gui.dock import GeoPinDock

    db = args.database or demo.OUT / f"amsterdam_without_{demo.LEAVE_OUT}.gpkg"
    photo = args.photo or demo.OUT / "query.jpg"
    if not db.exists() or not photo.exists():
        rows = demo.manifest()
        demo.build_database(db, leave_out=[demo.LEAVE_OUT], rows=rows)
        target = [r for r in rows if r["pano_id"] == demo.LEAVE_OUT][0]
        demo.save_rgb(photo, demo.query_view(target["path"]))
    far_photo = demo.datasets_dir() / "lund" / "01.jpg"  # EXIF GPS in Sweden: outside the coverage

    window = QMainWindow()
    window.resize(1750, 950)
    canvas = QgsMapCanvas()
    canvas.setCanvasColor(Qt.white)
    window.setCentralWidget(canvas)
    project = QgsProject.instance()
    project.setCrs(QgsCoordinateReferenceSystem("EPSG:3857"))  # not RD New: the dock reprojects
    canvas.setDestinationCrs(project.crs())
    # the layer tree with legends, and QGIS's own canvas bridge (zoom-to-first-layer included)
    bridge = QgsLayerTreeMapCanvasBridge(project.layerTreeRoot(), canvas)
    model = QgsLayerTreeModel(project.layerTreeRoot())
    model.setFlag(QgsLayerTreeModel.ShowLegend, True)
    tree = QgsLayerTreeView()
    tree.setModel(model)
    tree_dock = QDockWidget("Lagen" if suffix == "" else "Layers")
    tree_dock.setWidget(tree)
    window.addDockWidget(Qt.LeftDockWidgetArea, tree_dock)
    tree_dock.setMinimumWidth(470)
    dock = GeoPinDock(Iface(window, canvas), window)
    window.addDockWidget(Qt.RightDockWidgetArea, dock)
    dock.setMinimumWidth(430)
    window.show()

    with TileServer() as server:  # the background map from local generated tiles: nothing downloaded
        settings.set_value("pdok_tile_url", server.url)
        try:
            dock.set_database(str(db))
            r = locate(dock, photo)
            tree.expandAll()
            render(canvas)
            OUT.parent.mkdir(parents=True, exist_ok=True)
            out = OUT.with_name(f"dock_results{suffix}.png")
            window.grab().save(str(out), "PNG")
            tree.grab().save(str(OUT.with_name(f"legend{suffix}.png")), "PNG")
            print(f"{out}: {r.label} confidence {r.confidence:.2f} ±{r.error_radius_m:.0f} m, "
                  f"{r.n_verified} verified, canvas extent {canvas.extent().toString(0)}, "
                  f"{len(server.requests)} tiles from the local server")
            # the match viewer of the best candidate
            dock.results_list.setCurrentRow(0)
            viewer = dock.show_matches()
            if viewer is not None:
                viewer.resize(1400, 680)
                render(canvas, 0.5)
                viewer.grab().save(str(OUT.with_name(f"match_viewer{suffix}.png")), "PNG")
                viewer.close()
            # the "no match" case: a photo from Lund
            if far_photo.exists():
                r = locate(dock, far_photo)
                tree.expandAll()
                render(canvas)
                window.grab().save(str(OUT.with_name(f"dock_no_match{suffix}.png")), "PNG")
                print(f"{OUT.with_name(f'dock_no_match{suffix}.png')}: {r.label}")
            # Results table… over the photos located in this session
            dock.add_photos([str(photo)])
            table = dock.show_results_table()
            table.resize(1100, 200)
            render(canvas, 0.5)
            table.grab().save(str(OUT.with_name(f"results_table{suffix}.png")), "PNG")
            table.close()
        finally:
            settings.set_value("pdok_tile_url", "")
    dock.close_and_cleanup()
    del bridge
    app.exitQgis()


if __name__ == "__main__":
    main()
