"""Mapillary Graph API v4: GET /images?bbox=...&fields=...&limit=... (token required).

The contract, from Mapillary's API documentation and its established clients (see
docs/sources.md): ``{"data": [{"id", "geometry": {"type": "Point", "coordinates":
[lon, lat]}, "compass_angle", "captured_at" (ms since epoch), "is_pano",
"thumb_1024_url", ...}]}``. A bbox search has **no pages**: one query returns at most
``limit`` images (documented maximum 2000; clients stay at 1000 or less because 2000
often fails), images near the bbox edges first. So a cell whose answer reaches the
limit is cut in four (a quadtree, bounded in depth and in requests) until its parts
answer less; a part still at the limit is kept and reported, never silently. Each
complete answer is reordered so that its first images are spread over the part.

A bbox must stay under 0.01 square degrees (cells ≤ 0.09° a side). The token goes in
``Authorization: OAuth <token>``, never in the URL. A refused token is a Graph API
error body ``{"error": {"type": "OAuthException", "code": 190}}``, usually with HTTP
400; the rate limit is a body too (code 4/17/613, "Application request limit
reached"), not necessarily HTTP 429.
"""
from __future__ import annotations

import json

from .base import AuthError, StreetImagerySource, iso_from_epoch_ms, normalise_heading, pick_size
from .image import SourceImage
from .spatial import spread_order

FIELDS = ("id,geometry,computed_geometry,compass_angle,computed_compass_angle,captured_at,is_pano,"
          "camera_type,creator,sequence,thumb_256_url,thumb_1024_url,thumb_2048_url,thumb_original_url")
SIZES = [(256, "thumb_256_url"), (1024, "thumb_1024_url"), (2048, "thumb_2048_url"),
         (1_000_000, "thumb_original_url")]
AUTH_CODES = {102, 190}  # session / access token invalid
RATE_CODES = {4, 17, 32, 613}  # application / user / page request limits


class MapillarySource(StreetImagerySource):
    name = "mapillary"
    title = "Mapillary"
    label = "Mapillary (token needed)"  # the Processing SOURCE enum's text (translated there)
    sequence_field = "sequence"
    default_base_url = "https://graph.mapillary.com"
    needs_token = True
    default_licence = "CC BY-SA 4.0"
    default_attribution = "© Mapillary contributors"
    page_size = 1000  # ``limit`` asked per query (API maximum 2000, which often fails)
    max_cell_deg = 0.09
    max_split_depth = 3  # a capped cell is cut into at most 4**3 = 64 parts
    split_request_budget = 256  # extra queries one search may spend on splitting

    def _auth_headers(self):
        return {"Authorization": f"OAuth {self.token}"} if self.token else {}

    def _answer_problem(self, response):
        error = _graph_error(response)
        if error is not None:
            code = error.get("code")
            message = str(error.get("message") or "")
            if code in RATE_CODES or "request limit" in message.lower():
                return f"rate limited ({message or f'code {code}'})"
            if code in AUTH_CODES or response.status in (401, 403):
                raise AuthError(self.title, missing=not self.token, status=response.status,
                                detail=f"{error.get('type') or 'error'} {code}")
        return super()._answer_problem(response)

    def search(self, *args, **kwargs):
        self._splits_left = self.split_request_budget
        return super().search(*args, **kwargs)

    def _search_cell(self, cell, limit, start, end, image_size, depth=0):
        ask = max(1, min(limit, self.page_size))
        params = {"fields": FIELDS, "bbox": ",".join(f"{v:.7f}" for v in cell), "limit": ask}
        if start:
            params["start_captured_at"] = f"{start.isoformat()}T00:00:00Z"
        if end:
            params["end_captured_at"] = f"{end.isoformat()}T23:59:59Z"
        page = self.get_json(f"{self.base_url}/images", params=params)
        images = list(self.parsed(self.page_items(page, "data"), image_size))
        capped = len(self.page_items(page, "data")) >= ask
        if not capped:
            yield from spread_order(images, cell)
            return
        if depth < self.max_split_depth and getattr(self, "_splits_left", 0) >= 4:
            self._splits_left -= 4
            yield from _interleave([self._search_cell(q, limit, start, end, image_size, depth + 1)
                                    for q in _quarters(cell)])
            return
        # still at the cap: use it, say so (inside this part the answer leans to its edges)
        self.search_warnings.append(
            f"A part of the area ({cell[0]:.5f}, {cell[1]:.5f}, {cell[2]:.5f}, {cell[3]:.5f}) still returns "
            f"Mapillary's limit of {ask} images after splitting; inside it the images near its edges are "
            f"favoured. Draw a smaller area for an even sample there.")
        yield from spread_order(images, cell)

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


def _graph_error(response):
    """The Graph API ``error`` object of a non-200 answer, or None."""
    if response.status == 200 or not response.body:
        return None
    try:
        error = json.loads(response.body.decode("utf-8")).get("error")
    except (UnicodeDecodeError, ValueError, AttributeError):
        return None
    return error if isinstance(error, dict) else None


def _quarters(cell):
    x0, y0, x1, y1 = cell
    xm, ym = (x0 + x1) / 2, (y0 + y1) / 2
    return [(x0, y0, xm, ym), (xm, y0, x1, ym), (x0, ym, xm, y1), (xm, ym, x1, y1)]


def _interleave(streams):
    """One item from each stream in turn, so a budget cut short stays spread over all."""
    streams = list(streams)
    while streams:
        alive = []
        for stream in streams:
            try:
                yield next(stream)
            except StopIteration:
                continue
            alive.append(stream)
        streams = alive
