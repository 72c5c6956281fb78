"""geopin:geolocatephotos and the dock panel on a small real Amsterdam database:
batch with an unreadable photo, styled outputs in EPSG:28992, area filter,
qgis_process (done-when), and the dock driven offscreen through a full locate."""
import json
import math
import os
import sys
from pathlib import Path

import pytest
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsFeature,
    QgsGeometry,
    QgsPointXY,
    QgsProcessingOutputLayerDefinition,
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProject,
    QgsRasterLayer,
    QgsSymbolLayer,
    QgsUnitTypes,
    QgsVectorLayer,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import geolocation_db  # noqa: E402
import qgis_helpers  # noqa: E402
from qgis_helpers import wait_for  # noqa: E402

from geopin.geopin_plugin.engine.geo import geodesic_distance_m, wgs84_to_rd  # noqa: E402

pytestmark = pytest.mark.timeout(900)


def run_algorithm(params):
    from geopin.processing.geolocate_photos import GeolocatePhotos

    return qgis_helpers.run_algorithm(GeolocatePhotos(), params)


def features(path_or_layer):
    layer = path_or_layer if isinstance(path_or_layer, QgsVectorLayer) else QgsVectorLayer(str(path_or_layer), "t", "ogr")
    assert layer.isValid(), path_or_layer
    return layer, list(layer.getFeatures())


def test_batch_with_a_bad_photo_writes_all_outputs(qgis_app, small_db, tmp_path, datasets_dir):
    db, (lat, lon), query, unlocated = small_db
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    lund = datasets_dir / "lund" / "01.jpg"  # a photo with EXIF GPS (Sweden: far from the database)
    out = {k: str(tmp_path / f"{k}.gpkg") for k in ("cand", "est", "fp")}
    params = {
        "INPUT": [str(query), str(broken), str(unlocated), str(lund)],
        "DATABASE": str(db),
        "TOP_K": 100,
        "VERIFY_TOP": 50,
        "OUTPUT_CANDIDATES": out["cand"],
        "OUTPUT_ESTIMATES": out["est"],
        "OUTPUT_FOOTPRINTS": out["fp"],
        "OUTPUT_POSTERIOR": str(tmp_path / "posterior.tif"),
    }
    results, ok, messages, _ = run_algorithm(params)
    assert ok, messages
    assert results["FAILED"] == 1 and results["CONFIDENT"] == 1
    assert any(kind == "error" and "broken.jpg" in text for kind, text in messages)

    est_layer, est = features(out["est"])
    assert est_layer.crs().authid() == "EPSG:28992"
    by_photo = {f["photo_name"]: f for f in est}
    assert set(by_photo) == {query.name, broken.name, unlocated.name, lund.name}
    assert by_photo[query.name]["photo"] == str(query)  # the full path, the name beside it
    with_gps = by_photo[lund.name]  # its EXIF position and how far that is from the database's coverage
    assert with_gps["exif_lat"] == pytest.approx(55.7, abs=0.1) and with_gps["coverage_dist_m"] > 500_000
    assert any("EXIF position" in text and lund.name in text and "coverage" in text for _, text in messages)
    assert with_gps["label"] != "confident"
    assert by_photo[query.name]["exif_lat"] is None or str(by_photo[query.name]["exif_lat"]) == "NULL"
    good = by_photo[query.name]
    assert good["label"] == "confident" and good["n_verified"] >= 1
    x, y = wgs84_to_rd(lat, lon)
    point = good.geometry().asPoint()
    # the right place at amsterdam-lopo's 50 m: without a focal length this 65 deg view's
    # FOV guess (80 deg) puts its triangulation 26 m off (tests/engine/test_pipeline.py)
    assert ((point.x() - x) ** 2 + (point.y() - y) ** 2) ** 0.5 <= 50.0
    assert geodesic_distance_m(lat, lon, good["lat"], good["lon"]) <= 50.0
    assert 0 < good["confidence"] <= 1 and good["error_radius_m"] > 0
    bad = by_photo[broken.name]
    assert bad["label"] == "error" and bad["error"]
    assert not bad.hasGeometry() or bad.geometry().isEmpty()  # no position for it
    assert by_photo[unlocated.name]["label"] != "confident"

    cand_layer, cands = features(out["cand"])
    assert cand_layer.crs().authid() == "EPSG:28992"
    mine = [f for f in cands if f["photo_name"] == query.name]
    assert len(mine) == 8 * len(geolocation_db.PANOS)
    top = min(mine, key=lambda f: f["rank"])
    assert top["verified"] and top["inliers"] >= 20 and top["source"] == "amsterdam-panorama"
    assert os.path.exists(top["ref_image"]) and top["dist_to_estimate"] < 30

    fp_layer, fps = features(out["fp"])
    assert fp_layer.crs().authid() == "EPSG:28992"
    levels = sorted({f["level"] for f in fps if f["photo_name"] == query.name})
    assert levels == [0.5, 0.9]
    fp50 = [f for f in fps if f["photo_name"] == query.name and f["level"] == 0.5][0]
    assert fp50.geometry().distance(QgsGeometry.fromPointXY(point)) < 15  # 0 when inside

    raster = QgsRasterLayer(str(tmp_path / "posterior.tif"), "p")
    assert raster.isValid() and raster.crs().authid() == "EPSG:28992"
    # one posterior per located photo; a "no match" has no point, no footprint, no posterior
    located = [f for f in est if f["label"] in ("confident", "uncertain")]
    assert all(f.hasGeometry() for f in located)
    assert results["LOCATED"] == len(located)  # a "no match" is not located (issue 25)
    for f in est:
        if f["label"] == "no match":
            assert (not f.hasGeometry() or f.geometry().isEmpty()) and str(f["lat"]) == "NULL"
            assert not [g for g in fps if g["photo"] == f["photo"]]
    assert sorted(p.name for p in tmp_path.glob("posterior*.tif")) == (
        ["posterior.tif"] + [f"posterior_{i}.tif" for i in range(2, len(located) + 1)])


