"""Reference database: ingest, append-only re-runs, cancel, crash (SIGKILL) and
resume, index validation and repair, area search, whitening, bad inputs, and the
real shared datasets (a few files only)."""
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

from geopin.geopin_plugin.engine import geo, images, ingest, panorama, refdb
from geopin.geopin_plugin.engine.refdb import DatabaseError, ReferenceDatabase

PLUGINS_DIR = Path(__file__).resolve().parents[2] / "build" / "plugins"
TESTS_ENGINE = Path(__file__).resolve().parent
if str(TESTS_ENGINE) not in sys.path:  # pytest runs with --import-mode=importlib
    sys.path.insert(0, str(TESTS_ENGINE))

from fixtures_refdb import AMSTERDAM, bad_inputs, make_photos, panorama as make_panorama  # noqa: E402
from refdb_helpers import OrbExtractor, PixelEmbedder  # noqa: E402

pytestmark = pytest.mark.timeout(120)


def assert_search_matches_exact(db, n_queries=5, k=10):
    vecs = db.embeddings(db.ids()[:n_queries])
    approx = db.search(vecs, k=k)
    exact = db.exact_search(vecs, k=k)
    all_ids = set(db.ids().tolist())
    for a, e in zip(approx, exact):
        assert {h.view_id for h in a} <= all_ids
        assert a[0].view_id == e[0].view_id
        assert a[0].similarity == pytest.approx(1.0, abs=1e-4)
        assert len({h.view_id for h in a} & {h.view_id for h in e}) >= k - 1


def test_build_photos_and_panorama(tmp_path):
    folder = tmp_path / "in"
    make_photos(folder, 4)
    make_panorama(folder / "pano.jpg", 7)
    (folder / "coords.csv").write_text(f"file,lat,lon,heading\npano.jpg,{AMSTERDAM[0]},{AMSTERDAM[1]},30\n")
    db_path = tmp_path / "ref.gpkg"
    progress = []
    report = ingest.build(folder, db_path, PixelEmbedder(), OrbExtractor(), coordinates=folder / "coords.csv",
                          panorama_headings=6, progress=lambda f, m: progress.append((f, m)))
    assert (report.added, report.skipped, report.failed) == (5, 0, 0)
    assert report.views_added == 4 + 6
    assert progress[-1][0] == 1.0 and all(0.0 <= f <= 1.0 for f, _ in progress)
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
        assert refdb.parse_gpkg_point(blob) == pytest.approx((x, y))
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
    from geopin.geopin_plugin.engine import ingest, refdb
    where = sys.argv[3]
    class Dying(PixelEmbedder):
        def embed(self, imgs):
            if where == "ingest" and self.calls >= 2:  # 2 images committed
                os.kill(os.getpid(), signal.SIGKILL)
            return super().embed(imgs)
    if where == "commit":
        real = refdb.ReferenceDatabase.add_image
        count = [0]
        def add_image(self, *a, **k):
            count[0] += 1
            if count[0] == 3:  # die inside the transaction, after the first INSERTs
                con = self._con
                con.execute("BEGIN IMMEDIATE")
                con.execute("INSERT INTO geopin_metadata VALUES ('half-written', '1')")
                os.kill(os.getpid(), signal.SIGKILL)
            return real(self, *a, **k)
        refdb.ReferenceDatabase.add_image = add_image
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


@pytest.fixture()
def two_databases(tmp_path):
    """Two databases with the same count and embedder but different images."""
    paths = []
    for name, start in (("a", 0), ("b", 50)):
        folder = tmp_path / f"in_{name}"
        make_photos(folder, 6, start=start)
        db_path = tmp_path / f"{name}.gpkg"
        ingest.build(folder, db_path, PixelEmbedder(), None)
        paths.append(db_path)
    return paths


def _index_files(db_path):
    with ReferenceDatabase.open(db_path) as db:
        p = db.index_path()
    return p, Path(str(p) + ".json")


def _check_rebuilt(db_path, caplog):
    with caplog.at_level("WARNING", logger="geopin"):
        with ReferenceDatabase.open(db_path) as db:
            assert_search_matches_exact(db, n_queries=6, k=6)
            hits = db.search(db.embeddings(db.ids()), k=1)
            assert [h[0].view_id for h in hits] == db.ids().tolist()  # never wrong ids
    assert any("Rebuilding the search index" in r.message for r in caplog.records)
    caplog.clear()
    with caplog.at_level("WARNING", logger="geopin"):
        ReferenceDatabase.open(db_path).close()  # the repaired index is accepted as is
    assert not any("Rebuilding" in r.message for r in caplog.records)


