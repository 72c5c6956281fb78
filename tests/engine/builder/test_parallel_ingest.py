"""Parallel ingest on the local cores (engine/builder/pool.py): worker processes
compute, this process commits. The same database as the serial path (real
models, shared images), cancel mid-run, a worker that dies on one image, models
that cannot load, and kill -9 of the writer with workers running."""
import csv
import multiprocessing
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from geopin.geopin_plugin.engine.builder import ingest
from geopin.geopin_plugin.engine.builder.config import BuildConfig
from geopin.geopin_plugin.engine.builder.runners import local_runner
from geopin.geopin_plugin.engine.builder.pool import ProcessRunner, WorkerStartError
from geopin.geopin_plugin.engine.database.store import DatabaseError
from geopin.geopin_plugin.engine.database.refdb import ReferenceDatabase

PLUGINS_DIR = Path(__file__).resolve().parents[3] / "build" / "plugins"
TESTS_ENGINE = Path(__file__).resolve().parents[1]
if str(TESTS_ENGINE) not in sys.path:  # pytest runs with --import-mode=importlib
    sys.path.insert(0, str(TESTS_ENGINE))

import refdb_helpers  # noqa: E402
from fixtures_refdb import AMSTERDAM, gps_exif, make_photos  # noqa: E402
from refdb_helpers import OrbExtractor, PixelEmbedder  # noqa: E402

pytestmark = pytest.mark.timeout(180)


def top1_is_self(db):
    hits = db.search(db.embeddings(db.ids()), k=1)
    return [h[0].view_id for h in hits] == db.ids().tolist()


def content(db_path, extractor_id=None):
    """Everything a build stored, keyed by (content hash, view index): never by
    view id, which follows the order the results were committed in."""
    out = {}
    with ReferenceDatabase.open(db_path) as db:
        ids = db.ids().tolist()
        embs = db.embeddings(ids)
        feats = db.local_features(ids, extractor_id) if extractor_id else {}
        con = db.store._con
        for vid, emb in zip(ids, embs):
            row = con.execute("SELECT content_hash, view_index, source, image_path, view_image, pano_id, is_panorama, "
                              "heading, rel_heading, fov, lat, lon, x, y FROM reference_views WHERE fid=?",
                              (vid,)).fetchone()
            jpeg = (db.path.parent / row[4]).read_bytes() if row[4] else None
            out[(row[0], row[1])] = {"row": row, "embedding": emb, "features": feats.get(vid), "jpeg": jpeg}
        images = con.execute("SELECT content_hash, path, n_views FROM geopin_images ORDER BY content_hash").fetchall()
    return out, images


