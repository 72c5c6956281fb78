"""Each service's real contract, including its awkward parts (issue 15), against
the fixture server that encodes it, and recorded real answers replayed offline.
The sources of each contract point are in docs/sources.md."""
import json
import math
from pathlib import Path

import pytest
from fixture_server import AREA, MAPILLARY_TOKEN, grid_points
from models_for_tests import TinyEmbedder, TinyOrb

from geopin.geopin_plugin.engine.sources import HttpResponse, make_source
from geopin.geopin_plugin.engine.net.urllib_client import UrllibHttpClient
from geopin.geopin_plugin.engine.sources.importer import import_street_imagery
from geopin.geopin_plugin.engine.builder.config import BuildConfig

RECORDED = Path(__file__).resolve().parent / "recorded"


def source(name, server, sleep, **kw):
    token = kw.pop("token", MAPILLARY_TOKEN if name == "mapillary" else None)
    return make_source(name, UrllibHttpClient(timeout=10), base_url=server.url, token=token, sleep=sleep, **kw)


def spread(images, bbox, n=5):
    """Images per cell of an n x n grid over bbox."""
    x0, y0, x1, y1 = bbox
    counts = [[0] * n for _ in range(n)]
    for im in images:
        i = min(n - 1, int((im.lon - x0) / (x1 - x0) * n))
        j = min(n - 1, int((im.lat - y0) / (y1 - y0) * n))
        counts[j][i] += 1
    return [c for row in counts for c in row]


# -- Mapillary -----------------------------------------------------------------------


def test_mapillary_denser_than_one_querys_cap_gives_an_even_sample(server, fake_sleep):
    # 1600 images, the API answers at most 60 per query, no pages, edges first
    server.state.points["mapillary"] = grid_points("m", AREA, 40, 40)
    server.state.mapillary_max_limit = 60
    src = source("mapillary", server, fake_sleep)
    src.page_size = 60
    result = src.search(AREA, max_images=100)
    assert len(result.images) == 100 and result.truncated
    assert not any("still returns" in w for w in result.warnings)
    counts = spread(result.images, AREA)
    assert min(counts) >= 2 and max(counts) <= 8, counts  # 4 per cell when perfectly even
    queries = server.state.api_requests("/images")
    assert all("after" not in r["query"] for r in queries)  # never a page: the API has none
    assert len(queries) <= 25 * 5  # 25 cells, each split once at most here


def test_mapillary_edge_first_answer_is_not_an_edge_sample(server, fake_sleep):
    # one cell holds 100 images, the cap is not reached, but they come edges first:
    # a budget of a few per cell must still be spread over the cell
    x0, y0, x1, y1 = AREA
    server.state.points["mapillary"] = grid_points("m", AREA, 10, 10)
    src = source("mapillary", server, fake_sleep)
    result = src.search(AREA, max_images=12, oversample=1.0)
    lons = [im.lon for im in result.images]
    lats = [im.lat for im in result.images]
    inner = [im for im in result.images if x0 + 0.1 * (x1 - x0) < im.lon < x1 - 0.1 * (x1 - x0)
             and y0 + 0.1 * (y1 - y0) < im.lat < y1 - 0.1 * (y1 - y0)]
    assert len(result.images) == 12 and len(inner) >= 4, (lons, lats)


def test_mapillary_cell_still_at_the_cap_is_reported_not_silent(server, fake_sleep):
    server.state.points["mapillary"] = grid_points("m", AREA, 20, 20)
    server.state.mapillary_max_limit = 10
    src = source("mapillary", server, fake_sleep)
    src.page_size, src.max_split_depth = 10, 0  # no splitting allowed
    result = src.search(AREA, max_images=20)
    assert any("still returns Mapillary's limit of 10" in w for w in result.warnings)


def test_mapillary_rate_limit_body_is_retried(server, fake_sleep):
    server.state.points["mapillary"] = grid_points("m", AREA, 2, 2)
    server.state.behaviour.mapillary_rate_limited = 2  # HTTP 400, code 4 "Application request limit reached"
    result = source("mapillary", server, fake_sleep).search(AREA, 10)
    assert len(result.images) == 4 and fake_sleep.total == 1.0 + 2.0


# -- every source: one failing cell ----------------------------------------------------


@pytest.mark.parametrize("name", ["mapillary", "panoramax", "amsterdam", "mapilio"])
def test_one_failing_cell_is_reported_and_the_rest_imported(name, server, fake_sleep, tmp_path):
    pts = grid_points(name[:2], AREA, 4, 4)
    server.state.points[name] = pts
    server.state.behaviour.fail_cells_containing = (pts[0].lon, pts[0].lat)  # south-west corner times out
    src = source(name, server, fake_sleep)
    result = src.search(AREA, 100)
    assert len(result.failed_cells) == 1 and "504" in result.failed_cells[0][1]
    assert pts[0].id not in {im.source_id for im in result.images}
    assert len(result.images) >= len(pts) - 4  # a cell holds at most a quarter here
    assert any("could not be searched" in w for w in result.warnings)
    report = import_street_imagery(source(name, server, fake_sleep), AREA, tmp_path / "ref.gpkg", TinyEmbedder(),
                                   TinyOrb(), max_images=100, config=BuildConfig(panorama_headings=2))
    assert report.failed_cells == 1 and report.added == len(result.images)


