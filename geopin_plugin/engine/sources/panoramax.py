"""Panoramax (GeoVisio) STAC API: GET {instance}/api/search?bbox=...&limit=...&datetime=...

Any instance works (panoramax.openstreetmap.fr, panoramax.ign.fr, or the
federated api.panoramax.xyz); public instances need no token. Documented shape:
a GeoJSON FeatureCollection; each feature has ``properties.datetime``,
``properties["view:azimuth"]``, ``properties["pers:interior_orientation"]
.field_of_view`` (360 for equirectangular panoramas), ``properties.license``,
``providers`` and ``assets`` ``thumb`` / ``sd`` (2048 px wide) / ``hd``
(original); paging through ``links`` with ``rel: next`` (which may point at another
host of the federation: it gets no token).

360° detection: ``field_of_view == 360`` when the field is there; many real
pictures lack it (GoPro MAX with only ``sensor_array_dimensions`` 5376×2688), so
then a 2:1 sensor or an equirectangular GPano projection in the EXIF counts, and
with no evidence either way the ingest decides from the file (None).
``pers:roll``/``pers:pitch`` are kept in ``extra``.
"""
from __future__ import annotations

from .image import SourceImage
from .base import StreetImagerySource, normalise_heading, pick_size
from .limits import MAX_EMPTY_PAGES

SIZES = [(500, "thumb"), (2048, "sd"), (1_000_000, "hd")]


class PanoramaxSource(StreetImagerySource):
    name = "panoramax"
    title = "Panoramax"
    label = "Panoramax"  # the Processing SOURCE enum's text (translated there)
    sequence_field = "collection"
    default_base_url = "https://api.panoramax.xyz"
    needs_token = False
    default_licence = None  # each picture carries its own (properties.license)
    default_attribution = "Panoramax"
    page_size = 100
    max_cell_deg = 0.1

    def __init__(self, http, base_url=None, **kw):
        base = (base_url or self.default_base_url).rstrip("/")
        if base.endswith("/api"):
            base = base[: -len("/api")]
        super().__init__(http, base_url=base, **kw)

    def _auth_headers(self):
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def _search_cell(self, cell, limit, start, end, image_size):
        params = {"bbox": ",".join(f"{v:.7f}" for v in cell), "limit": min(limit, self.page_size)}
        if start or end:
            params["datetime"] = (f"{start.isoformat()}T00:00:00Z" if start else "..") + "/" + (
                f"{end.isoformat()}T23:59:59Z" if end else "..")
        url = f"{self.base_url}/api/search"
        seen = empty = 0
        while url and seen < limit:
            page = self.get_json(url, params=params)
            features = self.page_items(page, "features")
            before = seen
            for image in self.parsed(features, image_size):
                seen += 1
                yield image
            empty = empty + 1 if seen == before else 0  # a `next` link on pages of nothing usable
            if empty >= MAX_EMPTY_PAGES:
                self.search_warnings.append(f"{self.title}: {empty} pages in a row held no usable picture; "
                                            "stopped paging that part of the area")
                return
            url, params = next_link(page) if features else None, None

    def _parse(self, feature, image_size):
        try:
            lon, lat = feature["geometry"]["coordinates"][:2]
            props = feature.get("properties") or {}
            assets = feature.get("assets") or {}
        except (KeyError, TypeError, ValueError):
            return None
        is_pano = _is_360(props)
        sizes = [s for s in SIZES if (assets.get(s[1]) or {}).get("href")]
        if is_pano is not False:  # a 360° thumb is a cropped view, not the panorama
            sizes = [s for s in sizes if s[1] != "thumb"]
        if not sizes:
            return None
        key = pick_size(sizes, image_size * 2 if is_pano is not False else image_size)
        providers = feature.get("providers") or props.get("providers") or []
        names = [p.get("name") for p in providers if isinstance(p, dict) and p.get("name")]
        return SourceImage(
            source_id=str(feature["id"]), lat=float(lat), lon=float(lon),
            heading=normalise_heading(props.get("view:azimuth")),
            capture_time=props.get("datetime"), is_panorama=is_pano, image_url=assets[key]["href"],
            licence=props.get("license") or self.default_licence,
            attribution="Panoramax" + (f" / {', '.join(names)}" if names else ""),
            extra={"collection": feature.get("collection"), "asset": key, "roll": _num(props.get("pers:roll")),
                   "pitch": _num(props.get("pers:pitch"))},
        )


def next_link(page):
    links = page.get("links") if isinstance(page, dict) else None
    for link in links if isinstance(links, list) else []:
        if isinstance(link, dict) and link.get("rel") == "next" and link.get("href"):
            return link["href"]
    return None


def _is_360(props):
    """True/False from the metadata, None when it does not say (ingest then looks)."""
    orientation = props.get("pers:interior_orientation") or {}
    if not isinstance(orientation, dict):
        orientation = {}
    fov = _num(orientation.get("field_of_view"))
    if fov is not None:
        return fov >= 359.5
    dims = orientation.get("sensor_array_dimensions")
    if isinstance(dims, (list, tuple)) and len(dims) == 2:
        w, h = (_num(v) for v in dims)
        if w and h:
            return abs(max(w, h) - 2 * min(w, h)) <= 2
    exif = props.get("exif") if isinstance(props.get("exif"), dict) else {}
    projection = str(exif.get("Xmp.GPano.ProjectionType") or "").lower()
    if projection:
        return projection == "equirectangular"
    return None


def _num(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
