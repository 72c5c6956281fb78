"""A local stand-in for the five street-imagery APIs, on 127.0.0.1 only.

Answers in each API's documented shape (Mapillary Graph v4, Panoramax STAC,
KartaView nearby-photos, Mapilio WFS + sequence-detail, Amsterdam HAL) from a
deterministic set of points, serves small generated JPEGs (2:1 for panoramas) and
can misbehave on demand: 401 for a wrong token, 429 with Retry-After, 500,
malformed JSON, truncated images, images failing after N downloads.
"""
from __future__ import annotations

import hashlib
import io
import json
import math
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np
from PIL import Image

sys.path.append(str(Path(__file__).resolve().parents[1]))
from local_server import LocalServer  # noqa: E402

MAPILLARY_TOKEN = "MLY|fixture|good-token"
AREA = (4.8800, 52.3600, 4.8900, 52.3660)  # an area in Amsterdam (WGS84 lon/lat) the tests fill


@dataclass
class Point:
    id: str
    lon: float
    lat: float
    heading: float
    time: str  # ISO, UTC
    pano: bool
    sequence: str = "seq-1"


def grid_points(prefix: str, bbox, nx: int, ny: int, pano_every: int = 0, year: int = 2023) -> List[Point]:
    """nx*ny points on a regular grid inside bbox (ids prefix-0000...)."""
    x0, y0, x1, y1 = bbox
    pts = []
    for j in range(ny):
        for i in range(nx):
            k = j * nx + i
            pts.append(Point(
                id=f"{prefix}{k:04d}",
                lon=x0 + (x1 - x0) * (i + 0.5) / nx,
                lat=y0 + (y1 - y0) * (j + 0.5) / ny,
                heading=(k * 37) % 360,
                time=f"{year}-{1 + k % 12:02d}-{1 + k % 27:02d}T10:{k % 60:02d}:00Z",
                pano=bool(pano_every) and k % pano_every == 0,
                sequence=f"seq-{j}",
            ))
    return pts


