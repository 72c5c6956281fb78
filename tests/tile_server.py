"""A local XYZ tile server for tests and screenshots: every /{z}/{x}/{y}.png is a
generated 256 px tile (a paper-coloured fill, a 64 px grid and a darker tile edge),
so a background map can be drawn without downloading anything. Serves on
127.0.0.1 only, in a daemon thread; `requests` counts the tiles fetched."""
import re
import struct
import sys
import zlib
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import numpy as np

sys.path.append(str(Path(__file__).resolve().parent))
from local_server import LocalServer  # noqa: E402

PAPER = (242, 239, 233)
GRID = (216, 210, 196)
EDGE = (170, 160, 140)
TILE_PATH = re.compile(r"^/(\d+)/(\d+)/(\d+)\.png$")


def png_bytes(rgb):
    """A minimal PNG encoder (RGB, no filter) for a uint8 (H, W, 3) array."""
    h, w = rgb.shape[:2]
    raw = b"".join(b"\x00" + rgb[row].tobytes() for row in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")


def tile_image():
    rgb = np.empty((256, 256, 3), np.uint8)
    rgb[:] = PAPER
    rgb[::64, :] = GRID
    rgb[:, ::64] = GRID
    rgb[0, :] = rgb[:, 0] = EDGE
    return rgb


class TileServer(LocalServer):
    def __init__(self):
        tile = png_bytes(tile_image())
        self.requests = requests = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                match = TILE_PATH.match(self.path.split("?")[0])
                if not match:
                    self.send_error(404)
                    return
                requests.append(tuple(int(v) for v in match.groups()))
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(tile)))
                self.end_headers()
                self.wfile.write(tile)

            def log_message(self, *args):
                pass

        super().__init__(Handler)

    @property
    def url(self):
        """The XYZ template QGIS asks tiles with."""
        return super().url + "/{z}/{x}/{y}.png"
