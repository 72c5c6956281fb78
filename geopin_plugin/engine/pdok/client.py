"""A small client for one OGC API Features service (PDOK's BRK, BGT, BAG).

What it relies on (docs/pdok.md cites the sources):
- ``GET {base}/collections/{id}``: collection metadata with a ``crs`` list;
- ``GET {base}/collections/{id}/items?bbox=…&bbox-crs=…&crs=…&limit=…&f=json``:
  a GeoJSON FeatureCollection (OGC API Features Part 1 + Part 2 for ``crs`` /
  ``bbox-crs``), at most 1000 features a page on PDOK, with a ``links`` entry
  ``rel="next"`` while there is more.

HTTP goes through an injected client with the HttpClient protocol of
engine/sources/base.py (QGIS's network stack inside QGIS, urllib in tests). On top
of it this module adds what an open, anonymous service still needs: bounded
retries for 429 (Retry-After honoured) and 5xx, a cap on the bytes of one answer,
a cap on pages and features per request, a deadline for the whole paging, and
``next`` links followed only on the service's own origin.
"""
from __future__ import annotations

import logging
import json
import time
import urllib.parse
from dataclasses import dataclass
from typing import Callable, List, Optional, Tuple

from ..errors import Cancelled
from ..net.transport import HttpClient, RetryPolicy
from ..net.transport import LimitExceeded, TransportError, parse_retry_after, sleep_cancelable
from .services import PDOK_PAGE_LIMIT, RD_NEW_URI, SERVICES  # noqa: F401  (re-exported)

LOG = logging.getLogger("geopin.pdok")

BBox = Tuple[float, float, float, float]  # RD New: x_min, y_min, x_max, y_max


class PdokError(Exception):
    """The service could not answer usefully (after retries); the message is for people."""


@dataclass
class Limits:
    max_bytes: int = 32 * 1024 * 1024  # one answer (a full PDOK page of parcels is ~1-3 MB)
    max_pages: int = 50
    max_features: int = 20000
    deadline_s: float = 120.0  # for all pages of one items request, retries included
    max_total_bytes: int = 96 * 1024 * 1024  # all pages of one items request (20 full PDOK pages: ~60 MB)


@dataclass
class ItemsResult:
    features: List[dict]
    pages: int
    truncated: bool  # stopped at max_pages/max_features while a next link remained


