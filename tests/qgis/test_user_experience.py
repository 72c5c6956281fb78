"""GeoPin as a QGIS user meets it (issue 16), in the real QgsApplication offscreen:
map context (background map from a local tile server, reference coverage) in a
"GeoPin" group, the zoom after QGIS's own first-layer zoom, batch runs without
false "not correctly generated" errors, an honest "no match", Processing names,
groups and help, and the dock's several photos, advanced settings and saving."""
import sys
import time
from pathlib import Path

import pytest
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsMapRendererSequentialJob,
    QgsMapSettings,
    QgsPointXY,
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProcessingOutputLayerDefinition,
    QgsRectangle,
    QgsVectorLayer,
)
from qgis.gui import QgsLayerTreeMapCanvasBridge
from qgis.PyQt.QtCore import QCoreApplication, QSize

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import geolocation_db  # noqa: E402
from qgis_helpers import wait_for  # noqa: E402
from tile_server import PAPER, GRID, TileServer  # noqa: E402

pytestmark = pytest.mark.timeout(900)
RD = QgsCoordinateReferenceSystem("EPSG:28992")
MERCATOR = QgsCoordinateReferenceSystem("EPSG:3857")



def settle(seconds=0.3):
    end = time.time() + seconds
    while time.time() < end:
        QCoreApplication.processEvents()
        time.sleep(0.01)


def run_dock(dock, photos, db):
    dock.set_database(str(db))
    dock.clear_photos()
    dock.add_photos([str(p) for p in photos])
    assert dock.locate() is not None
    wait_for(lambda: dock.task is None)
    settle()


# --- 1. map context -------------------------------------------------------------------
def test_background_map_and_coverage_in_a_geopin_group(qgis_app, project, small_db):
    from geopin.geopin_plugin import settings
    from geopin.geopin_plugin.gui.map_context import add_map_context

    db = small_db[0]
    settings.set_value("background_map", "")
    layers = add_map_context(str(db), project=project)  # no background chosen: nothing to download
    assert len(layers) == 1
    coverage = layers[0]
    group = project.layerTreeRoot().findGroup("GeoPin")
    assert [n.layer() for n in group.findLayers()] == [coverage]
    assert coverage.featureCount() == 8 * len(geolocation_db.PANOS)
    assert "capture_time" in coverage.mapTipTemplate() and coverage.renderer().type() == "singleSymbol"

    with TileServer() as server:
        settings.set_value("pdok_tile_url", server.url)
        try:
            background = add_map_context(str(db), "pdok", project=project)[1]
            assert add_map_context(str(db), "pdok", project=project)[1] is background  # added once
            assert [n.layer() for n in group.findLayers()] == [coverage, background]  # background at the bottom
            assert background.isValid() and "127.0.0.1" in background.source()
            # draw it: the tiles come from the local server, nothing else is asked
            centre = QgsCoordinateTransform(RD, MERCATOR, project).transform(QgsPointXY(coverage.extent().center()))
            ms = QgsMapSettings()
            ms.setDestinationCrs(MERCATOR)
            ms.setOutputSize(QSize(256, 256))
            ms.setExtent(QgsRectangle(centre.x() - 300, centre.y() - 300, centre.x() + 300, centre.y() + 300))
            ms.setLayers([background])
            job = QgsMapRendererSequentialJob(ms)
            job.start()
            job.waitForFinished()
            image = job.renderedImage()
            colours = {image.pixelColor(x, y).getRgb()[:3] for x in range(0, 256, 16) for y in range(0, 256, 16)}
            assert PAPER in colours or GRID in colours, colours
            assert server.requests and all(z >= 14 for z, _, _ in server.requests)
        finally:
            settings.set_value("pdok_tile_url", "")


# --- 2. zoom, 4. no match, 8. dock ------------------------------------------------------
def test_first_locate_in_a_fresh_project_zooms_to_the_footprint(qgis_app, qgis_iface, qgis_canvas, project,
                                                              small_db):
    from geopin.geopin_plugin.gui.dock import GeoPinDock

    db, _, query, _ = small_db
    qgis_canvas.setDestinationCrs(MERCATOR)
    qgis_canvas.setExtent(QgsRectangle(0, 6e6, 1e6, 7e6))
    bridge = QgsLayerTreeMapCanvasBridge(project.layerTreeRoot(), qgis_canvas)  # QGIS's zoom-to-first-layer
    bridge.setAutoSetupOnFirstLayer(True)
    dock = GeoPinDock(qgis_iface)
    try:
        run_dock(dock, [query], db)
        result = dock.result
        assert result.label == "confident"
        to_canvas = QgsCoordinateTransform(RD, MERCATOR, project)
        footprint = QgsRectangle()
        footprint.setMinimal()
        for ring in result.footprints[0.9]:
            for x, y in ring:
                footprint.combineExtentWith(float(x), float(y))
        extent = qgis_canvas.extent()
        assert extent.contains(to_canvas.transformBoundingBox(footprint))
        assert extent.width() < 1000, extent.toString()  # not all 40 candidates (QGIS's own zoom)
    finally:
        dock.close_and_cleanup()
        del bridge


