"""The dock with a 360° panorama, as a user drives it under --lang nl: drop the shared
Overtoom panorama left out of the real test database, click Lokaliseren, read one
confident answer whose summary names the views' compass headings in Dutch."""
import shutil
import sys
from pathlib import Path

import pytest
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtTest import QTest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import geolocation_db  # noqa: E402
from qgis_helpers import wait_for  # noqa: E402
from test_dock_as_a_user import english_words, lang_nl, open_dock, plugin  # noqa: E402,F401

pytestmark = pytest.mark.timeout(900)


def test_the_dock_locates_a_panorama_in_dutch(lang_nl, plugin, small_db, datasets_dir, tmp_path):  # noqa: F811
    db = small_db[0]
    row = geolocation_db.manifest(datasets_dir)[geolocation_db.LEFT_OUT]
    photo = tmp_path / "rondom.jpg"
    shutil.copy(Path(datasets_dir) / "amsterdam-panoramas" / row["file"], photo)
    dock = open_dock(plugin)
    dock.set_database(str(db))
    dock.add_photos([str(photo)])
    QTest.mouseClick(dock.locate_button, Qt.LeftButton)
    wait_for(lambda: dock.task is None, timeout=600)
    assert dock.result is not None and dock.result.label == "confident", dock.stage_label.text()
    text = dock.summary_label.text()
    assert "360°-panorama" in text and "4 beelden in de richtingen" in text, text
    assert english_words(text, [photo.name, "amsterdam", "panorama"]) == [], text
    assert dock.results_list.count() > 0  # its candidates, with the view they matched
