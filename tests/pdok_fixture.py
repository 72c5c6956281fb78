"""A local stand-in for PDOK's OGC API Features (BRK, BGT, BAG) on 127.0.0.1.

It serves PDOK-shaped answers — collection lists and metadata (``crs`` lists with
EPSG:28992, ``storageCrs``), GeoJSON FeatureCollections in EPSG:28992 with
``links`` (``self``, ``next`` carrying a cursor) and a ``Content-Crs`` header —
for a synthetic neighbourhood generated around a centre point: blocks of narrow
lots (BRK perceel), a house on the street side of each lot (BAG pand and BGT pand,
same BAG id), two addresses per house (BAG verblijfsobject), the streets between
the blocks (street parcels, BGT wegdeel) and a canal (BGT waterdeel). Every name
says "Fixture": nothing here is real data, and nothing is downloaded.

It misbehaves on demand: 429 with Retry-After, 500, malformed JSON, a next link
to another host; and by default (``strict_rd``) it refuses a request without
``bbox-crs``/``crs`` EPSG:28992 (HTTP 400), so a client that forgets them fails
loudly. With ``strict_rd = False`` it also answers plain OGC clients (QGIS's OAPIF
provider) in CRS84, the standard's default, with a landing page, conformance and
the bit of an OpenAPI document that provider reads.

    python tests/pdok_fixture.py --centre 119000 486000   # serve until Ctrl-C
"""
from __future__ import annotations

import json
import sys
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Dict, List, Optional

sys.path.append(str(Path(__file__).resolve().parent))
from local_server import LocalServer  # noqa: E402

RD = "http://www.opengis.net/def/crs/EPSG/0/28992"
CRS_LIST = ["http://www.opengis.net/def/crs/OGC/1.3/CRS84", RD,
            "http://www.opengis.net/def/crs/EPSG/0/3857", "http://www.opengis.net/def/crs/EPSG/0/4258"]
SERVICES = {
    "/kadaster/brk-kadastrale-kaart/ogc/v1": ("brk", "Kadastrale Kaart (fixture)"),
    "/lv/bgt/ogc/v1": ("bgt", "Basisregistratie Grootschalige Topografie (fixture)"),
    "/kadaster/bag/ogc/v2": ("bag", "Basisregistratie Adressen en Gebouwen (fixture)"),
}
LOT_W, LOT_D, HOUSE_D, STREET_W, BLOCKS, LOTS = 8.0, 25.0, 12.0, 16.0, 2, 15


def _square(x0, y0, x1, y1):
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def neighbourhood(cx: float, cy: float) -> Dict[str, Dict[str, List[dict]]]:
    """service -> collection -> GeoJSON features, deterministic for a centre."""
    data = {"brk": {"perceel": []}, "bgt": {"pand": [], "wegdeel": [], "waterdeel": []},
            "bag": {"pand": [], "verblijfsobject": []}}
    period = 2 * LOT_D + STREET_W
    x_min, x_max = cx - LOTS * LOT_W, cx + LOTS * LOT_W
    number = {}
    for j in range(-BLOCKS, BLOCKS + 1):
        block_y = cy + j * period  # block centre line (the lots' back boundary)
        street = f"Fixturestraat {j + BLOCKS + 1}"
        for side, (y_back, y_front, street_name) in enumerate((
                (block_y, block_y + LOT_D, street),  # north row faces the street above
                (block_y, block_y - LOT_D, f"Fixturestraat {j + BLOCKS}"))):
            for i in range(2 * LOTS):
                x0 = x_min + i * LOT_W
                k = len(data["brk"]["perceel"]) + 1
                lo, hi = sorted((y_back, y_front))
                data["brk"]["perceel"].append({
                    "type": "Feature", "id": f"perceel-{k}", "geometry": _square(x0, lo, x0 + LOT_W, hi),
                    "properties": {"identificatie_lokaal_id": f"{70000000000 + k}", "kadastrale_gemeente_waarde":
                                   "Fixturedam", "kadastrale_gemeente_code": "FXD00", "sectie": "K",
                                   "perceelnummer": 1000 + k, "kadastrale_grootte_waarde": LOT_W * LOT_D}})
                house_back = y_front - HOUSE_D if y_front > y_back else y_front + HOUSE_D
                hlo, hhi = sorted((house_back, y_front))
                pand_id = f"0363100{k:09d}"
                geom = _square(x0 + 0.3, hlo, x0 + LOT_W - 0.3, hhi)
                data["bag"]["pand"].append({"type": "Feature", "id": f"pand-{k}", "geometry": geom, "properties": {
                    "identificatie": pand_id, "bouwjaar": 1900 + k % 100, "status": "Pand in gebruik",
                    "gebruiksdoel": "woonfunctie", "aantal_verblijfsobjecten": 2}})
                data["bgt"]["pand"].append({"type": "Feature", "id": f"bgt-pand-{k}", "geometry": geom, "properties": {
                    "identificatie_lokaal_id": f"G0363.{k:08d}", "identificatie_bag_pnd": pand_id,
                    "bgt_status": "bestaand"}})
                n = number.setdefault(street_name, 0) + 1
                number[street_name] = n + 1
                for letter_index, letter in enumerate(("", "A")):
                    data["bag"]["verblijfsobject"].append({
                        "type": "Feature", "id": f"vbo-{k}-{letter_index}",
                        "geometry": {"type": "Point", "coordinates": [x0 + LOT_W / 2, (hlo + hhi) / 2]},
                        "properties": {"identificatie": f"0363010{k:07d}{letter_index:02d}", "huisnummer": n,
                                       "huisletter": letter, "toevoeging": "", "postcode": f"9{j + 5:01d}{side}{i % 10}FX",
                                       "openbare_ruimte_naam": street_name, "woonplaats_naam": "Fixturedam",
                                       "pand_identificatie": pand_id, "gebruiksdoel": "woonfunctie"}})
        street_lo = block_y + LOT_D
        k = len(data["brk"]["perceel"]) + 1
        data["brk"]["perceel"].append({
            "type": "Feature", "id": f"perceel-{k}", "geometry": _square(x_min, street_lo, x_max, street_lo + STREET_W),
            "properties": {"identificatie_lokaal_id": f"{70000000000 + k}", "kadastrale_gemeente_waarde": "Fixturedam",
                           "sectie": "K", "perceelnummer": 9000 + j, "kadastrale_grootte_waarde":
                           (x_max - x_min) * STREET_W}})
        data["bgt"]["wegdeel"].append({"type": "Feature", "id": f"wegdeel-{j}", "geometry": _square(
            x_min, street_lo, x_max, street_lo + STREET_W), "properties": {"functie": "rijbaan lokale weg",
                                                                            "fysiek_voorkomen": "gesloten verharding"}})
    y_south = cy - BLOCKS * period - LOT_D
    data["bgt"]["waterdeel"].append({"type": "Feature", "id": "waterdeel-1", "geometry": _square(
        x_min, y_south - 20.0, x_max, y_south - 4.0), "properties": {"type": "watervlakte", "naam": "Fixturegracht"}})
    return data


