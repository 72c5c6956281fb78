"""View cones (issue 13) in the real QgsApplication on the small real Amsterdam database:
geopin:geolocatephotos' OUTPUT_VIEWCONES (apex at the estimate, bisector the heading,
opening the field of view; EXIF focal length passed to the engine), styled when
loaded and really optional; the dock's cone layer and the match viewer's line on the
reference that pinned the heading. The qgis_process run with OUTPUT_VIEWCONES is in
test_geolocation_gui.py (one qgis_process start for both)."""
import math
import sys
from pathlib import Path

import pytest
from qgis.core import QgsProcessingContext, QgsProcessingFeedback, QgsProcessingOutputLayerDefinition, QgsVectorLayer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import qgis_helpers  # noqa: E402
from qgis_helpers import wait_for  # noqa: E402

from geopin.geopin_plugin.engine.geo import angle_between  # noqa: E402
from geopin.geopin_plugin.engine.estimate.relative_pose import hfov_from_35mm  # noqa: E402

pytestmark = pytest.mark.timeout(900)
FOCAL_35MM = 27  # the 65° cut view's focal length in 35 mm terms (65.3° across 1024 x 768)


def edges(geometry):
    """(apex, bearing of the cone's bisector, opening) of a cone polygon, whichever way
    its ring runs."""
    ring = geometry.asPolygon()[0]
    apex = ring[0]
    a, b = (math.degrees(math.atan2(p.x() - apex.x(), p.y() - apex.y())) for p in (ring[1], ring[-2]))
    turn = (b - a + 180.0) % 360.0 - 180.0
    return apex, (a + turn / 2.0) % 360.0, abs(turn)


def features(path):
    layer = QgsVectorLayer(str(path), "t", "ogr")
    assert layer.isValid(), path
    return layer, list(layer.getFeatures())


@pytest.fixture(scope="module")
def exif_query(small_db, tmp_path_factory):
    """The Overtoom query with EXIF FocalLengthIn35mmFilm, as a phone writes it."""
    from PIL import Image

    path = tmp_path_factory.mktemp("exif") / "overtoom_exif.jpg"
    exif = Image.Exif()
    exif[0x8769] = {0xA405: FOCAL_35MM}  # Exif IFD: FocalLengthIn35mmFilm
    with Image.open(small_db[2]) as im:
        im.save(path, exif=exif, quality=95)
    return path



def test_cones_for_located_photos_with_a_heading(qgis_app, small_db, exif_query, tmp_path):
    from geopin.processing.geolocate_photos import GeolocatePhotos

    db, _, query, unlocated = small_db
    out = {k: tmp_path / f"{k}.gpkg" for k in ("est", "cand", "cones")}
    results, ok, messages, _ = qgis_helpers.run_algorithm(GeolocatePhotos(), {
        "INPUT": [str(query), str(exif_query), str(unlocated)], "DATABASE": str(db),
        "OUTPUT_ESTIMATES": str(out["est"]), "OUTPUT_CANDIDATES": str(out["cand"]),
        "OUTPUT_VIEWCONES": str(out["cones"])})
    assert ok, messages
    assert results["OUTPUT_VIEWCONES"]
    layer, cones = features(out["cones"])
    assert layer.crs().authid() == "EPSG:28992"
    _, estimates = features(out["est"])
    estimate = {f["photo_name"]: f for f in estimates}
    _, candidates = features(out["cand"])
    cones = {f["photo_name"]: f for f in cones}
    assert set(cones) == {query.name, exif_query.name}  # "no match": no cone
    assert estimate[unlocated.name]["label"] == "no match"
    assert any(kind == "info" and unlocated.name in text and "no view cone: not located" in text
               for kind, text in messages), messages
    for name, cone in cones.items():
        est = estimate[name]
        apex, bisector, opening = edges(cone.geometry())
        point = est.geometry().asPoint()
        assert math.hypot(apex.x() - point.x(), apex.y() - point.y()) < 1e-6  # the apex is the estimate
        assert angle_between(bisector, cone["heading_deg"]) < 0.1 and angle_between(bisector, est["heading_deg"]) < 0.1
        assert abs(opening - cone["fov_deg"]) < 0.1 and cone["fov_deg"] == pytest.approx(est["hfov_deg"])
        assert cone["heading_sd_deg"] > 0 and cone["position_method"] == est["position_method"]
        assert cone["label"] == est["label"] == "confident" and cone["label_text"] == "confident"
        assert cone["depth_source"] in ("references", "default")
        depths = [math.hypot(p.x() - apex.x(), p.y() - apex.y()) for p in cone.geometry().asPolygon()[0][1:-1]]
        assert max(depths) == pytest.approx(cone["depth_m"]) == pytest.approx(min(depths))
        if cone["depth_source"] == "default":
            assert cone["depth_m"] == 50.0
        # the reference that pinned the heading: a verified candidate of this photo
        pinned = [c for c in candidates if c["photo_name"] == name and c["view_id"] == cone["pinned_by"]]
        assert pinned and pinned[0]["verified"] and pinned[0]["pano_id"] in cone["pinned_ref"]
        assert any(kind == "info" and name in text and "camera heading" in text and "pinned by view" in text
                   for kind, text in messages)
    # without EXIF the FOV is the engine's best hypothesis; with it, the photo's own
    assert cones[query.name]["fov_source"] == "hypotheses"
    exif_cone = cones[exif_query.name]
    assert exif_cone["fov_source"] == "exif"
    assert exif_cone["fov_deg"] == pytest.approx(hfov_from_35mm(FOCAL_35MM, (1024, 768)), abs=0.01)
    # the view was cut at heading 180°: with its true field of view the heading is close
    assert angle_between(exif_cone["heading_deg"], 180.0) <= 10.0


