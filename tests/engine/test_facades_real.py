"""Range from facades on real data: a left-out Houthavens view has exactly one
partner panorama (23 m away), so its verified references give one bearing line and,
without outlines, no range. With the shared BAG panden (../shared/datasets/
amsterdam-bag, "the user's layer") the line gets its range and the camera is placed
within 10 m; the posterior keeps (almost) no mass inside the buildings."""
import math

import cv2
import numpy as np
import pytest

from geopin.geopin_plugin.engine.estimate import buildings as B
from geopin.geopin_plugin.engine.estimate import bearings as localize, relative_pose as pose
from geopin.geopin_plugin.engine.estimate import posterior as post
from geopin.geopin_plugin.engine.registry import load_extractor
from geopin.geopin_plugin.engine.geo import wgs84_to_rd
from geopin.geopin_plugin.engine.models import DEFAULT_EXTRACTOR
from geopin.geopin_plugin.engine.panorama import DEFAULT_MIN_ELEVATION_DEG, perspective_view, perspective_views
from geopin.geopin_plugin.engine.verification.verifier import Verifier
from geopin.geopin_plugin.engine.registry import verifier_config as config_for

QUERY = ("TMX7315120208-000105_pano_0001_002993", 337.5, 65.0)  # amsterdam-lopo's phone-like view
PARTNER = "TMX7315120208-000105_pano_0001_002965"
REF_HEADINGS = (270.0, 315.0, 0.0, 45.0)  # the partner's grid views that face the query's scene


def _rgb(path):
    im = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert im is not None, path
    return cv2.cvtColor(im, cv2.COLOR_BGR2RGB)


@pytest.fixture(scope="module")
def houthavens(datasets_dir):
    import csv

    bag = datasets_dir / "amsterdam-bag" / "bag_pand_amsterdam_2019.gpkg"
    if not bag.exists():
        pytest.skip("shared BAG outlines not available")
    with open(datasets_dir / "amsterdam-panoramas" / "manifest.csv", newline="") as fh:
        pos = {r["pano_id"]: tuple(float(v) for v in wgs84_to_rd(float(r["lat"]), float(r["lon"])))
               for r in csv.DictReader(fh)}
    extractor = load_extractor(DEFAULT_EXTRACTOR)
    name, heading, fov = QUERY
    qv = perspective_view(_rgb(datasets_dir / "amsterdam-panoramas" / f"{name}.jpg"), heading, fov,
                          min_elevation_deg=DEFAULT_MIN_ELEVATION_DEG)
    fq = extractor.extract(qv)
    views = perspective_views(_rgb(datasets_dir / "amsterdam-panoramas" / f"{PARTNER}.jpg"), REF_HEADINGS)
    refs = {i: extractor.extract(v) for i, v in enumerate(views)}
    inputs = []
    for rid, v in Verifier(config_for(DEFAULT_EXTRACTOR)).verify(fq, refs).items():
        if v.verified:
            inputs.append(localize.PoseInput(v.matches, pose.view_intrinsics(90.0, refs[rid].image_size),
                                             REF_HEADINGS[rid], *pos[PARTNER], PARTNER, rid))
    # the query's cut, as the evaluation tells the pose stage (its FOV stays a guess)
    camera = lambda size, hfov: pose.view_intrinsics(hfov, size, view_size=qv.shape[1::-1])  # noqa: E731
    bmap = B.BuildingMap(B.geopackage_source(str(bag)))
    footprints = bmap.around([pos[PARTNER]], 80.0)
    return tuple(fq.image_size), inputs, camera, footprints, bmap, pos[name], pos[PARTNER]


def test_one_bearing_line_gets_its_range_from_the_facades(houthavens):
    size, inputs, camera, footprints, _, truth, partner = houthavens
    assert inputs, "the partner's views must verify"
    plain = localize.pose_stage(size, inputs, query_camera=camera)
    assert localize.position_method(plain.lines) == "line"  # one panorama: no range without outlines
    stage = localize.pose_stage(size, inputs, query_camera=camera, footprints=footprints)
    assert localize.position_method(stage.lines) == "facades"
    x, y = localize.intersect(stage.lines)
    assert math.hypot(x - truth[0], y - truth[1]) < 10.0
    assert math.hypot(partner[0] - truth[0], partner[1] - truth[1]) > 20.0  # the partner itself is 23 m off
    radius = localize.crossing_radius(stage.lines, (x, y))
    assert 1.0 < radius < 15.0


def test_the_posterior_keeps_no_mode_inside_a_building(houthavens):
    size, inputs, camera, footprints, bmap, truth, partner = houthavens
    stage = localize.pose_stage(size, inputs, query_camera=camera, footprints=footprints)
    obs = [post.Observation(*partner, similarity=0.8, inliers=120, verified=True, group=PARTNER)]
    p = post.estimate(obs, post.PosteriorConfig(), lines=stage.lines, crossing_only=True, buildings=bmap)
    assert p.position_method == "facades"
    assert not footprints.inside(np.array([p.x]), np.array([p.y]))[0]
    # the grid's peak stands outside every footprint, and so do 95 % of the mass
    x0, cell, _, y1, _, _ = p.geotransform
    rows, cols = p.grid.shape
    r, c = np.unravel_index(int(np.argmax(p.grid)), p.grid.shape)
    assert not footprints.inside(np.array([x0 + (c + 0.5) * cell]), np.array([y1 - (r + 0.5) * cell]))[0]
    inside = footprints.mask(x0, y1, cell, (rows, cols))
    assert p.grid[inside].sum() / p.grid.sum() < 0.05
    without = post.estimate(obs, post.PosteriorConfig(), lines=stage.lines, crossing_only=True)
    wx0, wcell, _, wy1, _, _ = without.geotransform
    before = footprints.mask(wx0, wy1, wcell, without.grid.shape)
    assert without.grid[before].sum() / without.grid.sum() > 0.1  # the prior did move mass