def _bbox_of(feature):
    coords = feature["geometry"]["coordinates"]
    pts = [coords] if feature["geometry"]["type"] == "Point" else coords[0]
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    return min(xs), min(ys), max(xs), max(ys)


def _to_crs84(feature):
    from geopin.geopin_plugin.engine.geo import rd_to_wgs84

    def conv(node):
        if node and isinstance(node[0], (int, float)):
            lat, lon = rd_to_wgs84(node[0], node[1])
            return [round(lon, 8), round(lat, 8)]
        return [conv(n) for n in node]

    geom = dict(feature["geometry"], coordinates=conv(feature["geometry"]["coordinates"]))
    return dict(feature, geometry=geom)


@dataclass
class Behaviour:
    status_first: List[int] = field(default_factory=list)  # answers for the next requests (429, 500, …)
    retry_after: Optional[str] = "1"
    malformed: bool = False
    foreign_next: bool = False  # next links point at another host


class FixtureState:
    def __init__(self, centre=(119000.0, 486000.0)):
        self.data = neighbourhood(*centre)
        self.behaviour = Behaviour()
        self.page_cap = 100  # features a page at most, so paging is exercised
        self.strict_rd = True  # refuse requests not in EPSG:28992 (GeoPin's client must send both)
        self.log: List[dict] = []
        self.lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    server_version = "GeoPinPdokFixture/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    @property
    def state(self) -> FixtureState:
        return self.server.state  # type: ignore[attr-defined]

    def _send(self, status, obj=None, raw=None, headers=None, ctype="application/json"):
        body = raw if raw is not None else json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        with self.state.lock:
            self.state.log.append({"path": url.path, "query": query, "headers": dict(self.headers.items())})
            b = self.state.behaviour
            status = b.status_first.pop(0) if b.status_first else None
        if status:
            headers = {"Retry-After": b.retry_after} if status == 429 and b.retry_after else {}
            return self._send(status, {"code": status, "description": f"fixture status {status}"}, headers=headers)
        if b.malformed:
            return self._send(200, raw=b'{"type": "FeatureCollection", "features": [ {"type": "Feat')
        for prefix, (service, title) in SERVICES.items():
            if url.path in (prefix, prefix + "/"):
                base = self._base() + prefix
                return self._send(200, {"title": title, "links": [
                    {"rel": "self", "type": "application/json", "href": base + "?f=json"},
                    {"rel": "service-desc", "type": "application/vnd.oai.openapi+json;version=3.0",
                     "href": base + "/api"},
                    {"rel": "conformance", "type": "application/json", "href": base + "/conformance?f=json"},
                    {"rel": "data", "type": "application/json", "href": base + "/collections?f=json"}]})
            if url.path == prefix + "/api":  # the little of an OpenAPI document QGIS's OAPIF provider reads
                limit = {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                                   "maximum": 1000, "default": 10}}
                return self._send(200, {"openapi": "3.0.2", "info": {"title": title, "version": "1.0.0"},
                                        "paths": {"/collections/{collectionId}/items": {"get": {
                                            "parameters": [limit]}}}},
                                  ctype="application/vnd.oai.openapi+json;version=3.0")
            if url.path == prefix + "/conformance":
                return self._send(200, {"conformsTo": [
                    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
                    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
                    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs"]})
            if url.path == prefix + "/collections":
                return self._send(200, {"links": [], "collections": [self._meta(prefix, service, c)
                                                                      for c in self.state.data[service]]})
            if url.path.startswith(prefix + "/collections/"):
                rest = url.path[len(prefix) + len("/collections/"):].split("/")
                if rest[0] not in self.state.data[service]:
                    return self._send(404, {"code": 404, "description": f"collection {rest[0]} not found"})
                if len(rest) == 1:
                    return self._send(200, self._meta(prefix, service, rest[0]))
                if rest[1:] == ["items"]:
                    return self._items(prefix, service, rest[0], query)
        return self._send(404, {"code": 404, "description": "not found"})

    def _base(self):
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def _meta(self, prefix, service, collection):
        href = f"{self._base()}{prefix}/collections/{collection}"
        return {"id": collection, "title": collection.capitalize(), "itemType": "feature", "crs": CRS_LIST,
                "storageCrs": RD, "extent": {"spatial": {"bbox": [[3.2, 50.7, 7.3, 53.6]],
                                                        "crs": CRS_LIST[0]}},
                "links": [{"rel": "self", "type": "application/json", "href": href + "?f=json"},
                          {"rel": "items", "type": "application/geo+json", "href": href + "/items?f=json"}]}

    def _items(self, prefix, service, collection, q):
        # GeoPin must ask in RD New; a plain OGC client (QGIS's OAPIF provider) gets CRS84, the default
        rd_out = q.get("crs") == RD
        if ("bbox" in q and q.get("bbox-crs") not in (None, RD, CRS_LIST[0])) or q.get("crs") not in (None, RD):
            return self._send(400, {"code": 400, "description": "unsupported crs or bbox-crs"})
        if self.state.strict_rd and (q.get("bbox-crs") != RD or not rd_out):
            return self._send(400, {"code": 400, "description": "strict fixture: send bbox-crs and crs EPSG:28992"})
        try:
            x0, y0, x1, y1 = (float(v) for v in q.get("bbox", "-1e9,-1e9,1e9,1e9").split(","))
            if "bbox" in q and q.get("bbox-crs") != RD:
                from geopin.geopin_plugin.engine.geo import wgs84_to_rd

                x0, y0 = wgs84_to_rd(y0, x0)
                x1, y1 = wgs84_to_rd(y1, x1)
            limit = int(q.get("limit", 10))
            start = int(q.get("cursor", 0))
        except (KeyError, ValueError):
            return self._send(400, {"code": 400, "description": "bad bbox, limit or cursor"})
        if not 1 <= limit <= 1000:
            return self._send(400, {"code": 400, "description": "limit must be 1..1000"})
        hits = [f for f in self.state.data[service][collection]
                if not (_bbox_of(f)[2] < x0 or _bbox_of(f)[0] > x1 or _bbox_of(f)[3] < y0 or _bbox_of(f)[1] > y1)]
        size = min(limit, self.state.page_cap)
        page = hits[start:start + size]
        base = f"{self._base()}{prefix}/collections/{collection}/items"
        keep = {k: v for k, v in q.items() if k != "cursor"}
        links = [{"rel": "self", "type": "application/geo+json",
                  "href": base + "?" + urllib.parse.urlencode(dict(keep, cursor=start))}]
        if start + size < len(hits):
            nxt = base + "?" + urllib.parse.urlencode(dict(keep, cursor=start + size))
            if self.state.behaviour.foreign_next:
                nxt = nxt.replace("127.0.0.1", "evil.example")
            links.append({"rel": "next", "type": "application/geo+json", "href": nxt})
        if not rd_out:
            page = [_to_crs84(f) for f in page]
        body = {"type": "FeatureCollection", "timeStamp": "2026-01-01T00:00:00Z", "links": links,
                "numberReturned": len(page), "features": page}
        return self._send(200, body, headers={"Content-Crs": f"<{RD if rd_out else CRS_LIST[0]}>"},
                          ctype="application/geo+json")


class PdokFixtureServer(LocalServer):
    """``with PdokFixtureServer(centre) as srv: srv.base_urls`` -> {"brk": url, "bgt": url, "bag": url}."""

    def __init__(self, centre=(119000.0, 486000.0)):
        super().__init__(Handler, FixtureState(centre))

    @property
    def base_urls(self):
        return {service: self.url + prefix for prefix, (service, _) in SERVICES.items()}


if __name__ == "__main__":
    import argparse
    import time

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--centre", nargs=2, type=float, default=(119000.0, 486000.0), metavar=("X", "Y"))
    args = ap.parse_args()
    with PdokFixtureServer(tuple(args.centre)) as srv:
        print(json.dumps(srv.base_urls, indent=2), flush=True)
        while True:
            time.sleep(3600)
