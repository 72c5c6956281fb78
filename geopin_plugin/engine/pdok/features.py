"""PDOK GeoJSON features (or a user's own layers as GeoJSON) as plain types.

Property names are PDOK's (docs/pdok.md lists where each was confirmed):
- BRK perceel: kadastrale_gemeente_waarde, sectie, perceelnummer,
  identificatie_lokaal_id, kadastrale_grootte_waarde (the "kadastrale aanduiding"
  is gemeente + sectie + perceelnummer, e.g. "Amsterdam K 1234");
- BAG pand: identificatie, bouwjaar, status; BGT pand: identificatie_bag_pnd
  (the BAG id), identificatie_lokaal_id;
- BAG verblijfsobject: identificatie, openbare_ruimte_naam, huisnummer, huisletter,
  toevoeging, postcode, woonplaats_naam, pand_identificatie (when present).
Other spellings (a user's own BRK/BAG download) are looked up case-insensitively
among a few known aliases.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, List, Optional, Sequence

import numpy as np

Polygon = List[np.ndarray]  # outer ring then holes, each (N, 2) RD metres


@dataclass
class Parcel:
    id: str
    aanduiding: str  # kadastrale aanduiding: "<gemeente> <sectie> <perceelnummer>"
    gemeente: str
    sectie: str
    perceelnummer: Optional[int]
    area_m2: Optional[float]
    polygons: List[Polygon]


@dataclass
class Building:
    id: str  # BAG pand identificatie when known
    source: str  # "BAG pand", "BGT pand" or the layer's name
    bouwjaar: Optional[int]
    status: str
    polygons: List[Polygon]


@dataclass
class Address:
    id: str  # BAG verblijfsobject identificatie
    x: float
    y: float
    street: str
    number: str  # huisnummer + huisletter + toevoeging, e.g. "12A-2"
    postcode: str
    city: str
    pand_id: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        parts = [f"{self.street} {self.number}".strip(), f"{self.postcode} {self.city}".strip()]
        return ", ".join(p for p in parts if p)


def _prop(props: dict, *names, default=None):
    lowered = {str(k).lower(): v for k, v in props.items()}
    for name in names:
        value = lowered.get(name.lower())
        if value not in (None, ""):
            return value
    return default


def _int(value) -> Optional[int]:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def _float(value) -> Optional[float]:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def polygons_of(geometry: dict) -> List[Polygon]:
    """Polygon / MultiPolygon GeoJSON -> list of polygons; anything else -> []."""
    if not isinstance(geometry, dict):
        return []
    kind, coords = geometry.get("type"), geometry.get("coordinates")
    if kind == "Polygon":
        coords = [coords]
    elif kind != "MultiPolygon":
        return []
    out = []
    for poly in coords or []:
        rings = []
        for ring in poly or []:
            arr = np.asarray(ring, dtype=float)
            if arr.ndim == 2 and arr.shape[0] >= 3 and arr.shape[1] >= 2:
                rings.append(arr[:, :2])
        if rings:
            out.append(rings)
    return out


def point_of(geometry: dict):
    if isinstance(geometry, dict) and geometry.get("type") == "Point":
        c = geometry.get("coordinates") or []
        if len(c) >= 2:
            return float(c[0]), float(c[1])
    polys = polygons_of(geometry)
    if polys:  # a polygon verblijfsobject (some downloads): its outer ring's mean
        ring = polys[0][0]
        return float(ring[:, 0].mean()), float(ring[:, 1].mean())
    return None


def _feature_id(feature: dict, props: dict, *names) -> str:
    value = _prop(props, *names)
    if value is None:
        value = feature.get("id", "")
    return str(value)


def _with_polygons(features: Iterable[dict]):
    """(feature, properties, polygons) of the features that have an area (others are skipped)."""
    for f in features:
        polygons = polygons_of(f.get("geometry"))
        if polygons:
            yield f, f.get("properties") or {}, polygons


def parse_parcels(features: Iterable[dict]) -> List[Parcel]:
    out = []
    for f, props, polygons in _with_polygons(features):
        gemeente = str(_prop(props, "kadastrale_gemeente_waarde", "kadastralegemeentewaarde", "kadastrale_gemeente",
                             "akr_kadastrale_gemeente_code_waarde", "kadastrale_gemeente_code", default=""))
        sectie = str(_prop(props, "sectie", default=""))
        nummer = _int(_prop(props, "perceelnummer"))
        aanduiding = " ".join(p for p in (gemeente, sectie, "" if nummer is None else str(nummer)) if p)
        out.append(Parcel(
            id=_feature_id(f, props, "identificatie_lokaal_id", "identificatielokaalid", "identificatie"),
            aanduiding=aanduiding or str(_prop(props, "kadastrale_aanduiding", "aanduiding", default="")),
            gemeente=gemeente, sectie=sectie, perceelnummer=nummer,
            area_m2=_float(_prop(props, "kadastrale_grootte_waarde", "kadastralegrootte")),
            polygons=polygons,
        ))
    return out


def parse_buildings(features: Iterable[dict], source: str) -> List[Building]:
    out = []
    for f, props, polygons in _with_polygons(features):
        out.append(Building(
            id=_feature_id(f, props, "identificatie_bag_pnd", "identificatiebagpnd", "identificatie",
                           "identificatie_lokaal_id"),
            source=source,
            bouwjaar=_int(_prop(props, "bouwjaar", "oorspronkelijkbouwjaar")),
            status=str(_prop(props, "status", "pandstatus", "bgt_status", default="")),
            polygons=polygons,
        ))
    return out


def house_number(number, letter="", addition="") -> str:
    text = "" if number in (None, "") else str(_int(number) if _int(number) is not None else number)
    text += str(letter or "")
    if addition:
        text += f"-{addition}"
    return text


def parse_addresses(features: Iterable[dict]) -> List[Address]:
    out = []
    for f in features:
        props = f.get("properties") or {}
        xy = point_of(f.get("geometry"))
        if xy is None:
            continue
        pand = _prop(props, "pand_identificatie", "pandidentificatie", "pandref", "pand", default="")
        if isinstance(pand, list):  # a relation array
            pand = pand[0] if pand else ""
        if isinstance(pand, dict):
            pand = pand.get("identificatie") or pand.get("id") or ""
        out.append(Address(
            id=_feature_id(f, props, "identificatie", "identificatie_lokaal_id"),
            x=xy[0], y=xy[1],
            street=str(_prop(props, "openbare_ruimte_naam", "openbareruimtenaam", "straatnaam", "street", default="")),
            number=house_number(_prop(props, "huisnummer", "number"), _prop(props, "huisletter", default=""),
                                _prop(props, "toevoeging", "huisnummertoevoeging", default="")),
            postcode=str(_prop(props, "postcode", default="")),
            city=str(_prop(props, "woonplaats_naam", "woonplaatsnaam", "woonplaats", default="")),
            pand_id=str(pand or ""),
        ))
    return out


def bbox_of(polygons: Sequence[Polygon]):
    pts = np.concatenate([ring for poly in polygons for ring in poly])
    return float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max())
