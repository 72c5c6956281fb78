"""Albums (engine/album.py): capture times and cameras from EXIF, grouping, the joint
estimate's rules on small hand-made albums, and on real Lund frames a frame degraded
to fail alone located from its neighbours."""
import math
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from geopin.geopin_plugin.engine import album as al


def _photo(path, when=None, offset=None, subsec=None, make="Acme", model="P1", serial=None):
    exif = Image.Exif()
    exif[271], exif[272] = make, model
    sub = {}
    if when:
        sub[36867] = when
    if offset:
        sub[36881] = offset
    if subsec:
        sub[37521] = subsec
    if serial:
        sub[42033] = serial
    if sub:
        exif[0x8769] = sub
    Image.new("RGB", (64, 48), (90, 120, 140)).save(path, exif=exif)
    return str(path)


def test_exif_time_with_offset_and_subseconds():
    t, known = al.parse_exif_time("2024:05:01 14:00:00", "+02:00", "25")
    assert known and t == pytest.approx(1714564800.25)  # 12:00:00.25 UTC
    local, known = al.parse_exif_time("2024:05:01 12:00:00")
    assert not known and local == pytest.approx(1714564800.0)
    assert al.parse_exif_time("0000:00:00 00:00:00") == (None, False)
    assert al.parse_exif_time("") == (None, False)


def test_capture_info_from_real_and_written_files(tmp_path, datasets_dir):
    e1 = al.read_capture_info(datasets_dir / "panoramax-samples" / "e1.jpg")
    e2 = al.read_capture_info(datasets_dir / "panoramax-samples" / "e2.jpg")
    assert e1.time_s is not None and e2.time_s - e1.time_s == pytest.approx(2.0)  # their EXIF: 08:56:34, :36
    info = al.read_capture_info(_photo(tmp_path / "a.jpg", "2024:05:01 14:00:00", "+02:00", "5", serial="123"))
    assert info.has_offset and info.time_s == pytest.approx(1714564800.5) and info.camera == "Acme/P1/123"
    bare = al.read_capture_info(_photo(tmp_path / "b.jpg"))
    assert bare.time_s is None and "no capture time" in bare.note


def test_grouping_by_camera_and_gap():
    c = al.CaptureInfo
    infos = [c(100.0, "A"), c(160.0, "A"), c(100.0 + 3 * 3600, "A"), c(130.0, "B"), c(None, "A"), c(70.0, "A")]
    albums = al.group_albums(infos, "time", gap_s=1800)
    assert [a.members for a in albums] == [[5, 0, 1], [2], [3], [4]]
    assert albums[0].times == [70.0, 100.0, 160.0]
    assert "located alone" in albums[-1].note
    assert [a.members for a in al.group_albums(infos, "one")] == [[5, 0, 3, 1, 2], [4]]
    by_field = al.group_albums(infos, "field", fields=["x", "y", "x", "y", "x", "y"])
    assert [a.members for a in by_field] == [[0, 2], [5, 3, 1], [4]]
    assert [a.members for a in al.group_albums(infos, "off")] == [[i] for i in range(6)]
    order = al.group_albums(infos, "file_order", step_s=10)
    assert order[0].members == list(range(6)) and order[0].times == [0, 10, 20, 30, 40, 50]
    with pytest.raises(ValueError):
        al.group_albums(infos, "weekday")


def _confident(x, y, inliers=80):
    return al.PhotoEvidence(x, y, 5.0, "confident", [al.Witness(x, y, float(inliers), 12.0, True, ("p", x))])


def _lost(x, y):  # no match alone: a weak retrieval spread somewhere far off
    return al.PhotoEvidence(x, y, 500.0, "no match", [al.Witness(x, y, 1.0, 60.0, False, ("u", x))])


def test_a_lost_photo_between_two_located_ones_gets_an_album_position():
    photos = [_confident(0.0, 0.0), _lost(900.0, 900.0), _confident(40.0, 0.0)]
    out = al.locate_album(photos, [0.0, 15.0, 30.0])
    a, b, c = out.estimates
    assert (a.method, a.album_label, a.x) == ("alone", "kept", 0.0)
    assert b.method == "album" and b.label == "uncertain" and b.album_label == "album"
    assert math.hypot(b.x - 20.0, b.y) <= 20.0  # between its neighbours, not at its own far answer
    assert b.radius >= al.MOTION_PRESETS["walking"] * 15.0  # as far as the camera can have walked
    assert not out.jumps and out.seconds < 1.0


def test_implausible_jump_is_reported_not_smoothed():
    photos = [_confident(0.0, 0.0), _confident(5000.0, 0.0)]
    out = al.locate_album(photos, [0.0, 10.0])
    assert out.jumps and out.jumps[0][:2] == (0, 1)
    assert [e.x for e in out.estimates] == [0.0, 5000.0]  # both keep their answers
    assert "implausible jump" in out.estimates[0].note and "implausible jump" in out.message


