"""Probability integration over parcels and the building/address ranking on
synthetic posteriors: mass sums to <= 1, the parcel under the peak gets most,
nearer facades hide farther ones, a view cone restricts what is seen."""
import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pdok_fixture import neighbourhood  # noqa: E402

from geopin.geopin_plugin.engine.pdok import parcels as pc  # noqa: E402
from geopin.geopin_plugin.engine.pdok.features import (Building, Parcel, parse_addresses, parse_buildings,  # noqa: E402
                                                       parse_parcels)


def square(x0, y0, x1, y1):
    return [[np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]], float)]]


def tiled_parcels(x0, y0, n, size):
    return [Parcel(f"p{i}{j}", f"T K {i * n + j}", "T", "K", i * n + j, size * size,
                   square(x0 + j * size, y0 + i * size, x0 + (j + 1) * size, y0 + (i + 1) * size))
            for i in range(n) for j in range(n)]


def test_gaussian_grid_holds_its_mass_and_68_percent_radius():
    g = pc.DensityGrid.gaussian(1000.0, 2000.0, error_radius_m=15.0)
    assert g.total_mass() == pytest.approx(1.0, abs=1e-9)
    circle = [[np.array([[1000 + 15 * math.cos(a), 2000 + 15 * math.sin(a)]
                         for a in np.linspace(0, 2 * math.pi, 256)])]]
    assert pc.polygon_mass(g, circle) == pytest.approx(0.68, abs=0.01)


def test_tiled_parcels_sum_to_the_grid_mass_and_peak_parcel_wins():
    g = pc.DensityGrid.gaussian(1005.0, 2005.0, error_radius_m=12.0, mass=0.8)
    parcels = tiled_parcels(900.0, 1900.0, 20, 10.0)  # 200 m x 200 m of 10 m lots, exact tiling
    ranked = pc.rank_parcels(g, parcels, estimate=(1005.0, 2005.0), min_probability=0.0)
    total = sum(r.probability for r in ranked)
    assert total <= 0.8 + 1e-9
    assert total == pytest.approx(0.8, abs=1e-3), "the tiling covers the whole grid"
    top = ranked[0]
    assert top.parcel.polygons[0][0][0].tolist() == [1000.0, 2000.0], "the lot under the peak"
    assert top.distance_m == 0.0
    sigma = 12.0 / math.sqrt(-2 * math.log(0.32))
    inner = math.erf(5.0 / (sigma * math.sqrt(2)))  # 1-D share within ±5 m
    assert top.probability == pytest.approx(0.8 * inner ** 2, rel=0.005), "the analytic integral"
    assert top.probability > 1.5 * ranked[1].probability


def test_shared_edges_are_not_counted_twice_on_a_grid_aligned_tiling():
    rng = np.random.default_rng(3)
    grid = rng.random((40, 40)).astype(np.float32)
    cell = 2.0
    grid /= grid.sum() * cell * cell  # mass exactly 1
    g = pc.DensityGrid(grid, (0.0, cell, 0.0, 80.0, 0.0, -cell))
    parcels = tiled_parcels(0.0, 0.0, 8, 10.0)  # edges every 10 m = every 5 cells, on cell borders
    total = sum(pc.polygon_mass(g, p.polygons) for p in parcels)
    assert total == pytest.approx(1.0, abs=1e-6)
    half = [Parcel("a", "", "", "", None, None, square(0, 0, 41, 80)),
            Parcel("b", "", "", "", None, None, square(41, 0, 80, 80))]  # edge through cells
    assert sum(pc.polygon_mass(g, p.polygons) for p in half) == pytest.approx(1.0, abs=1e-6)


def test_parcel_with_a_hole_and_outside_the_grid():
    g = pc.DensityGrid.gaussian(0.0, 0.0, error_radius_m=5.0)
    ring = square(-50, -50, 50, 50)[0][0]
    hole = square(-10, -10, 10, 10)[0][0]
    with_hole = [[ring, hole]]
    assert pc.polygon_mass(g, with_hole) < 0.05
    assert pc.polygon_mass(g, square(-10, -10, 10, 10)) > 0.95
    assert pc.polygon_mass(g, square(500, 500, 600, 600)) == 0.0


def street(x_len=200.0):
    """A street along x (y in 0..16) with a row of houses on each side."""
    north = [Building(f"N{i}", "test", None, "", square(i * 10, 16, i * 10 + 9, 28)) for i in range(20)]
    south = [Building(f"S{i}", "test", None, "", square(i * 10, -12, i * 10 + 9, 0)) for i in range(20)]
    far = [Building("FAR", "test", None, "", square(100, 40, 109, 52))]  # behind N10
    return north + south + far


def test_buildings_near_the_camera_rank_first_and_hidden_ones_not_at_all():
    g = pc.DensityGrid.gaussian(104.5, 8.0, error_radius_m=2.0)
    ranked = pc.rank_buildings(g, street(), estimate=(104.5, 8.0))
    ids = [r.building.id for r in ranked]
    assert set(ids[:2]) == {"N10", "S10"}, ids[:4]
    assert "FAR" not in ids, "hidden behind N10"
    total = sum(r.probability for r in ranked)
    assert 0.5 < total <= 1.0 + 1e-9, "rays along the street see nothing"
    assert ranked[0].distance_m == pytest.approx(8.0, abs=0.6)


def test_camera_positions_inside_buildings_are_dropped():
    g = pc.DensityGrid.gaussian(104.5, 22.0, error_radius_m=3.0)  # peak inside N10
    ranked = pc.rank_buildings(g, street(), estimate=(104.5, 22.0))
    assert sum(r.probability for r in ranked) <= 1.0 + 1e-9
    assert ranked and ranked[0].building.id != "FAR"


def test_view_cone_keeps_only_what_is_in_view():
    g = pc.DensityGrid.gaussian(104.5, 8.0, error_radius_m=2.0)
    cone = [[np.array([[104.5, 8.0], [80.0, 60.0], [130.0, 60.0], [104.5, 8.0]])]]  # looking north
    ranked = pc.rank_buildings(g, street(), view_cone=cone)
    ids = [r.building.id for r in ranked]
    assert ids[0] == "N10" and not any(i.startswith("S") for i in ids)


def test_addresses_inherit_the_probability_of_their_building():
    data = neighbourhood(0.0, 0.0)
    buildings = parse_buildings(data["bag"]["pand"], "BAG pand")
    addresses = parse_addresses(data["bag"]["verblijfsobject"])
    g = pc.DensityGrid.gaussian(4.0, 33.0, error_radius_m=3.0)  # in the street north of block 0
    ranked = pc.rank_buildings(g, buildings)
    out = pc.addresses_of(ranked[:3], addresses)
    assert len(out) == 6, "two addresses per house"
    assert out[0].probability == ranked[0].probability and out[0].building_id == ranked[0].building.id
    assert all(a.address.pand_id == a.building_id for a in out)
    # without pand ids the spatial join finds the same addresses
    for a in addresses:
        a.pand_id = ""
    again = pc.addresses_of(ranked[:3], addresses)
    assert [a.address.id for a in again] == [a.address.id for a in out]


def test_fixture_parcels_tile_their_area():
    data = neighbourhood(0.0, 0.0)
    parcels = parse_parcels(data["brk"]["perceel"])
    g = pc.DensityGrid.gaussian(3.0, 30.0, error_radius_m=20.0)
    total = sum(r.probability for r in pc.rank_parcels(g, parcels, min_probability=0.0))
    assert total == pytest.approx(1.0, abs=0.01) and total <= 1.0 + 1e-9
