"""Fixtures shared by the tests in the real QgsApplication."""
import sys
import time
import warnings
from pathlib import Path

import pytest
from qgis.PyQt.QtCore import QCoreApplication

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

    The wait is bounded: QgsMapCanvas.waitWhileRendering() loops until no refresh is
    scheduled, and a layer whose server has gone (an OAPIF layer of a fixture server)
    keeps scheduling them; that hung a CI run for over an hour."""
    yield
    qgis_canvas.stopRendering()
    deadline = time.monotonic() + 20
    while qgis_canvas.isDrawing() and time.monotonic() < deadline:
        QCoreApplication.processEvents()
        time.sleep(0.01)
    if qgis_canvas.isDrawing():
        warnings.warn("the map canvas was still drawing 20 s after the test ended")
