"""Mapillary Graph API v4: GET /images?bbox=...&fields=... (token required).

Documented shape: ``{"data": [{"id", "geometry": {"type": "Point", "coordinates":
[lon, lat]}, "compass_angle", "captured_at" (ms since epoch), "is_pano",
"thumb_1024_url", ...}], "paging": {"next": url}}``. A bbox search must stay under
0.01 square degrees, so query cells are at most 0.09° on a side. The token travels
in the ``Authorization: OAuth <token>`` header, never in the URL.
"""
from __future__ import annotations

from .base import SourceImage, StreetImagerySource, iso_from_epoch_ms, normalise_heading, pick_size

FIELDS = ("id,geometry,computed_geometry,compass_angle,computed_compass_angle,captured_at,is_pano,"
          "camera_type,creator,sequence,thumb_256_url,thumb_1024_url,thumb_2048_url,thumb_original_url")
SIZES = [(256, "thumb_256_url"), (1024, "thumb_1024_url"), (2048, "thumb_2048_url"),
         (1_000_000, "thumb_original_url")]


class MapillarySource(StreetImagerySource):
    name = "mapillary"
    title = "Mapillary"
    default_base_url = "https://graph.mapillary.com"
    needs_token = True
    default_licence = "CC BY-SA 4.0"
    default_attribution = "© Mapillary contributors"
    page_size = 2000  # the API's maximum ``limit``
    max_cell_deg = 0.09

    def _auth_headers(self):
        return {"Authorization": f"OAuth {self.token}"} if self.token else {}

    def _search_cell(self, cell, limit, start, end, image_size):
        params = {
            "fields": FIELDS,
            "bbox": ",".join(f"{v:.7f}" for v in cell),
            "limit": min(limit, self.page_size),
        }
        if start:
            params["start_captured_at"] = f"{start.isoformat()}T00:00:00Z"
        if end:
            params["end_captured_at"] = f"{end.isoformat()}T23:59:59Z"
        url = f"{self.base_url}/images"
        seen = 0
        while url and seen < limit:
            page = self.get_json(url, params=params)
            rows = self.page_items(page, "data")
            for image in self.parsed(rows, image_size):
                seen += 1
                yield image
            nxt = (page.get("paging") or {}).get("next")
            url, params = (nxt, None) if nxt and rows else (None, None)

    def _parse(self, row, image_size):
        try:
            lon, lat = (row.get("computed_geometry") or row["geometry"])["coordinates"][:2]
        except (KeyError, TypeError, ValueError):
            return None
        is_pano = bool(row.get("is_pano")) or row.get("camera_type") in ("spherical", "equirectangular")
        wanted = image_size * 2 if is_pano else image_size
        url = row.get(pick_size([s for s in SIZES if row.get(s[1])] or SIZES, wanted))
        if not url:
            return None
        creator = (row.get("creator") or {}).get("username")
        heading = row.get("computed_compass_angle", row.get("compass_angle"))
        return SourceImage(
            source_id=str(row["id"]), lat=float(lat), lon=float(lon), heading=normalise_heading(heading),
            capture_time=iso_from_epoch_ms(row.get("captured_at")), is_panorama=is_pano, image_url=url,
            licence=self.default_licence,
            attribution=f"{self.default_attribution}" + (f" ({creator})" if creator else ""),
            extra={"sequence": (row.get("sequence") if isinstance(row.get("sequence"), str)
                                else (row.get("sequence") or {}).get("id")),
                   "camera_type": row.get("camera_type")},
        )

