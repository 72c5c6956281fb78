"""HTTP plumbing shared by the street-imagery sources and their clients: the
injected client protocol and its response, transport errors and limits, which
origin a URL belongs to (auth headers go only to their own), and Retry-After.
No QGIS here: qgis_http.py and sources/http.py implement HttpClient."""
from __future__ import annotations

import email.utils
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Mapping, Optional, Protocol, Tuple
from urllib.parse import urlsplit


def plugin_version() -> str:
    """The version in the plugin's metadata.txt ("0.0.0" if it cannot be read)."""
    import configparser

    meta = Path(__file__).resolve().parents[3] / "metadata.txt"
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(meta, encoding="utf-8")
        return parser.get("general", "version")
    except (configparser.Error, OSError):
        return "0.0.0"


USER_AGENT = f"GeoPin/{plugin_version()} (QGIS plugin)"


@dataclass
class RetryPolicy:
    max_retries: int = 4  # retries after the first try
    backoff_s: float = 1.0  # first 5xx/transport wait; doubles each retry
    max_wait_s: float = 60.0  # cap for one wait (Retry-After included)


# --- HTTP --------------------------------------------------------------------------


@dataclass
class HttpResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def header(self, name: str) -> Optional[str]:
        lname = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lname:
                return value
        return None


class HttpClient(Protocol):
    def get(self, url: str, params: Optional[Mapping[str, object]] = None,
            headers: Optional[Mapping[str, str]] = None) -> HttpResponse:
        """GET url (params are query parameters). Never raises for an HTTP status;
        raises TransportError for a connection failure or a body cut short."""

    def post(self, url: str, data: Optional[Mapping[str, object]] = None,
             headers: Optional[Mapping[str, str]] = None) -> HttpResponse:
        """POST url with data form-encoded (application/x-www-form-urlencoded)."""


class TransportError(Exception):
    """The connection failed or the body was cut short (no usable HTTP answer)."""


class LimitExceeded(TransportError):
    """The answer broke a per-download limit (size cap, overall deadline, a refused
    redirect or URL scheme). Not retried: asking again would break it again."""


# Download limits shared by both HTTP clients (urllib here, QGIS's network stack in
# qgis_http.py): a body larger than this is refused before it is all in memory, and
# one download may not take longer than this in total (a server sending one byte a
# second must not hold the import). The largest documented file is an 8000 px
# Amsterdam panorama of ~10-20 MB; 64 MB leaves room for originals.
MAX_BODY_BYTES = 64 * 1024 * 1024
DOWNLOAD_DEADLINE_S = 120.0
MAX_REDIRECTS = 5
# headers that carry credentials: dropped when a redirect leaves the origin
SENSITIVE_HEADERS = ("authorization", "proxy-authorization", "cookie", "x-api-key", "x-auth-token")


def origin(url: str) -> Tuple[str, str, int]:
    """(scheme, host, port) of a URL, the unit tokens are scoped to (RFC 6454)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None:
        port = {"http": 80, "https": 443}.get(scheme, -1)
    return scheme, (parts.hostname or "").lower(), port


def check_scheme(url: str) -> None:
    """LimitExceeded unless url is http:// or https:// (a file:// URL from a hostile
    answer must not read local files, and must be a clear error)."""
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise LimitExceeded(f"refused a {scheme + ':' if scheme else 'relative'} URL: only http:// and "
                            f"https:// addresses are fetched")


# --- errors --------------------------------------------------------------------


def parse_retry_after(value: Optional[str]) -> Optional[float]:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def sleep_cancelable(seconds, sleep, check_canceled, step_s=0.5):
    """Wait `seconds` in steps of at most `step_s`, calling `check_canceled()` (which
    raises to stop) before each: a long Retry-After must not outlast a Cancel."""
    remaining = seconds
    while remaining > 0:
        check_canceled()
        step = min(remaining, step_s)
        sleep(step)
        remaining -= step
