"""The saved index against its database: an index of another database, one with
a consistent sidecar but other vectors, and every kind of damage are rebuilt,
never a crash or a wrong id."""
import json
import os
from pathlib import Path

import pytest
from fixtures_refdb import make_photos
from refdb_helpers import PixelEmbedder, assert_search_matches_exact

from geopin.geopin_plugin.engine.builder import ingest
from geopin.geopin_plugin.engine.database.refdb import ReferenceDatabase

pytestmark = pytest.mark.timeout(120)


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
