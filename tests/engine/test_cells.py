"""Geographic cells (cells.py): the grid's lookups, the retrieval votes' cell prior,
the area search through the cells a box touches, and Search-within-Cell in the
retrieve stage."""
import numpy as np
import pytest
from fixtures_refdb import make_photos
from refdb_helpers import PixelEmbedder

from geopin.geopin_plugin.engine.database import cells
from geopin.geopin_plugin.engine.builder import ingest
from geopin.geopin_plugin.engine import stages
from geopin.geopin_plugin.engine.geo import points_in_polygons
from geopin.geopin_plugin.engine.database.refdb import ReferenceDatabase

pytestmark = pytest.mark.timeout(120)


class View:
    def __init__(self, view_id, x, y):
        self.view_id, self.x, self.y, self.pano_id = view_id, x, y, None


def test_grid_groups_views_by_cell_and_finds_the_cells_of_a_box():
    rng = np.random.default_rng(0)
    xs, ys = rng.uniform(100_000, 110_000, 5000), rng.uniform(450_000, 456_000, 5000)
    fids = np.arange(1, 5001) * 3
    grid = cells.CellGrid(fids, xs, ys, cell_m=1000.0)
    assert len(grid) == 10 * 6
    key = int(cells.cell_key(104_500.0, 451_200.0, 1000.0))
    assert cells.cell_box(key, 1000.0) == (104_000.0, 451_000.0, 105_000.0, 452_000.0)
    want = fids[(np.floor(xs / 1000) == 104) & (np.floor(ys / 1000) == 451)]
    assert np.array_equal(grid.ids_in_cells([key, key]), np.sort(want))
    assert len(grid.ids_in_cells([int(cells.cell_key(0.0, 0.0, 1000.0))])) == 0
    rows = grid.rows_in_box(103_100.0, 452_300.0, 104_200.0, 453_900.0)  # 2 x 2 cells
    assert len(rows) == np.sum((np.floor(xs / 1000) >= 103) & (np.floor(xs / 1000) <= 104)
                               & (np.floor(ys / 1000) >= 452) & (np.floor(ys / 1000) <= 453))
    assert len(grid.rows_in_box(0.0, 0.0, 300_000.0, 625_000.0)) == 5000  # the whole country: every view


def test_cell_prior_votes_with_the_similarities_and_chooses_cells_by_mass():
    views = [View(1, 500.0, 500.0), View(2, 600.0, 700.0), View(3, 2500.0, 500.0), View(4, 9500.0, 500.0)]
    prior = cells.cell_prior(views, [0.80, 0.79, 0.795, 0.60], tau=0.02, cell_m=2000.0)
    assert [k for k, _ in prior] == [int(cells.cell_key(500, 500, 2000)), int(cells.cell_key(2500, 500, 2000)),
                                     int(cells.cell_key(9500, 500, 2000))]
    assert sum(p for _, p in prior) == pytest.approx(1.0) and prior[0][1] > 0.6 and prior[2][1] < 1e-3
    assert cells.chosen_cells(prior, 0.5, 3) == [prior[0][0]]
    assert cells.chosen_cells(prior, 0.99, 3) == [prior[0][0], prior[1][0]]
    assert cells.chosen_cells(prior, 1.0, 2) == [prior[0][0], prior[1][0]]
    assert cells.cell_prior([], [], 0.02) == []


@pytest.fixture(scope="module")
def spread_db(tmp_path_factory):
    """30 photos whose positions are spread over three 2 km cells."""
    tmp = tmp_path_factory.mktemp("cells")
    make_photos(tmp / "in", 30)
    coords = {f"p{i:03d}.jpg": {"lat": 52.30 + 0.02 * (i % 3), "lon": 4.85 + 0.0002 * i} for i in range(30)}
    ingest.build(tmp / "in", tmp / "ref.gpkg", PixelEmbedder(), None, coordinates=coords)
    return tmp / "ref.gpkg"