def test_outputs_are_styled_when_loaded(qgis_app, small_db):
    from geopin.processing.geolocate_photos import GeolocatePhotos

    db, _, query, _ = small_db
    alg = GeolocatePhotos()
    alg.initAlgorithm()
    project = QgsProject.instance()
    context = QgsProcessingContext()
    context.setProject(project)
    params = {"INPUT": [str(query)], "DATABASE": str(db)}
    for name in ("OUTPUT_CANDIDATES", "OUTPUT_ESTIMATES", "OUTPUT_FOOTPRINTS"):
        params[name] = QgsProcessingOutputLayerDefinition("memory:", project)  # "load into project"
    results, ok = alg.run(params, context, QgsProcessingFeedback())
    assert ok
    # what Processing does on completion: load, then run the post-processors
    for dest, details in context.layersToLoadOnCompletion().items():
        layer = context.getMapLayer(dest)
        assert layer is not None
        details.postProcessor().postProcessLayer(layer, context, QgsProcessingFeedback())
    est = context.getMapLayer(results["OUTPUT_ESTIMATES"])
    cand = context.getMapLayer(results["OUTPUT_CANDIDATES"])
    fp = context.getMapLayer(results["OUTPUT_FOOTPRINTS"])
    assert est.renderer().type() == "categorizedSymbol" and est.renderer().classAttribute() == "label"
    # the error circle: a circle 2 * error_radius_m across in map units (with a mm floor)
    categories = est.renderer().categories()  # keep the copies alive while their symbols are read
    symbol = categories[0].symbol()
    kinds = [(symbol.symbolLayer(i).layerType(), symbol.symbolLayer(i).sizeUnit(),
              symbol.symbolLayer(i).dataDefinedProperties().property(QgsSymbolLayer.PropertySize).expressionString())
             for i in range(symbol.symbolLayerCount())]
    assert any(kind == "SimpleMarker" and unit == QgsUnitTypes.RenderMapUnits and "error_radius_m" in expr
               for kind, unit, expr in kinds), kinds
    assert cand.renderer().type() == "graduatedSymbol" and cand.renderer().classAttribute() == "similarity"
    assert fp.renderer().type() == "categorizedSymbol" and fp.renderer().classAttribute() == "level"


