"""From the fixture APIs into a reference database: every source's views are
searchable with licence and attribution; interrupted imports resume without
duplicates or losses; failing images are skipped, not fatal."""
import sqlite3

import numpy as np
import pytest
from fixture_server import AREA, MAPILLARY_TOKEN, grid_points
from models_for_tests import TinyEmbedder, TinyOrb
from PIL import Image

from geopin.geopin_plugin.engine.database.refdb import ReferenceDatabase
from geopin.geopin_plugin.engine.sources import SOURCE_NAMES, AuthError, make_source
from geopin.geopin_plugin.engine.net.urllib_client import UrllibHttpClient
from geopin.geopin_plugin.engine.sources.importer import import_street_imagery, images_dir_for
from geopin.geopin_plugin.engine.builder.config import BuildConfig

HEADINGS = 4  # views per panorama in these tests


def source_for(name, server, sleep, token=None):
    src = make_source(name, UrllibHttpClient(timeout=10), base_url=server.url,
                      token=token or (MAPILLARY_TOKEN if name == "mapillary" else None), sleep=sleep)
    src.page_size = min(src.page_size, 4)
    return src


def run(src, db, **kw):
    kw.setdefault("max_images", 100)
    return import_street_imagery(src, AREA, db, TinyEmbedder(), TinyOrb(), config=BuildConfig(panorama_headings=HEADINGS),
                                 batch_size=kw.pop("batch_size", 4), **kw)


def image_rows(db):
    con = sqlite3.connect(str(db))
    try:
        return con.execute("SELECT source, source_id, n_views FROM geopin_images ORDER BY source_id").fetchall()
    finally:
        con.close()


@pytest.mark.parametrize("name", SOURCE_NAMES)
def test_import_makes_searchable_views_with_licence(name, server, fake_sleep, tmp_path):
    pts = grid_points(name[:2], AREA, 3, 3, pano_every=0 if name == "kartaview" else 4)
    if name == "amsterdam":
        for p in pts:
            p.pano = True
    server.state.points[name] = pts
    db = tmp_path / "ref.gpkg"
    report = run(source_for(name, server, fake_sleep), db)
    assert report.added == len(pts) and report.errors == [] and not report.canceled
    rows = image_rows(db)
    assert [r[1] for r in rows] == sorted(p.id for p in pts) and {r[0] for r in rows} == {name}
    n_pano = sum(p.pano for p in pts)
    assert report.views_added == n_pano * HEADINGS + (len(pts) - n_pano)
    with ReferenceDatabase.open(db) as ref:
        assert ref.count == report.views_added
        views = ref.views(ref.ids())
        assert all(v.licence and v.attribution and v.source == name for v in views)
        # a downloaded picture finds its own view first
        flat = [p for p in pts if not p.pano] or pts
        path = images_dir_for(db) / name / f"{flat[0].id}.jpg"
        query = np.asarray(Image.open(path).convert("RGB"))
        if flat[0].pano:  # compare with the panorama's stored view instead
            mine = [v for v in views if v.source_id == flat[0].id]
            query = ref.load_view_image(mine[0].view_id)  # cut from the downloaded panorama
        hits = ref.search(TinyEmbedder().embed([query]), k=3)[0]
        top = ref.views([hits[0].view_id])[0]
        assert top.source_id == flat[0].id
        assert top.lat == pytest.approx(flat[0].lat, abs=1e-6)


def test_interrupted_import_resumes_without_duplicates(server, fake_sleep, tmp_path):
    pts = grid_points("p", AREA, 4, 3, pano_every=5)
    server.state.points["panoramax"] = pts
    db = tmp_path / "ref.gpkg"
    downloads = []

    def progress(stage, fraction, message):
        if ": Panoramax " in message:
            downloads.append(message)

    first = run(source_for("panoramax", server, fake_sleep), db, progress=progress,
                is_canceled=lambda: len(downloads) > 6)
    assert first.canceled and 0 < first.added < len(pts)
    stored_first = {r[1] for r in image_rows(db)}
    assert len(stored_first) == first.added
    second = run(source_for("panoramax", server, fake_sleep), db)
    assert not second.canceled
    assert second.already_stored == first.added  # skipped before downloading
    assert second.added == len(pts) - first.added
    rows = image_rows(db)
    assert sorted(r[1] for r in rows) == sorted(p.id for p in pts)  # nothing lost, no duplicates
    with ReferenceDatabase.open(db) as ref:
        assert ref.count == sum(HEADINGS if p.pano else 1 for p in pts)
    # a third run finds everything stored and downloads nothing
    before = server.state.image_requests
    third = run(source_for("panoramax", server, fake_sleep), db)
    assert third.already_stored == len(pts) and third.added == 0 and server.state.image_requests == before


def test_failing_image_server_mid_import_then_resume(server, fake_sleep, tmp_path):
    pts = grid_points("a", AREA, 3, 3)
    for p in pts:
        p.pano = True
    server.state.points["amsterdam"] = pts
    server.state.behaviour.images_fail_after = 4
    db = tmp_path / "ref.gpkg"
    first = run(source_for("amsterdam", server, fake_sleep), db)
    assert first.added == 4 and first.download_failed == len(pts) - 4
    assert all("HTTP 500" in reason or "server error" in reason for _, reason in first.errors)
    server.state.behaviour.images_fail_after = None
    second = run(source_for("amsterdam", server, fake_sleep), db)
    assert second.already_stored == 4 and second.added == len(pts) - 4 and second.errors == []
    assert sorted(r[1] for r in image_rows(db)) == sorted(p.id for p in pts)


def test_truncated_image_is_logged_and_skipped(server, fake_sleep, tmp_path, caplog):
    pts = grid_points("ml", AREA, 3, 2)
    server.state.points["mapilio"] = pts
    server.state.behaviour.truncated_ids = {pts[2].id}
    db = tmp_path / "ref.gpkg"
    report = run(source_for("mapilio", server, fake_sleep), db)
    assert report.added == len(pts) - 1 and report.download_failed == 1
    assert report.errors[0][0] == f"mapilio:{pts[2].id}" and "not a complete image" in report.errors[0][1]
    assert any(pts[2].id in r.getMessage() for r in caplog.records)
    assert pts[2].id not in {r[1] for r in image_rows(db)}


def test_wrong_token_stops_the_import_with_the_auth_error(server, fake_sleep, tmp_path):
    server.state.points["mapillary"] = grid_points("m", AREA, 2, 2)
    with pytest.raises(AuthError, match="AUTH_CONFIG"):
        run(source_for("mapillary", server, fake_sleep, token="MLY|nope"), tmp_path / "ref.gpkg")
    assert not (tmp_path / "ref.gpkg").exists()
