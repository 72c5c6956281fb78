"""The whole pipeline on a small real Amsterdam database with the real models:
a view from a left-out Overtoom panorama is found within 25 m and called
confident; a view from elsewhere is not; bad databases fail before any work."""
import sys
from pathlib import Path

import numpy as np
import pytest

for _dir in (Path(__file__).resolve().parents[1], Path(__file__).resolve().parent):
    if str(_dir) not in sys.path:  # pytest runs with --import-mode=importlib
        sys.path.insert(0, str(_dir))
import geolocation_db  # noqa: E402

from geopin.geopin_plugin.engine.geo import geodesic_distance_m  # noqa: E402
from geopin.geopin_plugin.engine.images import load_image  # noqa: E402
from geopin.geopin_plugin.engine.pipeline import (  # noqa: E402
    Cancelled,
    Geolocator,
    PipelineConfig,
    PipelineError,
    get_geolocator,
)

pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="session")
def small_db(tmp_path_factory, datasets_dir):
    return geolocation_db.build(tmp_path_factory.getbasetemp() / "geolocation", datasets_dir)


@pytest.fixture(scope="module")
def geolocator(small_db):
    return Geolocator(small_db[0])


def test_left_out_overtoom_view_is_found_and_confident(small_db, geolocator):
    db, (lat, lon), query, _ = small_db
    stages = []
    result = geolocator.locate(load_image(query), exif_gps=(lat, lon),
                               progress=lambda s, f, m: stages.append((s, f, m)))
    error = geodesic_distance_m(lat, lon, result.lat, result.lon)
    # the right place (amsterdam-lopo's 50 m: the Overtoom partners stand 7-43 m away).
    # Without a focal length the FOV hypothesis is 80 deg for this 65 deg view, which
    # turns both bearing lines by 23-30 deg: triangulated, 26 m off (the radius says 24)
    assert error <= 50.0, (error, result.features)
    assert result.position_method == "triangulated" and result.fov_source == "hypotheses"
    assert result.label == "confident", (result.confidence, result.features)
    assert result.n_verified >= 1
    assert result.exif_distance_m == pytest.approx(error, abs=0.01)
    # the verified candidates are the Overtoom partners and come first
    first = result.candidates[0]
    assert first.verified and first.view.pano_id in geolocation_db.PANOS[:3]
    assert first.matches.shape[1] == 4 and len(first.matches) == first.inliers
    assert [c.rank for c in result.candidates] == list(range(1, len(result.candidates) + 1))
    # posterior: a grid with its geotransform, footprints around the estimate
    assert result.posterior is not None and result.posterior.ndim == 2
    assert result.geotransform[1] > 0 and result.geotransform[5] < 0
    assert result.footprints[0.5] and result.footprints[0.9]
    assert 0 < result.error_radius_m < 100
    assert set(result.timings) == {"embed", "search", "verify", "pose", "posterior"}
    # progress: every stage, verification counted "n / k"
    names = [s for s, _, _ in stages]
    for stage in ("embed", "search", "verify", "posterior"):
        assert stage in names
    n_views = 8 * len(geolocation_db.PANOS)  # top_k 100 > views: all are verified (verify_top 50)
    assert any(s == "verify" and m == f"{n_views} / {n_views}" for s, _, m in stages)


def test_the_focal_length_pins_the_left_out_view(small_db, geolocator):
    """With the photo's EXIF focal length (27 mm: 65.3 deg) the partners' bearing lines
    cross where the camera stood, and the radius says how well."""
    _, (lat, lon), query, _ = small_db
    result = geolocator.locate(load_image(query), focal_35mm=27.0)
    error = geodesic_distance_m(lat, lon, result.lat, result.lon)
    assert result.position_method == "triangulated" and result.fov_source == "exif"
    assert error <= 5.0, error
    assert error <= result.error_radius_m <= 10.0


def test_deterministic(small_db, geolocator):
    image = load_image(small_db[2])
    a = geolocator.locate(image)
    b = geolocator.locate(image)
    assert (a.x, a.y, a.confidence, a.label, a.error_radius_m) == (b.x, b.y, b.confidence, b.label, b.error_radius_m)
    assert [c.view.view_id for c in a.candidates] == [c.view.view_id for c in b.candidates]
    assert np.array_equal(a.posterior, b.posterior)


def test_unlocated_view_is_not_confident(small_db, geolocator):
    result = geolocator.locate(load_image(small_db[3]))
    assert result.label in ("uncertain", "no match"), (result.confidence, result.features)


def test_area_outside_the_data_gives_no_candidates(small_db, geolocator):
    far = [[(200000.0, 400000.0), (200100.0, 400000.0), (200100.0, 400100.0), (200000.0, 400100.0)]]
    result = geolocator.locate(load_image(small_db[2]), area=far)
    assert result.candidates == [] and result.label == "no match" and result.x is None


def test_cancel_stops_before_verification(small_db, geolocator):
    calls = []

    def is_canceled():
        calls.append(1)
        return len(calls) > 1

    with pytest.raises(Cancelled):
        geolocator.locate(load_image(small_db[2]), is_canceled=is_canceled)


def test_models_are_loaded_once(small_db):
    a = get_geolocator(small_db[0], PipelineConfig(verify_top=10))
    b = get_geolocator(small_db[0], PipelineConfig(verify_top=10))
    c = get_geolocator(small_db[0], PipelineConfig(verify_top=20))
    assert a is b and c is not a
    assert c.embedder is a.embedder and c.extractor is a.extractor


