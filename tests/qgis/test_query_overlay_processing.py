"""Issue 23 through Processing: Geolocate photos given eight photos of one camera that
all carry the same burnt-in date stamp learns the stamp as the batch's own overlay
mask when asked (QUERY_MASKS), says so in the log, and locates every photo; two photos
learn nothing, and without the option nothing is learned."""
import sys
from pathlib import Path

from geopin.geopin_plugin.engine.evaluation.overlays import paint_stamp
from geopin.geopin_plugin.engine.images import load_image
from geopin.geopin_plugin.engine.panorama import perspective_view

import geolocation_db

BATCH = 8


def _batch(folder, datasets_dir):
    folder.mkdir()
    panos = sorted((Path(datasets_dir) / "amsterdam-unlocated").glob("*.jpg"))[::5][:BATCH]
    return [str(geolocation_db.save_jpeg(folder / f"{p.stem}.jpg",
                                         paint_stamp(perspective_view(load_image(p), 45.0, 65.0, (1024, 768)))))
            for p in panos]


def _run(db, photos, out, **extra):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import qgis_helpers

    from geopin.processing.geolocate_photos import GeolocatePhotos

    return qgis_helpers.run_algorithm(GeolocatePhotos(), {
        "INPUT": photos, "DATABASE": str(db), "OUTPUT_ESTIMATES": out, "ALBUMS": 4, **extra})


def test_a_batch_of_one_camera_gets_its_own_overlay_mask(qgis_app, small_db, datasets_dir, tmp_path):
    from qgis.core import QgsVectorLayer

    photos = _batch(tmp_path / "dashcam", datasets_dir)
    out = str(tmp_path / "est.gpkg")
    results, ok, messages, _ = _run(small_db[0], photos, out, QUERY_MASKS=True)
    assert ok, messages
    learned = [text for _, text in messages if "overlay mask for" in text]
    assert len(learned) == 1 and f": {BATCH} photos," in learned[0], messages
    share = float(learned[0].rsplit(", ", 1)[1].split(" %")[0])
    assert 0.2 < share < 5.0, learned  # the stamp, not the streets
    assert len(list(QgsVectorLayer(out, "est", "ogr").getFeatures())) == BATCH
    assert results["CONFIDENT"] == 0  # unlocated places stay unlocated

    results, ok, messages, _ = _run(small_db[0], photos[:2], str(tmp_path / "two.gpkg"), QUERY_MASKS=True)
    assert ok and not [text for _, text in messages if "overlay mask for" in text]
    results, ok, messages, _ = _run(small_db[0], photos, str(tmp_path / "off.gpkg"))  # off unless asked
    assert ok and not [text for _, text in messages if "overlay mask for" in text]