def test_area_in_another_crs_restricts_the_search(qgis_app, small_db, tmp_path):
    db, (lat, lon), query, _ = small_db
    # a WGS84 polygon ~300 m around the Overtoom crossroads (excludes the other places)
    d = 0.003
    area = QgsVectorLayer("Polygon?crs=EPSG:4326", "area", "memory")
    f = QgsFeature()
    f.setGeometry(QgsGeometry.fromPolygonXY([[QgsPointXY(lon - d, lat - d), QgsPointXY(lon + d, lat - d),
                                              QgsPointXY(lon + d, lat + d), QgsPointXY(lon - d, lat + d)]]))
    area.dataProvider().addFeatures([f])
    params = {"INPUT": [str(query)], "DATABASE": str(db), "AREA": area,
              "OUTPUT_CANDIDATES": str(tmp_path / "c.gpkg"), "OUTPUT_ESTIMATES": str(tmp_path / "e.gpkg"),
              "OUTPUT_FOOTPRINTS": str(tmp_path / "f.gpkg")}
    results, ok, messages, _ = run_algorithm(params)
    assert ok, messages
    _, cands = features(tmp_path / "c.gpkg")
    assert len(cands) == 8 * 3  # only the three Overtoom panoramas lie inside
    _, est = features(tmp_path / "e.gpkg")
    assert est[0]["label"] == "confident"


def test_incompatible_database_is_a_clear_error(qgis_app, tmp_path, small_db):
    from qgis.core import QgsProcessingException

    bad = tmp_path / "empty.gpkg"
    bad.write_bytes(b"")
    params = {"INPUT": [str(small_db[2])], "DATABASE": str(bad), "OUTPUT_CANDIDATES": "memory:",
              "OUTPUT_ESTIMATES": "memory:", "OUTPUT_FOOTPRINTS": "memory:"}
    from geopin.processing.geolocate_photos import GeolocatePhotos

    alg = GeolocatePhotos()
    alg.initAlgorithm()
    context = QgsProcessingContext()
    with pytest.raises(QgsProcessingException, match="reference database"):
        alg.processAlgorithm(params, context, QgsProcessingFeedback())


