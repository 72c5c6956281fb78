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
