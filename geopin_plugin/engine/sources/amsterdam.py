"""City of Amsterdam panorama API: GET /panorama/panoramas/ (open, no token).

HAL answer: ``{"_links": {"next": {"href"}}, "count": n, "_embedded": {"panoramas":
[{"pano_id", "timestamp", "geometry": {"coordinates": [lon, lat, z]}, "roll",
"pitch", "heading", "mission_year", "_links": {"equirectangular_full" (8000 px),
"equirectangular_medium" (4000 px), "equirectangular_small" (2000 px)}}]}}``.
Query: ``bbox`` (lon,lat,lon,lat with ``srid=4326``), ``timestamp_after`` /
``timestamp_before``, ``page_size``. ``timestamp`` is a django-filter
DateTimeFromToRangeFilter (panorama-api views.py): ``timestamp_before=2020-05-08``
means ``<= 2020-05-08T00:00``, so an inclusive END_DATE is sent as the next day
(and the client filter drops that day's midnight). An API key, where Amsterdam
asks for one, travels as ``X-Api-Key`` to the API host only.

The published equirectangular images are already levelled and rotated by the
car's roll/pitch/heading so that their centre column faces north (the API's
transformer renders them at target heading 0), so each record's panorama
orientation is 0°; the car's own heading is kept in ``extra``.
"""
from __future__ import annotations

import re
from datetime import timedelta

from .image import SourceImage
from .base import StreetImagerySource, normalise_heading, pick_size

# "<capture run>_pano_<camera>_<frame>": the run is one rig on one trip (AmsterdamSource.capture_group)
_CAPTURE_RUN = re.compile(r"^(.+?)_pano_\d+_\d+$")
SIZES = [(2000, "equirectangular_small"), (4000, "equirectangular_medium"), (8000, "equirectangular_full")]


class AmsterdamSource(StreetImagerySource):
    name = "amsterdam"
    title = "Amsterdam panoramas"
    label = "Amsterdam panoramas (City of Amsterdam)"  # the Processing SOURCE enum's text (translated there)

    def capture_group(self, image):
        """The capture run: the panorama id before ``_pano_`` (the shared dataset's
        manifest names that prefix capture_run), e.g. TMX7315120208-000059 of
        TMX7315120208-000059_pano_0006_000037."""
        from .capture_group import clean_group

        m = _CAPTURE_RUN.match(str(image.source_id or ""))
        return clean_group(m.group(1) if m else None)
    default_base_url = "https://api.data.amsterdam.nl"
    needs_token = False
    default_licence = "Gemeente Amsterdam open data"
    default_attribution = "Gemeente Amsterdam"
    page_size = 100
    max_cell_deg = 0.02

    def _auth_headers(self):
        return {"X-Api-Key": self.token} if self.token else {}

    def _search_cell(self, cell, limit, start, end, image_size):
        params = {"bbox": ",".join(f"{v:.7f}" for v in cell), "srid": 4326,
                  "page_size": min(limit, self.page_size)}
        if start:
            params["timestamp_after"] = start.isoformat()
        if end:
            params["timestamp_before"] = (end + timedelta(days=1)).isoformat()  # exclusive datetime end
        url = f"{self.base_url}/panorama/panoramas/"
        seen = 0
        while url and seen < limit:
            page = self.get_json(url, params=params)
            rows = self.page_items(page, "_embedded", "panoramas")
            for image in self.parsed(rows, image_size):
                seen += 1
                yield image
            nxt = ((page.get("_links") or {}).get("next") or {}).get("href")
            url, params = (nxt, None) if nxt and rows else (None, None)

    def _parse(self, row, image_size):
        try:
            lon, lat = row["geometry"]["coordinates"][:2]
            pano_id = row["pano_id"]
        except (KeyError, TypeError, ValueError):
            return None
        links = row.get("_links") or {}
        sizes = [s for s in SIZES if (links.get(s[1]) or {}).get("href")]
        if not sizes:
            return None
        key = pick_size(sizes, image_size * 2)
        return SourceImage(
            source_id=str(pano_id), lat=float(lat), lon=float(lon), heading=0.0,
            capture_time=row.get("timestamp"), is_panorama=True, image_url=links[key]["href"],
            licence=self.default_licence, attribution=self.default_attribution,
            extra={"car_heading": normalise_heading(row.get("heading")), "roll": row.get("roll"),
                   "pitch": row.get("pitch"), "mission_year": row.get("mission_year"), "size": key},
        )