def test_no_match_is_not_an_answer_and_far_exif_is_said_first(qgis_app, qgis_iface, project, small_db,
                                                              datasets_dir):
    from geopin.geopin_plugin.gui.dock import GeoPinDock

    db = small_db[0]
    lund = datasets_dir / "lund" / "01.jpg"  # EXIF GPS in Sweden
    dock = GeoPinDock(qgis_iface)
    try:
        run_dock(dock, [lund], db)
        result = dock.result
        assert result.label == "no match"
        lines = dock.summary_label.text().splitlines()
        assert "outside this database's coverage" in lines[0] and "km" in lines[0]
        assert lines[1].startswith("Not located") and "Estimate" not in dock.summary_label.text()
        estimate, candidates, footprints = dock.result_layers[:3]
        feature = next(estimate.getFeatures())
        # no position (read back from the dock's GeoPackage, a missing point is an empty geometry)
        assert (not feature.hasGeometry() or feature.geometry().isEmpty()) and feature["label"] == "no match"
        assert feature["coverage_dist_m"] > 5e5
        assert candidates.featureCount() == len(result.candidates) > 0  # kept for inspection
        assert footprints.featureCount() == 0 and len(dock.result_layers) == 3  # no posterior
    finally:
        dock.close_and_cleanup()


def test_dock_several_photos_advanced_settings_and_save(qgis_app, qgis_iface, qgis_canvas, project, small_db,
                                                        tmp_path):
    from geopin.geopin_plugin import settings
    from geopin.geopin_plugin.gui.dock import GeoPinDock

    db, (lat, lon), query, unlocated = small_db
    dock = GeoPinDock(qgis_iface)
    try:
        dock.advanced.top_k.setValue(30)
        dock.advanced.verify_top.setValue(10)
        assert settings.value("top_k") == 30 and settings.value("verify_top") == 10
        run_dock(dock, [query, unlocated], db)
        assert set(dock.results) == {str(query), str(unlocated)}
        for photo in (query, unlocated):
            group = project.layerTreeRoot().findGroup(f"GeoPin: {photo.name}")
            assert group is not None and len(group.findLayers()) >= 3
            assert len(dock.results[str(photo)].result.candidates) == 30
        estimate = dock.results[str(query)].layers[0]
        assert next(estimate.getFeatures())["photo"] == str(query)  # the full path
        # the GeoPin log tab gets the successful runs
        # (the plugin bridges the "geopin" logger to QgsMessageLog; its text is checked here)
        dock.photos_list.setCurrentRow(1)
        assert dock.current.photo == str(unlocated)

        # "Save results…": a GeoPackage the project's layers then read from
        out = tmp_path / "results.gpkg"
        written = dock.save_results(str(out))
        assert written["estimates"] == 2 and written["candidates"] == 60
        saved = QgsVectorLayer(f"{out}|layername=estimates", "e", "ogr")
        assert sorted(f["photo"] for f in saved.getFeatures()) == sorted([str(query), str(unlocated)])
        assert estimate.providerType() == "ogr" and len(list(estimate.getFeatures())) == 1
        assert all(Path(p).exists() for p in written.get("posterior", []))

        # a search area: the map extent around the Overtoom crossroads keeps only its three panoramas
        from geopin.geopin_plugin.engine.geo import wgs84_to_rd

        x, y = wgs84_to_rd(lat, lon)
        qgis_canvas.setDestinationCrs(RD)
        qgis_canvas.setExtent(QgsRectangle(x - 150, y - 150, x + 150, y + 150))
        dock.advanced.set_area("extent")
        run_dock(dock, [query], db)
        assert len(dock.result.candidates) == min(30, 8 * 3)
        dock.advanced.set_area("")
        # an error goes to the message bar too
        dock.set_database(str(tmp_path / "missing.gpkg"))
        dock.add_photos([str(query)])
        assert dock.locate() is None
        assert "database" in dock.stage_label.text()
    finally:
        settings.set_value("top_k", settings.DEFAULTS["top_k"])
        settings.set_value("verify_top", settings.DEFAULTS["verify_top"])
        settings.set_value("search_area", "")
        dock.close_and_cleanup()


