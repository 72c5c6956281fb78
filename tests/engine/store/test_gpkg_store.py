"""The GeoPackage store on its own: refused and damaged files, the one
transaction pattern (an error leaves nothing), the view files confined to the
store's folder, and the ReferenceStore protocol that ReferenceDatabase exposes."""
import inspect
import sqlite3

import numpy as np
import pytest
from fixtures_refdb import make_photos, scene
from fixtures_refdb import panorama as fixture_panorama
from refdb_helpers import PixelEmbedder

from geopin.geopin_plugin.engine.builder import ingest
from geopin.geopin_plugin.engine.builder.config import BuildConfig
from geopin.geopin_plugin.engine.images import ImageError
from geopin.geopin_plugin.engine.database.store import DatabaseError
from geopin.geopin_plugin.engine.database.refdb import ReferenceDatabase
from geopin.geopin_plugin.engine.sources.importer import stored_source_ids
from geopin.geopin_plugin.engine.database.store import GeoPackageStore, ReferenceStore, schema
from geopin.geopin_plugin.engine.types import LocalFeatures

pytestmark = pytest.mark.timeout(120)


def _view(i=0):
    return {"x": 121000.0 + i, "y": 487000.0, "lat": 52.37, "lon": 4.89, "image_path": f"p{i}.jpg",
            "view_index": i}


@pytest.fixture()
def empty_store(tmp_path):
    store = GeoPackageStore.create_or_open(tmp_path / "ref.gpkg", "test-pixels-v1", 4)
    yield store
    store.close()


def test_open_errors(tmp_path):
    with pytest.raises(DatabaseError, match="not found"):
        ReferenceDatabase.open(tmp_path / "nope.gpkg")
    (tmp_path / "empty.gpkg").write_bytes(b"")
    with pytest.raises(DatabaseError, match="empty file"):
        ReferenceDatabase.open(tmp_path / "empty.gpkg")
    (tmp_path / "text.gpkg").write_text("hello")
    with pytest.raises(DatabaseError):
        ReferenceDatabase.open(tmp_path / "text.gpkg")
    con = sqlite3.connect(tmp_path / "other.gpkg")
    con.execute("CREATE TABLE t (a)")
    con.close()
    with pytest.raises(DatabaseError, match="not a GeoPin"):
        ReferenceDatabase.open(tmp_path / "other.gpkg")
    ReferenceDatabase.create_or_open(tmp_path / "new.gpkg", "test-pixels-v1", 64).close()
    with pytest.raises(DatabaseError, match="no views"):
        ReferenceDatabase.open(tmp_path / "new.gpkg")
    db = ReferenceDatabase.create_or_open(tmp_path / "new.gpkg", "test-pixels-v1", 64)
    db.set_meta(schema_version=schema.SCHEMA_VERSION + 1)
    db.close()
    with pytest.raises(DatabaseError, match="newer"):
        ReferenceDatabase.open(tmp_path / "new.gpkg")


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_transaction_rolls_back_on_any_error(empty_store, error):
    with pytest.raises(error):
        with empty_store.transaction() as con:
            con.execute("INSERT INTO geopin_metadata VALUES ('half-written', '1')")
            raise error("stop")
    assert not empty_store._con.in_transaction
    with empty_store.transaction() as con:
        con.execute("INSERT INTO geopin_metadata VALUES ('committed', '1')")
    again = GeoPackageStore.read_only(empty_store.path)
    assert "half-written" not in again.meta and again.meta["committed"] == 1
    again.close()


def test_failed_add_image_leaves_nothing(empty_store):
    good = LocalFeatures(keypoints=np.zeros((2, 2), np.float32), descriptors=np.zeros((2, 8), np.float32),
                         scores=np.ones(2, np.float32), image_size=(64, 48))
    with pytest.raises(AttributeError):  # the second view's features cannot be encoded: mid-transaction
        empty_store.add_image("ab" * 32, "p.jpg", "file", None, [_view(0), _view(1)],
                              np.eye(2, 4, dtype=np.float32), [good, object()], "rootsift-2048",
                              images=[scene(1, (64, 48)), scene(2, (64, 48))])
    assert empty_store.count == 0 and not empty_store.has_image("ab" * 32)
    assert empty_store.embeddings().shape == (0, 4)
    assert empty_store.local_features([1], "rootsift-2048") == {}
    ids = empty_store.add_image("ab" * 32, "p.jpg", "file", "s1", [_view(0)], np.eye(1, 4, dtype=np.float32),
                                images=[scene(1, (64, 48))])
    assert empty_store.count == 1 and empty_store.source_ids("file") == {"s1"}
    assert empty_store.add_image("ab" * 32, "p.jpg", "file", "s1", [_view(0)], np.eye(1, 4, dtype=np.float32)) \
        is None  # claimed already (a second build): nothing written
    assert empty_store.count == 1 and ids == [1]


