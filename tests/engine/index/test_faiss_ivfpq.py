"""The compressed backend (faiss IVF-PQ with a float16 re-rank): recall against
exact search, its one-file format refused when damaged, filtered search, adding
views, and a database that chooses it by size."""
import numpy as np
import pytest

faiss = pytest.importorskip("faiss")

from geopin.geopin_plugin.engine.database import index  # noqa: E402
from geopin.geopin_plugin.engine.database.index import exact_search, faiss_ivfpq  # noqa: E402
from geopin.geopin_plugin.engine.database.index.faiss_ivfpq import FaissIvfPqIndex  # noqa: E402

pytestmark = pytest.mark.timeout(240)
DIM = 128


def clustered(n, dim=DIM, seed=0):
    """Unit vectors in clusters of ~20 with a decaying spectrum, like image embeddings."""
    rng = np.random.default_rng(seed)
    spec = np.arange(1, dim + 1) ** -0.75
    centers = rng.standard_normal((n // 20, dim)) * spec
    x = centers[rng.integers(0, len(centers), n)] + 0.5 * rng.standard_normal((n, dim)) * spec
    x = x.astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    x = clustered(12_000)
    ids = np.arange(12_000, dtype=np.int64) * 2 + 5  # labels are view ids, not rows
    ix = FaissIvfPqIndex(DIM).build(ids, x)
    path = tmp_path_factory.mktemp("ivfpq") / "t.ivfpq"
    ix.save(path)
    return ids, x, ix, path


def _recall(found, truth):
    return np.mean([len(set(f.tolist()) & set(t.tolist())) / len(t) for f, t in zip(found, truth)])


def test_recall_at_100_against_exact_search(built):
    ids, x, ix, _ = built
    q = x[::120] + 0.01 * np.random.default_rng(1).standard_normal((100, DIM)).astype(np.float32)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    truth = [labels for labels, _ in exact_search(q, ids, x, 100)]
    labels, dist = ix.search(q, 100)
    assert _recall(labels, truth) >= 0.97
    assert np.all(np.diff(dist, axis=1) >= -1e-6)  # best first
    exact_sims = np.array([s[0] for _, s in exact_search(q, ids, x, 1)])
    assert np.allclose(1 - dist[:, 0], exact_sims, atol=2e-3)  # float16 re-rank: near-exact similarities


def test_saved_file_loads_validates_and_searches_alike(built):
    ids, x, ix, path = built
    assert FaissIvfPqIndex.validate(path, ids, DIM) is None
    again = FaissIvfPqIndex(DIM).load(path)
    assert again.count == len(ids)
    a, _ = ix.search(x[:20], 10)
    b, _ = again.search(x[:20], 10)
    assert np.array_equal(a, b)
    labels, vectors = FaissIvfPqIndex.stored_vectors(path, sample=50)
    assert len(labels) == 50 and np.allclose(vectors, x[np.searchsorted(ids, labels)],
                                             atol=FaissIvfPqIndex.vector_tolerance)


def test_damaged_or_foreign_files_are_refused_before_faiss_reads_them(built, tmp_path):
    ids, _, _, path = built
    data = path.read_bytes()
    short = tmp_path / "short.ivfpq"
    short.write_bytes(data[: len(data) // 2])
    assert "its header says" in FaissIvfPqIndex.validate(short, ids, DIM)
    foreign = tmp_path / "foreign.ivfpq"
    foreign.write_bytes(b"\x00" * 200)
    assert "not a GeoPin IVF-PQ index" in FaissIvfPqIndex.validate(foreign, ids, DIM)
    tiny = tmp_path / "tiny.ivfpq"
    tiny.write_bytes(b"GP")
    assert "shorter than its header" in FaissIvfPqIndex.validate(tiny, ids, DIM)
    assert "holds 12000 vectors" in FaissIvfPqIndex.validate(path, ids[:-1], DIM)
    assert "-d vectors" in FaissIvfPqIndex.validate(path, ids, DIM * 2)
    assert "other views" in FaissIvfPqIndex.validate(path, ids + 1, DIM)
    with pytest.raises(ValueError):
        FaissIvfPqIndex(DIM).load(short)


def test_filtered_search_returns_only_allowed_views(built, monkeypatch):
    ids, x, ix, _ = built
    few = ids[::50]  # an area of 240 views: searched exactly
    labels, _ = ix.search(x[:5], 10, allowed=few)
    assert np.isin(labels, few).all()
    truth = [lab for lab, _ in exact_search(x[:5], few, x[::50], 10)]
    assert _recall(labels, truth) == 1.0
    monkeypatch.setattr(faiss_ivfpq, "EXACT_ALLOWED", 10)  # a large area: the IVF search with a selector
    many = ids[::2]
    labels, _ = ix.search(x[:5], 10, allowed=many)
    assert np.isin(labels[labels >= 0], many).all() and (labels >= 0).sum() >= 45


def test_added_views_are_found(built):
    ids, x, _, path = built
    ix = FaissIvfPqIndex(DIM).load(path)
    extra = clustered(200, seed=7)
    new_ids = np.arange(200, dtype=np.int64) + 10**6
    ix.add(new_ids, extra)
    assert ix.count == len(ids) + 200
    labels, dist = ix.search(extra[:10], 1)
    assert np.array_equal(labels[:, 0], new_ids[:10]) and np.all(dist[:, 0] < 2e-3)


def test_too_few_views_to_train_is_a_clear_error():
    with pytest.raises(ValueError, match="at least"):
        FaissIvfPqIndex(DIM).build(np.arange(50), clustered(50))


def test_backend_is_chosen_by_size_unless_recorded(monkeypatch):
    assert index.backend_for(10) == "hnswlib"
    assert index.backend_for(index.COMPRESSED_FROM) == "faiss-ivfpq"
    assert index.backend_for(index.COMPRESSED_FROM, recorded="hnswlib") == "hnswlib"
    monkeypatch.setattr(index, "faiss_available", lambda: False)
    assert index.backend_for(10 * index.COMPRESSED_FROM) == "hnswlib"  # without faiss: hnswlib, as before


def _store_with(path, n, dim=DIM):
    from geopin.geopin_plugin.engine.database.store import GeoPackageStore

    x = clustered(n, dim, seed=3)
    store = GeoPackageStore.create_or_open(path, "test-synthetic", dim)
    rng = np.random.default_rng(0)
    for start in range(0, n, 8):  # panoramas of 8 views
        views = [{"x": 121000 + rng.uniform(-500, 500), "y": 487000 + rng.uniform(-500, 500), "lat": 52.37,
                  "lon": 4.89, "view_image": "none.jpg", "image_path": f"p{start}.jpg", "view_index": i}
                 for i in range(min(8, n - start))]
        store.add_image(f"h{start}", f"p{start}.jpg", "test", str(start), views, x[start:start + len(views)])
    store.update_counts_and_extent()
    store.close()
    return x


def test_a_database_past_the_threshold_uses_the_compressed_index(tmp_path, monkeypatch):
    from geopin.geopin_plugin.engine.database.refdb import ReferenceDatabase

    monkeypatch.setattr(index, "COMPRESSED_FROM", 500)
    monkeypatch.setattr(faiss_ivfpq, "MIN_TRAIN", 100)
    x = _store_with(tmp_path / "big.gpkg", 600)
    with ReferenceDatabase.open(tmp_path / "big.gpkg") as db:
        path = db.index_path()
        assert path.name == "big.gpkg.faiss-ivfpq.test-synthetic.ivfpq" and path.exists()
        hits = db.search(x[:20], k=5)
        assert [h[0].view_id for h in hits] == list(db.ids()[:20])  # each stored vector finds itself first
    with ReferenceDatabase.open(tmp_path / "big.gpkg") as db:  # reopened: validated, not rebuilt
        assert not db.warnings and db.index_path() == path
    path.write_bytes(path.read_bytes()[:-100])
    with ReferenceDatabase.open(tmp_path / "big.gpkg") as db:
        assert any("Rebuilding the search index" in w for w in db.warnings)
        assert db.search(x[:1], k=1)[0][0].view_id == db.ids()[0]


def test_a_recorded_compressed_index_on_a_few_views_falls_back_to_hnswlib():
    assert index.backend_for(50, recorded="faiss-ivfpq") == "hnswlib"
    assert index.backend_for(faiss_ivfpq.MIN_TRAIN, recorded="faiss-ivfpq") == "faiss-ivfpq"
