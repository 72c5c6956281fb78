"""Read-only databases, full disks (a small tmpfs when root, else injected
ENOSPC), a short index write, two builds at once, a build and locates at once,
outputs written to a full disk."""
import errno
import os
import shutil
import subprocess
import sys
import textwrap

import pytest
from helpers import REPO, build_db, index_files, make_photos, remount, run_child, top1_is_self
from refdb_helpers import PixelEmbedder

from geopin.geopin_plugin.engine.builder import ingest
from geopin.geopin_plugin.engine.builder.config import BuildConfig
from geopin.geopin_plugin.engine.database.index import hnsw
from geopin.geopin_plugin.engine.database.store import DatabaseError
from geopin.geopin_plugin.engine.database.refdb import ReferenceDatabase

pytestmark = pytest.mark.timeout(180)


def _read_only(small_disk, tmp_path, monkeypatch):
    """A database with a stale index on a read-only place: a tmpfs remounted ro
    (root), else chmod (non-root)."""
    base = small_disk if small_disk is not None else tmp_path / "ro"
    base.mkdir(exist_ok=True)
    db_path, folder = build_db(base, n=4)
    shutil.rmtree(folder)
    index, side = index_files(db_path)
    index.unlink()  # stale: must be rebuilt, and cannot be saved
    if small_disk is not None and remount(small_disk, "ro"):
        return db_path
    if os.geteuid() == 0:
        pytest.skip("cannot make a read-only place here")
    for p in (db_path, base):
        p.chmod(0o555)
    return db_path


def test_read_only_database_locates_and_refuses_builds(small_disk, tmp_path, record, monkeypatch):
    db_path = _read_only(small_disk, tmp_path, monkeypatch)
    with ReferenceDatabase.open(db_path) as db:
        ok = top1_is_self(db)
        warned = any("read-only" in w for w in db.warnings)
    record("file system", "locate on a read-only database with a stale index", clear_error=warned, data_lost=not ok)
    assert ok and warned
    folder = tmp_path / "more"
    make_photos(folder, 2, start=20)
    try:
        ingest.build(folder, db_path, PixelEmbedder(), None)
        exc = None
    except Exception as e:  # noqa: BLE001
        exc = e
    clear = isinstance(exc, DatabaseError) and "read-only" in str(exc) and str(db_path) in str(exc)
    record("file system", "build into a read-only database", clear_error=clear, traceback=exc is not None and not clear)
    assert clear, repr(exc)
    if small_disk is not None:
        remount(small_disk, "rw")


@pytest.mark.parametrize("keep_views", [True, False], ids=["view copies", "no view copies"])
def test_full_disk_during_a_build(small_disk, tmp_path, record, monkeypatch, keep_views):
    if not keep_views and small_disk is None:
        pytest.skip("without view copies the disk fills in SQLite: needs the 3 MiB tmpfs (root)")
    folder = tmp_path / "in"
    make_photos(folder, 60)
    from fixtures_refdb import photo, AMSTERDAM
    for i in range(60):  # bigger photos fill the 3 MiB disk within the batch
        photo(folder / f"big{i:03d}.jpg", 300 + i, AMSTERDAM[0] + 0.001 * i, AMSTERDAM[1], size=(900, 700))
    if small_disk is not None:
        db_path = small_disk / "ref.gpkg"
        how = "tmpfs"
        free = shutil.disk_usage(small_disk).free
        room = 600_000 if keep_views else 250_000  # room for a few images only
        (small_disk / "ballast").write_bytes(b"\0" * max(0, free - room))
    else:  # inject ENOSPC in the view writer after 10 images
        db_path = tmp_path / "ref.gpkg"
        how = "injected ENOSPC"
        real = ingest.fsutil.atomic_write_bytes
        calls = [0]

        def full(path, data, fsync=True):
            calls[0] += 1
            if calls[0] > 10:
                raise OSError(errno.ENOSPC, "No space left on device", str(path))
            return real(path, data, fsync)
        monkeypatch.setattr(ingest.fsutil, "atomic_write_bytes", full)
    try:
        ingest.build(folder, db_path, PixelEmbedder(), None, config=BuildConfig(keep_view_images=keep_views))
        exc = None
    except Exception as e:  # noqa: BLE001
        exc = e
    clear = isinstance(exc, DatabaseError) and "disk is full" in str(exc) and "rollback" not in str(exc)
    leftovers = [p for p in db_path.parent.rglob("*.tmp")]
    if small_disk is not None:
        (small_disk / "ballast").unlink()  # space again: the database must open with what was committed
    monkeypatch.undo()
    with ReferenceDatabase.open(db_path, repair_index=False) as db:
        kept = db.count
        images = db.store._con.execute("SELECT count(*) FROM geopin_images").fetchone()[0]
    how += ", view copies" if keep_views else ", no view copies"
    record("file system", f"disk full during a build ({how})", clear_error=clear,
           traceback=exc is not None and not clear, data_lost=kept == 0 or kept != images)
    assert clear, repr(exc)
    assert kept > 0 and kept == images and not leftovers, (kept, images, leftovers)


