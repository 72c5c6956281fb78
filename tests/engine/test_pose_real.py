"""Relative pose on real Amsterdam panoramas (../shared/datasets): a left-out
Overtoom view is triangulated from its partner panoramas, its heading recovered,
and a pure rotation (two views of one panorama) is not trusted for position.
The Amsterdam panoramas are north-centred (docs/geolocation.md), so a view's
heading in its panorama is its compass heading."""
import math

import cv2
import numpy as np
import pytest

from geopin.geopin_plugin.engine.estimate import bearings as localize, relative_pose as pose
from geopin.geopin_plugin.engine.registry import load_extractor
from geopin.geopin_plugin.engine.geo import wgs84_to_rd
from geopin.geopin_plugin.engine.models import DEFAULT_EXTRACTOR
from geopin.geopin_plugin.engine.panorama import VIEW_SIZE, perspective_view, perspective_views
from geopin.geopin_plugin.engine.verification.verifier import Verifier, replace
from geopin.geopin_plugin.engine.registry import verifier_config as config_for

QUERY = ("TMX7316010203-001631_pano_0000_000280", 247.5, 65.0)  # pano, heading, fov (phone-like, centred)
PARTNERS = ("TMX7316010203-001041_pano_0002_002709", "TMX7316010203-001041_pano_0002_002827")
REF_HEADINGS = (180.0, 225.0, 270.0)


def _rgb(path):
    im = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert im is not None, path
    return cv2.cvtColor(im, cv2.COLOR_BGR2RGB)


def _positions(datasets_dir):
    import csv

    with open(datasets_dir / "amsterdam-panoramas" / "manifest.csv", newline="") as fh:
        return {r["pano_id"]: tuple(float(v) for v in wgs84_to_rd(float(r["lat"]), float(r["lon"])))
                for r in csv.DictReader(fh)}


@pytest.fixture(scope="module")
def extractor():
    return load_extractor(DEFAULT_EXTRACTOR)


@pytest.fixture(scope="module")
def verifier():
    return Verifier(replace(config_for(DEFAULT_EXTRACTOR), matcher=None, band=0))


@pytest.fixture(scope="module")
def query_stage(datasets_dir, extractor):
    pos = _positions(datasets_dir)
    name, heading, fov = QUERY
    fq = extractor.extract(perspective_view(_rgb(datasets_dir / "amsterdam-panoramas" / f"{name}.jpg"), heading, fov))
    refs, where = {}, {}
    for partner in PARTNERS:
        views = perspective_views(_rgb(datasets_dir / "amsterdam-panoramas" / f"{partner}.jpg"), REF_HEADINGS)
        for h, view in zip(REF_HEADINGS, views):
            refs[len(refs)] = extractor.extract(view)
            where[len(where)] = (partner, h)
    # the product's verifier, cascade included (a pair near the XFeat threshold is
    # LighterGlue's to confirm), as the pipeline hands its verified pairs to the pose stage
    inputs = []
    for rid, v in Verifier(config_for(DEFAULT_EXTRACTOR)).verify(fq, refs).items():
        if v.verified:
            partner, h = where[rid]
            inputs.append(localize.PoseInput(v.matches, pose.view_intrinsics(90.0, refs[rid].image_size), h,
                                             *pos[partner], partner, (partner, h)))
    stage = localize.pose_stage(tuple(fq.image_size), inputs, query_hfov_deg=fov)
    return stage, pos[name], heading, (tuple(fq.image_size), inputs)


def test_left_out_overtoom_view_is_triangulated_from_its_partners(query_stage):
    stage, (tx, ty), _, _ = query_stage
    assert {ln.group for ln in stage.lines} == set(PARTNERS)
    assert localize.position_method(stage.lines) == "triangulated"
    x, y = localize.intersect(stage.lines)
    # the partners stand 7 and 34 m away; the references' own spacing could not do better than that
    assert math.hypot(x - tx, y - ty) < 5.0


