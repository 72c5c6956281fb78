"""The HTTP server under the tests' local stand-ins (tile_server.py, pdok_fixture.py,
sources/fixture_server.py): 127.0.0.1 on a free port, served from a daemon thread,
``with Server(...) as srv: srv.url``; the handler reads `self.server.state`."""
import threading
from http.server import ThreadingHTTPServer


class LocalServer:
    def __init__(self, handler, state=None):
        self.state = state
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.state = state  # type: ignore[attr-defined]
        self.httpd.daemon_threads = True
        self.httpd.timeout = 5
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    @property
    def url(self):
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
