"""Coordinates: WGS84 <-> RD New, distances, position checks; point-in-polygon."""
import numpy as np
import pytest

from geopin.geopin_plugin.engine import geo


def test_geo():
    x, y = geo.wgs84_to_rd(52.15517440, 5.38720621)  # Amersfoort, the RD origin (155000, 463000)
    assert abs(x - 155000) < 1.0 and abs(y - 463000) < 1.0
    lat, lon = geo.rd_to_wgs84(x, y)
    assert (lat, lon) == pytest.approx((52.15517440, 5.38720621), abs=1e-7)
    xs, ys = geo.wgs84_to_rd(np.array([52.0, 52.1]), np.array([4.5, 4.6]))
    assert xs.shape == (2,)
    assert geo.geodesic_distance_m(52.0, 4.0, 52.0, 4.001) == pytest.approx(68.6, abs=0.5)
    assert geo.inside_netherlands(52.37, 4.89) and not geo.inside_netherlands(55.7, 13.2)
    assert geo.valid_wgs84(0, 0) and geo.valid_wgs84(float("nan"), 4) and geo.valid_wgs84(91, 4)
    assert geo.valid_wgs84(52.0, 4.0) is None