class OgcFeaturesClient:
    def __init__(self, http: HttpClient, base_url: str, title: str = "OGC API Features",
                 retry: Optional[RetryPolicy] = None, limits: Optional[Limits] = None,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
                 is_canceled: Optional[Callable[[], bool]] = None):
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.title = title
        self.retry = retry or RetryPolicy(max_retries=3, backoff_s=1.0, max_wait_s=30.0)
        self.limits = limits or Limits()
        self.sleep = sleep
        self.clock = clock
        self.is_canceled = is_canceled or (lambda: False)
        self.requests_made = 0
        self.bytes_received = 0
        origin = urllib.parse.urlsplit(self.base_url)
        self._origin = (origin.scheme, origin.netloc)

    # -- public --------------------------------------------------------------------
    def collection(self, collection_id: str) -> dict:
        """The collection's metadata; PdokError when the service lacks it or RD New."""
        meta = self.get_json(f"{self.base_url}/collections/{collection_id}", {"f": "json"})
        if not isinstance(meta, dict) or meta.get("id") not in (None, collection_id):
            raise PdokError(f"{self.title}: unexpected metadata for collection '{collection_id}'")
        crs = meta.get("crs")
        if isinstance(crs, list) and crs and RD_NEW_URI not in crs:
            raise PdokError(f"{self.title}: collection '{collection_id}' is not offered in EPSG:28992")
        return meta

    def items(self, collection_id: str, bbox: BBox, limit: int = PDOK_PAGE_LIMIT) -> ItemsResult:
        """All features of a collection intersecting ``bbox`` (RD New), in RD New."""
        x0, y0, x1, y1 = (float(v) for v in bbox)
        if not (x1 > x0 and y1 > y0):
            raise PdokError(f"empty bounding box {bbox}")
        params = {
            "f": "json",
            "bbox": f"{x0:.3f},{y0:.3f},{x1:.3f},{y1:.3f}",
            "bbox-crs": RD_NEW_URI,
            "crs": RD_NEW_URI,
            "limit": int(max(1, min(limit, PDOK_PAGE_LIMIT))),
        }
        url: Optional[str] = f"{self.base_url}/collections/{collection_id}/items"
        deadline = self.clock() + self.limits.deadline_s
        features: List[dict] = []
        pages = 0
        seen = set()
        bytes_before = self.bytes_received
        while url is not None:
            if pages >= self.limits.max_pages or len(features) >= self.limits.max_features \
                    or self.bytes_received - bytes_before >= self.limits.max_total_bytes:
                LOG.warning("%s %s: stopped after %d pages / %d features / %d bytes", self.title, collection_id,
                            pages, len(features), self.bytes_received - bytes_before)
                return ItemsResult(features[: self.limits.max_features], pages, True)
            page = self.get_json(url, params, deadline=deadline)
            pages += 1
            items = page.get("features") if isinstance(page, dict) else None
            if not isinstance(items, list) or page.get("type") not in (None, "FeatureCollection"):
                raise PdokError(f"{self.title}: the answer for '{collection_id}' is not a GeoJSON FeatureCollection")
            features.extend(items)  # checked by shapes.clean, which counts what it skips
            url = self._next_link(page)
            if url in seen:  # a server that links a page to itself must not loop us
                url = None
            if url is not None:
                seen.add(url)
            params = None  # the next link carries the query (cursor, bbox, crs)
        return ItemsResult(features, pages, False)

    # -- plumbing ------------------------------------------------------------------
    def _next_link(self, page: dict) -> Optional[str]:
        links = page.get("links")
        for link in links if isinstance(links, list) else []:
            if not isinstance(link, dict) or link.get("rel") != "next" or not link.get("href"):
                continue
            href = urllib.parse.urljoin(self.base_url + "/", str(link["href"]))
            parts = urllib.parse.urlsplit(href)
            if (parts.scheme, parts.netloc) != self._origin:
                raise PdokError(f"{self.title}: refused a next link to another site ({parts.netloc})")
            return href
        return None

    def get_json(self, url: str, params=None, deadline: Optional[float] = None):
        response = self._request(url, params, deadline)
        self.bytes_received += len(response.body or b"")
        if response.status != 200:
            raise PdokError(f"{self.title} answered HTTP {response.status} for {_strip_query(url)}")
        if len(response.body) > self.limits.max_bytes:
            raise PdokError(f"{self.title}: answer for {_strip_query(url)} is larger than "
                            f"{self.limits.max_bytes // (1024 * 1024)} MB")
        try:
            return json.loads(response.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise PdokError(f"{self.title} sent malformed JSON for {_strip_query(url)}: {exc}") from None

    def _request(self, url, params, deadline):
        deadline = deadline if deadline is not None else self.clock() + self.limits.deadline_s
        attempt = 0
        while True:
            self._check_canceled()
            if self.clock() >= deadline:
                raise PdokError(f"{self.title}: no complete answer within {self.limits.deadline_s:.0f} s "
                                f"for {_strip_query(url)}")
            self.requests_made += 1
            try:
                response = self.http.get(url, params=params, headers={"Accept": "application/geo+json, application/json"})
            except LimitExceeded as exc:  # an endless or huge answer: asking again would cost as much
                raise PdokError(f"{self.title}: {exc} ({_strip_query(url)})") from None
            except TransportError as exc:
                response, problem = None, f"network error: {exc}"
            else:
                if response.status == 429:
                    problem = "rate limited (HTTP 429)"
                elif response.status >= 500:
                    problem = f"server error HTTP {response.status}"
                else:
                    return response
            if attempt >= self.retry.max_retries:
                raise PdokError(f"{self.title}: {problem} for {_strip_query(url)}, gave up after {attempt + 1} tries")
            wait = self.retry.backoff_s * (2 ** attempt)
            if response is not None and response.status == 429:
                retry_after = parse_retry_after(response.header("Retry-After"))
                if retry_after is not None:
                    wait = retry_after
            wait = min(max(wait, 0.0), self.retry.max_wait_s, max(0.0, deadline - self.clock()))
            LOG.info("%s: %s; retrying in %.1f s", self.title, problem, wait)
            self._sleep(wait)
            attempt += 1

    def _sleep(self, seconds):
        sleep_cancelable(seconds, self.sleep, self._check_canceled)

    def _check_canceled(self):
        if self.is_canceled():
            raise Cancelled()


def _strip_query(url: str) -> str:
    return url.split("?", 1)[0]


def service_client(http: HttpClient, service: str, base_url: Optional[str] = None, **kwargs) -> OgcFeaturesClient:
    """A client for one of SERVICES ("brk", "bgt", "bag"), optionally at another address."""
    title, default_url, _ = SERVICES[service]
    return OgcFeaturesClient(http, base_url or default_url, title=title, **kwargs)
