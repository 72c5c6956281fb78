"""Issue 26: an index file from someone else. hnswlib header fields that drive
allocations (mult, maxM, ef_construction, max_elements) and its "deleted"
marks; every locate and build runs in a child process limited to 2 GB of
address space, so an allocation bomb fails the case instead of the machine."""
import math
import struct
import textwrap
from pathlib import Path

import pytest
from helpers import LOCATE_CHILD, MEMORY_LIMIT, build_db, header, index_files, make_photos, run_child

pytestmark = pytest.mark.timeout(300)


BUILD = textwrap.dedent("""
    import sys
    from refdb_helpers import PixelEmbedder
    from geopin.geopin_plugin.engine.builder import ingest
    from geopin.geopin_plugin.engine.database.refdb import ReferenceDatabase
    report = ingest.build(sys.argv[2], sys.argv[1], PixelEmbedder(), None)
    with ReferenceDatabase.open(sys.argv[1]) as db:
        hits = db.search(db.embeddings(db.ids()), k=1)
        print("BUILT", report.added, db.count, [h[0].view_id for h in hits] == db.ids().tolist())
""")

# field -> (struct offset, format, value); offsets of hnswalg.h saveIndex's header
_FIELDS = {"max_elements": (8, "<Q"), "maxM": (56, "<Q"), "mult": (80, "<d"), "ef_construction": (88, "<Q")}
HEADER_CASES = [("mult", 3e7), ("mult", math.nan), ("mult", -1.0), ("maxM", 2 ** 30),
                ("ef_construction", 2 ** 40), ("max_elements", 2 ** 40)]


def _set_field(path, field, value):
    offset, fmt = _FIELDS[field]
    data = bytearray(Path(path).read_bytes())
    struct.pack_into(fmt, data, offset, value)
    Path(path).write_bytes(bytes(data))


def _mark_deleted(path, elements):
    data = bytearray(Path(path).read_bytes())
    h = header(data)
    for e in elements:
        data[96 + e * h["sdpe"] + 2] |= 0x01  # hnswlib's DELETE_MARK, byte 2 of the level-0 link count
    Path(path).write_bytes(bytes(data))


def _outcome(proc):
    return proc.returncode, proc.stdout + proc.stderr


@pytest.mark.parametrize("field,value", HEADER_CASES)
def test_hnsw_header_fields_are_bounded_at_locate_and_build(tmp_path, record, field, value):
    db_path, folder = build_db(tmp_path, n=30)
    index, _ = index_files(db_path)
    _set_field(index, field, value)
    rc, out = _outcome(run_child(LOCATE_CHILD, db_path, memory_limit=MEMORY_LIMIT))
    record("index header", f"{field} = {value!r} at locate", clear_error="Rebuilding" in out, crash=rc < 0 or rc >= 128,
           traceback="Traceback" in out, data_lost="TOP1 True" not in out)
    assert rc == 0 and "TOP1 True" in out and "Rebuilding the search index: header" in out, out
    # the next build (more photos) must not grow levels from the crafted header
    _set_field(index, field, value)
    make_photos(folder, 3, start=30)
    rc, out = _outcome(run_child(BUILD, db_path, folder, memory_limit=MEMORY_LIMIT))
    record("index header", f"{field} = {value!r} at build", crash=rc < 0 or rc >= 128, traceback="Traceback" in out,
           data_lost="BUILT 3 33 True" not in out)
    assert rc == 0 and "BUILT 3 33 True" in out, out


@pytest.mark.parametrize("which", ["one", "all"])
def test_hnsw_deleted_marks_are_refused_and_repaired(tmp_path, record, which):
    db_path, folder = build_db(tmp_path, n=20)
    index, _ = index_files(db_path)
    _mark_deleted(index, [7] if which == "one" else range(20))
    rc, out = _outcome(run_child(LOCATE_CHILD, db_path, memory_limit=MEMORY_LIMIT))
    record("index header", f"{which} element(s) marked deleted", clear_error="deleted mark" in out, crash=rc < 0 or rc >= 128,
           traceback="Traceback" in out, data_lost="TOP1 True" not in out)
    assert rc == 0 and "TOP1 True" in out and "deleted mark" in out, out
    # a build repairs it (it used to keep the marked file)
    _mark_deleted(index, [7] if which == "one" else range(20))
    rc, out = _outcome(run_child(BUILD, db_path, folder, memory_limit=MEMORY_LIMIT))
    assert rc == 0 and "BUILT 0 20 True" in out, out
    rc, out = _outcome(run_child(LOCATE_CHILD, db_path, memory_limit=MEMORY_LIMIT))
    assert "TOP1 True" in out and "Rebuilding" not in out, out
