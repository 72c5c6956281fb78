"""faiss's HNSW, the small-database index where hnswlib has no wheel: recall
against exact search, its one-file format refused when damaged, filtered search,
adding views; and a database built with one graph backend opening where only the
other is installed (the index is rebuilt from the stored embeddings)."""
import numpy as np
import pytest
from fixtures_refdb import make_photos
from refdb_helpers import PixelEmbedder, assert_search_matches_exact

faiss = pytest.importorskip("faiss")

from geopin.geopin_plugin.engine.database import index  # noqa: E402
from geopin.geopin_plugin.engine.builder import ingest
from geopin.geopin_plugin.engine.database.index import exact_search  # noqa: E402
from geopin.geopin_plugin.engine.database.index.faiss_hnsw import FaissHnswIndex  # noqa: E402
from geopin.geopin_plugin.engine.database.index.hnsw import HnswIndex  # noqa: E402
from geopin.geopin_plugin.engine.database.refdb import ReferenceDatabase  # noqa: E402

pytestmark = pytest.mark.timeout(240)
DIM = 64


def unit(n, dim=DIM, seed=0):
    x = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_recall_files_filter_and_add(tmp_path, caplog, monkeypatch):
    from geopin.geopin_plugin.engine.database.index import faiss_hnsw

    monkeypatch.setattr(faiss_hnsw, "BATCH", 500)
    x = unit(3000)
    ids = np.arange(3000, dtype=np.int64) * 3 + 7  # labels are view ids, not rows
    with caplog.at_level("INFO", logger="geopin.index"):
        ix = FaissHnswIndex(DIM).build(ids[:2000], x[:2000])
    steps = [r.getMessage() for r in caplog.records if "Building the search index" in r.getMessage()]
    assert len(steps) == 4 and "2000 of 2000 views" in steps[-1]
    ix.add(ids[2000:], x[2000:])
    assert ix.count == 3000
    q = x[::30] + 0.05 * unit(100, seed=1)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    truth = [labels for labels, _ in exact_search(q, ids, x, 20)]
    labels, dist = ix.search(q, 20)
    recall = np.mean([len(set(a.tolist()) & set(t.tolist())) / 20 for a, t in zip(labels, truth)])
    assert recall >= 0.95, recall
    assert np.all(np.diff(dist, axis=1) >= -1e-6)
    assert np.allclose(1 - dist[:, 0], [s[0] for _, s in exact_search(q, ids, x, 1)], atol=1e-5)

    allowed = ids[::7]
    labels, _ = ix.search(q, 10, allowed=allowed)
    assert set(labels.ravel().tolist()) <= set(allowed.tolist())
    assert [row[0] for row in labels] == [t[0] for t, _ in exact_search(q, allowed, x[::7], 1)]

    path = tmp_path / "t.fhnsw"
    ix.save(path)
    assert FaissHnswIndex.validate(path, ids, DIM) is None
    assert "holds 3000 vectors" in FaissHnswIndex.validate(path, ids[:10], DIM)
    assert "-d vectors" in FaissHnswIndex.validate(path, ids, DIM + 1)
    labels_in_file, vectors = FaissHnswIndex.stored_vectors(path, sample=50)
    assert np.allclose(vectors, x[np.searchsorted(ids, labels_in_file)])
    again = FaissHnswIndex(DIM).load(path)
    assert np.array_equal(again.search(q, 5)[0], ix.search(q, 5)[0])
    data = path.read_bytes()
    path.write_bytes(data[:-8])
    assert "its header says" in FaissHnswIndex.validate(path, ids, DIM)
    path.write_bytes(b"GPIVFPQ1" + data[8:])
    assert "not a GeoPin faiss HNSW index" in FaissHnswIndex.validate(path, ids, DIM)


def _db(tmp_path, n=8):
    make_photos(tmp_path / "in", n)
    ingest.build(tmp_path / "in", tmp_path / "ref.gpkg", PixelEmbedder(), None)
    return tmp_path / "ref.gpkg"


def test_database_opens_with_the_other_graph_backend(tmp_path, monkeypatch):
    db_path = _db(tmp_path)
    with ReferenceDatabase.open(db_path) as db:
        db.ensure_index()
        assert isinstance(db._index, HnswIndex)
        db.set_meta(index_backend="hnswlib")  # as a database built where hnswlib is installed records it
    # a QGIS without hnswlib (Python 3.13): the index is rebuilt with faiss from the embeddings
    monkeypatch.setattr(index, "hnswlib_available", lambda: False)
    with ReferenceDatabase.open(db_path) as db:
        db.ensure_index()
        assert isinstance(db._index, FaissHnswIndex)
        assert db.index_path().name.endswith(".fhnsw") and db.index_path().exists()
        assert_search_matches_exact(db, n_queries=6, k=6)
        db.set_meta(index_backend="faiss-hnsw")
    # and back: a faiss-hnsw database where faiss is missing but hnswlib is there
    monkeypatch.setattr(index, "hnswlib_available", lambda: True)
    monkeypatch.setattr(index, "faiss_available", lambda: False)
    with ReferenceDatabase.open(db_path) as db:
        db.ensure_index()
        assert isinstance(db._index, HnswIndex)
        assert_search_matches_exact(db, n_queries=6, k=6)
