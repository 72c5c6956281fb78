"""Buildings in view, checked on real outlines (the shared BAG panden): for views cut
from left-out Amsterdam panoramas, the pand the true central ray meets first from the
true position must be among GeoPin's first three buildings in view, with the photo
located on the small real database (the demo's query among them) and the outlines as
the user's layer."""
import math
import sys
from pathlib import Path

import numpy as np
import pytest

for _dir in (Path(__file__).resolve().parents[1], Path(__file__).resolve().parent):
    if str(_dir) not in sys.path:  # pytest runs with --import-mode=importlib
        sys.path.insert(0, str(_dir))
import geolocation_db  # noqa: E402

from geopin.geopin_plugin.engine.estimate import buildings as B  # noqa: E402
from geopin.geopin_plugin.engine.pdok import whatisinview as wv  # noqa: E402
from geopin.geopin_plugin.engine.geo import wgs84_to_rd  # noqa: E402
from geopin.geopin_plugin.engine.images import load_image  # noqa: E402
from geopin.geopin_plugin.engine.panorama import perspective_view  # noqa: E402
from geopin.geopin_plugin.engine.pdok.parcels import DensityGrid  # noqa: E402
from geopin.geopin_plugin.engine.pdok.fetch import AreaData  # noqa: E402
from geopin.geopin_plugin.engine.pipeline import Geolocator  # noqa: E402
from geopin.geopin_plugin.engine.estimate.viewcone import cone_ring, view_cone  # noqa: E402

pytestmark = pytest.mark.timeout(900)

# (left-out panorama, heading, fov): the demo query, and an amsterdam-lopo view of
# another Overtoom panorama (its partners are in the small database). Two other lopo
# views, 001631 at 90 deg and 000992 at 67.5 deg, are not located confidently on this
# 5-panorama database (no match / a failed check), so they cannot be checked here.
QUERIES = [(geolocation_db.LEFT_OUT, geolocation_db.QUERY_HEADING, geolocation_db.QUERY_FOV),
           ("TMX7316010203-001041_pano_0002_002709", 337.5, 65.0)]


@pytest.fixture(scope="session")
def small_db(tmp_path_factory, datasets_dir):
    return geolocation_db.build(tmp_path_factory.getbasetemp() / "geolocation", datasets_dir)


@pytest.fixture(scope="module")
def outlines(datasets_dir):
    path = datasets_dir / "amsterdam-bag" / "bag_pand_amsterdam_2019.gpkg"
    if not path.exists():
        pytest.skip("shared BAG outlines not available")
    return B.geopackage_source(str(path))


@pytest.mark.parametrize("pano, heading, fov", QUERIES)
def test_the_building_the_camera_faces_is_among_the_first_three(small_db, datasets_dir, outlines, pano, heading, fov):
    db = small_db[0]
    rows = geolocation_db.manifest(datasets_dir)
    tx, ty = wgs84_to_rd(float(rows[pano]["lat"]), float(rows[pano]["lon"]))
    image = perspective_view(load_image(datasets_dir / "amsterdam-panoramas" / rows[pano]["file"]), heading, fov,
                             (1024, 768))
    geo = Geolocator(db).locate(image, exclude_panos=[pano], buildings=B.BuildingMap(outlines))
    assert geo.label == "confident"
    # the truth: the pand the central ray meets first from where the camera stood
    truth_fp = B.BuildingMap(outlines).around([(tx, ty)], 100.0)
    dist, owner, _ = truth_fp.first_hits(tx, ty, np.array([heading]), 60.0)
    assert np.isfinite(dist[0]), "the true central ray meets a facade within 60 m"
    truth_id = truth_fp.ids[int(owner[0])]
    cone = view_cone(geo)
    assert cone is not None
    ring = cone_ring(cone.x, cone.y, cone.heading_deg, cone.fov_deg, 60.0)
    answer = wv.analyse(DensityGrid(geo.posterior, geo.geotransform), (geo.x, geo.y),
                        lambda bbox: AreaData(buildings=outlines(bbox)), view_cone=[[ring]], top_n=10)
    first = [rb.building.id for rb in answer.buildings[:3]]
    assert truth_id in first, (truth_id, first, geo.position_method, math.hypot(geo.x - tx, geo.y - ty))
