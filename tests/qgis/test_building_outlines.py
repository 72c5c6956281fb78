"""geopin:geolocatephotos with building outlines (BUILDINGS): the user's polygon
layer (the shared BAG panden, as a user would add their own download) locates the
small real database's query photo outside every building; a missing layer is a clear
error, not a traceback."""
import sys
from pathlib import Path

import numpy as np
import pytest
from qgis.core import QgsVectorLayer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import qgis_helpers  # noqa: E402

pytestmark = pytest.mark.timeout(900)


def run_algorithm(params):
    from geopin.processing.geolocate_photos import GeolocatePhotos

    return qgis_helpers.run_algorithm(GeolocatePhotos(), params)


def test_my_polygon_layer_without_a_layer_is_a_clear_error(qgis_app, tmp_path):
    db = tmp_path / "some.gpkg"
    db.write_bytes(b"not checked before the outlines")
    photo = tmp_path / "p.jpg"
    photo.write_bytes(b"x")
    _, ok, messages, _ = run_algorithm({"INPUT": [str(photo)], "DATABASE": str(db), "BUILDINGS": 2,
                                        "OUTPUT_ESTIMATES": str(tmp_path / "est.gpkg")})
    assert not ok
    assert any("needs a building outline layer" in text for _, text in messages), messages
    assert not any("Traceback" in text for _, text in messages)


def test_the_users_building_layer_keeps_the_camera_out_of_buildings(qgis_app, small_db, datasets_dir, tmp_path):
    from geopin.geopin_plugin.engine.estimate import buildings as B

    bag = datasets_dir / "amsterdam-bag" / "bag_pand_amsterdam_2019.gpkg"
    if not bag.exists():
        pytest.skip("shared BAG outlines not available")
    db, _, query, _ = small_db
    layer = QgsVectorLayer(f"{bag}|layername=bag_pand", "panden", "ogr")
    assert layer.isValid()
    est = tmp_path / "est.gpkg"
    results, ok, messages, _ = run_algorithm({"INPUT": [str(query)], "DATABASE": str(db), "BUILDINGS": 2,
                                              "BUILDINGS_LAYER": layer, "OUTPUT_ESTIMATES": str(est)})
    assert ok, messages
    assert results["LOCATED"] == 1
    rows = list(QgsVectorLayer(str(est), "e", "ogr").getFeatures())
    point = rows[0].geometry().asPoint()
    assert rows[0]["position_method"] in ("facades", "triangulated", "line", "density")
    footprints = B.BuildingMap(B.geopackage_source(str(bag))).around([(point.x(), point.y())], 50.0)
    assert not footprints.inside(np.array([point.x()]), np.array([point.y()]))[0]


def test_the_docks_advanced_section_chooses_the_outlines(qgis_app, project, datasets_dir):
    from qgis.PyQt.QtCore import Qt
    from qgis.PyQt.QtTest import QTest

    from geopin.geopin_plugin import settings
    from geopin.geopin_plugin.engine.estimate.buildings import BuildingMap
    from geopin.geopin_plugin.gui.dock_advanced import AdvancedBox

    bag = datasets_dir / "amsterdam-bag" / "bag_pand_amsterdam_2019.gpkg"
    if not bag.exists():
        pytest.skip("shared BAG outlines not available")
    layer = QgsVectorLayer(f"{bag}|layername=bag_pand", "panden", "ogr")
    project.addMapLayer(layer)
    box = AdvancedBox()
    box.setCollapsed(False)
    combo = box.findChild(type(box.buildings), "geopinBuildings")
    assert combo is box.buildings
    combo.setCurrentIndex(combo.findData("layer"))
    QTest.keyClick(combo, Qt.Key_Up)  # a user steps through the choices: PDOK BAG ...
    assert combo.currentData() == "pdok" and settings.value("building_outlines") == "pdok"
    assert box.building_map() == "pdok" and not box.buildings_layer.isEnabled()
    QTest.keyClick(combo, Qt.Key_Down)  # ... and back to their own layer
    assert settings.value("building_outlines") == "layer" and box.buildings_layer.isEnabled()
    box.buildings_layer.setLayer(layer)
    bmap = box.building_map()
    assert isinstance(bmap, BuildingMap)
    # read as the locate task reads it; Overtoom holds at least 421 panden within 150 m (coverage.md)
    assert len(set(bmap.around([(119497.0, 486140.0)], 150.0).ids)) >= 421
    box.buildings_layer.setLayer(None)
    with pytest.raises(ValueError, match="building outlines"):
        box.building_map()
    combo.setCurrentIndex(combo.findData(""))
    assert box.building_map() is None
    settings.set_value("building_outlines", "")