def test_area_search_through_the_cells_matches_the_polygon_test_on_every_view(spread_db):
    with ReferenceDatabase.open(spread_db) as db:
        fids, xs, ys = db.store.positions()
        ring = np.array([[xs.min() - 5, ys.min() - 5], [xs.max() + 5, ys.min() - 5],
                         [np.median(xs), np.median(ys)]])
        want = np.sort(fids[points_in_polygons(xs, ys, [[ring]])])
        assert 0 < len(want) < len(fids)
        assert np.array_equal(db._allowed([ring], None), want)
        hits = db.search(db.embeddings([int(fids[0])]), k=50, area=[ring])[0]
        assert sorted(h.view_id for h in hits) == want.tolist()


def test_retrieval_within_cells_takes_its_candidates_from_the_voted_cells(spread_db):
    with ReferenceDatabase.open(spread_db) as db:
        views = db.views(db.ids())
        query_view = views[4]
        vector = db.embeddings([query_view.view_id])[0]

        class Embed:
            def embed(self, images):
                return vector[None, :]

        index = stages.DatabaseIndex(db)
        plain = stages.retrieve("photo", Embed(), index, 12)
        config = cells.CellSearch(cell_m=2000.0, tau=0.02, mass=0.5, max_cells=1)
        found = stages.retrieve("photo", Embed(), index, 12, cells=config)
        home = int(cells.cell_key(query_view.x, query_view.y, 2000.0))
        assert [k for k, _ in found.cells] == [home]  # its own view votes for its cell
        got = [int(cells.cell_key(c.view.x, c.view.y, 2000.0)) for c in found.candidates]
        assert got and set(got) == {home} and found.candidates[0].view.view_id == query_view.view_id
        in_home = sum(1 for v in views if int(cells.cell_key(v.x, v.y, 2000.0)) == home)
        assert len(found.candidates) == min(12, in_home)
        assert {c.view.view_id for c in plain.candidates} != {c.view.view_id for c in found.candidates}


def test_local_spacing_is_the_nearest_references_distance_to_its_neighbour():
    xs = np.array([0.0, 0.5, 4.0, 10.0, 100.0])  # the first two: one position (views of a panorama)
    ys = np.zeros(5)
    assert cells.local_spacing(xs, ys, 1.0, 0.0) == pytest.approx(3.5)  # from x=0.5 to x=4
    assert cells.local_spacing(xs, ys, 40.0, 0.0) == pytest.approx(6.0)  # nearest is x=10, its neighbour x=4
    assert cells.local_spacing(xs, ys, 99.0, 0.0) == pytest.approx(90.0)
    assert cells.local_spacing(xs[:2], ys[:2], 0.0, 0.0) == float("inf")  # one position only
    assert cells.local_spacing(np.zeros(0), np.zeros(0), 0.0, 0.0) == float("inf")


def test_the_error_radius_is_bounded_by_the_spacing_once_something_verified():
    from geopin.geopin_plugin.engine.estimate.posterior import PosteriorConfig, bounded_radius

    c = PosteriorConfig()
    assert bounded_radius(20.0, 4.0, c) == pytest.approx(3.0)  # 0.75 x 4 m = 3 m: the floor
    assert bounded_radius(20.0, 10.0, c) == pytest.approx(7.5)
    assert bounded_radius(20.0, 40.0, c) == pytest.approx(20.0)  # sparse references: the posterior's radius
    assert bounded_radius(20.0, float("inf"), c) == 20.0 and bounded_radius(20.0, None, c) == 20.0
    assert bounded_radius(20.0, 4.0, PosteriorConfig(spacing_factor=0.0)) == 20.0


def test_database_spacing_is_the_local_spacing_of_its_views(spread_db):
    with ReferenceDatabase.open(spread_db) as db:
        index = stages.DatabaseIndex(db)
        views = db.views(db.ids())
        v = views[0]
        s = index.spacing_at(v.x, v.y)
        fids, xs, ys = db.store.positions()
        assert s == pytest.approx(cells.local_spacing(xs, ys, v.x, v.y))
        assert 0 < s < 500
