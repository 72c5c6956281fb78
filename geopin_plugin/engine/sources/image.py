"""One image a street-level imagery source offers: where, when, which way, and its URL."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional


@dataclass
class SourceImage:
    source_id: str
    lat: float
    lon: float
    heading: Optional[float]  # degrees clockwise from north (camera heading / pano centre)
    capture_time: Optional[str]  # ISO 8601, UTC when known
    is_panorama: Optional[bool]  # None: the answer does not say; ingest decides from the file
    image_url: str
    licence: Optional[str]
    attribution: Optional[str]
    extra: dict = field(default_factory=dict)
    source: str = ""
