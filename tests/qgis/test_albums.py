"""Albums in geopin:geolocatephotos on the small real Amsterdam database: three views of
the left-out Overtoom panorama taken 4 s apart by one camera, the middle one motion
blurred so that it fails alone; the album places it (position_method "album", never
confident), the estimates carry album_id / album_position / album_label, the track
layer has one line through the album, styled with arrows; a photo without a capture
time is located alone with a note; ALBUMS = Off leaves every photo alone."""
import math
import sys
from pathlib import Path

import pytest
from qgis.core import QgsProcessingContext, QgsProcessingFeedback, QgsProcessingOutputLayerDefinition, QgsVectorLayer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import geolocation_db  # noqa: E402
import qgis_helpers  # noqa: E402

pytestmark = pytest.mark.timeout(900)


def _features(path):
    layer = QgsVectorLayer(str(path), "t", "ogr")
    assert layer.isValid(), path
    return {f["photo_name"] if "photo_name" in f.fields().names() else f["album_id"]: f for f in layer.getFeatures()}


@pytest.fixture(scope="module")
def walk(small_db, datasets_dir, tmp_path_factory):
    """(photos in capture order, the blurred one, truth (x, y) in RD) with EXIF times."""
    from PIL import Image

    from geopin.geopin_plugin.engine.geo import wgs84_to_rd
    from geopin.geopin_plugin.engine.images import load_image
    from geopin.geopin_plugin.engine.panorama import perspective_view
    from geopin.geopin_plugin.engine.evaluation.perturb import apply

    folder = tmp_path_factory.mktemp("album")
    row = geolocation_db.manifest(datasets_dir)[geolocation_db.LEFT_OUT]
    pano = load_image(Path(datasets_dir) / "amsterdam-panoramas" / row["file"])
    photos = []
    for k, (heading, blur) in enumerate(((157.5, False), (270.0, True), (180.0, False))):
        view = perspective_view(pano, heading, 65.0 if not blur else 90.0, (1024, 768))
        if blur:
            view = apply(view, "blur40", f"test-album-{heading}")
        path = folder / f"walk_{k + 1}.jpg"
        exif = Image.Exif()
        exif[271], exif[272] = "Acme", "Phone 1"
        exif[0x8769] = {36867: f"2024:05:01 10:00:{4 * k:02d}", 36881: "+02:00"}
        Image.fromarray(view).save(path, exif=exif, quality=92)
        photos.append(path)
    truth = tuple(float(v) for v in wgs84_to_rd(float(row["lat"]), float(row["lon"])))
    return photos, photos[1], truth


def test_a_blurred_photo_is_placed_by_its_album(qgis_app, small_db, walk, tmp_path):
    from geopin.processing.geolocate_photos import GeolocatePhotos

    db, _, _, unlocated = small_db
    photos, blurred, truth = walk
    params = {"INPUT": [str(p) for p in photos] + [str(unlocated)], "DATABASE": str(db)}
    alone_path = tmp_path / "alone.gpkg"
    _, ok, messages, _ = qgis_helpers.run_algorithm(GeolocatePhotos(), dict(
        params, ALBUMS=4, OUTPUT_ESTIMATES=str(alone_path)))
    assert ok, messages
    alone = _features(alone_path)
    assert alone[blurred.name]["label"] == "no match" and not alone[blurred.name]["album_id"]

    est_path, track_path = tmp_path / "est.gpkg", tmp_path / "track.gpkg"
    _, ok, messages, _ = qgis_helpers.run_algorithm(GeolocatePhotos(), dict(
        params, OUTPUT_ESTIMATES=str(est_path), OUTPUT_TRACK=str(track_path)))
    assert ok, messages
    est = _features(est_path)
    row = est[blurred.name]
    assert row["position_method"] == "album" and row["label"] == "uncertain" and row["album_label"] == "album"
    point = row.geometry().asPoint()
    error = math.hypot(point.x() - truth[0], point.y() - truth[1])
    assert error <= 50.0 and error <= row["error_radius_m"]
    assert [est[p.name]["album_position"] for p in photos] == [1, 2, 3]
    assert len({est[p.name]["album_id"] for p in photos}) == 1
    for p in (photos[0], photos[2]):  # located alone: kept as they were
        assert est[p.name]["position_method"] == alone[p.name]["position_method"] != "album"
        assert est[p.name].geometry().asPoint() == alone[p.name].geometry().asPoint()
    assert "no capture time" in (est[unlocated.name]["album_note"] or "")
    assert any(unlocated.name in text and "located alone" in text for _, text in messages)
    tracks = list(_features(track_path).values())
    assert len(tracks) == 1 and tracks[0]["n_photos"] == 3 and len(tracks[0].geometry().asPolyline()) == 3
    assert any("placed by the album" in text for _, text in messages)


def test_track_is_styled_with_arrows_on_load(qgis_app, project, small_db, walk):
    from processing.gui.Postprocessing import handleAlgorithmResults

    from geopin.processing.geolocate_photos import GeolocatePhotos

    db = small_db[0]
    photos = walk[0]
    alg = GeolocatePhotos()
    alg.initAlgorithm()
    context = QgsProcessingContext()
    context.setProject(project)
    params = {"INPUT": [str(p) for p in photos], "DATABASE": str(db),
              "OUTPUT_ESTIMATES": QgsProcessingOutputLayerDefinition("memory:", project),
              "OUTPUT_TRACK": QgsProcessingOutputLayerDefinition("memory:", project)}
    results, ok = alg.run(params, context, QgsProcessingFeedback())
    assert ok and results["OUTPUT_TRACK"]
    assert handleAlgorithmResults(alg, context, QgsProcessingFeedback(), parameters=params)
    layers = {n.layer().name(): n.layer() for n in project.layerTreeRoot().findLayers()}
    track = layers["GeoPin album tracks — 3 photos"]
    symbol = track.renderer().symbol()
    assert track.featureCount() == 1 and symbol.symbolLayerCount() == 2
    assert symbol.symbolLayer(1).layerType() == "MarkerLine"  # the arrows along each leg


