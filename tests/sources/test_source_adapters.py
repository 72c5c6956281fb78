"""Each adapter against the local fixture server: documented shapes, paging,
bad answers, rate limits, tokens, sampling. Nothing leaves 127.0.0.1."""

import pytest
from fixture_server import AREA, MAPILLARY_TOKEN, grid_points

from geopin.geopin_plugin.engine.sources import (SOURCE_NAMES, AuthError, ImageError, SourceError, make_source)
from geopin.geopin_plugin.engine.net.transport import USER_AGENT, parse_retry_after
from geopin.geopin_plugin.engine.sources.spatial import Area, even_sample
from geopin.geopin_plugin.engine.net.urllib_client import UrllibHttpClient

TOKENS = {"mapillary": MAPILLARY_TOKEN}


def source_for(name, server, sleep, **kw):
    src = make_source(name, UrllibHttpClient(timeout=10), base_url=server.url, token=TOKENS.get(name),
                      sleep=sleep, **kw)
    src.page_size = min(src.page_size, 4)  # small pages so paging is exercised
    return src


@pytest.mark.parametrize("name", SOURCE_NAMES)
def test_search_reads_documented_shape_and_pages(name, server, fake_sleep, tmp_path):
    # KartaView's nearby-photos answer has no panorama flag: its points are all flat here
    pts = grid_points(name[:2], AREA, 4, 3, pano_every=0 if name == "kartaview" else 3)
    server.state.points[name] = pts
    src = source_for(name, server, fake_sleep)
    result = src.search(AREA, max_images=100, image_size=1024)
    got = {im.source_id: im for im in result.images}
    assert set(got) == {p.id for p in pts}
    assert not result.truncated and result.warnings == []
    assert list(result) == result.images and len(result) == len(pts)  # iterable of SourceImage
    api = server.state.api_requests()
    if name != "mapillary":  # Mapillary's bbox search has no pages (test_mapillary_* below)
        assert len([r for r in api if r["path"] != "/api/sequence-detail"]) >= 3, "12 points, pages of 4 or 5"
    for p in pts:
        im = got[p.id]
        assert im.source == name
        assert im.lat == pytest.approx(p.lat, abs=1e-6) and im.lon == pytest.approx(p.lon, abs=1e-6)
        assert im.capture_time[:10] == p.time[:10]
        assert im.licence and im.attribution
        assert im.image_url.startswith(server.url)
        if name == "amsterdam":
            assert im.is_panorama and im.heading == 0.0  # published panoramas face north
            assert im.extra["car_heading"] == pytest.approx(p.heading)
        else:
            assert im.is_panorama == p.pano
            assert im.heading == pytest.approx(p.heading, abs=0.01)
    # every request carried GeoPin's User-Agent
    assert {r["headers"].get("User-Agent") for r in server.state.log} == {USER_AGENT}
    # and the files download and decode; panoramas are 2:1
    im = got[pts[0].id]
    path = src.download(im, tmp_path / "a.jpg")
    from PIL import Image

    with Image.open(path) as img:
        assert (img.size[0] == 2 * img.size[1]) == im.is_panorama


@pytest.mark.parametrize("name", SOURCE_NAMES)
def test_area_without_coverage_is_empty_not_an_error(name, server, fake_sleep):
    server.state.points[name] = grid_points("x", AREA, 3, 3)
    far = (5.10, 52.05, 5.12, 52.06)  # Utrecht: nothing there in the fixture
    result = source_for(name, server, fake_sleep).search(far, max_images=50)
    assert result.images == [] and result.available == 0 and not result.truncated


def test_mapillary_missing_token_fails_before_any_request(server, fake_sleep):
    src = make_source("mapillary", UrllibHttpClient(), base_url=server.url, token=None, sleep=fake_sleep)
    with pytest.raises(AuthError) as err:
        src.search(AREA, 10)
    assert err.value.missing
    assert "Authentication" in str(err.value) and "AUTH_CONFIG" in str(err.value)
    assert server.state.log == []


