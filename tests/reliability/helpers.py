"""Shared builders for the reliability cases (tiny generated photos, test models)."""
import os
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

from fixtures_refdb import AMSTERDAM, photo
from refdb_helpers import PixelEmbedder

from geopin.geopin_plugin.engine.builder import ingest
from geopin.geopin_plugin.engine.database.refdb import ReferenceDatabase

REPO = Path(__file__).resolve().parents[2]


MEMORY_LIMIT = 2 * 1024 ** 3  # crafted inputs must stay under 2 GB (the goal of issue 26)

# a child process that opens a database and searches every stored embedding: prints
# "TOP1 <all found themselves> <warnings>" or "ERROR <the DatabaseError>"
LOCATE_CHILD = textwrap.dedent("""
    import sys
    from geopin.geopin_plugin.engine.database.refdb import ReferenceDatabase, DatabaseError
    try:
        with ReferenceDatabase.open(sys.argv[1]) as db:
            hits = db.search(db.embeddings(db.ids()), k=1)
            ok = [h[0].view_id for h in hits] == db.ids().tolist()
            print("TOP1", ok, "|".join(db.warnings))
    except DatabaseError as exc:
        print("ERROR", exc)
""")


def _limit_memory(limit):
    def apply():
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return apply


def run_child(code, *args, timeout=120, memory_limit=None):
    """Run `code` in a fresh interpreter with the plugin importable (crashes are
    seen as a negative return code instead of killing pytest). `memory_limit`
    (bytes of address space) makes an allocation bomb fail in the child instead
    of taking the machine down."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO / "build" / "plugins"), str(REPO / "tests" / "engine")]))
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=env, preexec_fn=_limit_memory(memory_limit) if memory_limit else None)


def remount(mnt, mode):
    return subprocess.run(["mount", "-o", f"remount,{mode}", str(mnt)], capture_output=True).returncode == 0


def make_photos(folder, n, start=0):
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    lat, lon = AMSTERDAM
    return [photo(folder / f"p{i:03d}.jpg", 100 + i, lat + 0.0005 * i, lon + 0.0003 * (i % 7))
            for i in range(start, start + n)]


def build_db(tmp_path, n=8, name="ref.gpkg"):
    folder = Path(tmp_path) / f"in_{Path(name).stem}"
    make_photos(folder, n)
    db_path = Path(tmp_path) / name
    report = ingest.build(folder, db_path, PixelEmbedder(), None)
    assert report.added == n
    return db_path, folder


def index_files(db_path):
    with ReferenceDatabase.open(db_path) as db:
        p = db.index_path()
    return p, Path(str(p) + ".json")


def header(data):
    keys = ("offset_level0", "max_elements", "count", "sdpe", "label_offset", "offset_data", "maxlevel",
            "enterpoint", "maxM", "maxM0", "M", "mult", "efc")
    return dict(zip(keys, struct.unpack("<6Q i I 3Q d Q", bytes(data[:96]))))


def flip_bit(path, offset, bit):
    data = bytearray(Path(path).read_bytes())
    data[offset + bit // 8] ^= 1 << (bit % 8)
    Path(path).write_bytes(bytes(data))


def top1_is_self(db):
    hits = db.search(db.embeddings(db.ids()), k=1)
    return [h[0].view_id for h in hits] == db.ids().tolist()
