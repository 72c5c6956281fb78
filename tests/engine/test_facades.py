"""Range from facades and the building prior (engine/estimate/facades.py, engine/estimate/buildings.py).

A synthetic street (two footprints, facade points projected into a reference and a
query camera with pixel noise) checks the geometry exactly; the shared BAG panden
(../shared/datasets/amsterdam-bag) check the GeoPackage reading and the tiles."""
import math

import numpy as np
import pytest

from geopin.geopin_plugin.engine.estimate import buildings as B
from geopin.geopin_plugin.engine.estimate import facades as F
from geopin.geopin_plugin.engine.estimate import bearings as localize
from geopin.geopin_plugin.engine.estimate import relative_pose as P
from geopin.geopin_plugin.engine.estimate.density import TileGrid
from geopin.geopin_plugin.engine.pdok.features import Building


def _rect(x0, y0, x1, y1):
    return [np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]], float)]


STREET = [Building("north", "test", None, "", [_rect(980, 2020, 1040, 2030)]),
          Building("east", "test", None, "", [_rect(1015, 1995, 1025, 2015)])]
REF = np.array([1000.0, 2000.0])


def _frame(heading_deg):
    r = math.radians(heading_deg)  # rows: camera x (right), y (down), z (forward) in (E, N, up)
    return np.array([[math.cos(r), -math.sin(r), 0], [0, 0, -1], [math.sin(r), math.cos(r), 0]])


def _project(points, centre, heading_deg, k):
    xc = (points - centre) @ _frame(heading_deg).T
    uv = np.stack([k.f * xc[:, 0] / xc[:, 2] + k.cx, k.f * xc[:, 1] / xc[:, 2] + k.cy], axis=1)
    ok = (xc[:, 2] > 0.5) & (uv[:, 0] > 0) & (uv[:, 0] < 640) & (uv[:, 1] > 0) & (uv[:, 1] < 480)
    return uv, ok


def _matches(query_xy, query_heading, trees=0, seed=0):
    """Matches of facade points on the two facades the reference looks at, plus
    ``trees`` points on trees scattered between the cameras and the facades."""
    rng = np.random.default_rng(seed)
    n = 150
    pts = np.vstack([np.stack([rng.uniform(985, 1035, n), np.full(n, 2020.0), rng.uniform(-1.5, 9, n)], 1),
                     np.stack([np.full(n, 1015.0), rng.uniform(1997, 2013, n), rng.uniform(-1.5, 9, n)], 1),
                     np.stack([rng.uniform(990, 1012, trees), rng.uniform(2005, 2018, trees), rng.uniform(0, 6, trees)],
                              1)])
    kr, kq = P.centred_intrinsics((640, 480), 90.0), P.centred_intrinsics((640, 480), 65.0)
    pr, okr = _project(pts, np.array([*REF, 2.5]), 0.0, kr)
    pq, okq = _project(pts, np.array([*query_xy, 2.5]), query_heading, kq)
    ok = okr & okq
    return np.hstack([pq[ok], pr[ok]]) + rng.normal(0, 0.3, (int(ok.sum()), 4)), kq, kr


def test_facades_give_a_bearing_line_its_metric_range():
    footprints = B.Footprints.of(STREET)
    query = (1003.0, 2006.0)
    m, kq, kr = _matches(query, 10.0)
    rel = P.relative_pose(m, kq, kr)
    r = F.facade_range(m, kq, kr, rel, *REF, 0.0, footprints)
    truth = math.hypot(query[0] - REF[0], query[1] - REF[1])
    assert r.note == "" and r.n_hits >= F.MIN_RAYS
    assert r.range_m == pytest.approx(truth, rel=0.05)
    assert r.range_m - 2 * r.range_sd_m < truth < r.range_m + 2 * r.range_sd_m
    # as a line: the ranged point is the camera
    obs = localize.PoseObservation(*REF, "ref", 10.0, 1.0, rel.bearing_deg, rel.bearing_sd_deg, rel.inliers,
                                   range_m=r.range_m, range_sd_m=r.range_sd_m)
    lines = localize.bearing_lines([obs])
    assert localize.position_method(lines) == "facades"
    x, y = localize.intersect(lines)
    assert math.hypot(x - query[0], y - query[1]) < 1.0
    assert localize.crossing_radius(lines, (x, y)) < 3.0