def test_cones_are_styled_on_load_and_really_optional(qgis_app, project, small_db, tmp_path):
    from processing.gui.Postprocessing import handleAlgorithmResults

    from geopin.processing.geolocate_photos import GeolocatePhotos

    db, _, query, unlocated = small_db
    alg = GeolocatePhotos()
    alg.initAlgorithm()
    assert alg.parameterDefinition("OUTPUT_VIEWCONES").flags() & alg.parameterDefinition(
        "OUTPUT_VIEWCONES").FlagOptional
    # loaded into the project: styled, named after the photo, in its group
    context = QgsProcessingContext()
    context.setProject(project)
    params = {"INPUT": [str(query)], "DATABASE": str(db),
              "OUTPUT_ESTIMATES": QgsProcessingOutputLayerDefinition("memory:", project),
              "OUTPUT_VIEWCONES": QgsProcessingOutputLayerDefinition("memory:", project)}
    results, ok = alg.run(params, context, QgsProcessingFeedback())
    assert ok
    assert handleAlgorithmResults(alg, context, QgsProcessingFeedback(), parameters=params)
    group = project.layerTreeRoot().findGroup(f"GeoPin: {query.name}")
    layers = {n.layer().name(): n.layer() for n in group.findLayers()}
    cones = layers[f"GeoPin view cones — {query.name}"]
    assert cones.featureCount() == 1 and cones.crs().authid() == "EPSG:28992"
    symbol = cones.renderer().symbol()
    assert cones.renderer().type() == "singleSymbol" and symbol.color().name() == "#0096aa"  # geopin_viewcones.qml
    assert "heading_deg" in cones.mapTipTemplate()

    # a batch-dialog row that skips the cones: nothing to load, no false "not generated"
    project.clear()
    context = QgsProcessingContext()
    context.setProject(project)
    params = {"INPUT": [str(query)], "DATABASE": str(db),
              "OUTPUT_ESTIMATES": QgsProcessingOutputLayerDefinition(str(tmp_path / "e.gpkg"), project),
              "OUTPUT_VIEWCONES": QgsProcessingOutputLayerDefinition("", project)}
    results, ok = alg.run(params, context, QgsProcessingFeedback())
    assert ok and "OUTPUT_VIEWCONES" not in results
    assert all(key for key in context.layersToLoadOnCompletion())
    assert handleAlgorithmResults(alg, context, QgsProcessingFeedback(), parameters=params)
    names = [n.layer().name() for n in project.layerTreeRoot().findGroup(f"GeoPin: {query.name}").findLayers()]
    assert names == [f"GeoPin estimates — {query.name}"]

    # cones asked for, none to draw (a "no match"): an empty layer that loads, the log says why
    project.clear()
    context = QgsProcessingContext()
    context.setProject(project)
    feedback = qgis_helpers.RecordingFeedback()
    params = {"INPUT": [str(unlocated)], "DATABASE": str(db),
              "OUTPUT_ESTIMATES": QgsProcessingOutputLayerDefinition(str(tmp_path / "e2.gpkg"), project),
              "OUTPUT_VIEWCONES": QgsProcessingOutputLayerDefinition(str(tmp_path / "cones.gpkg"), project)}
    results, ok = alg.run(params, context, feedback)
    assert ok and features(tmp_path / "cones.gpkg")[1] == []
    assert any("no view cone: not located" in text for _, text in feedback.messages)
    assert handleAlgorithmResults(alg, context, QgsProcessingFeedback(), parameters=params)


def test_dock_draws_the_cone_and_the_viewer_names_the_pinning_reference(qgis_app, qgis_iface, project, small_db,
                                                                       tmp_path):
    from geopin.geopin_plugin.gui.dock import GeoPinDock

    db, _, query, _ = small_db
    dock = GeoPinDock(qgis_iface)
    try:
        dock.set_database(str(db))
        dock.set_photo(str(query))
        dock.locate()
        wait_for(lambda: dock.task is None)
        result = dock.result
        assert result is not None and result.heading_deg is not None, dock.stage_label.text()
        group = project.layerTreeRoot().findGroup(f"GeoPin: {query.name}")
        names = [node.layer().name() for node in group.findLayers()]
        assert names == [f"{kind} — {query.name}" for kind in
                         ("Estimate", "Candidates", "View cone", "Footprints", "Posterior density")]
        cone_layer = group.findLayers()[2].layer()
        assert cone_layer.crs().authid() == "EPSG:28992" and cone_layer.renderer().type() == "singleSymbol"
        cone = next(cone_layer.getFeatures())
        apex, bisector, opening = edges(cone.geometry())
        assert math.hypot(apex.x() - result.x, apex.y() - result.y) < 1e-6
        assert angle_between(bisector, result.heading_deg) < 0.1 and abs(opening - result.hfov_deg) < 0.1
        assert "Camera heading" in dock.summary_label.text() and "pinned by view" in dock.summary_label.text()

        # the match viewer: which reference pinned the heading, marked on that reference
        pinned = next(c for c in result.candidates if c.view.view_id == cone["pinned_by"])
        other = next(c for c in result.candidates if c is not pinned)
        dock.results_list.setCurrentRow(result.candidates.index(pinned))
        viewer = dock.show_matches()
        assert viewer.heading_label.text().startswith("This reference pinned the camera heading")
        viewer.show_candidate(viewer.candidates.index(other))
        assert f"pinned by view {pinned.view.view_id} (#{pinned.rank})" in viewer.heading_label.text()
        viewer.close()

        # saved with the other results
        written = dock.save_results(str(tmp_path / "results.gpkg"))
        assert written["viewcones"] == 1 and cone_layer.providerType() == "ogr"
        assert len(list(cone_layer.getFeatures())) == 1
    finally:
        dock.close_and_cleanup()