def make_jpeg(key: str, pano: bool, overlay=None) -> bytes:
    """A small deterministic, textured JPEG; different keys give different pictures.
    ``overlay(rgb) -> rgb`` paints what a rig adds to every frame (a logo, a stamp)."""
    seed = int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "little")
    rng = np.random.default_rng(seed)
    w, h = (256, 128) if pano else (192, 144)
    blocks = rng.integers(0, 256, size=(h // 16, w // 16, 3), dtype=np.uint8)
    img = np.kron(blocks, np.ones((16, 16, 1), dtype=np.uint8))
    noise = rng.integers(0, 40, size=img.shape, dtype=np.uint8)
    arr = np.clip(img.astype(np.int16) + noise, 0, 255).astype(np.uint8)
    if overlay is not None:
        arr = overlay(arr)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="JPEG", quality=90)
    return buf.getvalue()


@dataclass
class Behaviour:
    status_first: List[int] = field(default_factory=list)  # API answers to send before behaving (429, 500)
    retry_after: Optional[str] = "1"
    always_status: Optional[int] = None  # every API request answers this
    malformed: bool = False
    truncated_ids: set = field(default_factory=set)  # JPEG cut in half (Content-Length honest)
    short_body_ids: set = field(default_factory=set)  # Content-Length larger than what is sent
    images_fail_after: Optional[int] = None  # later image requests answer 500
    mapillary_rate_limited: int = 0  # this many Mapillary answers are the rate-limit error body
    no_fov_ids: set = field(default_factory=set)  # Panoramax pictures without field_of_view
    missing_lth_ids: set = field(default_factory=set)  # KartaView large thumbnails that answer 404
    fail_cells_containing: Optional[tuple] = None  # (lon, lat): a search whose bbox holds it answers 504


class FixtureState:
    def __init__(self):
        self.points: Dict[str, List[Point]] = {}
        self.behaviour = Behaviour()
        self.log: List[dict] = []
        self.image_requests = 0
        self.page_cap = 5  # items per page at most, so paging is exercised
        self.hostile_bytes_sent = 0
        self.mapillary_max_limit = 2000  # the Graph API's documented maximum ``limit``
        self.image_base = None  # serve image URLs (and "next" links) on another host
        self.next_base = None
        self.lock = threading.Lock()
        self._jpegs: Dict[str, bytes] = {}
        self.overlays: Dict[str, object] = {}  # sequence -> overlay(rgb) painted on each of its images

    def jpeg(self, key, pano, sequence=None):
        if key not in self._jpegs:
            self._jpegs[key] = make_jpeg(key, pano, self.overlays.get(sequence))
        return self._jpegs[key]

    def find(self, source, point_id) -> Optional[Point]:
        for p in self.points.get(source, []):
            if p.id == point_id:
                return p
        return None

    def api_requests(self, prefix=""):
        return [r for r in self.log if not r["image"] and r["path"].startswith(prefix)]


def _in_bbox(p: Point, bbox) -> bool:
    x0, y0, x1, y1 = bbox
    return x0 <= p.lon <= x1 and y0 <= p.lat <= y1


def _bbox(text):
    return tuple(float(v) for v in text.split(",")[:4])


def _day(iso):
    return iso[:10]


class Handler(BaseHTTPRequestHandler):
    server_version = "GeoPinFixture/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet
        pass

    # -- plumbing ---------------------------------------------------------------

    @property
    def state(self) -> FixtureState:
        return self.server.state  # type: ignore[attr-defined]

    @property
    def base(self):
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def _send(self, status, body: bytes, ctype="application/json", headers=None, length=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if length is not None:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def _json(self, obj, status=200):
        self._send(status, json.dumps(obj).encode())

    def do_GET(self):  # noqa: N802
        self._dispatch("GET", {})

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        self._dispatch("POST", dict(urllib.parse.parse_qsl(raw)))

    def _dispatch(self, method, form):
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        is_image = url.path.startswith(("/img/", "/storage", "/im/"))
        with self.state.lock:
            self.state.log.append({"method": method, "path": url.path, "query": query, "form": form,
                                   "headers": dict(self.headers.items()), "image": is_image})
        if url.path.startswith("/hostile/"):
            return self._hostile(url.path, query)
        if is_image:
            return self._image(url.path, query)
        b = self.state.behaviour
        with self.state.lock:
            first = b.status_first.pop(0) if b.status_first else None
        status = first or b.always_status
        if status:
            headers = {"Retry-After": b.retry_after} if status == 429 and b.retry_after else {}
            return self._send(status, json.dumps({"message": f"fixture status {status}"}).encode(), headers=headers)
        if b.malformed:
            return self._send(200, b'{"data": [ {"id": "1", "geometry": ')
        if b.fail_cells_containing and "bbox" in query:
            x0, y0, x1, y1 = _bbox(query["bbox"])
            lon, lat = b.fail_cells_containing
            if x0 <= lon <= x1 and y0 <= lat <= y1:  # a dense cell that always times out
                return self._send(504, b'{"message": "upstream timeout"}')
        routes = {
            "/images": self._mapillary,
            "/api/search": self._panoramax,
            "/1.0/list/nearby-photos/": self._kartaview,
            "/2.0/photo/": self._kartaview2,
            "/geoserver/ows": self._mapilio_wfs,
            "/api/sequence-detail": self._mapilio_sequence,
            "/panorama/panoramas/": self._amsterdam,
        }
        handler = routes.get(url.path)
        if handler is None:
            return self._json({"message": "not found"}, 404)
        return handler(query, form)

    # -- hostile answers (issue 11, item 8/9) ---------------------------------------

    def _hostile(self, path, query):
        kind = path.split("/")[2]
        if kind == "redirect":  # /hostile/redirect?to=<url>&code=302
            self.send_response(int(query.get("code", 302)))
            self.send_header("Location", query["to"])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        if kind == "huge":  # /hostile/huge?bytes=N: an honest Content-Length, sent in 64 KB writes
            n = int(query["bytes"])
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            if query.get("length", "1") == "1":
                self.send_header("Content-Length", str(n))
            self.send_header("Connection", "close")
            self.close_connection = True
            self.end_headers()
            block = b"\xff" * 65536
            try:
                while n > 0:
                    self.wfile.write(block[: min(n, len(block))])
                    n -= len(block)
                    with self.state.lock:
                        self.state.hostile_bytes_sent += len(block)
            except OSError:  # the client hung up: what it should do
                pass
            return None
        if kind == "slow":  # /hostile/slow?bytes=N&every=S: one byte every S seconds
            n, every = int(query.get("bytes", 1000)), float(query.get("every", 1.0))
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(n))
            self.send_header("Connection", "close")
            self.close_connection = True
            self.end_headers()
            try:
                for _ in range(n):
                    self.wfile.write(b"\xff")
                    self.wfile.flush()
                    time.sleep(every)
            except OSError:
                pass
            return None
        return self._send(404, b"no such hostile answer", ctype="text/plain")

    # -- images -------------------------------------------------------------------

    def _image(self, path, query):
        st = self.state
        with st.lock:
            st.image_requests += 1
            n = st.image_requests
        b = st.behaviour
        if b.images_fail_after is not None and n > b.images_fail_after:
            return self._send(500, b"image server down", ctype="text/plain")
        # /img/<source>/<id>.jpg, /storageN/files/photo/.../<id>.jpg, /im/<hash>/<id>.jpg/<size>
        parts = path.strip("/").split("/")
        if parts[0] == "im":
            point_id = parts[2].rsplit(".", 1)[0]
            source = "mapilio"
        elif parts[0] == "img":
            source = parts[1]
            point_id = urllib.parse.unquote(parts[2].rsplit(".", 1)[0])
        else:
            source = "kartaview"
            point_id = parts[-1].split("_", 1)[0]
            if "lth" in parts and point_id in b.missing_lth_ids:  # the large thumbnail was never made
                return self._send(404, b"no such file", ctype="text/plain")
        p = st.find(source, point_id)
        if p is None:
            return self._send(404, b"no such image", ctype="text/plain")
        body = st.jpeg(f"{source}/{p.id}", p.pano, p.sequence)
        if p.id in b.truncated_ids:
            return self._send(200, body[: len(body) // 2], ctype="image/jpeg")
        if p.id in b.short_body_ids:
            return self._send(200, body[: len(body) // 3], ctype="image/jpeg", length=len(body))
        return self._send(200, body, ctype="image/jpeg")

    # -- Mapillary Graph API v4 ------------------------------------------------------------

    def _mapillary(self, q, form):
        # the real contract: no pages for a bbox search; at most ``limit`` images (the
        # API's maximum is 2000), nearest the bbox edges first; a refused token is a
        # Graph API OAuthException (code 190) with HTTP 400; the rate limit is a body
        auth = self.headers.get("Authorization", "")
        if auth != f"OAuth {MAPILLARY_TOKEN}" and q.get("access_token") != MAPILLARY_TOKEN:
            return self._json({"error": {"message": "Invalid OAuth access token - Cannot parse access token",
                                         "type": "OAuthException", "code": 190,
                                         "fbtrace_id": "fixture"}}, 400)
        with self.state.lock:
            limited = self.state.behaviour.mapillary_rate_limited > 0
            if limited:
                self.state.behaviour.mapillary_rate_limited -= 1
        if limited:
            return self._json({"error": {"message": "Application request limit reached", "type": "OAuthException",
                                         "is_transient": True, "code": 4, "fbtrace_id": "fixture"}}, 400)
        bbox = _bbox(q["bbox"])
        pts = [p for p in self.state.points.get("mapillary", []) if _in_bbox(p, bbox)]
        if "start_captured_at" in q:
            pts = [p for p in pts if p.time >= q["start_captured_at"][:10]]
        if "end_captured_at" in q:
            pts = [p for p in pts if _day(p.time) <= q["end_captured_at"][:10]]
        limit = min(int(q.get("limit", 2000)), self.state.mapillary_max_limit)
        x0, y0, x1, y1 = bbox
        pts.sort(key=lambda p: (min(p.lon - x0, x1 - p.lon, p.lat - y0, y1 - p.lat), p.id))  # edges first
        image_base = self.state.image_base or self.base
        data = []
        for p in pts[:limit]:
            ms = int(_epoch(p.time) * 1000)
            data.append({
                "id": p.id, "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]},
                "compass_angle": p.heading, "captured_at": ms, "is_pano": p.pano,
                "camera_type": "spherical" if p.pano else "perspective",
                "creator": {"username": "fixture_user", "id": "1"}, "sequence": p.sequence,
                "thumb_256_url": f"{image_base}/img/mapillary/{p.id}.jpg?size=256",
                "thumb_1024_url": f"{image_base}/img/mapillary/{p.id}.jpg?size=1024",
                "thumb_2048_url": f"{image_base}/img/mapillary/{p.id}.jpg?size=2048",
                "thumb_original_url": f"{image_base}/img/mapillary/{p.id}.jpg?size=orig",
            })
        return self._json({"data": data})

    # -- Panoramax STAC -----------------------------------------------------------------

    def _panoramax(self, q, form):
        pts = [p for p in self.state.points.get("panoramax", []) if _in_bbox(p, _bbox(q["bbox"]))]
        if "datetime" in q:
            lo, hi = q["datetime"].split("/")
            pts = [p for p in pts if (lo == ".." or p.time >= lo[:10]) and (hi == ".." or _day(p.time) <= hi[:10])]
        limit = int(q.get("limit", 10))
        offset = int(q.get("page", 0))
        page = pts[offset: offset + min(limit, self.state.page_cap)]
        features = []
        image_base = self.state.image_base or self.base
        for p in page:
            href = f"{image_base}/img/panoramax/{urllib.parse.quote(p.id, safe='')}.jpg"
            orientation = {"camera_manufacturer": "GoPro", "camera_model": "Max",
                           "field_of_view": 360 if p.pano else 70}
            if p.id in self.state.behaviour.no_fov_ids:  # seen on real GoPro MAX pictures
                orientation = {"camera_manufacturer": "GoPro", "camera_model": "Max",
                               "sensor_array_dimensions": [5376, 2688] if p.pano else [4000, 3000]}
            features.append({
                "type": "Feature", "stac_version": "1.0.0", "id": p.id, "collection": p.sequence,
                "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]},
                "bbox": [p.lon, p.lat, p.lon, p.lat],
                "providers": [{"name": "fixture-user", "roles": ["producer"]}],
                "properties": {
                    "datetime": p.time, "view:azimuth": p.heading, "license": "CC-BY-SA-4.0",
                    "pers:interior_orientation": orientation, "pers:roll": 1.5, "pers:pitch": -2.0,
                    "geovisio:status": "ready",
                },
                "assets": {
                    "hd": {"href": href + "?s=hd", "type": "image/jpeg", "roles": ["data"]},
                    "sd": {"href": href + "?s=sd", "type": "image/jpeg", "roles": ["visual"]},
                    "thumb": {"href": href + "?s=thumb", "type": "image/jpeg", "roles": ["thumbnail"]},
                },
                "links": [{"rel": "self", "href": f"{self.base}/api/collections/{p.sequence}/items/{p.id}"}],
            })
        links = [{"rel": "root", "href": f"{self.base}/api/"}, {"rel": "self", "href": self.path}]
        end = offset + len(page)
        if end < min(len(pts), limit) and page:
            nq = dict(q)
            nq["page"] = str(end)
            links.append({"rel": "next", "type": "application/geo+json",
                          "href": f"{self.state.next_base or self.base}/api/search?{urllib.parse.urlencode(nq)}"})
        return self._json({"type": "FeatureCollection", "features": features, "links": links})

    # -- KartaView ------------------------------------------------------------------------

    def _kartaview(self, q, form):
        lat, lon, radius = float(form["lat"]), float(form["lng"]), float(form["radius"])
        pts = [p for p in self.state.points.get("kartaview", []) if _dist_m(lat, lon, p.lat, p.lon) <= radius]
        ipp = int(form.get("ipp", 1000))
        page_no = int(form.get("page", 1))
        page = pts[(page_no - 1) * ipp: page_no * ipp]  # honours ipp, as the real server does
        items = []
        for p in page:
            date_path = p.time[:10].replace("-", "/")
            items.append({
                "id": p.id, "sequence_id": p.sequence, "sequence_index": p.id[-2:],
                "lat": f"{p.lat:.7f}", "lng": f"{p.lon:.7f}", "heading": f"{p.heading:.2f}",
                "shot_date": p.time[:19].replace("T", " "), "date_added": p.time[:19].replace("T", " "),
                "name": f"storage7/files/photo/{date_path}/proc/{p.id}_full.jpg",
                "lth_name": f"storage7/files/photo/{date_path}/lth/{p.id}_lth.jpg",
                "th_name": f"storage7/files/photo/{date_path}/th/{p.id}_th.jpg",
                "username": "fixture_user", "way_id": None,
            })
        body = {"status": {"apiCode": "600", "apiMessage": "Request has been processed without errors",
                           "httpCode": 200, "httpMessage": "Success"},
                "currentPageItems": items, "totalFilteredItems": [str(len(pts))]}
        return self._json(body)

    def _kartaview2(self, q, form):
        # GET /2.0/photo/?lat&lng&radius&page&itemsPerPage: answer in result.data with
        # hasMoreData; itemsPerPage above 100 is refused with a bare 400 (client reports)
        lat, lon, radius = float(q["lat"]), float(q["lng"]), float(q["radius"])
        ipp = int(q.get("itemsPerPage", 20))
        if ipp > 100:
            return self._send(400, b"")
        pts = [p for p in self.state.points.get("kartaview", []) if _dist_m(lat, lon, p.lat, p.lon) <= radius]
        page_no = int(q.get("page", 1))
        page = pts[(page_no - 1) * ipp: page_no * ipp]
        base = self.state.image_base or self.base
        data = []
        for p in page:
            date_path = p.time[:10].replace("-", "/")
            stem = f"{base}/storage7/files/photo/{date_path}"
            data.append({
                "id": p.id, "sequenceId": p.sequence, "sequenceIndex": p.id[-2:],
                "lat": f"{p.lat:.7f}", "lng": f"{p.lon:.7f}", "heading": f"{p.heading:.2f}",
                "shotDate": p.time[:19].replace("T", " "), "dateAdded": p.time[:19].replace("T", " "),
                "projection": "SPHERE" if p.pano else "PLANE", "fieldOfView": "360" if p.pano else "0",
                "storage": "storage7", "width": "256" if p.pano else "192", "height": "128" if p.pano else "144",
                "fileurlProc": f"{stem}/proc/{p.id}_proc.jpg", "fileurlLTh": f"{stem}/lth/{p.id}_lth.jpg",
                "fileurlTh": f"{stem}/th/{p.id}_th.jpg", "username": "fixture_user",
            })
        return self._json({"status": {"apiCode": 600, "apiMessage": "The request has been processed without "
                                      "incidents", "httpCode": 200, "httpMessage": "Success"},
                           "result": {"data": data, "hasMoreData": page_no * ipp < len(pts)}})

    # -- Mapilio ------------------------------------------------------------------------

    def _mapilio_wfs(self, q, form):
        assert q.get("typeNames") == "mapilio:map_points", q
        pts = [p for p in self.state.points.get("mapilio", []) if _in_bbox(p, _bbox(q["bbox"]))]
        count = int(q.get("count", 1000))
        start = int(q.get("startIndex", 0))
        page = pts[start: start + count]  # honours count, as GeoServer does
        feats = [{
            "type": "Feature", "id": f"map_points.{p.id}",
            "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]},
            "geometry_name": "geom",
            "properties": {"id": int(p.id[1:]) if p.id[1:].isdigit() else p.id,
                           "sequence_uuid": p.sequence, "capture_time": p.time[:19].replace("T", " "),
                           "heading": p.heading, "created_by_id": 7,
                           "resolution": "5760x2880" if p.pano else "1920x1080"},
        } for p in page]
        return self._json({"type": "FeatureCollection", "features": feats, "totalFeatures": len(pts),
                           "numberMatched": len(pts), "numberReturned": len(feats),
                           "timeStamp": "2026-01-01T00:00:00Z",
                           "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4326"}}})

    def _mapilio_sequence(self, q, form):
        seq = q.get("sequence_uuid")
        rows = [{"id": int(p.id[1:]) if p.id[1:].isdigit() else p.id, "filename": f"{p.id}.jpg",
                 "uploaded_hash": f"h{hashlib.md5(p.id.encode()).hexdigest()[:12]}", "sequence_uuid": seq}
                for p in self.state.points.get("mapilio", []) if p.sequence == seq]
        return self._json({"data": {"data": rows}})

    # -- Amsterdam panoramas ------------------------------------------------------------

    def _amsterdam(self, q, form):
        pts = [p for p in self.state.points.get("amsterdam", []) if _in_bbox(p, _bbox(q["bbox"]))]
        if "timestamp_after" in q:
            pts = [p for p in pts if _day(p.time) >= q["timestamp_after"]]
        if "timestamp_before" in q:  # a datetime filter: a bare date means 00:00 of that day
            before = q["timestamp_before"] + ("T00:00:00Z" if len(q["timestamp_before"]) == 10 else "")
            pts = [p for p in pts if p.time <= before]
        size = min(int(q.get("page_size", 100)), self.state.page_cap)
        page_no = int(q.get("page", 1))
        page = pts[(page_no - 1) * size: page_no * size]
        panos = []
        for p in page:
            img = f"{self.state.image_base or self.base}/img/amsterdam/{p.id}.jpg"
            panos.append({
                "_links": {
                    "self": {"href": f"{self.base}/panorama/panoramas/{p.id}/"},
                    "equirectangular_full": {"href": img + "?w=8000"},
                    "equirectangular_medium": {"href": img + "?w=4000"},
                    "equirectangular_small": {"href": img + "?w=2000"},
                    "cubic_img_preview": {"href": f"{self.base}/cubic/{p.id}/preview.jpg"},
                    "thumbnail": {"href": f"{self.base}/panorama/thumbnail/{p.id}/"},
                    "adjacencies": {"href": f"{self.base}/panorama/panoramas/{p.id}/adjacencies/"},
                },
                "cubic_img_baseurl": f"{self.base}/cubic/{p.id}/",
                "cubic_img_pattern": f"{self.base}/cubic/{p.id}/{{a}}/{{b}}/{{c}}/{{d}}.jpg",
                "geometry": {"type": "Point", "coordinates": [p.lon, p.lat, 42.1]},
                "pano_id": p.id, "timestamp": p.time, "filename": f"{p.id}.jpg", "surface_type": "L",
                "mission_distance": 5, "mission_type": "bi", "mission_year": int(p.time[:4]),
                "tags": ["mission-bi"], "roll": -0.9, "pitch": 1.2, "heading": p.heading,
            })
        nq = dict(q)
        nq["page"] = str(page_no + 1)
        nxt = (f"{self.state.next_base or self.base}/panorama/panoramas/?{urllib.parse.urlencode(nq)}"
               if page_no * size < len(pts) else None)
        return self._json({"_links": {"self": {"href": self.base + self.path}, "next": {"href": nxt},
                                      "previous": {"href": None}},
                           "count": len(pts), "_embedded": {"panoramas": panos}})


def _epoch(iso):
    from datetime import datetime

    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def _dist_m(lat1, lon1, lat2, lon2):
    r = 6371000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


class FixtureServer(LocalServer):
    """``with FixtureServer() as srv: srv.url ...`` — a bounded server thread."""

    def __init__(self):
        super().__init__(Handler, FixtureState())
