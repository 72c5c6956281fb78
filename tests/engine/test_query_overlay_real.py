"""Issue 23: the queries' own overlay when several photos come together. A batch of
eight photos of one camera (views of unlocated Amsterdam panoramas, each with the same
burnt-in date stamp, saved as JPEG) learns the stamp as its mask with the build's
learner; located against references that carry the same stamp in capture groups too
small to learn a mask from (so no reference mask removes it), the query's keypoints
on the stamp are dropped and not one match lies on it."""
import sys
from pathlib import Path

import numpy as np
import pytest

from geopin.geopin_plugin.engine import query_overlay
from geopin.geopin_plugin.engine.builder import ingest
from geopin.geopin_plugin.engine.database import overlay_masks
from geopin.geopin_plugin.engine.evaluation.overlays import paint_stamp
from geopin.geopin_plugin.engine.images import load_image
from geopin.geopin_plugin.engine.models import DEFAULT_EMBEDDER, DEFAULT_EXTRACTOR
from geopin.geopin_plugin.engine.panorama import perspective_view
from geopin.geopin_plugin.engine.pipeline import Geolocator, _extract
from geopin.geopin_plugin.engine.registry import shared

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import geolocation_db  # noqa: E402

SIZE = (1024, 768)
BATCH = 8


def _stamp_box():
    w, h = SIZE
    ys, xs = np.nonzero(paint_stamp(np.zeros((h, w, 3), np.uint8)).any(axis=2))
    return xs.min(), ys.min(), xs.max(), ys.max()


def _on_stamp(points, size):
    """Bool per (x, y) in an image of ``size``: inside the stamp's box."""
    x0, y0, x1, y1 = _stamp_box()
    sx, sy = SIZE[0] / size[0], SIZE[1] / size[1]
    x, y = points[:, 0] * sx, points[:, 1] * sy
    return (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)


@pytest.fixture(scope="module")
def stamped(tmp_path_factory, datasets_dir):
    """(database, query photo paths): references are stamped views of five panoramas, one
    folder per panorama (4 views: too few to learn a mask from); the queries are eight
    stamped views of unlocated panoramas in one folder (one camera)."""
    root = tmp_path_factory.mktemp("query_overlay")
    rows = geolocation_db.manifest(datasets_dir)
    coords = {}
    for pano_id in geolocation_db.PANOS:
        row = rows[pano_id]
        pano = load_image(Path(datasets_dir) / "amsterdam-panoramas" / row["file"])
        (root / "refs" / pano_id).mkdir(parents=True)
        for heading in (0, 90, 180, 270):
            path = geolocation_db.save_jpeg(root / "refs" / pano_id / f"h{heading}.jpg",
                                            paint_stamp(perspective_view(pano, heading, 90.0, SIZE)))
            coords[str(path.relative_to(root / "refs"))] = {"lat": row["lat"], "lon": row["lon"]}
    db = root / "stamped.gpkg"
    report = ingest.build(root / "refs", db, shared("embedder", DEFAULT_EMBEDDER),
                          shared("extractor", DEFAULT_EXTRACTOR), coordinates=coords)
    assert report.added == 20 and report.masks.learned == [] and report.masks.too_small == 5
    (root / "batch").mkdir()
    unlocated = sorted((Path(datasets_dir) / "amsterdam-unlocated").glob("*.jpg"))[::5][:BATCH]
    queries = [geolocation_db.save_jpeg(root / "batch" / f"{p.stem}.jpg",
                                        paint_stamp(perspective_view(load_image(p), 45.0, 65.0, SIZE)))
               for p in unlocated]
    return db, queries


def test_a_batch_of_one_camera_learns_its_stamp(stamped):
    _, queries = stamped
    masks = query_overlay.learn_query_masks(queries)
    (group, images, share), = masks.learned
    assert images == BATCH and group.endswith(f"{SIZE[0]}x{SIZE[1]}")
    assert 0.002 < share < 0.05  # the stamp, not the streets
    mask = masks.mask_for(queries[0])
    assert all(masks.mask_for(q) is mask for q in queries)
    x0, y0, x1, y1 = _stamp_box()
    rows, cols = mask.cells.shape
    inside = mask.cells[y0 * rows // SIZE[1]:y1 * rows // SIZE[1] + 1, x0 * cols // SIZE[0]:x1 * cols // SIZE[0] + 1]
    assert inside.mean() > 0.6
    # fewer photos than a mask needs, or photos of another camera: nothing learned
    assert query_overlay.learn_query_masks(queries[:overlay_masks.MIN_GROUP_IMAGES - 1]).learned == []


def test_the_query_mask_keeps_the_stamp_out_of_the_matches(stamped):
    db, queries = stamped
    masks = query_overlay.learn_query_masks(queries)
    extractor = shared("extractor", DEFAULT_EXTRACTOR)
    geo = Geolocator(str(db))
    try:
        for path in queries[:3]:
            image = load_image(path)
            plain = extractor.extract(image)
            masked = _extract(extractor, image, masks.mask_for(path))
            assert _on_stamp(plain.keypoints, plain.image_size).sum() >= 5  # the stamp holds keypoints
            assert _on_stamp(masked.keypoints, masked.image_size).sum() == 0
            assert len(masked.keypoints) > 0.9 * len(plain.keypoints)  # the rest of the photo stays
            answer = geo.locate(image, query_mask=masks.mask_for(path))
            on_stamp = sum(int(_on_stamp(np.asarray(c.matches)[:, :2], answer.query_feature_size).sum())
                           for c in answer.candidates if len(c.matches))
            assert on_stamp == 0 and answer.label != "confident"  # an unlocated place
    finally:
        geo.close()
