"""The store written by the ingest: views, positions, features and the GeoPackage
geometry; append-only re-runs, cancel, crash (SIGKILL) and resume; bad inputs
logged; the real shared datasets (a few files only)."""
import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from fixtures_refdb import AMSTERDAM, bad_inputs, make_photos, panorama as make_panorama
from refdb_helpers import OrbExtractor, PixelEmbedder, assert_search_matches_exact

from geopin.geopin_plugin.engine import geo
from geopin.geopin_plugin.engine.builder import ingest
from geopin.geopin_plugin.engine.builder.config import BuildConfig
from geopin.geopin_plugin.engine.database.store import DatabaseError
from geopin.geopin_plugin.engine.database.refdb import ReferenceDatabase
from geopin.geopin_plugin.engine.database.store import schema

PLUGINS_DIR = Path(__file__).resolve().parents[3] / "build" / "plugins"
TESTS_ENGINE = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.timeout(120)


def test_build_photos_and_panorama(tmp_path):
    folder = tmp_path / "in"
    make_photos(folder, 4)
    make_panorama(folder / "pano.jpg", 7)
    (folder / "coords.csv").write_text(f"file,lat,lon,heading\npano.jpg,{AMSTERDAM[0]},{AMSTERDAM[1]},30\n")
    db_path = tmp_path / "ref.gpkg"
    progress = []
    report = ingest.build(folder, db_path, PixelEmbedder(), OrbExtractor(), coordinates=folder / "coords.csv",
                          config=BuildConfig(panorama_headings=6), progress=lambda s, f, m: progress.append((s, f, m)))
    assert (report.added, report.skipped, report.failed) == (5, 0, 0)
    assert report.views_added == 4 + 6
    # the engine's one progress shape (engine/types.py): stage, fraction of the call, message
    assert progress[-1][:2] == ("build", 1.0) and all(0.0 <= f <= 1.0 for _, f, _ in progress)
    assert {s for s, _, _ in progress} <= {"build", "features", "masks", "index"}
    assert all(isinstance(m, str) for _, _, m in progress)
    with ReferenceDatabase.open(db_path) as db:
        assert db.count == 10
        assert db.meta["counts"]["views"] == 10 and db.meta["counts"]["panoramas"] == 1
        views = db.views(db.ids())
        pano_views = [v for v in views if v.pano_id == "pano"]
        assert sorted(v.rel_heading for v in pano_views) == [0, 60, 120, 180, 240, 300]
        # the CSV heading (30°) is the panorama's absolute orientation
        assert sorted(round(v.heading) for v in pano_views) == [30, 90, 150, 210, 270, 330]
        photos = sorted((v for v in views if v.pano_id is None), key=lambda v: v.image_path)
        assert [round(v.heading) for v in photos] == [0, 10, 20, 30]  # EXIF GPSImgDirection
        x, y = geo.wgs84_to_rd(photos[1].lat, photos[1].lon)
        assert (photos[1].x, photos[1].y) == pytest.approx((x, y))
        assert 115000 < x < 130000 and 480000 < y < 495000  # Amsterdam in RD New
        img = db.load_view_image(pano_views[0].view_id)
        assert img.shape == (768, 1024, 3) and img.dtype == np.uint8
        feats = db.local_features([v.view_id for v in views], OrbExtractor.preset_id)
        assert len(feats) == 10
        f = feats[pano_views[0].view_id]
        assert f.descriptors.dtype == np.float16 and f.keypoints.dtype == np.float32
        assert f.image_size == (1024, 768) and len(f.keypoints) > 0
        assert_search_matches_exact(db)
        # the GeoPackage geometry is the RD point
        con = sqlite3.connect(db_path)
        blob = con.execute("SELECT geom FROM reference_views WHERE fid=?", (photos[1].view_id,)).fetchone()[0]
        assert schema.parse_gpkg_point(blob) == pytest.approx((x, y))
        assert con.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47
        assert con.execute("PRAGMA user_version").fetchone()[0] == 10200
        con.close()


