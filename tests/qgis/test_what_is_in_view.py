"""geopin:whatisinview inside QGIS against the PDOK fixture server on 127.0.0.1:
posterior rasters and error-radius stand-ins, batch with an error row, the
GeoPackage cache, own layers instead of PDOK, a view cone, a broken service."""
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from qgis.core import QgsFeature, QgsGeometry, QgsPointXY, QgsRasterLayer, QgsVectorLayer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pdok_fixture import PdokFixtureServer, neighbourhood  # noqa: E402
from qgis_helpers import qgis_process, run_algorithm  # noqa: E402

from geopin.geopin_plugin import result_layers as rl  # noqa: E402
from geopin.geopin_plugin import result_styles  # noqa: E402
from geopin.geopin_plugin.engine.pdok.parcels import DensityGrid  # noqa: E402

CENTRE = (121000.0, 487000.0)
PHOTO_A = (CENTRE[0] + 4.0, CENTRE[1] + 33.0)  # in the street north of the middle block
PHOTO_B = (CENTRE[0] - 40.0, CENTRE[1] - 33.0)


@pytest.fixture
def server():
    with PdokFixtureServer(CENTRE) as srv:
        yield srv


def estimates_layer():
    layer = QgsVectorLayer("Point?crs=EPSG:28992", "estimates", "memory")
    layer.dataProvider().addAttributes(rl.estimate_fields().toList())
    layer.updateFields()
    feats = []
    for name, xy, radius, label in (("a.jpg", PHOTO_A, 6.0, "confident"), ("b.jpg", PHOTO_B, 10.0, "uncertain"),
                                    ("broken.jpg", None, None, "error")):
        f = QgsFeature(layer.fields())
        if xy:
            f.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(*xy)))
        f["photo"], f["label"], f["error_radius_m"] = name, label, radius
        feats.append(f)
    layer.dataProvider().addFeatures(feats)
    return layer


def posterior_raster(tmp_path):
    g = DensityGrid.gaussian(*PHOTO_A, error_radius_m=6.0, mass=0.9)
    path = rl.write_posterior_geotiff(tmp_path / "posterior.tif", g.grid.astype(np.float32), g.geotransform)
    layer = QgsRasterLayer(str(path), "posterior")
    assert layer.isValid()
    return layer


def run(params):
    from geopin.processing.what_is_in_view import WhatIsInView

    results, ok, messages, context = run_algorithm(WhatIsInView(), params)
    assert ok, messages
    layers = {k: context.takeResultLayer(results[k]) for k in ("OUTPUT_PARCELS", "OUTPUT_BUILDINGS", "OUTPUT_ADDRESSES")}
    return results, layers, messages


def base_params(server, tmp_path, **extra):
    params = {"ESTIMATES": estimates_layer(), "POSTERIORS": [posterior_raster(tmp_path)],
              "BRK_URL": server.base_urls["brk"], "BGT_URL": server.base_urls["bgt"],
              "BAG_URL": server.base_urls["bag"], "CACHE": str(tmp_path / "pdok_cache.gpkg"),
              "OUTPUT_PARCELS": "memory:", "OUTPUT_BUILDINGS": "memory:", "OUTPUT_ADDRESSES": "memory:"}
    params.update(extra)
    return params


def by_photo(layer, photo):
    return sorted((f for f in layer.getFeatures() if f["photo"] == photo), key=lambda f: f["rank"])


def test_pdok_answer_per_photo_with_probabilities(server, tmp_path):
    results, layers, messages = run(base_params(server, tmp_path))
    assert results["PHOTOS"] == 2 and results["FAILED"] == 0
    for layer in layers.values():
        assert layer.crs().authid() == "EPSG:28992" and layer.featureCount() > 0
    parcels_a = by_photo(layers["OUTPUT_PARCELS"], "a.jpg")
    assert parcels_a[0]["aanduiding"] == "Fixturedam K 9000", "the street parcel under the posterior peak"
    assert parcels_a[0].geometry().contains(QgsGeometry.fromPointXY(QgsPointXY(*PHOTO_A)))
    assert sum(f["probability"] for f in parcels_a) <= 0.9 + 1e-6, "the raster holds 0.9"
    buildings_a = by_photo(layers["OUTPUT_BUILDINGS"], "a.jpg")
    assert buildings_a[0]["bag_pand_id"].startswith("0363100") and buildings_a[0]["dist_m"] < 10
    assert sum(f["probability"] for f in buildings_a) <= 0.9 + 1e-6
    addresses_a = by_photo(layers["OUTPUT_ADDRESSES"], "a.jpg")
    top = addresses_a[0]
    assert top["bag_pand_id"] == buildings_a[0]["bag_pand_id"] and top["probability"] == buildings_a[0]["probability"]
    assert top["street"].startswith("Fixturestraat") and top["postcode"].endswith("FX") and top["city"] == "Fixturedam"
    # photo b has no raster: its error radius stands in, mass 1
    parcels_b = by_photo(layers["OUTPUT_PARCELS"], "b.jpg")
    assert parcels_b and sum(f["probability"] for f in parcels_b) <= 1.0 + 1e-6
    assert any("error radius" in m for _, m in messages)
    assert any("broken.jpg" in m and "skipped" in m for _, m in messages)
    assert result_styles.apply_style(layers["OUTPUT_PARCELS"], "parcels")
    # a second run is answered from the GeoPackage cache: no request reaches the server
    n = len(server.state.log)
    run(base_params(server, tmp_path))
    assert len(server.state.log) == n