def test_view_files_are_written_and_read_inside_the_store_folder(empty_store, tmp_path):
    img = scene(3, (64, 48))
    empty_store.add_image("cd" * 32, "p.jpg", "file", None, [_view()], np.eye(1, 4, dtype=np.float32),
                          images=[img])
    view = empty_store.views([1])[0]
    assert view.view_image_path == str((tmp_path / "ref_views" / "cd" / f"{'cd' * 32}_0.jpg").resolve())
    assert empty_store.view_files.folder == tmp_path / "ref_views"
    back = empty_store.load_view_image(1)
    assert back.shape == img.shape and np.abs(back.astype(int) - img).mean() < 16  # JPEG q92, sharp blocks
    files = empty_store.view_files
    for stored in ("/etc/hostname", "../outside.jpg", "ref_views/../../outside.jpg", "", None):
        assert files.resolve(stored) == ""
    with pytest.raises(ValueError, match="outside"):
        files.write("../../../escape", 0, img)
    assert not list(tmp_path.parent.glob("*escape*"))
    with empty_store.transaction() as con:
        con.execute("UPDATE reference_views SET view_image='../outside.jpg' WHERE fid=1")
    with pytest.raises(ImageError, match="outside the folder"):
        empty_store.load_view_image(1)


def test_reference_database_offers_the_store_protocol(tmp_path):
    members = [n for n in vars(ReferenceStore) if not n.startswith("_")]
    members += list(ReferenceStore.__annotations__)
    for name in members:
        assert hasattr(GeoPackageStore, name) or name in ("path", "meta", "warnings"), name
    make_photos(tmp_path / "in", 2)
    ingest.build(tmp_path / "in", tmp_path / "ref.gpkg", PixelEmbedder(), None)
    with ReferenceDatabase.open(tmp_path / "ref.gpkg") as db:
        for name in members:
            if name not in ("transaction", "positions", "whitening_fields", "put_whitening"):  # the store's own
                assert hasattr(db, name), name
        for name in ("add_image", "views", "embeddings", "local_features", "log_error", "errors"):
            assert inspect.signature(getattr(ReferenceDatabase, name)) == \
                inspect.signature(getattr(GeoPackageStore, name))
        assert db.views(db.ids()) == db.store.views(db.ids()) and db.meta is db.store.meta


def test_importer_reads_source_ids_through_the_store(tmp_path):
    assert stored_source_ids(tmp_path / "absent.gpkg", "mapillary") == set()
    con = sqlite3.connect(tmp_path / "other.gpkg")
    con.execute("CREATE TABLE t (a)")
    con.close()
    assert stored_source_ids(tmp_path / "other.gpkg", "mapillary") == set()  # not a store (yet)
    store = GeoPackageStore.create_or_open(tmp_path / "ref.gpkg", "test-pixels-v1", 4)
    store.add_image("ef" * 32, "p.jpg", "mapillary", "123", [_view()], np.eye(1, 4, dtype=np.float32),
                    images=[scene(4, (64, 48))])
    store.close()
    assert stored_source_ids(tmp_path / "ref.gpkg", "mapillary") == {"123"}
    assert stored_source_ids(tmp_path / "ref.gpkg", "panoramax") == set()


def test_a_batch_of_images_is_stored_in_one_transaction_or_not_at_all(tmp_path):
    """add_images: one commit for many images (a writer keeping up with workers);
    a bad item leaves none of the batch behind, a known image is skipped."""
    import numpy as np
    from geopin.geopin_plugin.engine.database.store import GeoPackageStore

    store = GeoPackageStore.create_or_open(tmp_path / "b.gpkg", "test", 4)

    def item(h, n=2, dim=4):
        views = [{"x": 121000.0 + i, "y": 487000.0, "lat": 52.37, "lon": 4.89, "view_image": "v.jpg",
                  "image_path": f"{h}.jpg"} for i in range(n)]
        return dict(content_hash=h, path=f"{h}.jpg", source="test", source_id=h, views=views,
                    embeddings=np.eye(n, dim, dtype=np.float32))

    assert [len(ids) for ids in store.add_images([item("a"), item("b", 3)])] == [2, 3]
    assert store.count == 5
    with pytest.raises(ValueError, match="does not match"):
        store.add_images([item("c"), item("d", 2, dim=3)])
    assert store.count == 5 and not store.has_image("c")
    out = store.add_images([item("a"), item("e")])
    assert out[0] is None and len(out[1]) == 2 and store.count == 7
    store.close()


