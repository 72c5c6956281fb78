"""The view cone's geometry and its choices (depth, field of view, the reference that
pinned the heading), without QGIS."""
import math
from types import SimpleNamespace

import numpy as np
import pytest

from geopin.geopin_plugin.engine.estimate import viewcone as vc
from geopin.geopin_plugin.engine.geo import angle_between


def candidate(x, y, verified=True, inliers=30, pose_note="", rank=1, view_id=1):
    return SimpleNamespace(view=SimpleNamespace(x=x, y=y, view_id=view_id), verified=verified, inliers=inliers,
                           pose_note=pose_note, rank=rank)


def geolocation(heading=171.0, fov=95.0, fov_source="hypotheses", candidates=(), label="confident", x=1000.0,
                y=2000.0):
    return SimpleNamespace(x=x, y=y, label=label, heading_deg=heading, heading_sd_deg=2.3, hfov_deg=fov,
                           fov_source=fov_source, position_method="density", candidates=list(candidates))


def edge_bearings(ring):
    apex = ring[0]
    return [vc.compass_bearing(apex[0], apex[1], *ring[i]) for i in (1, -2)]


@pytest.mark.parametrize("heading, fov", [(0.0, 65.0), (171.0, 95.0), (350.0, 40.0), (90.0, 120.0)])
def test_ring_apex_bisector_opening_and_depth(heading, fov):
    ring = vc.cone_ring(100.0, 200.0, heading, fov, 50.0)
    assert ring.shape == (vc.ARC_STEPS + 3, 2)
    assert tuple(ring[0]) == tuple(ring[-1]) == (100.0, 200.0)  # closed at the apex
    left, right = edge_bearings(ring)
    assert angle_between(left, right) == pytest.approx(fov, abs=1e-9)
    bisector = (left + ((right - left) % 360.0) / 2.0) % 360.0  # clockwise from the left edge
    assert angle_between(bisector, heading) < 1e-9
    middle = ring[1 + vc.ARC_STEPS // 2]  # an arc vertex on the heading itself
    assert angle_between(vc.compass_bearing(100.0, 200.0, *middle), heading) < 1e-9
    assert np.allclose(np.hypot(ring[1:-1, 0] - 100.0, ring[1:-1, 1] - 200.0), 50.0)
    # a valid simple polygon: positive shoelace area (clockwise in x-east, y-north is negative)
    xs, ys = ring[:, 0], ring[:, 1]
    area = 0.5 * float(np.dot(xs[:-1], ys[1:]) - np.dot(xs[1:], ys[:-1]))
    assert area == pytest.approx(-math.pi * 50.0 ** 2 * fov / 360.0, rel=0.01)


def test_north_is_plus_y_and_east_is_plus_x():
    assert vc.compass_bearing(0, 0, 0, 10) == 0.0
    assert vc.compass_bearing(0, 0, 10, 0) == 90.0
    assert vc.compass_bearing(0, 0, 0, -10) == 180.0


def test_depth_is_the_farthest_verified_reference_in_view_else_50_m():
    # heading south: a reference 34 m south-east-ish in view, one 9 m north (behind), an
    # unverified one far in view, and one 400 m away in view (another place)
    refs = [candidate(1000.0 + 5.0, 2000.0 - 34.0), candidate(1000.0, 2009.0),
            candidate(1000.0, 1930.0, verified=False), candidate(1000.0, 1600.0)]
    assert vc.cone_depth(1000.0, 2000.0, 180.0, 65.0, refs) == (pytest.approx(math.hypot(5, 34)), "references")
    assert vc.cone_depth(1000.0, 2000.0, 0.0, 65.0, refs) == (vc.DEFAULT_DEPTH_M, "default")  # 9 m: too near
    assert vc.cone_depth(1000.0, 2000.0, 90.0, 65.0, refs) == (vc.DEFAULT_DEPTH_M, "default")


def test_pinned_by_prefers_a_pinned_line_then_most_inliers_at_the_place():
    near_a = candidate(1000.0, 2010.0, inliers=50, pose_note="unused", rank=2, view_id=22)
    near_b = candidate(1000.0, 2010.0, inliers=90, pose_note="rotation", rank=1, view_id=21)
    far = candidate(1000.0, 2500.0, inliers=200, pose_note="unused", rank=3, view_id=7)
    no_pose = candidate(1001.0, 2001.0, inliers=300, rank=4, view_id=8)
    assert vc.pinning_candidate([near_a, near_b, far, no_pose], 1000.0, 2000.0) is near_b
    near_a.pose_note = "pinned"
    assert vc.pinning_candidate([near_a, near_b, far, no_pose], 1000.0, 2000.0) is near_a
    assert vc.pinning_candidate([far, no_pose], 1000.0, 2000.0) is None


def test_view_cone_and_why_there_is_none():
    ref = candidate(1000.0, 1960.0, inliers=90, pose_note="unused", view_id=21)
    cone = vc.view_cone(geolocation(heading=531.0, candidates=[ref]))  # 531 = 171 (mod 360)
    assert (cone.x, cone.y, cone.heading_deg, cone.fov_deg, cone.fov_source) == (1000.0, 2000.0, 171.0, 95.0,
                                                                                  "hypotheses")
    assert (cone.depth_m, cone.depth_source) == (pytest.approx(40.0), "references") and cone.pinned_by is ref
    assert tuple(cone.ring()[0]) == (1000.0, 2000.0)
    assert vc.view_cone(geolocation(fov=None, fov_source="")).fov_source == "default"
    assert vc.no_cone_reason(geolocation()) == ""
    assert vc.no_cone_reason(geolocation(heading=None)) == "no heading" and vc.view_cone(
        geolocation(heading=None)) is None
    assert vc.no_cone_reason(geolocation(label="no match")) == "no match"
    assert vc.no_cone_reason(geolocation(x=None)) == "no match"
