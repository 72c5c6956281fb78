"""What one search may cost a source's server, and what one bad item may cost the
import: a server is untrusted input.

- Caps per search, besides the per-request ones (transport.py: body size,
  deadline): API pages and API bytes in all. A Panoramax server whose pages kept
  a `next` link but held no usable feature was paged past 300 s and 6,000 requests.
- Per-item parsing: an item the adapter cannot parse (a `properties` list, an
  `assets` string, a missing id, coordinates as text, a `datetime` number) is
  skipped and counted with its reason; it stopped the whole import with a
  TypeError before. The reasons reach the user as one warning.
"""
import math
from collections import Counter
from typing import Optional

MAX_API_PAGES = 1000  # a 10,000-image import at 100 a page over 64 cells needs ~300
MAX_API_BYTES = 512 * 1024 * 1024  # a Panoramax page of 100 features is ~0.3 MB
MAX_EMPTY_PAGES = 3  # pages in a row with items but none usable: the cell's paging is stopped


class SearchCapReached(Exception):
    """A per-search cap was reached: the search stops and keeps what it found."""


class SearchBudget:
    def __init__(self, title, max_pages=None, max_bytes=None):
        self.title = title
        self.max_pages = MAX_API_PAGES if max_pages is None else max_pages
        self.max_bytes = MAX_API_BYTES if max_bytes is None else max_bytes
        self.pages = self.bytes = 0

    def count(self, body_bytes: int) -> None:
        """One API page received; SearchCapReached past a cap."""
        self.pages += 1
        self.bytes += int(body_bytes)
        if self.pages > self.max_pages:
            raise SearchCapReached(f"{self.title}: the search stopped after {self.max_pages} API pages (GeoPin's "
                                   "cap per import); the images found so far are used")
        if self.bytes > self.max_bytes:
            raise SearchCapReached(f"{self.title}: the search stopped after {self.max_bytes // 2 ** 20} MB of API "
                                   "answers (GeoPin's cap per import); the images found so far are used")


class SkippedItems:
    """Items skipped while parsing, counted by reason."""

    def __init__(self):
        self.reasons = Counter()

    def add(self, reason: str) -> None:
        self.reasons[reason[:120]] += 1

    @property
    def total(self):
        return sum(self.reasons.values())

    def warning(self, title) -> Optional[str]:
        if not self.reasons:
            return None
        top = "; ".join(f"{n} x {r}" for r, n in self.reasons.most_common(8))
        return f"{self.total} {title} item(s) were malformed and skipped ({top})"


def image_problem(image) -> Optional[str]:
    """Why a parsed SourceImage cannot be used (None when it can): the fields later
    steps compute with must have their types."""
    if not isinstance(image.source_id, str) or not image.source_id:
        return "no id"
    for name in ("lat", "lon"):
        value = getattr(image, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return f"{name} is not a finite number"
    if not -90 <= image.lat <= 90 or not -180 <= image.lon <= 180:
        return "coordinates outside WGS 84"
    if image.capture_time is not None and not isinstance(image.capture_time, str):
        return f"capture time is {type(image.capture_time).__name__}, not text"
    if image.image_url is not None and not isinstance(image.image_url, str):  # "" until finalize (Mapilio)
        return "image URL is not text"
    return None
