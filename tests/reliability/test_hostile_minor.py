"""Issue 26, minor items: temp files a kill -9 left beside the index are removed by
the next build; a binary coordinates CSV names the file."""
import os
import signal
import textwrap

import pytest
from helpers import build_db, index_files, make_photos, run_child
from refdb_helpers import PixelEmbedder

from geopin.geopin_plugin.engine.builder import ingest

pytestmark = pytest.mark.timeout(180)

KILL_AFTER_INDEX_WRITE = textwrap.dedent("""
    import os, signal, sys
    from refdb_helpers import PixelEmbedder
    from geopin.geopin_plugin.engine import fsutil
    from geopin.geopin_plugin.engine.builder import ingest
    from geopin.geopin_plugin.engine.database.index import hnsw
    real_write, real_atomic = hnsw.write_hnsw, fsutil.atomic_write_bytes
    def write(index, path):  # the index written under its temp name, then killed
        real_write(index, path)
        os.kill(os.getpid(), signal.SIGKILL)
    hnsw.write_hnsw = write
    ingest.build(sys.argv[1], sys.argv[2], PixelEmbedder(), None)
""")


def test_temp_files_left_by_kill_9_are_removed_by_the_next_build(tmp_path, record):
    db_path, folder = build_db(tmp_path, n=5)
    index, sidecar = index_files(db_path)
    make_photos(folder, 2, start=5)
    proc = run_child(KILL_AFTER_INDEX_WRITE, folder, db_path)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    stale_sidecar = sidecar.with_name(sidecar.name + ".4242-1-0123abcd.tmp")  # as fsutil.unique_tmp names them
    stale_sidecar.write_text("{}")
    users_file = tmp_path / "notes.tmp"
    users_file.write_text("mine")
    left = sorted(p.name for p in tmp_path.glob("*.tmp") if p != users_file)
    assert len(left) == 2, left  # the killed build's index and the planted sidecar
    report = ingest.build(folder, db_path, PixelEmbedder(), None)
    after = sorted(p.name for p in tmp_path.glob("*.tmp"))
    record("kill -9", "temp files left beside the index", data_lost=after != ["notes.tmp"])
    assert report.added + report.skipped == 7 and after == ["notes.tmp"], after


def test_a_binary_coordinates_csv_names_the_file(tmp_path, record):
    csv_path = tmp_path / "coords.csv"
    csv_path.write_bytes(b"file,lat,lon\n" + bytes(range(128, 256)) * 4)
    try:
        ingest.read_coordinates_csv(csv_path)
        exc = None
    except ValueError as e:
        exc = e
    clear = exc is not None and str(csv_path) in str(exc) and "UTF-8" in str(exc)
    record("coordinates CSV", "a binary file", clear_error=clear, traceback=not clear)
    assert clear, repr(exc)
