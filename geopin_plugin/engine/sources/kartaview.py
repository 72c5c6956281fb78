"""KartaView (ex-OpenStreetCam): POST /1.0/list/nearby-photos/ (no token to read).

Form fields ``lat``, ``lng``, ``radius`` (m), ``page``, ``ipp`` (items per page).
Documented answer: ``{"status": {"apiCode", "httpCode", "httpMessage"},
"currentPageItems": [{"id", "sequence_id", "sequence_index", "lat", "lng",
"heading", "shot_date", "name" (full image path), "lth_name" (large thumbnail),
"th_name", "username", ...}], "totalFilteredItems": [n]}``; numbers arrive as
strings. The API searches circles, so each query cell becomes its circumscribed
circle (kept small: the server is slow for large radii) and points outside the
cell are dropped. Image paths ``storageN/...`` live on ``storageN.openstreetcam.org``,
which is fetched through KartaView's image proxy ``cdn.kartaview.org/pr:sharp/
<base64 of the storage URL>`` (the storage hosts themselves answer 404 nowadays,
as iD and other clients found).
"""
from __future__ import annotations

import base64
import math
import re

from .base import (AuthError, SourceError, SourceImage, StreetImagerySource, metres_per_degree,
                   normalise_heading)


class KartaViewSource(StreetImagerySource):
    name = "kartaview"
    title = "KartaView"
    default_base_url = "https://kartaview.org"
    image_proxy = "https://cdn.kartaview.org/pr:sharp/"
    needs_token = False
    default_licence = "CC BY-SA 4.0"
    default_attribution = "KartaView contributors"
    page_size = 1000
    knows_panoramas = False  # no panorama flag in the answer: ingest decides from the file
    max_cell_deg = 0.005  # ~350 x 550 m near 52°N: a circle of ~330 m

    def _search_cell(self, cell, limit, start, end, image_size):
        x0, y0, x1, y1 = cell
        lon, lat = (x0 + x1) / 2, (y0 + y1) / 2
        mx, my = metres_per_degree(lat)
        radius = int(math.ceil(math.hypot((x1 - x0) / 2 * mx, (y1 - y0) / 2 * my))) + 1
        ipp = min(self.page_size, max(limit * 4, 50))  # the circle also covers neighbours
        seen, page_no = 0, 1
        while seen < limit:
            page = self.get_json(f"{self.base_url}/1.0/list/nearby-photos/", method="POST", data={
                "lat": f"{lat:.7f}", "lng": f"{lon:.7f}", "radius": radius, "page": page_no, "ipp": ipp})
            status = page.get("status") if isinstance(page, dict) else None
            if isinstance(status, dict) and str(status.get("httpCode", "200")) not in ("200",):
                if str(status.get("httpCode")) in ("401", "403"):
                    raise AuthError(self.title, missing=not self.token, status=int(status["httpCode"]))
                raise SourceError(f"{self.title} answered {status.get('httpCode')} "
                                  f"{status.get('httpMessage') or status.get('apiMessage') or ''}".strip())
            items = self.page_items(page, "currentPageItems")
            for image in self.parsed(items, image_size):
                if x0 <= image.lon <= x1 and y0 <= image.lat <= y1:
                    seen += 1
                    yield image
            if len(items) < ipp:
                return
            page_no += 1

    def _parse(self, item, image_size):
        try:
            lat, lon = float(item["lat"]), float(item["lng"])
        except (KeyError, TypeError, ValueError):
            return None
        path = item.get("lth_name") if image_size <= 1024 else None
        path = path or item.get("name") or item.get("lth_name")
        if not path:
            return None
        shot = item.get("shot_date") or item.get("date_added")
        projection = str(item.get("projection") or item.get("projection_type") or "").upper()
        user = item.get("username")
        return SourceImage(
            source_id=str(item["id"]), lat=lat, lon=lon, heading=normalise_heading(item.get("heading")),
            capture_time=shot.replace(" ", "T") if isinstance(shot, str) else None,
            is_panorama=projection in ("SPHERE", "EQUIRECTANGULAR") or str(item.get("field_of_view")) == "360",
            image_url=self._image_url(path), licence=self.default_licence,
            attribution=self.default_attribution + (f" ({user})" if user else ""),
            extra={"sequence_id": item.get("sequence_id"), "sequence_index": item.get("sequence_index")},
        )

    def _image_url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        path = path.lstrip("/")
        if self.image_base_url:
            return f"{self.image_base_url.rstrip('/')}/{path}"
        match = re.match(r"^storage(\d+)/(.*)$", path)
        storage_url = (f"https://storage{match.group(1)}.openstreetcam.org/{match.group(2)}" if match
                       else f"{self.base_url}/{path}")
        return self.image_proxy + base64.b64encode(storage_url.encode()).decode().rstrip("=")