def test_rerun_is_append_only(tmp_path):
    folder = tmp_path / "in"
    make_photos(folder, 3)
    db_path = tmp_path / "ref.gpkg"
    emb = PixelEmbedder()
    first = ingest.build(folder, db_path, emb, None)
    assert (first.added, first.skipped) == (3, 0)
    calls = emb.calls
    again = ingest.build(folder, db_path, emb, None)
    assert (again.added, again.skipped, again.failed) == (0, 3, 0)
    assert emb.calls == calls  # nothing re-embedded
    # the same bytes under another name are the same image
    (folder / "copy.jpg").write_bytes((folder / "p000.jpg").read_bytes())
    make_photos(folder, 1, start=3)
    more = ingest.build(folder, db_path, emb, None)
    assert (more.added, more.skipped) == (1, 4)
    with ReferenceDatabase.open(db_path) as db:
        assert db.count == 4
        assert_search_matches_exact(db, n_queries=4, k=4)
        assert json.loads(Path(str(db.index_path()) + ".json").read_text())["count"] == 4


def test_other_embedder_is_refused(tmp_path):
    folder = tmp_path / "in"
    make_photos(folder, 1)
    db_path = tmp_path / "ref.gpkg"
    ingest.build(folder, db_path, PixelEmbedder(), None)
    with pytest.raises(DatabaseError, match="built with embedder"):
        ingest.build(folder, db_path, PixelEmbedder(dim=32, preset_id="other"), None)


def test_cancel_keeps_exactly_the_committed_images(tmp_path):
    folder = tmp_path / "in"
    make_photos(folder, 6)
    db_path = tmp_path / "ref.gpkg"
    emb = PixelEmbedder()
    report = ingest.build(folder, db_path, emb, None, is_canceled=lambda: emb.calls >= 2)
    assert report.canceled and report.added == 2
    with ReferenceDatabase.open(db_path) as db:
        assert db.count == 2
        assert sorted(Path(v.image_path).name for v in db.views(db.ids())) == ["p000.jpg", "p001.jpg"]
        assert_search_matches_exact(db, n_queries=2, k=2)
    rest = ingest.build(folder, db_path, emb, None)
    assert (rest.added, rest.skipped) == (4, 2)


CRASH_CHILD = textwrap.dedent("""
    import os, signal, sys
    sys.path.insert(0, {plugins!r}); sys.path.insert(0, {tests!r})
    from refdb_helpers import PixelEmbedder
    from geopin.geopin_plugin.engine.builder import ingest
    from geopin.geopin_plugin.engine.database import refdb, store
    where = sys.argv[3]
    class Dying(PixelEmbedder):
        def embed(self, imgs):
            if where == "ingest" and self.calls >= 2:  # 2 images committed
                os.kill(os.getpid(), signal.SIGKILL)
            return super().embed(imgs)
    if where == "commit":
        real = store.GeoPackageStore.add_image
        count = [0]
        def add_image(self, *a, **k):
            count[0] += 1
            if count[0] == 3:  # die inside the transaction, after the first INSERTs
                con = self._con
                con.execute("BEGIN IMMEDIATE")
                con.execute("INSERT INTO geopin_metadata VALUES ('half-written', '1')")
                os.kill(os.getpid(), signal.SIGKILL)
            return real(self, *a, **k)
        store.GeoPackageStore.add_image = add_image
    if where == "index":
        def save(self, *a, **k):
            os.kill(os.getpid(), signal.SIGKILL)
        refdb.ReferenceDatabase._save_index = save
    ingest.build(sys.argv[1], sys.argv[2], Dying(), None)
""")


