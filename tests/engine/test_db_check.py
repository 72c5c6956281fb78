"""The database picker's check: a GeoPin reference database (views, area, models),
a results GeoPackage or another file, read without opening it as a database."""
import sqlite3

from fixtures_refdb import make_photos
from refdb_helpers import PixelEmbedder

from geopin.geopin_plugin.engine.database import db_check
from geopin.geopin_plugin.engine.builder import ingest
from geopin.geopin_plugin.engine.database.refdb import ReferenceDatabase


def test_layer_name_is_the_stores():
    from geopin.geopin_plugin.engine.database.store import schema

    assert db_check.LAYER == schema.LAYER


def test_reference_database_facts(tmp_path):
    make_photos(tmp_path / "in", 5)
    db_path = tmp_path / "ref.gpkg"
    ingest.build(tmp_path / "in", db_path, PixelEmbedder(), None)
    before = db_path.read_bytes()
    facts = db_check.inspect(str(db_path))
    assert facts.kind == "reference" and facts.usable
    with ReferenceDatabase.open(db_path) as db:
        assert facts.views == db.count > 0
        lons, lats = zip(*[(v.lon, v.lat) for v in db.views(db.ids())])
    assert facts.extent_lonlat == (min(lons), min(lats), max(lons), max(lats))
    assert facts.embedder == "test-pixels-v1" and facts.missing_models == []
    assert db_path.read_bytes() == before  # read-only

    # a database of catalogue models that are not installed here names them
    con = sqlite3.connect(db_path)
    con.execute("""UPDATE geopin_metadata SET value='"mobilenetv2-gem512-1024"' WHERE key='model_preset'""")
    con.commit()
    con.close()
    facts = db_check.inspect(str(db_path))
    assert facts.embedder == "mobilenetv2-gem512-1024"
    assert facts.usable == (facts.missing_models == [])


def test_results_geopackage_other_geopackage_and_other_files(tmp_path):
    results = tmp_path / "results.gpkg"
    con = sqlite3.connect(results)
    con.execute("CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY, data_type TEXT)")
    con.executemany("INSERT INTO gpkg_contents VALUES (?, 'features')", [("estimates",), ("candidates",)])
    con.commit()
    con.close()
    facts = db_check.inspect(str(results))
    assert facts.kind == "results" and not facts.usable and facts.layers == ["candidates", "estimates"]

    other = tmp_path / "roads.gpkg"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY, data_type TEXT)")
    con.execute("INSERT INTO gpkg_contents VALUES ('roads', 'features')")
    con.commit()
    con.close()
    assert db_check.inspect(str(other)).kind == "geopackage"

    (tmp_path / "photo.gpkg").write_bytes(b"\xff\xd8\xff\xe0 not a database")
    assert db_check.inspect(str(tmp_path / "photo.gpkg")).kind == "not-geopackage"
    assert db_check.inspect(str(tmp_path / "nowhere.gpkg")).kind == "missing"
    assert db_check.inspect("").kind == "missing"