def test_short_index_write_is_detected_and_cleaned_up(tmp_path, record, monkeypatch):
    db_path, folder = build_db(tmp_path, n=6)
    make_photos(folder, 2, start=6)
    real = hnsw.write_hnsw

    def short(index, path):  # what hnswlib does on a full disk: a short file and no exception
        real(index, path)
        with open(path, "r+b") as fh:
            fh.truncate(os.path.getsize(path) // 2)
    monkeypatch.setattr(hnsw, "write_hnsw", short)
    try:
        ingest.build(folder, db_path, PixelEmbedder(), None)
        exc = None
    except Exception as e:  # noqa: BLE001
        exc = e
    monkeypatch.undo()
    clear = isinstance(exc, DatabaseError) and "disk is full" in str(exc)
    leftovers = list(tmp_path.glob("*.tmp"))
    with ReferenceDatabase.open(db_path) as db:
        ok = db.count == 8 and top1_is_self(db)
    record("file system", "hnswlib writes a short index", clear_error=clear, traceback=exc is not None and not clear,
           data_lost=not ok)
    assert clear and not leftovers and ok, (exc, leftovers)


TWO_BUILDS = textwrap.dedent("""
    import sys
    from refdb_helpers import PixelEmbedder
    from geopin.geopin_plugin.engine.builder import ingest
    r = ingest.build(sys.argv[1], sys.argv[2], PixelEmbedder(), None)
    print("REPORT", r.added, r.skipped, r.failed)
""")


def test_two_builds_on_one_database(tmp_path, record):
    folder = tmp_path / "in"
    make_photos(folder, 24)
    db_path = tmp_path / "ref.gpkg"
    ReferenceDatabase.create_or_open(db_path, "test-pixels-v1", 64).close()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO / "build" / "plugins"), str(REPO / "tests" / "engine")]))
    procs = [subprocess.Popen([sys.executable, "-c", TWO_BUILDS, str(folder), str(db_path)], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, env=env) for _ in range(2)]
    outs = [p.communicate(timeout=150)[0] for p in procs]
    with ReferenceDatabase.open(db_path) as db:
        n = db.count
        ok = top1_is_self(db)
    tb = any("Traceback" in o for o in outs)
    record("concurrency", "two builds of one folder into one database", traceback=tb, data_lost=n != 24 or not ok)
    assert all(p.returncode == 0 for p in procs) and not tb and n == 24 and ok, outs


LOCATES = textwrap.dedent("""
    import sys, time
    from geopin.geopin_plugin.engine.database.refdb import ReferenceDatabase
    ok = 0
    for _ in range(6):
        with ReferenceDatabase.open(sys.argv[1]) as db:
            hits = db.search(db.embeddings(db.ids()[:3]), k=1)
            ok += [h[0].view_id for h in hits] == db.ids()[:3].tolist()
        time.sleep(0.05)
    print("OK", ok)
""")


def test_locates_while_a_build_runs(tmp_path, record):
    db_path, folder = build_db(tmp_path, n=5)
    make_photos(folder, 25, start=5)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO / "build" / "plugins"), str(REPO / "tests" / "engine")]))
    build = subprocess.Popen([sys.executable, "-c", TWO_BUILDS, str(folder), str(db_path)], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, env=env)
    locate = run_child(LOCATES, db_path, timeout=150)
    build_out = build.communicate(timeout=150)[0]
    out = locate.stdout + locate.stderr
    record("concurrency", "locates during a build", traceback="Traceback" in out + build_out,
           data_lost="OK 6" not in out)
    assert build.returncode == 0 and "OK 6" in out, (out, build_out)
    with ReferenceDatabase.open(db_path) as db:
        assert db.count == 30 and top1_is_self(db)
