"""Search through the database's index: area-restricted search (exact over a
small subset, filtered index search otherwise), whitening on the indexed vectors."""
import numpy as np
import pytest
from fixtures_refdb import make_photos
from refdb_helpers import PixelEmbedder, assert_search_matches_exact

from geopin.geopin_plugin.engine.builder import ingest
from geopin.geopin_plugin.engine.database import refdb
from geopin.geopin_plugin.engine.database.refdb import ReferenceDatabase

pytestmark = pytest.mark.timeout(120)


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


def test_whitening_decorrelates_and_subsamples():
    from geopin.geopin_plugin.engine.database.index import whitening

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
