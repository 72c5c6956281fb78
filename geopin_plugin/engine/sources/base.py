"""Shared plumbing for street-level imagery sources (no QGIS here).

Every source module subclasses :class:`StreetImagerySource` and implements
``_search_cell`` (one API query for one small bounding box, following the API's
own pagination) and ``_image_url`` (which documented size to fetch). The base
class does the rest the same way for all of them:

- HTTP through an injected client (:class:`HttpClient`: ``get`` and ``post``
  returning :class:`HttpResponse`), so QGIS's network stack (proxy, auth) is used
  inside QGIS and urllib in tests and scripts;
- rate limits: 429 honours ``Retry-After`` (seconds or an HTTP date), 5xx and
  transport errors back off exponentially, both with a bounded number of retries;
- 401/403 raise :class:`AuthError`, which names where to set a token;
- auth headers go only to the configured API origin (scheme, host, port): never
  to image hosts or to "next" links elsewhere; only http(s) URLs are fetched;
- per-cell failure isolation: a query cell that still fails after its retries is
  reported (which cell, why) and the other cells are used;
- spatially even sampling: the area is cut into a grid of query cells, each cell
  is asked for a bounded number of candidates and the selection takes them round
  robin over a finer grid, so an area with more images than ``max_images`` gives
  an even sample with a warning instead of the first page only.
"""
from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from ..errors import Cancelled, ImageError  # an image the import skips; the caller asked to stop
from .image import SourceImage
from .limits import SearchBudget, SearchCapReached, SkippedItems, image_problem
from .spatial import Area, BBox, even_sample
from ..net.transport import (RetryPolicy, HttpClient, HttpResponse, LimitExceeded, TransportError, check_scheme, origin,
                             parse_retry_after, sleep_cancelable)

LOG = logging.getLogger("geopin.sources")


class SourceError(Exception):
    """A source could not answer usefully (after retries); message is for people."""


class AuthError(SourceError):
    """401/403 or a missing token. ``missing`` tells the two apart."""

    def __init__(self, source: str, missing: bool = False, status: Optional[int] = None,
                 detail: Optional[str] = None):
        self.source = source
        self.missing = missing
        self.status = status
        self.detail = detail
        what = "needs an access token" if missing else f"refused the access token (HTTP {status})"
        if detail:
            what += f": {detail}"
        super().__init__(
            f"{source} {what}. Store the token in QGIS Settings > Options > Authentication "
            f"and choose that configuration in the AUTH_CONFIG parameter."
        )


# --- plain types ---------------------------------------------------------------



@dataclass
class SearchResult:
    images: List[SourceImage]
    available: int  # candidates seen (a lower bound when truncated)
    truncated: bool  # the area holds more than was fetched or selected
    warnings: List[str] = field(default_factory=list)
    queries: int = 0

    failed_cells: List[Tuple[BBox, str]] = field(default_factory=list)  # (cell, why), after retries

    def __iter__(self) -> Iterator[SourceImage]:  # a result iterates over its images
        return iter(self.images)

    def __len__(self) -> int:
        return len(self.images)


def to_date(value) -> Optional[date]:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def iso_from_epoch_ms(ms) -> Optional[str]:
    if ms in (None, ""):
        return None
    return datetime.fromtimestamp(float(ms) / 1000.0, tz=timezone.utc).isoformat().replace("+00:00", "Z")


def normalise_heading(value) -> Optional[float]:
    if value in (None, ""):
        return None
    try:
        h = float(value)
    except (TypeError, ValueError):
        return None
    if math.isnan(h):
        return None
    return h % 360.0


# --- the source base class ---------------------------------------------------------


