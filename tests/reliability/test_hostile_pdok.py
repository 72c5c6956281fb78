"""Issue 26: a PDOK-like OGC API Features server on 127.0.0.1 that sends wrong
JSON shapes, endless pages, an endless body or one huge polygon, and a PDOK cache
whose entries are damaged. Each must end in the good features plus a warning
naming the service and layer (or a clear PdokError), never a traceback, a hang
or more than 2 GB (the costly cases run in a child with a deadline and 2 GB)."""
import json
import math
import socket
import sqlite3
import textwrap
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from helpers import MEMORY_LIMIT, run_child

from geopin.geopin_plugin.engine.pdok.cache import PdokCache
from geopin.geopin_plugin.engine.pdok.fetch import PdokFetcher
from geopin.geopin_plugin.engine.net.transport import RetryPolicy
from geopin.geopin_plugin.engine.net.urllib_client import UrllibHttpClient

pytestmark = pytest.mark.timeout(300)
CX, CY = 121000.0, 487000.0
AREA = (CX - 50, CY - 50, CX + 50, CY + 50)


def square(i, x=CX, y=CY, half=8.0):
    ring = [[x - half, y - half], [x + half, y - half], [x + half, y + half], [x - half, y + half], [x - half, y - half]]
    return {"type": "Feature", "id": f"p{i}", "geometry": {"type": "Polygon", "coordinates": [ring]},
            "properties": {"identificatie_lokaal_id": f"p{i}", "kadastrale_gemeente_waarde": "Fixturedam",
                           "sectie": "K", "perceelnummer": 9000 + i}}


def point(i, coords):
    return {"type": "Feature", "id": f"a{i}", "geometry": {"type": "Point", "coordinates": coords},
            "properties": {"identificatie": f"a{i}", "openbare_ruimte_naam": "Straat", "huisnummer": i}}


WRONG_SHAPES = {
    "properties a list": dict(square(1), properties=["x"]),
    "properties a string": dict(square(2), properties="x"),
    "point an int": point(3, 5),
    "point nested too deep": point(4, [[CX, CY]]),
    "string coordinates": dict(square(5), geometry={"type": "Polygon", "coordinates": [[["a", "b"]] * 4]}),
    "ragged coordinates": dict(square(6), geometry={"type": "Polygon", "coordinates": [
        [[CX, CY], [CX + 1], [CX + 1, CY + 1, 0, 0, 0], [CX, CY]]]}),
    "NaN coordinates": dict(square(7), geometry={"type": "Polygon", "coordinates": [
        [[CX, CY], [float("nan"), CY], [CX + 1, CY + 1], [CX, CY]]]}),
    "a feature that is a number": 42,
}


class Server:
    """Collections metadata plus one items answer per collection: `features[collection]`,
    or a behaviour: "endless pages" (1 MB pages, each linking to the next) or
    "endless body" (a 200 answer that never ends)."""

    def __init__(self):
        self.features, self.behaviour, self.requests = {}, {}, 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802
                outer.requests += 1
                parts = urlsplit(self.path).path.strip("/").split("/")
                collection = parts[parts.index("collections") + 1]
                if parts[-1] != "items":
                    return self._json({"id": collection, "crs": ["http://www.opengis.net/def/crs/EPSG/0/28992"]})
                mode = outer.behaviour.get(collection)
                if mode == "endless body":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/geo+json")
                    self.end_headers()
                    chunk = b" " * 65536
                    try:
                        while True:
                            self.wfile.write(chunk)
                    except (BrokenPipeError, ConnectionResetError, socket.error):
                        return
                if mode == "endless pages":
                    n = outer.requests
                    feats = [dict(square(10_000 + n), pad="x" * 1_000_000)]
                    nxt = f"http://127.0.0.1:{outer.port}{urlsplit(self.path).path}?cursor={n}"
                    return self._json({"type": "FeatureCollection", "features": feats,
                                       "links": [{"rel": "next", "href": nxt}]})
                return self._json({"type": "FeatureCollection", "features": outer.features.get(collection, [])})

            def _json(self, obj):
                body = json.dumps(obj).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/geo+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_port
        self.urls = {s: f"http://127.0.0.1:{self.port}/{s}" for s in ("brk", "bgt", "bag")}
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    srv = Server()
    yield srv
    srv.close()


def fetcher(server, cache=None, **kw):
    return PdokFetcher(UrllibHttpClient(timeout=10), server.urls, cache=cache, sleep=lambda s: None,
                       retry=RetryPolicy(max_retries=1, backoff_s=0.0, max_wait_s=0.0), **kw)


@pytest.mark.parametrize("case", list(WRONG_SHAPES))
def test_wrong_json_shapes_skip_the_feature_with_a_warning(server, record, case):
    server.features = {"perceel": [square(100), WRONG_SHAPES[case]], "pand": [square(200)],
                       "verblijfsobject": [point(300, [CX, CY]), WRONG_SHAPES[case]]}
    try:
        data, exc = fetcher(server).fetch(AREA), None
    except Exception as e:  # noqa: BLE001 - the case records what happened
        data, exc = None, e
    warned = data is not None and any("malformed feature" in w and ("perceel" in w or "verblijfsobject" in w)
                                      for w in data.warnings)
    kept = data is not None and [p.id for p in data.parcels] == ["p100"] and [a.id for a in data.addresses] == ["a300"]
    record("PDOK answers", case, clear_error=warned, traceback=exc is not None, data_lost=not kept)
    assert exc is None and warned and kept, (exc, data and data.warnings)


