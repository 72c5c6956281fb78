"""Issue 26: embedding bit rot must never be laundered into a rebuilt index. After
one stored embedding is damaged, a build (with nothing new, or with new photos)
used to rebuild the index from the damaged vectors (rc 0, no warning), and the
next locate of that covered place said "no match"."""
import sqlite3

import pytest
from helpers import build_db, make_photos
from refdb_helpers import PixelEmbedder

from geopin.geopin_plugin.engine.builder import ingest
from geopin.geopin_plugin.engine.database.refdb import ReferenceDatabase

pytestmark = pytest.mark.timeout(180)


def _damage(db_path, view_id):
    con = sqlite3.connect(db_path)
    blob = bytearray(con.execute("SELECT vector FROM geopin_embeddings WHERE view_id=?", (view_id,)).fetchone()[0])
    for i in range(3, len(blob), 8):  # the sign of every other component: another direction
        blob[i] ^= 0x80
    con.execute("UPDATE geopin_embeddings SET vector=? WHERE view_id=?", (bytes(blob), view_id))
    con.commit()
    con.close()


@pytest.mark.parametrize("new_photos", [0, 2])
def test_a_build_after_embedding_damage_keeps_the_intact_index(tmp_path, record, new_photos):
    db_path, folder = build_db(tmp_path, n=8)
    with ReferenceDatabase.open(db_path) as db:
        target = int(db.ids()[3])
        query = db.embeddings([target])
    _damage(db_path, target)
    make_photos(folder, new_photos, start=8)
    report = ingest.build(folder, db_path, PixelEmbedder(), None)
    with ReferenceDatabase.open(db_path) as db:
        hit = db.search(query, k=1)[0][0]
        warned = any("damaged" in w and str(target) in w for w in db.warnings)
        count = db.count
        new_found = all(db.search(db.embeddings([v]), k=1)[0][0].view_id == v for v in db.ids()[8:])
    ok = hit.view_id == target and hit.similarity > 0.999 and count == 8 + new_photos and new_found
    record("embeddings", f"a build with {new_photos} new photos after one embedding was damaged",
           clear_error=warned, data_lost=not ok)
    assert report.added == new_photos and warned and ok, (hit, report, count)
