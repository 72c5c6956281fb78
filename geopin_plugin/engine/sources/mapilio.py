"""Mapilio: image points from its public GeoServer WFS, image files from its CDN.

Points: ``GET {geo}/geoserver/ows?service=WFS&version=2.0.0&request=GetFeature
&typeNames=mapilio:map_points&outputFormat=application/json&bbox=...,EPSG:4326
&count=&startIndex=`` answers a GeoJSON FeatureCollection whose properties are
``id``, ``sequence_uuid``, ``capture_time``, ``heading``, ``resolution`` ("WxH");
``numberReturned`` drives the paging. File names come from
``GET {api}/api/sequence-detail?sequence_uuid=`` (``data`` holds ``{id, filename,
uploaded_hash}``, sometimes nested one level deeper); images are
``{cdn}/im/{uploaded_hash}/{filename}/{1080|2080}``. Reading needs no token.
Only the selected images' sequences are looked up (one request per sequence).
GeoServer pages by ``startIndex`` are only stable with ``sortBy``, so the query
sorts by id. iD reads Mapilio through vector tiles; dense ``map_points`` requests
can time out, which the base class reports per cell. Licence: not confirmed.
"""
from __future__ import annotations

from .base import LOG, SourceError, StreetImagerySource, normalise_heading, pick_size
from .image import SourceImage

SIZES = [(1080, "1080"), (2080, "2080")]


class MapilioSource(StreetImagerySource):
    name = "mapilio"
    title = "Mapilio"
    label = "Mapilio"  # the Processing SOURCE enum's text (translated there)
    sequence_field = "sequence_uuid"
    default_base_url = "https://geo.mapilio.com"
    default_api_url = "https://end.mapilio.com"
    default_cdn_url = "https://cdn.mapilio.com"
    needs_token = False
    default_licence = "CC BY-SA 4.0"
    default_attribution = "Mapilio contributors"
    page_size = 500
    max_cell_deg = 0.05

    def __init__(self, http, base_url=None, **kw):
        super().__init__(http, base_url=base_url, **kw)
        # one override (a fixture server, a mirror) serves all three roles
        self.api_url = self.base_url if base_url else self.default_api_url
        self.cdn_url = self.base_url if base_url else self.default_cdn_url
        self._sequences = {}

    def _search_cell(self, cell, limit, start, end, image_size):
        count = min(self.page_size, limit)
        start_index = 0
        seen = 0
        while seen < limit:
            page = self.get_json(f"{self.base_url}/geoserver/ows", params={
                "service": "WFS", "version": "2.0.0", "request": "GetFeature",
                "typeNames": "mapilio:map_points", "outputFormat": "application/json",
                "srsName": "EPSG:4326", "bbox": ",".join(f"{v:.7f}" for v in cell) + ",EPSG:4326",
                "count": count, "startIndex": start_index, "sortBy": "id"})  # startIndex paging needs an order
            features = self.page_items(page, "features")
            for image in self.parsed(features, image_size):
                seen += 1
                yield image
            returned = int(page.get("numberReturned", len(features)) or 0)
            if returned < count or not features:
                return
            start_index += returned

    def _parse(self, feature, image_size):
        try:
            lon, lat = feature["geometry"]["coordinates"][:2]
            props = feature["properties"]
            image_id = props["id"]
        except (KeyError, TypeError, ValueError):
            return None
        is_pano = False
        try:
            w, h = (int(v) for v in str(props.get("resolution", "")).lower().split("x"))
            is_pano = max(w, h) == 2 * min(w, h)
        except ValueError:
            pass
        size = pick_size(SIZES, image_size * 2 if is_pano else image_size)
        return SourceImage(
            source_id=str(image_id), lat=float(lat), lon=float(lon), heading=normalise_heading(props.get("heading")),
            capture_time=_iso(props.get("capture_time")), is_panorama=is_pano, image_url="",
            licence=self.default_licence, attribution=self.default_attribution,
            extra={"sequence_uuid": props.get("sequence_uuid"), "size": size,
                   "resolution": props.get("resolution")},
        )

    def finalize(self, images):
        """Fill image_url from the sequences' details (only for the images chosen)."""
        ready = []
        for image in images:
            seq = image.extra.get("sequence_uuid")
            if not seq:
                continue
            if seq not in self._sequences:
                try:
                    self._sequences[seq] = self._sequence_files(seq)
                except SourceError as exc:
                    LOG.warning("Mapilio sequence %s: %s", seq, exc)
                    self._sequences[seq] = {}
            entry = self._sequences[seq].get(image.source_id)
            if not entry:
                continue
            image.image_url = f"{self.cdn_url}/im/{entry[0]}/{entry[1]}/{image.extra['size']}"
            ready.append(image)
        return ready

    def _sequence_files(self, sequence_uuid):
        answer = self.get_json(f"{self.api_url}/api/sequence-detail", params={"sequence_uuid": sequence_uuid})
        data = answer.get("data") if isinstance(answer, dict) else None
        if isinstance(data, dict):
            data = data.get("data")
        if not isinstance(data, list):
            raise SourceError(f"{self.title} sent a sequence answer without 'data'")
        out = {}
        for row in data:
            if isinstance(row, dict) and row.get("filename") and row.get("uploaded_hash"):
                out[str(row.get("id"))] = (row["uploaded_hash"], row["filename"])
        return out


def _iso(value):
    if value in (None, ""):
        return None
    return str(value).replace(" ", "T")
