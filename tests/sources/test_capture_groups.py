"""Issue 23: a static-overlay mask is learned per capture group as the source names
it (a Mapillary/Panoramax/Mapilio sequence, a KartaView track, an Amsterdam capture
run), imported through the fixture APIs; a folder keeps the folder + camera group,
and a database imported before capture groups were stored keeps its groups."""
import sqlite3

import numpy as np
import pytest
from fixture_server import AREA, Point, grid_points
from models_for_tests import TinyEmbedder, TinyOrb
from test_import_into_database import run, source_for

from geopin.geopin_plugin.engine.builder import ingest, mask_build
from geopin.geopin_plugin.engine.database import overlay_masks
from geopin.geopin_plugin.engine.database.refdb import ReferenceDatabase
from geopin.geopin_plugin.engine.sources import importer
from geopin.geopin_plugin.engine.sources.base import StreetImagerySource
from geopin.geopin_plugin.engine.sources.importer import images_dir_for

W, H = 192, 144  # the fixture's photo size
# where each sequence's rig paints its logo (x, y of the top-left corner; 16 px blocks so JPEG keeps it)
PATCHES = {"seq-0": (16, 112), "seq-1": (144, 112), "seq-new": (80, 0)}
PATCH = 32


def _logo(sequence):
    x, y = PATCHES[sequence]
    rng = np.random.default_rng(sum(map(ord, sequence)))
    logo = np.kron(rng.integers(0, 256, (PATCH // 4, PATCH // 4, 3), dtype=np.uint8), np.ones((4, 4, 1), np.uint8))

    def paint(rgb):
        rgb = rgb.copy()
        rgb[y:y + PATCH, x:x + PATCH] = logo
        return rgb
    return paint


def _share_on(mask, sequence):
    """The share of ``sequence``'s logo pixels the mask covers."""
    x, y = PATCHES[sequence]
    rows, cols = mask.cells.shape
    return float(mask.cells[y * rows // H:(y + PATCH) * rows // H, x * cols // W:(x + PATCH) * cols // W].mean())


def _masks(db):
    with ReferenceDatabase.open(db) as ref:
        return {g: m for g, (m, _) in ref.store.overlay_masks().items()}


def _capture_rows(db):
    con = sqlite3.connect(str(db))
    try:
        if not con.execute("SELECT 1 FROM sqlite_master WHERE name='geopin_capture_groups'").fetchone():
            return None
        return con.execute("SELECT i.source_id, g.capture_group FROM geopin_capture_groups g "
                           "JOIN geopin_images i USING (content_hash) ORDER BY i.source_id").fetchall()
    finally:
        con.close()


def _two_sequences(server, name="mapillary", prefix="m"):
    pts = grid_points(prefix, AREA, 8, 2)  # rows j = 0, 1: sequences seq-0 and seq-1, 8 photos each
    server.state.points[name] = pts
    server.state.overlays.update({s: _logo(s) for s in ("seq-0", "seq-1")})
    return pts


def test_two_sequences_learn_two_masks_each_on_its_own_logo(server, fake_sleep, tmp_path):
    pts = _two_sequences(server)
    db = tmp_path / "ref.gpkg"
    report = run(source_for("mapillary", server, fake_sleep), db, batch_size=16)
    assert report.added == len(pts) and report.errors == []
    assert _capture_rows(db) == [(p.id, p.sequence) for p in sorted(pts, key=lambda p: p.id)]
    masks = _masks(db)
    assert sorted(masks) == [f"mapillary|capture={s}|{W}x{H}|photo" for s in ("seq-0", "seq-1")]
    for seq, other in (("seq-0", "seq-1"), ("seq-1", "seq-0")):
        mask = masks[f"mapillary|capture={seq}|{W}x{H}|photo"]
        assert mask.images == 8
        assert _share_on(mask, seq) > 0.9  # its own logo
        assert _share_on(mask, other) == 0.0  # not the other sequence's
        assert mask.masked_share < 0.15  # the logo (and its dilation), not the random scene
    # the keypoints on each logo are gone from the stored features
    with ReferenceDatabase.open(db) as ref:
        views = ref.views(ref.ids())
        feats = ref.store.local_features(ref.ids(), ref.meta["extractor_preset"])
    seq_of = {p.id: p.sequence for p in pts}
    for v in views:
        x, y = PATCHES[seq_of[v.source_id]]
        kp = feats[v.view_id].keypoints
        assert not ((kp[:, 0] >= x) & (kp[:, 0] < x + PATCH) & (kp[:, 1] >= y) & (kp[:, 1] < y + PATCH)).any()
    # the match viewer's lookup finds each view's own sequence mask
    with ReferenceDatabase.open(db) as ref:
        shown = mask_build.masks_for_views(ref.store, views)
    assert {v.view_id: shown[v.view_id].group for v in views} == \
        {v.view_id: f"mapillary|capture={seq_of[v.source_id]}|{W}x{H}|photo" for v in views}


def test_a_folder_of_the_same_photos_keeps_the_folder_and_camera_group(server, fake_sleep, tmp_path):
    pts = _two_sequences(server)
    run(source_for("mapillary", server, fake_sleep), tmp_path / "imported.gpkg", batch_size=16)
    folder = images_dir_for(tmp_path / "imported.gpkg") / "mapillary"
    coords = {f"{p.id}.jpg": {"lat": p.lat, "lon": p.lon} for p in pts}
    report = ingest.build(folder, tmp_path / "folder.gpkg", TinyEmbedder(), TinyOrb(), coordinates=coords)
    assert report.added == len(pts)
    masks = _masks(tmp_path / "folder.gpkg")
    assert list(masks) == [f"file|{folder}|{W}x{H}|photo"]  # one group: no source named a sequence
    mask, = masks.values()
    assert _share_on(mask, "seq-0") > 0.9 and _share_on(mask, "seq-1") > 0.9  # both logos, one mask
    assert _capture_rows(tmp_path / "folder.gpkg") is None


def test_a_database_from_before_capture_groups_keeps_its_groups(server, fake_sleep, tmp_path, monkeypatch):
    pts = _two_sequences(server)
    db = tmp_path / "old.gpkg"
    with monkeypatch.context() as m:  # the importer before capture groups: records without one
        m.setattr(StreetImagerySource, "capture_group", lambda self, image: None)
        run(source_for("mapillary", server, fake_sleep), db, batch_size=16)
    folder_group = f"mapillary|{images_dir_for(db) / 'mapillary'}|{W}x{H}|photo"
    before = _masks(db)
    assert list(before) == [folder_group] and _capture_rows(db) is None
    # a later import of a new sequence: its images get their own group, the old ones keep theirs
    new = [Point(id=f"n{k:04d}", lon=p.lon + 1e-5, lat=p.lat + 1e-5, heading=p.heading, time=p.time, pano=False,
                 sequence="seq-new") for k, p in enumerate(pts[:8])]
    server.state.points["mapillary"] = pts + new
    server.state.overlays["seq-new"] = _logo("seq-new")
    embedder = TinyEmbedder()
    report = importer.import_street_imagery(source_for("mapillary", server, fake_sleep), AREA, db, embedder, TinyOrb(),
                                            max_images=100, batch_size=16)
    assert report.already_stored == len(pts) and report.added == len(new)
    after = _masks(db)
    assert sorted(after) == sorted([folder_group, f"mapillary|capture=seq-new|{W}x{H}|photo"])
    assert np.array_equal(after[folder_group].cells, before[folder_group].cells)  # nothing relearned or lost
    assert _share_on(after[f"mapillary|capture=seq-new|{W}x{H}|photo"], "seq-new") > 0.9
    assert _capture_rows(db) == [(p.id, "seq-new") for p in new]


def test_a_sequence_too_small_to_learn_from_stays_in_its_folder_group(server, fake_sleep, tmp_path):
    pts = _two_sequences(server)
    for p in pts[:3]:  # three frames of a third sequence: fewer than MIN_GROUP_IMAGES
        p.sequence = "seq-short"
    db = tmp_path / "ref.gpkg"
    run(source_for("mapillary", server, fake_sleep), db, batch_size=16)
    with ReferenceDatabase.open(db) as ref:
        groups = mask_build.assign_groups(ref.store.view_rows_for_masks())
    sizes = {g.split("|")[1]: len(v) for g, v in groups.items()}
    assert 3 < overlay_masks.MIN_GROUP_IMAGES
    assert sizes == {"capture=seq-1": 8, str(images_dir_for(db) / "mapillary"): 8}  # seq-0's 5 + seq-short's 3


@pytest.mark.parametrize("name", ["mapillary", "panoramax", "kartaview", "mapilio", "amsterdam"])
def test_every_source_stores_the_group_it_names(name, server, fake_sleep, tmp_path):
    pts = grid_points(name[:2], AREA, 2, 2)
    if name == "amsterdam":  # panorama ids name their capture run: <run>_pano_<camera>_<frame>
        for k, p in enumerate(pts):
            p.id, p.pano, p.sequence = f"TMX7315120208-00005{k // 2}_pano_0006_{k:06d}", True, \
                f"TMX7315120208-00005{k // 2}"
    server.state.points[name] = pts
    db = tmp_path / "ref.gpkg"
    report = run(source_for(name, server, fake_sleep), db)
    assert report.added == len(pts) and report.errors == []
    assert _capture_rows(db) == sorted((p.id, p.sequence) for p in pts)
    assert len({p.sequence for p in pts}) == 2


def test_a_coordinates_csv_can_name_the_capture_group(server, fake_sleep, tmp_path):
    pts = _two_sequences(server)
    run(source_for("mapillary", server, fake_sleep), tmp_path / "imported.gpkg", batch_size=16)
    folder = images_dir_for(tmp_path / "imported.gpkg") / "mapillary"
    csv_path = tmp_path / "coords.csv"
    csv_path.write_text("file,lat,lon,capture_run\n" + "".join(f"{p.id}.jpg,{p.lat},{p.lon},{p.sequence}\n" for p in pts))
    ingest.build(folder, tmp_path / "runs.gpkg", TinyEmbedder(), TinyOrb(), coordinates=csv_path)
    assert sorted(_masks(tmp_path / "runs.gpkg")) == [f"file|capture={s}|{W}x{H}|photo" for s in ("seq-0", "seq-1")]