def test_mapillary_wrong_token_is_a_400_oauthexception_with_a_clear_message(server, fake_sleep):
    # the Graph API refuses a token with HTTP 400 and {"error": {"type": "OAuthException", "code": 190}}
    server.state.points["mapillary"] = grid_points("m", AREA, 2, 2)
    src = make_source("mapillary", UrllibHttpClient(), base_url=server.url, token="MLY|wrong", sleep=fake_sleep)
    with pytest.raises(AuthError) as err:
        src.search(AREA, 10)
    assert err.value.status == 400 and not err.value.missing
    assert "OAuthException 190" in str(err.value)
    assert "AUTH_CONFIG" in str(err.value)
    assert fake_sleep.waits == []  # a refused token is not retried
    # the token went in a header, never into the URL
    for r in server.state.log:
        assert "access_token" not in r["query"]
        assert r["headers"]["Authorization"] == "OAuth MLY|wrong"


def test_429_honours_retry_after(server, fake_sleep):
    server.state.points["panoramax"] = grid_points("p", AREA, 2, 2)
    server.state.behaviour.status_first = [429, 429]
    server.state.behaviour.retry_after = "3"
    result = source_for("panoramax", server, fake_sleep).search(AREA, 10)
    assert len(result.images) == 4
    assert fake_sleep.total == 6.0  # two waits of Retry-After: 3


def test_5xx_backs_off_then_succeeds(server, fake_sleep):
    server.state.points["amsterdam"] = grid_points("a", AREA, 2, 2)
    server.state.behaviour.status_first = [500, 503, 502]
    result = source_for("amsterdam", server, fake_sleep).search(AREA, 10)
    assert len(result.images) == 4
    assert fake_sleep.total == 1.0 + 2.0 + 4.0  # exponential backoff


def test_persistent_500_gives_up_after_bounded_retries(server, fake_sleep):
    server.state.behaviour.always_status = 500
    src = source_for("kartaview", server, fake_sleep)
    with pytest.raises(SourceError, match="gave up after 5 tries") as err:
        src.search(AREA, 10)
    assert "the first 3 parts of the area all failed" in str(err.value)
    # a service that is down is not tried cell after cell: 3 cells x 5 tries, then stop
    assert len(server.state.api_requests()) == 15


@pytest.mark.parametrize("name", SOURCE_NAMES)
def test_malformed_json_is_a_clear_error(name, server, fake_sleep):
    server.state.points[name] = grid_points("x", AREA, 2, 2)
    server.state.behaviour.malformed = True
    with pytest.raises(SourceError, match="malformed"):
        source_for(name, server, fake_sleep).search(AREA, 10)


def test_truncated_and_short_images_are_image_errors(server, fake_sleep, tmp_path):
    pts = grid_points("m", AREA, 3, 1)
    server.state.points["mapillary"] = pts
    server.state.behaviour.truncated_ids = {pts[0].id}
    server.state.behaviour.short_body_ids = {pts[1].id}
    src = source_for("mapillary", server, fake_sleep)
    got = {im.source_id: im for im in src.search(AREA, 10).images}
    with pytest.raises(ImageError, match="not a complete image"):
        src.download(got[pts[0].id], tmp_path / "0.jpg")
    with pytest.raises(ImageError):
        src.download(got[pts[1].id], tmp_path / "1.jpg")
    assert not (tmp_path / "0.jpg").exists() and not (tmp_path / "1.jpg").exists()
    assert src.download(got[pts[2].id], tmp_path / "2.jpg").stat().st_size > 0


def test_dense_area_gives_an_even_sample_with_a_warning(server, fake_sleep):
    # 400 points packed in the south-west ninth of the area, 8 spread over the rest
    x0, y0, x1, y1 = AREA
    w, h = x1 - x0, y1 - y0
    dense = grid_points("d", (x0, y0, x0 + w / 3, y0 + h / 3), 20, 20)
    sparse = [p for p in grid_points("s", AREA, 3, 3) if not (p.lon < x0 + w / 3 and p.lat < y0 + h / 3)]
    server.state.points["panoramax"] = dense + sparse
    src = source_for("panoramax", server, fake_sleep)
    src.page_size = 100
    result = src.search(AREA, max_images=16)
    assert len(result.images) == 16 and result.truncated
    assert any("spatially even sample" in w for w in result.warnings)
    # every sparse point made it in: the dense corner did not eat the budget
    ids = {im.source_id for im in result.images}
    assert {p.id for p in sparse} <= ids
    # and more than one API query was made (not the first page only)
    assert len(server.state.api_requests()) > 1