def test_heading_of_a_cut_view_is_recovered_within_10_degrees(query_stage):
    stage, _, truth, _ = query_stage
    assert stage.heading_deg is not None and stage.heading_sd_deg is not None
    assert abs((stage.heading_deg - truth + 180.0) % 360.0 - 180.0) < 10.0
    assert stage.heading_sd_deg < 10.0


def test_exif_fov_is_used_when_given(query_stage):
    stage, _, _, _ = query_stage
    assert stage.fov_source == "exif" and stage.hfov_deg == QUERY[2]


def test_pure_rotation_pair_is_not_trusted(datasets_dir, extractor, verifier):
    """Two views cut from the SAME panorama at headings 40 degrees apart: the matches
    are a pure rotation, so the translation direction means nothing."""
    pano = _rgb(datasets_dir / "amsterdam-panoramas" / f"{PARTNERS[0]}.jpg")
    a, b = (extractor.extract(v) for v in perspective_views(pano, (200.0, 240.0)))
    v = verifier.verify_pair(b, a, verifier.config.fast_keypoints)
    assert v.verified  # the verifier itself is fooled: plenty of inliers
    k = pose.view_intrinsics(90.0, a.image_size)
    p = pose.relative_pose(v.matches, pose.view_intrinsics(90.0, b.image_size), k)
    assert p is not None
    assert p.degenerate == "rotation" and not p.trusted and p.bearing_deg is None
    assert p.parallax_deg < pose.MIN_PARALLAX_DEG
    assert abs(p.yaw_deg - 40.0) < 1.0  # the rotation itself is still right
    obs = localize.PoseObservation(0.0, 0.0, "g", (200.0 + p.yaw_deg) % 360, p.yaw_sd_deg, None, p.bearing_sd_deg,
                                   p.inliers, p.degenerate)
    assert localize.bearing_lines([obs]) == []


def test_intrinsics_of_a_panorama_view_match_the_cut():
    k = pose.view_intrinsics(90.0, VIEW_SIZE)
    assert k.f == pytest.approx(512.0)
    assert k.cy == pytest.approx(767 - 512 * math.tan(math.radians(22.0)))
    half = pose.view_intrinsics(90.0, (512, 384))
    assert half.f == pytest.approx(256.0)
    assert pose.hfov_from_35mm(26, (4000, 3000)) == pytest.approx(2 * math.degrees(math.atan(34.62 / 52)), abs=0.2)
    assert pose.hfov_from_35mm(0, (4000, 3000)) is None


def test_line_likelihood_is_axial_and_floored():
    ln = localize.BearingLine(0.0, 0.0, 90.0, 3.0, "g")
    lik = localize.line_likelihood([ln], np.array([20.0, -20.0, 0.0]), np.array([0.0, 0.0, 20.0]))
    assert lik[0] == pytest.approx(1.0) and lik[1] == pytest.approx(1.0)  # east and west: on the line
    assert lik[2] == pytest.approx(localize.LINE_EPS, abs=1e-6)  # north: off it, but never vetoed


def test_a_guessed_fov_widens_the_bearings(query_stage):
    """Without a focal length the FOV is a hypothesis (off by a median 10 degrees on the
    evaluation), so its bearing lines are looser than the same poses with EXIF."""
    _, _, _, (size, inputs) = query_stage
    guessed = localize.pose_stage(size, inputs)
    known = localize.pose_stage(size, inputs, query_hfov_deg=guessed.hfov_deg)
    assert guessed.fov_source == "hypotheses" and known.fov_source == "exif"
    sd_known = {o.view_id: o.bearing_sd_deg for o in known.observations if o.bearing_deg is not None}
    pairs = [(o.bearing_sd_deg, sd_known[o.view_id]) for o in guessed.observations if o.view_id in sd_known]
    assert pairs
    for g, k in pairs:
        assert g == pytest.approx(math.hypot(k, localize.FOV_HYPOTHESIS_BEARING_SD_DEG))