def test_own_layers_instead_of_pdok(server, tmp_path):
    data = neighbourhood(*CENTRE)
    layers = {}
    for key, features in (("PARCELS", data["brk"]["perceel"]), ("BUILDINGS", data["bgt"]["pand"]),
                          ("ADDRESSES", data["bag"]["verblijfsobject"])):
        path = tmp_path / f"{key.lower()}.geojson"
        path.write_text(json.dumps({"type": "FeatureCollection", "features": features,
                                    "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::28992"}}}))
        layers[key] = QgsVectorLayer(str(path), key, "ogr")
        assert layers[key].isValid() and layers[key].crs().authid() == "EPSG:28992"
    params = base_params(server, tmp_path, DATA=1, **layers)
    results, out, _ = run(params)
    assert results["PHOTOS"] == 2
    assert server.state.log == [], "own layers: PDOK is not asked"
    buildings = by_photo(out["OUTPUT_BUILDINGS"], "a.jpg")
    assert buildings[0]["bag_pand_id"].startswith("0363100"), "BGT pand carries the BAG id"
    assert by_photo(out["OUTPUT_ADDRESSES"], "a.jpg")[0]["bag_pand_id"] == buildings[0]["bag_pand_id"]


def test_view_cone_limits_buildings(server, tmp_path):
    cone = QgsVectorLayer("Polygon?crs=EPSG:28992&field=photo:string", "cones", "memory")
    f = QgsFeature(cone.fields())
    x, y = PHOTO_A
    f.setGeometry(QgsGeometry.fromPolygonXY([[QgsPointXY(x, y), QgsPointXY(x - 30, y + 60),
                                              QgsPointXY(x + 30, y + 60), QgsPointXY(x, y)]]))
    f["photo"] = "a.jpg"
    cone.dataProvider().addFeatures([f])
    _, layers, _ = run(base_params(server, tmp_path, VIEW_CONES=cone))
    buildings = by_photo(layers["OUTPUT_BUILDINGS"], "a.jpg")
    assert buildings and all(b.geometry().centroid().asPoint().y() > y for b in buildings), "only north, in the cone"


def test_a_broken_service_fails_one_photo_clearly(server, tmp_path):
    server.state.behaviour.malformed = True
    results, layers, messages = run(base_params(server, tmp_path))
    assert results["PHOTOS"] == 0 and results["FAILED"] == 2
    errors = [m for kind, m in messages if kind == "error"]
    assert any("a.jpg" in m and "malformed JSON" in m for m in errors)


def test_qgis_process_runs_it(server, tmp_path):
    est = tmp_path / "estimates.gpkg"
    from qgis.core import QgsCoordinateTransformContext, QgsVectorFileWriter

    opts = QgsVectorFileWriter.SaveVectorOptions()
    opts.driverName = "GPKG"
    QgsVectorFileWriter.writeAsVectorFormatV3(estimates_layer(), str(est), QgsCoordinateTransformContext(), opts)
    raster = posterior_raster(tmp_path)
    parcels = tmp_path / "parcels.gpkg"
    proc = qgis_process("run", "geopin:whatisinview", "--json", "--",
                        f"ESTIMATES={est}", f"POSTERIORS={raster.source()}", f"BRK_URL={server.base_urls['brk']}",
                        f"BGT_URL={server.base_urls['bgt']}", f"BAG_URL={server.base_urls['bag']}",
                        f"CACHE={tmp_path / 'cache.gpkg'}", f"OUTPUT_PARCELS={parcels}",
                        f"OUTPUT_BUILDINGS={tmp_path / 'buildings.gpkg'}",
                        f"OUTPUT_ADDRESSES={tmp_path / 'addresses.gpkg'}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout[proc.stdout.index("{"):])
    assert out["results"]["PHOTOS"] == 2 and out["results"]["FAILED"] == 0
    layer = QgsVectorLayer(str(parcels), "parcels", "ogr")
    assert layer.isValid() and layer.crs().authid() == "EPSG:28992" and layer.featureCount() > 0