CACHE_DAMAGE = {"null": "null", "an object": '{"a": 1}', "a list of ints": "[1, 2, 3]",
                "one coordinate": json.dumps([dict(square(1), geometry={"type": "Polygon",
                                                                        "coordinates": [[[CX, CY]]]})]),
                "a BLOB that is not UTF-8": bytes([0xFF, 0xFE, 0x00, 0x80, 0x81])}


@pytest.mark.parametrize("case", list(CACHE_DAMAGE))
def test_a_damaged_cache_entry_is_dropped_and_fetched_again(server, tmp_path, record, case):
    server.features = {"perceel": [square(100)], "pand": [square(200)], "verblijfsobject": [point(300, [CX, CY])]}
    cache = PdokCache(tmp_path / "pdok_cache.gpkg")
    fetcher(server, cache).fetch(AREA)
    con = sqlite3.connect(tmp_path / "pdok_cache.gpkg")
    con.execute("UPDATE geopin_pdok_cache SET geojson=? WHERE collection='perceel'", (CACHE_DAMAGE[case],))
    con.commit()
    con.close()
    try:
        data, exc = fetcher(server, cache).fetch(AREA), None
    except Exception as e:  # noqa: BLE001
        data, exc = None, e
    refetched = data is not None and data.requests > 0 and [p.id for p in data.parcels] == ["p100"]
    record("PDOK cache", case, clear_error=refetched, traceback=exc is not None, data_lost=not refetched)
    assert exc is None and refetched, (exc, data)
    again = fetcher(server, cache).fetch(AREA)  # repaired: served from the cache
    assert again.requests == 0 and [p.id for p in again.parcels] == ["p100"]


CHILD = textwrap.dedent("""
    import json, sys, time
    from geopin.geopin_plugin.engine.pdok import whatisinview as wv
    from geopin.geopin_plugin.engine.pdok.parcels import DensityGrid
    from geopin.geopin_plugin.engine.pdok.client import Limits, PdokError
    from geopin.geopin_plugin.engine.pdok.fetch import PdokFetcher
    from geopin.geopin_plugin.engine.sources.base import RetryPolicy
    from geopin.geopin_plugin.engine.net.urllib_client import UrllibHttpClient
    urls = json.loads(sys.argv[1])
    fields = getattr(Limits, "__dataclass_fields__", {})
    limits = Limits(**({"max_total_bytes": int(sys.argv[2])} if "max_total_bytes" in fields else {}))
    f = PdokFetcher(UrllibHttpClient(timeout=10), urls, limits=limits, sleep=lambda s: None,
                    retry=RetryPolicy(max_retries=1, backoff_s=0.0, max_wait_s=0.0))
    grid = DensityGrid.gaussian(121000.0, 487000.0, error_radius_m=6.0, mass=0.9)
    t = time.monotonic()
    try:
        answer = wv.analyse(grid, (121000.0, 487000.0), lambda bbox: f.fetch(bbox))
        print("ANSWER", len(answer.parcels), round(time.monotonic() - t, 1), "WARN", " | ".join(answer.warnings))
    except PdokError as exc:
        print("PDOKERROR", exc)
""")


def _in_child(server, max_total_bytes=96 * 2 ** 20):
    try:
        proc = run_child(CHILD, json.dumps(server.urls), max_total_bytes, timeout=100, memory_limit=MEMORY_LIMIT)
        return proc.returncode, proc.stdout + proc.stderr, False
    except Exception as exc:  # noqa: BLE001 - TimeoutExpired: a hang
        return 0, repr(exc), True


def test_endless_pages_stop_at_the_bytes_cap(server, record):
    server.features = {"pand": [square(200)], "verblijfsobject": [point(300, [CX, CY])]}
    server.behaviour = {"perceel": "endless pages"}
    rc, out, hung = _in_child(server, max_total_bytes=8 * 2 ** 20)
    warned = "more features than fetched" in out
    record("PDOK answers", "endless 1 MB pages (bytes cap lowered to 8 MB)", clear_error=warned,
           crash=rc < 0 or rc >= 128, traceback="Traceback" in out, hang=hung)
    assert not hung and rc == 0 and "ANSWER" in out and warned, out[-2000:]
    assert server.requests <= 2 + 10 + 4, server.requests


def test_an_endless_body_is_cut_off(server, record):
    server.features = {"pand": [square(200)], "verblijfsobject": [point(300, [CX, CY])]}
    server.behaviour = {"perceel": "endless body"}
    rc, out, hung = _in_child(server)
    clear = "PDOKERROR" in out and "larger than" in out
    record("PDOK answers", "an endless answer body", clear_error=clear, crash=rc < 0 or rc >= 128,
           traceback="Traceback" in out, hang=hung)
    assert not hung and rc == 0 and clear, out[-2000:]


def test_one_huge_polygon_is_thinned_not_a_hang(server, record):
    n = 400_000
    ring = [[CX + 30 * math.cos(2 * math.pi * k / n), CY + 30 * math.sin(2 * math.pi * k / n)] for k in range(n)]
    ring.append(ring[0])
    huge = dict(square(1), geometry={"type": "Polygon", "coordinates": [ring]})
    server.features = {"perceel": [huge, square(100, CX + 35, CY)], "pand": [huge, square(200)],
                       "verblijfsobject": [point(300, [CX, CY])]}
    rc, out, hung = _in_child(server)
    seconds = float(out.split()[2]) if out.startswith("ANSWER") else float("inf")
    record("PDOK answers", f"one polygon of {n} vertices", clear_error="thinned" in out, crash=rc < 0 or rc >= 128,
           traceback="Traceback" in out, hang=hung)
    assert not hung and rc == 0 and "ANSWER" in out and "thinned" in out and seconds < 30, out[-2000:]