def test_a_located_photo_the_album_puts_elsewhere_is_flagged():
    uncertain = al.PhotoEvidence(3000.0, 0.0, 10.0, "uncertain", [al.Witness(3000.0, 0.0, 15.0, 12.0, True, "w")])
    photos = [_confident(0.0, 0.0, 200), _confident(10.0, 0.0, 200), uncertain, _confident(20.0, 0.0, 200),
              _confident(30.0, 0.0, 200)]
    out = al.locate_album(photos, [0.0, 10.0, 20.0, 30.0, 40.0])
    odd = out.estimates[2]
    assert odd.x == 3000.0 and odd.method == "alone" and odd.album_label == "inconsistent"
    assert "check it" in odd.note


def test_a_degraded_lund_frame_is_located_from_its_neighbours(datasets_dir, tmp_path):
    """Lund frames 25, 26 (its top quarter only: sky and roof edges) and 27, against the
    other Lund photos: 26 fails alone and the album puts it within 25 m."""
    from geopin.geopin_plugin.engine.evaluation.config import EvalConfig
    from geopin.geopin_plugin.engine.evaluation.runner import ProtocolRunner
    from geopin.geopin_plugin.engine.evaluation.album_protocols import lund_album

    full = lund_album(datasets_dir)
    wanted = {"lund/25.jpg", "lund/26.jpg", "lund/27.jpg"}
    queries = [q for q in full.queries if q.item.group in wanted]
    assert [q.item.condition for q in queries] == ["", "sky", ""]
    keys = [q.item.key for q in queries]
    protocol = replace(full, name="lund-album-3", references=[r for r in full.references if r.group.startswith("lund/")],
                       queries=queries, albums=[keys])
    alone = ProtocolRunner(protocol, EvalConfig(), cache_dir=tmp_path).run()
    album = ProtocolRunner(protocol, EvalConfig(album="walking"), cache_dir=tmp_path).run()
    assert alone[1].label == "no match"
    assert album[1].position_method == "album" and album[1].label == "uncertain"
    assert album[1].error_m <= 25.0 < alone[1].error_m
    assert album[1].error_m <= album[1].error_radius_m  # the album's radius holds the truth
    for before, after in ((alone[0], album[0]), (alone[2], album[2])):  # the located neighbours keep their answers
        assert before.label != "no match" and (after.est_lat, after.est_lon) == (before.est_lat, before.est_lon)
    assert np.isfinite(album[1].raw["album_seconds"]) and album[1].raw["album_seconds"] < 1.0


def test_album_protocols_say_which_frames_are_degraded(datasets_dir):
    from geopin.geopin_plugin.engine.evaluation import catalogue
    from geopin.geopin_plugin.engine.evaluation.album_protocols import OVERTOOM_WALK

    lund = catalogue.builtin_protocol("lund-album", datasets_dir)
    assert len(lund.queries) == 29 and lund.albums == [[q.item.key for q in lund.queries]]
    names = {q.item.key: q.item.label for q in lund.queries}
    assert sorted(names[k] for k in lund.degraded) == [
        "02.jpg blur40", "05.jpg dark", "08.jpg ground", "11.jpg sky", "14.jpg facade", "17.jpg blur40",
        "20.jpg dark", "23.jpg ground", "26.jpg sky", "29.jpg facade"]
    times = [lund.times[k] for k in lund.albums[0]]
    assert times[0] == 0.0 and all(b - a >= 5.0 for a, b in zip(times, times[1:]))
    assert all(q.exclude_groups == (q.item.group,) for q in lund.queries)

    px = catalogue.builtin_protocol("panoramax-album", datasets_dir)
    assert [len(a) for a in px.albums] == [20, 5]
    assert sorted(q.item.label for q in px.queries if q.item.key in px.degraded) == [
        "1.jpg h22.5 fov65 blur40", "2.jpg h112.5 fov65 dark", "3.jpg h202.5 fov65 ground",
        "4.jpg h292.5 fov65 sky", "5.jpg h22.5 fov65 facade", "e2.jpg blur40", "e4.jpg dark"]
    e = [px.times[k] for k in px.albums[1]]
    assert [b - a for a, b in zip(e, e[1:])] == [2.0, 2.0, 2.0, 2.0]  # e1-e5's EXIF times

    walk = catalogue.builtin_protocol("amsterdam-walk", datasets_dir)
    assert len(walk.queries) == 32 and len(walk.degraded) == 8
    assert [q.item.group for q in walk.queries[::8]] == list(OVERTOOM_WALK)
    assert walk.subset(max_queries=10).queries == walk.queries  # whole albums only
