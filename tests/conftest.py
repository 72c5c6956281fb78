"""Test set-up: import the plugin as QGIS does — a folder named `geopin` on a
plugins path — and never put the repo root itself on sys.path (it would shadow
QGIS's own `processing` module)."""
import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PLUGINS_DIR = REPO / "build" / "plugins"

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
PLUGINS_DIR.mkdir(parents=True, exist_ok=True)
_link = PLUGINS_DIR / "geopin"
if not _link.exists():
    _link.symlink_to(os.path.relpath(REPO, PLUGINS_DIR))
if str(PLUGINS_DIR) not in sys.path:
    sys.path.insert(0, str(PLUGINS_DIR))
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO]


@pytest.fixture(scope="session")
def datasets_dir():
    """The shared real street imagery (../shared/datasets, or $GEOPIN_DATASETS)."""
    path = Path(os.environ.get("GEOPIN_DATASETS", REPO.parent / "shared" / "datasets"))
    if not path.is_dir():
        pytest.fail(f"datasets folder not found: {path} (set GEOPIN_DATASETS)")
    return path


@pytest.fixture(scope="session", autouse=True)
def fresh_geopin_settings():
    """pytest-qgis keeps its profile (.qgis-settings) between runs: start every test
    session from GeoPin's default settings, so no run depends on an earlier one."""
    try:
        from qgis.core import QgsSettings
    except ImportError:  # engine tests can run without QGIS
        yield
        return
    QgsSettings().remove("GeoPin")
    # the dock adds a background map when its server answers: never the internet in tests
    # (port 9 refuses at once); tests that want one point it at tests/tile_server.py
    for key in ("pdok_tile_url", "osm_tile_url"):
        QgsSettings().setValue(f"GeoPin/{key}", "http://127.0.0.1:9/{z}/{x}/{y}.png")
    yield