# --- 3. and 7. Processing ------------------------------------------------------------
def test_batch_row_with_skipped_outputs_loads_without_false_errors(qgis_app, project, small_db, tmp_path):
    from processing.gui.Postprocessing import handleAlgorithmResults

    from geopin.processing.geolocate_photos import GeolocatePhotos

    db, _, query, unlocated = small_db
    alg = GeolocatePhotos()
    alg.initAlgorithm()
    # only OUTPUT_ESTIMATES: the others are optional
    context = QgsProcessingContext()
    context.setProject(project)
    results, ok = alg.run({"INPUT": [str(query)], "DATABASE": str(db),
                           "OUTPUT_ESTIMATES": str(tmp_path / "only.gpkg")}, context, QgsProcessingFeedback())
    assert ok and Path(tmp_path / "only.gpkg").exists() and "OUTPUT_CANDIDATES" not in results

    # a batch-dialog row: every output a definition, the skipped ones with an empty sink
    context = QgsProcessingContext()
    context.setProject(project)
    params = {"INPUT": [str(query), str(unlocated)], "DATABASE": str(db),
              "OUTPUT_ESTIMATES": QgsProcessingOutputLayerDefinition(str(tmp_path / "e.gpkg"), project),
              "OUTPUT_CANDIDATES": QgsProcessingOutputLayerDefinition("", project),
              "OUTPUT_FOOTPRINTS": QgsProcessingOutputLayerDefinition(str(tmp_path / "f.gpkg"), project),
              "OUTPUT_POSTERIOR": QgsProcessingOutputLayerDefinition("", project)}
    results, ok = alg.run(params, context, QgsProcessingFeedback())
    assert ok
    assert all(key for key in context.layersToLoadOnCompletion())  # no empty name to load
    assert handleAlgorithmResults(alg, context, QgsProcessingFeedback(), parameters=params)  # no wrong layers
    group = project.layerTreeRoot().findGroup("GeoPin: 2 photos")
    assert group is not None
    names = sorted(n.layer().name() for n in group.findLayers())
    assert names == ["GeoPin estimates — 2 photos", "GeoPin footprints — 2 photos"]


def test_every_posterior_of_a_batch_is_loaded_and_named(qgis_app, project, small_db, tmp_path):
    from processing.gui.Postprocessing import handleAlgorithmResults

    from geopin.processing.geolocate_photos import GeolocatePhotos

    db, _, query, _ = small_db
    twin = tmp_path / "twin.jpg"
    twin.write_bytes(Path(query).read_bytes())
    alg = GeolocatePhotos()
    alg.initAlgorithm()
    context = QgsProcessingContext()
    context.setProject(project)
    params = {"INPUT": [str(query), str(twin)], "DATABASE": str(db),
              "OUTPUT_ESTIMATES": QgsProcessingOutputLayerDefinition("memory:", project),
              "OUTPUT_POSTERIOR": QgsProcessingOutputLayerDefinition(str(tmp_path / "p.tif"), project)}
    results, ok = alg.run(params, context, QgsProcessingFeedback())
    assert ok
    assert handleAlgorithmResults(alg, context, QgsProcessingFeedback(), parameters=params)
    names = sorted(layer.name() for layer in project.mapLayers().values())
    assert f"GeoPin posterior density — {query.name}" in names and "GeoPin posterior density — twin.jpg" in names
    assert "GeoPin estimates — 2 photos" in names


def test_processing_help_and_remembered_database(qgis_app, small_db):
    from qgis.PyQt.QtCore import QUrl

    from geopin.geopin_plugin import settings
    from geopin.processing.provider import GeoPinProvider

    settings.set_value("database", str(small_db[0]))
    provider = GeoPinProvider()
    provider.refreshAlgorithms()
    for alg in provider.algorithms():
        url = QUrl(alg.helpUrl())
        assert url.isLocalFile() and Path(url.toLocalFile()).name == "README.html" and url.fragment()
        assert Path(url.toLocalFile()).exists()
    alg = provider.algorithm("geolocatephotos").create()
    alg.initAlgorithm()
    assert alg.parameterDefinition("DATABASE").defaultValue() == str(small_db[0])
    assert alg.parameterDefinition("OUTPUT_CANDIDATES").flags() & alg.parameterDefinition(
        "OUTPUT_CANDIDATES").FlagOptional
    assert "Candidates verified per photo" in alg.shortHelpString() and "VERIFY_TOP" not in alg.shortHelpString()
    if hasattr(alg.parameterDefinition("TOP_K"), "help"):
        assert "reference views" in alg.parameterDefinition("TOP_K").help()
    settings.set_value("database", "")