def test_no_range_without_facades_in_reach_and_it_says_why():
    m, kq, kr = _matches((1003.0, 2006.0), 10.0)
    rel = P.relative_pose(m, kq, kr)
    far = B.Footprints.of([Building("far", "test", None, "", [_rect(2000, 3000, 2010, 3010)])])
    r = F.facade_range(m, kq, kr, rel, *REF, 0.0, far)
    assert r.range_m is None and r.note == "no facade within reach"


def test_trees_among_the_facade_points_do_not_move_the_range():
    """Matches on trees between the cameras and the facades (11 of the 59 rays): each tree's
    ray meets a facade beyond it, so its scale is off by its own factor; the median
    over the rays keeps the facades' scale. (Trees standing in one row, all matched and
    outnumbering the facade points, would agree on a wrong scale: the median cannot
    tell.)"""
    m, kq, kr = _matches((1003.0, 2006.0), 10.0, trees=40)
    rel = P.relative_pose(m, kq, kr)
    r = F.facade_range(m, kq, kr, rel, *REF, 0.0, B.Footprints.of(STREET))
    assert r.n_hits > r.n_used  # the trees' rays were set aside
    assert r.range_m == pytest.approx(math.hypot(3.0, 6.0), rel=0.05)


def test_building_prior_moves_mass_out_of_footprints_and_keeps_the_total():
    grid = TileGrid(2.0)
    grid.add_gaussian(1000.0, 2012.0, 12.0, 10.0)
    footprints = B.Footprints.of(STREET)
    before = sum(t.sum() for t in grid.tiles.values())
    share = B.apply_prior(grid, footprints, 0.05)
    after = sum(t.sum() for t in grid.tiles.values())
    assert after == pytest.approx(before)
    assert 0.05 < share < 0.6
    masses, xs, ys = grid.cells()
    inside = footprints.inside(xs, ys)
    assert masses[inside].sum() / masses.sum() < 0.05 * share / (1 - share) * 1.5
    # a cell centre inside is masked, one outside is not
    mask = footprints.mask(990.0, 2030.0, 2.0, (20, 20))
    assert mask[2, 2] and not mask[15, 2]  # (991, 2025) inside "north"; (991, 1999) in the street


def test_shared_bag_outlines_are_read_through_the_rtree(datasets_dir):
    path = datasets_dir / "amsterdam-bag" / "bag_pand_amsterdam_2019.gpkg"
    if not path.exists():
        pytest.skip("shared BAG outlines not available")
    bmap = B.BuildingMap(B.geopackage_source(str(path)))
    # Overtoom / Jan Pieter Heijestraat: coverage.md counts 421 panden within 150 m
    fp = bmap.around([(119497.0, 486140.0)], 150.0)
    assert len(set(fp.ids)) >= 421
    assert all(len(i) == 14 for i in fp.ids)  # Amsterdam's DIVA pand keys
    # the camera of the Overtoom panorama stands in the street, and so does its nearest facade 6 m off
    assert not fp.inside(np.array([119497.0]), np.array([486140.0]))[0]
    rays = np.arange(0.0, 360.0, 5.0)
    dist, _, _ = fp.first_hits(119497.0, 486140.0, rays, 200.0)
    assert 5.0 <= np.nanmin(dist[np.isfinite(dist)]) <= 10.0
    requests = bmap.requests
    bmap.around([(119497.0, 486140.0)], 150.0)
    assert bmap.requests == requests  # tiles are kept