def test_same_database_as_the_serial_path_on_shared_images(tmp_path, datasets_dir):
    """Two Amsterdam panoramas and a Lund photo with the default models: a build
    in two worker processes stores what the serial build stores."""
    from geopin.geopin_plugin.engine import embed, models, registry

    try:
        embedder = embed.load_embedder(models.DEFAULT_EMBEDDER)
        extractor = registry.load_extractor(models.DEFAULT_EXTRACTOR)
    except models.ModelError as exc:
        pytest.skip(f"default models not built (make models): {exc}")
    pano_dir = datasets_dir / "amsterdam-panoramas"
    with open(pano_dir / "manifest.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))[:2]
    records = [ingest.ImageRecord(path=str(pano_dir / r["file"]), lat=float(r["lat"]), lon=float(r["lon"]),
                                  pano_id=r["pano_id"]) for r in rows]
    records += [ingest.ImageRecord(path=str(p)) for p in sorted((datasets_dir / "lund").glob("*.jpg"))[:1]]
    (tmp_path / "serial").mkdir()
    (tmp_path / "parallel").mkdir()
    serial_db, parallel_db = tmp_path / "serial" / "ref.gpkg", tmp_path / "parallel" / "ref.gpkg"
    # view copies kept: the workers' JPEG bytes must be the serial build's
    serial = ingest.add_records(serial_db, records, embedder, extractor, config=BuildConfig(panorama_headings=2, keep_view_images=True))
    runner = local_runner(embedder, extractor, workers=2)
    assert isinstance(runner, ProcessRunner)
    parallel = ingest.add_records(parallel_db, records, embedder, extractor, config=BuildConfig(panorama_headings=2, keep_view_images=True),
                                  runner=runner)
    assert (serial.added, serial.views_added, serial.failed) == (3, 5, 0), serial.errors
    assert (parallel.added, parallel.views_added, parallel.failed) == (3, 5, 0), parallel.errors
    a, a_images = content(serial_db, extractor.preset_id)
    b, b_images = content(parallel_db, extractor.preset_id)
    assert a_images == b_images and a.keys() == b.keys()
    for key in a:
        va, vb = a[key], b[key]
        assert va["row"] == vb["row"] and va["jpeg"] == vb["jpeg"] and va["jpeg"], key
        # one onnxruntime thread per worker vs all cores here: sums in another order
        np.testing.assert_allclose(va["embedding"], vb["embedding"], atol=1e-5)
        fa, fb = va["features"], vb["features"]
        assert fa.image_size == fb.image_size and abs(len(fa.keypoints) - len(fb.keypoints)) <= 2
        n = min(len(fa.keypoints), len(fb.keypoints))
        assert np.mean(np.all(np.abs(fa.keypoints[:n] - fb.keypoints[:n]) < 0.5, axis=1)) > 0.99
    with ReferenceDatabase.open(parallel_db) as db, ReferenceDatabase.open(serial_db) as ref:
        assert db.meta["counts"] == ref.meta["counts"]
        assert top1_is_self(db)


def test_serial_when_workers_cannot_help_or_load_the_models():
    emb, ext = PixelEmbedder(), OrbExtractor()
    assert local_runner(emb, ext, workers=4) is None  # test doubles: not loadable elsewhere
    assert local_runner(emb, ext, workers=1) is None


def test_cancel_mid_run_stops_promptly_and_keeps_every_commit(tmp_path):
    folder = tmp_path / "in"
    make_photos(folder, 12)
    db_path = tmp_path / "ref.gpkg"
    started, canceled_at = [], []

    def is_canceled():
        if len(started) >= 5 and not canceled_at:
            canceled_at.append(time.monotonic())
        return bool(canceled_at)

    report = ingest.build(folder, db_path, PixelEmbedder(), None, progress=lambda s, f, m: started.append(m),
                          is_canceled=is_canceled,
                          runner=ProcessRunner(refdb_helpers.slow_pixel_models, workers=2))
    stopped_after = time.monotonic() - canceled_at[0]
    assert report.canceled and 0 < report.added < 12 and report.failed == 0
    assert stopped_after < 3.0, stopped_after  # workers are stopped, not waited for
    assert not multiprocessing.active_children()
    with ReferenceDatabase.open(db_path) as db:
        assert db.count == report.added and top1_is_self(db)
    rest = ingest.build(folder, db_path, PixelEmbedder(), None,
                        runner=ProcessRunner(refdb_helpers.pixel_models, workers=2))
    assert (rest.added, rest.skipped, rest.failed) == (12 - report.added, report.added, 0)
    with ReferenceDatabase.open(db_path) as db:
        assert db.count == 12 and top1_is_self(db)


def test_a_worker_that_dies_on_one_image_costs_only_that_image(tmp_path):
    folder = tmp_path / "in"
    make_photos(folder, 5)
    poison = np.full((120, 160, 3), refdb_helpers.POISON_RGB, np.uint8)
    Image.fromarray(poison).save(folder / "p002_poison.jpg", exif=gps_exif(*AMSTERDAM), quality=95)
    runner = ProcessRunner(refdb_helpers.poisoned_pixel_models, workers=2)
    report = ingest.build(folder, tmp_path / "ref.gpkg", PixelEmbedder(), None, runner=runner)
    assert (report.added, report.failed) == (5, 1), report.errors
    (file, reason), = report.errors
    assert Path(file).name == "p002_poison.jpg" and "worker process stopped" in reason
    assert runner.restarts == 1
    with ReferenceDatabase.open(tmp_path / "ref.gpkg") as db:
        assert db.count == 5 and top1_is_self(db)
        assert [Path(f).name for f, _ in db.errors()] == ["p002_poison.jpg"]


def test_models_that_cannot_load_stop_the_build_with_the_reason(tmp_path):
    folder = tmp_path / "in"
    make_photos(folder, 3)
    with pytest.raises(WorkerStartError, match="model file not built"):
        ingest.build(folder, tmp_path / "ref.gpkg", PixelEmbedder(), None,
                     runner=ProcessRunner(refdb_helpers.broken_models, workers=2))
    assert not multiprocessing.active_children()
    with pytest.raises(DatabaseError, match="no views yet"):
        ReferenceDatabase.open(tmp_path / "ref.gpkg")


KILL_WRITER = textwrap.dedent("""
    import multiprocessing, os, signal, sys
    sys.path.insert(0, {plugins!r}); sys.path.insert(0, {tests!r})
    import refdb_helpers
    from refdb_helpers import PixelEmbedder
    from geopin.geopin_plugin.engine.builder import ingest
    from geopin.geopin_plugin.engine.database import refdb
    from geopin.geopin_plugin.engine.builder.pool import ProcessRunner
    real = refdb.ReferenceDatabase.add_image
    count = [0]
    def add_image(self, *a, **k):
        count[0] += 1
        if count[0] == 3:  # die inside the transaction, after the first INSERTs, workers busy
            with open(sys.argv[3], "w") as fh:
                fh.write(" ".join(str(p.pid) for p in multiprocessing.active_children()))
            self.store._con.execute("BEGIN IMMEDIATE")
            self.store._con.execute("INSERT INTO geopin_metadata VALUES ('half-written', '1')")
            os.kill(os.getpid(), signal.SIGKILL)
        return real(self, *a, **k)
    refdb.ReferenceDatabase.add_image = add_image
    if __name__ == "__main__":
        ingest.build(sys.argv[1], sys.argv[2], PixelEmbedder(), None,
                     runner=ProcessRunner(refdb_helpers.slow_pixel_models, workers=2))
""")


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_kill_9_of_the_writer_keeps_the_commits_and_the_workers_exit(tmp_path):
    folder = tmp_path / "in"
    make_photos(folder, 8)
    db_path, pids_file = tmp_path / "ref.gpkg", tmp_path / "workers.txt"
    script = tmp_path / "kill_writer.py"
    script.write_text(KILL_WRITER.format(plugins=str(PLUGINS_DIR), tests=str(TESTS_ENGINE)))
    proc = subprocess.run([sys.executable, str(script), str(folder), str(db_path), str(pids_file)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    workers = [int(p) for p in pids_file.read_text().split()]
    assert len(workers) == 2
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(p) for p in workers), "worker processes outlived the killed writer"
    with ReferenceDatabase.open(db_path) as db:
        assert db.count == 2 and "half-written" not in db.meta and top1_is_self(db)
    report = ingest.build(folder, db_path, PixelEmbedder(), None)
    assert (report.added, report.skipped, report.failed) == (6, 2, 0)
    with ReferenceDatabase.open(db_path) as db:
        assert db.count == 8 and top1_is_self(db)
