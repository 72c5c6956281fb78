"""The PDOK OGC API Features client, fetcher and cache against tests/pdok_fixture.py
on 127.0.0.1: metadata, GeoJSON in EPSG:28992, next links, an empty area, 429/500,
malformed JSON, a foreign next link, caps. Nothing is downloaded."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pdok_fixture import RD, PdokFixtureServer  # noqa: E402

from geopin.geopin_plugin.engine.pdok.cache import PdokCache  # noqa: E402
from geopin.geopin_plugin.engine.pdok.client import Limits, PdokError, service_client  # noqa: E402
from geopin.geopin_plugin.engine.pdok.fetch import PdokFetcher  # noqa: E402
from geopin.geopin_plugin.engine.net.transport import RetryPolicy  # noqa: E402
from geopin.geopin_plugin.engine.net.urllib_client import UrllibHttpClient  # noqa: E402

CENTRE = (119000.0, 486000.0)
AREA = (CENTRE[0] - 60, CENTRE[1] - 60, CENTRE[0] + 60, CENTRE[1] + 60)


@pytest.fixture
def server():
    with PdokFixtureServer(CENTRE) as srv:
        yield srv


class FakeSleep:
    def __init__(self):
        self.waits = []

    def __call__(self, s):
        self.waits.append(s)


def client(server, service="brk", **kw):
    kw.setdefault("sleep", FakeSleep())
    return service_client(UrllibHttpClient(timeout=10), service, server.base_urls[service], **kw)


def test_collection_metadata_offers_rd_new(server):
    meta = client(server).collection("perceel")
    assert meta["id"] == "perceel" and RD in meta["crs"] and meta["storageCrs"] == RD
    with pytest.raises(PdokError, match="HTTP 404"):
        client(server).collection("nosuchthing")


def test_items_in_rd_new_follow_next_links(server):
    server.state.page_cap = 7
    c = client(server)
    result = c.items("perceel", AREA)
    expected = [f for f in server.state.data["brk"]["perceel"]]
    ids = [f["id"] for f in result.features]
    assert len(ids) == len(set(ids)) > 7 and not result.truncated
    assert result.pages == -(-len(ids) // 7)
    requests = [r for r in server.state.log if r["path"].endswith("/items")]
    first = requests[0]["query"]
    assert first["bbox-crs"] == RD and first["crs"] == RD and first["limit"] == "1000" and first["f"] == "json"
    assert all("cursor" in r["query"] for r in requests[1:]), "later pages come from the next links"
    # coordinates are RD metres near the centre, not degrees
    x, y = result.features[0]["geometry"]["coordinates"][0][0]
    assert abs(x - CENTRE[0]) < 500 and abs(y - CENTRE[1]) < 500
    assert len(ids) < len(expected), "only the features in the bbox"


def test_empty_area_gives_no_features(server):
    result = client(server).items("perceel", (150000, 400000, 150100, 400100))
    assert result.features == [] and result.pages == 1 and not result.truncated


def test_429_and_500_are_retried_with_retry_after(server):
    server.state.behaviour.status_first = [429, 500]
    server.state.behaviour.retry_after = "3"
    sleep = FakeSleep()
    result = client(server, sleep=sleep).items("perceel", AREA)
    assert result.features
    assert sum(sleep.waits) == pytest.approx(3 + 2.0), "Retry-After 3 s, then the second backoff (2 s)"


def test_persistent_500_gives_up_with_a_clear_error(server):
    server.state.behaviour.status_first = [500] * 10
    c = client(server, retry=RetryPolicy(max_retries=2, backoff_s=0.5, max_wait_s=5))
    with pytest.raises(PdokError, match=r"server error HTTP 500.*gave up after 3 tries"):
        c.items("perceel", AREA)
    assert c.requests_made == 3


def test_malformed_json_is_an_error_naming_the_service(server):
    server.state.behaviour.malformed = True
    with pytest.raises(PdokError, match="BRK Kadastrale Kaart sent malformed JSON"):
        client(server).items("perceel", AREA)


def test_foreign_next_link_is_refused(server):
    server.state.page_cap = 5
    server.state.behaviour.foreign_next = True
    with pytest.raises(PdokError, match="another site"):
        client(server).items("perceel", AREA)


def test_caps_on_pages_and_bytes(server):
    server.state.page_cap = 5
    result = client(server, limits=Limits(max_pages=2)).items("perceel", AREA)
    assert result.truncated and len(result.features) == 10 and result.pages == 2
    with pytest.raises(PdokError, match="larger than"):
        client(server, limits=Limits(max_bytes=1024)).items("perceel", AREA)


def test_deadline_stops_retrying(server):
    now = [0.0]

    def clock():
        return now[0]

    def sleep(s):
        now[0] += s

    server.state.behaviour.status_first = [500] * 10
    c = client(server, sleep=sleep, limits=Limits(deadline_s=3.0),
               retry=RetryPolicy(max_retries=8, backoff_s=1.0, max_wait_s=60))
    c.clock = clock
    with pytest.raises(PdokError, match="no complete answer within 3 s"):
        c.items("perceel", AREA)


def test_fetcher_parses_and_caches(server, tmp_path):
    cache = PdokCache(tmp_path / "pdok_cache.gpkg")
    fetcher = PdokFetcher(UrllibHttpClient(timeout=10), server.base_urls, cache=cache, sleep=FakeSleep())
    first = fetcher.fetch(AREA)
    assert first.parcels and first.buildings and first.addresses and first.from_cache == 0
    p = first.parcels[0]
    assert p.aanduiding.startswith("Fixturedam K ") and p.perceelnummer and p.area_m2
    assert all(b.id.startswith("0363100") and b.source == "BAG pand" for b in first.buildings)
    a = first.addresses[0]
    assert a.street.startswith("Fixturestraat") and a.postcode.endswith("FX") and a.pand_id and a.city
    n_requests = len(server.state.log)
    # a smaller bbox inside the cached one: no request at all, features filtered to it
    inner = (AREA[0] + 20, AREA[1] + 20, AREA[2] - 20, AREA[3] - 20)
    again = PdokFetcher(UrllibHttpClient(timeout=10), server.base_urls, cache=PdokCache(cache.path)).fetch(inner)
    assert len(server.state.log) == n_requests and again.from_cache == 3 and again.requests == 0
    assert 0 < len(again.parcels) < len(first.parcels)
    assert cache.entries() == 3
    # BGT pand carries the BAG id
    bgt = PdokFetcher(UrllibHttpClient(timeout=10), server.base_urls, sleep=FakeSleep()).fetch(
        AREA, buildings_from="bgt", want=("buildings",))
    assert {b.id for b in bgt.buildings} == {b.id for b in first.buildings}
    assert bgt.buildings[0].source == "BGT pand"


def test_cache_refuses_a_file_that_is_not_a_geopackage(tmp_path):
    bad = tmp_path / "notes.gpkg"
    bad.write_text("not a database at all, just some text " * 20)
    with pytest.raises(ValueError, match="notes.gpkg"):
        PdokCache(bad)