def test_index_from_another_database_is_rebuilt(two_databases, caplog):
    a, b = two_databases
    ia, sa = _index_files(a)
    ib, sb = _index_files(b)
    ia.write_bytes(ib.read_bytes())
    sa.write_text(sb.read_text())  # same count/dim/model, other checksum and ids
    _check_rebuilt(a, caplog)


def test_index_with_consistent_sidecar_but_other_vectors_is_rebuilt(two_databases, caplog):
    a, b = two_databases
    ia, sa = _index_files(a)
    ib, _ = _index_files(b)
    ia.write_bytes(ib.read_bytes())  # the sidecar still claims a's checksum
    _check_rebuilt(a, caplog)


@pytest.mark.parametrize("damage", ["truncate", "garbage", "header_count", "header_dim", "sidecar_dim", "missing",
                                    "no_sidecar", "tail"])
def test_damaged_index_is_rebuilt_never_crashes(two_databases, caplog, damage):
    a, _ = two_databases
    index, side = _index_files(a)
    data = bytearray(index.read_bytes())
    if damage == "truncate":
        index.write_bytes(bytes(data[: len(data) // 2]))
    elif damage == "garbage":
        index.write_bytes(os.urandom(len(data)))
    elif damage == "header_count":
        data[16:24] = (5).to_bytes(8, "little")
        index.write_bytes(bytes(data))
    elif damage == "header_dim":
        data[24:32] = (int.from_bytes(data[24:32], "little") - 4).to_bytes(8, "little")
        index.write_bytes(bytes(data))
    elif damage == "sidecar_dim":
        info = json.loads(side.read_text())
        info["dim"] = 32
        side.write_text(json.dumps(info))
    elif damage == "missing":
        index.unlink()
    elif damage == "no_sidecar":
        side.unlink()
    elif damage == "tail":
        index.write_bytes(bytes(data) + b"\0\0\0\0")
    if damage == "missing":
        with ReferenceDatabase.open(a) as db:
            assert_search_matches_exact(db, n_queries=6, k=6)
        assert index.exists()
    else:
        _check_rebuilt(a, caplog)


def test_open_errors(tmp_path):
    with pytest.raises(DatabaseError, match="not found"):
        ReferenceDatabase.open(tmp_path / "nope.gpkg")
    (tmp_path / "empty.gpkg").write_bytes(b"")
    with pytest.raises(DatabaseError, match="empty file"):
        ReferenceDatabase.open(tmp_path / "empty.gpkg")
    (tmp_path / "text.gpkg").write_text("hello")
    with pytest.raises(DatabaseError):
        ReferenceDatabase.open(tmp_path / "text.gpkg")
    con = sqlite3.connect(tmp_path / "other.gpkg")
    con.execute("CREATE TABLE t (a)")
    con.close()
    with pytest.raises(DatabaseError, match="not a GeoPin"):
        ReferenceDatabase.open(tmp_path / "other.gpkg")
    ReferenceDatabase.create_or_open(tmp_path / "new.gpkg", "test-pixels-v1", 64).close()
    with pytest.raises(DatabaseError, match="no views"):
        ReferenceDatabase.open(tmp_path / "new.gpkg")
    db = ReferenceDatabase.create_or_open(tmp_path / "new.gpkg", "test-pixels-v1", 64)
    db.set_meta(schema_version=refdb.SCHEMA_VERSION + 1)
    db.close()
    with pytest.raises(DatabaseError, match="newer"):
        ReferenceDatabase.open(tmp_path / "new.gpkg")


def test_area_search_returns_k_hits_inside(tmp_path):
    folder = tmp_path / "in"
    make_photos(folder, 30)
    db_path = tmp_path / "ref.gpkg"
    ingest.build(folder, db_path, PixelEmbedder(), None)
    with ReferenceDatabase.open(db_path) as db:
        views = db.views(db.ids())
        ys = np.array([v.y for v in views])
        cut = np.median(ys)
        xs = np.array([v.x for v in views])
        ring = np.array([[xs.min() - 10, ys.min() - 10], [xs.max() + 10, ys.min() - 10],
                         [xs.max() + 10, cut], [xs.min() - 10, cut]])
        inside = {v.view_id for v in views if v.y < cut}
        query = db.embeddings([max(db.ids())])  # a view from outside the area
        hits = db.search(query, k=8, area=[ring])[0]
        assert len(hits) == 8 and {h.view_id for h in hits} <= inside
        sims = [h.similarity for h in hits]
        assert sims == sorted(sims, reverse=True)
        # filtered HNSW path gives the same answer as the exact subset search
        old = refdb.EXACT_LIMIT
        refdb.EXACT_LIMIT = 0
        try:
            hnsw_hits = db.search(query, k=8, area=[ring])[0]
        finally:
            refdb.EXACT_LIMIT = old
        assert {h.view_id for h in hnsw_hits} <= inside and len(hnsw_hits) == 8
        assert hnsw_hits[0].view_id == hits[0].view_id
        # a hole removes its points; a polygon with fewer views than k returns them all
        hole = np.array([[xs.min() - 20, ys.min() - 20], [xs.max() + 20, ys.min() - 20],
                         [xs.max() + 20, ys.max() + 20], [xs.min() - 20, ys.max() + 20]])
        assert db.search(query, k=5, area=[hole, ring])[0] and all(
            h.view_id not in inside for h in db.search(query, k=5, area=[hole, ring])[0])
        small = np.array([[views[0].x - 1, views[0].y - 1], [views[0].x + 1, views[0].y - 1],
                          [views[0].x + 1, views[0].y + 1], [views[0].x - 1, views[0].y + 1]])
        assert [h.view_id for h in db.search(query, k=5, area=[small])[0]] == [views[0].view_id]


def test_whitening_option(tmp_path):
    folder = tmp_path / "in"
    make_photos(folder, 12)
    db_path = tmp_path / "ref.gpkg"
    ingest.build(folder, db_path, PixelEmbedder(), None, whitening=True)
    with ReferenceDatabase.open(db_path) as db:
        w = db.whitening()
        assert db.meta["whitening"] is True and w is not None and w.n_fit == 12
        assert w.dim_out == 11 and ".w11n12." in db.index_path().name
        assert_search_matches_exact(db, n_queries=6, k=6)
        raw = db.embeddings(db.ids()[:1])
        assert np.linalg.norm(w.apply(raw), axis=1) == pytest.approx(1.0)
    make_photos(folder, 4, start=12)  # +33 %: re-learned, index rebuilt under a new name
    ingest.build(folder, db_path, PixelEmbedder(), None)
    with ReferenceDatabase.open(db_path) as db:
        assert db.whitening().n_fit == 16 and ".w15n16." in db.index_path().name
        assert len(list(tmp_path.glob("ref.*.hnsw"))) == 1
        assert_search_matches_exact(db, n_queries=6, k=6)


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


def test_image_conversions(tmp_path):
    unusable, usable, _ = bad_inputs(tmp_path)
    src = images.load_image(tmp_path / "ok.jpg")
    assert src.dtype == np.uint8 and src.shape == (120, 160, 3)
    a16 = images.load_image(tmp_path / "rgb16.png").astype(int)
    a16t = images.load_image(tmp_path / "rgb16.tif").astype(int)
    assert np.abs(a16 - a16t).max() <= 1
    g = images.load_image(tmp_path / "grey16.png")
    assert g.shape == (120, 160, 3) and g[0, 0, 0] == 0 and g[-1, -1, 0] == 255
    with pytest.raises(images.ImageError, match="limit"):
        images.load_image(tmp_path / "ok.jpg", max_pixels=100)


def test_exif_orientation_applied(tmp_path):
    from PIL import Image

    img = np.zeros((20, 40, 3), np.uint8)
    img[:, :20] = 255
    ex = Image.Exif()
    ex[0x0112] = 6  # rotate 90° clockwise to display
    Image.fromarray(img).save(tmp_path / "o.jpg", exif=ex)
    out = images.load_image(tmp_path / "o.jpg")
    assert out.shape == (40, 20, 3)
    assert out[:15].mean() > 200 and out[25:].mean() < 50
    assert images.image_size(tmp_path / "o.jpg") == (20, 40)


def test_panorama_geometry():
    pano = np.zeros((512, 1024, 3), np.uint8)
    pano[:, 512 - 8:512 + 8] = 255  # a vertical line at the centre column (heading 0)
    view = panorama.perspective_view(pano, 0.0, 90.0, size=(200, 150))
    assert view[:, 95:105].mean() > 200 and view[:, :80].mean() < 5
    behind = panorama.perspective_view(pano, 180.0, 90.0, size=(200, 150))
    assert behind.mean() < 5
    right = panorama.perspective_view(pano, 45.0, 90.0, size=(200, 150))
    assert right[:, :6].mean() > 100  # 45° to the right puts the centre at the left edge
    # the shifted window: lowest ray at min_elevation, horizon lower in the image
    pano2 = np.zeros((512, 1024, 3), np.uint8)
    pano2[int(512 * (0.5 + 25 / 180)):] = 255  # everything below -25° is white
    shifted = panorama.perspective_view(pano2, 0.0, 90.0, size=(200, 150), min_elevation_deg=-22.0)
    centred = panorama.perspective_view(pano2, 0.0, 90.0, size=(200, 150))
    assert shifted[-1].mean() < 5 and centred[-1].mean() > 200
    assert panorama.is_equirectangular(8000, 4000) and not panorama.is_equirectangular(1024, 512)
    assert panorama.is_equirectangular(1024, 512, {"ProjectionType": "equirectangular"})
    assert not panorama.is_equirectangular(128, 21, {"ProjectionType": "equirectangular",
                                                     "FullPanoWidthPixels": "15872", "FullPanoHeightPixels": "7936",
                                                     "CroppedAreaImageWidthPixels": "15872",
                                                     "CroppedAreaImageHeightPixels": "2606"})


def test_geo():
    x, y = geo.wgs84_to_rd(52.15517440, 5.38720621)  # Amersfoort, the RD origin (155000, 463000)
    assert abs(x - 155000) < 1.0 and abs(y - 463000) < 1.0
    lat, lon = geo.rd_to_wgs84(x, y)
    assert (lat, lon) == pytest.approx((52.15517440, 5.38720621), abs=1e-7)
    xs, ys = geo.wgs84_to_rd(np.array([52.0, 52.1]), np.array([4.5, 4.6]))
    assert xs.shape == (2,)
    assert geo.geodesic_distance_m(52.0, 4.0, 52.0, 4.001) == pytest.approx(68.6, abs=0.5)
    assert geo.inside_netherlands(52.37, 4.89) and not geo.inside_netherlands(55.7, 13.2)
    assert geo.valid_wgs84(0, 0) and geo.valid_wgs84(float("nan"), 4) and geo.valid_wgs84(91, 4)
    assert geo.valid_wgs84(52.0, 4.0) is None


# --- the shared real data (a few files) --------------------------------------------------

def test_amsterdam_panoramas_with_manifest(tmp_path, datasets_dir):
    src = datasets_dir / "amsterdam-panoramas"
    rows = list(csv.DictReader(open(src / "manifest.csv")))[:2]
    folder = tmp_path / "in"
    folder.mkdir()
    for r in rows:
        os.symlink(src / r["file"], folder / r["file"])
    report = ingest.build(folder, tmp_path / "ams.gpkg", PixelEmbedder(), None,
                          coordinates=src / "manifest.csv", panorama_headings=4)
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


def test_lund_exif_gps_for_all_29(datasets_dir):
    lund = datasets_dir / "lund"
    manifest = {r["file"]: r for r in csv.DictReader(open(lund / "manifest.csv"))}
    files = sorted(lund.glob("*.jpg"))
    assert len(files) == 29
    for f in files:
        exif = images.read_exif(f)
        assert exif["gps_error"] is None, f
        assert exif["lat"] == pytest.approx(float(manifest[f.name]["lat"]), abs=1e-6)
        assert exif["lon"] == pytest.approx(float(manifest[f.name]["lon"]), abs=1e-6)
        assert not geo.inside_netherlands(exif["lat"], exif["lon"])


def test_shared_bad_inputs(tmp_path, datasets_dir):
    src = datasets_dir / "bad-inputs"
    report = ingest.build(src, tmp_path / "bad.gpkg", PixelEmbedder(), None, panorama_headings=2)
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


def test_whitening_decorrelates_and_subsamples():
    from geopin.geopin_plugin.engine import whitening

    rng = np.random.default_rng(3)
    scales = np.linspace(0.1, 3.0, 16)
    x = (rng.standard_normal((4000, 16)) * scales) @ np.linalg.qr(rng.standard_normal((16, 16)))[0]
    w = whitening.fit(x, shrinkage=0.0)
    y = (x - w.mean) @ w.projection
    cov = np.cov(y.T)
    assert w.dim_out == 16 and np.allclose(cov, np.eye(16), atol=0.05)
    assert np.linalg.norm(w.apply(x[:3]), axis=1) == pytest.approx(1.0)
    sub = whitening.fit(x, max_samples=500)
    assert sub.n_fit == 4000 and sub.dim_out == 16
    with pytest.raises(ValueError):
        w.apply(np.zeros((1, 8)))
