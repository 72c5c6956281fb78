"""Fixtures shared by the tests in the real QgsApplication."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import geolocation_db  # noqa: E402


@pytest.fixture(scope="session")
def small_db(tmp_path_factory, datasets_dir):
    """geolocation_db's real reference database and query photos, built once a session."""
    return geolocation_db.build(tmp_path_factory.getbasetemp() / "geolocation", datasets_dir)


@pytest.fixture
def project():
    """QGIS's project, empty before and after the test."""
    from qgis.core import QgsProject

    project = QgsProject.instance()
    project.clear()
    yield project
    project.clear()


@pytest.fixture(autouse=True)
def canvas_idle_after_each_test(qgis_canvas):
    """No map render may outlive its test. A render thread translating a unit name
    (QgsUnitTypes::toString) holds Qt's translator lock while it waits for Python's
    lock to ask a Python-made QTranslator; a test removing that translator holds
    Python's lock while it waits for Qt's: a deadlock seen once in three full runs.

    QgsMapCanvas.waitWhileRendering() processes events until no render runs and none
    is scheduled. A layer whose server has gone (an OAPIF layer of a stopped fixture
    server) keeps scheduling them, so a test with live layers removes them before its
    server stops (test_parcels_panel.py); pytest.ini's thread timeout ends any hang."""
    yield
    qgis_canvas.stopRendering()
    qgis_canvas.waitWhileRendering()