def test_dock_shows_the_album_as_one_entry(qgis_app, qgis_iface, small_db, walk):
    from qgis.core import QgsProject
    from qgis.PyQt.QtCore import Qt
    from qgis.PyQt.QtTest import QTest

    from geopin.geopin_plugin.gui.dock import GeoPinDock

    photos, blurred, truth = walk
    project = QgsProject.instance()
    project.clear()
    dock = GeoPinDock(qgis_iface)
    try:
        dock.advanced.album_grouping.setCurrentIndex(dock.advanced.album_grouping.findData("time"))
        dock.set_database(str(small_db[0]))
        dock.add_photos([str(p) for p in photos])
        QTest.mouseClick(dock.locate_button, Qt.LeftButton)
        qgis_helpers.wait_for(lambda: dock.task is None and not dock.queue)
        assert dock.albums_list.count() == 1 and not dock.albums_list.isHidden()
        entry = dock.albums_list.item(0).text()
        assert "3 photos, 1 placed by the album" in entry and blurred.name in entry
        placed = dock.results[str(blurred)].result
        assert placed.position_method == "album" and placed.label == "uncertain"
        assert math.hypot(placed.x - truth[0], placed.y - truth[1]) <= placed.error_radius_m
        group = project.layerTreeRoot().findGroup("GeoPin: album-1")
        layers = {n.layer().name(): n.layer() for n in group.findLayers()}
        assert layers["Album estimates"].featureCount() == 3 and layers["Album track"].featureCount() == 1
        assert layers["View cones"].featureCount() >= 2  # the located photos' cones together
        dock.photos_list.setCurrentRow(1)  # the blurred photo: its summary says the album placed it
        assert "album" in dock.summary_label.text().lower()
        QTest.mouseClick(dock.clear_button, Qt.LeftButton)
        assert dock.albums_list.count() == 0 and dock.albums_list.isHidden()

        # Advanced > Albums: Off: the same photos stay alone
        dock.advanced.album_grouping.setCurrentIndex(dock.advanced.album_grouping.findData("off"))
        dock.add_photos([str(p) for p in photos])
        QTest.mouseClick(dock.locate_button, Qt.LeftButton)
        qgis_helpers.wait_for(lambda: dock.task is None and not dock.queue)
        assert dock.albums_list.count() == 0 and dock.results[str(blurred)].result.label == "no match"
    finally:
        dock.advanced.album_grouping.setCurrentIndex(dock.advanced.album_grouping.findData("time"))
        dock.close_and_cleanup()
        project.clear()


def test_albums_in_a_model_and_in_batch_rows(qgis_app, small_db, walk, tmp_path):
    """The Model Designer: a model whose child is geopin:geolocatephotos with the album
    parameters as static values; the batch dialog: one run per row, each its own albums."""
    from qgis.core import (QgsApplication, QgsProcessingModelAlgorithm, QgsProcessingModelChildAlgorithm,
                           QgsProcessingModelChildParameterSource, QgsProcessingModelOutput)

    from geopin.processing.geolocate_photos import GeolocatePhotos
    from geopin.processing.provider import GeoPinProvider

    registry = QgsApplication.processingRegistry()
    added = registry.providerById("geopin") is None
    if added:
        registry.addProvider(GeoPinProvider())
    try:
        photos, blurred, _ = walk
        model = QgsProcessingModelAlgorithm("album model", "tests")
        child = QgsProcessingModelChildAlgorithm("geopin:geolocatephotos")
        child.setChildId("locate")
        static = QgsProcessingModelChildParameterSource.fromStaticValue
        for name, value in (("INPUT", [str(p) for p in photos]), ("DATABASE", str(small_db[0])), ("ALBUMS", 1),
                            ("ALBUM_SPEED", 0), ("ALBUM_GAP", 30.0)):
            child.addParameterSources(name, [static(value)])
        outputs = {}
        for name in ("OUTPUT_ESTIMATES", "OUTPUT_TRACK"):
            out = QgsProcessingModelOutput(name.lower())
            out.setChildOutputName(name)
            out.setChildId("locate")
            outputs[name.lower()] = out
        child.setModelOutputs(outputs)
        model.addChildAlgorithm(child)
        assert model.childAlgorithm("locate").algorithm() is not None  # found through the provider
        est, track = tmp_path / "model_est.gpkg", tmp_path / "model_track.gpkg"
        _, ok, messages, _ = qgis_helpers.run_algorithm(model, {"locate:output_estimates": str(est),
                                                                "locate:output_track": str(track)})
        assert ok, messages
        rows = _features(est)
        assert rows[blurred.name]["position_method"] == "album" and len(_features(track)) == 1

        # two batch rows: each run groups only its own photos
        for k, inputs in enumerate(([photos[0], photos[1]], [photos[2]])):
            out = tmp_path / f"row{k}.gpkg"
            _, ok, messages, _ = qgis_helpers.run_algorithm(GeolocatePhotos(), {
                "INPUT": [str(p) for p in inputs], "DATABASE": str(small_db[0]), "OUTPUT_ESTIMATES": str(out)})
            assert ok, messages
            positions = sorted(f["album_position"] or 0 for f in _features(out).values())
            assert positions == ([1, 2] if k == 0 else [0])
    finally:
        if added:
            registry.removeProvider("geopin")
