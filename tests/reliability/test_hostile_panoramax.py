"""Issue 26: a Panoramax server on 127.0.0.1 that pages forever, sends malformed
STAC items or endless pages. The search runs in a child process with a deadline
(a hang is a failed case, not a stuck suite) and 2 GB of address space."""
import json
import textwrap
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
from helpers import MEMORY_LIMIT, run_child

pytestmark = pytest.mark.timeout(300)
BBOX = (4.890, 52.370, 4.900, 52.380)
LON, LAT = 4.895, 52.375

CHILD = textwrap.dedent("""
    import sys
    from geopin.geopin_plugin.engine.sources import make_source
    try:
        from geopin.geopin_plugin.engine.sources import limits
    except ImportError:  # before issue 26: no caps to lower
        import types
        limits = types.SimpleNamespace()
    from geopin.geopin_plugin.engine.sources.base import SourceError
    from geopin.geopin_plugin.engine.net.urllib_client import UrllibHttpClient
    limits.MAX_API_PAGES, limits.MAX_API_BYTES = int(sys.argv[3]), int(sys.argv[4])
    src = make_source("panoramax", UrllibHttpClient(timeout=10), base_url=sys.argv[1], sleep=lambda s: None)
    try:
        r = src.search((4.890, 52.370, 4.900, 52.380), max_images=int(sys.argv[2]))
        print("FOUND", len(r.images), "REQUESTS", src.requests_made, "WARN", " | ".join(r.warnings))
    except SourceError as exc:
        print("ERROR", exc)
""")


def feature(i, **over):
    f = {"type": "Feature", "id": f"pic-{i}", "geometry": {"type": "Point", "coordinates": [LON, LAT]},
         "properties": {"datetime": "2023-05-01T10:00:00Z", "view:azimuth": 90,
                        "pers:interior_orientation": {"field_of_view": 70}, "license": "CC-BY-SA-4.0"},
         "assets": {"sd": {"href": f"http://127.0.0.1:1/sd/{i}.jpg"}}, "providers": [{"name": "someone"}]}
    f.update(over)
    return f


MALFORMED = [
    feature(1, properties=["a", "list"]),
    feature(2, assets=["a", "list"]),
    feature(3, assets="a string"),
    feature(4, providers=42),
    {k: v for k, v in feature(5).items() if k != "id"},
    feature(6, geometry={"type": "Point", "coordinates": ["abc", "def"]}),
    feature(7, properties={"datetime": 20230501, "pers:interior_orientation": {"field_of_view": 70}}),
    feature(8, geometry={"type": "Point", "coordinates": 5}),
    feature(9, geometry=None),
    "not an object",
]


class Server:
    def __init__(self, mode):
        self.mode, self.requests = mode, 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802
                outer.requests += 1
                page = int(parse_qs(urlparse(self.path).query).get("page", ["0"])[0])
                body = json.dumps(outer.page(page)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def page(self, n):
        nxt = [{"rel": "next", "href": f"{self.url}/api/search?page={n + 1}"}]
        if self.mode == "endless, nothing parses":
            return {"type": "FeatureCollection", "features": MALFORMED, "links": nxt}
        if self.mode == "malformed items beside good ones":
            return {"type": "FeatureCollection", "features": MALFORMED + [feature(100), feature(101)], "links": []}
        if self.mode == "endless, one usable item a page":
            return {"type": "FeatureCollection", "features": [feature(100)], "links": nxt}
        if self.mode == "endless large pages":
            return {"type": "FeatureCollection", "features": [feature(100), feature(200, pad="x" * 200_000)],
                    "links": nxt}
        raise AssertionError(self.mode)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def _search(mode, max_images, max_pages=1000, max_bytes=512 * 2 ** 20):
    server = Server(mode)
    try:
        proc = run_child(CHILD, server.url, max_images, max_pages, max_bytes, timeout=90, memory_limit=MEMORY_LIMIT)
        return proc.returncode, proc.stdout + proc.stderr, server.requests, False
    except Exception as exc:  # noqa: BLE001 - TimeoutExpired: the search hung
        return 0, repr(exc), server.requests, True
    finally:
        server.close()


def test_endless_pages_of_unparseable_items_stop(record):
    rc, out, requests, hung = _search("endless, nothing parses", 10)
    record("Panoramax importer", "endless pages, no item parses", clear_error="no usable picture" in out,
           crash=rc < 0 or rc >= 128, traceback="Traceback" in out, hang=hung)
    assert not hung and rc == 0 and "FOUND 0" in out and "no usable picture" in out, (out[-2000:], requests)
    assert requests <= 4 * 4 * 3, requests  # cells x empty pages allowed


def test_malformed_items_are_skipped_and_counted(record):
    rc, out, requests, hung = _search("malformed items beside good ones", 10)
    record("Panoramax importer", "10 malformed STAC items beside 2 good ones", clear_error="malformed" in out,
           crash=rc < 0 or rc >= 128, traceback="Traceback" in out, hang=hung, data_lost="FOUND 2" not in out)
    assert not hung and rc == 0 and "FOUND 2" in out, out[-2000:]
    assert "item(s) were malformed and skipped" in out and "KeyError" in out, out[-2000:]


@pytest.mark.parametrize("mode,pages,bytes_", [("endless, one usable item a page", 40, 512 * 2 ** 20),
                                               ("endless large pages", 1000, 2_000_000)])
def test_page_and_byte_caps_per_search(record, mode, pages, bytes_):
    rc, out, requests, hung = _search(mode, 2000, pages, bytes_)
    record("Panoramax importer", f"{mode} (caps lowered: {pages} pages, {bytes_} bytes)",
           clear_error="cap per import" in out, crash=rc < 0 or rc >= 128, traceback="Traceback" in out,
           hang=hung)
    assert not hung and rc == 0 and "FOUND" in out and "cap per import" in out, (out[-2000:], requests)
    assert requests <= pages + 1 and requests * 200_000 <= bytes_ + 2 * 200_000 or "large" not in mode, requests
