"""Issue 23's static-overlay masks on real shared photos: a burnt-in date stamp in
ten Lund frames (saved as JPEG, so the stamp's pixels differ by compression as on a
real upload) is learned as a mask by the build, its keypoints are not stored, and
the same frames without the stamp get (almost) no mask. A database built before
masks existed gets its mask on the next build run without re-embedding."""
import csv

import cv2
import numpy as np
import pytest

from geopin.geopin_plugin.engine.builder import ingest
from geopin.geopin_plugin.engine.builder import mask_build
from geopin.geopin_plugin.engine.database import overlay_masks
from geopin.geopin_plugin.engine.registry import load_extractor
from geopin.geopin_plugin.engine.models import DEFAULT_EXTRACTOR
from geopin.geopin_plugin.engine.evaluation.overlays import paint_stamp
from geopin.geopin_plugin.engine.database.refdb import ReferenceDatabase

from .refdb_helpers import PixelEmbedder

FRAMES = 10


def _folder(tmp_path, datasets_dir, stamped):
    folder = tmp_path / ("stamped" if stamped else "plain")
    folder.mkdir()
    rows = list(csv.DictReader(open(datasets_dir / "lund" / "manifest.csv")))[:FRAMES]
    for row in rows:
        bgr = cv2.imread(str(datasets_dir / "lund" / row["file"]))
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        if stamped:
            rgb = paint_stamp(rgb)
        cv2.imwrite(str(folder / row["file"]), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 92])
    coords = tmp_path / f"{folder.name}.csv"
    with open(coords, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "lat", "lon"])
        w.writerows([[r["file"], r["lat"], r["lon"]] for r in rows])
    return folder, coords


def _stamp_box(size):
    """Where paint_stamp writes (bottom right), in view pixels: the painted pixels' bounds."""
    w, h = size
    blank = np.zeros((h, w, 3), np.uint8)
    ys, xs = np.nonzero(paint_stamp(blank).any(axis=2))
    return xs.min(), ys.min(), xs.max(), ys.max()


@pytest.fixture(scope="module")
def extractor():
    return load_extractor(DEFAULT_EXTRACTOR)


def _stored(db_path):
    db = ReferenceDatabase.open(db_path)
    try:
        feats = db.store.local_features(db.store.ids(), db.meta["extractor_preset"])
        return db.store.overlay_masks(), feats
    finally:
        db.close()


def test_stamp_is_learned_and_its_keypoints_are_not_stored(tmp_path, datasets_dir, extractor):
    folder, coords = _folder(tmp_path, datasets_dir, stamped=True)
    report = ingest.build(folder, tmp_path / "stamped.gpkg", PixelEmbedder(), extractor, coordinates=coords)
    assert report.added == FRAMES and report.masks is not None
    assert len(report.masks.learned) == 1 and report.masks.keypoints_dropped > 0
    masks, feats = _stored(tmp_path / "stamped.gpkg")
    (mask, upto), = masks.values()
    assert mask.images == FRAMES and mask.method == overlay_masks.METHOD
    assert 0.002 < mask.masked_share < 0.05  # the stamp, not the street
    x0, y0, x1, y1 = _stamp_box((1024, 768))
    rows, cols = mask.cells.shape
    covered = mask.cells[int(y0 * rows / 768):int(y1 * rows / 768) + 1, int(x0 * cols / 1024):int(x1 * cols / 1024) + 1]
    assert covered.mean() > 0.6
    inside = [((f.keypoints[:, 0] >= x0) & (f.keypoints[:, 0] <= x1) & (f.keypoints[:, 1] >= y0)
               & (f.keypoints[:, 1] <= y1)).sum() for f in feats.values()]
    assert len(feats) == FRAMES and sum(inside) <= FRAMES  # at most a stray one at the stamp's edge per frame
    # an unstamped extraction of a frame does find keypoints on the stamp: the mask removed them
    stamped = cv2.cvtColor(cv2.imread(str(next(folder.glob("*.jpg")))), cv2.COLOR_BGR2RGB)
    kp = extractor.extract(stamped).keypoints
    assert ((kp[:, 0] >= x0) & (kp[:, 0] <= x1) & (kp[:, 1] >= y0) & (kp[:, 1] <= y1)).sum() > 20


def test_real_frames_without_overlay_get_almost_no_mask(tmp_path, datasets_dir, extractor):
    folder, coords = _folder(tmp_path, datasets_dir, stamped=False)
    report = ingest.build(folder, tmp_path / "plain.gpkg", PixelEmbedder(), extractor, coordinates=coords)
    assert report.added == FRAMES
    masks, _ = _stored(tmp_path / "plain.gpkg")
    (mask, _), = masks.values()
    assert mask.masked_share < 0.005


def test_existing_database_gets_its_mask_on_the_next_build(tmp_path, datasets_dir, extractor, monkeypatch):
    folder, coords = _folder(tmp_path, datasets_dir, stamped=True)
    db_path = tmp_path / "old.gpkg"
    with monkeypatch.context() as m:  # a database built before masks existed
        m.setattr(mask_build, "learn_and_apply", lambda *a, **k: mask_build.MaskReport())
        ingest.build(folder, db_path, PixelEmbedder(), extractor, coordinates=coords)
    masks, before = _stored(db_path)
    assert masks == {}
    embedder = PixelEmbedder()
    report = ingest.build(folder, db_path, embedder, extractor, coordinates=coords)
    assert report.added == 0 and report.skipped == FRAMES and embedder.calls == 0  # nothing re-embedded
    masks, after = _stored(db_path)
    assert len(masks) == 1 and report.masks.keypoints_dropped > 0
    assert sum(len(f.keypoints) for f in after.values()) == \
        sum(len(f.keypoints) for f in before.values()) - report.masks.keypoints_dropped
    # a third run learns nothing new and drops nothing more
    again = ingest.build(folder, db_path, PixelEmbedder(), extractor, coordinates=coords)
    assert again.masks.learned == [] and again.masks.keypoints_dropped == 0


def test_views_cut_on_threads_give_the_masks_cut_in_order(tmp_path, datasets_dir, extractor, monkeypatch):
    """The mask pass cuts its views again on READ_THREADS threads (issue 30: a build's
    last 10 s went to decoding them one by one): the same mask as on one thread; a
    source moved away leaves its view out with a warning and the rest is learned."""
    folder, coords = _folder(tmp_path, datasets_dir, stamped=True)
    ingest.build(folder, tmp_path / "stamped.gpkg", PixelEmbedder(), extractor, coordinates=coords)
    db = ReferenceDatabase.open(tmp_path / "stamped.gpkg")
    try:
        store = db.store
        groups = mask_build.assign_groups(store.view_rows_for_masks(), {})
        one, two = mask_build._learn(store, groups, threads=1), mask_build._learn(store, groups, threads=2)
        (g, mask), = two.items()
        assert mask.cells.any() and mask.images == FRAMES
        assert one.keys() == two.keys() and np.array_equal(one[g].cells, mask.cells)
        warned = []
        monkeypatch.setattr(store, "warn", warned.append)
        moved = next(folder.glob("*.jpg"))
        moved.rename(tmp_path / moved.name)
        again = mask_build._learn(store, groups, threads=2)
        assert len(warned) == 1 and "cannot be read" in warned[0]
        assert again[g].images == FRAMES - 1 and again[g].cells.any()
    finally:
        db.close()
