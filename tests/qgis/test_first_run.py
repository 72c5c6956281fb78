"""The dock's first-run checklist, its database check, Models… and "Create for the
map view…", used as a user does (buttons clicked, real files, a real QGIS task)."""
import json
import sqlite3
import sys
import zipfile
from pathlib import Path

from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtTest import QTest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))
from fixtures_refdb import make_photos  # noqa: E402
from qgis_helpers import wait_for  # noqa: E402


def results_geopackage(path):
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY, data_type TEXT)")
    con.executemany("INSERT INTO gpkg_contents VALUES (?, 'features')", [("estimates",), ("footprints",)])
    con.commit()
    con.close()
    return path


def test_checklist_rows_and_their_fixes(qgis_app, qgis_iface, small_db, tmp_path, monkeypatch):
    from geopin.geopin_plugin import deps
    from geopin.geopin_plugin.gui.dock import GeoPinDock

    monkeypatch.setitem(deps.REQUIRED, "geopin_no_such_module", "geopin-no-such-package")
    dock = GeoPinDock(qgis_iface)
    try:
        checklist = dock.first_run
        dock.set_database("")
        assert not checklist.isHidden()
        assert checklist.labels["deps"].text().startswith("✘") and "geopin-no-such-package" in \
            checklist.labels["deps"].text()
        asked = []
        dock.install_requested.connect(lambda: asked.append(True))
        QTest.mouseClick(checklist.buttons["deps"][0], Qt.LeftButton)
        assert asked == [True]
        assert checklist.labels["models"].text().startswith("✔")  # the user folder holds the runtime models
        assert checklist.labels["database"].text().startswith("✘")
        assert "No reference database chosen" in checklist.database_label.text()

        monkeypatch.delitem(deps.REQUIRED, "geopin_no_such_module")
        dock.refresh_dependencies()
        dock.set_photo(str(small_db[2]))
        # a results GeoPackage is refused when chosen, not at Locate
        checklist.choose_database(str(results_geopackage(tmp_path / "results.gpkg")))
        assert "results GeoPackage" in checklist.database_label.text()
        assert not dock.locate_button.isEnabled()
        # the real database: its facts, all green, the checklist hides, Locate is on
        checklist.choose_database(str(small_db[0]))
        text = checklist.database_label.text()
        assert "views from" in text and "mobilenetv2-gem512-1024" in text and "area 52" in text, text
        assert checklist.state == {"deps": True, "models": True, "database": True}
        assert checklist.isHidden() and dock.locate_button.isEnabled()
    finally:
        dock.close_and_cleanup()


def test_models_dialog_installs_a_models_zip(qgis_app, qgis_iface, tmp_path, monkeypatch):
    from geopin.geopin_plugin.engine import models as M
    from geopin.geopin_plugin.gui.dock import GeoPinDock

    monkeypatch.setenv("GEOPIN_DATA_DIR", str(tmp_path / "data"))  # an empty user folder
    monkeypatch.setenv("GEOPIN_MODELS_DIR", str(tmp_path / "none"))
    monkeypatch.setattr(M, "plugin_models_dir", lambda: tmp_path / "no-plugin-models")
    dock = GeoPinDock(qgis_iface)
    try:
        checklist = dock.first_run
        assert checklist.labels["models"].text().startswith("✘ Models missing")
        QTest.mouseClick(checklist.buttons["models"][0], Qt.LeftButton)
        dialog = checklist.models_dialog
        assert dialog.isVisible() and dialog.table.rowCount() == 0
        src = Path.home() / ".local" / "share" / "geopin" / "models"
        manifest = json.loads((src / "manifest.json").read_text())["files"]
        names = ["mobilenetv2-gem512.onnx", "xfeat.onnx", "lighterglue-xfeat.onnx"]
        archive = tmp_path / "geopin-models.zip"
        with zipfile.ZipFile(archive, "w") as zf:
            zf.writestr("manifest.json", json.dumps({"files": {n: manifest[n] for n in names}}))
            for n in names:
                zf.write(src / n, n)
        assert dialog.install_zip(str(archive)) == sorted(names)
        assert dialog.table.rowCount() == 3
        assert {dialog.table.item(r, 1).text() for r in range(3)} == {"user"}
        assert {dialog.table.item(r, 3).text() for r in range(3)} == {"ok"}
        assert checklist.labels["models"].text().startswith("✔")  # the checklist followed
        assert dialog.install_zip(str(tmp_path / "missing.zip")) is None
        assert "Could not install models" in dialog.status.text()
        dialog.close()
    finally:
        dock.close_and_cleanup()


def test_create_a_database_from_a_folder_as_a_task(qgis_app, qgis_iface, tmp_path):
    from geopin.geopin_plugin.gui.dock import GeoPinDock

    make_photos(tmp_path / "photos", 3)
    dock = GeoPinDock(qgis_iface)
    try:
        checklist = dock.first_run
        dock.set_database("")
        QTest.mouseClick(checklist.buttons["database"][1], Qt.LeftButton)
        dialog = checklist.create_dialog
        dialog.source.setCurrentIndex(dialog.source.findData("folder"))
        assert dialog.folder.isVisible() and not dialog.auth.isVisible()
        QTest.mouseClick(dialog.create_button, Qt.LeftButton)
        assert "folder" in dialog.status.text() or "save" in dialog.status.text()  # fields first
        dialog.folder.setFilePath(str(tmp_path / "photos"))
        dialog.output.setFilePath(str(tmp_path / "new"))
        QTest.mouseClick(dialog.create_button, Qt.LeftButton)
        assert dialog.task is not None and dialog.cancel_button.isEnabled()
        wait_for(lambda: dialog.task is None, timeout=300)
        assert dock.database_path() == str(tmp_path / "new.gpkg"), dialog.status.text()
        assert checklist.state["database"], checklist.database_label.text()
        assert "3 views" in checklist.database_label.text()
    finally:
        dock.close_and_cleanup()
