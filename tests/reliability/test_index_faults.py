"""Damaged index files, sidecars, embeddings and GeoPackage pages; kill -9 at
named moments; parallel rebuilds. Locates run in a child process so a segfault
is a failed case, not a dead test run."""
import json
import os
import signal
import sqlite3
import textwrap
from pathlib import Path

import numpy as np
import pytest
from helpers import LOCATE_CHILD, REPO, build_db, flip_bit, header, index_files, run_child, top1_is_self
from refdb_helpers import PixelEmbedder

from geopin.geopin_plugin.engine.builder import ingest
from geopin.geopin_plugin.engine.database.store import DatabaseError
from geopin.geopin_plugin.engine.database.refdb import ReferenceDatabase

pytestmark = pytest.mark.timeout(180)


def locate_in_child(db_path):
    proc = run_child(LOCATE_CHILD, db_path)
    return proc.returncode, proc.stdout + proc.stderr


def _link_offset(path, which):
    data = Path(path).read_bytes()
    h = header(data)
    if which == "entry_point":
        return 96 + h["enterpoint"] * h["sdpe"] + 4
    if which == "last_element":
        return 96 + (h["count"] - 1) * h["sdpe"] + 4
    if which == "link_count":
        return 96 + h["enterpoint"] * h["sdpe"]
    # first upper-level list: after level 0, find an element with a non-empty list
    pos = 96 + h["count"] * h["sdpe"]
    for _ in range(h["count"]):
        ll = int.from_bytes(data[pos:pos + 4], "little")
        if ll:
            return pos + 4 + 4  # first id of level 1
        pos += 4
    pytest.skip("no upper level in this small index")


@pytest.mark.parametrize("which,bit", [("entry_point", 30), ("entry_point", 3), ("last_element", 29),
                                       ("link_count", 6), ("upper_level", 30)])
def test_bit_flip_in_index_links_never_crashes(tmp_path, record, which, bit):
    db_path, folder = build_db(tmp_path, n=40)
    index, _ = index_files(db_path)
    flip_bit(index, _link_offset(index, which), bit)
    rc, out = locate_in_child(db_path)
    record("index file", f"bit {bit} flipped in {which} links", clear_error="Rebuilding" in out, crash=rc < 0,
           traceback="Traceback" in out, data_lost="TOP1 True" not in out)
    assert rc == 0 and "TOP1 True" in out, out
    # an id still < count is a valid (other) link: safe; anything else must be rebuilt
    assert "Rebuilding the search index" in out or bit < 8, out
    # a build re-run repairs it too (it used to say "0 added" and keep the bad index)
    flip_bit(index, _link_offset(index, which), bit)
    report = ingest.build(folder, db_path, PixelEmbedder(), None)
    assert report.skipped == 40
    rc, out = locate_in_child(db_path)
    assert rc == 0 and "TOP1 True" in out and "Rebuilding" not in out, out


@pytest.mark.parametrize("content", ["[]", "null", '"text"', "42", "{", "\x00\x01"])
def test_sidecar_that_is_not_an_object(tmp_path, record, content):
    db_path, folder = build_db(tmp_path, n=5)
    _, side = index_files(db_path)
    side.write_text(content)
    rc, out = locate_in_child(db_path)
    record("index sidecar", f"sidecar {content!r} at locate", clear_error="Rebuilding" in out, crash=rc < 0,
           traceback="Traceback" in out, data_lost="TOP1 True" not in out)
    assert rc == 0 and "TOP1 True" in out and "unreadable sidecar" in out, out
    side.write_text(content)
    try:
        report = ingest.build(folder, db_path, PixelEmbedder(), None)
        exc = None
    except Exception as e:  # noqa: BLE001 - the case records what happened
        exc = e
    record("index sidecar", f"sidecar {content!r} at build", traceback=exc is not None)
    assert exc is None and report.skipped == 5
    assert isinstance(json.loads(side.read_text()), dict)  # repaired


