"""KartaView (ex-OpenStreetCam): GET {api}/2.0/photo/?lat&lng&radius (no token to read).

Established clients moved off the v1 ``nearby-photos`` endpoint (301/404 in recent
reports) to the 2.0 API on ``api.openstreetcam.org``: query parameters ``lat``,
``lng``, ``radius`` (m), ``page`` and ``itemsPerPage`` (more than 100 is refused with a
bare HTTP 400), answer ``{"status": {...}, "result": {"data": [{"id", "lat", "lng",
"heading", "shotDate", "sequenceId", "sequenceIndex", "projection", "fieldOfView",
"fileurlProc" (full image), "fileurlLTh" (large thumbnail), "fileurlTh", ...}],
"hasMoreData": bool}}``; numbers arrive as strings. No bbox parameter of the 2.0
photo search is documented in a public client, so each query cell becomes its
circumscribed circle (kept small) and points outside the cell are dropped.

The large thumbnail is often missing while the full image exists (clients switched
to ``fileurlProc``): it is tried first at IMAGE_SIZE <= 1024 with the full image as
the fallback. Image URLs are used as the API gives them (storageN.openstreetcam.org).
"""
from __future__ import annotations

import math

from .base import AuthError, SourceError, StreetImagerySource, normalise_heading
from .image import SourceImage
from .spatial import metres_per_degree


class KartaViewSource(StreetImagerySource):
    name = "kartaview"
    title = "KartaView"
    label = "KartaView"  # the Processing SOURCE enum's text (translated there)
    sequence_field = "sequence_id"
    default_base_url = "https://api.openstreetcam.org"
    needs_token = False
    default_licence = "CC BY-SA 4.0"
    default_attribution = "KartaView contributors"
    page_size = 100  # itemsPerPage maximum
    max_cell_deg = 0.005  # ~350 x 550 m near 52°N: a circle of ~330 m

    def _search_cell(self, cell, limit, start, end, image_size):
        x0, y0, x1, y1 = cell
        lon, lat = (x0 + x1) / 2, (y0 + y1) / 2
        mx, my = metres_per_degree(lat)
        radius = int(math.ceil(math.hypot((x1 - x0) / 2 * mx, (y1 - y0) / 2 * my))) + 1
        ipp = self.page_size
        seen, page_no = 0, 1
        while seen < limit:
            page = self.get_json(f"{self.base_url}/2.0/photo/", params={
                "lat": f"{lat:.7f}", "lng": f"{lon:.7f}", "radius": radius, "page": page_no,
                "itemsPerPage": ipp})
            status = page.get("status") if isinstance(page, dict) else None
            if isinstance(status, dict) and str(status.get("httpCode", "200")) != "200":
                if str(status.get("httpCode")) in ("401", "403"):
                    raise AuthError(self.title, missing=not self.token, status=int(status["httpCode"]))
                raise SourceError(f"{self.title} answered {status.get('httpCode')} "
                                  f"{status.get('httpMessage') or status.get('apiMessage') or ''}".strip())
            items = self.page_items(page, "result", "data")
            for image in self.parsed(items, image_size):
                if x0 <= image.lon <= x1 and y0 <= image.lat <= y1:
                    seen += 1
                    yield image
            if not items or not (page.get("result") or {}).get("hasMoreData"):
                return
            page_no += 1

    def _parse(self, item, image_size):
        try:
            lat, lon = float(item["lat"]), float(item["lng"])
            photo_id = str(item["id"])
        except (KeyError, TypeError, ValueError):
            return None
        full = self._url(item.get("fileurlProc") or item.get("fileurl"))
        large = self._url(item.get("fileurlLTh"))
        urls = [u for u in ((large, full) if image_size <= 1024 else (full, large)) if u]
        if not urls:
            return None
        shot = item.get("shotDate") or item.get("dateAdded")
        projection = str(item.get("projection") or "").upper()
        fov = item.get("fieldOfView")
        if projection in ("SPHERE", "EQUIRECTANGULAR") or str(fov).split(".")[0] == "360":
            is_pano = True
        elif projection == "PLANE":
            is_pano = False
        else:
            is_pano = None  # the answer does not say: ingest looks at the file
        user = item.get("username")
        return SourceImage(
            source_id=photo_id, lat=lat, lon=lon, heading=normalise_heading(item.get("heading")),
            capture_time=shot.replace(" ", "T") if isinstance(shot, str) else None,
            is_panorama=is_pano, image_url=urls[0], licence=self.default_licence,
            attribution=self.default_attribution + (f" ({user})" if user else ""),
            extra={"sequence_id": item.get("sequenceId"), "sequence_index": item.get("sequenceIndex"),
                   "fallback_urls": urls[1:]},
        )

    def _url(self, value):
        if not value or not isinstance(value, str):
            return None
        if "://" in value:
            return value
        base = (self.image_base_url or self.base_url).rstrip("/")
        return f"{base}/{value.lstrip('/')}"