# -- Panoramax -------------------------------------------------------------------------


def test_panoramax_360_without_field_of_view_is_found_by_sensor_aspect(server, fake_sleep):
    pts = grid_points("p", AREA, 2, 2, pano_every=2)  # p0000, p0002 are panoramas
    server.state.points["panoramax"] = pts
    server.state.behaviour.no_fov_ids = {p.id for p in pts}
    got = {im.source_id: im for im in source("panoramax", server, fake_sleep).search(AREA, 10)}
    assert {k: v.is_panorama for k, v in got.items()} == {p.id: p.pano for p in pts}
    assert got[pts[0].id].extra["asset"] != "thumb"  # a 360 thumb is a crop
    assert got[pts[0].id].extra["roll"] == 1.5 and got[pts[0].id].extra["pitch"] == -2.0


# -- KartaView -------------------------------------------------------------------------


def test_kartaview_missing_large_thumbnail_falls_back_to_the_full_image(server, fake_sleep, tmp_path):
    pts = grid_points("k", AREA, 2, 1)
    server.state.points["kartaview"] = pts
    server.state.behaviour.missing_lth_ids = {pts[0].id}
    src = source("kartaview", server, fake_sleep)
    got = {im.source_id: im for im in src.search(AREA, 10, image_size=1024)}
    assert "/lth/" in got[pts[0].id].image_url
    path = src.download(got[pts[0].id], tmp_path / "k.jpg")
    assert path.stat().st_size > 0
    fetched = [r["path"] for r in server.state.log if r["image"]]
    assert fetched[-2].endswith("_lth.jpg") and fetched[-1].endswith("_proc.jpg")
    big = {im.source_id: im for im in src.search(AREA, 10, image_size=2048)}
    assert "/proc/" in big[pts[1].id].image_url  # above 1024 px the full image first


# -- Amsterdam -------------------------------------------------------------------------


def test_amsterdam_end_date_is_inclusive_against_its_datetime_filter(server, fake_sleep):
    pts = grid_points("a", AREA, 3, 3)
    last = pts[4]
    last.time = "2023-06-30T15:45:00Z"  # in the afternoon of the last day asked for
    server.state.points["amsterdam"] = pts
    src = source("amsterdam", server, fake_sleep, token="ams-key")
    res = src.search(AREA, 100, start_date="2023-01-01", end_date="2023-06-30")
    assert last.id in {im.source_id for im in res.images}
    assert all(im.capture_time[:10] <= "2023-06-30" for im in res.images)
    api = server.state.api_requests("/panorama/")
    assert {r["query"]["timestamp_before"] for r in api} == {"2023-07-01"}
    assert all(r["headers"].get("X-Api-Key") == "ams-key" for r in api)
    assert all(im.heading == 0.0 for im in res.images)  # centre column faces north


# -- recorded real answers, replayed without a server ----------------------------------


class Replay:
    """An HttpClient that answers every request with one recorded JSON body."""

    def __init__(self, path):
        self.body = json.dumps(json.loads(path.read_text(encoding="utf-8"))).encode()
        self.urls = []

    def get(self, url, params=None, headers=None):
        self.urls.append((url, dict(params or {}), dict(headers or {})))
        return HttpResponse(200, {"Content-Type": "application/json"}, self.body)

    post = get


def test_recorded_panoramax_answer():
    http = Replay(RECORDED / "panoramax_search.json")
    src = make_source("panoramax", http)
    images = src.search((7.73, 48.50, 7.74, 48.51), max_images=5).images
    assert len(images) == 1
    im = images[0]
    assert im.source_id == "c41b9734-8e81-421f-b2cb-04aeec8250c1" and im.is_panorama is True
    assert (im.lat, im.lon, im.heading) == (48.50179, 7.731916, 3.0)
    assert im.licence == "etalab-2.0" and "eurométropole de strasbourg" in im.attribution
    assert im.image_url.endswith("/sd.jpg")  # 2048 px wide: the smallest at least 2 x 1024 would be hd
    assert im.capture_time.startswith("2022-05-30T17:23:19")


def test_recorded_kartaview_photo_object():
    http = Replay(RECORDED / "kartaview_photo.json")
    src = make_source("kartaview", http)
    parsed = src._parse(json.loads((RECORDED / "kartaview_photo.json").read_text())["result"]["data"][0], 1024)
    assert parsed.source_id == "112" and parsed.is_panorama is False  # PLANE
    assert parsed.image_url.endswith("/lth/1286317_c3307_42f.jpg")
    assert parsed.extra["fallback_urls"] == [
        "http://storage9.openstreetcam.org/files/photo/2018/9/4/proc/1286317_c3307_42f.jpg"]
    assert parsed.capture_time == "2016-04-16T09:00:45" and math.isclose(parsed.heading, 161.08252)
    images = src.search((-122.10, 37.64, -122.09, 37.65), max_images=5).images
    assert [im.source_id for im in images] == ["112"]
    assert all(u.startswith("https://api.openstreetcam.org/2.0/photo/") for u, _, _ in http.urls)