def test_views_without_copies_are_cut_from_their_unchanged_source(tmp_path):
    """A build without view copies (the default): each view is cut again from its
    source, the same pixels the build cut; a moved or changed source, or a crafted
    image_path, gives a clear error instead of other pixels."""
    from PIL import Image

    from geopin.geopin_plugin.engine import images, panorama

    folder = tmp_path / "in"
    make_photos(folder, 2)
    fixture_panorama(folder / "pano.jpg", 5)
    pano = images.load_image(folder / "pano.jpg")
    db_path = tmp_path / "ref.gpkg"
    report = ingest.build(folder, db_path, PixelEmbedder(), None,
                          coordinates={"pano.jpg": {"lat": 52.372, "lon": 4.89}}, config=BuildConfig(panorama_headings=4))
    assert report.failed == 0 and report.views_added == 2 + 4, report.errors
    assert not db_path.with_name("ref_views").exists()  # no copies written
    with ReferenceDatabase.open(db_path) as db:
        views = db.views(db.ids())
        assert all(v.view_image_path == "" for v in views)
        pano_views = [v for v in views if v.pano_id]
        for v in pano_views:
            want = panorama.perspective_views(pano, [v.rel_heading], fov_deg=v.fov)[0]
            np.testing.assert_array_equal(db.load_view_image(v.view_id), want)
        photo = next(v for v in views if not v.pano_id)
        np.testing.assert_array_equal(db.load_view_image(photo.view_id), images.load_image(photo.image_path))
    # the photo changed on disk: refused by its content hash
    other = next(p for p in folder.glob("p0*.jpg") if str(p) != photo.image_path)
    Image.fromarray(scene(9, (160, 120))).save(photo.image_path, quality=90)
    with ReferenceDatabase.open(db_path) as db, pytest.raises(ImageError, match="has changed"):
        db.load_view_image(photo.view_id)
    # a crafted image_path naming another file: refused the same way
    con = sqlite3.connect(db_path)
    con.execute("UPDATE reference_views SET image_path=? WHERE fid=?", (str(other), pano_views[0].view_id))
    con.commit()
    con.close()
    with ReferenceDatabase.open(db_path) as db, pytest.raises(ImageError, match="has changed"):
        db.load_view_image(pano_views[0].view_id)
    (folder / "pano.jpg").unlink()
    with ReferenceDatabase.open(db_path) as db, pytest.raises(ImageError, match="cannot be read"):
        db.load_view_image(pano_views[1].view_id)


@pytest.mark.parametrize("storage", ["float16", "int8", "int4"])
def test_feature_storages_round_trip_and_are_told_by_their_lengths(storage):
    from geopin.geopin_plugin.engine.verification.storage import decode_features, encode_features, stored_format

    rng = np.random.default_rng(3)
    d = rng.normal(0, 0.125, (300, 64)).astype(np.float32)
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    f = LocalFeatures(rng.uniform(0, 1000, (300, 2)).astype(np.float32), d, (1024, 768),
                      rng.uniform(0, 1, 300).astype(np.float32))
    n, dim, kp, desc, sc = encode_features(f, storage)
    assert stored_format(n, dim, kp, desc) == storage
    back = decode_features(n, dim, kp, desc, sc, f.image_size)
    cos = (np.asarray(back.descriptors, np.float32) * d).sum(1)
    assert cos.min() > {"float16": 0.999, "int8": 0.999, "int4": 0.95}[storage]
    assert np.abs(back.keypoints - f.keypoints).max() <= 0.5  # float16 keypoints: 0.5 px at 1000 px
    with pytest.raises(ValueError, match="no known feature storage"):
        stored_format(n, dim, kp, desc[:-1])


def test_a_damaged_feature_row_leaves_out_only_its_view_with_a_warning(empty_store):
    d = np.eye(20, 64, dtype=np.float32)
    empty_store.add_image("ef" * 32, "p.jpg", "file", None, [_view()], np.eye(1, 4, dtype=np.float32),
                          features=[LocalFeatures(np.zeros((20, 2), np.float32), d, (64, 48), None)],
                          extractor_id="xfeat-1024")
    assert len(empty_store.local_features([1], "xfeat-1024")[1].keypoints) == 20
    with empty_store.transaction() as con:
        con.execute("UPDATE geopin_local_features SET descriptors=substr(descriptors, 1, 100)")
    assert empty_store.local_features([1], "xfeat-1024") == {}  # issue 26: not the whole query
    assert any("damaged" in w and "view 1" in w for w in empty_store.warnings)


@pytest.mark.parametrize("compact, storage", [(True, "int4"), (False, "int8")])
def test_xfeat_features_are_stored_compactly_unless_asked(empty_store, compact, storage):
    from geopin.geopin_plugin.engine.verification.storage import stored_format

    rng = np.random.default_rng(5)
    d = rng.normal(0, 0.125, (50, 64)).astype(np.float32)
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    empty_store.compact_features = compact
    empty_store.add_image("ab" * 32, "p.jpg", "file", None, [_view()], np.eye(1, 4, dtype=np.float32),
                          features=[LocalFeatures(rng.uniform(0, 60, (50, 2)).astype(np.float32), d, (64, 48), None)],
                          extractor_id="xfeat-1024")
    row = empty_store._con.execute("SELECT n, desc_dim, keypoints, descriptors FROM geopin_local_features").fetchone()
    assert stored_format(*row) == storage and len(row[3]) == 50 * (32 if compact else 64)
    back = empty_store.local_features([1], "xfeat-1024")[1]
    assert (np.asarray(back.descriptors) * d).sum(1).min() > 0.95