def test_qgis_process_run_done_when(small_db, tmp_path):
    """The issue's done-when through scripts/qgis_process: Overtoom view within 25 m,
    confident; the unlocated view not confident. With OUTPUT_VIEWCONES (issue 13): a
    cone for the Overtoom view, from its estimate along its heading; none for the other."""
    db, (lat, lon), query, unlocated = small_db
    est = tmp_path / "est.gpkg"
    cones = tmp_path / "cones.gpkg"
    proc = qgis_helpers.qgis_process("run", "geopin:geolocatephotos", "--json", "--",
                                     f"INPUT={query}", f"INPUT={unlocated}", f"DATABASE={db}",
                                     f"OUTPUT_CANDIDATES={tmp_path / 'cand.gpkg'}", f"OUTPUT_ESTIMATES={est}",
                                     f"OUTPUT_FOOTPRINTS={tmp_path / 'fp.gpkg'}", f"OUTPUT_VIEWCONES={cones}",
                                     timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout[proc.stdout.index("{"):])
    assert out["results"]["CONFIDENT"] == 1
    _, rows = features(est)
    by_photo = {f["photo_name"]: f for f in rows}
    assert out["results"]["LOCATED"] == sum(f["label"] in ("confident", "uncertain") for f in rows)
    good = by_photo[query.name]
    assert good["label"] == "confident"
    assert geodesic_distance_m(lat, lon, good["lat"], good["lon"]) <= 50.0  # the right place (see above)
    assert by_photo[unlocated.name]["label"] in ("uncertain", "no match")
    assert "OUTPUT_VIEWCONES" in out["results"]
    _, cone_rows = features(cones)
    assert [f["photo_name"] for f in cone_rows] == [query.name]
    ring = cone_rows[0].geometry().asPolygon()[0]
    assert ring[0].distance(good.geometry().asPoint()) < 1e-6  # apex at the estimate
    middle = ring[len(ring) // 2]  # the arc vertex on the heading
    bearing = math.degrees(math.atan2(middle.x() - ring[0].x(), middle.y() - ring[0].y())) % 360.0
    assert abs((bearing - good["heading_deg"] + 180.0) % 360.0 - 180.0) < 0.1


# --- the dock ---------------------------------------------------------------------------
def test_dock_full_locate_adds_layers_and_zooms(qgis_app, qgis_iface, qgis_canvas, small_db):
    from geopin.geopin_plugin.gui.dock import GeoPinDock
    from geopin.geopin_plugin.gui.match_viewer import MatchViewer

    db, (lat, lon), query, _ = small_db
    project = QgsProject.instance()
    project.clear()
    mercator = QgsCoordinateReferenceSystem("EPSG:3857")  # a project CRS other than RD New
    project.setCrs(mercator)
    qgis_canvas.setDestinationCrs(mercator)

    dock = GeoPinDock(qgis_iface)
    try:
        dock.set_database(str(db))
        dock.set_photo(str(query))
        assert dock.drop_area.pixmap() is not None and not dock.drop_area.pixmap().isNull()
        assert query.name in dock.exif_label.text()
        assert dock.locate_button.isEnabled()
        stages = []
        task = dock.locate()
        task.stage_changed.connect(lambda stage, overall, message: stages.append((stage, message)))
        assert dock.cancel_button.isEnabled() and not dock.locate_button.isEnabled()
        wait_for(lambda: dock.task is None)
        result = dock.result
        assert result is not None, dock.stage_label.text()
        assert result.label == "confident"
        assert geodesic_distance_m(lat, lon, result.lat, result.lon) <= 50.0  # the right place (see above)
        assert dock.progress.value() == 100
        assert {"verify", "posterior"} <= {s for s, _ in stages}

        # the layers it adds: a group with estimate, candidates, view cone, footprints, posterior
        group = project.layerTreeRoot().findGroup(f"GeoPin: {query.name}")
        assert group is not None
        names = [node.layer().name() for node in group.findLayers()]
        assert names == [f"{kind} — {query.name}" for kind in  # named after the photo (issue 25)
                         ("Estimate", "Candidates", "View cone", "Footprints", "Posterior density")]
        layers = {node.layer().name().split(" — ")[0]: node.layer() for node in group.findLayers()}
        for layer in layers.values():
            assert layer.isValid() and layer.crs().authid() == "EPSG:28992"
        assert layers["Candidates"].featureCount() == len(result.candidates)
        assert layers["Estimate"].featureCount() == 1
        assert next(layers["Estimate"].getFeatures())["label"] == "confident"
        assert layers["Footprints"].featureCount() == 2
        assert layers["Estimate"].renderer().type() == "categorizedSymbol"

        # the canvas (EPSG:3857) was zoomed onto the estimate
        to_canvas = QgsCoordinateTransform(QgsCoordinateReferenceSystem("EPSG:28992"), mercator,
                                           project.transformContext())
        est_canvas = to_canvas.transform(QgsPointXY(result.x, result.y))
        assert qgis_canvas.extent().contains(est_canvas)
        assert qgis_canvas.extent().width() < 1000

        # results list: thumbnails, similarity and inliers; a click zooms to that reference
        assert dock.results_list.count() == len(result.candidates)
        first = dock.results_list.item(0)
        assert "inliers" in first.text() and not first.icon().isNull()
        cand = result.candidates[1]
        dock.results_list.setCurrentRow(1)
        dock._result_clicked(dock.results_list.item(1))
        centre = qgis_canvas.extent().center()
        ref_canvas = to_canvas.transform(QgsPointXY(cand.view.x, cand.view.y))
        assert abs(centre.x() - ref_canvas.x()) < 2 and abs(centre.y() - ref_canvas.y()) < 2

        # the match viewer: query and reference side by side with inlier lines
        dock.results_list.setCurrentRow(0)
        assert dock.matches_button.isEnabled()
        viewer = dock.show_matches()
        assert isinstance(viewer, MatchViewer)
        assert viewer.picture.shape[0] == 480 and viewer.picture.shape[1] > 900
        viewer.close()
    finally:
        dock.close_and_cleanup()
        project.clear()


def test_dock_cancel(qgis_app, qgis_iface, small_db):
    from geopin.geopin_plugin.gui.dock import GeoPinDock

    dock = GeoPinDock(qgis_iface)
    try:
        dock.set_database(str(small_db[0]))
        dock.set_photo(str(small_db[2]))
        dock.locate()
        dock.cancel()
        wait_for(lambda: dock.task is None)
        assert dock.result is None
        assert dock.locate_button.isEnabled()
    finally:
        dock.close_and_cleanup()


def test_dock_reports_a_bad_database(qgis_app, qgis_iface, small_db, tmp_path):
    from geopin.geopin_plugin.gui.dock import GeoPinDock

    bad = tmp_path / "bad.gpkg"
    bad.write_bytes(b"SQLite format 3\x00 garbage")
    dock = GeoPinDock(qgis_iface)
    try:
        dock.set_database(str(bad))
        dock.set_photo(str(small_db[2]))
        dock.locate()
        wait_for(lambda: dock.task is None)
        assert dock.result is None
        assert "database" in dock.stage_label.text().lower()
    finally:
        dock.close_and_cleanup()


def test_dock_accepts_a_dropped_photo(qgis_app, qgis_iface, small_db):
    from qgis.PyQt.QtCore import QMimeData, QPoint, Qt, QUrl
    from qgis.PyQt.QtGui import QDragEnterEvent, QDropEvent

    from geopin.geopin_plugin.gui.dock import GeoPinDock

    query = small_db[2]
    dock = GeoPinDock(qgis_iface)
    try:
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(query))])
        enter = QDragEnterEvent(QPoint(5, 5), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
        dock.drop_area.dragEnterEvent(enter)
        assert enter.isAccepted()
        drop = QDropEvent(QPoint(5, 5), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
        dock.drop_area.dropEvent(drop)
        assert dock.photo_path == str(query)
        assert not dock.drop_area.pixmap().isNull()
        # a dragged non-file (text) is refused
        text = QMimeData()
        text.setText("not a file")
        refused = QDragEnterEvent(QPoint(5, 5), Qt.CopyAction, text, Qt.LeftButton, Qt.NoModifier)
        dock.drop_area.dragEnterEvent(refused)
        assert not refused.isAccepted()
    finally:
        dock.close_and_cleanup()


def test_folder_input(qgis_app, small_db, tmp_path):
    import shutil

    from geopin.processing.geolocate_photos import expand_inputs

    folder = tmp_path / "photos"
    folder.mkdir()
    shutil.copy(small_db[2], folder / "b_overtoom.jpg")
    shutil.copy(small_db[3], folder / "a_elsewhere.JPG")
    (folder / "notes.txt").write_text("not a photo")
    assert expand_inputs([str(folder)]) == [str(folder / "a_elsewhere.JPG"), str(folder / "b_overtoom.jpg")]
    params = {"INPUT": [str(folder)], "DATABASE": str(small_db[0]),
              "OUTPUT_CANDIDATES": "memory:", "OUTPUT_ESTIMATES": str(tmp_path / "e.gpkg"),
              "OUTPUT_FOOTPRINTS": "memory:"}
    results, ok, messages, _ = run_algorithm(params)
    assert ok, messages
    assert results["CONFIDENT"] == 1
    _, est = features(tmp_path / "e.gpkg")
    assert results["LOCATED"] == sum(f["label"] in ("confident", "uncertain") for f in est)
    assert sorted(f["photo_name"] for f in est) == ["a_elsewhere.JPG", "b_overtoom.jpg"]


def test_dock_says_when_reference_pictures_cannot_be_read(qgis_app, qgis_iface, small_db, monkeypatch):
    """A database without view copies whose sources moved: the answer stands, the
    thumbnails are missing and the dock says why (not only in the log)."""
    from geopin.geopin_plugin.engine.images import ImageError
    from geopin.geopin_plugin.engine.pipeline import Geolocator
    from geopin.geopin_plugin.gui.dock import GeoPinDock

    def moved(self, view_id):
        raise ImageError(f"the source image /gone/pano.jpg of this view cannot be read (view {view_id})")

    monkeypatch.setattr(Geolocator, "reference_image", moved)
    dock = GeoPinDock(qgis_iface)
    said = []
    monkeypatch.setattr(dock, "notify", lambda text, warning=False, error=False: said.append((text, warning)))
    try:
        dock.set_database(str(small_db[0]))
        dock.set_photo(str(small_db[2]))
        dock.locate()
        wait_for(lambda: dock.task is None)
        assert dock.result is not None and dock.result.label == "confident", dock.stage_label.text()
        warnings = [t for t, w in said if w]
        assert len(warnings) == 1 and "No picture for" in warnings[0] and "/gone/pano.jpg" in warnings[0]
        assert dock.results_list.count() == len(dock.result.candidates)
    finally:
        dock.close_and_cleanup()
