"""The index files of a database: named by the database's file name and the
index's identity, an index in the old naming moved (or, when not provably this
database's, left alone and rebuilt), the backend registry and the backend
recorded in the sidecar; and the hnswlib backend on its own, without a store."""
import json
import os
from pathlib import Path

import numpy as np
import pytest
from fixtures_refdb import make_photos
from refdb_helpers import PixelEmbedder, assert_search_matches_exact

from geopin.geopin_plugin.engine.database import index
from geopin.geopin_plugin.engine.builder import ingest
from geopin.geopin_plugin.engine.database.index import stored
from geopin.geopin_plugin.engine.database.index.hnsw import HnswIndex
from geopin.geopin_plugin.engine.database.store import DatabaseError
from geopin.geopin_plugin.engine.database.refdb import ReferenceDatabase

pytestmark = pytest.mark.timeout(120)


def _build(tmp_path, name="ref.gpkg", n=6, start=0, whitening=None):
    folder = tmp_path / f"in_{name}"
    make_photos(folder, n, start=start)
    ingest.build(folder, tmp_path / name, PixelEmbedder(), None, whitening=whitening)
    return tmp_path / name


def _to_old_naming(db_path, legacy_name):
    """What a database saved before the index/ package looks like: the index under
    <stem>.<preset>[...].hnsw and a sidecar without the backend field."""
    with ReferenceDatabase.open(db_path) as db:
        new = db.index_path()
    old = db_path.with_name(legacy_name)
    info = json.loads(Path(str(new) + ".json").read_text())
    assert info.pop("backend") == "hnswlib"
    Path(str(old) + ".json").write_text(json.dumps(info))
    Path(str(new) + ".json").unlink()
    new.rename(old)
    return new, old


def test_index_names_carry_the_database_file_name_and_identity(tmp_path):
    db_path = _build(tmp_path)
    with ReferenceDatabase.open(db_path) as db:
        assert db.index_path() == tmp_path / "ref.gpkg.hnswlib.test-pixels-v1.hnsw" and db.index_path().exists()
        info = json.loads(Path(str(db.index_path()) + ".json").read_text())
        assert info["backend"] == "hnswlib" and db.meta["index_file"] == db.index_path().name


@pytest.mark.parametrize("whitening", [None, True])
def test_index_in_the_old_naming_is_moved_not_rebuilt(tmp_path, caplog, whitening):
    db_path = _build(tmp_path, n=6, whitening=whitening)
    tag = "test-pixels-v1" + (".w5n6" if whitening else "")
    new, old = _to_old_naming(db_path, f"ref.{tag}.hnsw")
    data = old.read_bytes()
    with caplog.at_level("WARNING", logger="geopin"):
        with ReferenceDatabase.open(db_path) as db:
            assert db.index_path() == new and not db.warnings
            assert_search_matches_exact(db, n_queries=6, k=6)
            assert db.meta["index_file"] == new.name
    assert not any("Rebuilding" in r.message for r in caplog.records)
    assert new.read_bytes() == data and not old.exists() and not Path(str(old) + ".json").exists()
    # a build after the move adds to the moved index
    make_photos(tmp_path / "in_ref.gpkg", 1, start=6)
    ingest.build(tmp_path / "in_ref.gpkg", db_path, PixelEmbedder(), None)
    with ReferenceDatabase.open(db_path) as db:
        assert db.count == 7 and not db.warnings
        assert_search_matches_exact(db, n_queries=7, k=7)


def test_old_named_index_on_a_read_only_folder_is_used_where_it_is(tmp_path, caplog, monkeypatch):
    db_path = _build(tmp_path)
    new, old = _to_old_naming(db_path, "ref.test-pixels-v1.hnsw")
    real = os.replace

    def read_only(src, dst):
        if Path(src).name.startswith("ref.test-pixels-v1"):
            raise PermissionError(13, "Read-only file system", str(src))
        return real(src, dst)
    monkeypatch.setattr(stored.os, "replace", read_only)
    with caplog.at_level("WARNING", logger="geopin"):
        with ReferenceDatabase.open(db_path) as db:
            assert_search_matches_exact(db, n_queries=6, k=6)
    assert not any("Rebuilding" in r.message for r in caplog.records)
    assert old.exists() and not new.exists()


