"""Issue 25: the dock and Processing as a QGIS analyst meets them, driven the way a
user drives them: QTest.mouseClick on the real buttons, drops with real QMimeData,
the locale set the way `qgis --lang nl` sets it (QgsSettings locale/userLocale,
override flag untouched), the project saved and reopened."""
import re
import sys
from pathlib import Path

import pytest
from qgis.core import QgsProject, QgsSettings
from qgis.PyQt.QtCore import QLocale, Qt
from qgis.PyQt.QtTest import QTest
from qgis.PyQt.QtWidgets import QApplication, QWidget

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import qgis_helpers  # noqa: E402
from qgis_helpers import wait_for  # noqa: E402
from test_plugin_lifecycle import RecordingIface  # noqa: E402

pytestmark = pytest.mark.timeout(900)

# Words that give English away in a Dutch text (none of them is Dutch).
ENGLISH = {"the", "and", "with", "from", "not", "no", "match", "matches", "inliers", "photo", "photos", "could",
           "cannot", "located", "verified", "candidates", "confidence", "reference", "models", "model", "found",
           "missing", "error", "skipped", "failed", "view", "views", "uncertain", "confident", "similarity",
           "estimate", "estimates", "footprints", "unreadable", "run", "built", "read"}


def english_words(text, ignore=()):
    for name in ignore:  # file names and paths are the user's, not ours
        text = text.replace(str(name), " ")
    return sorted({w for w in re.findall(r"[A-Za-z]+", text) if w.lower() in ENGLISH})


@pytest.fixture
def lang_nl(qgis_app):
    """What `qgis --lang nl` leaves for plugins: locale/userLocale = nl, the override
    flag as the user left it (off); QGIS's own locale Dutch."""
    settings = QgsSettings()
    old = {k: settings.value(k) for k in ("locale/userLocale", "locale/overrideFlag")}
    settings.setValue("locale/userLocale", "nl")
    settings.setValue("locale/overrideFlag", False)
    previous = QLocale()
    QLocale.setDefault(QLocale("nl_NL"))
    yield
    QLocale.setDefault(previous)
    for key, value in old.items():
        settings.remove(key) if value is None else settings.setValue(key, value)


@pytest.fixture
def plugin(qgis_app, qgis_iface, monkeypatch):
    """GeoPin as QGIS starts it: classFactory(iface), initGui(); unload() at the end."""
    from geopin import classFactory

    iface = RecordingIface(qgis_iface)
    instance = classFactory(iface)
    instance.initGui()
    yield instance
    instance.unload()


def open_dock(plugin):
    """Click the toolbar button (the toggle action) as a user does."""
    plugin.toggle_action.trigger()
    assert plugin.dock is not None and plugin.dock.isVisible() or plugin.dock is not None
    return plugin.dock


# --- item 2: Dutch under --lang nl ----------------------------------------------------------
def test_lang_nl_gives_a_dutch_dock(lang_nl, plugin):
    dock = open_dock(plugin)
    assert dock.locate_button.text() == "Lokaliseren", dock.locate_button.text()
    texts = [w.text() for w in dock.findChildren(type(dock.locate_button))]
    texts += [dock.drop_area.text(), dock.windowTitle()]
    texts += [w.toolTip() for w in dock.findChildren(QWidget) if w.toolTip()]
    left = {t: english_words(t) for t in texts if english_words(t)}
    assert left == {}, left


def test_lang_nl_locate_says_everything_in_dutch(lang_nl, plugin, small_db):
    """A no match located through the buttons: stage, summary and list are Dutch."""
    db, _, _, unlocated = small_db
    dock = open_dock(plugin)
    dock.set_database(str(db))
    dock.add_photos([str(unlocated)])
    QTest.mouseClick(dock.locate_button, Qt.LeftButton)
    stages = []
    dock.task.stage_changed.connect(lambda *_: stages.append(dock.stage_label.text()))
    wait_for(lambda: dock.task is None)
    assert dock.result is not None, dock.stage_label.text()
    texts = stages + [dock.stage_label.text(), dock.summary_label.text()]
    texts += [dock.results_list.item(i).text() for i in range(dock.results_list.count())]
    ignore = [unlocated.name, "amsterdam", "panorama"]
    left = {t: english_words(t, ignore) for t in texts if english_words(t, ignore)}
    assert left == {}, left