def test_date_range_and_polygon_filter(server, fake_sleep):
    pts = grid_points("a", AREA, 4, 4)
    server.state.points["amsterdam"] = pts
    src = source_for("amsterdam", server, fake_sleep)
    res = src.search(AREA, 100, start_date="2023-03-01", end_date="2023-06-30")
    want = {p.id for p in pts if "2023-03-01" <= p.time[:10] <= "2023-06-30"}
    assert {im.source_id for im in res.images} == want and want
    x0, y0, x1, y1 = AREA
    triangle = [(x0, y0), (x1, y0), (x0, y1)]  # south-west half
    res = src.search(triangle, 100)
    area = Area(polygon=triangle)
    assert {im.source_id for im in res.images} == {p.id for p in pts if area.contains(p.lon, p.lat)}
    assert 0 < len(res.images) < len(pts)


def test_even_sample_and_retry_after_units():
    from geopin.geopin_plugin.engine.sources import SourceImage

    ims = [SourceImage(str(i), 52.0 + (i % 10) * 0.001, 4.0 + (i // 10) * 0.001, None, None, False, "u", None, None)
           for i in range(100)]
    pick = even_sample(ims, 10, (4.0, 52.0, 4.0099, 52.0099))
    assert len(pick) == 10 and len({p.source_id for p in pick}) == 10
    assert even_sample(ims, 10, (4.0, 52.0, 4.0099, 52.0099)) == pick  # deterministic
    lons = sorted(p.lon for p in pick)
    assert lons[-1] - lons[0] >= 0.006  # spread, not one column
    # 30 points on a 6 x 5 grid, keep 20: every row and every column keeps some
    grid = [SourceImage(f"g{c}{r}", 52.0 + r * 0.001, 4.0 + c * 0.001, None, None, False, "u", None, None)
            for r in range(5) for c in range(6)]
    pick = even_sample(grid, 20, (3.9995, 51.9995, 4.0055, 52.0045))
    assert len(pick) == 20
    # covering: every point of the grid has a kept point within about one grid step
    for g in grid:
        nearest = min(((g.lon - p.lon) ** 2 + (g.lat - p.lat) ** 2) ** 0.5 for p in pick)
        assert nearest <= 0.0011, g.source_id
    assert {p.source_id[2] for p in pick} == set("01234")  # every row keeps some
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert parse_retry_after("soon") is None


def test_kartaview_asks_circles_and_keeps_points_in_the_cell(server, fake_sleep):
    pts = grid_points("k", AREA, 5, 5)
    server.state.points["kartaview"] = pts
    src = source_for("kartaview", server, fake_sleep)
    res = src.search(AREA, 500)
    assert sorted(im.source_id for im in res.images) == sorted(p.id for p in pts)  # no duplicates across cells
    gets = [r for r in server.state.log if r["path"] == "/2.0/photo/"]
    assert gets and all({"lat", "lng", "radius", "page", "itemsPerPage"} <= set(r["query"]) for r in gets)
    assert max(float(r["query"]["radius"]) for r in gets) < 400
    assert max(int(r["query"]["itemsPerPage"]) for r in gets) <= 100


def test_very_large_area_searches_evenly_spread_cells_with_a_warning(server, fake_sleep):
    server.state.points["kartaview"] = grid_points("k", (4.70, 52.30, 5.00, 52.45), 10, 10)
    src = source_for("kartaview", server, fake_sleep)
    src.max_query_cells = 12
    result = src.search((4.70, 52.30, 5.00, 52.45), max_images=20)  # 60 x 30 cells of 0.005°
    assert any("evenly spread parts" in w for w in result.warnings)
    gets = [r for r in server.state.log if r["path"] == "/2.0/photo/" and r["query"].get("page") == "1"]
    assert len(gets) == 12
    lats = sorted(float(r["query"]["lat"]) for r in gets)
    assert lats[0] < 52.33 and lats[-1] > 52.42  # the strided cells span the area, not one strip