def test_old_named_index_of_another_database_is_left_alone(tmp_path, caplog):
    """`city.gpkg`'s old index name is also what `city.<preset>.hnsw` of a database
    named `city.<preset>` would have been: without this database's checksum it is
    not touched, and this database gets its own index."""
    a = _build(tmp_path, "city.gpkg")
    b = _build(tmp_path, "b.gpkg", start=50)
    _, b_old = _to_old_naming(b, "city.test-pixels-v1.hnsw")  # b's index under a's old name
    with ReferenceDatabase.open(a) as db:
        a_index = db.index_path()
    a_index.unlink()
    data = b_old.read_bytes()
    with caplog.at_level("WARNING", logger="geopin"):
        with ReferenceDatabase.open(a) as db:
            assert_search_matches_exact(db, n_queries=6, k=6)
    assert a_index.exists() and b_old.read_bytes() == data


def test_backend_registry_and_the_recorded_backend(tmp_path, caplog, monkeypatch):
    assert set(index.backends) == {"hnswlib", "faiss-ivfpq", "faiss-hnsw"} and index.backend("hnswlib") is HnswIndex
    with pytest.raises(KeyError, match="faiss-hnsw, faiss-ivfpq, hnswlib"):
        index.backend("annoy")
    db_path = _build(tmp_path)
    with ReferenceDatabase.open(db_path) as db:
        side = Path(str(db.index_path()) + ".json")
    info = json.loads(side.read_text())
    info["backend"] = "faiss-ivfpq"  # a file another backend wrote under this name is not loaded by hnswlib
    side.write_text(json.dumps(info))
    with caplog.at_level("WARNING", logger="geopin"):
        with ReferenceDatabase.open(db_path) as db:
            assert_search_matches_exact(db, n_queries=6, k=6)
    assert any("Rebuilding the search index: sidecar backend" in r.message for r in caplog.records)
    assert json.loads(side.read_text())["backend"] == "hnswlib"

    class OtherBackend(HnswIndex):  # a second backend behind the protocol: its own kind and file name
        kind = "other"
        suffix = ".other"
    monkeypatch.setitem(index.backends, "other", OtherBackend)
    with ReferenceDatabase.open(db_path) as db:
        db.set_meta(index_backend="other")
    with ReferenceDatabase.open(db_path) as db:
        assert db.index_path().name == "ref.gpkg.other.test-pixels-v1.other" and db.index_path().exists()
        assert isinstance(db._index, OtherBackend) and not db.warnings
        assert_search_matches_exact(db, n_queries=6, k=6)
        db.set_meta(index_backend="annoy")
    with pytest.raises(DatabaseError, match="annoy"):
        ReferenceDatabase.open(db_path)


def test_hnsw_backend_without_a_store(tmp_path):
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((50, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = np.arange(100, 150, dtype=np.int64)
    idx = HnswIndex(16).build(ids[:30], vectors[:30])
    idx.add(ids[30:], vectors[30:])  # grows past the built capacity
    assert idx.count == 50
    labels, dist = idx.search(vectors[:5], 3)
    assert labels[:, 0].tolist() == ids[:5].tolist() and np.allclose(dist[:, 0], 0.0, atol=1e-5)
    allowed = ids[40:]
    labels, _ = idx.search(vectors[:5], 3, allowed=allowed)
    assert set(labels.ravel().tolist()) <= set(allowed.tolist())
    exact = index.exact_search(vectors[:5], ids, vectors, 3)
    assert [row[0][0] for row in exact] == ids[:5].tolist()
    path = tmp_path / "x.hnsw"
    idx.save(path)
    assert HnswIndex.validate(path, ids, 16) is None
    assert "element count" in HnswIndex.validate(path, ids[:10], 16)
    labels, stored_vectors = HnswIndex.stored_vectors(path)
    assert np.array_equal(np.sort(labels), ids) and np.allclose(stored_vectors[np.argsort(labels)], vectors)
    again = HnswIndex(16).load(path, max_elements=50)
    assert again.search(vectors[7:8], 1)[0][0, 0] == ids[7]
    path.write_bytes(path.read_bytes()[:200])
    assert HnswIndex.validate(path, ids, 16) is not None