def test_bad_databases_fail_before_any_work(tmp_path):
    from refdb_helpers import OrbExtractor, PixelEmbedder

    from geopin.geopin_plugin.engine.builder import ingest

    with pytest.raises(PipelineError, match="not found"):
        Geolocator(tmp_path / "missing.gpkg")
    empty = tmp_path / "empty.gpkg"
    empty.write_bytes(b"")
    with pytest.raises(PipelineError, match="empty"):
        Geolocator(empty)
    # a database built with another embedder (64-d test embedder)
    photos = tmp_path / "photos"
    photos.mkdir()
    rng = np.random.default_rng(0)
    import cv2

    cv2.imwrite(str(photos / "a.jpg"), rng.integers(0, 255, (120, 160, 3), dtype=np.uint8))
    other = tmp_path / "other.gpkg"
    ingest.add_records(str(other), [ingest.ImageRecord(str(photos / "a.jpg"), lat=52.37, lon=4.89)],
                       PixelEmbedder(), OrbExtractor())
    with pytest.raises(PipelineError, match="test-pixels-v1"):
        Geolocator(other)


def test_a_rootsift_database_still_locates_and_an_upgrade_adds_xfeat(small_db, tmp_path):
    """A database built before XFeat (RootSIFT features, extractor_preset rootsift-2048)
    locates with the RootSIFT verifier and says so; a build run with the default
    extractor adds XFeat features to its stored views without re-embedding, after
    which it locates with the XFeat cascade."""
    import shutil
    import sqlite3

    from geopin.geopin_plugin.engine.builder import ingest
    from geopin.geopin_plugin.engine.verification.rootsift import RootSiftExtractor
    from geopin.geopin_plugin.engine.models import DEFAULT_EMBEDDER, DEFAULT_EXTRACTOR
    from geopin.geopin_plugin.engine.registry import shared as _model
    from geopin.geopin_plugin.engine.database.refdb import ReferenceDatabase

    db, (lat, lon), query, _ = small_db
    old = tmp_path / "old.gpkg"
    shutil.copy2(db, old)
    views = Path(db).with_name(Path(db).stem + "_views")  # stored view paths name this folder
    if views.is_dir():  # view copies kept; else the upgrade cuts the views from their sources
        shutil.copytree(views, tmp_path / views.name)
    # make it what a 0.1 database is: RootSIFT features only, and the meta saying so
    with ReferenceDatabase.open(old) as ref:
        n_views = ref.count
        made = ingest.BuildReport()
        ingest.upgrade_features(ref, RootSiftExtractor(), made)
        assert made.failed == 0 and made.features_upgraded == n_views, made.errors
        emb_before = ref.embeddings()
    con = sqlite3.connect(old)
    con.execute("DELETE FROM geopin_local_features WHERE extractor_id=?", (DEFAULT_EXTRACTOR,))
    con.execute("UPDATE geopin_metadata SET value='\"rootsift-2048\"' WHERE key='extractor_preset'")
    con.commit()
    con.close()

    geo = Geolocator(old)
    assert geo.extractor.preset_id == "rootsift-2048" and geo.verifier.config.name == "rootsift"
    assert "older" in geo.notice and DEFAULT_EXTRACTOR in geo.notice
    res = geo.locate(load_image(query))
    assert res.label != "no match" and geodesic_distance_m(lat, lon, res.lat, res.lon) < 50.0
    assert "older" in res.message
    geo.close()

    report = ingest.add_records(str(old), [], _model("embedder", DEFAULT_EMBEDDER), _model("extractor", DEFAULT_EXTRACTOR))
    assert report.features_upgraded == n_views and report.failed == 0 and report.added == 0
    with ReferenceDatabase.open(old) as ref:
        assert ref.meta["extractor_preset"] == DEFAULT_EXTRACTOR and not ref.views_without_features(DEFAULT_EXTRACTOR)
        np.testing.assert_array_equal(ref.embeddings(), emb_before)  # nothing re-embedded
        assert len(ref.local_features(ref.ids(), "rootsift-2048")) == n_views  # old features kept
    geo = Geolocator(old)
    assert geo.verifier.config.name == "xfeat" and not geo.notice
    res = geo.locate(load_image(query))
    assert res.label == "confident" and geodesic_distance_m(lat, lon, res.lat, res.lon) < 50.0
    geo.close()


def test_stored_xfeat_features_are_compact_and_fast_to_read(small_db):
    import time

    from geopin.geopin_plugin.engine.models import DEFAULT_EXTRACTOR
    from geopin.geopin_plugin.engine.database.refdb import ReferenceDatabase

    db = small_db[0]
    with ReferenceDatabase.open(db) as ref:
        ids = ref.ids()[:40]
        row = ref.store._con.execute(
            "SELECT avg(length(keypoints) + length(descriptors) + ifnull(length(scores), 0)), max(n) "
            "FROM geopin_local_features WHERE extractor_id=?", (DEFAULT_EXTRACTOR,)).fetchone()
        assert row[1] == 2048 and row[0] <= 150 * 1024
        t0 = time.perf_counter()
        feats = ref.local_features(ids, DEFAULT_EXTRACTOR)
        seconds = time.perf_counter() - t0
    assert len(feats) == len(ids)
    f = next(iter(feats.values()))
    assert f.descriptors.dtype == np.float32 and np.allclose(np.linalg.norm(f.descriptors, axis=1), 1.0, atol=1e-5)
    assert seconds < 0.5  # measured ~10 ms for 40 views; generous for a loaded CI machine
