"""Hostile servers against both HTTP clients and the importer (issue 11, items 8
and 9): the token stays on the API's origin (another 127.0.0.1 port is another
host), redirects off it carry no credentials, a huge body is cut off while it
arrives, a 1 byte/s body by the deadline, colliding ids keep their own files, a
file:// URL is a clear error."""
import time

import pytest
from fixture_server import AREA, MAPILLARY_TOKEN, FixtureServer, grid_points
from models_for_tests import TinyEmbedder, TinyOrb

from geopin.geopin_plugin.engine.sources import ImageError, SourceImage, make_source
from geopin.geopin_plugin.engine.net.transport import LimitExceeded
from geopin.geopin_plugin.engine.net.urllib_client import UrllibHttpClient
from geopin.geopin_plugin.engine.sources.importer import images_dir_for, import_street_imagery


@pytest.fixture
def other_host():
    with FixtureServer() as srv:
        yield srv


@pytest.fixture(params=["urllib", "qgis"])
def client_factory(request):
    if request.param == "urllib":
        yield lambda **kw: UrllibHttpClient(timeout=10, **kw)
        return
    request.getfixturevalue("qgis_app")
    from geopin.geopin_plugin.qgis_http import QgisHttpClient

    made = []

    def make(**kw):
        made.append(QgisHttpClient(timeout_ms=10000, **kw))
        return made[-1]

    yield make
    for client in made:
        client.close()


def limit_error(http):
    """The LimitExceeded class the client raises: the plugin tests reload the plugin's
    modules, so take it from the client's own module, not from this file's import."""
    return type(http).get.__globals__["LimitExceeded"]


def authorizations(server):
    return [r["headers"].get("Authorization") for r in server.state.log]


def test_token_never_reaches_image_hosts_next_links_or_redirect_targets(client_factory, server, other_host,
                                                                      fake_sleep, tmp_path):
    http = client_factory()
    # Mapillary: image URLs on another host
    server.state.points["mapillary"] = grid_points("m", AREA, 2, 2)
    server.state.image_base = other_host.url
    other_host.state.points["mapillary"] = server.state.points["mapillary"]
    src = make_source("mapillary", http, base_url=server.url, token=MAPILLARY_TOKEN, sleep=fake_sleep)
    images = src.search(AREA, 10).images
    assert images and all(im.image_url.startswith(other_host.url) for im in images)
    src.download(images[0], tmp_path / "m.jpg")
    assert set(authorizations(server)) == {f"OAuth {MAPILLARY_TOKEN}"}
    assert other_host.state.log and set(authorizations(other_host)) == {None}
    # Panoramax with a token: a "next" link on another host is followed without it
    server.state.points["panoramax"] = other_host.state.points["panoramax"] = grid_points("p", AREA, 6, 6)
    server.state.next_base, server.state.image_base = other_host.url, None
    other_host.state.log.clear()
    pano = make_source("panoramax", http, base_url=server.url, token="pmx-secret", sleep=fake_sleep)
    pano.page_size, server.state.page_cap = 4, 2
    assert len(pano.search(AREA, 4, oversample=4).images) == 4  # 4 cells of 9, pages of 2: "next" links are followed
    assert any(r["path"] == "/api/search" for r in other_host.state.log)
    assert set(authorizations(other_host)) == {None}
    # a redirect from the API host to another host drops the credentials
    other_host.state.log.clear()
    target = f"{other_host.url}/img/mapillary/{images[1].source_id}.jpg"
    hop = SourceImage(images[1].source_id, images[1].lat, images[1].lon, None, None, False,
                      f"{server.url}/hostile/redirect?to={target}", None, None)
    assert src.download(hop, tmp_path / "r.jpg").stat().st_size > 0
    assert server.state.log[-1]["headers"].get("Authorization") == f"OAuth {MAPILLARY_TOKEN}"
    assert [r["path"] for r in other_host.state.log] == [f"/img/mapillary/{images[1].source_id}.jpg"]
    assert set(authorizations(other_host)) == {None}


def test_redirect_to_a_file_url_is_refused(client_factory, server):
    http = client_factory()
    with pytest.raises(limit_error(http), match="only http"):
        http.get(f"{server.url}/hostile/redirect", params={"to": "file:///etc/hostname"})


def test_huge_body_is_cut_off_while_it_arrives(client_factory, server):
    http = client_factory(max_bytes=5_000_000)
    for declared in ("1", "0"):  # with an honest Content-Length, and without one
        server.state.hostile_bytes_sent = 0
        started = time.monotonic()
        with pytest.raises(limit_error(http), match="larger than the limit"):
            http.get(f"{server.url}/hostile/huge", params={"bytes": 150_000_000, "length": declared})
        assert time.monotonic() - started < 10
        assert server.state.hostile_bytes_sent < 80_000_000  # never the whole 150 MB


def test_slow_body_stops_at_the_deadline(client_factory, server):
    http = client_factory(deadline_s=1.5)
    started = time.monotonic()
    with pytest.raises(limit_error(http), match="longer than 1.5 s"):
        http.get(f"{server.url}/hostile/slow", params={"bytes": 1000, "every": 0.05})  # 50 s at this pace
    assert time.monotonic() - started < 4


def test_limits_are_image_errors_for_the_importer_not_retries(server, fake_sleep, tmp_path):
    src = make_source("amsterdam", UrllibHttpClient(timeout=10, max_bytes=1_000_000), base_url=server.url,
                      sleep=fake_sleep)
    huge = SourceImage("big", 52.36, 4.88, 0.0, None, True, f"{server.url}/hostile/huge?bytes=150000000", None, None)
    with pytest.raises(ImageError, match="larger than the limit"):
        src.download(huge, tmp_path / "big.jpg")
    assert fake_sleep.waits == [] and not (tmp_path / "big.jpg").exists()
    for url in ("file:///etc/hostname", "ftp://example.org/x.jpg", "/relative/x.jpg"):
        bad = SourceImage("f", 52.36, 4.88, 0.0, None, False, url, None, None)
        with pytest.raises(ImageError, match="only http:// and https://"):
            src.download(bad, tmp_path / "f.jpg")
    with pytest.raises(LimitExceeded):
        UrllibHttpClient().get("file:///etc/hostname")


def test_colliding_source_ids_keep_their_own_files(server, fake_sleep, tmp_path):
    pts = grid_points("p", AREA, 3, 1)
    for p, new_id in zip(pts, ["a/b", "a_b", "a b"]):
        p.id = new_id
    server.state.points["panoramax"] = pts
    db = tmp_path / "ref.gpkg"
    src = make_source("panoramax", UrllibHttpClient(timeout=10), base_url=server.url, sleep=fake_sleep)
    report = import_street_imagery(src, AREA, db, TinyEmbedder(), TinyOrb(), max_images=10)
    assert report.added == 3 and report.skipped == 0 and report.errors == []
    files = sorted(f.name for f in (images_dir_for(db) / "panoramax").glob("*.jpg"))
    assert len(files) == 3, files