def test_processing_messages_are_dutch_under_lang_nl(lang_nl, plugin, small_db, tmp_path, datasets_dir):
    """Every message the batch writes to the Processing log (a located photo, an
    unreadable one, one far outside the coverage, a no match) is Dutch; LOCATED counts
    only the photos that got a position (item 3)."""
    from geopin.processing.geolocate_photos import GeolocatePhotos

    db, _, query, unlocated = small_db
    broken = tmp_path / "kapot.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    lund = datasets_dir / "lund" / "01.jpg"
    photos = [query, broken, unlocated, lund]
    params = {"INPUT": [str(p) for p in photos], "DATABASE": str(db),
              "OUTPUT_ESTIMATES": str(tmp_path / "est.gpkg"), "OUTPUT_CANDIDATES": "memory:"}
    results, ok, messages, _ = qgis_helpers.run_algorithm(GeolocatePhotos(), params)
    assert ok, messages
    from qgis.core import QgsVectorLayer

    rows = list(QgsVectorLayer(str(tmp_path / "est.gpkg"), "e", "ogr").getFeatures())
    with_position = [f for f in rows if f["label"] in ("confident", "uncertain")]
    assert results["LOCATED"] == len(with_position), (results, [(f["photo_name"], f["label"]) for f in rows])
    assert results["FAILED"] == 1
    ignore = [*photos, *(p.name for p in photos), db, db.name, tmp_path]
    left = [(kind, text, english_words(text, ignore)) for kind, text in messages if english_words(text, ignore)]
    assert left == [], left


