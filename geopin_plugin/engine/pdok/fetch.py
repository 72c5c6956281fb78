"""Parcels, buildings and addresses for an RD New bbox from PDOK (through the cache)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional

from . import shapes
from .cache import PdokCache
from .client import SERVICES, BBox, Limits, PdokError, service_client
from .features import Address, Building, Parcel, parse_addresses, parse_buildings, parse_parcels

# where each kind comes from: (service, collection)
PARCELS = ("brk", "perceel")
BUILDINGS = {"bag": ("bag", "pand"), "bgt": ("bgt", "pand")}
ADDRESSES = ("bag", "verblijfsobject")


@dataclass
class AreaData:
    parcels: List[Parcel] = field(default_factory=list)
    buildings: List[Building] = field(default_factory=list)
    addresses: List[Address] = field(default_factory=list)
    warnings: List[str] = field(default_factory=list)
    requests: int = 0
    from_cache: int = 0  # collections answered from the cache


class PdokFetcher:
    """Fetches the three kinds for a bbox. ``base_urls`` overrides a service's address
    (another PDOK version, a mirror, or the test fixture)."""

    def __init__(self, http, base_urls: Optional[Dict[str, str]] = None, cache: Optional[PdokCache] = None,
                 limits: Optional[Limits] = None, sleep=None, is_canceled=None, retry=None):
        self.http = http
        self.cache = cache
        kwargs = {"limits": limits, "is_canceled": is_canceled, "retry": retry}
        if sleep is not None:
            kwargs["sleep"] = sleep
        self.clients = {key: service_client(http, key, (base_urls or {}).get(key), **kwargs) for key in SERVICES}
        self._checked = set()

    def features(self, service: str, collection: str, bbox: BBox, data: AreaData) -> List[dict]:
        client = self.clients[service]
        if self.cache is not None:
            cached = self.cache.get(client.base_url, collection, bbox)
            if cached is not None:
                data.from_cache += 1
                return cached
        before = client.requests_made
        try:
            if (service, collection) not in self._checked:
                client.collection(collection)  # fails early and clearly on a wrong address / collection
                self._checked.add((service, collection))
            result = client.items(collection, bbox)
        finally:
            data.requests += client.requests_made - before
        if result.truncated:
            data.warnings.append(f"{client.title} {collection}: the area holds more features than fetched "
                                 f"({len(result.features)} in {result.pages} pages); make the area smaller")
        features, skipped, thinned = shapes.clean(result.features)  # a server is untrusted input
        warning = shapes.warning(client.title, collection, skipped, thinned)
        if warning:
            data.warnings.append(warning)
        if self.cache is not None:
            self.cache.put(client.base_url, collection, bbox, features, result.truncated)
        return features

    def fetch(self, bbox: BBox, buildings_from: str = "bag", want=("parcels", "buildings", "addresses")) -> AreaData:
        if buildings_from not in BUILDINGS:
            raise PdokError(f"unknown building source '{buildings_from}' (use 'bag' or 'bgt')")
        data = AreaData()
        if "parcels" in want:
            data.parcels = parse_parcels(self.features(*PARCELS, bbox, data))
        if "buildings" in want:
            service, collection = BUILDINGS[buildings_from]
            source = f"{buildings_from.upper()} {collection}"
            data.buildings = parse_buildings(self.features(service, collection, bbox, data), source)
        if "addresses" in want:
            data.addresses = parse_addresses(self.features(*ADDRESSES, bbox, data))
        return data
