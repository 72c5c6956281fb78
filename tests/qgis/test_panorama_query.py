"""A 360° panorama as a query (issue 23): the shared Overtoom panorama left out of
geolocation_db's real database is cut into views located together, and gets one
answer within 50 m of its truth with the compass heading of each view (the
Amsterdam panoramas are north-centred, so view k looks at its relative heading)."""
from pathlib import Path

from geopin.geopin_plugin.engine.geo import geodesic_distance_m
from geopin.geopin_plugin.engine.images import load_image
from geopin.geopin_plugin.engine.panorama_query import QUERY_VIEW_HEADINGS, locate_panorama
from geopin.geopin_plugin.engine.pipeline import Geolocator

import geolocation_db


def test_a_panorama_query_gets_one_answer_with_each_views_heading(small_db, datasets_dir):
    db, (lat, lon), _, _ = small_db
    row = geolocation_db.manifest(datasets_dir)[geolocation_db.LEFT_OUT]
    pano = load_image(Path(datasets_dir) / "amsterdam-panoramas" / row["file"])
    geo = Geolocator(str(db))
    try:
        answer = locate_panorama(geo, pano)
    finally:
        geo.close()
    assert [v.rel_heading for v in answer.views] == list(QUERY_VIEW_HEADINGS)
    assert answer.label == "confident" and answer.agreeing_views >= 2
    assert geodesic_distance_m(lat, lon, answer.lat, answer.lon) < 50.0
    assert answer.centre_heading_deg is not None
    for v in answer.views:
        off = abs((v.heading_deg - v.rel_heading + 180.0) % 360.0 - 180.0)
        assert off < 20.0, (v.rel_heading, v.heading_deg)


def test_an_unlocated_panorama_is_not_confident(small_db, datasets_dir):
    db = small_db[0]
    pano = load_image(Path(datasets_dir) / "amsterdam-unlocated" / geolocation_db.UNLOCATED)
    geo = Geolocator(str(db))
    try:
        answer = locate_panorama(geo, pano)
    finally:
        geo.close()
    assert answer.label != "confident" and len(answer.views) == len(QUERY_VIEW_HEADINGS)


def test_geolocate_photos_gives_a_panorama_one_estimate(qgis_app, small_db, datasets_dir, tmp_path):
    """Through the Processing algorithm: the panorama file is one estimate at its place,
    and the log names the compass heading of each view."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import qgis_helpers
    from qgis.core import QgsVectorLayer

    from geopin.processing.geolocate_photos import GeolocatePhotos

    db, (lat, lon), _, _ = small_db
    row = geolocation_db.manifest(datasets_dir)[geolocation_db.LEFT_OUT]
    path = Path(datasets_dir) / "amsterdam-panoramas" / row["file"]
    out = str(tmp_path / "est.gpkg")
    results, ok, messages, _ = qgis_helpers.run_algorithm(GeolocatePhotos(), {
        "INPUT": [str(path)], "DATABASE": str(db), "OUTPUT_ESTIMATES": out})
    assert ok, messages
    assert results["CONFIDENT"] == 1
    layer = QgsVectorLayer(out, "est", "ogr")
    (est,) = list(layer.getFeatures())
    assert est["label"] == "confident"
    assert geodesic_distance_m(lat, lon, est["lat"], est["lon"]) < 50.0
    line = [text for _, text in messages if "360° panorama" in text]
    assert line and "4 views facing" in line[0], messages