def drop_files(widget, paths):
    """Drag `paths` over `widget` and drop them, as a file manager does; returns whether accepted."""
    from qgis.PyQt.QtCore import QMimeData, QPoint, QUrl
    from qgis.PyQt.QtGui import QDragEnterEvent, QDropEvent

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    enter = QDragEnterEvent(QPoint(5, 5), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(widget, enter)
    if not enter.isAccepted():
        return False
    drop = QDropEvent(QPoint(5, 5), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(widget, drop)
    return drop.isAccepted()


def click_locate(dock):
    QTest.mouseClick(dock.locate_button, Qt.LeftButton)
    assert dock.task is not None, dock.stage_label.text()
    wait_for(lambda: dock.task is None)


def result_groups(project):
    return [g for g in project.layerTreeRoot().findGroups() if g.name().startswith("GeoPin: ")]


# --- items 4 and 7: one group per photo, named layers, kept across a project reload -----------
def test_results_survive_save_and_reopen(plugin, project, small_db, tmp_path):
    db, _, query, unlocated = small_db
    dock = open_dock(plugin)
    dock.set_database(str(db))
    assert drop_files(dock.drop_area, [query])
    click_locate(dock)
    click_locate(dock)  # the same photo again: its group is replaced, not doubled
    groups = result_groups(project)
    assert [g.name() for g in groups] == [f"GeoPin: {query.name}"]
    names = [node.layer().name() for node in groups[0].findLayers()]
    assert names == [f"{kind} — {query.name}" for kind in
                     ("Estimate", "Candidates", "View cone", "Footprints", "Posterior density")]
    assert len(project.mapLayers()) == len(names) + 1  # and the coverage: no orphans of the first run

    # another photo, then the project is saved for the first time
    QTest.mouseClick(dock.clear_button, Qt.LeftButton)
    assert drop_files(dock.drop_area, [unlocated])
    click_locate(dock)
    before = {layer.name(): layer.featureCount() for layer in project.mapLayers().values()
              if hasattr(layer, "featureCount")}
    assert before[f"Candidates — {unlocated.name}"] > 0 and before[f"Estimate — {query.name}"] == 1
    path = tmp_path / "analysis.qgz"
    assert project.write(str(path))
    project.clear()
    assert project.read(str(path))
    after = {layer.name(): layer.featureCount() for layer in project.mapLayers().values()
             if hasattr(layer, "featureCount")}
    assert after == before
    rasters = [layer for layer in project.mapLayers().values() if layer.name().startswith("Posterior density")]
    assert rasters and all(layer.isValid() for layer in rasters)

    # located in the saved project: its results go beside it
    dock.add_photos([str(query)])
    dock.photos_list.setCurrentRow(0)
    click_locate(dock)
    beside = sorted(p.name for p in (tmp_path / "analysis_geopin").iterdir())
    # one GeoPackage per photo (the list holds both), the earlier file of a photo removed
    assert sorted(p.rsplit("_", 3)[0] for p in beside if p.endswith(".gpkg")) == ["overtoom_query", "unlocated_query"]
    assert len(result_groups(project)) == 2
    assert project.write(str(path))
    project.clear()
    assert project.read(str(path))
    counts = {layer.name(): layer.featureCount() for layer in project.mapLayers().values()
              if hasattr(layer, "featureCount")}
    assert counts[f"Estimate — {query.name}"] == 1 and counts[f"Candidates — {unlocated.name}"] > 0


# --- item 6: inputs and what stays on screen ---------------------------------------------------
def test_drops_removal_and_stale_results(plugin, project, small_db, tmp_path):
    import shutil

    db, _, query, unlocated = small_db
    dock = open_dock(plugin)
    assert dock.database_widget.dialogTitle() == "Choose a GeoPin reference database"  # not "Select a file"
    dock.set_database(str(db))
    readme = tmp_path / "README.md"
    readme.write_text("# not a photo")
    assert not drop_files(dock.drop_area, [readme])  # refused: not a photo
    assert dock.photo_paths == []
    folder = tmp_path / "holiday"
    folder.mkdir()
    shutil.copy(query, folder / "a.jpg")
    shutil.copy(unlocated, folder / "b.jpg")
    (folder / "notes.txt").write_text("no photo")
    assert drop_files(dock.drop_area, [folder])  # a folder adds its photos
    assert dock.photo_paths == [str(folder / "a.jpg"), str(folder / "b.jpg")]
    click_locate(dock)
    assert len(dock.results) == 2
    done = dock.stage_label.text()
    assert done.startswith("Done: 2 photos in "), done
    run_seconds = float(re.search(r"([\d.,]+) s", done).group(1).replace(",", "."))
    photo_seconds = [sum(item.result.timings.values()) for item in dock.results.values()]
    assert run_seconds >= sum(photo_seconds) * 0.9, (done, photo_seconds)  # the run, not the last photo

    # another photo without a result: the earlier answer leaves the screen
    dock.photos_list.setCurrentRow(0)
    assert dock.summary_label.text() and dock.results_list.count()
    dock.add_photos([str(query)])
    dock.photos_list.setCurrentRow(2)
    assert dock.summary_label.text() == "" and dock.results_list.count() == 0 and dock.stage_label.text() == ""

    # Delete removes the selected photo; the list's context menu offers the same
    dock.photos_list.setFocus()
    QTest.keyClick(dock.photos_list, Qt.Key_Delete)
    assert dock.photo_paths == [str(folder / "a.jpg"), str(folder / "b.jpg")]
    assert dock.photos_list.contextMenuPolicy() == Qt.ActionsContextMenu
    remove = [a for a in dock.photos_list.actions() if a.objectName() == "geopinRemovePhoto"]
    dock.photos_list.setCurrentRow(0)
    remove[0].trigger()
    assert dock.photo_paths == [str(folder / "b.jpg")]


# --- item 10: results table and CSV; the panel after a restart; the shortcut ------------------
def test_results_table_and_csv(plugin, project, small_db, tmp_path, monkeypatch):
    import csv

    from qgis.PyQt.QtWidgets import QFileDialog

    db, (lat, lon), query, unlocated = small_db
    dock = open_dock(plugin)
    dock.set_database(str(db))
    assert not dock.table_button.isEnabled()
    dock.add_photos([str(query), str(unlocated)])
    click_locate(dock)
    QTest.mouseClick(dock.table_button, Qt.LeftButton)
    dialog = dock.results_table
    table = dialog.table
    assert table.rowCount() == 2
    header = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert header == ["Photo", "Label", "Confidence", "Latitude", "Longitude", "Radius (m)", "Heading (°)",
                      "Best reference"]
    rows = {table.item(r, 0).text(): [table.item(r, c).text() for c in range(table.columnCount())]
            for r in range(table.rowCount())}
    assert rows[query.name][1] == "confident" and rows[query.name][7].startswith("amsterdam-panorama")
    assert rows[unlocated.name][3] == "–"  # a no match has no position
    target = tmp_path / "results.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    QTest.mouseClick(dialog.export_button, Qt.LeftButton)
    with open(target, newline="", encoding="utf-8") as fh:
        written = {r["photo_name"]: r for r in csv.DictReader(fh)}
    assert set(written) == {query.name, unlocated.name}
    good = written[query.name]
    assert good["label"] == "confident" and good["photo"] == str(query)
    assert abs(float(good["lat"]) - dock.results[str(query)].result.lat) < 1e-6
    assert float(good["error_radius_m"]) > 0 and good["best_reference"]
    assert written[unlocated.name]["lat"] == ""
    dialog.close()


class ShortcutIface(RecordingIface):
    """QGIS gives a registered action its shortcut and keeps it in the main window."""

    def registerMainWindowAction(self, action, shortcut):  # noqa: N802
        action.setShortcut(shortcut)
        self.window.addAction(action)
        return True

    def unregisterMainWindowAction(self, action):  # noqa: N802
        return True


def test_panel_reopens_after_restart_and_has_a_shortcut(qgis_app, qgis_iface):
    from geopin import classFactory
    from geopin.geopin_plugin import settings

    settings.set_value("dock_open", False)
    iface = ShortcutIface(qgis_iface)
    iface.window.show()
    QApplication.setActiveWindow(iface.window)
    first = classFactory(iface)
    first.initGui()
    try:
        assert first.dock is None  # closed before: stays closed
        assert first.toggle_action.shortcut().toString() == "Ctrl+Alt+G"
        QTest.keyClick(iface.window, Qt.Key_G, Qt.ControlModifier | Qt.AltModifier)
        assert first.dock is not None and first.dock.isVisible()
    finally:
        first.unload()  # QGIS quits with the panel open
    second = classFactory(iface)
    second.initGui()
    try:
        assert second.dock is not None and second.dock.isVisible()
        second.dock.close()  # the user closes it: not reopened next time
        assert settings.value("dock_open") is False
    finally:
        second.unload()
        iface.window.hide()


# --- item 9: help ------------------------------------------------------------------------------
def test_help_opens_the_rendered_manual(plugin, monkeypatch):
    from qgis.PyQt.QtGui import QDesktopServices

    from geopin.processing.geolocate_photos import GeolocatePhotos

    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    dock = open_dock(plugin)
    QTest.mouseClick(dock.help_button, Qt.LeftButton)
    assert len(opened) == 1
    url = opened[0]
    assert url.isLocalFile() and url.toLocalFile().endswith(".html") and url.fragment() == "using-geopin-in-qgis"
    html = Path(url.toLocalFile()).read_text(encoding="utf-8")
    assert '<a name="using-geopin-in-qgis"' in html and "<h2" in html and "](" not in html  # rendered
    assert '<a name="processing-algorithms"' in html
    processing = GeolocatePhotos().helpUrl()  # what the Processing dialog's Help button opens
    assert processing.startswith("file://") and ".html#processing-algorithms" in processing
    # every control a user can press or set explains itself
    from qgis.PyQt.QtWidgets import QAbstractButton, QAbstractSpinBox, QComboBox

    qgis_own = ("qt_", "collapseButton")  # the dock's float/close and group boxes' arrows are QGIS's
    silent = [(type(w).__name__, w.objectName(), w.parent().objectName())
              for w in dock.findChildren((QAbstractButton, QComboBox, QAbstractSpinBox))
              if not w.toolTip() and not w.objectName().startswith(qgis_own)
              and type(w.parent()).__name__ != "QgsFilterLineEdit"]  # its clear button
    assert silent == [], silent


# --- item 8: legend, raster band, no-match colours, background map, room for the list ---------
def legend_texts(project, layer):
    from qgis.core import QgsLayerTreeModel

    model = QgsLayerTreeModel(project.layerTreeRoot())
    node = project.layerTreeRoot().findLayer(layer.id())
    return [n.data(Qt.DisplayRole) for n in model.layerLegendNodes(node)]


def test_map_reads_without_guessing(plugin, project, small_db):
    from tile_server import TileServer

    from geopin.geopin_plugin import settings
    from geopin.geopin_plugin.result_layers import layer_kind

    db, _, query, unlocated = small_db
    QgsSettings().remove("GeoPin/background_map")  # a new user: the default
    dock = open_dock(plugin)
    dock.resize(380, 900)  # a right-hand panel on a 1080p screen
    dock.show()
    dock.set_database(str(db))
    dock.add_photos([str(query), str(unlocated)])
    with TileServer() as server:
        settings.set_value("pdok_tile_url", server.url)
        try:
            click_locate(dock)
            group = project.layerTreeRoot().findGroup("GeoPin")
            wait_for(lambda: len(group.findLayers()) == 2, timeout=30)  # coverage, then the background
        finally:
            settings.set_value("pdok_tile_url", "http://127.0.0.1:9/{z}/{x}/{y}.png")
    background = group.findLayers()[1].layer()
    assert "127.0.0.1" in background.source() and background.isValid()

    layers = {(Path(item.photo).name, layer_kind(layer)): layer for item in dock.results.values()
              for layer in item.layers}
    estimate = layers[(query.name, "estimates")]
    assert any("68 %" in text and "circle" in text for text in legend_texts(project, estimate))
    raster = layers[(query.name, "posterior")]
    assert "probability per m²" in raster.dataProvider().generateBandName(1)
    located = layers[(query.name, "candidates")].renderer()
    strongest = located.ranges()[-1].symbol().color().name()
    no_match = layers[(unlocated.name, "candidates")]
    from qgis.core import QgsRenderContext

    renderer, context = no_match.renderer(), QgsRenderContext()  # both alive while their symbols are read
    colours = {s.color().name() for s in renderer.symbols(context)}
    assert strongest not in colours and colours == {"#9e9e9e"}
    assert legend_texts(project, no_match) == ["not located: candidates only"]

    # item 7: point layers a picker lists are told apart, and "in view" offers the newest estimate
    from qgis.core import QgsWkbTypes

    from geopin.processing.what_is_in_view import WhatIsInView

    points = [layer.name() for layer in project.mapLayers().values()
              if getattr(layer, "geometryType", lambda: None)() == QgsWkbTypes.PointGeometry]
    assert len(points) == len(set(points)), points
    alg = WhatIsInView()
    alg.initAlgorithm()
    default = project.mapLayer(alg.parameterDefinition("ESTIMATES").defaultValue())
    assert default is not None and default.name() == f"Estimate — {unlocated.name}"  # the last located

    # the results list shows several candidates, not one row
    dock.photos_list.setCurrentRow(0)
    QApplication.processEvents()
    row = dock.results_list.visualItemRect(dock.results_list.item(0)).height()
    assert dock.results_list.viewport().height() >= 3 * row, (dock.results_list.viewport().height(), row)


def test_no_background_offline(plugin, project, small_db):
    """The default tile address in tests refuses at once (conftest): no background layer."""
    from geopin.geopin_plugin.gui import map_context

    db, _, query, _ = small_db
    dock = open_dock(plugin)
    dock.set_database(str(db))
    dock.add_photos([str(query)])
    answered = []
    click_locate(dock)
    map_context.add_background_when_online("pdok", project, answered.append)
    wait_for(lambda: answered, timeout=30)
    assert answered == [None]
    assert len(project.layerTreeRoot().findGroup("GeoPin").findLayers()) == 1  # the coverage only