def test_flipped_embedding_keeps_the_intact_index_and_warns(tmp_path, record):
    db_path, _ = build_db(tmp_path, n=8)
    with ReferenceDatabase.open(db_path) as db:
        target = int(db.ids()[3])
        query = db.embeddings([target])
    con = sqlite3.connect(db_path)
    blob = bytearray(con.execute("SELECT vector FROM geopin_embeddings WHERE view_id=?", (target,)).fetchone()[0])
    blob[5] ^= 0x40
    con.execute("UPDATE geopin_embeddings SET vector=? WHERE view_id=?", (bytes(blob), target))
    con.commit()
    con.close()
    with ReferenceDatabase.open(db_path) as db:
        hit = db.search(query, k=1)[0][0]
        warned = any("damaged" in w and str(target) in w for w in db.warnings)
    record("embeddings", "flipped bytes in one embedding", clear_error=warned, data_lost=hit.view_id != target)
    assert warned and hit.view_id == target and hit.similarity > 0.999


@pytest.mark.parametrize("damage", ["short_blob", "huge_dim", "dim_text"])
def test_embedding_blob_and_dim_damage_is_a_clear_error(tmp_path, record, damage):
    db_path, _ = build_db(tmp_path, n=4)
    con = sqlite3.connect(db_path)
    if damage == "short_blob":
        con.execute("UPDATE geopin_embeddings SET vector=x'00010203' WHERE view_id=2")
    elif damage == "huge_dim":
        con.execute("UPDATE geopin_metadata SET value='123456789' WHERE key='dim'")
    else:
        con.execute("UPDATE geopin_metadata SET value='\"abc\"' WHERE key='dim'")
    con.commit()
    con.close()
    exc = None
    try:
        ReferenceDatabase.open(db_path, repair_index=True).close()
        if damage == "short_blob":  # the index may still be valid: read every embedding
            with ReferenceDatabase.open(db_path) as db:
                db.embeddings()
    except Exception as e:  # noqa: BLE001
        exc = e
    clear = isinstance(exc, DatabaseError) and str(db_path) in str(exc) and "rebuild" in str(exc)
    record("embeddings", damage, clear_error=clear, traceback=exc is not None and not clear)
    assert clear, repr(exc)


