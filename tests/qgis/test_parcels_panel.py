"""The dock's "Parcels and addresses" section, offscreen, against the PDOK fixture:
a locate result -> Find -> the tree lists parcels and buildings with addresses and
probabilities, layers are added, a click highlights; Load PDOK layers opens the
fixture's collections through QGIS's OAPIF provider."""
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from qgis.core import QgsProject, QgsSettings, QgsWkbTypes

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pdok_fixture import PdokFixtureServer  # noqa: E402
from qgis_helpers import wait_for  # noqa: E402

from geopin.geopin_plugin.engine.pdok.parcels import DensityGrid  # noqa: E402

CENTRE = (122000.0, 488000.0)
CAMERA = (CENTRE[0] + 4.0, CENTRE[1] + 33.0)


@pytest.fixture
def server():
    """A PDOK fixture server and an empty profile cache: the cache keys on the server's
    address, and a port used again (by a later run or test) would answer from it."""
    from geopin.geopin_plugin.settings import pdok_cache_path

    cache = Path(pdok_cache_path())
    cache.unlink(missing_ok=True)
    with PdokFixtureServer(CENTRE) as srv:
        settings = QgsSettings()
        for key, url in srv.base_urls.items():
            settings.setValue(f"GeoPin/pdok/{key}_url", url)
        yield srv
        settings.remove("GeoPin/pdok")


def fake_result(with_posterior=True):
    g = DensityGrid.gaussian(*CAMERA, error_radius_m=6.0)
    return SimpleNamespace(x=CAMERA[0], y=CAMERA[1], error_radius_m=6.0, posterior=g.grid if with_posterior else None,
                           geotransform=g.geotransform)


def test_find_lists_and_highlights(qgis_app, qgis_iface, qgis_canvas, server):
    from geopin.geopin_plugin.gui.parcels_panel import ParcelsPanel

    panel = ParcelsPanel(qgis_iface)
    assert not panel.find_button.isEnabled()
    panel.set_result("photo.jpg", fake_result())
    assert panel.find_button.isEnabled()
    n_layers = len(QgsProject.instance().mapLayers())
    panel.find()
    wait_for(lambda: panel.task is None, timeout=60)
    assert panel.answer is not None, panel.status.text()
    parcels, buildings = panel.tree.topLevelItem(0), panel.tree.topLevelItem(1)
    assert parcels.childCount() > 0 and buildings.childCount() > 0
    assert parcels.child(0).text(0) == "Fixturedam K 9000" and parcels.child(0).text(1).endswith("%")
    assert buildings.child(0).childCount() == 2, "the two addresses of the top house"
    assert "Fixturestraat" in buildings.child(0).child(0).text(0)
    assert len(QgsProject.instance().mapLayers()) == n_layers + 3
    band = panel._clicked(buildings.child(0))
    assert band is not None and band.numberOfVertices() >= 4
    assert any(r["path"].endswith("/items") for r in server.state.log)
    panel.cleanup()


def test_find_reports_a_broken_service(qgis_app, qgis_iface, server):
    from geopin.geopin_plugin.gui.parcels_panel import ParcelsPanel

    server.state.behaviour.status_first = [500] * 20
    panel = ParcelsPanel(qgis_iface)
    panel.set_result("photo.jpg", fake_result(with_posterior=False))
    panel.find()
    wait_for(lambda: panel.task is None, timeout=120)
    assert panel.answer is None and "Could not get parcels" in panel.status.text()


def test_load_pdok_layers_opens_live_layers(qgis_app, qgis_iface, server, project):
    """`project` after `server`: the live layers leave the project (and the canvas) before
    their server stops; a canvas left rendering them against a closed port hung CI."""
    from geopin.geopin_plugin.gui.parcels_panel import ParcelsPanel

    server.state.strict_rd = False  # QGIS's OAPIF provider asks in CRS84, the OGC default
    panel = ParcelsPanel(qgis_iface)
    panel.set_result("photo.jpg", fake_result())
    layers = panel.load_pdok_layers()
    assert [layer.name() for layer in layers] == ["BRK perceel", "BAG pand", "BAG verblijfsobject"]
    assert all(layer.isValid() for layer in layers)
    perceel = layers[0]
    assert perceel.wkbType() in (QgsWkbTypes.Polygon, QgsWkbTypes.MultiPolygon)
    assert "perceelnummer" in perceel.fields().names()


def test_find_button_click_lists_parcels(qgis_app, qgis_iface, server):
    """Issue 25 item 1: the button's clicked(bool) must not reach find() as load=False."""
    from qgis.PyQt.QtCore import Qt
    from qgis.PyQt.QtTest import QTest

    from geopin.geopin_plugin.gui.parcels_panel import ParcelsPanel

    panel = ParcelsPanel(qgis_iface)
    panel.set_result("photo.jpg", fake_result())
    QTest.mouseClick(panel.find_button, Qt.LeftButton)
    assert panel.task is not None, panel.status.text()
    wait_for(lambda: panel.task is None, timeout=60)
    assert panel.answer is not None, panel.status.text()
    assert "Could not" not in panel.status.text()
    assert panel.tree.topLevelItem(0).childCount() > 0
    panel.cleanup()
