"""The build on Dask (engine/builder/cluster.py): a LocalCluster of 2 workers
computes, this process commits. One worker process is killed mid-run on the
shared images: the database is complete, consistent and equal to a serial
build. Cancel keeps every commit and the next run resumes."""
import csv
import os
import signal
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("distributed")

from geopin.geopin_plugin.engine.builder import ingest  # noqa: E402
from geopin.geopin_plugin.engine.builder.config import BuildConfig  # noqa: E402
from geopin.geopin_plugin.engine.builder.cluster import DaskRunner  # noqa: E402
from geopin.geopin_plugin.engine.builder.loaders import models_for  # noqa: E402
from geopin.geopin_plugin.engine.database.refdb import ReferenceDatabase  # noqa: E402

TESTS_ENGINE = Path(__file__).resolve().parents[1]
if str(TESTS_ENGINE) not in sys.path:  # pytest runs with --import-mode=importlib
    sys.path.insert(0, str(TESTS_ENGINE))

import refdb_helpers  # noqa: E402
from fixtures_refdb import make_photos  # noqa: E402
from refdb_helpers import PixelEmbedder  # noqa: E402

pytestmark = pytest.mark.timeout(120)


def shared_records(datasets_dir):
    pano_dir = datasets_dir / "amsterdam-panoramas"
    with open(pano_dir / "manifest.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))[2:4]
    records = [ingest.ImageRecord(path=str(pano_dir / r["file"]), lat=float(r["lat"]), lon=float(r["lon"]),
                                  pano_id=r["pano_id"]) for r in rows]
    return records + [ingest.ImageRecord(path=str(p)) for p in sorted((datasets_dir / "lund").glob("*.jpg"))[2:4]]


def stored(db_path, extractor_id):
    """(content hash, view index) -> (row, embedding, keypoint count), with checks
    that every image is stored once and every view has its features and pixels."""
    with ReferenceDatabase.open(db_path) as db:
        ids = db.ids().tolist()
        con = db.store._con
        hashes = [h for (h,) in con.execute("SELECT content_hash FROM geopin_images")]
        assert len(hashes) == len(set(hashes))
        n_views = dict(con.execute("SELECT content_hash, n_views FROM geopin_images"))
        per_image = dict(con.execute("SELECT content_hash, count(*) FROM reference_views GROUP BY content_hash"))
        assert per_image == n_views  # no image half-stored
        feats = db.local_features(ids, extractor_id)
        assert sorted(feats) == ids
        out = {}
        for vid, emb in zip(ids, db.embeddings(ids)):
            row = con.execute("SELECT content_hash, view_index, image_path, view_image, heading, lat, lon "
                              "FROM reference_views WHERE fid=?", (vid,)).fetchone()
            # a view copy when kept, else the view cut again from its source
            assert (db.path.parent / row[3]).is_file() if row[3] else db.load_view_image(vid).ndim == 3
            out[(row[0], row[1])] = (row[2:], emb, len(feats[vid].keypoints))
        hits = db.search(db.embeddings(ids), k=1)
        assert [h[0].view_id for h in hits] == ids
    return out


def test_killed_worker_loses_nothing_on_the_shared_images(tmp_path, datasets_dir):
    from geopin.geopin_plugin.engine import embed, models, registry

    try:
        embedder = embed.load_embedder(models.DEFAULT_EMBEDDER)
        extractor = registry.load_extractor(models.DEFAULT_EXTRACTOR)
    except models.ModelError as exc:
        pytest.skip(f"default models not built (make models): {exc}")
    records = shared_records(datasets_dir)
    killed = []

    class KillingOneWorker(DaskRunner):
        def _result(self, future, rec, digest):  # after the first result: SIGKILL one worker process
            if not killed:
                pid = sorted(self.client.run(os.getpid).values())[0]
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            return DaskRunner._result(future, rec, digest)

    runner = KillingOneWorker(models_for(embedder, extractor), n_workers=2)
    (tmp_path / "dask").mkdir()
    (tmp_path / "serial").mkdir()
    report = ingest.add_records(tmp_path / "dask" / "ref.gpkg", records, embedder, extractor, config=BuildConfig(panorama_headings=2),
                                runner=runner)
    assert killed, "no worker was killed"
    assert (report.added, report.views_added, report.failed) == (4, 6, 0), report.errors
    serial = ingest.add_records(tmp_path / "serial" / "ref.gpkg", records, embedder, extractor,
                                config=BuildConfig(panorama_headings=2))
    assert serial.views_added == 6
    a = stored(tmp_path / "dask" / "ref.gpkg", extractor.preset_id)
    b = stored(tmp_path / "serial" / "ref.gpkg", extractor.preset_id)
    assert a.keys() == b.keys()
    for key in a:
        assert a[key][0] == b[key][0]
        np.testing.assert_allclose(a[key][1], b[key][1], atol=1e-5)
        assert abs(a[key][2] - b[key][2]) <= 2
    again = ingest.add_records(tmp_path / "dask" / "ref.gpkg", records, embedder, extractor, config=BuildConfig(panorama_headings=2),
                               runner=DaskRunner(models_for(embedder, extractor), n_workers=2))
    assert (again.added, again.skipped) == (0, 4)


def test_cancel_keeps_every_commit_and_the_next_run_resumes(tmp_path):
    folder = tmp_path / "in"
    make_photos(folder, 10)
    db_path = tmp_path / "ref.gpkg"
    messages, canceled_at = [], []

    def is_canceled():
        if not canceled_at and any(" 2 added" in m for m in messages):
            canceled_at.append(time.monotonic())
        return bool(canceled_at)

    report = ingest.build(folder, db_path, PixelEmbedder(), None, progress=lambda s, f, m: messages.append(m),
                          is_canceled=is_canceled, runner=DaskRunner(refdb_helpers.slow_pixel_models, n_workers=2))
    assert report.canceled and 2 <= report.added < 10 and report.failed == 0
    assert time.monotonic() - canceled_at[0] < 15  # includes closing the LocalCluster
    with ReferenceDatabase.open(db_path) as db:
        assert db.count == report.added
    rest = ingest.build(folder, db_path, PixelEmbedder(), None)
    assert (rest.added, rest.skipped, rest.failed) == (10 - report.added, report.added, 0)