@pytest.mark.parametrize("where", ["ingest", "commit", "index"])
def test_sigkill_mid_build_then_open_and_resume(tmp_path, where):
    folder = tmp_path / "in"
    make_photos(folder, 5)
    db_path = tmp_path / "ref.gpkg"
    code = CRASH_CHILD.format(plugins=str(PLUGINS_DIR), tests=str(TESTS_ENGINE))
    proc = subprocess.run([sys.executable, "-c", code, str(folder), str(db_path), where],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    expected = 5 if where == "index" else 2
    with ReferenceDatabase.open(db_path) as db:  # opens, index repaired from the embeddings
        assert db.count == expected
        assert "half-written" not in db.meta
        assert_search_matches_exact(db, n_queries=expected, k=expected)
    report = ingest.build(folder, db_path, PixelEmbedder(), None)
    assert (report.added, report.skipped, report.failed) == (5 - expected, expected, 0)
    with ReferenceDatabase.open(db_path) as db:
        assert db.count == 5
        assert_search_matches_exact(db, n_queries=5, k=5)


def test_every_bad_input_is_logged_and_the_rest_indexed(tmp_path):
    unusable, usable, coords = bad_inputs(tmp_path / "in")
    db_path = tmp_path / "ref.gpkg"
    report = ingest.build(tmp_path / "in", db_path, PixelEmbedder(), OrbExtractor(), coordinates=coords)
    reasons = {Path(f).name: r for f, r in report.errors}
    assert set(reasons) == set(unusable)
    for name, words in unusable.items():
        assert words.lower() in reasons[name].lower(), (name, reasons[name])
    assert (report.added, report.failed) == (len(usable), len(unusable))
    with ReferenceDatabase.open(db_path) as db:
        assert sorted(Path(v.image_path).name for v in db.views(db.ids())) == sorted(usable)
        assert {Path(f).name for f, _ in db.errors()} == set(unusable)
        # 16-bit images are scaled to 8 bits, not clipped to white
        rgb16 = [v for v in db.views(db.ids()) if v.image_path.endswith("rgb16.png")][0]
        assert 20 < db.load_view_image(rgb16.view_id).mean() < 235


# --- the shared real data (a few files) --------------------------------------------------

def test_amsterdam_panoramas_with_manifest(tmp_path, datasets_dir):
    src = datasets_dir / "amsterdam-panoramas"
    rows = list(csv.DictReader(open(src / "manifest.csv")))[:2]
    folder = tmp_path / "in"
    folder.mkdir()
    for r in rows:
        os.symlink(src / r["file"], folder / r["file"])
    report = ingest.build(folder, tmp_path / "ams.gpkg", PixelEmbedder(), None,
                          coordinates=src / "manifest.csv", config=BuildConfig(panorama_headings=4))
    assert (report.added, report.failed) == (2, 0)
    with ReferenceDatabase.open(tmp_path / "ams.gpkg") as db:
        views = db.views(db.ids())
        assert len(views) == 2 * 4
        assert {v.pano_id for v in views} == {r["pano_id"] for r in rows}
        for v in views:
            assert 110000 < v.x < 135000 and 475000 < v.y < 500000 and not v.outside_nl  # Amsterdam
            assert v.heading is None and v.rel_heading in (0, 90, 180, 270)
        img = db.load_view_image(views[0].view_id)
        assert img.shape == (768, 1024, 3)
        assert (img.reshape(-1, 3).max(axis=1) < 8).mean() < 0.01  # no blacked-out bottom in the view


def test_shared_bad_inputs(tmp_path, datasets_dir):
    src = datasets_dir / "bad-inputs"
    report = ingest.build(src, tmp_path / "bad.gpkg", PixelEmbedder(), None, config=BuildConfig(panorama_headings=2))
    reasons = {Path(f).name: r for f, r in report.errors}
    assert set(reasons) == {"e1_without_exif.jpg", "invalid_exif.jpg", "crop.jpg"}
    assert "no GPS" in reasons["e1_without_exif.jpg"]
    assert "NaN" in reasons["invalid_exif.jpg"]
    assert "too small" in reasons["crop.jpg"]
    assert report.added == 5
    with ReferenceDatabase.open(tmp_path / "bad.gpkg") as db:
        views = db.views(db.ids())
        assert all(v.outside_nl for v in views)  # France: kept and flagged
        pano = [v for v in views if Path(v.image_path).name == "1_blurred.jpg"]
        assert len(pano) == 2 and round(pano[0].heading) == 349  # EXIF GPSImgDirection of the panorama
