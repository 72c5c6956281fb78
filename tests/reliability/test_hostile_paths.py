"""Issue 26: source-image paths stored in a database (one built without view
copies cuts the viewer's pictures from them). A row naming /dev/zero, a FIFO,
a link to a device, a file outside the folders the build recorded or a relative
path must be refused with a message, never hang or read it; a child process with
a deadline and 2 GB shows a hang or an allocation."""
import os
import sqlite3
import subprocess
import textwrap

import pytest
from helpers import MEMORY_LIMIT, build_db, run_child

pytestmark = pytest.mark.timeout(300)

CHILD = textwrap.dedent("""
    import sys
    from geopin.geopin_plugin.engine.images import ImageError
    from geopin.geopin_plugin.engine.database.refdb import ReferenceDatabase
    with ReferenceDatabase.open(sys.argv[1]) as db:
        try:
            rgb = db.load_view_image(int(sys.argv[2]))
            print("LOADED", rgb.shape)
        except ImageError as exc:
            print("REFUSED", exc)
""")


def _point_view_at(db_path, view_id, path):
    con = sqlite3.connect(db_path)
    con.execute("UPDATE reference_views SET image_path=? WHERE fid=?", (path, view_id))
    con.commit()
    con.close()


def _target(case, folder, tmp_path):
    if case == "/dev/zero":
        return "/dev/zero"
    if case == "FIFO in the photo folder":
        fifo = folder / "p999.jpg"
        os.mkfifo(fifo)
        return str(fifo)
    if case == "link to /dev/zero in the photo folder":
        link = folder / "p998.jpg"
        link.symlink_to("/dev/zero")
        return str(link)
    if case == "a photo outside the recorded folders":
        other = tmp_path / "elsewhere"
        other.mkdir()
        (other / "p.jpg").write_bytes((folder / "p000.jpg").read_bytes())
        return str(other / "p.jpg")
    if case == "relative path":
        return "p000.jpg"
    raise AssertionError(case)


CASES = ["/dev/zero", "FIFO in the photo folder", "link to /dev/zero in the photo folder",
         "a photo outside the recorded folders", "relative path"]


@pytest.mark.parametrize("case", CASES)
def test_a_stored_source_path_cannot_name_a_device_fifo_or_other_file(tmp_path, record, case):
    db_path, folder = build_db(tmp_path, n=3)
    _point_view_at(db_path, 1, _target(case, folder, tmp_path))
    try:
        proc = run_child(CHILD, db_path, 1, timeout=30, memory_limit=MEMORY_LIMIT)
        out, rc, hung = proc.stdout + proc.stderr, proc.returncode, False
    except subprocess.TimeoutExpired:
        out, rc, hung = "", 0, True
    refused = "REFUSED" in out and ("rebuild it" in out or "cannot be read" in out)
    record("source image paths", case, clear_error=refused, crash=rc < 0 or rc >= 128,
           traceback="Traceback" in out, hang=hung, data_lost="LOADED" in out)
    assert not hung, f"{case}: the read hung"
    assert rc == 0 and refused, out[-2000:]


def test_a_source_under_the_recorded_folders_still_loads(tmp_path):
    db_path, _ = build_db(tmp_path, n=3)
    proc = run_child(CHILD, db_path, 2, timeout=60, memory_limit=MEMORY_LIMIT)
    assert "LOADED" in proc.stdout, proc.stdout + proc.stderr


def test_a_database_built_before_roots_were_recorded_keeps_its_sources(tmp_path):
    """Its first build from another folder records the folders of the views it has too."""
    db_path, _ = build_db(tmp_path, n=3)
    con = sqlite3.connect(db_path)
    con.execute("DELETE FROM geopin_metadata WHERE key='source_roots'")  # as built before issue 26
    con.commit()
    con.close()
    from helpers import make_photos
    from refdb_helpers import PixelEmbedder

    from geopin.geopin_plugin.engine.builder import ingest

    other = tmp_path / "other_folder"
    make_photos(other, 2, start=10)
    assert ingest.build(other, db_path, PixelEmbedder(), None).added == 2
    for view_id in (1, 4):
        proc = run_child(CHILD, db_path, view_id, timeout=60, memory_limit=MEMORY_LIMIT)
        assert "LOADED" in proc.stdout, proc.stdout + proc.stderr