class StreetImagerySource:
    """Base class; see the module docstring. Subclasses set the class attributes."""

    name = "base"  # SOURCE enum value
    title = "Base"  # human name
    label = ""  # the Processing SOURCE enum's text (scripts/update_translations.py collects it)
    default_base_url = ""
    needs_token = False
    default_licence: Optional[str] = None
    default_attribution: Optional[str] = None
    page_size = 100  # asked of the API per page
    max_cell_deg = 0.1  # a query cell is at most this many degrees on a side
    max_query_cells = 256  # more cells than this: an evenly strided subset of them
    knows_panoramas = True  # False: is_panorama is a guess, let ingest look at the file
    sequence_field: Optional[str] = None  # the SourceImage.extra key holding the source's sequence id
    give_up_after_failed_cells = 3  # while no cell has answered yet (a service that is down)

    def capture_group(self, image) -> Optional[str]:
        """The image's capture group as this source names it (its sequence), None when it
        does not say (capture_group.py: what a capture group is for)."""
        from .capture_group import clean_group

        return clean_group((image.extra or {}).get(self.sequence_field)) if self.sequence_field else None

    def __init__(self, http: HttpClient, base_url: Optional[str] = None, token: Optional[str] = None,
                 retry: Optional[RetryPolicy] = None, sleep: Callable[[float], None] = time.sleep,
                 is_canceled: Optional[Callable[[], bool]] = None, image_base_url: Optional[str] = None):
        self.http = http
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        self.image_base_url = image_base_url
        self.token = token or None
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.is_canceled = is_canceled or (lambda: False)
        self.requests_made = 0
        self.budget = SearchBudget(self.title)  # API pages and bytes of one search (limits.py)
        self.skipped = SkippedItems()

    # -- what subclasses implement ----------------------------------------------

    def _search_cell(self, cell: BBox, limit: int, start: Optional[date], end: Optional[date],
                     image_size: int) -> Iterator[SourceImage]:
        """Yield up to about ``limit`` images inside ``cell``, following the API's paging."""
        raise NotImplementedError

    # -- public interface ----------------------------------------------------------

    def _cell_stream(self, area, cell, cap, start, end, image_size) -> Iterator[SourceImage]:
        for image in self._search_cell(cell, cap, start, end, image_size):
            if not area.contains(image.lon, image.lat) or not _in_cell(image, cell):
                continue
            if not _in_dates(image.capture_time, start, end):
                continue
            image.source = self.name
            yield image

    def finalize(self, images: List[SourceImage]) -> List[SourceImage]:
        """Last step of search on the selected images (e.g. resolve file URLs)."""
        return images

    def check_token(self) -> None:
        if self.needs_token and not self.token:
            raise AuthError(self.title, missing=True)

    def search(self, area, max_images: int, start_date=None, end_date=None, image_size: int = 1024,
               oversample: float = 2.0) -> SearchResult:
        """Images in ``area`` (bbox tuple, polygon or Area), at most ``max_images``,
        spread evenly over space when the area holds more."""
        self.check_token()
        area = Area.of(area)
        max_images = int(max_images)
        if max_images <= 0:
            return SearchResult([], 0, False)
        start, end = to_date(start_date), to_date(end_date)
        cells = self._query_cells(area, max_images)
        warnings = []
        if len(cells) > self.max_query_cells:
            stride = len(cells) / self.max_query_cells
            cells = [cells[int(i * stride)] for i in range(self.max_query_cells)]
            warnings.append(
                f"The area is large for {self.title}'s API; {self.max_query_cells} evenly spread "
                f"parts of it were searched."
            )
        if not cells:
            return SearchResult([], 0, False, warnings, self.requests_made)
        cap = max(max_images, int(math.ceil(max_images * oversample)))
        per_cell = max(1, math.ceil(cap / len(cells)))
        found: Dict[str, SourceImage] = {}
        failed: List[Tuple[BBox, str]] = []
        answered = 0  # cell rounds that worked
        self.search_warnings = []  # adapters add what the user must know (e.g. a cell still capped)
        self.budget, self.skipped = SearchBudget(self.title), SkippedItems()
        capped = None
        streams = [(cell, self._cell_stream(area, cell, cap, start, end, image_size)) for cell in cells]
        # round 1 gives every cell the same budget; later rounds hand what sparse
        # cells left unused to the cells that still have images, until ``cap``
        while streams and len(found) < cap:
            alive = []
            for cell, stream in streams:
                self._check_canceled()
                taken = 0
                try:
                    for image in stream:
                        if image.source_id not in found:
                            found[image.source_id] = image
                            taken += 1
                        if taken >= per_cell or len(found) >= cap:
                            alive.append((cell, stream))
                            break
                except AuthError:
                    raise  # the token is wrong for every cell: stop with the fix
                except SearchCapReached as exc:  # keep what was found, search no further
                    capped = str(exc)
                    break
                except SourceError as exc:  # this cell only: the others still count
                    failed.append((cell, str(exc)))
                    LOG.warning("%s: part %s of the area failed: %s", self.title, _cell_text(cell), exc)
                    if not answered and len(failed) >= self.give_up_after_failed_cells:
                        # nothing has worked yet: the service is down, not one dense cell
                        raise SourceError(f"{self.title}: the first {len(failed)} parts of the area all "
                                          f"failed; first: {failed[0][1]}") from None
                    continue
                answered += 1
                if len(found) >= cap:
                    break
            streams = alive if capped is None else []
        if failed and len(failed) == len(cells) and not found:
            raise SourceError(f"{self.title}: every part of the area failed; first: {failed[0][1]}")
        if failed:
            warnings.append(f"{len(failed)} of {len(cells)} parts of the area could not be searched on "
                            f"{self.title} (first: {_cell_text(failed[0][0])}: {failed[0][1]}); the rest "
                            f"was imported. Run again later to fill them in.")
        warnings.extend(self.search_warnings)
        warnings.extend(w for w in (capped, self.skipped.warning(self.title)) if w)
        images = list(found.values())
        truncated = len(images) > max_images
        selected = self.finalize(even_sample(images, max_images, area.bbox))
        if truncated:
            warnings.append(
                f"The area holds more {self.title} images than MAX_IMAGES={max_images}; "
                f"took a spatially even sample of {len(selected)}."
            )
        for w in warnings:
            LOG.warning(w)
        return SearchResult(selected, len(images), truncated, warnings, self.requests_made, failed)

    def download(self, image: SourceImage, dest) -> Path:
        """Fetch ``image`` into the file ``dest`` (folders made); checks it decodes fully."""
        dest = Path(dest)
        if not image.image_url:
            raise ImageError(f"{self.title} image {image.source_id}: no image URL")
        # a missing rendition (KartaView's large thumbnail) falls back to the next URL
        urls = [image.image_url] + [u for u in image.extra.get("fallback_urls") or [] if u]
        for i, url in enumerate(urls):
            try:
                response = self.request("GET", url, headers=self._image_headers())
            except AuthError:
                raise
            except SourceError as exc:
                raise ImageError(f"{self.title} image {image.source_id}: {exc}") from None
            if response.status in (404, 410) and i + 1 < len(urls):
                LOG.info("%s image %s: HTTP %s for %s, trying the next size", self.title, image.source_id,
                         response.status, _strip_query(url))
                continue
            break
        body = response.body
        if response.status != 200:
            raise ImageError(f"{self.title} image {image.source_id}: HTTP {response.status}")
        check_image_bytes(body, f"{self.title} image {image.source_id}")
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".part")
        tmp.write_bytes(body)
        tmp.replace(dest)
        return dest

    # -- helpers for subclasses ---------------------------------------------------------

    def _auth_headers(self) -> Dict[str, str]:
        return {}

    def _image_headers(self) -> Dict[str, str]:
        return {}

    def _check_canceled(self):
        if self.is_canceled():
            raise Cancelled()

    def _query_cells(self, area: Area, max_images: int) -> List[BBox]:
        x0, y0, x1, y1 = area.bbox
        # enough cells that a dense corner cannot eat the whole budget, few enough
        # that small imports stay a handful of requests
        g = max(2, min(8, int(math.ceil(math.sqrt(max_images) / 2))))
        nx = max(g, int(math.ceil((x1 - x0) / self.max_cell_deg - 1e-9)))
        ny = max(g, int(math.ceil((y1 - y0) / self.max_cell_deg - 1e-9)))
        nx, ny = self._refine_grid(area, nx, ny)
        cells = []
        for j in range(ny):
            for i in range(nx):
                cell = (x0 + (x1 - x0) * i / nx, y0 + (y1 - y0) * j / ny,
                        x0 + (x1 - x0) * (i + 1) / nx, y0 + (y1 - y0) * (j + 1) / ny)
                if area.intersects(cell):
                    cells.append(cell)
        return cells

    def _refine_grid(self, area: Area, nx: int, ny: int) -> Tuple[int, int]:
        return nx, ny

    def get_json(self, url: str, params=None, headers=None, method: str = "GET", data=None):
        """One JSON answer with retries; raises SourceError on anything unusable."""
        response = self.request(method, url, params=params, headers=headers, data=data)
        self.budget.count(len(response.body or b""))
        if response.status != 200:
            raise SourceError(f"{self.title} answered HTTP {response.status} for {_strip_query(url)}")
        try:
            return json.loads(response.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SourceError(f"{self.title} sent a malformed answer for {_strip_query(url)}: {exc}") from None

    def page_items(self, page, *path: str) -> list:
        """The list at `path` inside a JSON answer; SourceError when the answer has none."""
        node = page
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if not isinstance(node, list):
            raise SourceError(f"{self.title} sent an answer without a '{'.'.join(path)}' list")
        return node

    def parsed(self, items, image_size: int) -> Iterator[SourceImage]:
        """The items that parse into images (the adapter's _parse); malformed ones are
        skipped and counted with their reason (self.skipped), never stop the import."""
        for item in items:
            try:
                image = self._parse(item, image_size)
            except (TypeError, KeyError, ValueError, AttributeError, IndexError) as exc:
                self.skipped.add(f"{type(exc).__name__}: {exc}")
                continue
            problem = "no usable position or image" if image is None else image_problem(image)
            if problem:
                self.skipped.add(problem)
                continue
            yield image

    def request(self, method: str, url: str, params=None, headers=None, data=None) -> HttpResponse:
        """One HTTP exchange with the rate-limit/backoff policy. Returns the final
        response (200 or a 4xx other than 401/403/429); raises AuthError, SourceError."""
        try:
            check_scheme(url)
        except LimitExceeded as exc:
            raise SourceError(f"{self.title}: {exc} ({_strip_query(url)})") from None
        # the token goes to the configured API only, never to image hosts or to a
        # "next" link that points elsewhere
        merged = dict(self._auth_headers()) if self.is_api_url(url) else {}
        merged.update(headers or {})
        attempt = 0
        while True:
            self._check_canceled()
            self.requests_made += 1
            try:
                if method == "POST":
                    response = self.http.post(url, data=data, headers=merged)
                else:
                    response = self.http.get(url, params=params, headers=merged)
            except LimitExceeded as exc:
                raise SourceError(f"{self.title}: {exc} ({_strip_query(url)})") from None
            except TransportError as exc:
                response = None
                problem = f"network error: {exc}"
            else:
                problem = self._answer_problem(response)
                if problem is None:
                    return response
            if attempt >= self.retry.max_retries:
                raise SourceError(f"{self.title}: {problem} for {_strip_query(url)}, "
                                  f"gave up after {attempt + 1} tries")
            wait = self.retry.backoff_s * (2 ** attempt)
            if response is not None and response.header("Retry-After"):
                retry_after = parse_retry_after(response.header("Retry-After"))
                if retry_after is not None:
                    wait = retry_after
            wait = min(max(wait, 0.0), self.retry.max_wait_s)
            LOG.info("%s: %s; retrying in %.1f s", self.title, problem, wait)
            self._sleep_cancelable(wait)
            attempt += 1

    def is_api_url(self, url: str) -> bool:
        """Whether url is on the configured API's origin (the only one that gets the token)."""
        return bool(self.base_url) and origin(url) == origin(self.base_url)

    def _answer_problem(self, response: HttpResponse) -> Optional[str]:
        """None for a final answer; a reason to retry; raises AuthError. Adapters whose
        API signals errors in the body (Mapillary) extend this."""
        if response.status in (401, 403):
            raise AuthError(self.title, missing=not self.token, status=response.status)
        if response.status == 429:
            return "rate limited (HTTP 429)"
        if response.status >= 500:
            return f"server error HTTP {response.status}"
        return None

    def _sleep_cancelable(self, seconds: float):
        sleep_cancelable(seconds, self.sleep, self._check_canceled)


def _strip_query(url: str) -> str:
    """URL without its query string (tokens can travel there: never log them)."""
    return url.split("?", 1)[0]


def _cell_text(cell: BBox) -> str:
    return "({:.5f}, {:.5f}, {:.5f}, {:.5f})".format(*cell)


def _in_cell(image: SourceImage, cell: BBox) -> bool:
    x0, y0, x1, y1 = cell
    # half-open so a point on a shared edge belongs to one cell only
    return x0 <= image.lon <= x1 and y0 <= image.lat <= y1


def _in_dates(capture_time: Optional[str], start: Optional[date], end: Optional[date]) -> bool:
    if capture_time is None or (start is None and end is None):
        return True
    try:
        day = date.fromisoformat(capture_time[:10])
    except ValueError:
        return True
    if start is not None and day < start:
        return False
    if end is not None and day > end:
        return False
    return True


def check_image_bytes(body: bytes, what: str) -> Tuple[int, int]:
    """Decode fully (a truncated JPEG fails here); returns (width, height)."""
    if not body:
        raise ImageError(f"{what}: empty body")
    from io import BytesIO

    from PIL import Image

    try:
        with Image.open(BytesIO(body)) as img:
            img.load()
            return img.size
    except Exception as exc:
        raise ImageError(f"{what}: not a complete image ({exc})") from None


def pick_size(sizes: Sequence[Tuple[int, str]], wanted: int) -> str:
    """From (long side in px, key) pairs, the smallest at least ``wanted``, else the largest."""
    ordered = sorted(sizes)
    for px, key in ordered:
        if px >= wanted:
            return key
    return ordered[-1][1]