def test_geopackage_page_damage_is_warned_or_refused(tmp_path, record):
    db_path, _ = build_db(tmp_path, n=12)
    pristine = db_path.read_bytes()
    page = 4096
    n_pages = len(pristine) // page
    outcomes = []
    for p in range(1, n_pages, max(1, n_pages // 12)):
        data = bytearray(pristine)
        for off in (p * page + 8, p * page + 100, p * page + 2000):  # header and cell area of the page
            data[off] ^= 0xFF
        db_path.write_bytes(bytes(data))
        rc, out = locate_in_child(db_path)
        clear = out.startswith("ERROR") or "integrity" in out or "Rebuilding" in out or "damaged" in out
        silent = out.startswith("TOP1 True") and not clear
        record("GeoPackage pages", f"page {p} of {n_pages} damaged", clear_error=clear, crash=rc < 0,
               traceback="Traceback" in out)
        outcomes.append((p, rc, out[-1500:], clear or silent))
    db_path.write_bytes(pristine)
    bad = [o for o in outcomes if o[1] != 0 or "Traceback" in o[2]]
    assert not bad, bad


def test_building_a_prefix_named_database_keeps_the_other_index(tmp_path, record):
    north, _ = build_db(tmp_path, n=3, name="city.north.gpkg")
    north_index, _ = index_files(north)
    build_db(tmp_path, n=3, name="city.gpkg")
    record("index file", "city.gpkg built beside city.north.gpkg", data_lost=not north_index.exists())
    assert north_index.exists()


KILL_CHILD = textwrap.dedent("""
    import os, signal, sys
    from refdb_helpers import PixelEmbedder
    from geopin.geopin_plugin.engine import fsutil
    from geopin.geopin_plugin.engine.builder import ingest
    from geopin.geopin_plugin.engine.builder.config import BuildConfig
    from geopin.geopin_plugin.engine.database.index import hnsw
    where = sys.argv[3]
    if where == "index written, before rename":
        real = hnsw.write_hnsw
        def write(index, path):
            real(index, path)
            os.kill(os.getpid(), signal.SIGKILL)
        hnsw.write_hnsw = write
    if where == "index renamed, before sidecar":
        real_atomic = fsutil.atomic_write_bytes
        def atomic(path, data, fsync=True):
            if str(path).endswith(".hnsw.json"):
                os.kill(os.getpid(), signal.SIGKILL)
            return real_atomic(path, data, fsync)
        fsutil.atomic_write_bytes = atomic
    if where == "view JPEG half written":
        count = [0]
        real_atomic = fsutil.atomic_write_bytes
        def atomic(path, data, fsync=True):
            count[0] += 1
            if count[0] == 3:
                open(str(path) + ".partial.tmp", "wb").write(data[:100])
                os.kill(os.getpid(), signal.SIGKILL)
            return real_atomic(path, data, fsync)
        fsutil.atomic_write_bytes = atomic
    # view copies only where their write is the moment killed
    ingest.build(sys.argv[1], sys.argv[2], PixelEmbedder(), None,
                 config=BuildConfig(keep_view_images=where == "view JPEG half written"))
""")


@pytest.mark.parametrize("where", ["index written, before rename", "index renamed, before sidecar",
                                   "view JPEG half written"])
def test_kill_9_at_named_moments(tmp_path, record, where):
    from helpers import make_photos

    folder = tmp_path / "in"
    make_photos(folder, 5)
    db_path = tmp_path / "ref.gpkg"
    ingest.build(folder, db_path, PixelEmbedder(), None, is_canceled=lambda: False)  # nothing yet: 5 committed
    make_photos(folder, 3, start=5)  # the killed run adds these
    proc = run_child(KILL_CHILD, folder, db_path, where)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    with ReferenceDatabase.open(db_path) as db:
        kept = db.count
        ok = top1_is_self(db)
    record("kill -9", where, data_lost=kept < 5 or not ok)
    assert kept >= 5 and ok
    report = ingest.build(folder, db_path, PixelEmbedder(), None)
    with ReferenceDatabase.open(db_path) as db:
        assert db.count == 8 and top1_is_self(db), report


PARALLEL_REBUILD = textwrap.dedent("""
    import sys
    from geopin.geopin_plugin.engine.database.refdb import ReferenceDatabase
    fails = 0
    for _ in range(int(sys.argv[2])):
        try:
            with ReferenceDatabase.open(sys.argv[1], repair_index=False) as db:
                db.ensure_index(rebuild=True)
        except Exception as exc:
            fails += 1
            print("FAIL", type(exc).__name__, exc)
    print("FAILS", fails)
""")


def test_parallel_index_rebuilds(tmp_path, record):
    import subprocess
    import sys

    db_path, _ = build_db(tmp_path, n=30)
    env = dict(os.environ, PYTHONPATH=str(REPO / "build" / "plugins"))
    procs = [subprocess.Popen([sys.executable, "-c", PARALLEL_REBUILD, str(db_path), "5"], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, env=env) for _ in range(8)]
    outs = [p.communicate(timeout=150)[0] for p in procs]
    fails = sum(int(o.rsplit("FAILS", 1)[1]) if "FAILS" in o else 5 for o in outs)
    leftovers = list(tmp_path.glob("*.tmp"))
    with ReferenceDatabase.open(db_path) as db:
        ok = top1_is_self(db) and not db.warnings
    record("concurrency", "40 index rebuilds in 8 processes", clear_error=False, crash=any(p.returncode < 0 for p in procs),
           traceback=fails > 0, data_lost=not ok)
    assert fails == 0 and not leftovers and ok, (outs, leftovers)
